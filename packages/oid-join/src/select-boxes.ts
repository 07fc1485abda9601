import { statSync } from 'node:fs';
import os from 'node:os';
import { Readable } from 'node:stream';
import { type BadRow, type ClassDescription, boxColumns, loadMetadata, selectClasses, toBoxRecord } from '@oidstream/oid-labels';
import { ByteKeySet } from './byte-key-set.js';
import type { SelectedBox } from './boxes-schema.js';
import { OidJoinError } from './errors.js';
import { filesOfSplits, findOidFiles, splitOfFile } from './find-oid-files.js';
import { type LabelSource, type LabelsSummary, classSummaries } from './labels-summary.js';
import { type LabelPass, scanLabels } from './label-pass.js';
import { BoxDedup } from './box-dedup.js';
import { PooledLabelFiles } from './pooled-label-file.js';
import { BoxPrefetch } from './box-prefetch.js';
import { ScanPool } from './scan-pool.js';
import { type CsvRow, emptyScanStats, scanCsvFilesBatches } from './scan-csv.js';
import { type ResolvedSelection, type SelectBoxesOptions, SELECT_DEFAULTS, resolveSelection } from './select-options.js';

/** Annotation files smaller than this in all are read on this thread alone (a worker costs ~0.1 s to start). */
const WORKERS_MIN_BYTES = 16 << 20;

/** The files one selection reads, after `splits` and `labels` are applied. */
export interface SelectionFiles {
  metadata: string;
  labels: { source: LabelSource; files: string[] }[];
  boxes: string[];
  /** Splits read, sorted. */
  splits: string[];
}

/**
 * The OID selection as an async iterable of typed box records: `for await (const box of selectBoxes({ data }))`.
 * Pass 1 scans the image labels of the chosen classes (Confidence > minConfidence → selected ImageIDs, at most
 * `maxPerClass` per class); pass 2 streams the boxes of those classes on those images (semi-join), with DisplayName
 * attached and the box filters applied, in file order. Memory: the selected ImageID set. Options are checked here
 * (`BAD_OPTIONS`); files are read when iteration starts. `summary` is set when the iteration ends.
 */
export function selectBoxes(options: SelectBoxesOptions): SelectedBoxes {
  return new SelectedBoxes(options);
}

/** Node stream face of `selectBoxes` (object mode, one `SelectedBox` per chunk); emits `summary` before `end`. */
export function selectBoxesStream(options: SelectBoxesOptions): Readable & { selection: SelectedBoxes } {
  const selection = selectBoxes(options);
  const holder: { stream?: Readable } = {};
  const stream = Readable.from(
    (async function* () {
      yield* selection;
      holder.stream!.emit('summary', selection.summary);
    })(),
    { objectMode: true },
  );
  holder.stream = stream;
  return Object.assign(stream, { selection });
}

export class SelectedBoxes implements AsyncIterable<SelectedBox> {
  /** Set when iteration completes. */
  summary: LabelsSummary | undefined;
  /** The resolved classes (set after the first `next()`). */
  classes: ClassDescription[] = [];
  /** The files read (set after the first `next()`). */
  files: SelectionFiles | undefined;
  /** The selected ImageIDs (set when the label pass ends, before the first box). */
  imageIds: ReadonlySet<string> | undefined;
  private readonly resolved: ResolvedSelection;
  private used = false;

  constructor(private readonly options: SelectBoxesOptions) {
    this.resolved = resolveSelection(options);
  }

  [Symbol.asyncIterator](): AsyncIterator<SelectedBox> {
    return flatten(this.batches());
  }

  /** The same boxes in batches (arrays in file order), for a consumer that takes many at once (one await each). */
  batches(): AsyncGenerator<SelectedBox[]> {
    if (this.used) throw new OidJoinError('BAD_OPTIONS', 'a selectBoxes() result can be iterated once');
    this.used = true;
    return this.run();
  }

