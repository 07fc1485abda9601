/** A snapshot of a running download, emitted every `progressIntervalMs` and once per phase change. */
export interface DownloadProgressEvent {
  phase: 'fetch' | 'finish' | 'done';
  /** Images selected (after de-duplication). */
  selected: number;
  /** Already stored by an earlier (interrupted) run, or skipped as known-missing. */
  skipped: number;
  /** To fetch in this run. */
  total: number;
  /** Fetched and stored in this run. */
  done: number;
  /** Failed in this run after retries (missing included). */
  failed: number;
  /** Of `failed`: 404/403/410. */
  missing: number;
  /** Retries so far. */
  retries: number;
  /** Image bytes stored in this run. */
  bytes: number;
  inFlight: number;
  elapsedMs: number;
  imagesPerSec: number;
  bytesPerSec: number;
}

function mib(bytes: number): string {
  return (bytes / (1024 * 1024)).toFixed(1);
}

/** One human line, e.g. `download [#####.....] 512/1000 images  48.2 MiB  85.1 img/s  7.9 MiB/s  3 failed (2 missing)`. */
export function formatProgress(e: DownloadProgressEvent, width = 20): string {
  const finished = e.done + e.failed;
  const fraction = e.total === 0 ? 1 : finished / e.total;
  const filled = Math.round(fraction * width);
  const bar = '#'.repeat(filled) + '.'.repeat(width - filled);
  const phase = e.phase === 'fetch' ? '' : ` (${e.phase})`;
  return (
    `download${phase} [${bar}] ${finished}/${e.total} images` +
    (e.skipped ? ` (+${e.skipped} kept)` : '') +
    `  ${mib(e.bytes)} MiB  ${e.imagesPerSec.toFixed(1)} img/s  ${mib(e.bytesPerSec)} MiB/s` +
    `  ${e.failed} failed${e.missing ? ` (${e.missing} missing)` : ''}${e.retries ? `  ${e.retries} retries` : ''}`
  );
}

/**
 * Progress to a stream: `json` → one JSON object per line per event; a TTY → one redrawn line; otherwise a line per
 * event (callers throttle by `progressIntervalMs`).
 */
export function progressReporter(options: { json: boolean; stream?: NodeJS.WritableStream & { isTTY?: boolean } }): (e: DownloadProgressEvent) => void {
  const stream = options.stream ?? process.stderr;
  if (options.json) return (e) => void stream.write(JSON.stringify({ event: 'progress', stage: 'download', ...e }) + '\n');
  if (stream.isTTY) {
    return (e) => void stream.write(`\r\x1b[2K${formatProgress(e)}${e.phase === 'done' ? '\n' : ''}`);
  }
  return (e) => void stream.write(formatProgress(e) + '\n');
}
