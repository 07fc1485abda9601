import path from 'node:path';
import { PipelineError } from '../errors.js';
import { DownloadErrorLog, readErrorLog } from '../download-error-log.js';
import type { DownloadErrorRecord } from '../download-error-log.js';
import { PartStore } from '../download-parts.js';
import { checkBaseUrl, checkSource, DEFAULT_BASE_URL, planDownloads } from '../download-plan.js';
import type { DownloadSource, ImageRef } from '../download-plan.js';
import type { DownloadProgressEvent } from '../download-progress.js';
import { fetchImages } from '../fetch-images.js';
import { findOidFiles } from '@oidstream/oid-join';
import { findSubsetsInAnnotations, readImageMeta } from '../read-image-meta.js';

export interface DownloadOptions {
  /** The images to fetch (e.g. the distinct ImageIDs of the selection). Subset may be omitted when `data` can tell it. */
  images: Iterable<ImageRef> | AsyncIterable<ImageRef>;
  /** Output Parquet file (images.parquet). download-errors.jsonl goes beside it. */
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
  /** Stop with UNREACHABLE after this many network failures in a row before the first success (a wrong --base-url, no network). */
  unreachableAfter?: number;
  onProgress?: (event: DownloadProgressEvent) => void;
  signal?: AbortSignal;
  /** Random source for backoff jitter (tests). */
  random?: () => number;
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
};

export interface DownloadSummary {
  out: string;
  errorsFile: string;
  selected: number;
  /** Stored by an earlier run (kept, not fetched again). */
  kept: number;
  /** Known-missing from an earlier run, not requested again. */
  skippedMissing: number;
  fetched: number;
  failed: number;
  missing: number;
  /** Lines in download-errors.jsonl: every selected image not stored, with its reason. */
  errors: number;
  retries: number;
  bytes: number;
  /** Rows in `out` at the end (earlier rows of other selections included). */
  rows: number;
  elapsedMs: number;
  imagesPerSec: number;
}

function positiveInt(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) throw new PipelineError('BAD_OPTION', `${name} must be a positive integer, got ${value}`);
  return value;
}
function nonNegative(name: string, value: number): number {
  if (!Number.isFinite(value) || value < 0) throw new PipelineError('BAD_OPTION', `${name} must be a number ≥ 0, got ${value}`);
  return value;
}

async function collect(images: Iterable<ImageRef> | AsyncIterable<ImageRef>): Promise<ImageRef[]> {
  const out: ImageRef[] = [];
  for await (const ref of images) out.push(ref);
  return out;
}

/**
 * Fetch images into `out` (images.parquet): bounded concurrency, retries with backoff + jitter, per-request timeout,
 * verification, resumable through committed part files, failures in download-errors.jsonl.
 */