  private async *run(): AsyncGenerator<SelectedBox[]> {
    const started = performance.now();
    const o = this.options;
    const r = this.resolved;
    const files = (this.files = await selectionFiles(o, r));
    // Worker threads read the label and box files at once: label ranges first (this thread waits for the selected
    // images), box lines of the chosen classes ahead. Not worth threads for small files (unless asked for). They
    // start now, so that they load while this thread reads the metadata.
    const prefilter = o.prefilter ?? SELECT_DEFAULTS.prefilter;
    const parser = o.parser ?? SELECT_DEFAULTS.parser;
    const big = [...files.labels.flatMap((l) => l.files), ...files.boxes].reduce((sum, f) => sum + statSync(f).size, 0) >= WORKERS_MIN_BYTES;
    const pool = prefilter && parser === 'auto' && (o.workers ?? big) ? new ScanPool(workerThreads()) : undefined;
    pool?.start();
    const bad: BadRow[] = [];
    let badCount = 0;
    const onBadRow = (b: BadRow): void => {
      badCount++;
      if (bad.length < 20) bad.push(b);
      o.onBadRow?.(b);
    };
    const boxes = { stats: emptyScanStats(), perClass: new Map<string, number>(), filteredOut: 0, total: 0, dedup: new BoxDedup(), duplicates: 0 };
    let labels: LabelPass;
    let classes: ClassDescription[];
    try {
      const { catalog, hierarchy } = loadMetadata(files.metadata);
      classes = this.classes = selectClasses(catalog, { classes: o.classes, under: o.under, hierarchy });
      const scan = {
        mids: new ByteKeySet(classes.map((c) => c.LabelName)), prefilter, parser, threads: o.threads ?? SELECT_DEFAULTS.threads, rangeBytes: o.rangeBytes, onBadRow,
      };
      // Label ranges go to the pool first: this thread waits for the selected images, while box ranges are read ahead.
      const pooled = pool ? await PooledLabelFiles.start(pool, files.labels.flatMap((l) => l.files), scan.mids) : undefined;
      const prefetch = pool ? await BoxPrefetch.start(pool, files.boxes, scan.mids) : undefined;
      labels = await scanLabels(files.labels, r, scan, o.onProgress, pooled);
      this.imageIds = labels.selected;
      const names = new Map(classes.map((c) => [c.LabelName, c.DisplayName]));
      const ids = new ByteKeySet(labels.selected);
      for (const file of labels.selected.size > 0 ? files.boxes : []) {
        const where = { LabelName: scan.mids, ImageID: ids };
        const options = {
          where, prefilter: scan.prefilter, parser: scan.parser, threads: scan.threads, rangeBytes: scan.rangeBytes,
          stats: boxes.stats, onBadRow, onProgress: (p: { file: string; bytesRead: number; totalBytes: number }) => o.onProgress?.({ phase: 'boxes', ...p }),
        };
        const batches = prefetch?.rows(file, where, options, boxes.stats) ?? scanCsvFilesBatches([file], options);
        for await (const rows of batches) {
          const batch: SelectedBox[] = [];
          for (const box of typedBoxes(rows, r, o, onBadRow, boxes)) {
            // the same box twice would give the same chip twice: dropped and counted
            if (!boxes.dedup.add(box)) {
              boxes.duplicates++;
              continue;
            }
            boxes.perClass.set(box.LabelName, (boxes.perClass.get(box.LabelName) ?? 0) + 1);
            boxes.total++;
            const out = box as SelectedBox;
            out.DisplayName = names.get(box.LabelName)!;
            batch.push(out);
          }
          if (batch.length) yield batch;
        }
      }
      // Still account for the box files when nothing can match.
      if (labels.selected.size === 0) for (const f of files.boxes) boxes.stats.bytes += statSync(f).size;
    } finally {
      await pool?.close();
    }
    const sources = files.labels.map((l) => l.source);
    this.summary = {
      minConfidence: r.minConfidence,
      labels: r.labels,
      splits: files.splits,
      limit: labels.sample ? { maxPerClass: r.maxPerClass!, seed: r.seed, limitedClasses: classes.filter((c) => labels.sample!.limited(c.LabelName)).length } : null,
      filters: {
        excludeGroupOf: !!o.excludeGroupOf, excludeDepiction: !!o.excludeDepiction, excludeOccluded: !!o.excludeOccluded,
        excludeTruncated: !!o.excludeTruncated, excludeInside: !!o.excludeInside, minBoxSize: r.minBoxSize,
      },
      classes: classSummaries(classes, labels.tally, sources, (mid) => ({
        selectedImages: labels.imagesOf(mid), limited: labels.sample?.limited(mid) ?? false, boxes: boxes.perClass.get(mid) ?? 0,
      })),
      totals: { selectedImages: labels.selected.size, boxes: boxes.total, boxesFilteredOut: boxes.filteredOut, duplicateBoxes: boxes.duplicates, imagesWithBoxes: boxes.dedup.images },
      files: { metadata: files.metadata, labels: files.labels.flatMap((l) => l.files), boxes: files.boxes },
      scan: { labels: labels.stats, boxes: boxes.stats, seconds: (performance.now() - started) / 1000 },
      badRows: { count: badCount, first: bad },
    };
  }
}

