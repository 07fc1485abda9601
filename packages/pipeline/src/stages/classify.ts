import path from 'node:path';
import {
  closeClassifier,
  openClassifier,
  type BackendChoice,
  type ClassifierModel,
  type PreprocessMode,
  predictionColumnSpecs,
  PREDICTION_KEY_COLUMNS,
  PREDICTIONS_FILE,
  calibrationSample,
  type Int8Report,
  type Precision,
} from '@oidstream/keras-models';
import { parquetColumns, parquetInfo, readParquetRows } from '@oidstream/parquet-io';
import { PipelineError } from '../errors.js';
import type { Ledger } from '../ledger.js';
import type { ModelSpec } from '../model-choice.js';
import { classifyChipRows, planParts, runInParts } from '@oidstream/part-processor';
import { stageOf, type Progress, type StageProgress } from '../progress.js';

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
  /** fp32 (default) or int8: calibrated on a deterministic sample of the chips (keras-models calibrationSample). */
  precision?: Precision;
  /** int8 calibration images; default: the sample drawn from `chips`. */
  calibrationImages?: Uint8Array[];
  /** Models opened by the caller (kept open); else opened from `models` and closed at the end. */
  loaded?: ClassifierModel[];
  /** Resumable: predictions are checkpointed in this ledger every `rowsPerPart` chips (default 2,000). */
  ledger?: Ledger;
  ledgerKey?: string;
  rowsPerPart?: number;
  progress?: Progress | StageProgress;
  onWarning?: (message: string) => void;
}


export interface ClassifyStageResult {
  file: string;
  rows: number;
  errors: number;
  parts: number;
  partsReused: number;
  partMs: number[];
  ms: number;
  models: { name: string; backend: string; preprocessing: PreprocessMode; precision?: Precision; int8?: Int8Report }[];
}

/** Open every model of the specs (closing those opened if one fails). */
/** A model's precision for summary lines: ', int8 (<weights> weights; int8 top-1 agreement with FP32 … on N chips)', or '' in fp32. */
export function precisionNote(m: ClassifyStageResult['models'][number]): string {
  return m.int8 ? `, ${m.precision} (${m.int8.weights} weights; int8 top-1 agreement with FP32 ${(m.int8.top1Agreement * 100).toFixed(1)} % on ${m.int8.images} chips)` : '';
}

export async function openModels(specs: readonly ModelSpec[], o: Omit<ClassifyStageOptions, 'chips' | 'models' | 'out'>): Promise<ClassifierModel[]> {
  const models: ClassifierModel[] = [];
  try {
    for (const spec of specs) {
      models.push(
        await openClassifier({
          name: spec.name,
          source: spec.source,
          backend: o.backend,
          threads: o.threads,
          cacheDir: o.modelCache,
          preprocessing: o.preprocessing?.[spec.name],
          classIndex: o.classIndex ? { path: o.classIndex } : undefined,
          onWarning: o.onWarning,
          onProgress: o.onWarning,
          ...(o.precision === 'int8' ? { precision: 'int8' as const, int8: { images: o.calibrationImages ?? [] } } : {}),
        }),
      );
    }
    return models;
  } catch (err) {
    await Promise.all(models.map((m) => closeClassifier(m)));
    throw err;
  }
}

/**
 * Run every model over every chip of a chips.parquet (batched, all cores) → `<out>/predictions.parquet`; a chip
 * that cannot be classified is an error row there and a line in errors.jsonl. Resumable in parts with a ledger.
 */
export async function classifyStage(options: ClassifyStageOptions): Promise<ClassifyStageResult> {
  const t0 = performance.now();
  if (options.models.length === 0) throw new PipelineError('NO_MODEL', 'classify needs at least one --model name=<dir|url|.h5>');
  const info = await parquetInfo(options.chips);
  for (const col of ['chip_id', 'chip']) {
    if (!info.columns.includes(col)) {
      throw new PipelineError('BAD_OPTION', `${options.chips} has no ${col} column: is it a chips.parquet from \`oidstream chips\`?`);
    }
  }
  // a chip column of another type would fail once per chip: refuse the file once
  const chipType = (await parquetColumns(options.chips)).find((c) => c.name === 'chip')?.type;
  if (chipType !== 'BYTE_ARRAY') throw new PipelineError('BAD_OPTION', `${options.chips}: column chip is ${chipType}, expected BYTE_ARRAY (JPEG bytes)`);
  const calibrationImages = options.precision === 'int8' && !options.loaded ? (options.calibrationImages ?? (await calibrationSample(readParquetRows(options.chips, { columns: ['chip_id', 'chip'] })))) : undefined;
  const models = options.loaded ?? (await openModels(options.models, { ...options, calibrationImages }));
  const stage = stageOf(options.progress, 'classify', 'chips', info.rows);
  const readCols = [...PREDICTION_KEY_COLUMNS.filter((c) => info.columns.includes(c)), 'chip'];
  const file = path.join(options.out, PREDICTIONS_FILE);
  try {
    const r = await runInParts({
      parts: planParts(info.rows, options.rowsPerPart ?? (options.ledger ? 2000 : Math.max(1, info.rows))),
      stage: 'classify',
      ledger: options.ledger,
      key: options.ledgerKey,
      onWarning: options.onWarning,
      onSkipped: (p) => stage?.add(p.rowEnd - p.rowStart),
      outputs: {
        out: options.out,
        predictions: { file, columns: predictionColumnSpecs(models.map((m) => m.name)) },
        errors: { file: path.join(options.out, 'errors.jsonl'), stages: ['classify'] },
      },
      process: (p, outputs) => {
        const rows = p.rowEnd > p.rowStart ? readParquetRows(options.chips, { columns: readCols, rowStart: p.rowStart, rowEnd: p.rowEnd }) : [];
        const classify = { inFlight: Math.max(2, options.threads ?? 2), ...(options.batchSize ? { batchSize: options.batchSize } : {}) };
        return classifyChipRows(rows, { models, classify, onBox: () => stage?.add(1) }, outputs);
      },
    });
    stage?.end('done', models.map((m) => `${m.name}: ${m.runner.backend}`).join(', '));
    return {
      file, rows: r.predictions, errors: r.errors, parts: r.parts, partsReused: r.partsReused, partMs: r.partMs, ms: performance.now() - t0,
      models: models.map((m) => ({ name: m.name, backend: m.runner.backend, preprocessing: m.preprocessing, ...(m.int8 ? { precision: m.precision, int8: m.int8 } : {}) })),
    };
  } catch (err) {
    stage?.end('failed');
    throw err;
  } finally {
    if (!options.loaded) await Promise.all(models.map((m) => closeClassifier(m)));
  }
}
