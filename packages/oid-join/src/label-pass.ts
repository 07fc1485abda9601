import { type BadRow, type ColumnIndex, type ImageLabelColumn, imageLabelColumns, toImageLabel } from '@oidstream/oid-labels';
import type { ByteKeySet } from './byte-key-set.js';
import type { CsvHeader } from './csv-header.js';
import { type LabelSource, LabelTally } from './labels-summary.js';
import type { LabelDigest } from './label-digest.js';
import { restAlone } from './parallel-scan.js';
import { PerClassSample } from './per-class-sample.js';
import type { PooledLabelFiles } from './pooled-label-file.js';
import { type CsvRow, type ScanStats, emptyScanStats, scanCsvFilesBatches } from './scan-csv.js';
import type { ResolvedSelection, SelectBoxesOptions } from './select-options.js';
import { splitQuoteFreeBatch } from './split-batch.js';
import { ownString } from './own-string.js';

/** How the files are scanned (the options of `selectBoxes` that do not change the result). */
export interface ScanSetup {
  mids: ByteKeySet;
  prefilter: boolean;
  parser: 'auto' | 'csv-parse';
  threads: number;
  rangeBytes: number | undefined;
  onBadRow: (b: BadRow) => void;
}

export interface LabelPass {
  selected: Set<string>;
  tally: LabelTally;
  sample: PerClassSample | undefined;
  stats: ScanStats;
  imagesOf: (mid: string) => number;
}

/**
 * Pass 1: image labels of the chosen classes → the selected ImageIDs (per-class sample when maxPerClass is set).
 * Files in `pooled` were pre-filtered and digested on worker threads (`LabelDigester`); the others are scanned and
 * parsed here. Both give the same rows in the same order.
 */
export async function scanLabels(
  files: { source: LabelSource; files: string[] }[],
  r: ResolvedSelection,
  scan: ScanSetup,
  onProgress: SelectBoxesOptions['onProgress'],
  pooled?: PooledLabelFiles,
): Promise<LabelPass> {
  const sel = new LabelSelection(r);
  const stats = emptyScanStats();
  const progress = (p: { file: string; bytesRead: number; totalBytes: number }): void => onProgress?.({ phase: 'labels', ...p });
  const scanOptions = { where: { LabelName: scan.mids }, prefilter: scan.prefilter, parser: scan.parser, threads: scan.threads, rangeBytes: scan.rangeBytes, onBadRow: scan.onBadRow, onProgress: progress };
  for (const { source, files: list } of files) {
    const rows = new LabelRows(sel, source, scan.onBadRow);
    for (const file of list) {
      const header = pooled?.header(file);
      if (!header) {
        for await (const batch of scanCsvFilesBatches([file], { ...scanOptions, stats })) rows.addRows(batch);
        continue;
      }
      const exact = [{ index: header.require('LabelName', file), set: scan.mids }];
      const ranges = pooled!.ranges(file, stats, progress);
      let it = await ranges.next();
      for (; !it.done; it = await ranges.next()) stats.rows += rows.addDigest(it.value.digest, file, header, exact, it.value.lineBase);
      if (it.value.done) continue;
      // A quote: the rest of the file, from the first line not yet taken, is scanned here.
      for await (const batch of restAlone(file, scanOptions, stats, it.value.fromLine, it.value.countedBytes)) rows.addRows(batch);
    }
  }
  return sel.pass(stats);
}

/** The selection state of the label pass: counts per class and source, the selected images. */
class LabelSelection {
  readonly tally: LabelTally;
  private readonly sample: PerClassSample | undefined;
  private readonly perClass = new Map<string, Set<string>>();
  private readonly selected = new Set<string>();

  constructor(r: ResolvedSelection) {
    this.tally = new LabelTally(r.minConfidence);
    this.sample = r.maxPerClass !== undefined ? new PerClassSample(r.maxPerClass, r.seed) : undefined;
  }

  /** One typed row; `owned` when the ImageID string is not a slice of a longer one. */
  add(labelName: string, imageId: string, source: LabelSource, confidence: number, owned: boolean): void {
    if (!this.tally.add(labelName, source, confidence)) return;
    if (this.sample) {
      this.sample.offer(labelName, imageId);
      return;
    }
    const id = owned ? imageId : ownString(imageId);
    let images = this.perClass.get(labelName);
    if (!images) this.perClass.set(labelName, (images = new Set()));
    images.add(id);
    this.selected.add(id);
  }

  pass(stats: ScanStats): LabelPass {
    const { tally, sample, selected, perClass } = this;
    if (sample) {
      for (const id of sample.selected()) selected.add(ownString(id));
      return { selected, tally, sample, stats, imagesOf: (mid) => sample.images(mid).length };
    }
    return { selected, tally, sample, stats, imagesOf: (mid) => perClass.get(mid)?.size ?? 0 };
  }
}

/** Rows of one label source into the selection: parsed rows, or digests of the workers. */
class LabelRows {
  private readonly columns = new Map<CsvHeader, ColumnIndex<ImageLabelColumn>>();

  constructor(private readonly sel: LabelSelection, private readonly source: LabelSource, private readonly onBadRow: (b: BadRow) => void) {}

  addRows(rows: CsvRow[]): void {
    for (const row of rows) {
      let cols = this.columns.get(row.header);
      if (!cols) this.columns.set(row.header, (cols = imageLabelColumns(row.header.names, row.file)));
      const label = toImageLabel(row.fields, cols);
      if (typeof label === 'string') this.onBadRow({ file: row.file, line: row.line, message: label });
      else this.sel.add(label.LabelName, label.ImageID, this.source, label.Confidence, false);
    }
  }

  /** A digest's rows, in line order (its other lines parsed as `addRows` does); returns the rows it held. */
  addDigest(d: LabelDigest, file: string, header: CsvHeader, exact: { index: number; set: ByteKeySet }[], lineBase: number): number {
    const mids = [...exact[0].set.keys()];
    const data = Buffer.from(d.data.buffer, d.data.byteOffset, d.data.length);
    let rows = d.rows;
    for (let k = 0; k < d.classes.length; k++) {
      const cls = d.classes[k];
      if (cls >= 0) {
        this.sel.add(mids[cls], data.toString('latin1', d.offsets[k], d.offsets[k + 1]), this.source, 1, true);
        continue;
      }
      const line = { data: data.subarray(d.offsets[k], d.offsets[k + 1]), lines: [d.lines[k]], offsets: [0] };
      const parsed = splitQuoteFreeBatch(line, file, header, exact, lineBase);
      rows += parsed.length;
      this.addRows(parsed);
    }
    for (let c = 0; c < d.zeros.length; c++) if (d.zeros[c] > 0) this.sel.tally.add(mids[c], this.source, 0, d.zeros[c]);
    return rows;
  }
}
