export { ScaleOutError } from './errors.js';
export type { ScaleOutErrorCode } from './errors.js';
// defaults and flag parsers, also light as @oidstream/scale-out/options (no bullmq, ioredis, Parquet)
export { QUEUE_DEFAULTS, REDIS_TIMEOUT_DEFAULTS, SHARD_PLAN_DEFAULTS, parseShardArg, checkShardIndex } from './options.js';
export type { RedisTimeouts, ShardIndex } from './options.js';
export { DEFAULT_REDIS_URL, REDIS_URL_ENV, REDIS_CA_ENV, resolveRedisUrl, parseRedisUrl, redactRedisUrl } from './redis-url.js';
export { resolveRedisTimeouts, queueConnection, checkRedis, waitForRedis, withRedis, redisError } from './redis-connect.js';
export { startLocalRedis, findRedisServer, freePort, makeTestTls } from './redis-server.js';
export type { LocalRedis, LocalRedisTls } from './redis-server.js';
export { planShards, locateImages, planId, shardId } from './shard-plan.js';
export type { ShardSegment, ShardSpec, ImagePlace, ShardPlanOptions } from './shard-plan.js';
export type { ShardJob, ShardResult, ShardTimings, ShardChipOptions } from './shard-job.js';
export {
  PARTS_DIR, partsDir, partPath, partMetaPath, partErrorsPath, planPath, planRecord, writePlan, readPlan, readPartMeta, listPartFiles, checkCurrentPlan,
} from './shard-files.js';
export type { ShardPlanRecord } from './shard-files.js';
export { planRun } from './shard-enqueue.js';
export type { PlanRunOptions, PlannedRun } from './shard-enqueue.js';
export { shardJobId, openQueue, enqueueShards, dropPlanJobs, shardStates } from './shard-queue.js';
export type { EnqueueOptions, ShardJobState } from './shard-queue.js';
export { runWorker, sandboxedShardProcessor } from './shard-worker.js';
export type { ShardProcessor, ShardContext, WorkerEvent, WorkerRunOptions } from './shard-worker.js';
export { mergeParts, predictionColumns as partPredictionColumns } from './shard-merge.js';
export type { MergeOptions, MergeResult } from './shard-merge.js';
export { runStatus, formatStatus } from './shard-status.js';
export type { RunStatus, ShardStatusRow, ShardState } from './shard-status.js';
// the one chips→classify pass per shard (part-processor), for workers and --shard
export { processShard, partColumns, processorFile } from './shard-processor.js';
export type { ShardWorkOptions } from './shard-processor.js';
