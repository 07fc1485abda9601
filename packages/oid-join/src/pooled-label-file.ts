import { promises as fsp } from 'node:fs';
import { imageLabelColumns } from '@oidstream/oid-labels';
import type { ByteKeySet } from './byte-key-set.js';
import type { CsvHeader } from './csv-header.js';
import type { LabelDigest } from './label-digest.js';
import { RANGE_BYTES, fileRanges, headerOf } from './parallel-scan.js';
import type { ScanStats } from './scan-csv.js';
import type { ScanPool } from './scan-pool.js';
import type { RangeResult } from './scan-worker.js';

/** One range of an image-label file, digested on a worker. */
export interface DigestedRange {
  digest: LabelDigest;
  /** File line number of the range's first line (add it to the digest's line numbers). */
  lineBase: number;
}

/** Where a pooled read of a label file stopped: done, or at a `"` (the rest of the file, from `fromLine`, is read here). */
export type PooledEnd = { done: true } | { done: false; fromLine: number; countedBytes: number };

interface PooledFile {
  header: CsvHeader;
  bodyStart: number;
  size: number;
  results: Promise<RangeResult>[];
}

/**
 * Image-label files whose ranges are pre-filtered by LabelName and digested on the pool's workers, all handed to the
 * pool at once when this starts (before any box range, so the selected images are known first).
 */
export class PooledLabelFiles {
  private constructor(private readonly files: Map<string, PooledFile | undefined>) {}

  static async start(pool: ScanPool, files: readonly string[], mids: ByteKeySet): Promise<PooledLabelFiles> {
    const pooled = new Map<string, PooledFile | undefined>();
    for (const file of files) {
      const head = await labelHeader(file);
      if (!head) {
        pooled.set(file, undefined);
        continue;
      }
      const cols = imageLabelColumns(head.header.names, file);
      const labels = { imageId: cols.ImageID, labelName: cols.LabelName, confidence: cols.Confidence };
      const setup = pool.setup([{ index: labels.labelName, keys: mids }]);
      const results = fileRanges(file, head.bodyStart, head.size, RANGE_BYTES, setup).map((r) => pool.run({ ...r, labels }));
      for (const p of results) p.catch(() => {}); // a scan that stops early leaves some unread
      pooled.set(file, { ...head, results });
    }
    return new PooledLabelFiles(pooled);
  }

  /** The file's header when its ranges are on the pool (undefined: scan it as usual). */
  header(file: string): CsvHeader | undefined {
    return this.files.get(file)?.header;
  }

  /**
   * The digested ranges of a pooled file, in file order. Stats count the file, lines, kept lines and bytes here;
   * rows are counted by the caller. Stops at the first range with a `"` (quoted fields may span lines).
   */
  async *ranges(file: string, stats: ScanStats, onProgress?: (p: { file: string; bytesRead: number; totalBytes: number }) => void): AsyncGenerator<DigestedRange, PooledEnd> {
    const f = this.files.get(file)!;
    this.files.delete(file);
    stats.files++;
    let lineBase = 2; // the header is line 1
    let counted = 0;
    let from = f.bodyStart;
    for (const result of f.results) {
      const r = await result;
      if (r.hasQuote) return { done: false, fromLine: lineBase, countedBytes: counted };
      const to = Math.min(f.size, from + RANGE_BYTES);
      const bytes = to - from + (from === f.bodyStart ? f.bodyStart : 0);
      stats.bytes += bytes;
      counted += bytes;
      stats.lines += r.lineCount;
      stats.parsedLines += r.keptCount;
      yield { digest: r.digest!, lineBase };
      lineBase += r.lineCount;
      onProgress?.({ file, bytesRead: to, totalBytes: f.size });
      from = to;
      // Let the worker messages in between ranges (the pool hands out the next ranges from there).
      await new Promise((resolve) => setImmediate(resolve));
    }
    return { done: true };
  }
}

/** A label file's header, when its ranges can be digested (it names ImageID, LabelName and Confidence). */
async function labelHeader(file: string): Promise<{ header: CsvHeader; bodyStart: number; size: number } | undefined> {
  const size = (await fsp.stat(file).catch(() => undefined))?.size;
  const head = size ? await headerOf(file) : undefined;
  if (!head || ['ImageID', 'LabelName', 'Confidence'].some((c) => head.header.indexOf(c) < 0)) return undefined;
  return { ...head, size: size! };
}
