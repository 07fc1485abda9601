import type { Command } from 'commander';
import { QUEUE_DEFAULTS } from '@oidstream/scale-out/options';
import type { WorkerEvent } from '@oidstream/scale-out';
import { PipelineError } from '../errors.js';
import { addRedisTimeoutOptions, redisTimeouts } from './redis-flags.js';
import type { RedisTimeoutFlags } from './redis-flags.js';

function positiveInt(flag: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new PipelineError('BAD_SHARD', `${flag} must be a positive integer, got ${JSON.stringify(v)}`);
    return n;
  };
}

function describe(e: WorkerEvent): string | undefined {
  switch (e.event) {
    case 'ready':
      return `worker ready: queue ${e.queue} at ${e.redis}, ${e.concurrency} shard(s) at a time`;
    case 'started':
      return `shard ${e.shard}: started (attempt ${e.attempt})`;
    case 'completed': {
      const r = e.result;
      const s = (ms: number) => (ms / 1000).toFixed(2);
      return `shard ${e.shard}: ${r.images} images, ${r.chips} chips in ${s(r.ms.total)} s (models ${s(r.ms.models)}, boxes ${s(r.ms.boxes)}, read ${s(r.ms.read)}, chips ${s(r.ms.chips)}, classify ${s(r.ms.classify)}, write ${s(r.ms.write)}) → ${r.part}`;
    }
    case 'failed':
      return `shard ${e.shard}: attempt ${e.attempt}/${e.attempts} failed${e.willRetry ? ', will retry' : ''}: ${e.reason}`;
    case 'redis-error':
      return `redis: ${e.message} (reconnecting)`;
    case 'idle-exit':
      return `queue empty: leaving after ${e.completed} shard(s) done, ${e.failed} failed`;
    case 'closed':
      return undefined;
  }
}

export function registerWorker(program: Command): void {
  const cmd = program
    .command('worker')
    .description('take shard jobs from the Redis queue (BullMQ) and process them: chips + classify → OUT/parts/part-<shard>.parquet')
    .option('--redis <url>', 'Redis URL, redis://[user:pass@]host:port[/db] or rediss:// for TLS (default: $OIDSTREAM_REDIS_URL, else redis://127.0.0.1:6379)')
    .option('--queue <name>', 'queue name', QUEUE_DEFAULTS.queue)
    .option('--concurrency <n>', 'shards processed at once, each in its own child process', positiveInt('--concurrency'), QUEUE_DEFAULTS.concurrency)
    .option('--lock-duration <ms>', 'a shard whose worker stops renewing its lock this long is given to another worker', positiveInt('--lock-duration'), QUEUE_DEFAULTS.lockDurationMs)
    .option('--stalled-interval <ms>', 'how often to look for shards of dead workers', positiveInt('--stalled-interval'), QUEUE_DEFAULTS.stalledIntervalMs)
    .option('--max-stalled <n>', 'times a shard may be recovered from a dead worker before it fails', positiveInt('--max-stalled'), QUEUE_DEFAULTS.maxStalledCount)
    .option('--exit-when-idle [ms]', `leave once the queue has had no waiting, delayed or running shards for ms (default ${QUEUE_DEFAULTS.idleMs}; batch jobs); without it: serve until SIGTERM`)
    .option('--wait-for-redis <ms>', 'at start, wait this long for Redis to answer', positiveInt('--wait-for-redis'), QUEUE_DEFAULTS.waitForRedisMs)
    .option('--json', 'one JSON line per event on stdout');
  addRedisTimeoutOptions(cmd)
    .action(async (opts: RedisTimeoutFlags & { redis?: string; queue: string; concurrency: number; lockDuration: number; stalledInterval: number; maxStalled: number; exitWhenIdle?: boolean | string; waitForRedis: number; json?: boolean }) => {
      const { processorFile, resolveRedisUrl, runWorker, waitForRedis } = await import('@oidstream/scale-out'); // bullmq: loaded to run, not for --help
      const url = resolveRedisUrl(opts.redis);
      const timeouts = redisTimeouts(opts);
      let told = false;
      await waitForRedis(url, opts.waitForRedis, (err) => {
        if (!told) process.stderr.write(`oidstream worker: ${err.message}; waiting up to ${opts.waitForRedis / 1000} s\n`);
        told = true;
      }, timeouts);
      const processor = processorFile(); // scale-out's shard processor: part-processor's one pass per shard
      const stop = new AbortController();
      const onSignal = () => stop.abort();
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      const result = await runWorker({
        url,
        processor,
        timeouts,
        queue: opts.queue,
        concurrency: opts.concurrency,
        lockDurationMs: opts.lockDuration,
        stalledIntervalMs: opts.stalledInterval,
        maxStalledCount: opts.maxStalled,
        exitWhenIdle: opts.exitWhenIdle !== undefined,
        idleMs: typeof opts.exitWhenIdle === 'string' ? positiveInt('--exit-when-idle')(opts.exitWhenIdle) : undefined,
        signal: stop.signal,
        onEvent: (e) => {
          if (opts.json) process.stdout.write(JSON.stringify({ ...e, at: new Date().toISOString() }) + '\n');
          else {
            const line = describe(e);
            if (line) process.stderr.write(`oidstream worker: ${line}\n`);
          }
        },
      });
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      if (result.failed > 0) {
        throw new PipelineError('SHARDS_FAILED', `${result.failed} shard(s) failed after all attempts (see "oidstream status --out OUT")`);
      }
    });
}
