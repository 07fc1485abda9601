import { promises as fsp } from 'node:fs';
import { Worker } from 'node:worker_threads';
import type { ByteKeySet } from './byte-key-set.js';
import { type CsvHeader, type CsvRow, type ScanOptions, type ScanStats, readHeader, scanCsvBatches } from './scan-csv.js';
import type { RangeResult, RangeTask } from './scan-worker.js';
import { splitQuoteFreeBatch } from './split-batch.js';

/** Bytes per range handed to a worker (a file smaller than two ranges is not split). */
export const RANGE_BYTES = 8 << 20;

/** Worker threads that pre-filter byte ranges of CSV files. One per thread; started on first use. */
export class ScanPool {
  private workers: Worker[] = [];
  private readonly pending = new Map<number, { resolve: (r: RangeResult) => void; reject: (e: unknown) => void }>();
  private nextId = 0;

  constructor(readonly threads: number) {}

  private start(): void {
    if (this.workers.length) return;
    for (let i = 0; i < this.threads; i++) {
      const w = startWorker();
      w.on('message', (r: RangeResult) => {
        const p = this.pending.get(r.id);
        this.pending.delete(r.id);
        // Idle workers must not keep the process alive (an abandoned scan); busy ones must.
        if (!this.pending.size) for (const x of this.workers) x.unref();
        if (r.error) p?.reject(new Error(r.error));
        else p?.resolve(r);
      });
      w.on('error', (err) => this.failAll(err));
      w.unref();
      this.workers.push(w);
    }
  }

  private failAll(err: unknown): void {
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }

  /** Key sets for the next ranges (by column position in the file's header). */
  setup(columns: { index: number; keys: ByteKeySet }[]): void {
    this.start();
    const msg = { type: 'setup', columns: columns.map((c) => ({ index: c.index, keys: [...c.keys.keys()] })) };
    for (const w of this.workers) w.postMessage(msg);
  }

  run(task: Omit<RangeTask, 'id'>): Promise<RangeResult> {
    const id = this.nextId++;
    const promise = new Promise<RangeResult>((resolve, reject) => this.pending.set(id, { resolve, reject }));
    for (const w of this.workers) w.ref();
    this.workers[id % this.workers.length].postMessage({ type: 'range', id, ...task });
    return promise;
  }

  async close(): Promise<void> {
    const workers = this.workers;
    this.workers = [];
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

/**
 * From dist/ the worker is scan-worker.js. Tests run the TypeScript sources: then a small eval worker registers tsx
 * (a dev dependency) before it imports scan-worker.ts, so the hooks are in place first.
 */
function startWorker(): Worker {
  // The parent's flags may not suit a worker (`--input-type` fails it): keep the others (e.g. memory limits).
  const execArgv = process.execArgv.filter((a) => !a.startsWith('--input-type') && !a.startsWith('--eval') && a !== '-e');
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./scan-worker.js', import.meta.url), { execArgv });
  const url = new URL('./scan-worker.ts', import.meta.url).href;
  const boot = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(url)}); });`;
  return new Worker(boot, { eval: true });
}

/** The header line of a file and where its body starts, or undefined when no newline is found early. */
export async function headerOf(file: string): Promise<{ header: CsvHeader; bodyStart: number } | undefined> {
  const fh = await fsp.open(file, 'r');
  try {
    const buf = Buffer.alloc(1 << 16);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    const nl = buf.subarray(0, bytesRead).indexOf(10);
    return nl < 0 ? undefined : { header: readHeader(buf.subarray(0, nl), file), bodyStart: nl + 1 };
  } finally {
    await fh.close();
  }
}

/**
 * `scanCsvBatches` of one big file with its byte ranges pre-filtered on the pool's threads; the kept lines are split
 * here, in file order. A file with a `"` goes on alone from the first range that holds one (quoted fields may span
 * lines, so ranges after it may not start on a record). Returns false when the file is not worth splitting.
 */
export async function* scanFileParallel(
  file: string,
  where: Record<string, ByteKeySet>,
  pool: ScanPool,
  options: ScanOptions,
  stats: ScanStats,
): AsyncGenerator<CsvRow[], boolean> {
  const size = (await fsp.stat(file)).size;
  const rangeBytes = options.rangeBytes ?? RANGE_BYTES;
  const head = size >= 2 * rangeBytes ? await headerOf(file) : undefined;
  if (!head) return false;
  const exact = Object.entries(where).map(([name, set]) => ({ index: head.header.require(name, file), set }));
  pool.setup(exact.map((e) => ({ index: e.index, keys: e.set })));
  stats.files++;
  const ranges: Omit<RangeTask, 'id'>[] = [];
  for (let s = head.bodyStart; s < size; s += rangeBytes) ranges.push({ file, start: s, end: Math.min(size, s + rangeBytes), lineStart: s === head.bodyStart });
  const inFlight: Promise<RangeResult>[] = [];
  const ahead = pool.threads * 2;
  let next = 0;
  let lineBase = 2; // the header is line 1
  let counted = 0; // bytes of this file counted in stats so far
  for (let i = 0; i < ranges.length; i++) {
    while (next < ranges.length && next < i + ahead) inFlight.push(pool.run(ranges[next++]));
    const r = await inFlight.shift()!;
    if (r.hasQuote) {
      // Alone from this range on: every line before it is a true record start (no quote before it).
      inFlight.forEach((p) => p.catch(() => {}));
      yield* restAlone(file, options, stats, lineBase, counted);
      return true;
    }
    const batch = { data: Buffer.from(r.data.buffer, r.data.byteOffset, r.data.length), lines: Array.from(r.lines), offsets: Array.from(r.offsets) };
    const rows = splitQuoteFreeBatch(batch, file, head.header, exact, lineBase);
    const bytes = ranges[i].end - ranges[i].start + (i === 0 ? head.bodyStart : 0);
    stats.bytes += bytes;
    counted += bytes;
    stats.lines += r.lineCount;
    stats.parsedLines += r.lines.length;
    stats.rows += rows.length;
    lineBase += r.lineCount;
    if (rows.length) yield rows;
    options.onProgress?.({ file, bytesRead: ranges[i].end, totalBytes: size });
  }
  return true;
}

/** The sequential scan of a file, from line `fromLine` on (earlier rows were given already). */
async function* restAlone(file: string, options: ScanOptions, stats: ScanStats, fromLine: number, counted: number): AsyncGenerator<CsvRow[]> {
  const own: ScanStats = { files: 0, bytes: 0, lines: 0, parsedLines: 0, rows: 0, badRows: 0 };
  for await (const rows of scanCsvBatches(file, { ...options, stats: own })) {
    const rest = rows[rows.length - 1].line < fromLine ? [] : rows.filter((r) => r.line >= fromLine);
    stats.rows += rest.length;
    if (rest.length) yield rest;
  }
  stats.bytes += own.bytes - counted;
  stats.lines += own.lines - (fromLine - 2);
  stats.parsedLines += own.parsedLines;
  stats.badRows += own.badRows;
}
