import { createReadStream } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { findOidFiles, type OidFiles } from '@oidstream/oid-join';
import { loadMetadata, selectClasses } from '@oidstream/oid-labels';
import type { BackendChoice } from '@oidstream/keras-models';
import type { ChipOptions } from '@oidstream/chip-extract';
import { writeAtomic } from './atomic-write.js';
import { chipsInParts } from './chips-parts.js';
import { classifyInParts, removeParts } from './classify-parts.js';
import { chooseModels, type ModelChoice } from './model-choice.js';
import { cliProgressSink, forwardTo, type ProgressSink } from './progress.js';
import { writeReport } from './report.js';
import { RunContext, type StageOutcome } from './run-context.js';
import type { RunRecord } from './run-record.js';
import { RUN_FILES, runPath } from './run-files.js';
import { imageRefsFromBoxes } from './download-refs.js';
import { downloadImages } from './stages/download.js';
import { PipelineError } from './errors.js';
import { packStage } from './stages/pack.js';
import { selectStage, type SelectionOptions } from './stages/select.js';

/** Options of `oidstream run`: every stage's options in one object; defaults in RUN_DEFAULTS. */
export interface RunOptions extends Omit<ChipOptions, 'minBoxSize'>, SelectionOptions {
  data: string;
  out: string;
  /** `name=source` (dir | model.json | URL | .h5). None → hosted MobileNet if reachable, else classify is skipped. */
  models?: string[];
  /** chips: boxes smaller than this many pixels become errors. */
  minChipSize?: number;
  chipFiles?: boolean;
  backend?: BackendChoice;
  batchSize?: number;
  threads?: number;
  /** Boxes per chips part (the unit of resume inside chips). */
  chipsPartRows?: number;
  /** Chips per classify part (the unit of resume inside classify). */
  classifyPartRows?: number;
  force?: boolean;
  /** Progress sink; default: bars on a TTY, JSON lines with `json`, plain lines otherwise. */
  progress?: ProgressSink;
  json?: boolean;
  /** Fetch the selected images (`oidstream download`) when the data dir has neither images/ nor images.parquet. */
  download?: boolean;
  /** download: s3 | original | thumbnail (default s3). */
  downloadSource?: string;
  baseUrl?: string;
  downloadConcurrency?: number;
  /** Probe the network for the hosted MobileNet when no model is given (default true unless OIDSTREAM_OFFLINE=1). */
  probeNetwork?: boolean;
  onWarning?: (message: string) => void;
}

export const RUN_DEFAULTS = { minConfidence: 0.99, chipFiles: true, backend: 'auto' as BackendChoice, chipsPartRows: 5000, classifyPartRows: 2000 };

/** Ledger stages in chain order (the report is always redrawn, so it is not one of them). */
export const STAGES = ['classes', 'select', 'pack', 'chips', 'classify'] as const;

export interface RunResult {
  out: string;
  report: string;
  runJson: string;
  classification: ModelChoice['skipped'] | undefined;
  counts: Record<string, number>;
}

/**
 * The arguments that decide the outputs up to chips: a rerun with other values is refused (or --force). The models
 * are not among them: classify is keyed by the models it ran, so adding `--model` to a finished run just classifies.
 */
function outputArgs(o: RunOptions): Record<string, unknown> {
  return {
    data: path.resolve(o.data), classes: o.classes ?? null, under: o.under ?? null,
    minConfidence: o.minConfidence ?? RUN_DEFAULTS.minConfidence, excludeGroupOf: !!o.excludeGroupOf, excludeDepiction: !!o.excludeDepiction,
    excludeOccluded: !!o.excludeOccluded, excludeTruncated: !!o.excludeTruncated, excludeInside: !!o.excludeInside,
    minBoxSize: o.minBoxSize ?? null, minChipSize: o.minChipSize ?? null, quality: o.quality ?? null, padding: o.padding ?? null,
    square: !!o.square, maxSide: o.maxSide ?? null, chipFiles: o.chipFiles ?? RUN_DEFAULTS.chipFiles,
    maxPerClass: o.maxPerClass ?? null, seed: o.seed ?? 0, splits: o.splits ?? null, labels: o.labels ?? 'human',
  };
}

/**
 * `oidstream run`: classes → select → pack (images/ folder) or download (--download) → chips → classify → report.
 * Each stage commits its outputs atomically and is recorded in OUT/.oidstream/ledger.json, so a rerun after a
 * kill continues where the run stopped (chips and classify resume per part); `force` starts over.
 */