export async function downloadImages(options: DownloadOptions): Promise<DownloadSummary> {
  const o = { ...DOWNLOAD_DEFAULTS, ...stripUndefined(options) };
  const source = checkSource(String(o.source));
  const baseUrl = checkBaseUrl(o.baseUrl);
  positiveInt('concurrency', o.concurrency);
  positiveInt('timeoutMs', o.timeoutMs);
  nonNegative('retries', o.retries);
  positiveInt('retries + 1', Math.floor(o.retries) + 1);
  nonNegative('backoffMs', o.backoffMs);
  nonNegative('maxBackoffMs', o.maxBackoffMs);
  positiveInt('maxBytes', o.maxBytes);
  positiveInt('partBytes', o.partBytes);
  positiveInt('partRows', o.partRows);
  positiveInt('unreachableAfter', o.unreachableAfter);
  if (!o.out) throw new PipelineError('BAD_OPTION', 'an output file (--out) is required');
  const started = Date.now();

  const refs = await collect(options.images);
  const wanted = new Set(refs.map((r) => r.ImageID));
  const metaFiles = o.imageMetaFiles ?? (o.data ? (await findOidFiles(o.data)).rotation : []);
  if (source !== 's3' && metaFiles.length === 0 && wanted.size > 0) {
    throw new PipelineError('NO_URL', `--source ${source} needs <split>-images-with-rotation.csv (none found${o.data ? ` in ${o.data}` : ''})`);
  }
  const meta = await readImageMeta(metaFiles, wanted);
  let withSubsets = refs;
  if (source === 's3' && o.data) {
    const unknown = new Set(refs.filter((r) => !r.Subset && !meta.get(r.ImageID)?.Subset).map((r) => r.ImageID));
    const found = await findSubsetsInAnnotations(o.data, unknown);
    if (found.size) withSubsets = refs.map((r) => (found.has(r.ImageID) ? { ...r, Subset: found.get(r.ImageID) } : r));
  }
  const { tasks, unplanned } = planDownloads(withSubsets, meta, { source, baseUrl });
  const selected = tasks.length + unplanned.length;

  const out = path.resolve(o.out);
  const errorsFile = path.join(path.dirname(out), 'download-errors.jsonl');
  const store = new PartStore(out, { partBytes: o.partBytes, partRows: o.partRows });
  const have = await store.open();

  // Failures that still stand: earlier permanent ones (unless retried) and images that cannot be requested.
  const now = new Date().toISOString();
  const standing = new Map<string, DownloadErrorRecord>();
  if (!o.retryMissing) {
    for (const r of readErrorLog(errorsFile)) if (r.permanent && wanted.has(r.ImageID) && !have.has(r.ImageID)) standing.set(r.ImageID, r);
  }
  for (const u of unplanned) {
    if (have.has(u.imageId)) continue; // stored by an earlier run (e.g. from another --source)
    standing.set(u.imageId, { stage: 'download', ImageID: u.imageId, reason: u.reason, message: u.detail, url: null, status: null, attempts: 0, permanent: true, time: now });
  }
  const log = new DownloadErrorLog(errorsFile);
  await log.reset([...standing.values()]);
  const todo = tasks.filter((t) => !have.has(t.imageId) && !standing.has(t.imageId));
  const kept = tasks.filter((t) => have.has(t.imageId)).length;
  const skippedMissing = tasks.length - kept - todo.length;

  const stats = { done: 0, failed: 0, missing: 0, retries: 0, bytes: 0, inFlight: 0 };
  let phase: DownloadProgressEvent['phase'] = 'fetch';
  const fetchStart = Date.now();
  const snapshot = (): DownloadProgressEvent => {
    const elapsedMs = Date.now() - fetchStart;
    const secs = Math.max(elapsedMs, 1) / 1000;
    return {
      phase,
      selected,
      skipped: kept + skippedMissing,
      total: todo.length,
      ...stats,
      elapsedMs,
      imagesPerSec: stats.done / secs,
      bytesPerSec: stats.bytes / secs,
    };
  };
  const emit = () => o.onProgress?.(snapshot());
  const ticker = o.onProgress ? setInterval(emit, o.progressIntervalMs) : undefined;
  ticker?.unref();

  let rows = have.size;
  let networkFailures = 0;
  // Nothing new and nothing to fold in: leave `out` as it is.
  const rewrite = todo.length > 0 || !(await store.upToDate());
  try {
    if (rewrite) await store.beginOutput({ rowGroupBytes: o.partBytes });
    const outcomes = fetchImages(todo, {
      concurrency: o.concurrency,
      timeoutMs: o.timeoutMs,
      maxBytes: o.maxBytes,
      retries: Math.floor(o.retries),
      backoffMs: o.backoffMs,
      maxBackoffMs: o.maxBackoffMs,
      signal: o.signal,
      headers: { 'user-agent': o.userAgent },
      random: o.random,
      onStart: () => void stats.inFlight++,
      onRetry: () => void stats.retries++,
    });
    for await (const { task, result } of outcomes) {
      stats.inFlight--;
      if (result.ok) {
        store.add({
          ImageID: task.imageId,
          Subset: task.subset,
          Rotation: task.rotation,
          image: result.bytes,
          License: task.license,
          Author: task.author,
          OriginalURL: task.originalUrl,
        });
        stats.done++;
        stats.bytes += result.bytes.byteLength;
      } else {
        stats.failed++;
        if (result.reason === 'MISSING') stats.missing++;
        networkFailures = result.reason === 'NETWORK' && stats.done === 0 ? networkFailures + 1 : 0;
        log.append({
          stage: 'download',
          ImageID: task.imageId,
          reason: result.reason,
          message: result.detail,
          url: task.url,
          status: result.status ?? null,
          attempts: result.attempts,
          permanent: result.permanent,
          time: new Date().toISOString(),
        });
        if (networkFailures >= o.unreachableAfter) {
          throw new PipelineError(
            'UNREACHABLE',
            `the first ${networkFailures} images all failed to connect (${result.detail}); check --base-url and the network, then rerun (nothing fetched is lost)`,
          );
        }
      }
    }
    phase = 'finish';
    emit();
    if (rewrite) rows = (await store.finish()).rows;
    else await store.close();
  } catch (err) {
    // Rows already fetched are whole: keep them for the next run instead of fetching them again.
    store.interrupt();
    throw err;
  } finally {
    if (ticker) clearInterval(ticker);
  }
  phase = 'done';
  emit();
  // `rows` counts the whole file: rows of earlier, different selections are kept too.
  const elapsedMs = Date.now() - started;
  return {
    out,
    errorsFile,
    selected,
    kept,
    skippedMissing,
    fetched: stats.done,
    failed: stats.failed,
    missing: stats.missing,
    errors: log.count,
    retries: stats.retries,
    bytes: stats.bytes,
    rows,
    elapsedMs,
    imagesPerSec: stats.done / (Math.max(Date.now() - fetchStart, 1) / 1000),
  };
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
