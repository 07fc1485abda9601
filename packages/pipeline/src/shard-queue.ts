import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Queue, Worker } from 'bullmq';
import type { Job, JobState } from 'bullmq';
import { Redis } from 'ioredis';
import { parseRedisUrl, redactRedisUrl } from './redis-url.js';
import { PipelineError } from './errors.js';
import { readPartMeta } from './shard-files.js';
import type { ShardJob, ShardResult } from './shard-job.js';

/** Defaults of the queue and the workers, in one place. */
export const QUEUE_DEFAULTS = {
  queue: 'oidstream',
  /** Attempts per shard (first run + retries). */
  attempts: 3,
  /** First retry delay; doubles each retry (BullMQ exponential backoff). */
  backoffMs: 5_000,
  /** Shards one worker runs at once (each in its own child process). */
  concurrency: 1,
  /** A shard whose worker stops renewing this lock (crash, kill -9, lost machine) is handed to another worker. */
  lockDurationMs: 60_000,
  /** How often workers look for such stalled shards. */
  stalledIntervalMs: 30_000,
  /** Stalls a shard may survive before it counts as failed. */
  maxStalledCount: 2,
  /** An idle worker given --exit-when-idle leaves after the queue has been empty this long. */
  idleMs: 3_000,
  /** A starting worker waits this long for Redis to answer. */
  waitForRedisMs: 60_000,
} as const;

/** BullMQ job id of a shard: stable, so enqueueing the same plan twice adds nothing. */
export function shardJobId(planId: string, shardId: string): string {
  return `${planId}-${shardId}`;
}

/**
 * Wait until Redis answers (workers may start before it, e.g. in a fresh cluster), trying every second for up to
 * `waitMs`; then the coded error of the last try.
 */
export async function waitForRedis(url: string, waitMs: number, onRetry?: (err: Error) => void): Promise<void> {
  const until = Date.now() + waitMs;
  for (;;) {
    try {
      return await checkRedis(url, Math.min(5_000, Math.max(500, waitMs)));
    } catch (err) {
      if (Date.now() + 1_000 > until) throw err;
      onRetry?.(err as Error);
      await new Promise((r) => setTimeout(r, 1_000));
    }
  }
}

/** Ping Redis once with a short timeout; a coded error (password redacted) when it cannot be reached. */
export async function checkRedis(url: string, timeoutMs = 5_000): Promise<void> {
  const client = new Redis({ ...parseRedisUrl(url), lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: timeoutMs, enableOfflineQueue: false });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.ping();
  } catch (err) {
    throw new PipelineError('REDIS_UNREACHABLE', `cannot reach Redis at ${redactRedisUrl(url)}: ${(err as Error).message}`, { cause: err });
  } finally {
    client.disconnect();
  }
}

export function openQueue(url: string, name: string = QUEUE_DEFAULTS.queue): Queue {
  const queue = new Queue(name, { connection: parseRedisUrl(url) });
  queue.on('error', () => undefined); // reconnects on its own; callers see failed commands
  return queue;
}

export interface EnqueueOptions {
  attempts?: number;
  backoffMs?: number;
}

/**
 * Add one job per shard. A shard whose job already exists is left alone while it waits, runs or is done;
 * a failed one is retried (enqueueing again is how a user re-runs failed shards after fixing their cause).
 */
