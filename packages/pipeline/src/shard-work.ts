import type { ShardJob, ShardResult } from './shard-job.js';

export async function processShard(_job: ShardJob, _ctx: { attempt: number }): Promise<ShardResult> {
  throw new Error('processShard: wiring to the chips stage pending');
}
