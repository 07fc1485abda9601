import path from 'node:path';
import { acquireOutputLock, outputLockPath } from '@oidstream/parquet-io';
import { DownloadError } from './errors.js';
import { DownloadErrorLog, readErrorLog } from './error-log.js';
import type { DownloadErrorRecord } from './error-log.js';
import { fetchImages } from './fetch-images.js';
import { resolveDownloadOptions } from './options.js';
import type { DownloadOptions, ResolvedDownloadOptions } from './options.js';
import { PartStore } from './part-store.js';
import { planDownloads } from './plan.js';
import type { DownloadTask, ImageRef } from './plan.js';
import type { DownloadProgressEvent } from './progress.js';
import { findImageMetaFiles, findSubsetsInAnnotations, readImageMeta } from './read-image-meta.js';

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
  /** Those lines counted by reason (MISSING, TIMEOUT, NO_URL, …). */
  errorsByReason: Record<string, number>;
  retries: number;
  bytes: number;
  /** Rows in `out` at the end (earlier rows of other selections included). */
  rows: number;
  elapsedMs: number;
  imagesPerSec: number;
}

/** What a run has to do, worked out before any request. */
interface DownloadPlan {
  out: string;
  errorsFile: string;
  selected: number;
  kept: number;
  skippedMissing: number;
  todo: DownloadTask[];
  /** Rows already in `out` and its parts; of them, the selected ones. */
  have: number;
  haveSelected: number;
  /** Failures carried over (known-missing, no URL), counted by reason. */
  standingByReason: Record<string, number>;
  store: PartStore;
  log: DownloadErrorLog;
}

/** The counters of a fetch, as the progress events report them, plus failures by reason. */
type FetchStats = Pick<DownloadProgressEvent, 'done' | 'failed' | 'missing' | 'retries' | 'bytes' | 'inFlight'> & { byReason: Record<string, number> };

/**
 * Fetch images into `out` (images.parquet): bounded concurrency, retries with backoff + jitter, per-request timeout,
 * verification, resumable through committed part files, failures in download-errors.jsonl. One download per `out` at a
 * time (`<out>.lock`). Throws NOTHING_STORED when images were wanted and none is in `out` at the end.
 */
export async function downloadImages(options: DownloadOptions): Promise<DownloadSummary> {
  const o = resolveDownloadOptions(options);
  const started = Date.now();
  const out = path.resolve(o.out);
  const lock = o.lock ? await acquireOutputLock(outputLockPath(out, 'file'), { command: 'download', onNote: o.onNote }) : undefined;
  try {
    const plan = await planRun(o, out);
    const stats: FetchStats = { done: 0, failed: 0, missing: 0, retries: 0, bytes: 0, inFlight: 0, byReason: {} };
    const fetchStart = Date.now();
    const rows = await fetchAll(plan, o, stats, fetchStart);
    return summarise(plan, stats, rows, started, fetchStart);
  } finally {
    await lock?.release();
  }
}

async function collect(images: Iterable<ImageRef> | AsyncIterable<ImageRef>): Promise<ImageRef[]> {
  const out: ImageRef[] = [];
  for await (const ref of images) out.push(ref);
  return out;
}

/** Reads the selection and the metadata, opens the resume state, and lists what is left to fetch. */
async function planRun(o: ResolvedDownloadOptions, out: string): Promise<DownloadPlan> {
  const refs = await collect(o.images);
  const wanted = new Set(refs.map((r) => r.ImageID));
  const metaFiles = o.imageMetaFiles ?? (o.data ? await findImageMetaFiles(o.data) : []);
  if (o.source !== 's3' && metaFiles.length === 0 && wanted.size > 0) {
    throw new DownloadError('NO_URL', `--source ${o.source} needs <split>-images-with-rotation.csv (none found${o.data ? ` in ${o.data}` : ''})`);
  }
  const meta = await readImageMeta(metaFiles, wanted);
  let withSubsets = refs;
  if (o.source === 's3' && o.data) {
    const unknown = new Set(refs.filter((r) => !r.Subset && !meta.get(r.ImageID)?.Subset).map((r) => r.ImageID));
    const found = await findSubsetsInAnnotations(o.data, unknown);
    if (found.size) withSubsets = refs.map((r) => (found.has(r.ImageID) ? { ...r, Subset: found.get(r.ImageID) } : r));
  }
  const { tasks, unplanned } = planDownloads(withSubsets, meta, { source: o.source, baseUrl: o.baseUrl });

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
  const standingByReason: Record<string, number> = {};
  for (const r of standing.values()) standingByReason[r.reason] = (standingByReason[r.reason] ?? 0) + 1;
  return {
    out, errorsFile, selected: tasks.length + unplanned.length, kept, skippedMissing: tasks.length - kept - todo.length, todo,
    have: have.size, haveSelected: [...wanted].filter((id) => have.has(id)).length, standingByReason, store, log,
  };
}

