import { Queue } from 'bullmq';
import type { Job, JobState } from 'bullmq';
import { queueConnection } from './redis-connect.js';
import { readPartMeta } from './shard-files.js';
import type { ShardJob, ShardResult } from './shard-job.js';
import { QUEUE_DEFAULTS, type RedisTimeouts } from './options.js';

/** BullMQ job id of a shard: stable, so enqueueing the same plan twice adds nothing. */
export function shardJobId(planId: string, shardId: string): string {
  return `${planId}-${shardId}`;
}

/** A BullMQ queue whose commands fail after the command timeout instead of hanging on a silent Redis. */
export function openQueue(url: string, name: string = QUEUE_DEFAULTS.queue, timeouts: RedisTimeouts = {}): Queue {
  const queue = new Queue(name, { connection: queueConnection(url, timeouts) });
  queue.on('error', () => undefined); // reconnects on its own; callers see failed commands
  return queue;
}

export interface EnqueueOptions {
  attempts?: number;
  backoffMs?: number;
}

/**
 * Add one job per shard. A shard whose job already exists is left alone while it waits, runs or is done;
 * a failed one is retried (enqueueing again is how a user re-runs failed shards after fixing their cause).
 */
export async function enqueueShards(queue: Queue, jobs: readonly ShardJob[], options: EnqueueOptions = {}): Promise<{ added: number; retried: number; kept: number }> {
  const attempts = options.attempts ?? QUEUE_DEFAULTS.attempts;
  const delay = options.backoffMs ?? QUEUE_DEFAULTS.backoffMs;
  let added = 0;
  let retried = 0;
  let kept = 0;
  const fresh: Array<{ name: string; data: ShardJob; opts: { jobId: string; attempts: number; backoff: { type: 'exponential'; delay: number }; removeOnComplete: false; removeOnFail: false } }> = [];
  for (const data of jobs) {
    const jobId = shardJobId(data.planId, data.shard.id);
    const existing = await queue.getJob(jobId);
    if (existing) {
      const state = await existing.getState();
      if (state === 'failed') {
        await existing.retry('failed');
        retried++;
        continue;
      }
      // done in Redis but its part is gone from OUT (deleted, another filesystem): run it again
      if (!(state === 'completed' && !(await readPartMeta(data.out, data.shard.id)))) {
        kept++;
        continue;
      }
      await existing.remove();
    }
    fresh.push({ name: 'shard', data, opts: { jobId, attempts, backoff: { type: 'exponential', delay }, removeOnComplete: false, removeOnFail: false } });
  }
  if (fresh.length) {
    await queue.addBulk(fresh);
    added = fresh.length;
  }
  return { added, retried, kept };
}

export interface ShardJobState {
  id: string;
  state: JobState | 'unknown' | 'missing';
  attemptsMade: number;
  failedReason?: string;
  result?: ShardResult;
  startedAt?: number;
  finishedAt?: number;
}

/** Take the not yet started shards of a replaced plan off the queue (running ones fail on their own: PLAN_MISMATCH). */
export async function dropPlanJobs(queue: Queue, planId: string, shardIds: readonly string[]): Promise<number> {
  let dropped = 0;
  for (const id of shardIds) {
    const job = await queue.getJob(shardJobId(planId, id));
    if (!job) continue;
    const state = await job.getState();
    if (state === 'waiting' || state === 'delayed' || state === 'prioritized') {
      await job.remove();
      dropped++;
    }
  }
  return dropped;
}

/** State of each shard of a plan in the queue. */
export async function shardStates(queue: Queue, planId: string, shardIds: readonly string[]): Promise<ShardJobState[]> {
  const out: ShardJobState[] = [];
  for (const id of shardIds) {
    const job = (await queue.getJob(shardJobId(planId, id))) as Job<ShardJob, ShardResult> | undefined;
    if (!job) {
      out.push({ id, state: 'missing', attemptsMade: 0 });
      continue;
    }
    out.push({
      id,
      state: await job.getState(),
      attemptsMade: job.attemptsMade,
      failedReason: job.failedReason || undefined,
      result: job.returnvalue ?? undefined,
      startedAt: job.processedOn,
      finishedAt: job.finishedOn,
    });
  }
  return out;
}
