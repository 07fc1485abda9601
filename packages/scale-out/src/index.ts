export { ScaleOutError } from './errors.js';
export type { ScaleOutErrorCode } from './errors.js';
export { DEFAULT_REDIS_URL, REDIS_URL_ENV, REDIS_CA_ENV, resolveRedisUrl, parseRedisUrl, redactRedisUrl } from './redis-url.js';
export { REDIS_TIMEOUT_DEFAULTS, resolveRedisTimeouts, queueConnection, checkRedis, waitForRedis, withRedis, redisError } from './redis-connect.js';
export type { RedisTimeouts } from './redis-connect.js';
export { startLocalRedis, findRedisServer, freePort, makeTestTls } from './redis-server.js';
export type { LocalRedis, LocalRedisTls } from './redis-server.js';
export { planShards, locateImages, planId, shardId, SHARD_PLAN_DEFAULTS } from './shard-plan.js';
export type { ShardSegment, ShardSpec, ImagePlace, ShardPlanOptions } from './shard-plan.js';
export { parseShardArg, checkShardIndex } from './shard-arg.js';
export type { ShardIndex } from './shard-arg.js';
export type { ShardJob, ShardResult, ShardTimings, ShardChipOptions } from './shard-job.js';
export {
  PARTS_DIR, partsDir, partPath, partMetaPath, partErrorsPath, planPath, planRecord, writePlan, readPlan, readPartMeta, listPartFiles, checkCurrentPlan,
} from './shard-files.js';
export type { ShardPlanRecord } from './shard-files.js';
export { planRun } from './shard-enqueue.js';
export type { PlanRunOptions, PlannedRun } from './shard-enqueue.js';
export { QUEUE_DEFAULTS, shardJobId, openQueue, enqueueShards, dropPlanJobs, shardStates } from './shard-queue.js';
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
