import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';

export type StageStatus = 'running' | 'done' | 'skipped' | 'reused' | 'failed';

export interface StageRecord {
  name: string;
  status: StageStatus;
  startedAt: string;
  ms: number;
  counts: Record<string, number>;
  note?: string;
}

export interface ClassificationStatus {
  status: 'done' | 'skipped' | 'pending';
  reason?: string;
  /** One line telling the user how to get a model. */
  hint?: string;
}

/** Content of OUT/run.json (written by @oidstream/pipeline's RunRecorder while a run goes). */
export interface RunRecord {
  tool: 'oidstream';
  status: 'running' | 'done' | 'failed';
  startedAt: string;
  finishedAt?: string;
  ms?: number;
  args: Record<string, unknown>;
  versions: Record<string, string>;
  backend?: string;
  models: { name: string; source: string }[];
  classification: ClassificationStatus;
  stages: StageRecord[];
  counts: Record<string, number>;
  errors: { total: number; byStage: Record<string, number> };
  peakRssBytes: number;
  /** How often the run was resumed after an interruption. */
  resumes: number;
  /**
   * `--precision int8`: per model, the precision it ran in and keras-models' Int8Report (weight mode, calibration
   * method, top-1 agreement with FP32 on the calibration sample, cache key…).
   */
  int8?: Record<string, { precision: string; weights: string; top1Agreement: number; images: number; [k: string]: unknown }>;
  /** The slowest parts of the partitioned stages (chips, classify), slowest first. */
  slowest?: { stage: string; item: string; ms: number; rows?: number }[];
  failure?: string;
}

export async function readRunRecord(file: string): Promise<RunRecord | undefined> {
  if (!existsSync(file)) return undefined;
  return JSON.parse(await readFile(file, 'utf8')) as RunRecord;
}

