import path from 'node:path';
import type { Command } from 'commander';
import { resolveRedisUrl, redactRedisUrl } from '../redis-url.js';
import { ScaleOutError } from '../scale-out-error.js';
import { planRun } from '../shard-enqueue.js';
import { QUEUE_DEFAULTS, checkRedis, enqueueShards, openQueue } from '../shard-queue.js';
import { SHARD_PLAN_DEFAULTS } from '../shard-plan.js';
import { prepareSelection } from '../shard-selection.js';

function positiveInt(flag: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new ScaleOutError('BAD_SHARD', `${flag} must be a positive integer, got ${JSON.stringify(v)}`);
    return n;
  };
}

const collect = (v: string, all: string[]) => [...all, v];

export interface EnqueueFlags {
  data?: string;
  boxes?: string;
  images: string[];
  out: string;
  redis?: string;
  queue: string;
  model: string[];
  backend?: string;
  shards?: number;
  imagesPerShard: number;
  attempts: number;
  backoff: number;
  chipFiles?: boolean;
  force?: boolean;
  json?: boolean;
  [selectOption: string]: unknown;
}

export function registerEnqueue(program: Command): void {
  const cmd = program
    .command('enqueue')
    .description('plan a distributed run: select once, split the images into shard jobs on a Redis (BullMQ) queue for `oidstream worker`s')
    .option('--data <dir>', 'OID data directory (the selection runs here, once)')
    .option('--boxes <boxes.parquet>', 'use an existing selection instead of --data')
    .option('--images <file>', 'image Parquet file(s) to shard (repeatable; default: the data dir\'s images.parquet, or its images/ folder packed into OUT/images.parquet)', collect, [])
    .requiredOption('--out <dir>', 'run directory, on a filesystem every worker sees at the same path')
    .option('--redis <url>', 'Redis URL, redis://[user:pass@]host:port[/db] or rediss:// for TLS (default: $OIDSTREAM_REDIS_URL, else redis://127.0.0.1:6379)')
    .option('--queue <name>', 'queue name', QUEUE_DEFAULTS.queue)
    .option('--model <name=source>', 'classify chips with this Keras model (repeatable); none → chips only', collect, [])
    .option('--backend <name>', 'inference backend: auto, onnx, tfjs-node, wasm')
    .option('--shards <n>', 'exactly this many shards', positiveInt('--shards'))
    .option('--images-per-shard <n>', 'else: about this many images per shard', positiveInt('--images-per-shard'), SHARD_PLAN_DEFAULTS.imagesPerShard)
    .option('--attempts <n>', 'attempts per shard before it fails', positiveInt('--attempts'), QUEUE_DEFAULTS.attempts)
    .option('--backoff <ms>', 'delay before the first retry (doubles each retry)', positiveInt('--backoff'), QUEUE_DEFAULTS.backoffMs)
    .option('--chip-files', 'also write one JPEG per chip under OUT/chips/')
    .option('--force', 'replace another sharded run planned in OUT')
    .option('--json', 'print the plan summary as JSON');
  cmd.action(async (opts: EnqueueFlags) => {
    const url = resolveRedisUrl(opts.redis);
    await checkRedis(url); // before the selection, which may take minutes
    const out = path.resolve(opts.out);
    const selection = await prepareSelection({ ...opts, out }, cmd);
    const planned = await planRun({
      out,
      boxes: selection.boxes,
      images: selection.images,
      models: opts.model,
      backend: opts.backend,
      chipFiles: opts.chipFiles,
      shards: opts.shards,
      imagesPerShard: opts.imagesPerShard,
      mode: 'redis',
      queue: opts.queue,
      force: opts.force,
    });
    const queue = openQueue(url, opts.queue);
    let counts;
    try {
      counts = await enqueueShards(queue, planned.jobs, { attempts: opts.attempts, backoffMs: opts.backoff });
    } finally {
      await queue.close();
    }
    const summary = {
      out,
      planId: planned.plan.planId,
      shards: planned.plan.shards.length,
      images: planned.plan.images,
      missingImages: planned.missingImages,
      queue: opts.queue,
      redis: redactRedisUrl(url),
      ...counts,
    };
    if (opts.json) process.stdout.write(JSON.stringify(summary) + '\n');
    else {
      process.stdout.write(
        `planned ${summary.shards} shards (${summary.images} images${summary.missingImages ? `, ${summary.missingImages} selected images without image rows` : ''}) ` +
          `on queue ${summary.queue} at ${summary.redis}: ${counts.added} added, ${counts.retried} failed ones retried, ${counts.kept} already there\n` +
          `next: oidstream worker --redis <url> (on each machine), oidstream status --out ${out}, oidstream merge --out ${out}\n`,
      );
    }
  });
}
