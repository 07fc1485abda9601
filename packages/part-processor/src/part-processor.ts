import { Readable } from 'node:stream';
import { chipRow, errorToJson, extractChips, type BoxRow, type ChipOptions, type ImageSource } from '@oidstream/chip-extract';
import type { ClassifierModel, ClassifyOptions } from '@oidstream/keras-models';

/** Where the processor puts what it makes (StageOutputs for run and chips; a shard's part file for workers). */
export interface PartOutputs {
  chips?: { write(row: Row): void } | undefined;
  predictions?: { write(row: Row): void } | undefined;
  errors: { write(record: { stage: string } & Row): void };
  /** The folder each chip's JPEG file is written under, at its chip_path (chips/<class>/…); undefined: no files. */
  chipFileRoot?: string | undefined;
}

/** One unit of work: boxes of whole images, and where their images are. */
export interface PartWork {
  boxes: AsyncIterable<BoxRow> | Iterable<BoxRow>;
  images: ImageSource;
  chip?: ChipOptions | undefined;
  /** Models to run on every chip (none: chips only). */
  models?: readonly ClassifierModel[] | undefined;
  classify?: Omit<ClassifyOptions, 'models'> | undefined;
  /** keras (default): model inputs from the chip JPEG as Keras `load_img` reads it; fast: from the cut pixels (no JPEG round trip). */
  resize?: 'fast' | 'keras' | undefined;
  /** Called once per box done: at its error, or when its chip is written (with models: classified). */
  onBox?: (() => void) | undefined;
  /** With models: called when every box is cut and only the chips in flight remain to classify. */
  onCutDone?: (() => void) | undefined;
}

export interface PartCounts {
  boxes: number;
  chips: number;
  errors: number;
  predictions: number;
}

type Row = Record<string, unknown>;

/** Chips cut ahead of inference (a few batches; each holds its JPEG, ~50–200 kB at OID sizes). */
const CUT_AHEAD = 64;

/**
 * The one chips→classify path of run, chips, shards and workers: each image is decoded once; every box's chip
 * JPEG and each model's input are made from that decode; chips go to the chips writer (and chip files), model
 * inputs straight to inference, predictions to the predictions writer, every failure to the errors log. Cutting
 * goes on while a batch is in inference.
 */
export async function processPart(work: PartWork, outputs: PartOutputs): Promise<PartCounts> {
  const counts: PartCounts = { boxes: 0, chips: 0, errors: 0, predictions: 0 };
  const models = work.models ?? [];
  const keras = models.length ? await import('@oidstream/keras-models') : undefined; // chips alone never load an engine
  // the chip's pixels come with it from the cut, so inference never decodes the chip again; sampled there at the
  // models' sizes as Keras' nearest resize does (other filters resize the whole chip)
  const chipPixels = !keras ? 'none' : work.resize === 'fast' ? 'cut' : 'file';
  const nearest = (work.classify?.interpolation ?? 'nearest') === 'nearest';
  const pixelSizes = keras && nearest ? keras.modelInputSizes(models) : [];
  async function* boxes(): AsyncGenerator<BoxRow> {
    for await (const b of work.boxes) {
      counts.boxes++;
      yield b;
    }
  }
  async function* cut(): AsyncGenerator<Row> {
    // chip files are written as chips are cut, before their rows reach chips.parquet
    for await (const r of extractChips(boxes(), work.images, { ...work.chip, chipPixels, pixelSizes, writeTo: outputs.chipFileRoot ?? '' })) {
      if (r.kind === 'error') {
        outputs.errors.write({ stage: 'chips', ...errorToJson(r) });
        counts.errors++;
      } else {
        outputs.chips?.write(chipRow(r));
        counts.chips++;
        if (keras) {
          yield { chip_id: r.chip_id, ImageID: r.box.ImageID, LabelName: r.box.LabelName, DisplayName: r.box.DisplayName, chip: r.chip, pixels: r.samples ?? r.pixels };
          continue; // done when classified
        }
      }
      work.onBox?.();
    }
    if (keras) work.onCutDone?.();
  }
  if (!keras) {
    for await (const _ of cut());
    return counts;
  }
  // Cutting runs ahead of inference into a bounded buffer: a pull-only chain would stop cutting while a batch predicts.
  const ahead = Readable.from(cut(), { objectMode: true, highWaterMark: CUT_AHEAD });
  for await (const p of keras.classifyRecords(ahead, { ...work.classify, models: [...models] })) {
    writePrediction(p, outputs, counts);
    work.onBox?.();
  }
  return counts;
}

/**
 * The same processor for chips made earlier (`oidstream classify`, or models added to a finished run): chip rows
 * with their JPEG bytes, decoded and resized as Keras `load_img` does.
 */
export async function classifyChipRows(rows: AsyncIterable<Row> | Iterable<Row>, work: Pick<PartWork, 'models' | 'classify' | 'onBox'>, outputs: PartOutputs): Promise<PartCounts> {
  const counts: PartCounts = { boxes: 0, chips: 0, errors: 0, predictions: 0 };
  const { classifyRecords } = await import('@oidstream/keras-models');
  for await (const p of classifyRecords(rows, { ...work.classify, models: [...(work.models ?? [])] })) {
    writePrediction(p, outputs, counts);
    work.onBox?.();
  }
  return counts;
}

function writePrediction(p: Row, outputs: PartOutputs, counts: PartCounts): void {
  outputs.predictions?.write(p);
  counts.predictions++;
  if (typeof p.classify_error === 'string') {
    outputs.errors.write({ stage: 'classify', ImageID: p.ImageID, chip_id: p.chip_id, code: p.classify_error.split(':')[0], reason: p.classify_error });
    counts.errors++;
  }
}