export async function enqueueShards(queue: Queue, jobs: readonly ShardJob[], options: EnqueueOptions = {}): Promise<{ added: number; retried: number; kept: number }> {
  const attempts = options.attempts ?? QUEUE_DEFAULTS.attempts;
  const delay = options.backoffMs ?? QUEUE_DEFAULTS.backoffMs;
  let added = 0;
  let retried = 0;
  let kept = 0;
  const fresh: Array<{ name: string; data: ShardJob; opts: { jobId: string; attempts: number; backoff: { type: 'exponential'; delay: number }; removeOnComplete: false; removeOnFail: false } }> = [];
  for (const data of jobs) {
    const jobId = shardJobId(data.planId, data.shard.id);
    const existing = await queue.getJob(jobId);
    if (existing) {
      const state = await existing.getState();
      if (state === 'failed') {
        await existing.retry('failed');
        retried++;
        continue;
      }
      // done in Redis but its part is gone from OUT (deleted, another filesystem): run it again
      if (!(state === 'completed' && !(await readPartMeta(data.out, data.shard.id)))) {
        kept++;
        continue;
      }
      await existing.remove();
    }
    fresh.push({ name: 'shard', data, opts: { jobId, attempts, backoff: { type: 'exponential', delay }, removeOnComplete: false, removeOnFail: false } });
  }
  if (fresh.length) {
    await queue.addBulk(fresh);
    added = fresh.length;
  }
  return { added, retried, kept };
}

export interface ShardJobState {
  id: string;
  state: JobState | 'unknown' | 'missing';
  attemptsMade: number;
  failedReason?: string;
  result?: ShardResult;
  startedAt?: number;
  finishedAt?: number;
}

/** Take the not yet started shards of a replaced plan off the queue (running ones fail on their own: PLAN_MISMATCH). */
export async function dropPlanJobs(queue: Queue, planId: string, shardIds: readonly string[]): Promise<number> {
  let dropped = 0;
  for (const id of shardIds) {
    const job = await queue.getJob(shardJobId(planId, id));
    if (!job) continue;
    const state = await job.getState();
    if (state === 'waiting' || state === 'delayed' || state === 'prioritized') {
      await job.remove();
      dropped++;
    }
  }
  return dropped;
}

/** State of each shard of a plan in the queue. */
export async function shardStates(queue: Queue, planId: string, shardIds: readonly string[]): Promise<ShardJobState[]> {
  const out: ShardJobState[] = [];
  for (const id of shardIds) {
    const job = (await queue.getJob(shardJobId(planId, id))) as Job<ShardJob, ShardResult> | undefined;
    if (!job) {
      out.push({ id, state: 'missing', attemptsMade: 0 });
      continue;
    }
    out.push({
      id,
      state: await job.getState(),
      attemptsMade: job.attemptsMade,
      failedReason: job.failedReason || undefined,
      result: job.returnvalue ?? undefined,
      startedAt: job.processedOn,
      finishedAt: job.finishedOn,
    });
  }
  return out;
}

/** The compiled sandboxed processor: beside this file in dist/, or dist/ of the package when running from src/. */
export function processorFile(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const beside = path.join(here, 'shard-processor.js');
  if (existsSync(beside)) return beside;
  const built = path.join(here, '..', 'dist', 'shard-processor.js');
  if (existsSync(built)) return built;
  throw new Error(`no compiled shard processor near ${here}: build the pipeline package first (npx nx run pipeline:build)`);
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
 * Serve shard jobs until stopped (or idle, with exitWhenIdle). Each shard runs in a BullMQ sandboxed child process,
 * so CPU-bound chip cutting and inference never block this process's event loop, which renews the job locks.
 */
export async function runWorker(options: WorkerRunOptions): Promise<{ completed: number; failed: number }> {
  const name = options.queue ?? QUEUE_DEFAULTS.queue;
  const concurrency = options.concurrency ?? QUEUE_DEFAULTS.concurrency;
  const emit = options.onEvent ?? (() => undefined);
  const connection = parseRedisUrl(options.url);
  const worker = new Worker<ShardJob, ShardResult>(name, processorFile(), {
    connection,
    concurrency,
    name: `${os.hostname()}:${process.pid}`,
    lockDuration: options.lockDurationMs ?? QUEUE_DEFAULTS.lockDurationMs,
    stalledInterval: options.stalledIntervalMs ?? QUEUE_DEFAULTS.stalledIntervalMs,
    maxStalledCount: options.maxStalledCount ?? QUEUE_DEFAULTS.maxStalledCount,
    useWorkerThreads: false,
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

  const queue = options.exitWhenIdle ? openQueue(options.url, name) : undefined;
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
