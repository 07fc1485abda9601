import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import {
  classifyRecords,
  closeClassifier,
  openClassifier,
  type BackendChoice,
  type ClassifierModel,
  type PreprocessMode,
  predictionColumnSpecs,
  PREDICTION_KEY_COLUMNS,
  PREDICTIONS_FILE,
} from '@oidstream/keras-models';
import { parquetInfo, readParquetRows, writeParquet } from '@oidstream/parquet-io';
import { PipelineError } from '../errors.js';
import type { ModelSpec } from '../model-choice.js';
import type { Progress } from '../progress.js';

export interface ClassifyStageOptions {
  /** chips.parquet (chip_id, ImageID, LabelName, DisplayName, chip …). */
  chips: string;
  /** `name=source` models; names prefix the prediction columns. */
  models: ModelSpec[];
  /** Output directory: `<out>/predictions.parquet`. */
  out: string;
  /** Default 'auto' (onnx → tfjs-node → wasm). */
  backend?: BackendChoice;
  /** Images per predict() call. Default 16. */
  batchSize?: number;
  /** Explicit imagenet_class_index.json (else beside the model, ~/.keras/models, or downloaded there). */
  classIndex?: string;
  /** Cache for models given as http(s) URLs. */
  modelCache?: string;
  /** Backend threads / worker threads. Default: all cores. */
  threads?: number;
  /** Per-model preprocessing override (name → mode). */
  preprocessing?: Record<string, PreprocessMode>;
  progress?: Progress;
  onWarning?: (message: string) => void;
}

export { predictionColumnSpecs, PREDICTION_KEY_COLUMNS, PREDICTIONS_FILE }; // the schema lives in keras-models

export interface ClassifyStageResult {
  file: string;
  rows: number;
  ms: number;
  models: { name: string; backend: string; preprocessing: PreprocessMode }[];
}

/** Run every model over every chip (batched, all cores) and write `<out>/predictions.parquet` atomically. */
export async function classifyStage(options: ClassifyStageOptions): Promise<ClassifyStageResult> {
  const t0 = performance.now();
  if (options.models.length === 0) throw new PipelineError('NO_MODEL', 'classify needs at least one --model name=<dir|url|.h5>');
  const info = await parquetInfo(options.chips);
  for (const col of ['chip_id', 'chip']) {
    if (!info.columns.includes(col)) {
      throw new PipelineError('BAD_OPTION', `${options.chips} has no ${col} column: is it a chips.parquet from \`oidstream chips\`?`);
    }
  }
  const models: ClassifierModel[] = [];
  try {
    for (const spec of options.models) {
      models.push(
        await openClassifier({
          name: spec.name,
          source: spec.source,
          backend: options.backend,
          threads: options.threads,
          cacheDir: options.modelCache,
          preprocessing: options.preprocessing?.[spec.name],
          classIndex: options.classIndex ? { path: options.classIndex } : undefined,
          onWarning: options.onWarning,
          onProgress: options.onWarning,
        }),
      );
    }
    const readCols = [...PREDICTION_KEY_COLUMNS.filter((c) => info.columns.includes(c)), 'chip'];
    const stage = options.progress?.stage('classify', 'chips', info.rows);
    const rows = classifyRecords(readParquetRows(options.chips, { columns: readCols }), {
      models,
      batchSize: options.batchSize,
      inFlight: Math.max(2, options.threads ?? 2),
    });
    async function* slim() {
      for await (const r of rows) {
        stage?.add(1);
        delete r.chip; // the bytes stay in chips.parquet
        yield r;
      }
    }
    await mkdir(options.out, { recursive: true });
    const file = path.join(options.out, PREDICTIONS_FILE);
    let written: { rows: number };
    try {
      written = await writeParquet(file, predictionColumnSpecs(models.map((m) => m.name)), slim()); // temp file + rename
    } catch (err) {
      stage?.end('failed');
      throw err;
    }
    stage?.end('done', models.map((m) => `${m.name}: ${m.runner.backend}`).join(', '));
    return {
      file,
      rows: written.rows,
      ms: performance.now() - t0,
      models: models.map((m) => ({ name: m.name, backend: m.runner.backend, preprocessing: m.preprocessing })),
    };
  } finally {
    await Promise.all(models.map((m) => closeClassifier(m)));
  }
}