export async function runPipeline(o: RunOptions): Promise<RunResult> {
  const out = path.resolve(o.out);
  const warn = o.onWarning ?? ((m: string) => process.stderr.write(`oidstream run: ${m}\n`));
  const keyArgs = outputArgs(o);
  const layout = await findOidFiles(o.data, { requireMetadata: true }); // before OUT is touched: a wrong --data leaves nothing behind
  if (!o.download && !layout.imagesParquet && !layout.imagesFolder) {
    throw new PipelineError('DATA_DIR_INVALID', `${o.data} has neither images.parquet nor an images/ folder (add --download to fetch the selected images)`);
  }
  const run = await RunContext.open(out, { ...keyArgs, models: o.models ?? [], out, backend: o.backend ?? RUN_DEFAULTS.backend, force: !!o.force }, keyArgs, STAGES, o.progress ?? cliProgressSink(!!o.json), !!o.force);
  const record = run.recorder.record;
  try {
    // 1. classes: resolve the names now, so a typo fails before any scan.
    await run.stage('classes', 'classes', async (progress) => {
      const { catalog, hierarchy } = loadMetadata(layout.metadata);
      const classes = selectClasses(catalog, { classes: o.classes, under: o.under, hierarchy });
      progress.set(classes.length);
      return { outputs: [], counts: { classes: classes.length }, note: classes.map((c) => c.DisplayName).join(', ') };
    });

    // 2. select: labels → selected images → their boxes (boxes.parquet, labels-summary.json).
    const select = await run.stage('select', 'boxes', async (progress) => {
      const r = await selectStage({
        data: o.data, out, classes: o.classes, under: o.under, minConfidence: o.minConfidence ?? RUN_DEFAULTS.minConfidence,
        excludeGroupOf: o.excludeGroupOf, excludeDepiction: o.excludeDepiction, excludeOccluded: o.excludeOccluded,
        excludeTruncated: o.excludeTruncated, excludeInside: o.excludeInside, minBoxSize: o.minBoxSize,
        maxPerClass: o.maxPerClass, seed: o.seed, splits: o.splits, labels: o.labels,
      });
      progress.set(r.boxes);
      return { outputs: [RUN_FILES.boxes, RUN_FILES.labelsSummary], counts: { images: r.images, boxes: r.boxes } };
    });
    run.noteCounts(select.counts);

    // 3. images: a folder is packed; a data dir without images fetches the selected ones (--download); an
    //    images.parquet in the data dir is used as it is.
    const imagesParquet = layout.imagesParquet ?? runPath(out, 'images');
    await run.stage('pack', 'images', async (progress): Promise<StageOutcome> => {
      if (layout.imagesParquet) return { outputs: [], status: 'skipped', note: `using ${layout.imagesParquet}` };
      if (!layout.imagesFolder) {
        const r = await downloadImages({
          images: imageRefsFromBoxes(runPath(out, 'boxes')), out: imagesParquet, data: o.data,
          source: o.downloadSource, baseUrl: o.baseUrl, concurrency: o.downloadConcurrency,
          onProgress: (e) => progress.set(e.skipped + e.done),
        });
        return { outputs: [RUN_FILES.images], counts: { downloaded: r.fetched, downloadKept: r.kept, downloadErrors: r.errors }, note: `downloaded; ${r.errors} not stored (download-errors.jsonl)` };
      }
      const rotation = await mergedRotationCsv(layout, out);
      const r = await packStage({ images: layout.imagesFolder, rotation, out: imagesParquet, progress: forwardTo(progress), onSkip: (s) => warn(`pack: skipped ${s.file}: ${s.reason}`) });
      progress.set(r.packed);
      return { outputs: [RUN_FILES.images], counts: { packed: r.packed, packSkipped: r.skipped.length } };
    });

    // 4. chips: decode each selected image once, cut every box (chips.parquet, chips/, errors.jsonl), in resumable parts.
    const chips = await run.stage('chips', 'chips', async (progress) => {
      const r = await chipsInParts({
        out, boxes: runPath(out, 'boxes'), images: imagesParquet, ledger: run.ledger, progress,
        rowsPerPart: o.chipsPartRows ?? RUN_DEFAULTS.chipsPartRows, chipFiles: o.chipFiles ?? RUN_DEFAULTS.chipFiles,
        quality: o.quality, padding: o.padding, square: o.square, maxSide: o.maxSide, minBoxSize: o.minChipSize,
      });
      progress.set(r.chips);
      run.recorder.addErrors('chips', r.errors);
      noteSlowest(record, 'chips', run.ledger.partTimes('chips'));
      return {
        outputs: [RUN_FILES.chips, RUN_FILES.errors],
        counts: { chips: r.chips, chipErrors: r.errors, chipsParts: r.parts, chipsPartsReused: r.partsReused },
      };
    });
    await removeParts(out, 'chips');
    run.noteCounts(chips.counts);

    // 5. classify: every chip through every model, in resumable parts; skipped (with a hint) when no model can be had.
    const choice = await chooseModels(o.models ?? [], { probeNetwork: o.probeNetwork });
    record.models = choice.models;
    record.classification = choice.skipped ? { status: 'skipped', ...choice.skipped } : { status: 'pending' };
    const modelsKey = JSON.stringify(choice.models);
    const classify = await run.stage('classify', 'chips', async (progress) => {
      if (choice.skipped) return { outputs: [], status: 'skipped', note: choice.skipped.reason };
      const r = await classifyInParts({
        key: modelsKey, out, chips: runPath(out, 'chips'), models: choice.models, ledger: run.ledger, backend: o.backend ?? RUN_DEFAULTS.backend,
        batchSize: o.batchSize, threads: o.threads, rowsPerPart: o.classifyPartRows ?? RUN_DEFAULTS.classifyPartRows, progress, onWarning: warn,
      });
      noteSlowest(record, 'classify', run.ledger.partTimes('classify'));
      const backends = Object.entries(r.backends).map(([m, b]) => `${m}: ${b}`).join(', ');
      return {
        outputs: [RUN_FILES.predictions], counts: { predictions: r.rows, classifyParts: r.parts, classifyPartsReused: r.partsReused },
        note: backends || 'all parts from an earlier run',
      };
    }, modelsKey);
    await removeParts(out, 'classify');
    run.noteCounts(classify.counts);
    // predictions exist (now or from the earlier run this one resumes): classification is done
    if (classify.counts?.predictions !== undefined) {
      record.classification = { status: 'done' };
      if (classify.note && classify.counts.classifyPartsReused !== classify.counts.classifyParts) record.backend = classify.note;
    }

    // 6. report: always redrawn (cheap). run.json is closed first so the page shows the finished run.
    await run.recorder.finish('done');
    const t0 = performance.now();
    const reportStage = run.progress.stage('report', 'charts');
    const report = await writeReport(out);
    reportStage.set(report.charts.length / 2); // an SVG and a PNG per chart
    reportStage.end('done');
    record.stages.push({ name: 'report', status: 'done', startedAt: new Date().toISOString(), ms: Math.round(performance.now() - t0), counts: { charts: report.charts.length / 2 } });
    await run.recorder.save();
    const skipped = record.classification.status === 'skipped' ? choice.skipped : undefined;
    return { out, report: runPath(out, 'report'), runJson: runPath(out, 'runJson'), classification: skipped, counts: record.counts };
  } catch (err) {
    await run.recorder.finish('failed', err instanceof Error ? err.message : String(err)).catch(() => undefined);
    throw err;
  }
}

