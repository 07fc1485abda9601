// the stages, in pipeline order; each writes its outputs atomically and can be called alone
// (the selection itself, findOidFiles and BOX_COLUMNS come from @oidstream/oid-join; re-exported here for convenience)
export { selectStage, selectBoxes, BOX_COLUMNS, SELECT_DEFAULTS } from './stages/select.js';
export type { SelectOptions, SelectStageOptions, SelectStageResult, SelectedBox, LabelsSummary, ClassSummary } from './stages/select.js';
export { packStage } from './stages/pack.js';
export type { PackStageOptions, PackStageResult } from './stages/pack.js';
export { chipsStage, CHIPS_FILE, CHIP_ERRORS_FILE, CUT_DONE_NOTE } from './stages/chips.js';
export type { ChipsStageOptions, ChipsStageResult } from './stages/chips.js';
export { classifyStage, openModels } from './stages/classify.js';
export type { ClassifyStageOptions, ClassifyStageResult } from './stages/classify.js';
export { downloadImages, DOWNLOAD_DEFAULTS } from '@oidstream/oid-download';
export type { DownloadOptions, DownloadSummary } from '@oidstream/oid-download';
// run and progress (the report, evaluation and run-dir readers are @oidstream/report's; the bench @oidstream/bench's)
export { runPipeline, RUN_DEFAULTS, STAGES } from './run.js';
export type { RunOptions, RunResult } from './run.js';
export { Progress, StageProgress, counted, formatProgressLine, jsonLinesSink, plainSink, ttySink, cliProgressSink } from './progress.js';
export type { ProgressEvent, ProgressSink, ProgressOptions } from './progress.js';
export { RunRecorder, readRunRecord } from './run-record.js';
export type { RunRecord, StageRecord, StageStatus, ClassificationStatus } from './run-record.js';
export { Ledger, argsKey } from './ledger.js';
export type { LedgerEntry, LedgerFile } from './ledger.js';
export { chooseModels, HOSTED_MOBILENET_URL, ADD_MODEL_HINT } from './model-choice.js';
export type { ModelSpec, ModelChoice } from './model-choice.js';
export { PipelineError } from './errors.js';
export { COMMAND_NAMES } from './cli.js';
export type { PipelineErrorCode } from './errors.js';
// The pieces of a sharded run that are pipeline's (the queue, workers, plan and merge are @oidstream/scale-out's)
export { runShard } from './shard-run.js';
export type { ShardRunResult } from './shard-run.js';
export { setupShardedRun } from './shard-setup.js';
export type { ShardRunOptions, ShardSetup, ShardedRun } from './shard-setup.js';
