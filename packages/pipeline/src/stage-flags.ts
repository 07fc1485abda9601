import type { Command } from 'commander';
import type { ChipOptions } from '@oidstream/chip-extract';
import { SELECT_DEFAULTS, type SelectionOptions } from '@oidstream/oid-join/options';
import { collect, numberIn, positiveInt } from './cli-values.js';
import { PipelineError } from './errors.js';

/** The selection flags, as every command that selects (select, download, run, enqueue) spells them. */
export interface SelectionFlags {
  classes?: string[];
  under?: string[];
  minConfidence?: string;
  minBoxSize?: string;
  excludeGroupOf?: boolean;
  excludeDepiction?: boolean;
  excludeOccluded?: boolean;
  excludeTruncated?: boolean;
  excludeInside?: boolean;
  maxPerClass?: string;
  seed?: string;
  splits?: string[];
  labels?: string;
}

export function addSelectionOptions(cmd: Command): Command {
  return cmd
    .option('--classes <names>', 'display names or MIDs, comma-separated; repeatable (default: the six big cats)', collect)
    .option('--under <name>', 'every class below this one in the hierarchy; repeatable', collect)
    .option('--min-confidence <p>', `keep image labels with Confidence > p (default ${SELECT_DEFAULTS.minConfidence})`)
    .option('--exclude-group-of', 'drop boxes with IsGroupOf = 1')
    .option('--exclude-depiction', 'drop boxes with IsDepiction = 1')
    .option('--exclude-occluded', 'drop boxes with IsOccluded = 1')
    .option('--exclude-truncated', 'drop boxes with IsTruncated = 1')
    .option('--exclude-inside', 'drop boxes with IsInside = 1')
    .option('--min-box-size <f>', 'drop boxes narrower or lower than this fraction of the image (0–1)')
    .option('--max-per-class <n>', 'at most n images per class, chosen by --seed (OIDv4_ToolKit --limit, FiftyOne max_samples, but per class)')
    .option('--seed <s>', `seed of the --max-per-class sample: same seed and data, same images, whatever the file order (FiftyOne shuffle+seed; default ${SELECT_DEFAULTS.seed})`)
    .option('--splits <a,b>', 'read only these splits\' annotation files, e.g. train,validation (OIDv4_ToolKit --type_csv, FiftyOne split(s); default: every split found)', collect)
    .option('--labels <which>', `image-level label files that count: human|machine|all (machine: <split>-annotations-machine-imagelabels.csv, fractional Confidence, so --min-confidence matters; default ${SELECT_DEFAULTS.labels})`);
}

export function selectionOptions(f: SelectionFlags): SelectionOptions {
  return {
    classes: f.classes, under: f.under,
    minConfidence: numberIn('--min-confidence', f.minConfidence, 0, 1), minBoxSize: numberIn('--min-box-size', f.minBoxSize, 0, 1),
    excludeGroupOf: f.excludeGroupOf, excludeDepiction: f.excludeDepiction, excludeOccluded: f.excludeOccluded,
    excludeTruncated: f.excludeTruncated, excludeInside: f.excludeInside,
    maxPerClass: positiveInt('--max-per-class', f.maxPerClass), seed: wholeNumber('--seed', f.seed),
    splits: f.splits?.flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean), labels: labelsFlag(f.labels),
  };
}

function wholeNumber(flag: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!/^-?\d+$/.test(v.trim()) || !Number.isSafeInteger(n)) throw new PipelineError('BAD_OPTION', `${flag} must be a whole number, got ${JSON.stringify(v)}`);
  return n;
}

function labelsFlag(v: string | undefined): SelectionOptions['labels'] {
  if (v === undefined || v === 'human' || v === 'machine' || v === 'all') return v;
  throw new PipelineError('BAD_OPTION', `--labels must be human, machine or all, got ${JSON.stringify(v)}`);
}

/** The chip flags, as chips, run and enqueue spell them. */
export interface ChipFlags {
  quality?: string;
  padding?: string;
  square?: boolean;
  maxSide?: string;
  minChipSize?: string;
  chipFiles: boolean;
}

export function addChipOptions(cmd: Command): Command {
  return cmd
    .option('--quality <n>', 'chip JPEG quality 1–100 (default 90)')
    .option('--padding <pct>', 'grow each box by this % of its size (default 0)')
    .option('--square', 'square chips')
    .option('--max-side <px>', 'scale chips down to this longest side')
    .option('--min-chip-size <px>', 'boxes smaller than this many pixels become errors (default 1)')
    .option('--no-chip-files', 'do not write chips/<DisplayName>/<chip_id>.jpg files');
}

export function chipOptions(f: ChipFlags): Pick<ChipOptions, 'quality' | 'padding' | 'square' | 'maxSide' | 'minBoxSize'> & { chipFiles: boolean } {
  return {
    quality: numberIn('--quality', f.quality, 1, 100), padding: numberIn('--padding', f.padding, 0, 1000), square: f.square,
    maxSide: positiveInt('--max-side', f.maxSide), minBoxSize: positiveInt('--min-chip-size', f.minChipSize), chipFiles: f.chipFiles,
  };
}
