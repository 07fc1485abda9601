import { loadMetadata, selectClasses } from '@oidstream/oid-labels';
import type { OidFiles } from '@oidstream/oid-join';
import { calibrationSample, closeClassifier, type ClassifierModel } from '@oidstream/keras-models';
import { readParquetRows } from '@oidstream/parquet-io';
import { downloadImages, imageRefsFromBoxes } from '@oidstream/oid-download';
import { RUN_FILES, runPath } from '@oidstream/report';
import { chooseModels, type ModelChoice } from '../model-choice.js';
import { forwardTo } from '../progress.js';
import type { RunContext, StageOutcome } from '../run-context.js';
import type { RunRecord } from '../run-record.js';
import { RUN_DEFAULTS, type RunOptions } from '../run.js';
import { chipsStage } from '../stages/chips.js';
import { classifyStage, openModels, precisionNote } from '../stages/classify.js';
import { packStage } from '../stages/pack.js';
import { selectStage } from '../stages/select.js';

/** What every stage of a run reads. */
export interface RunStageContext {
  run: RunContext;
  o: RunOptions;
  layout: OidFiles;
  out: string;
  warn: (message: string) => void;
}

/** 1–2. classes (names resolved before any scan, so a typo fails fast), then select → boxes.parquet, labels-summary.json. */
export async function selectStages({ run, o, layout, out, warn }: RunStageContext): Promise<void> {
  // 1. classes: resolve the names now, so a typo fails before any scan.
  await run.stage('classes', 'classes', async (progress) => {
    const { catalog, hierarchy } = loadMetadata(layout.metadata);
    const classes = selectClasses(catalog, { classes: o.classes, under: o.under, hierarchy });
    progress.set(classes.length);
    return { outputs: [], counts: { classes: classes.length }, note: classes.map((c) => c.DisplayName).join(', ') };
  }, undefined, [layout.metadata]);

  const select = await run.stage('select', 'boxes', async (progress) => {
    const r = await selectStage({
      data: o.data, out, classes: o.classes, under: o.under, minConfidence: o.minConfidence ?? RUN_DEFAULTS.minConfidence,
      excludeGroupOf: o.excludeGroupOf, excludeDepiction: o.excludeDepiction, excludeOccluded: o.excludeOccluded,
      excludeTruncated: o.excludeTruncated, excludeInside: o.excludeInside, minBoxSize: o.minBoxSize,
      maxPerClass: o.maxPerClass, seed: o.seed, splits: o.splits, labels: o.labels,
    });
    progress.set(r.boxes);
    const dups = r.summary.totals.duplicateBoxes;
    if (dups) warn(`select: ${dups} duplicate box rows dropped (each the same as a box kept before)`);
    return { outputs: [RUN_FILES.boxes, RUN_FILES.labelsSummary], counts: { images: r.images, boxes: r.boxes, duplicateBoxes: dups } };
  }, undefined, [layout.metadata, layout.annotations]);
  run.noteCounts(select.counts);

}

/**
 * 3. images: a folder is packed; a data dir without images fetches the selected ones (--download); an images.parquet
 * in the data dir is used as it is. Returns the images.parquet the chips read.
 */
export async function imagesStage({ run, o, layout, out, warn }: RunStageContext): Promise<string> {
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

  return imagesParquet;
}

/**
 * 4–5. chips and classify: one pass decodes each selected image once, cuts every box (chips.parquet, chips/,
 * errors.jsonl) and feeds each model (predictions.parquet), checkpointed in parts. A run whose chips exist and that
 * gets other models (or int8, which calibrates on the chips) classifies chips.parquet (classify stage alone).
 */
export async function chipsAndClassifyStages({ run, o, layout, out, warn }: RunStageContext, imagesParquet: string): Promise<ModelChoice> {
  const record = run.recorder.record;
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
      const loadStart = performance.now();
      const loaded = int8 ? [] : await openAll();
      // model loading happens inside this stage: recorded, so that throughput can be told apart from start-up
      const modelLoadMs = loaded.length ? Math.round(performance.now() - loadStart) : undefined;
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
        counts: {
          chips: r.chips, chipErrors: r.errors, chipsParts: r.parts, chipsPartsReused: r.partsReused,
          ...(r.predictions !== undefined ? { predictions: r.predictions } : {}), ...(modelLoadMs !== undefined ? { modelLoadMs } : {}),
        },
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
      const int8Models = r.models.filter((m) => m.int8);
      if (int8Models.length > 0) record.int8 = Object.fromEntries(int8Models.map((m) => [m.name, { precision: m.precision ?? 'fp32', ...m.int8! }]));
      return {
        outputs: [RUN_FILES.predictions, RUN_FILES.errors], counts: { predictions: r.rows, classifyParts: r.parts, classifyPartsReused: r.partsReused },
        note: r.models.map((m) => `${m.name}: ${m.backend}${precisionNote(m)}`).join(', '),
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

  return choice;
}

/** 6. report: always redrawn (cheap). run.json is closed first so the page shows the finished run. */
export async function reportStage({ run, out }: RunStageContext): Promise<void> {
  const record = run.recorder.record;
  await run.recorder.finish('done');
  const t0 = performance.now();
  const progress = run.progress.stage('report', 'charts');
  const report = await (await import('@oidstream/report')).writeReport(out); // vega loads only here
  progress.set(report.charts.length / 2); // an SVG and a PNG per chart
  progress.end('done');
  record.stages.push({ name: 'report', status: 'done', startedAt: new Date().toISOString(), ms: Math.round(performance.now() - t0), counts: { charts: report.charts.length / 2 } });
  await run.recorder.save();
}

/** Keep the 10 slowest parts over all partitioned stages in run.json (the report lists them). */
function noteSlowest(record: RunRecord, stage: string, partMs: readonly number[]): void {
  const items = partMs.map((ms, i) => ({ stage, item: `part ${i + 1} of ${partMs.length}`, ms }));
  record.slowest = [...(record.slowest ?? []).filter((s) => s.stage !== stage), ...items].sort((a, b) => b.ms - a.ms).slice(0, 10);
}