/** Worker threads for the scan: one per core, at least 2 (this thread mostly waits), at most 4. */
function workerThreads(): number {
  return Math.min(4, Math.max(2, os.availableParallelism()));
}

async function* flatten<T>(batches: AsyncIterable<T[]>): AsyncGenerator<T> {
  for await (const batch of batches) yield* batch;
}

/** The label and box files to read: a data dir's (or the given) files, narrowed to `splits` and `labels`. */
export async function selectionFiles(o: SelectBoxesOptions, r: ResolvedSelection): Promise<SelectionFiles> {
  const found = o.data ? await findOidFiles(o.data, { requireMetadata: true }) : { ...o.files!, annotations: 'the given files' };
  const human = found.humanLabels ?? [];
  const machine = found.machineLabels ?? [];
  const present = [...new Set([...human, ...machine, ...found.boxes].map((f) => splitOfFile(f)).filter((s): s is string => !!s))].sort();
  const pick = (list: readonly string[]): string[] => filesOfSplits(list, r.splits, present);
  const labels: SelectionFiles['labels'] = [];
  if (r.labels !== 'machine') labels.push({ source: 'human', files: pick(human) });
  if (r.labels !== 'human') labels.push({ source: 'machine', files: pick(machine) });
  const boxes = pick(found.boxes);
  const where = r.splits ? ` for split ${r.splits.join(', ')}` : '';
  if (labels.every((l) => l.files.length === 0)) {
    const wanted = r.labels === 'machine' ? '<split>-annotations-machine-imagelabels.csv' : '<split>-annotations-human-imagelabels-boxable.csv';
    throw new OidJoinError('DATA_DIR_INVALID', `${found.annotations} has no ${wanted}${where}`);
  }
  if (boxes.length === 0) throw new OidJoinError('DATA_DIR_INVALID', `${found.annotations} has no <split>-annotations-bbox.csv${where}`);
  const read = [...labels.flatMap((l) => l.files), ...boxes].map((f) => splitOfFile(f)).filter((s): s is string => !!s);
  return { metadata: found.metadata, labels, boxes, splits: [...new Set(read)].sort() };
}

/** Typed boxes of a batch that pass the box filters; bad rows are reported, filtered ones counted. */
function* typedBoxes(
  rows: CsvRow[],
  r: ResolvedSelection,
  o: SelectBoxesOptions,
  onBadRow: (b: BadRow) => void,
  counts: { filteredOut: number },
): Generator<ReturnType<typeof toBoxRecord> & object> {
  let cols: ReturnType<typeof boxColumns> | undefined;
  let header: unknown;
  for (const row of rows) {
    if (row.header !== header) {
      header = row.header;
      cols = boxColumns(row.header.names, row.file);
    }
    const box = toBoxRecord(row.fields, cols!);
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
      (r.minBoxSize > 0 && (box.XMax - box.XMin < r.minBoxSize || box.YMax - box.YMin < r.minBoxSize))
    ) {
      counts.filteredOut++;
      continue;
    }
    yield box;
  }
}
