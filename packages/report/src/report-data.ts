import { existsSync } from 'node:fs';
import { readParquetRows, readParquetRowsByKey } from '@oidstream/parquet-io';
import sharp from 'sharp';
import { AgreementCounter, modelsInColumns, type ModelAgreement } from './evaluate.js';
import { summarizeErrors, type ErrorSummary } from './error-log.js';
import { readLabelsSummary, readSelectionNote, type ClassSummary, type SelectionNote } from './labels-summary.js';
import { readRunRecord, type RunRecord } from './run-record.js';
import { runPath } from './run-files.js';
import { ReportError } from './errors.js';

export interface ReportOptions {
  /** Thumbnails per class on the contact sheet. Default 12. */
  thumbsPerClass?: number;
  /** Longest side of a thumbnail, px. Default 112. */
  thumbSize?: number;
  /** Histogram bins for box sizes over [0, 1]. Default 20. */
  sizeBins?: number;
}

export const REPORT_DEFAULTS: Required<ReportOptions> = { thumbsPerClass: 12, thumbSize: 112, sizeBins: 20 };

export interface Thumb {
  chip_id: string;
  width: number;
  height: number;
  /** data: URI of a small JPEG */
  src: string;
  /** per model: predicted label and score */
  predictions: { model: string; label: string; score: number }[];
}

export interface ReportData {
  runDir: string;
  generatedAt: string;
  classes: ClassSummary[] | undefined;
  /** Label files, splits and per-class limit of the selection (from labels-summary.json). */
  selection?: SelectionNote;
  boxes: { total: number; perClass: { DisplayName: string; boxes: number }[]; sizeBins: { from: number; to: number; boxes: number }[] } | undefined;
  chips: { total: number; perClass: { DisplayName: string; chips: number; thumbs: Thumb[] }[] } | undefined;
  models: ModelAgreement[];
  predictions: number;
  errors: ErrorSummary;
  run: RunRecord | undefined;
}

const BOX_COLUMNS = ['DisplayName', 'XMin', 'XMax', 'YMin', 'YMax'];

async function collectBoxes(file: string, bins: number): Promise<ReportData['boxes']> {
  if (!existsSync(file)) return undefined;
  const perClass = new Map<string, number>();
  const hist = new Array<number>(bins).fill(0);
  let total = 0;
  for await (const row of readParquetRows(file, { columns: BOX_COLUMNS })) {
    total++;
    const name = String(row.DisplayName);
    perClass.set(name, (perClass.get(name) ?? 0) + 1);
    // Box "side" = sqrt of its normalised area: 1 is the whole image, 0.1 a small object.
    const area = (Number(row.XMax) - Number(row.XMin)) * (Number(row.YMax) - Number(row.YMin));
    if (!(area > 0)) continue;
    hist[Math.min(bins - 1, Math.floor(Math.sqrt(Math.min(area, 1)) * bins))]++;
  }
  return {
    total,
    perClass: [...perClass].map(([DisplayName, boxes]) => ({ DisplayName, boxes })).sort((a, b) => b.boxes - a.boxes),
    sizeBins: hist.map((boxes, i) => ({ from: i / bins, to: (i + 1) / bins, boxes })),
  };
}

interface ChipIndex {
  total: number;
  perClass: Map<string, { chips: number; ids: string[] }>;
  wanted: Set<string>;
}

/** Pass 1 over chips.parquet reads only the id and class columns, choosing the chips the contact sheet shows. */
async function indexChips(file: string, opts: Required<ReportOptions>): Promise<ChipIndex | undefined> {
  if (!existsSync(file)) return undefined;
  const perClass = new Map<string, { chips: number; ids: string[] }>();
  let total = 0;
  for await (const row of readParquetRows(file, { columns: ['chip_id', 'DisplayName'] })) {
    total++;
    const name = String(row.DisplayName);
    const c = perClass.get(name) ?? { chips: 0, ids: [] };
    perClass.set(name, c);
    c.chips++;
    if (c.ids.length < opts.thumbsPerClass) c.ids.push(String(row.chip_id));
  }
  return { total, perClass, wanted: new Set([...perClass.values()].flatMap((c) => c.ids)) };
}

