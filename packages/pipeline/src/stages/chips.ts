import path from 'node:path';
import { CHIPS_FILE, chipsColumns, parquetImageSource, resolveChipOptions, type BoxRow, type ChipOptions } from '@oidstream/chip-extract';
import type { ClassifierModel, ClassifyOptions } from '@oidstream/keras-models';
import { parquetColumns, parquetInfo, readParquetRows, type ColumnSpec } from '@oidstream/parquet-io';
import type { Ledger } from '../ledger.js';
import { stageOf, type Progress, type StageProgress } from '../progress.js';
import { planChipParts, processPart, runInParts } from '@oidstream/part-processor';

export { CHIPS_FILE };
export const CHIP_ERRORS_FILE = 'errors.jsonl';
/** Progress note of run's chips stage when a part's boxes are cut and only its chips in flight are left to classify. */
export const CUT_DONE_NOTE = 'boxes cut; classifying the chips in flight';

export interface ChipsStageOptions extends ChipOptions {
  /** boxes.parquet from `oidstream select`, or box rows streamed from an earlier stage with their column spec. */
  boxes: string | { rows: AsyncIterable<BoxRow> | Iterable<BoxRow>; columns: ColumnSpec[] };
  /** images.parquet from `oidstream pack`. */
  images: string;
  /** Output folder: chips.parquet, chips/<DisplayName>/<ImageID>_<n>.jpg, errors.jsonl (+ predictions.parquet). */
  out: string;
  /** Also write one JPEG file per chip (default true). */
  chipFiles?: boolean;
  /** Classify every chip in the same pass (one decode per image) → predictions.parquet. */
  models?: readonly ClassifierModel[];
  classify?: Omit<ClassifyOptions, 'models'>;
  /**
   * keras (default): each model's input is the chip JPEG resized as Keras `load_img` does, pixel for pixel, so the
   * predictions equal `oidstream classify` on chips.parquet and Keras on the chip files. fast: model inputs are
   * resized from the decoded image while the chip is encoded (no JPEG round trip; borderline top-1s may differ).
   */
  resize?: 'fast' | 'keras';
  /** Resumable: outputs are checkpointed in this ledger every `rowsPerPart` boxes (never splitting an image). */
  ledger?: Ledger;
  ledgerKey?: string;
  rowsPerPart?: number;
  progress?: Progress | StageProgress;
  onWarning?: (message: string) => void;
}

export interface ChipsStageResult {
  file: string;
  chips: number;
  errors: number;
  errorsFile: string;
  boxes: number;
  predictions?: number;
  parts: number;
  partsReused: number;
  partMs: number[];
  ms: number;
  /** Bytes of images.parquet actually read vs its size (selective read by ImageID). */
  imageBytesRead: number;
  imageFileBytes: number;
}

/**
 * `oidstream chips` (and, with models, run's chips + classify): boxes + images.parquet → OUT/chips.parquet (box
 * columns + chip_id, chip, chip_width, chip_height, chip_path), OUT/chips/… files, one errors.jsonl line per box
 * that gave no chip, and predictions.parquet when models are given. Outputs appear under their names when complete.
 */
export async function chipsStage(o: ChipsStageOptions): Promise<ChipsStageResult> {
  const t0 = performance.now();
  resolveChipOptions(o); // bad options fail before any output is touched
  const boxesPath = typeof o.boxes === 'string' ? o.boxes : undefined;
  const columns = chipsColumns(boxesPath ? await parquetColumns(boxesPath) : (o.boxes as { columns: ColumnSpec[] }).columns, boxesPath);
  const total = boxesPath ? (await parquetInfo(boxesPath)).rows : undefined;
  const stage = stageOf(o.progress, 'chips', 'boxes', total);
  const models = o.models ?? [];
  const images = parquetImageSource(o.images);
  const parts = boxesPath && o.ledger ? await planChipParts(boxesPath, o.rowsPerPart ?? 5000) : [{ rowStart: 0, rowEnd: total ?? Infinity }];
  // the predictions schema lives with the models: loaded only when there are models
  const keras = models.length ? await import('@oidstream/keras-models') : undefined;
  const file = path.join(o.out, CHIPS_FILE);
  const errorsFile = path.join(o.out, CHIP_ERRORS_FILE);
  const r = await runInParts({
    parts,
    stage: 'chips',
    ledger: o.ledger,
    key: o.ledgerKey,
    onWarning: o.onWarning,
    onSkipped: (p) => stage?.add(p.rowEnd - p.rowStart),
    outputs: {
      out: o.out,
      chipFiles: o.chipFiles ?? true,
      chips: { file, columns },
      predictions: keras && { file: path.join(o.out, keras.PREDICTIONS_FILE), columns: keras.predictionColumnSpecs(models.map((m) => m.name)) },
      errors: { file: errorsFile, stages: models.length ? ['chips', 'classify'] : ['chips'] },
    },
    process: (p, outputs) => {
      const boxes = boxesPath ? (p.rowEnd > p.rowStart ? readParquetRows(boxesPath, { rowStart: p.rowStart, rowEnd: p.rowEnd }) : []) : (o.boxes as { rows: AsyncIterable<BoxRow> }).rows;
      return processPart({ boxes, images, chip: o, models, classify: o.classify, resize: o.resize, onBox: () => stage?.add(1), onCutDone: () => stage?.note(CUT_DONE_NOTE) }, outputs);
    },
  }).catch((err: unknown) => {
    stage?.end('failed');
    throw err;
  });
  stage?.end('done', `${r.chips} chips, ${r.errors} errors`);
  return {
    file, chips: r.chips, errors: r.errors, errorsFile, boxes: r.boxes, predictions: models.length ? r.predictions : undefined,
    parts: r.parts, partsReused: r.partsReused, partMs: r.partMs, ms: performance.now() - t0,
    imageBytesRead: images.stats.bytesRead, imageFileBytes: images.stats.fileBytes,
  };
}