/** Keep the 10 slowest parts over all partitioned stages in run.json (the report lists them). */
function noteSlowest(record: RunRecord, stage: string, parts: { part: string; ms: number; counts: Record<string, number> }[]): void {
  const items = parts.map((p) => ({ stage, item: `part ${p.part}`, ms: p.ms, rows: p.counts.chips ?? p.counts.rows }));
  record.slowest = [...(record.slowest ?? []).filter((s) => s.stage !== stage), ...items].sort((a, b) => b.ms - a.ms).slice(0, 10);
}

/** OID ships one rotation CSV per split; pack takes one file, so they are joined (one header) under OUT/.oidstream. */
async function mergedRotationCsv(layout: OidFiles, out: string): Promise<string | undefined> {
  if (layout.rotation.length <= 1) return layout.rotation[0];
  const file = path.join(out, RUN_FILES.work, 'images-with-rotation.csv');
  await writeAtomic(file, async (fh) => {
    for (const [i, csv] of layout.rotation.entries()) {
      let header = true;
      for await (const line of createInterface({ input: createReadStream(csv, 'utf8'), crlfDelay: Infinity })) {
        const skip = header && i > 0; // the header of a later file
        header = false;
        if (!skip && line !== '') await fh.write(line + '\n');
      }
    }
  });
  return file;
}
