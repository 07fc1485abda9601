// the report: run dir in, OUT/report.html and chart files out (vega is loaded on the first chart)
export { writeReport } from './report.js';
export type { ReportResult } from './report.js';
export { collectReportData, REPORT_DEFAULTS } from './report-data.js';
export type { ReportData, ReportOptions, Thumb } from './report-data.js';
export { renderReportHtml, escapeHtml } from './report-html.js';
export { renderChart, labelDistributionSpec, boxesPerClassSpec, boxSizeSpec, agreementSpec, POSITIVE_COLOR, NEGATIVE_COLOR } from './charts.js';
export type { Chart, LabelCounts } from './charts.js';
// agreement of a model's predictions with the OID labels
export { AgreementCounter, BIG_CAT_WNID, FAMILY_WNIDS, modelsInColumns, parseTop5 } from './evaluate.js';
export type { ModelAgreement, PredictionRow, Top5Entry } from './evaluate.js';
// reading a run directory: its layout, run.json, labels-summary.json, errors.jsonl
export { RUN_FILES, runPath } from './run-files.js';
export { readRunRecord } from './run-record.js';
export type { RunRecord, StageRecord, StageStatus, ClassificationStatus } from './run-record.js';
export { readLabelsSummary, normalizeLabelsSummary, readSelectionNote } from './labels-summary.js';
export type { ClassSummary, SelectionNote } from './labels-summary.js';
export { summarizeErrors, reasonOf } from './error-log.js';
export type { ErrorRecord, ErrorSummary } from './error-log.js';
export { ReportError } from './errors.js';
export type { ReportErrorCode } from './errors.js';
