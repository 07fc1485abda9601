import { promises as fsp } from 'node:fs';
import type { ByteKeySet } from './byte-key-set.js';
import { type ScanPool, RANGE_BYTES, headerOf } from './parallel-scan.js';
import type { CsvHeader, CsvRow, ScanStats } from './scan-csv.js';
import type { RangeResult } from './scan-worker.js';
import { splitQuoteFreeBatch } from './split-batch.js';

interface FileLines {
  header: CsvHeader;
  bodyStart: number;
  size: number;
  ranges: RangeResult[];
}

/**
 * The box lines of the chosen classes, pre-filtered on a worker thread while this thread reads the labels (the
 * label and box files are read at once). At most `capBytes` of kept lines are held: past that, or for a file with a
 * `"`, a file is left to the ordinary second pass. Memory: bounded by the cap.
 */
export class BoxPrefetch {
  private readonly files = new Map<string, Promise<FileLines | undefined>>();
  private held = 0;

  constructor(
    private readonly pool: ScanPool,
    files: readonly string[],
    mids: ByteKeySet,
    private readonly capBytes = 64 << 20,
  ) {
    let chain: Promise<unknown> = Promise.resolve();
    for (const file of files) {
      // One file after the other: the pool's key sets are per file.
      const p = chain.then(() => this.read(file, mids)).catch(() => undefined);
      this.files.set(file, p);
      chain = p;
    }
  }

  private async read(file: string, mids: ByteKeySet): Promise<FileLines | undefined> {
    if (this.held > this.capBytes) return undefined;
    const size = (await fsp.stat(file)).size;
    const head = await headerOf(file);
    if (!head) return undefined;
    const index = head.header.indexOf('LabelName');
    if (index < 0) return undefined;
    this.pool.setup([{ index, keys: mids }]);
    const runs: Promise<RangeResult>[] = [];
    for (let s = head.bodyStart; s < size; s += RANGE_BYTES) runs.push(this.pool.run({ file, start: s, end: Math.min(size, s + RANGE_BYTES), lineStart: s === head.bodyStart }));
    const ranges: RangeResult[] = [];
    let ok = true;
    for (const run of runs) {
      const r = await run;
      this.held += r.data.length;
      ok &&= !r.hasQuote && this.held <= this.capBytes;
      if (ok) ranges.push(r);
    }
    if (!ok) this.held -= ranges.reduce((s, r) => s + r.data.length, 0);
    return ok ? { ...head, size, ranges } : undefined;
  }

  /**
   * The rows of a prefetched file that pass `where` (its ImageID and LabelName sets), with file line numbers;
   * undefined when the file was not prefetched (scan it as usual).
   */
  async rows(file: string, where: Record<string, ByteKeySet>, stats: ScanStats): Promise<CsvRow[][] | undefined> {
    const lines = await this.files.get(file);
    if (!lines) return undefined;
    const exact = Object.entries(where).map(([name, set]) => ({ index: lines.header.require(name, file), set }));
    const out: CsvRow[][] = [];
    let lineBase = 2;
    stats.files++;
    stats.bytes += lines.size;
    for (const r of lines.ranges) {
      const batch = { data: Buffer.from(r.data.buffer, r.data.byteOffset, r.data.length), lines: Array.from(r.lines), offsets: Array.from(r.offsets) };
      const rows = splitQuoteFreeBatch(batch, file, lines.header, exact, lineBase);
      stats.lines += r.lineCount;
      stats.parsedLines += r.lines.length;
      stats.rows += rows.length;
      lineBase += r.lineCount;
      if (rows.length) out.push(rows);
    }
    this.files.delete(file);
    this.held -= lines.ranges.reduce((s, r) => s + r.data.length, 0);
    return out;
  }
}
