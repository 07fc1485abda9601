// run, report, progress, evaluation, bench (issue 5)
export { runPipeline, RUN_DEFAULTS, STAGES } from './run.js';
export type { RunOptions, RunResult } from './run.js';
export { writeReport } from './report.js';
export type { ReportResult } from './report.js';
export { collectReportData, REPORT_DEFAULTS } from './report-data.js';
export type { ReportData, ReportOptions, Thumb } from './report-data.js';
export { renderChart, labelDistributionSpec, boxesPerClassSpec, boxSizeSpec, agreementSpec } from './charts.js';
export type { Chart } from './charts.js';
export { AgreementCounter, BIG_CAT_WNID, FAMILY_WNIDS, modelsInColumns, parseTop5 } from './evaluate.js';
export type { ModelAgreement, PredictionRow, Top5Entry } from './evaluate.js';
export { Progress, StageProgress, counted, formatProgressLine, jsonLinesSink, plainSink, ttySink, cliProgressSink } from './progress.js';
export type { ProgressEvent, ProgressSink, ProgressOptions } from './progress.js';
export { RunRecorder, readRunRecord } from './run-record.js';
export type { RunRecord, StageRecord, StageStatus, ClassificationStatus } from './run-record.js';
export { Ledger, argsKey } from './ledger.js';
export type { LedgerEntry, LedgerFile } from './ledger.js';
export { chooseModels, parseModelSpecs, HOSTED_MOBILENET_URL, ADD_MODEL_HINT } from './model-choice.js';
export type { ModelSpec, ModelChoice } from './model-choice.js';
export { classifyInParts } from './classify-parts.js';
export { chipsInParts, planChipParts } from './chips-parts.js';
export { runBench } from './bench.js';
export type { BenchOptions } from './bench.js';
export { PipelineError } from './errors.js';
export type { PipelineErrorCode } from './errors.js';
// scale-out: BullMQ workers, stateless shards, merge (issue 6)
export * from './scale-out.js';
