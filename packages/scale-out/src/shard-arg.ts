import { ScaleOutError } from './errors.js';

export interface ShardIndex {
  /** 0-based: Kubernetes' JOB_COMPLETION_INDEX, AWS Batch's AWS_BATCH_JOB_ARRAY_INDEX. */
  index: number;
  count: number;
}

/** `"3/8"` → { index: 3, count: 8 }; BAD_SHARD otherwise. */
export function parseShardArg(value: string): ShardIndex {
  const m = /^(\d+)\/(\d+)$/.exec(value.trim());
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!m || count < 1 || index >= count) {
    throw new ScaleOutError('BAD_SHARD', `--shard ${JSON.stringify(value)}: expected i/N with 0 ≤ i < N, e.g. 0/8`);
  }
  return { index, count };
}

/** The same check for a shard given as numbers. */
export function checkShardIndex(shard: ShardIndex): ShardIndex {
  const { index, count } = shard;
  if (!Number.isInteger(index) || !Number.isInteger(count) || count < 1 || index < 0 || index >= count) {
    throw new ScaleOutError('BAD_SHARD', `shard ${index}/${count}: expected 0 ≤ i < N`);
  }
  return shard;
}