/** Pass 2 fetches only the chosen chips' bytes (selective read by key) and shrinks them to inline thumbnails. */
async function contactSheet(file: string, index: ChipIndex, opts: Required<ReportOptions>, preds: Map<string, Thumb['predictions']>): Promise<ReportData['chips']> {
  const thumbs = new Map<string, Thumb>();
  for await (const row of readParquetRowsByKey(file, 'chip_id', index.wanted, { columns: ['chip_id', 'chip'] })) {
    const id = String(row.chip_id);
    try {
      const { data, info } = await sharp(row.chip as Uint8Array)
        .resize(opts.thumbSize, opts.thumbSize, { fit: 'inside' })
        .jpeg({ quality: 70 })
        .toBuffer({ resolveWithObject: true });
      thumbs.set(id, { chip_id: id, width: info.width, height: info.height, src: `data:image/jpeg;base64,${data.toString('base64')}`, predictions: preds.get(id) ?? [] });
    } catch {
      // an undecodable chip is left off the sheet rather than failing the report
    }
  }
  return {
    total: index.total,
    perClass: [...index.perClass]
      .map(([DisplayName, c]) => ({ DisplayName, chips: c.chips, thumbs: c.ids.map((id) => thumbs.get(id)).filter((t): t is Thumb => !!t) }))
      .sort((a, b) => a.DisplayName.localeCompare(b.DisplayName)),
  };
}

async function collectPredictions(file: string, captionsFor: Set<string>): Promise<{ models: ModelAgreement[]; rows: number; byChip: Map<string, Thumb['predictions']> }> {
  const byChip = new Map<string, Thumb['predictions']>();
  if (!existsSync(file)) return { models: [], rows: 0, byChip };
  let counter: AgreementCounter | undefined;
  let models: string[] = [];
  let rows = 0;
  for await (const row of readParquetRows(file, {})) {
    if (!counter) {
      models = modelsInColumns(Object.keys(row));
      counter = new AgreementCounter(models);
    }
    rows++;
    counter.add(row as never);
    const id = String(row.chip_id);
    if (captionsFor.has(id)) {
      byChip.set(id, models.map((m) => ({ model: m, label: String(row[`${m}_label`] ?? ''), score: Number(row[`${m}_score`] ?? NaN) })));
    }
  }
  return { models: counter?.result() ?? [], rows, byChip };
}

/** Everything the report shows, read by streaming the run directory's files (memory bounded by the sheet size). */
export async function collectReportData(runDir: string, options: ReportOptions = {}): Promise<ReportData> {
  const opts = { ...REPORT_DEFAULTS, ...options };
  if (!existsSync(runDir)) throw new ReportError('RUN_DIR_MISSING', `run directory ${runDir} does not exist`);
  const boxesFile = runPath(runDir, 'boxes');
  const chipsFile = runPath(runDir, 'chips');
  if (!existsSync(boxesFile) && !existsSync(chipsFile) && !existsSync(runPath(runDir, 'labelsSummary'))) {
    throw new ReportError('REPORT_INPUT_MISSING', `${runDir} holds none of boxes.parquet, chips.parquet, labels-summary.json: run \`oidstream select\` or \`oidstream run\` first`);
  }
  const index = await indexChips(chipsFile, opts);
  const predictions = await collectPredictions(runPath(runDir, 'predictions'), index?.wanted ?? new Set());
  return {
    runDir,
    generatedAt: new Date().toISOString(),
    classes: await readLabelsSummary(runPath(runDir, 'labelsSummary')),
    selection: await readSelectionNote(runPath(runDir, 'labelsSummary')),
    boxes: await collectBoxes(boxesFile, opts.sizeBins),
    chips: index ? await contactSheet(chipsFile, index, opts, predictions.byChip) : undefined,
    models: predictions.models,
    predictions: predictions.rows,
    errors: await summarizeErrors(runPath(runDir, 'errors')),
    run: await readRunRecord(runPath(runDir, 'runJson')),
  };
}
