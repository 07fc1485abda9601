import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { classifyRecords, closeClassifier, openClassifier, type BackendChoice, type ClassifierModel } from '@oidstream/keras-models';
import { parquetInfo, readParquetRows, writeParquet } from '@oidstream/parquet-io';
import type { Ledger } from './ledger.js';
import { mergeParquetParts } from './merge-parts.js';
import type { ModelSpec } from './model-choice.js';
import { partFile, planParts } from './part-plan.js';
import type { StageProgress } from './progress.js';
import { PREDICTION_KEY_COLUMNS, PREDICTIONS_FILE, predictionColumnSpecs } from './stages/classify.js';

export interface ClassifyPartsOptions {
  out: string;
  chips: string;
  models: ModelSpec[];
  ledger: Ledger;
  backend?: BackendChoice;
  batchSize?: number;
  threads?: number;
  /** Chips per part: the unit of resume. Default 2,000. */
  rowsPerPart?: number;
  progress?: StageProgress;
  onWarning?: (message: string) => void;
  /** Parts are reused only when recorded with this key (the run passes its model list). */
  key?: string;
}

export interface ClassifyPartsResult {
  file: string;
  rows: number;
  parts: number;
  partsReused: number;
  backends: Record<string, string>;
}

/**
 * The classify stage in resumable parts: chips.parquet rows [a, b) → the models (opened once) → a part file
 * committed atomically and recorded in the ledger. A rerun skips recorded parts; the parts are merged into
 * predictions.parquet in order at the end, so the result equals a run that was never interrupted.
 */
export async function classifyInParts(o: ClassifyPartsOptions): Promise<ClassifyPartsResult> {
  const info = await parquetInfo(o.chips);
  const parts = planParts(info.rows, o.rowsPerPart ?? 2000);
  const names = o.models.map((m) => m.name);
  const columns = predictionColumnSpecs(names);
  const readCols = [...PREDICTION_KEY_COLUMNS.filter((c) => info.columns.includes(c)), 'chip'];
  o.progress?.setTotal(info.rows);
  const models: ClassifierModel[] = [];
  const backends: Record<string, string> = {};
  let reused = 0;
  try {
    for (const part of parts) {
      const file = partFile(o.out, 'classify', part, '.parquet');
      const rel = path.relative(o.out, file);
      if (await o.ledger.finishedPart('classify', part.key, o.key)) {
        reused++;
        o.progress?.add(part.rowEnd - part.rowStart);
        continue;
      }
      if (models.length === 0) {
        // Models load only when a part needs them: a fully resumed stage never pays for it.
        for (const spec of o.models) {
          const m = await openClassifier({ name: spec.name, source: spec.source, backend: o.backend ?? "auto", onWarning: o.onWarning, onProgress: o.onWarning, ...(o.threads ? { threads: o.threads } : {}) });
          models.push(m);
          backends[m.name] = m.runner.backend;
        }
      }
      const t0 = performance.now();
      await mkdir(path.dirname(file), { recursive: true });
      const input = part.rowEnd > part.rowStart ? readParquetRows(o.chips, { columns: readCols, rowStart: part.rowStart, rowEnd: part.rowEnd }) : [];
      const progress = o.progress;
      async function* slim() {
        // undefined would override the package defaults: pass only what was given
        const opts = { models, inFlight: Math.max(2, o.threads ?? 2), ...(o.batchSize ? { batchSize: o.batchSize } : {}) };
        for await (const r of classifyRecords(input, opts)) {
          progress?.add(1);
          delete r.chip; // the bytes stay in chips.parquet
          yield r;
        }
      }
      const written = await writeParquet(file, columns, slim()); // temp name + rename
      await o.ledger.markPart('classify', part.key, [rel], performance.now() - t0, { rows: written.rows }, o.key);
    }
  } finally {
    await Promise.all(models.map((m) => closeClassifier(m)));
  }
  const file = path.join(o.out, PREDICTIONS_FILE);
  const merged = await mergeParquetParts(parts.map((p) => partFile(o.out, 'classify', p, '.parquet')), file, columns);
  return { file, rows: merged.rows, parts: parts.length, partsReused: reused, backends };
}

/** Drop a stage's part files once its merged output is recorded. */
export async function removeParts(out: string, stage: string): Promise<void> {
  await rm(path.join(out, '.oidstream', 'parts', stage), { recursive: true, force: true });
}
