import type { Command } from 'commander';
import { BACKEND_ORDER } from '@oidstream/keras-models';
import type { BackendChoice } from '@oidstream/keras-models';
import { collect, numberIn, positiveInt } from './cli-values.js';
import { PipelineError } from './errors.js';
import type { ShardRunOptions } from './shard-setup.js';

/** Flags that decide a run's outputs: shared by `run` and `enqueue`, so a sharded run gives the same rows. */
export function addRunOutputOptions(cmd: Command, options: { dataRequired?: boolean } = {}): Command {
  const data = ['--data <dir>', 'OID data dir (metadata/, annotations/, images/ or images.parquet)'] as const;
  return (options.dataRequired === false ? cmd.option(...data) : cmd.requiredOption(...data))
    .requiredOption('--out <dir>', 'output dir: boxes.parquet, chips.parquet, chips/, predictions.parquet, report.html, run.json (shards and workers: a path every machine sees)')
    .option('--model <name=source>', 'model: name=<tfjs layers dir | model.json | http(s) URL | .h5> (repeatable; default: hosted MobileNet when online, else chips only)', collect, [])
    .option('--classes <names>', 'classes by display name or MID, comma separated (default: the six big cats)')
    .option('--under <names>', 'every class under these in the hierarchy')
    .option('--min-confidence <x>', 'image labels with Confidence above this count (default 0.99)')
    .option('--exclude-group-of', 'drop IsGroupOf boxes')
    .option('--exclude-depiction', 'drop IsDepiction boxes')
    .option('--exclude-occluded', 'drop IsOccluded boxes')
    .option('--exclude-truncated', 'drop IsTruncated boxes')
    .option('--exclude-inside', 'drop IsInside boxes')
    .option('--min-box-size <x>', 'drop boxes narrower or lower than this (normalised, 0–1)')
    .option('--quality <n>', 'chip JPEG quality 1–100 (default 90)')
    .option('--padding <pct>', 'grow each box by this % of its size (default 0)')
    .option('--square', 'square chips')
    .option('--max-side <px>', 'scale chips down to this longest side')
    .option('--min-chip-size <px>', 'boxes smaller than this many pixels become errors (default 1)')
    .option('--no-chip-files', 'do not write chips/<DisplayName>/<chip_id>.jpg files')
    .option('--backend <backend>', `inference backend: auto|${BACKEND_ORDER.join('|')}`, 'auto')
    .option('--batch-size <n>', 'images per inference batch (default 16)')
    .option('--threads <n>', 'inference threads per worker process (default: all cores)');
}

export interface RunOutputFlags {
  data: string;
  out: string;
  model: string[];
  classes?: string;
  under?: string;
  minConfidence?: string;
  excludeGroupOf?: boolean;
  excludeDepiction?: boolean;
  excludeOccluded?: boolean;
  excludeTruncated?: boolean;
  excludeInside?: boolean;
  minBoxSize?: string;
  quality?: string;
  padding?: string;
  square?: boolean;
  maxSide?: string;
  minChipSize?: string;
  chipFiles: boolean;
  backend: string;
  batchSize?: string;
  threads?: string;
  force?: boolean;
}

export function runOutputOptions(f: RunOutputFlags): ShardRunOptions {
  if (f.backend !== 'auto' && !BACKEND_ORDER.includes(f.backend as never)) {
    throw new PipelineError('BAD_OPTION', `--backend ${JSON.stringify(f.backend)}: use auto, ${BACKEND_ORDER.join(', ')}`);
  }
  return {
    data: f.data, out: f.out, models: f.model, classes: f.classes, under: f.under,
    minConfidence: numberIn('--min-confidence', f.minConfidence, 0, 1),
    excludeGroupOf: f.excludeGroupOf, excludeDepiction: f.excludeDepiction, excludeOccluded: f.excludeOccluded,
    excludeTruncated: f.excludeTruncated, excludeInside: f.excludeInside,
    minBoxSize: numberIn('--min-box-size', f.minBoxSize, 0, 1),
    quality: positiveInt('--quality', f.quality), padding: numberIn('--padding', f.padding, 0, 1000), square: f.square,
    maxSide: positiveInt('--max-side', f.maxSide), minChipSize: positiveInt('--min-chip-size', f.minChipSize), chipFiles: f.chipFiles,
    backend: f.backend as BackendChoice, batchSize: positiveInt('--batch-size', f.batchSize), threads: positiveInt('--threads', f.threads),
    force: f.force,
  };
}
