import { existsSync, statSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import {
  type BadRow, type BoxRecord, type ClassDescription, boxColumns, imageLabelColumns, loadMetadata, selectClasses, toBoxRecord, toImageLabel,
} from '@oidstream/oid-labels';
import { ByteKeySet, type ScanStats, emptyScanStats, scanCsvFilesBatches } from '@oidstream/oid-join';
import { type ColumnSpec, writeParquet } from '@oidstream/parquet-io';
import { writeFileAtomic } from '../atomic-write.js';
import { PipelineError } from '../errors.js';

/** A selected box: every OID box column plus the class display name (the boxes.parquet row). */
export interface SelectedBox extends BoxRecord {
  DisplayName: string;
}

/** boxes.parquet schema (shared contract, CONVENTIONS.md). */
export const BOXES_COLUMNS: readonly ColumnSpec[] = [
  { name: 'ImageID', type: 'STRING' },
  { name: 'Source', type: 'STRING' },
  { name: 'LabelName', type: 'STRING' },
  { name: 'Confidence', type: 'DOUBLE' },
  { name: 'XMin', type: 'DOUBLE' },
  { name: 'XMax', type: 'DOUBLE' },
  { name: 'YMin', type: 'DOUBLE' },
  { name: 'YMax', type: 'DOUBLE' },
  { name: 'IsOccluded', type: 'INT32' },
  { name: 'IsTruncated', type: 'INT32' },
  { name: 'IsGroupOf', type: 'INT32' },
  { name: 'IsDepiction', type: 'INT32' },
  { name: 'IsInside', type: 'INT32' },
  { name: 'DisplayName', type: 'STRING' },
];

export interface SelectOptions {
  /** Data dir (DESIGN.md layout: metadata/, annotations/). */
  data: string;
  /** Display names or MIDs (a string is one CSV row: "Tiger,Lion"). Default with `under` unset: the six big cats. */
  classes?: string | readonly string[];
  /** Every class below these in the hierarchy. */
  under?: string | readonly string[];
  /** Keep image labels with Confidence strictly above this (default 0.99). */
  minConfidence?: number;
  /** Drop boxes flagged 1 (a -1 "unknown" flag is kept). */
  excludeGroupOf?: boolean;
  excludeDepiction?: boolean;
  excludeOccluded?: boolean;
  excludeTruncated?: boolean;
  excludeInside?: boolean;
  /** Drop boxes whose normalised width or height is below this (default 0: keep all). */
  minBoxSize?: number;
  /** Byte-level pre-filter before csv-parse (default true; off only to measure it). */
  prefilter?: boolean;
  /** How kept lines are parsed (default 'auto': quote-free batches split directly; 'csv-parse' to measure it). */
  parser?: 'auto' | 'csv-parse';
  /** Rows that cannot be typed (default: counted, and the first 20 listed in the summary). */
  onBadRow?: (bad: BadRow) => void;
  onProgress?: (p: SelectProgress) => void;
}

/** The options that decide which boxes are selected (as opposed to how the scan runs). */
export type SelectionOptions = Pick<SelectOptions, 'classes' | 'under' | 'minConfidence' | 'minBoxSize' | 'excludeGroupOf' | 'excludeDepiction' | 'excludeOccluded' | 'excludeTruncated' | 'excludeInside'>;

export interface SelectProgress {
  phase: 'labels' | 'boxes';
  file: string;
  bytesRead: number;
  totalBytes: number;
}

export const SELECT_DEFAULTS = {
  minConfidence: 0.99,
  minBoxSize: 0,
  prefilter: true,
  excludeGroupOf: false,
  excludeDepiction: false,
  excludeOccluded: false,
  excludeTruncated: false,
  excludeInside: false,
} as const;

/** Per-class counts of labels-summary.json. */
export interface ClassSummary {
  LabelName: string;
  DisplayName: string;
  /** Image-label rows with Confidence > minConfidence. */
  positiveLabels: number;
  /** Image-label rows with Confidence 0 (verified absent). */
  negativeLabels: number;
  /** Rows in between (machine labels at or below the threshold). */
  belowThresholdLabels: number;
  /** Distinct images with a positive label of this class. */
  selectedImages: number;
  /** Boxes of this class written to boxes.parquet. */
  boxes: number;
}

export interface LabelsSummary {
  minConfidence: number;
  filters: { excludeGroupOf: boolean; excludeDepiction: boolean; excludeOccluded: boolean; excludeTruncated: boolean; excludeInside: boolean; minBoxSize: number };
  classes: ClassSummary[];
  totals: { selectedImages: number; boxes: number; boxesFilteredOut: number; imagesWithBoxes: number };
  files: { metadata: string; labels: string[]; boxes: string[] };
  scan: { labels: ScanStats; boxes: ScanStats; seconds: number };
  badRows: { count: number; first: BadRow[] };
}

export interface DataFiles {
  metadata: string;
  labels: string[];
  boxes: string[];
}

const HUMAN_BOXABLE = '-annotations-human-imagelabels-boxable.csv';
const HUMAN_ALL = '-annotations-human-imagelabels.csv';
const BOXES = '-annotations-bbox.csv';

/**
 * The image-label and box CSVs of a data dir: `annotations/<split>-annotations-human-imagelabels-boxable.csv` (or,
 * for a split without it, `<split>-annotations-human-imagelabels.csv`) and `annotations/<split>-annotations-bbox.csv`,
 * sorted by name. Any split names work.
 */
export async function findDataFiles(data: string): Promise<DataFiles> {
  if (!existsSync(data) || !statSync(data).isDirectory()) throw new PipelineError('DATA_DIR_INVALID', `--data ${data} is not a directory`);
  const metadata = path.join(data, 'metadata');
  const annotations = path.join(data, 'annotations');
  if (!existsSync(metadata)) throw new PipelineError('DATA_DIR_INVALID', `${data} has no metadata/ (class descriptions, hierarchy)`);
  if (!existsSync(annotations)) throw new PipelineError('DATA_DIR_INVALID', `${data} has no annotations/ (labels, boxes)`);
  const names = (await readdir(annotations)).sort();
  const splitsWithBoxable = new Set(names.filter((n) => n.endsWith(HUMAN_BOXABLE)).map((n) => n.slice(0, -HUMAN_BOXABLE.length)));
  const labels = names.filter((n) => n.endsWith(HUMAN_BOXABLE) || (n.endsWith(HUMAN_ALL) && !splitsWithBoxable.has(n.slice(0, -HUMAN_ALL.length))));
  const boxes = names.filter((n) => n.endsWith(BOXES));
  if (labels.length === 0) throw new PipelineError('DATA_DIR_INVALID', `${annotations} has no <split>${HUMAN_BOXABLE}`);
  if (boxes.length === 0) throw new PipelineError('DATA_DIR_INVALID', `${annotations} has no <split>${BOXES}`);
  return { metadata, labels: labels.map((n) => path.join(annotations, n)), boxes: boxes.map((n) => path.join(annotations, n)) };
}

function checkOptions(o: SelectOptions): Required<Pick<SelectOptions, 'minConfidence' | 'minBoxSize'>> {
  const minConfidence = o.minConfidence ?? SELECT_DEFAULTS.minConfidence;
  const minBoxSize = o.minBoxSize ?? SELECT_DEFAULTS.minBoxSize;
  if (typeof minConfidence !== 'number' || !(minConfidence >= 0 && minConfidence <= 1)) {
    throw new PipelineError('BAD_OPTION', `min confidence must be a number from 0 to 1, got ${String(minConfidence)}`);
  }
  if (typeof minBoxSize !== 'number' || !(minBoxSize >= 0 && minBoxSize <= 1)) {
    throw new PipelineError('BAD_OPTION', `min box size must be a number from 0 to 1 (fraction of the image side), got ${String(minBoxSize)}`);
  }
  return { minConfidence, minBoxSize };
}

/**
 * The selection as a stream: `for await (const box of selectBoxes(o))`. Pass 1 scans the image labels of the chosen
 * classes (Confidence > minConfidence → selected ImageIDs); pass 2 streams the boxes of those classes on those images
 * (semi-join), with DisplayName attached and the box filters applied. Memory: the selected ImageID set only.
 * `summary` is filled in when the iteration ends.
 */
export function selectBoxes(options: SelectOptions): SelectedBoxes {
  return new SelectedBoxes(options);
}

export class SelectedBoxes implements AsyncIterable<SelectedBox> {
  /** Filled when iteration completes. */
  summary: LabelsSummary | undefined;
  /** The resolved classes (available after the first `next()`). */
  classes: ClassDescription[] = [];
  private used = false;

  constructor(private readonly options: SelectOptions) {
    checkOptions(options);
  }

  [Symbol.asyncIterator](): AsyncIterator<SelectedBox> {
    if (this.used) throw new PipelineError('BAD_OPTION', 'a selectBoxes() result can be iterated once');
    this.used = true;
    return this.run();
  }

  private async *run(): AsyncGenerator<SelectedBox> {
    const o = this.options;
    const started = performance.now();
    const { minConfidence, minBoxSize } = checkOptions(o);
    const files = await findDataFiles(o.data);
    const { catalog, hierarchy } = loadMetadata(files.metadata);
    const classes = selectClasses(catalog, { classes: o.classes, under: o.under, hierarchy });
    this.classes = classes;
    const mids = new ByteKeySet(classes.map((c) => c.LabelName));
    const perClass = new Map<string, ClassSummary & { images: Set<string> }>(
      classes.map((c) => [c.LabelName, { ...c, positiveLabels: 0, negativeLabels: 0, belowThresholdLabels: 0, selectedImages: 0, boxes: 0, images: new Set<string>() }]),
    );
    const bad: BadRow[] = [];
    let badCount = 0;
    const onBadRow = (b: BadRow): void => {
      badCount++;
      if (bad.length < 20) bad.push(b);
      o.onBadRow?.(b);
    };
    const prefilter = o.prefilter ?? SELECT_DEFAULTS.prefilter;
    const parser = o.parser ?? 'auto';

    // Pass 1: image labels of the chosen classes.
    const selected = new Set<string>();
    const labelStats = emptyScanStats();
    const labelCols = new Map<unknown, ReturnType<typeof imageLabelColumns>>();
    for await (const rows of scanCsvFilesBatches(files.labels, {
      where: { LabelName: mids }, prefilter, parser, stats: labelStats, onBadRow,
      onProgress: (p) => o.onProgress?.({ phase: 'labels', ...p }),
    })) {
      for (const row of rows) {
        let cols = labelCols.get(row.header);
        if (!cols) labelCols.set(row.header, (cols = imageLabelColumns(row.header.names, row.file)));
        const label = toImageLabel(row.fields, cols);
        if (typeof label === 'string') {
          onBadRow({ file: row.file, line: row.line, message: label });
          continue;
        }
        const c = perClass.get(label.LabelName)!;
        if (label.Confidence > minConfidence) {
          c.positiveLabels++;
          const id = ownString(label.ImageID);
          c.images.add(id);
          selected.add(id);
        } else if (label.Confidence === 0) c.negativeLabels++;
        else c.belowThresholdLabels++;
      }
    }

    // Pass 2: boxes of those classes on the selected images.
    const boxStats = emptyScanStats();
    const boxCols = new Map<unknown, ReturnType<typeof boxColumns>>();
    const imagesWithBoxes = new Set<string>();
    let boxesFilteredOut = 0;
    let total = 0;
    if (selected.size > 0) {
      const ids = new ByteKeySet(selected);
      for await (const rows of scanCsvFilesBatches(files.boxes, {
        where: { LabelName: mids, ImageID: ids }, prefilter, parser, stats: boxStats, onBadRow,
        onProgress: (p) => o.onProgress?.({ phase: 'boxes', ...p }),
      })) {
        for (const row of rows) {
          let cols = boxCols.get(row.header);
          if (!cols) boxCols.set(row.header, (cols = boxColumns(row.header.names, row.file)));
          const box = toBoxRecord(row.fields, cols);
          if (typeof box === 'string') {
            onBadRow({ file: row.file, line: row.line, message: box });
            continue;
          }
          if (
            (o.excludeGroupOf && box.IsGroupOf === 1) ||
            (o.excludeDepiction && box.IsDepiction === 1) ||
            (o.excludeOccluded && box.IsOccluded === 1) ||
            (o.excludeTruncated && box.IsTruncated === 1) ||
            (o.excludeInside && box.IsInside === 1) ||
            (minBoxSize > 0 && (box.XMax - box.XMin < minBoxSize || box.YMax - box.YMin < minBoxSize))
          ) {
            boxesFilteredOut++;
            continue;
          }
          const c = perClass.get(box.LabelName)!;
          c.boxes++;
          total++;
          if (!imagesWithBoxes.has(box.ImageID)) imagesWithBoxes.add(ownString(box.ImageID));
          const out = box as SelectedBox;
          out.DisplayName = c.DisplayName;
          yield out;
        }
      }
    } else {
      // Still account for the box files (nothing can match).
      for (const f of files.boxes) boxStats.bytes += statSync(f).size;
    }

    this.summary = {
      minConfidence,
      filters: {
        excludeGroupOf: !!o.excludeGroupOf, excludeDepiction: !!o.excludeDepiction, excludeOccluded: !!o.excludeOccluded,
        excludeTruncated: !!o.excludeTruncated, excludeInside: !!o.excludeInside, minBoxSize,
      },
      classes: [...perClass.values()].map(({ images, ...c }) => ({ ...c, selectedImages: images.size })),
      totals: { selectedImages: selected.size, boxes: total, boxesFilteredOut, imagesWithBoxes: imagesWithBoxes.size },
      files: { metadata: files.metadata, labels: files.labels, boxes: files.boxes },
      scan: { labels: labelStats, boxes: boxStats, seconds: (performance.now() - started) / 1000 },
      badRows: { count: badCount, first: bad },
    };
  }
}

/**
 * A copy of a key that owns its characters. Parsed fields can be slices of a longer string (a line); a slice kept in
 * a Set would keep that whole string alive, so memory would grow with the rows scanned, not the images selected.
 */
function ownString(s: string): string {
  return s.length < 13 ? s : (' ' + s).slice(1);
}

export interface SelectStageOptions extends SelectOptions {
  /** Output dir: boxes.parquet and labels-summary.json go here. */
  out: string;
}

export interface SelectStageResult {
  boxesPath: string;
  summaryPath: string;
  /** Boxes written. */
  boxes: number;
  /** Selected images (positive label of a chosen class). */
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
  await writeParquet(boxesPath, BOXES_COLUMNS, selection as AsyncIterable<SelectedBox & Record<string, unknown>>);
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
