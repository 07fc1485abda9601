import { constants } from 'node:fs';
import { access, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { findOidFiles } from '@oidstream/oid-join';
import { loadMetadata, selectClasses } from '@oidstream/oid-labels';
import { calibrationSample, closeClassifier, type BackendChoice, type ClassifierModel, type Precision } from '@oidstream/keras-models';
import type { ChipOptions } from '@oidstream/chip-extract';
import { chipsStage } from './stages/chips.js';
import { classifyStage, openModels } from './stages/classify.js';
import { chooseModels, type ModelChoice } from './model-choice.js';
import { cliProgressSink, forwardTo, type ProgressSink } from './progress.js';
import { RunContext, type StageOutcome } from './run-context.js';
import { PipelineError } from './errors.js';
import { acquireOutputLock, readParquetRows, type OutputLock } from '@oidstream/parquet-io';
import type { RunRecord } from './run-record.js';
import { RUN_FILES, runPath } from '@oidstream/report';
import { downloadImages, imageRefsFromBoxes } from '@oidstream/oid-download';
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
  /** keras (default): model inputs from the chip JPEG, as Keras load_img; fast: from the decoded image (no JPEG round trip). */
  resize?: 'fast' | 'keras';
  /** fp32 (default) or int8: the models are calibrated on a deterministic sample of this run's chips (so classify runs after chips). */
  precision?: Precision;
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
  const lock = await lockOutput(out, warn);
  let run: RunContext;
  try {
    run = await RunContext.open(out, { ...keyArgs, models: o.models ?? [], out, backend: o.backend ?? RUN_DEFAULTS.backend, force: !!o.force }, keyArgs, STAGES, o.progress ?? cliProgressSink(!!o.json), !!o.force, warn);
  } catch (err) {
    await lock.release();
    throw err;
  }
  const record = run.recorder.record;
  try {
    // 1. classes: resolve the names now, so a typo fails before any scan.
    await run.stage('classes', 'classes', async (progress) => {
      const { catalog, hierarchy } = loadMetadata(layout.metadata);
      const classes = selectClasses(catalog, { classes: o.classes, under: o.under, hierarchy });
      progress.set(classes.length);
      return { outputs: [], counts: { classes: classes.length }, note: classes.map((c) => c.DisplayName).join(', ') };
    }, undefined, [layout.metadata]);

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
    }, undefined, [layout.metadata, layout.annotations]);
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
      const r = await packStage({ images: layout.imagesFolder, rotation: layout.rotation, out: imagesParquet, progress: forwardTo(progress), onSkip: (s) => warn(`pack: skipped ${s.file}: ${s.reason}`) });
      progress.set(r.packed);
      return { outputs: [RUN_FILES.images], counts: { packed: r.packed, packSkipped: r.skipped.length } };
    }, undefined, [...(layout.imagesFolder ? [layout.imagesFolder] : []), ...layout.rotation]);

    // 4+5. chips and classify: one pass decodes each selected image once, cuts every box (chips.parquet, chips/,
    //      errors.jsonl) and feeds each model its input from that decode (predictions.parquet), checkpointed in parts.
    //      A run whose chips exist and that gets other models classifies chips.parquet (classify stage alone).
    const choice = await chooseModels(o.models ?? [], { probeNetwork: o.probeNetwork });
    record.models = choice.models;
    record.classification = choice.skipped ? { status: 'skipped', ...choice.skipped } : { status: 'pending' };
    // predictions depend on the models and on how their inputs were made
    const int8 = o.precision === 'int8';
    const modelsKey = JSON.stringify(int8 ? { models: choice.models, resize: o.resize, precision: 'int8' } : o.resize === 'fast' ? { models: choice.models, resize: 'fast' } : choice.models);
    const classifyOpts = { inFlight: Math.max(2, o.threads ?? 2), ...(o.batchSize ? { batchSize: o.batchSize } : {}) };
    const models: ClassifierModel[] = [];
    const openAll = async () => {
      if (models.length || choice.skipped) return models;
      // int8 calibrates on the run's own chips: a deterministic sample of chips.parquet
      const calibrationImages = int8 ? await calibrationSample(readParquetRows(runPath(out, 'chips'), { columns: ['chip_id', 'chip'] })) : undefined;
      models.push(...(await openModels(choice.models, { backend: o.backend ?? RUN_DEFAULTS.backend, threads: o.threads, onWarning: warn, precision: o.precision, calibrationImages })));
      return models;
    };
    let predictedInChipsPass = false;
    try {
      const chips = await run.stage('chips', 'boxes', async (progress) => {
        const loaded = int8 ? [] : await openAll();
        const r = await chipsStage({
          out, boxes: runPath(out, 'boxes'), images: imagesParquet, ledger: run.ledger, ledgerKey: modelsKey, progress, onWarning: warn,
          rowsPerPart: o.chipsPartRows ?? RUN_DEFAULTS.chipsPartRows, chipFiles: o.chipFiles ?? RUN_DEFAULTS.chipFiles,
          quality: o.quality, padding: o.padding, square: o.square, maxSide: o.maxSide, minBoxSize: o.minChipSize,
          models: loaded, classify: classifyOpts, resize: o.resize,
        });
        run.recorder.addErrors('chips', r.errors);
        noteSlowest(record, 'chips', r.partMs);
        predictedInChipsPass = r.predictions !== undefined;
        return {
          // predictions.parquet is the classify stage's output (models may change while the chips stay)
          outputs: [RUN_FILES.chips, RUN_FILES.errors],
          counts: { chips: r.chips, chipErrors: r.errors, chipsParts: r.parts, chipsPartsReused: r.partsReused, ...(r.predictions !== undefined ? { predictions: r.predictions } : {}) },
          note: loaded.map((m) => `${m.name}: ${m.runner.backend}`).join(', ') || undefined,
        };
      }, undefined, layout.imagesParquet ? [layout.imagesParquet] : []);
      run.noteCounts(chips.counts);
      const classify = await run.stage('classify', 'chips', async (progress): Promise<StageOutcome> => {
        if (choice.skipped) return { outputs: [], status: 'skipped', note: choice.skipped.reason };
        if (predictedInChipsPass) {
          return { outputs: [RUN_FILES.predictions], counts: { predictions: chips.counts?.predictions ?? 0 }, note: `in the chips pass (${chips.note ?? ''})` };
        }
        const r = await classifyStage({
          chips: runPath(out, 'chips'), out, models: choice.models, loaded: await openAll(), ledger: run.ledger, ledgerKey: modelsKey,
          batchSize: o.batchSize, threads: o.threads, rowsPerPart: o.classifyPartRows ?? RUN_DEFAULTS.classifyPartRows, progress, onWarning: warn,
        });
        noteSlowest(record, 'classify', r.partMs);
        return {
          outputs: [RUN_FILES.predictions, RUN_FILES.errors], counts: { predictions: r.rows, classifyParts: r.parts, classifyPartsReused: r.partsReused },
          note: r.models.map((m) => `${m.name}: ${m.backend}${m.int8 ? `, ${m.precision}; int8 top-1 agreement with FP32 ${(m.int8.top1Agreement * 100).toFixed(1)} % on ${m.int8.images} chips` : ''}`).join(', '),
        };
      }, modelsKey);
      run.noteCounts(classify.counts);
      if (classify.counts?.predictions !== undefined) {
        record.classification = { status: 'done' };
        if (classify.note && classify.status === undefined) record.backend = classify.note;
      }
    } finally {
      await Promise.all(models.map((m) => closeClassifier(m)));
    }

    // 6. report: always redrawn (cheap). run.json is closed first so the page shows the finished run.
    await run.recorder.finish('done');
    const t0 = performance.now();
    const reportStage = run.progress.stage('report', 'charts');
    const report = await (await import('@oidstream/report')).writeReport(out); // vega loads only here
    reportStage.set(report.charts.length / 2); // an SVG and a PNG per chart
    reportStage.end('done');
    record.stages.push({ name: 'report', status: 'done', startedAt: new Date().toISOString(), ms: Math.round(performance.now() - t0), counts: { charts: report.charts.length / 2 } });
    await run.recorder.save();
    const skipped = record.classification.status === 'skipped' ? choice.skipped : undefined;
    return { out, report: runPath(out, 'report'), runJson: runPath(out, 'runJson'), classification: skipped, counts: record.counts };
  } catch (err) {
    await run.recorder.finish('failed', err instanceof Error ? err.message : String(err)).catch(() => undefined);
    throw err;
  } finally {
    await lock.release();
  }
}

/** One run per output dir: OUT is created (a read-only or forbidden OUT says so) and locked for this process. */
async function lockOutput(out: string, onNote: (m: string) => void): Promise<OutputLock> {
  try {
    await mkdir(out, { recursive: true });
    await access(out, constants.W_OK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'EROFS' ? 'it is on a read-only file system' : code === 'EACCES' || code === 'EPERM' ? 'permission denied' : (err as Error).message;
    throw new PipelineError('OUT_NOT_WRITABLE', `cannot write to --out ${out}: ${why}`);
  }
  return acquireOutputLock(path.join(out, '.oidstream.lock'), { command: 'oidstream run', onNote });
}

/** Keep the 10 slowest parts over all partitioned stages in run.json (the report lists them). */
function noteSlowest(record: RunRecord, stage: string, partMs: readonly number[]): void {
  const items = partMs.map((ms, i) => ({ stage, item: `part ${i + 1} of ${partMs.length}`, ms }));
  record.slowest = [...(record.slowest ?? []).filter((s) => s.stage !== stage), ...items].sort((a, b) => b.ms - a.ms).slice(0, 10);
}
