import { DownloadError } from './errors.js';
import { checkBaseUrl, checkSource, DEFAULT_BASE_URL } from './plan.js';
import type { DownloadSource, ImageRef } from './plan.js';
import type { DownloadProgressEvent } from './progress.js';

export interface DownloadOptions {
  /** The images to fetch (e.g. the distinct ImageIDs of the selection). Subset may be omitted when `data` can tell it. */
  images: Iterable<ImageRef> | AsyncIterable<ImageRef>;
  /** Output Parquet file (images.parquet). download-errors.jsonl and the lock `<out>.lock` go beside it. */
  out: string;
  /** OID data dir: its images-with-rotation CSVs give URLs, MD5s, rotation and attribution; its annotation CSVs the split. */
  data?: string;
  /** images-with-rotation CSVs to use instead of looking in `data`. */
  imageMetaFiles?: string[];
  /** s3 (`<baseUrl>/<split>/<ImageID>.jpg`), original (OriginalURL, MD5-checked) or thumbnail (Thumbnail300KURL). */
  source?: DownloadSource | string;
  baseUrl?: string;
  /** Requests in flight. */
  concurrency?: number;
  /** Per-request timeout (ms), headers to last byte. */
  timeoutMs?: number;
  /** Retries after the first attempt on 429/5xx/resets/timeouts/truncation/bad bytes. */
  retries?: number;
  backoffMs?: number;
  maxBackoffMs?: number;
  /** Largest image accepted (bytes); memory stays below about concurrency × maxBytes + partBytes. */
  maxBytes?: number;
  /** A part file (one resume unit) is committed at this many image bytes … */
  partBytes?: number;
  /** … or this many images. */
  partRows?: number;
  /** Fetch again images a previous run recorded as permanently failed (404/403/…). */
  retryMissing?: boolean;
  userAgent?: string;
  progressIntervalMs?: number;
  /** Stop with UNREACHABLE after this many network failures in a row before the first success (a wrong base URL, no network). */
  unreachableAfter?: number;
  /** Take `<out>.lock` so that one download writes `out` at a time (default true). */
  lock?: boolean;
  onProgress?: (event: DownloadProgressEvent) => void;
  /** Notes for the user (a dead run's lock taken over); default: a line on stderr. */
  onNote?: (message: string) => void;
  signal?: AbortSignal;
}

export const DOWNLOAD_DEFAULTS = {
  source: 's3' as DownloadSource,
  baseUrl: DEFAULT_BASE_URL,
  concurrency: 8,
  timeoutMs: 60_000,
  retries: 5,
  backoffMs: 500,
  maxBackoffMs: 30_000,
  maxBytes: 64 * 1024 * 1024,
  partBytes: 32 * 1024 * 1024,
  partRows: 1000,
  retryMissing: false,
  userAgent: 'oidstream-download/0.1',
  progressIntervalMs: 1000,
  /** Give up (UNREACHABLE) when this many images in a row fail with network errors before any succeeds. */
  unreachableAfter: 16,
  lock: true,
};

/** Options with every default filled in and every value checked. */
export type ResolvedDownloadOptions = Omit<DownloadOptions, keyof typeof DOWNLOAD_DEFAULTS> &
  Omit<typeof DOWNLOAD_DEFAULTS, 'source'> & { source: DownloadSource };

function positiveInt(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) throw new DownloadError('BAD_OPTION', `${name} must be a positive integer, got ${value}`);
  return value;
}
function nonNegativeInt(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 0) throw new DownloadError('BAD_OPTION', `${name} must be an integer ≥ 0, got ${value}`);
  return value;
}

/** Defaults in, every value checked (BAD_OPTION / BAD_SOURCE): nothing is touched before this passes. */
export function resolveDownloadOptions(options: DownloadOptions): ResolvedDownloadOptions {
  const defined = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as DownloadOptions;
  const o = { ...DOWNLOAD_DEFAULTS, ...defined };
  if (!o.out) throw new DownloadError('BAD_OPTION', 'an output file (--out) is required');
  for (const name of ['concurrency', 'timeoutMs', 'maxBytes', 'partBytes', 'partRows', 'unreachableAfter'] as const) positiveInt(name, o[name]);
  for (const name of ['retries', 'backoffMs', 'maxBackoffMs'] as const) nonNegativeInt(name, o[name]);
  return { ...o, source: checkSource(String(o.source)), baseUrl: checkBaseUrl(o.baseUrl) };
}
