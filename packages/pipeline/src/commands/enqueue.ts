import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { positiveInt } from '../cli-values.js';
import { PipelineError } from '../errors.js';
import { QUEUE_DEFAULTS, SHARD_PLAN_DEFAULTS } from '@oidstream/scale-out/options';
import type { PlannedRun } from '@oidstream/scale-out';
import { addRunOutputOptions, runOutputOptions } from '../run-flags.js';
import type { RunOutputFlags } from '../run-flags.js';
import { addRedisTimeoutOptions, redisTimeouts } from './redis-flags.js';
import type { RedisTimeoutFlags } from './redis-flags.js';

interface EnqueueFlags extends RunOutputFlags, RedisTimeoutFlags {
  boxes?: string;
  images: string[];
  redis?: string;
  queue: string;
  shards?: string;
  imagesPerShard?: string;
  attempts?: string;
  backoff?: string;
  json?: boolean;
}

export function registerEnqueue(program: Command): void {
  const cmd = program
    .command('enqueue')
    .description('plan a distributed run: select once, split the images into shard jobs on a Redis (BullMQ) queue for `oidstream worker`s');
  addRunOutputOptions(cmd, { dataRequired: false })
    .option('--boxes <boxes.parquet>', 'skip the selection: shard this boxes.parquet (with --images)')
    .option('--images <file>', 'with --boxes: image Parquet file(s) or images/ folder(s) to shard (repeatable; default: those of --data)', (v: string, a: string[]) => [...a, v], [])
    .option('--redis <url>', 'Redis URL, redis://[user:pass@]host:port[/db] or rediss:// for TLS (default: $OIDSTREAM_REDIS_URL, else redis://127.0.0.1:6379)')
    .option('--queue <name>', 'queue name', QUEUE_DEFAULTS.queue)
    .option('--shards <n>', 'exactly this many shards')
    .option('--images-per-shard <n>', `else about this many images per shard (default ${SHARD_PLAN_DEFAULTS.imagesPerShard})`)
    .option('--attempts <n>', `attempts per shard before it fails (default ${QUEUE_DEFAULTS.attempts})`)
    .option('--backoff <ms>', `delay before the first retry, doubling each retry (default ${QUEUE_DEFAULTS.backoffMs})`)
    .option('--force', 'replace another sharded run planned in --out (its parts are deleted)')
    .option('--json', 'print the plan summary as JSON');
  addRedisTimeoutOptions(cmd)
    .action(async (f: EnqueueFlags) => {
      if (!f.data && !(f.boxes && f.images.length)) {
        throw new PipelineError('BAD_OPTION', 'enqueue needs --data <dir>, or --boxes <boxes.parquet> with --images <file|folder>');
      }
      // every flag is checked before Redis, and Redis before the selection, which may take minutes
      const o = runOutputOptions(f);
      // workers would need the model enqueue calibrated (issue 16); until then, refuse rather than run FP32 silently
      if (o.precision === 'int8') throw new PipelineError('BAD_OPTION', '--precision int8 is not available for enqueue yet: use oidstream run, or fp32');
      const out = path.resolve(f.out);
      const how = { mode: 'redis' as const, queue: f.queue, shards: positiveInt('--shards', f.shards), imagesPerShard: positiveInt('--images-per-shard', f.imagesPerShard) };
      const retry = { attempts: positiveInt('--attempts', f.attempts), backoffMs: positiveInt('--backoff', f.backoff) };
      // bullmq, the selection and Parquet load to run, not for --help
      const { checkRedis, dropPlanJobs, enqueueShards, openQueue, planRun, redactRedisUrl, resolveRedisUrl, withRedis } = await import('@oidstream/scale-out');
      const { findOidFiles } = await import('@oidstream/oid-join');
      const { publishOnce, setupShardedRun } = await import('../shard-setup.js');
      const url = resolveRedisUrl(f.redis);
      const timeouts = redisTimeouts(f);
      await checkRedis(url, timeouts);
      let planned: PlannedRun & { classification?: { reason: string; hint: string } };
      if (f.boxes) {
        // an existing selection: no select stage, models as given; images from --images, else the data dir's
        const layout = f.images.length ? undefined : await findOidFiles(f.data, { requireMetadata: true, requireImages: true });
        const images = layout ? [layout.imagesParquet ?? layout.imagesFolder!] : f.images;
        planned = await planRun({
          ...how, out, boxes: f.boxes, images, rotationCsvs: layout && !layout.imagesParquet ? layout.rotation : [], models: o.models, backend: o.backend,
          batchSize: o.batchSize, threads: o.threads, chipFiles: o.chipFiles, force: o.force,
          chip: { quality: o.quality, padding: o.padding, square: o.square, maxSide: o.maxSide, minBoxSize: o.minChipSize },
        });
        // OUT then reads like a single run's for `report` after the merge
        for (const name of ['boxes.parquet', 'labels-summary.json']) {
          const from = path.join(path.dirname(path.resolve(f.boxes)), name === 'boxes.parquet' ? path.basename(f.boxes) : name);
          if (existsSync(from) && path.resolve(from) !== path.join(out, name)) await publishOnce(from, path.join(out, name));
        }
      } else {
        planned = await setupShardedRun(o, { ...how, selectOut: out });
      }
      const queue = openQueue(url, f.queue, timeouts);
      let counts;
      try {
        counts = await withRedis(url, async () => {
          const replaced = planned.replaced;
          if (replaced?.mode === 'redis') await dropPlanJobs(queue, replaced.planId, replaced.shards.map((s) => s.id));
          return enqueueShards(queue, planned.jobs, retry);
        });
      } finally {
        await queue.close().catch(() => undefined);
      }
      const summary = {
        out, planId: planned.plan.planId, shards: planned.plan.shards.length, images: planned.plan.images, missingImages: planned.missingImages,
        models: planned.plan.models, queue: f.queue, redis: redactRedisUrl(url), ...counts,
        ...(planned.classification ? { classification: planned.classification } : {}),
      };
      if (f.json) {
        process.stdout.write(JSON.stringify(summary) + '\n');
        return;
      }
      if (planned.classification) process.stderr.write(`classification skipped: ${planned.classification.reason}. ${planned.classification.hint}\n`);
      process.stdout.write(
        `planned ${summary.shards} shards (${summary.images} images${summary.missingImages ? `, ${summary.missingImages} selected images without image rows` : ''}) ` +
          `on queue ${summary.queue} at ${summary.redis}: ${counts.added} added, ${counts.retried} failed ones retried, ${counts.kept} already there\n` +
          `next: oidstream worker --redis <url> (on each machine); oidstream status --out ${out}; oidstream merge --out ${out}\n`,
      );
    });
}
