import os from 'node:os';
import type { SandboxedJob } from 'bullmq';
import type { ShardJob, ShardResult } from './shard-job.js';
import { processShard } from './shard-work.js';

// BullMQ forks this file per worker slot. If the worker process dies (kill -9, OOM), the IPC channel closes:
// stop too, rather than finish a shard nobody holds the lock for any more.
process.on('disconnect', () => process.exit(1));

export default async function shardProcessor(job: SandboxedJob<ShardJob, ShardResult>): Promise<ShardResult> {
  // the worker (parent) process is the one status should name
  return processShard(job.data, { attempt: job.attemptsMade + 1, worker: `${os.hostname()}:${process.ppid}` });
}
