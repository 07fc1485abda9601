import path from 'node:path';
import type { Command } from 'commander';
import { QUEUE_DEFAULTS } from '@oidstream/scale-out/options';
import { addRedisTimeoutOptions, redisTimeouts } from './redis-flags.js';
import type { RedisTimeoutFlags } from './redis-flags.js';

export function registerStatus(program: Command): void {
  const cmd = program
    .command('status')
    .description('progress of a sharded run (enqueue + workers, or run --shard): shards done / running / failed with reasons, timings')
    .option('--out <dir>', 'run directory given to enqueue or run --shard (default: just the queue counts)')
    .option('--redis <url>', 'Redis URL (default: $OIDSTREAM_REDIS_URL, else redis://127.0.0.1:6379)')
    .option('--queue <name>', 'queue name (default: the one in the plan, else oidstream)')
    .option('--all', 'list finished shards too')
    .option('--json', 'print the status as JSON');
  addRedisTimeoutOptions(cmd)
    .action(async (opts: RedisTimeoutFlags & { out?: string; redis?: string; queue?: string; all?: boolean; json?: boolean }) => {
      // bullmq and Parquet load to run, not for --help
      const { checkRedis, formatStatus, openQueue, readPlan, resolveRedisUrl, runStatus, withRedis } = await import('@oidstream/scale-out');
      const url = resolveRedisUrl(opts.redis);
      const timeouts = redisTimeouts(opts);
      if (!opts.out) {
        await checkRedis(url, timeouts);
        const queue = openQueue(url, opts.queue ?? QUEUE_DEFAULTS.queue, timeouts);
        try {
          const counts = await withRedis(url, () => queue.getJobCounts('waiting', 'active', 'delayed', 'completed', 'failed', 'paused', 'prioritized'));
          process.stdout.write(opts.json ? JSON.stringify(counts) + '\n' : Object.entries(counts).map(([k, v]) => `${k} ${v}`).join(', ') + '\n');
        } finally {
          await queue.close().catch(() => undefined);
        }
        return;
      }
      const out = path.resolve(opts.out);
      const plan = await readPlan(out);
      let queue: ReturnType<typeof openQueue> | undefined;
      let note: string | undefined;
      if (plan.mode === 'redis') {
        try {
          // the part files answer without Redis: do not wait long for it
          await checkRedis(url, { ...timeouts, readyTimeoutMs: Math.min(timeouts.readyTimeoutMs ?? 2_000, 2_000) });
          queue = openQueue(url, opts.queue ?? plan.queue ?? QUEUE_DEFAULTS.queue, timeouts);
        } catch (err) {
          note = `${(err as Error).message}: states from part files only`;
        }
      }
      try {
        const st = await withRedis(url, () => runStatus(out, queue, note));
        process.stdout.write(opts.json ? JSON.stringify(st) + '\n' : formatStatus(st, { all: opts.all }) + '\n');
      } finally {
        await queue?.close().catch(() => undefined);
      }
    });
}
