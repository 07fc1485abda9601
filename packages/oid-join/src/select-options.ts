import type { BadRow } from '@oidstream/oid-labels';
import { OidJoinError } from './errors.js';
import type { OidFiles } from './find-oid-files.js';

/** Explicit input files, instead of a data dir. Splits are read from the file names (`<split>-annotations-…`). */
export type SelectInputFiles = Pick<OidFiles, 'metadata' | 'boxes'> & Partial<Pick<OidFiles, 'humanLabels' | 'machineLabels'>>;

/** The options that decide which boxes are selected (as opposed to where they come from and how the scan runs). */
export interface SelectionOptions {
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
  /** At most this many images per selected class (default: all). Which ones is decided by `seed`. */
  maxPerClass?: number;
  /** Seed of the per-class sample (default 0): the same seed and data give the same images. */
  seed?: number;
  /** Read only these splits' annotation files (default: every split found). */
  splits?: readonly string[];
  /** Which image-level label files count (default 'human'). */
  labels?: 'human' | 'machine' | 'all';
}

export interface SelectProgress {
  phase: 'labels' | 'boxes';
  file: string;
  bytesRead: number;
  totalBytes: number;
}

export interface SelectBoxesOptions extends SelectionOptions {
  /** Data dir (DESIGN.md layout: metadata/, annotations/). Either this or `files`. */
  data?: string;
  /** Explicit files (used when `data` is not given). */
  files?: SelectInputFiles;
  /** Byte-level pre-filter before parsing (default true; off only to measure it). */
  prefilter?: boolean;
  /** How kept lines are parsed (default 'auto': quote-free batches split directly; 'csv-parse' to measure it). */
  parser?: 'auto' | 'csv-parse';
  /**
   * Threads that pre-filter byte ranges of big files (default 1: this thread only). Measured on 2 shared cores it
   * does not pay yet: the label pass keeps ~15% of its lines and parsing them on this thread is the bottleneck.
   */
  threads?: number;
  /**
   * Read the label and box files on worker threads at once (default: when they are 16 MB or more in all): the
   * workers pre-filter the label lines by class and hand over only the ImageIDs of Confidence-1 rows (other rows
   * counted, or handed over whole when not plain 0/1), and pre-filter the box lines by class meanwhile (at most 64 MB
   * of box lines are held, past that the boxes are scanned after the labels). Same result either way.
   */
  workers?: boolean;
  /** Bytes per range with threads (default 8 MiB; small values only to test the split). */
  rangeBytes?: number;
  /** Rows that cannot be typed (default: counted, and the first 20 listed in the summary). */
  onBadRow?: (bad: BadRow) => void;
  onProgress?: (p: SelectProgress) => void;
}

export const SELECT_DEFAULTS = {
  minConfidence: 0.99,
  minBoxSize: 0,
  seed: 0,
  labels: 'human',
  prefilter: true,
  parser: 'auto',
  threads: 1,
  excludeGroupOf: false,
  excludeDepiction: false,
  excludeOccluded: false,
  excludeTruncated: false,
  excludeInside: false,
} as const;

/** The selection options with defaults applied and checked. */
export interface ResolvedSelection {
  minConfidence: number;
  minBoxSize: number;
  maxPerClass: number | undefined;
  seed: number;
  labels: 'human' | 'machine' | 'all';
  splits: string[] | undefined;
}

const bad = (message: string): OidJoinError => new OidJoinError('BAD_OPTIONS', message);

/** Apply the defaults and check every selection option (`BAD_OPTIONS`), before any file is read. */
export function resolveSelection(o: SelectBoxesOptions): ResolvedSelection {
  if (!o || typeof o !== 'object') throw bad('selectBoxes needs an options object');
  if (!o.data && !o.files) throw bad('selectBoxes needs `data` (a data dir) or `files`');
  const minConfidence = o.minConfidence ?? SELECT_DEFAULTS.minConfidence;
  const minBoxSize = o.minBoxSize ?? SELECT_DEFAULTS.minBoxSize;
  const seed = o.seed ?? SELECT_DEFAULTS.seed;
  const labels = o.labels ?? SELECT_DEFAULTS.labels;
  if (typeof minConfidence !== 'number' || !(minConfidence >= 0 && minConfidence <= 1)) {
    throw bad(`min confidence must be a number from 0 to 1, got ${String(minConfidence)}`);
  }
  if (typeof minBoxSize !== 'number' || !(minBoxSize >= 0 && minBoxSize <= 1)) {
    throw bad(`min box size must be a number from 0 to 1 (fraction of the image side), got ${String(minBoxSize)}`);
  }
  if (o.maxPerClass !== undefined && !(Number.isSafeInteger(o.maxPerClass) && o.maxPerClass >= 1)) {
    throw bad(`max per class must be a whole number ≥ 1, got ${String(o.maxPerClass)}`);
  }
  if (!Number.isSafeInteger(seed)) throw bad(`seed must be a whole number, got ${String(seed)}`);
  if (labels !== 'human' && labels !== 'machine' && labels !== 'all') throw bad(`labels must be human, machine or all, got ${String(labels)}`);
  if (o.splits !== undefined && (!Array.isArray(o.splits) || o.splits.length === 0 || o.splits.some((s) => typeof s !== 'string' || s === ''))) {
    throw bad(`splits must be a non-empty list of split names, got ${JSON.stringify(o.splits)}`);
  }
  if (o.parser !== undefined && o.parser !== 'auto' && o.parser !== 'csv-parse') throw bad(`parser ${JSON.stringify(o.parser)}: use 'auto' or 'csv-parse'`);
  return { minConfidence, minBoxSize, maxPerClass: o.maxPerClass, seed, labels, splits: o.splits ? [...new Set(o.splits)] : undefined };
}
