import path from 'node:path';
import { BOX_COLUMNS, type LabelsSummary, type SelectBoxesOptions, selectBoxes } from '@oidstream/oid-join';
import { ParquetFileWriter } from '@oidstream/parquet-io';
import { writeFileAtomic } from '../atomic-write.js';
import { PipelineError } from '../errors.js';

// The selection itself lives in @oidstream/oid-join; these names stay importable from here for the pipeline.
export { selectBoxes, SELECT_DEFAULTS, BOX_COLUMNS } from '@oidstream/oid-join';
export type { SelectBoxesOptions as SelectOptions, SelectionOptions, SelectedBox, LabelsSummary, ClassSummary, SelectProgress } from '@oidstream/oid-join';

export interface SelectStageOptions extends SelectBoxesOptions {
  /** Output dir: boxes.parquet and labels-summary.json go here. */
  out: string;
}

export interface SelectStageResult {
  boxesPath: string;
  summaryPath: string;
  /** Boxes written. */
  boxes: number;
  /** Selected images (positive label of a chosen class, within the per-class limit). */
  images: number;
  counts: { classes: number; selectedImages: number; boxes: number; imagesWithBoxes: number; badRows: number };
  summary: LabelsSummary;
}

/** `selectBoxes` written out: OUT/boxes.parquet (atomic) and OUT/labels-summary.json (atomic). */
export async function selectStage(options: SelectStageOptions): Promise<SelectStageResult> {
  if (!options.out) throw new PipelineError('BAD_OPTION', 'select needs an output dir (--out)');
  const boxesPath = path.join(options.out, 'boxes.parquet');
  const summaryPath = path.join(options.out, 'labels-summary.json');
  const selection = selectBoxes(options);
  // In batches: one await per batch, not per box (tens of thousands of boxes).
  const writer = ParquetFileWriter.open(boxesPath, BOX_COLUMNS);
  try {
    for await (const batch of selection.batches()) for (const box of batch) writer.write(box);
    writer.finish();
  } catch (err) {
    writer.abort();
    throw err;
  }
  const summary = selection.summary!;
  await writeFileAtomic(summaryPath, JSON.stringify(summary, null, 2) + '\n');
  return {
    boxesPath,
    summaryPath,
    boxes: summary.totals.boxes,
    images: summary.totals.selectedImages,
    counts: {
      classes: summary.classes.length, selectedImages: summary.totals.selectedImages, boxes: summary.totals.boxes,
      imagesWithBoxes: summary.totals.imagesWithBoxes, badRows: summary.badRows.count,
    },
    summary,
  };
}
