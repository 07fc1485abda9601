import { mkdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { checkShardIndex, readPartMeta } from '@oidstream/scale-out';
import type { ShardIndex, ShardResult } from '@oidstream/scale-out';
import { processShard } from '@oidstream/scale-out';
import { publishOnce, setupShardedRun } from './shard-setup.js';
import type { ShardRunOptions } from './shard-setup.js';

export interface ShardRunResult extends ShardResult {
  /** The part was complete from an earlier attempt of this index, and kept. */
  reused: boolean;
  classification?: { reason: string; hint: string };
}

/**
 * Stateless shard mode (`oidstream run --shard i/N`, for Kubernetes Indexed Jobs and AWS Batch array jobs): no
 * queue. Every process selects on its own (deterministic, into OUT/.oidstream/shard-i-of-N/), makes the same plan
 * of exactly N shards, processes shard i into OUT/parts/part-<i>.parquet, and leaves. A rerun of a finished index
 * keeps its part (unless `force`). `oidstream merge --out OUT` joins the parts once all N are done.
 */
export async function runShard(options: ShardRunOptions, shard: ShardIndex): Promise<ShardRunResult> {
  checkShardIndex(shard);
  const out = path.resolve(options.out);
  const selectOut = path.join(out, '.oidstream', `shard-${shard.index}-of-${shard.count}`);
  await mkdir(selectOut, { recursive: true });
  const run = await setupShardedRun(options, { mode: 'static', selectOut, shards: shard.count });
  const job = run.jobs[shard.index];
  const done = options.force ? undefined : await readPartMeta(out, job.shard.id);
  let result: ShardResult;
  let reused = false;
  if (done && done.planId === job.planId) {
    result = done;
    reused = true;
  } else {
    result = await processShard(job, { worker: `${os.hostname()}:${process.pid}` });
  }
  // the report of the merged run reads these from OUT, as after a single-machine run
  await publishOnce(run.boxes, path.join(out, 'boxes.parquet'));
  await publishOnce(run.summary, path.join(out, 'labels-summary.json'));
  await rm(selectOut, { recursive: true, force: true }); // N private copies of the selection are not kept
  return { ...result, reused, ...(run.classification ? { classification: run.classification } : {}) };
}
