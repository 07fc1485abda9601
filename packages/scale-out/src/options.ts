/**
 * The defaults and flag parsers a CLI needs to declare scale-out options, without loading bullmq, ioredis or the
 * Parquet stack (`@oidstream/scale-out/options`): `oidstream <command> --help` stays fast. index.ts re-exports all of it.
 */
export { parseShardArg, checkShardIndex } from './shard-arg.js';
export type { ShardIndex } from './shard-arg.js';

/** Defaults of the queue and the workers, in one place. */
export const QUEUE_DEFAULTS = {
  queue: 'oidstream',
  /** Attempts per shard (first run + retries). */
  attempts: 3,
  /** First retry delay; doubles each retry (BullMQ exponential backoff). */
  backoffMs: 5_000,
  /** Shards one worker runs at once (each in its own child process). */
  concurrency: 1,
  /** A shard whose worker stops renewing this lock (crash, kill -9, lost machine) is handed to another worker. */
  lockDurationMs: 60_000,
  /** How often workers look for such stalled shards. */
  stalledIntervalMs: 30_000,
  /** Stalls a shard may survive before it counts as failed. */
  maxStalledCount: 2,
  /** An idle worker given --exit-when-idle leaves after the queue has been empty this long. */
  idleMs: 3_000,
  /** A starting worker waits this long for Redis to answer. */
  waitForRedisMs: 60_000,
} as const;

/**
 * Time limits for talking to Redis. A Redis that accepts connections but never answers (a half-dead server, a proxy
 * in front of a stopped one) would otherwise hang every command for ever.
 */
export interface RedisTimeouts {
  /** TCP (and TLS) connect (ms). */
  connectTimeoutMs?: number;
  /** From connecting to the first answer: AUTH, the ready check and a PING (ms). */
  readyTimeoutMs?: number;
  /** Any single non-blocking command (ms). */
  commandTimeoutMs?: number;
}

/** Generous enough for a slow but live network. */
export const REDIS_TIMEOUT_DEFAULTS: Required<RedisTimeouts> = {
  connectTimeoutMs: 10_000,
  readyTimeoutMs: 15_000,
  commandTimeoutMs: 30_000,
};

/** How a run is cut into shards when no shard count is given. */
export const SHARD_PLAN_DEFAULTS = { imagesPerShard: 200 } as const;
