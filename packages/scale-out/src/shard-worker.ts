import os from 'node:os';
import { UnrecoverableError, Worker } from 'bullmq';
import type { Job, SandboxedJob } from 'bullmq';
import { QUEUE_DEFAULTS, type RedisTimeouts } from './options.js';
import { parseRedisUrl, redactRedisUrl } from './redis-url.js';
import type { ShardJob, ShardResult } from './shard-job.js';
import { openQueue } from './shard-queue.js';

/** What a processor is told besides the job: the attempt (1-based) and the worker to name in status. */
export interface ShardContext {
  attempt: number;
  worker: string;
}

/**
 * The per-shard work, injected by the caller (scale-out knows nothing about chips or models): read the job's
 * segments, write `partPath(job.out, job.shard.id)` (+ meta and errors, see shard-files.ts) and report.
 * Call `checkCurrentPlan(job)` before committing the part. Throw to fail the attempt (BullMQ retries it);
 * an error with `code: 'PLAN_MISMATCH'` is never retried.
 */
export type ShardProcessor = (job: ShardJob, ctx: ShardContext) => Promise<ShardResult>;

function unrecoverable(err: unknown): unknown {
  // a superseded plan never becomes current again: no retries (BullMQ matches the error by name across the sandbox)
  if ((err as { code?: string }).code === 'PLAN_MISMATCH') return Object.assign(new UnrecoverableError((err as Error).message), { code: 'PLAN_MISMATCH' });
  return err;
}

/**
 * The default export of a processor module, for workers that run each shard in a child process (BullMQ sandboxed
 * processors fork the module): `export default sandboxedShardProcessor(processShard)`.
 */
export function sandboxedShardProcessor(processor: ShardProcessor): (job: SandboxedJob<ShardJob, ShardResult>) => Promise<ShardResult> {
  // If the worker process dies (kill -9, OOM), the IPC channel closes: stop too, rather than finish a shard nobody
  // holds the lock for any more.
  if (process.send) process.once('disconnect', () => process.exit(1));
  return async (job) => {
    try {
      // the worker (parent) process is the one status should name
      return await processor(job.data, { attempt: job.attemptsMade + 1, worker: `${os.hostname()}:${process.ppid}` });
    } catch (err) {
      throw unrecoverable(err);
    }
  };
}

/**
 * The node flags of the forked processor: this process's, less `--conditions`. A processor module is compiled
 * JavaScript, and must load its dependencies' compiled files too even when this process runs from TypeScript
 * sources (tests, `--conditions=@oidstream/source`).
 */
export function forkExecArgv(execArgv: readonly string[] = process.execArgv): string[] {
  const out: string[] = [];
  for (let i = 0; i < execArgv.length; i++) {
    const a = execArgv[i];
    if (a === '--conditions' || a === '-C') i++;
    else if (!a.startsWith('--conditions=')) out.push(a);
  }
  return out;
}

function inProcess(processor: ShardProcessor): (job: Job<ShardJob, ShardResult>) => Promise<ShardResult> {
  return async (job) => {
    try {
      return await processor(job.data, { attempt: job.attemptsMade + 1, worker: `${os.hostname()}:${process.pid}` });
    } catch (err) {
      throw unrecoverable(err);
    }
  };
}

export type WorkerEvent =
  | { event: 'ready'; queue: string; redis: string; concurrency: number }
  | { event: 'started'; shard: string; job: string; attempt: number }
  | { event: 'completed'; shard: string; job: string; result: ShardResult }
  | { event: 'failed'; shard: string; job: string; attempt: number; attempts: number; willRetry: boolean; reason: string }
  | { event: 'redis-error'; message: string }
  | { event: 'idle-exit'; completed: number; failed: number }
  | { event: 'closed'; completed: number; failed: number };

export interface WorkerRunOptions {
  url: string;
  /**
   * The per-shard work: a module file whose default export is `sandboxedShardProcessor(fn)` (each shard then runs in
   * a child process, so CPU-bound work never blocks the lock renewals of this one), or a `ShardProcessor` function
   * (run in this process).
   */
  processor: string | ShardProcessor;
  /** Timeouts of the queue-side connection (the idle check). */
  timeouts?: RedisTimeouts;
  queue?: string;
  concurrency?: number;
  lockDurationMs?: number;
  stalledIntervalMs?: number;
  maxStalledCount?: number;
  /** Leave once the queue has no waiting, delayed or running jobs (batch use, tests); default: serve forever. */
  exitWhenIdle?: boolean;
  idleMs?: number;
  onEvent?: (e: WorkerEvent) => void;
  /** Stop when this aborts (SIGINT/SIGTERM in the CLI): running shards finish first. */
  signal?: AbortSignal;
}

