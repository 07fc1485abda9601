import { constants } from 'node:fs';
import { access, mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { ChipOptions } from '@oidstream/chip-extract';
import type { BackendChoice, Precision } from '@oidstream/keras-models';
import { findOidFiles } from '@oidstream/oid-join';
import { acquireOutputLock, type OutputLock } from '@oidstream/parquet-io';
import { runPath } from '@oidstream/report';
import { PipelineError } from './errors.js';
import type { ModelChoice } from './model-choice.js';
import { cliProgressSink, type ProgressSink } from './progress.js';
import { RunContext } from './run-context.js';
import { chipsAndClassifyStages, imagesStage, reportStage, selectStages, type RunStageContext } from './run/run-stages.js';
import type { SelectionOptions } from './stages/select.js';

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
    const ctx: RunStageContext = { run, o, layout, out, warn };
    await selectStages(ctx);
    const imagesParquet = await imagesStage(ctx);
    const choice = await chipsAndClassifyStages(ctx, imagesParquet);
    await reportStage(ctx);
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
