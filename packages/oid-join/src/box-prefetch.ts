import { promises as fsp } from 'node:fs';
import type { ByteKeySet } from './byte-key-set.js';
import { RANGE_BYTES, fileRanges, headerOf, restAlone } from './parallel-scan.js';
import type { CsvHeader, CsvRow, ScanOptions, ScanStats } from './scan-csv.js';
import type { ScanPool } from './scan-pool.js';
import type { RangeResult, RangeTask } from './scan-worker.js';
import { splitQuoteFreeBatch } from './split-batch.js';

interface FileRanges {
  header: CsvHeader;
  bodyStart: number;
  size: number;
  ranges: Omit<RangeTask, 'id'>[];
  results: Promise<Held>[];
}

/** A range's result; `dropped` when it came past the cap (its lines are read again when they are wanted). */
type Held = RangeResult & { dropped?: boolean };

/**
 * The box lines of the chosen classes, pre-filtered on the pool's workers while this thread reads the labels (the
 * label and box files are read at once). At most `capBytes` of kept lines are held: a range past that is dropped and
 * filtered again, by class and image, when its turn comes. Memory: bounded by the cap.
 */
export class BoxPrefetch {
  private held = 0;

  private constructor(private readonly pool: ScanPool, private readonly files: Map<string, FileRanges | undefined>, private readonly capBytes: number) {}

  /** Hands every range of `files` to the pool now (after whatever it holds already). */
  static async start(pool: ScanPool, files: readonly string[], mids: ByteKeySet, capBytes = 64 << 20): Promise<BoxPrefetch> {
    const map = new Map<string, FileRanges | undefined>();
    const prefetch = new BoxPrefetch(pool, map, capBytes);
    for (const file of files) {
      const size = (await fsp.stat(file).catch(() => undefined))?.size;
      const head = size ? await headerOf(file) : undefined;
      const index = head?.header.indexOf('LabelName') ?? -1;
      if (!head || index < 0) {
        map.set(file, undefined);
        continue;
      }
      const ranges = fileRanges(file, head.bodyStart, size!, RANGE_BYTES, pool.setup([{ index, keys: mids }]));
      const results = ranges.map((range) => pool.run(range).then((r) => prefetch.hold(r)));
      for (const p of results) p.catch(() => {}); // a scan that stops early leaves some unread
      map.set(file, { ...head, size: size!, ranges, results });
    }
    return prefetch;
  }

  private hold(r: RangeResult): Held {
    if (this.held + r.data.length <= this.capBytes) {
      this.held += r.data.length;
      return r;
    }
    return { ...r, data: new Uint8Array(0), lines: new Int32Array(0), offsets: new Int32Array(0), dropped: true };
  }

  /**
   * The rows of a prefetched file that pass `where` (its ImageID and LabelName sets), in file order with file line
   * numbers, one batch per range; undefined when the file was not prefetched (scan it as usual). A range with a `"`
   * sends the rest of the file to the scan on this thread (`options`).
   */
  rows(file: string, where: Record<string, ByteKeySet>, options: ScanOptions, stats: ScanStats): AsyncGenerator<CsvRow[]> | undefined {
    const f = this.files.get(file);
    this.files.delete(file);
    return f && this.fileRows(file, f, where, options, stats);
  }

  private async *fileRows(file: string, f: FileRanges, where: Record<string, ByteKeySet>, options: ScanOptions, stats: ScanStats): AsyncGenerator<CsvRow[]> {
    const exact = Object.entries(where).map(([name, set]) => ({ index: f.header.require(name, file), set }));
    let again: number | undefined; // the pool setup that filters dropped ranges by every column of `where`
    let lineBase = 2;
    let counted = 0;
    stats.files++;
    for (let i = 0; i < f.ranges.length; i++) {
      let r = await f.results[i];
      if (r.hasQuote) {
        yield* restAlone(file, { ...options, where }, stats, lineBase, counted);
        return;
      }
      if (r.dropped) r = await this.pool.run({ ...f.ranges[i], setup: (again ??= this.pool.setup(exact.map((e) => ({ index: e.index, keys: e.set })))) });
      else this.held -= r.data.length;
      const batch = { data: Buffer.from(r.data.buffer, r.data.byteOffset, r.data.length), lines: Array.from(r.lines), offsets: Array.from(r.offsets) };
      const rows = splitQuoteFreeBatch(batch, file, f.header, exact, lineBase);
      const bytes = f.ranges[i].end - f.ranges[i].start + (i === 0 ? f.bodyStart : 0);
      stats.bytes += bytes;
      counted += bytes;
      stats.lines += r.lineCount;
      stats.parsedLines += r.lines.length;
      stats.rows += rows.length;
      lineBase += r.lineCount;
      if (rows.length) yield rows;
      options.onProgress?.({ file, bytesRead: f.ranges[i].end, totalBytes: f.size });
      // Let the worker messages in between batches (the consumer may go on without any I/O for long).
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
}