/** Fetches the plan's tasks into the store; returns the rows in `out` at the end. */
async function fetchAll(plan: DownloadPlan, o: ResolvedDownloadOptions, stats: FetchStats, fetchStart: number): Promise<number> {
  const { store, log, todo } = plan;
  let phase: DownloadProgressEvent['phase'] = 'fetch';
  const emit = () => o.onProgress?.(progressEvent(plan, stats, phase, fetchStart));
  const ticker = o.onProgress ? setInterval(emit, o.progressIntervalMs) : undefined;
  ticker?.unref();
  let networkFailures = 0;
  // Nothing new and nothing to fold in: leave `out` as it is.
  const rewrite = todo.length > 0 || !(await store.upToDate());
  try {
    if (rewrite) await store.beginOutput({ rowGroupBytes: o.partBytes });
    const outcomes = fetchImages(todo, {
      concurrency: o.concurrency,
      timeoutMs: o.timeoutMs,
      maxBytes: o.maxBytes,
      retries: o.retries,
      backoffMs: o.backoffMs,
      maxBackoffMs: o.maxBackoffMs,
      signal: o.signal,
      headers: { 'user-agent': o.userAgent },
      onStart: () => void stats.inFlight++,
      onRetry: () => void stats.retries++,
    });
    for await (const { task, result } of outcomes) {
      stats.inFlight--;
      if (result.ok) {
        const { imageId: ImageID, subset: Subset, rotation: Rotation, license: License, author: Author, originalUrl: OriginalURL } = task;
        store.add({ ImageID, Subset, Rotation, image: result.bytes, License, Author, OriginalURL });
        stats.done++;
        stats.bytes += result.bytes.byteLength;
        continue;
      }
      stats.failed++;
      stats.byReason[result.reason] = (stats.byReason[result.reason] ?? 0) + 1;
      if (result.reason === 'MISSING') stats.missing++;
      networkFailures = result.reason === 'NETWORK' && stats.done === 0 ? networkFailures + 1 : 0;
      log.append({
        stage: 'download', ImageID: task.imageId, reason: result.reason, message: result.detail, url: task.url,
        status: result.status ?? null, attempts: result.attempts, permanent: result.permanent, time: new Date().toISOString(),
      });
      if (networkFailures >= o.unreachableAfter) {
        throw new DownloadError(
          'UNREACHABLE',
          `the first ${networkFailures} images all failed to connect (${result.detail}); check --base-url and the network, then rerun (nothing fetched is lost)`,
        );
      }
    }
    phase = 'finish';
    emit();
    const rows = rewrite ? (await store.finish()).rows : (await store.close(), plan.have);
    phase = 'done';
    emit();
    return rows;
  } catch (err) {
    // Rows already fetched are whole: keep them for the next run instead of fetching them again.
    store.interrupt();
    throw err;
  } finally {
    if (ticker) clearInterval(ticker);
  }
}

function progressEvent(plan: DownloadPlan, stats: FetchStats, phase: DownloadProgressEvent['phase'], fetchStart: number): DownloadProgressEvent {
  const elapsedMs = Date.now() - fetchStart;
  const secs = Math.max(elapsedMs, 1) / 1000;
  const { byReason: _, ...counts } = stats;
  return {
    phase,
    selected: plan.selected,
    skipped: plan.kept + plan.skippedMissing,
    total: plan.todo.length,
    ...counts,
    elapsedMs,
    imagesPerSec: stats.done / secs,
    bytesPerSec: stats.bytes / secs,
  };
}

/** The summary; NOTHING_STORED when images were wanted and not one of them is stored. */
function summarise(plan: DownloadPlan, stats: FetchStats, rows: number, started: number, fetchStart: number): DownloadSummary {
  const errorsByReason: Record<string, number> = { ...plan.standingByReason };
  for (const [reason, n] of Object.entries(stats.byReason)) errorsByReason[reason] = (errorsByReason[reason] ?? 0) + n;
  const summary: DownloadSummary = {
    out: plan.out,
    errorsFile: plan.errorsFile,
    selected: plan.selected,
    kept: plan.kept,
    skippedMissing: plan.skippedMissing,
    fetched: stats.done,
    failed: stats.failed,
    missing: stats.missing,
    errors: plan.log.count,
    errorsByReason,
    retries: stats.retries,
    bytes: stats.bytes,
    rows,
    elapsedMs: Date.now() - started,
    imagesPerSec: stats.done / (Math.max(Date.now() - fetchStart, 1) / 1000),
  };
  if (plan.selected > 0 && plan.haveSelected + stats.done === 0) {
    throw new DownloadError(
      'NOTHING_STORED',
      `none of the ${plan.selected} selected images could be stored (${formatReasons(errorsByReason)}); reasons per image in ${plan.errorsFile}`,
      { cause: summary },
    );
  }
  return summary;
}

/** `3 MISSING, 2 TIMEOUT`, most frequent first. */
export function formatReasons(byReason: Record<string, number>): string {
  return Object.entries(byReason)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([reason, n]) => `${n} ${reason}`)
    .join(', ');
}
