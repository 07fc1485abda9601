import { promises as fsp } from 'node:fs';
import type { ByteKeySet } from './byte-key-set.js';
import { type CsvHeader, type CsvRow, type ScanOptions, type ScanStats, readHeader, scanCsvBatches } from './scan-csv.js';
import type { ScanPool } from './scan-pool.js';
import type { RangeResult, RangeTask } from './scan-worker.js';
import { splitQuoteFreeBatch } from './split-batch.js';

/** Bytes per range handed to a worker (a file smaller than two ranges is not split). */
export const RANGE_BYTES = 8 << 20;

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

/** The byte ranges of a file's body, `rangeBytes` each. */
export function fileRanges(file: string, bodyStart: number, size: number, rangeBytes: number, setup: number): Omit<RangeTask, 'id'>[] {
  const ranges: Omit<RangeTask, 'id'>[] = [];
  for (let s = bodyStart; s < size; s += rangeBytes) ranges.push({ file, start: s, end: Math.min(size, s + rangeBytes), lineStart: s === bodyStart, setup });
  return ranges;
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
  const setup = pool.setup(exact.map((e) => ({ index: e.index, keys: e.set })));
  stats.files++;
  const ranges = fileRanges(file, head.bodyStart, size, rangeBytes, setup);
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
export async function* restAlone(file: string, options: ScanOptions, stats: ScanStats, fromLine: number, counted: number): AsyncGenerator<CsvRow[]> {
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
