/**
 * Shards on a BullMQ queue, served by a worker whose per-shard work is a plain function. Starts a throw-away
 * redis-server on 127.0.0.1 (Debian: apt-get install -y redis-server). Run it:
 * `npx tsx packages/scale-out/samples/queue-local.ts`
 */
import os from 'node:os';
import { pathToFileURL } from 'node:url';
import { enqueueShards, openQueue, runWorker, shardId, shardStates, startLocalRedis } from '@oidstream/scale-out';
import type { ShardJob, ShardProcessor } from '@oidstream/scale-out';

export async function main() {
  const redis = await startLocalRedis();
  try {
    const planId = 'sample-plan';
    // Normally planRun() makes these from a boxes.parquet and the image files; here: 3 shards of 100 rows each.
    const jobs: ShardJob[] = [0, 1, 2].map((index) => ({
      version: 1, planId, out: os.tmpdir(), boxes: 'boxes.parquet', shard: { index, count: 3, id: shardId(index) },
      segments: [{ path: 'images.parquet', rowStart: index * 100, rowEnd: index * 100 + 100, imageIds: [] }], models: [], chipFiles: false,
    }));
    const queue = openQueue(redis.url, 'sample');
    console.log('enqueued', await enqueueShards(queue, jobs));

    // The work of one shard: here it only counts rows; oidstream's cuts chips and classifies them.
    const processor: ShardProcessor = async (job, ctx) => ({
      shard: job.shard.id, planId: job.planId, images: job.segments[0].rowEnd - job.segments[0].rowStart, chips: 0, errors: 0, bytes: 0,
      part: '', worker: ctx.worker, attempt: ctx.attempt, finishedAt: new Date().toISOString(),
      ms: { models: 0, boxes: 0, read: 0, chips: 0, classify: 0, write: 0, total: 0 },
    });
    const done = await runWorker({ url: redis.url, queue: 'sample', processor, exitWhenIdle: true, idleMs: 300 });
    const states = await shardStates(queue, planId, jobs.map((j) => j.shard.id));
    console.log(done, states.map((s) => `${s.id}: ${s.state}, ${s.result?.images} images`).join('; '));
    await queue.close();
    return { done, states };
  } finally {
    await redis.dispose();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
