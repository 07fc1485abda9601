import os from 'node:os';
import { UnrecoverableError } from 'bullmq';
import type { SandboxedJob } from 'bullmq';
import type { ShardJob, ShardResult } from './shard-job.js';
import { processShard } from './shard-work.js';

// BullMQ forks this file per worker slot. If the worker process dies (kill -9, OOM), the IPC channel closes:
// stop too, rather than finish a shard nobody holds the lock for any more.
process.on('disconnect', () => process.exit(1));

export default async function shardProcessor(job: SandboxedJob<ShardJob, ShardResult>): Promise<ShardResult> {
  try {
    // the worker (parent) process is the one status should name
    return await processShard(job.data, { attempt: job.attemptsMade + 1, worker: `${os.hostname()}:${process.ppid}` });
  } catch (err) {
    // a superseded plan never becomes current again: no retries (BullMQ matches the error by name across the sandbox)
    if ((err as { code?: string }).code === 'PLAN_MISMATCH') throw Object.assign(new UnrecoverableError((err as Error).message), { code: 'PLAN_MISMATCH' });
    throw err;
  }
}