/**
 * Serve shard jobs until stopped (or idle, with exitWhenIdle), each through `options.processor`. Start it after
 * `checkRedis`/`waitForRedis`: BullMQ's own connection reconnects for ever and never times out.
 */
export async function runWorker(options: WorkerRunOptions): Promise<{ completed: number; failed: number }> {
  const name = options.queue ?? QUEUE_DEFAULTS.queue;
  const concurrency = options.concurrency ?? QUEUE_DEFAULTS.concurrency;
  const emit = options.onEvent ?? (() => undefined);
  const connection = parseRedisUrl(options.url);
  const processor = typeof options.processor === 'string' ? options.processor : inProcess(options.processor);
  const worker = new Worker<ShardJob, ShardResult>(name, processor, {
    connection,
    concurrency,
    name: `${os.hostname()}:${process.pid}`,
    lockDuration: options.lockDurationMs ?? QUEUE_DEFAULTS.lockDurationMs,
    stalledInterval: options.stalledIntervalMs ?? QUEUE_DEFAULTS.stalledIntervalMs,
    maxStalledCount: options.maxStalledCount ?? QUEUE_DEFAULTS.maxStalledCount,
    useWorkerThreads: false,
    workerForkOptions: { execArgv: forkExecArgv() },
    autorun: false,
  });
  let completed = 0;
  let failed = 0;
  let lastError = '';
  worker.on('error', (err) => {
    // connection drops are retried by ioredis; report each distinct message once
    if (err.message !== lastError) emit({ event: 'redis-error', message: err.message });
    lastError = err.message;
  });
  worker.on('active', (job) => emit({ event: 'started', shard: job.data.shard.id, job: job.id ?? '', attempt: job.attemptsMade + 1 }));
  worker.on('completed', (job, result) => {
    completed++;
    lastError = '';
    emit({ event: 'completed', shard: job.data.shard.id, job: job.id ?? '', result });
  });
  worker.on('failed', (job, err) => {
    if (!job) return;
    const attempts = job.opts.attempts ?? 1;
    const willRetry = job.attemptsMade < attempts && err.name !== 'UnrecoverableError';
    if (!willRetry) failed++;
    emit({ event: 'failed', shard: job.data.shard.id, job: job.id ?? '', attempt: job.attemptsMade, attempts, willRetry, reason: err.message });
  });

  const queue = options.exitWhenIdle ? openQueue(options.url, name, options.timeouts) : undefined;
  let idleTimer: NodeJS.Timeout | undefined;
  const closing = new Promise<void>((resolve) => {
    const close = () => {
      if (idleTimer) clearInterval(idleTimer);
      void worker.close().then(resolve, resolve);
    };
    options.signal?.addEventListener('abort', close, { once: true });
    if (queue) {
      const idleMs = options.idleMs ?? QUEUE_DEFAULTS.idleMs;
      let idleSince = 0;
      idleTimer = setInterval(() => {
        queue
          .getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'paused', 'waiting-children')
          .then((counts) => {
            const pending = Object.values(counts).reduce((a, b) => a + b, 0);
            if (pending > 0) idleSince = 0;
            else if (!idleSince) idleSince = Date.now();
            else if (Date.now() - idleSince >= idleMs) {
              emit({ event: 'idle-exit', completed, failed });
              close();
            }
          })
          .catch(() => (idleSince = 0)); // Redis away: not idle, just waiting for it
      }, Math.min(500, idleMs));
    }
  });
  void worker.run().catch((err: Error) => emit({ event: 'redis-error', message: err.message }));
  await worker.waitUntilReady().catch(() => undefined);
  emit({ event: 'ready', queue: name, redis: redactRedisUrl(options.url), concurrency });
  await closing;
  await queue?.close().catch(() => undefined);
  emit({ event: 'closed', completed, failed });
  return { completed, failed };
}
