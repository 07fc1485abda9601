import path from 'node:path';

/** File names inside a run directory (OUT). Stages write them; the report and resume read them. */
export const RUN_FILES = {
  boxes: 'boxes.parquet',
  labelsSummary: 'labels-summary.json',
  images: 'images.parquet',
  chips: 'chips.parquet',
  chipsDir: 'chips',
  predictions: 'predictions.parquet',
  errors: 'errors.jsonl',
  runJson: 'run.json',
  report: 'report.html',
  reportAssets: 'report-files',
  ledger: '.oidstream/ledger.json',
  work: '.oidstream',
} as const;

export function runPath(out: string, file: keyof typeof RUN_FILES): string {
  return path.join(out, RUN_FILES[file]);
}
