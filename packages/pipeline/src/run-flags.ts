import type { Command } from 'commander';
import { BACKEND_ORDER, type BackendChoice } from '@oidstream/keras-models/options';
import { collect, parsePrecision, positiveInt } from './cli-values.js';
import { addChipOptions, addSelectionOptions, chipOptions, selectionOptions, type ChipFlags, type SelectionFlags } from './stage-flags.js';
import { PipelineError } from './errors.js';
import type { ShardRunOptions } from './shard-setup.js';

/** Flags that decide a run's outputs: shared by `run` and `enqueue`, so a sharded run gives the same rows. */
export function addRunOutputOptions(cmd: Command, options: { dataRequired?: boolean } = {}): Command {
  const data = ['--data <dir>', 'OID data dir (metadata/, annotations/, images/ or images.parquet)'] as const;
  (options.dataRequired === false ? cmd.option(...data) : cmd.requiredOption(...data))
    .requiredOption('--out <dir>', 'output dir: boxes.parquet, chips.parquet, chips/, predictions.parquet, report.html, run.json (shards and workers: a path every machine sees)')
    .option('--model <name=source>', 'model: name=<tfjs layers dir | model.json | http(s) URL | .h5> (repeatable; default: hosted MobileNet when online, else chips only)', collect, []);
  return addChipOptions(addSelectionOptions(cmd))
    .option('--backend <backend>', `inference backend: auto|${BACKEND_ORDER.join('|')}`, 'auto')
    .option('--resize <mode>', 'model input: keras = the chip JPEG resized as Keras load_img does, pixel for pixel, so predictions equal Keras on the chip files (default); fast = resized from the decoded image while the chip is encoded (no JPEG round trip; near-ties may flip)', 'keras')
    .option('--precision <p>', 'fp32 | int8 (int8: calibrated on a deterministic sample of the chips, cached; agreement with FP32 reported)', 'fp32')
    .option('--batch-size <n>', 'images per inference batch (default 16)')
    .option('--threads <n>', 'inference threads per worker process (default: all cores)');
}

export interface RunOutputFlags extends SelectionFlags, ChipFlags {
  data: string;
  out: string;
  model: string[];
  backend: string;
  batchSize?: string;
  threads?: string;
  resize: string;
  precision?: string;
  force?: boolean;
}

export function runOutputOptions(f: RunOutputFlags): ShardRunOptions {
  if (f.backend !== 'auto' && !BACKEND_ORDER.includes(f.backend as never)) {
    throw new PipelineError('BAD_OPTION', `--backend ${JSON.stringify(f.backend)}: use auto, ${BACKEND_ORDER.join(', ')}`);
  }
  return {
    data: f.data, out: f.out, models: f.model, ...selectionOptions(f),
    ...runChipOptions(f),
    resize: resizeMode(f.resize),
    precision: parsePrecision(f.precision),
    backend: f.backend as BackendChoice, batchSize: positiveInt('--batch-size', f.batchSize), threads: positiveInt('--threads', f.threads),
    force: f.force,
  };
}

/** chip-extract calls the least box side `minBoxSize`; the run options call it `minChipSize` (select has its own minBoxSize). */
function runChipOptions(f: ChipFlags) {
  const { minBoxSize, ...rest } = chipOptions(f);
  return { ...rest, minChipSize: minBoxSize };
}

function resizeMode(v: string): 'fast' | 'keras' {
  if (v !== 'fast' && v !== 'keras') throw new PipelineError('BAD_OPTION', `--resize ${JSON.stringify(v)}: use fast or keras`);
  return v;
}
