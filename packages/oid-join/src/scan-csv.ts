import { promises as fsp } from 'node:fs';
import { Readable } from 'node:stream';
import type { BadRow } from '@oidstream/oid-labels';
import { ByteKeySet } from './byte-key-set.js';
import { OidJoinError } from './errors.js';
import { CsvBatchParser } from './csv-batch-parser.js';
import type { CsvHeader } from './csv-header.js';

export { CsvHeader, readHeader } from './csv-header.js';
import { scanFileParallel } from './parallel-scan.js';
import { ScanPool } from './scan-pool.js';

/** One parsed row that passed the scan's filters. */
export interface CsvRow {
  file: string;
  /** 1-based physical line in the file (header = 1). */
  line: number;
  fields: string[];
  header: CsvHeader;
}

/** Counters of a scan; pass your own object to accumulate over several scans. */
export interface ScanStats {
  files: number;
  bytes: number;
  /** Data lines seen (header excluded). */
  lines: number;
  /** Lines that passed the byte-level pre-filter and went to csv-parse. */
  parsedLines: number;
  /** Rows that passed the exact check. */
  rows: number;
  badRows: number;
}

export function emptyScanStats(): ScanStats {
  return { files: 0, bytes: 0, lines: 0, parsedLines: 0, rows: 0, badRows: 0 };
}

export interface ScanOptions {
  /** Keep only rows whose column (by header name) holds one of these values. Exact string equality. */
  where?: Readonly<Record<string, Iterable<string> | ByteKeySet>>;
  /** Byte-level pre-filter before csv-parse (default true). Off = every line is parsed: same result, slower. */
  prefilter?: boolean;
  /**
   * 'auto' (default): a batch of kept lines without any `"` is split on commas directly (for quote-free CSV that is
   * exactly what csv-parse returns); batches with quotes go to csv-parse. 'csv-parse': always csv-parse.
   */
  parser?: 'auto' | 'csv-parse';
  /** Read size (default 1 MiB). */
  chunkSize?: number;
  /**
   * Threads that pre-filter byte ranges of big files (≥ 16 MB) at once (default 1: this thread only). Used by
   * `scanCsvFiles*` with the pre-filter on and parser 'auto'; rows come out in file order either way.
   */
  threads?: number;
  /** Bytes per range with `threads` > 1 (default 8 MiB); a file smaller than two ranges is scanned here alone. */
  rangeBytes?: number;
  /** Rows that csv-parse rejects (bad quoting) are reported here with file and line; the scan goes on. */
  onBadRow?: (bad: BadRow) => void;
  /** Called after each chunk with the bytes read so far in this file. */
  onProgress?: (progress: { file: string; bytesRead: number; totalBytes: number }) => void;
  stats?: ScanStats;
}

export const SCAN_DEFAULTS = { prefilter: true, parser: 'auto', chunkSize: 1 << 20 } as const;

/**
 * Scan one CSV file in batches of rows (arrays), header-driven: `where` names columns, each file maps them by its own
 * header (e.g. v6 train box files carry extra XClick columns). Lines whose wanted fields cannot match are dropped at
 * byte level; the rest is parsed by csv-parse and checked exactly. The I/O loop over CsvBatchParser (pure).
 */
export async function* scanCsvBatches(file: string, options: ScanOptions = {}): AsyncGenerator<CsvRow[]> {
  const chunkSize = options.chunkSize ?? SCAN_DEFAULTS.chunkSize;
  if (!Number.isInteger(chunkSize) || chunkSize < 1) throw new OidJoinError('BAD_OPTIONS', `chunkSize must be a positive integer (got ${JSON.stringify(chunkSize)})`);
  const parser = options.parser ?? SCAN_DEFAULTS.parser;
  if (parser !== 'auto' && parser !== 'csv-parse') throw new OidJoinError('BAD_OPTIONS', `parser ${JSON.stringify(parser)}: use 'auto' or 'csv-parse'`);
  let totalBytes: number;
  try {
    totalBytes = (await fsp.stat(file)).size;
  } catch (err) {
    throw new OidJoinError('MISSING_FILE', `${file}: no such file`, { cause: err });
  }
  const stats = options.stats ?? emptyScanStats();
  stats.files++;
  const batches = new CsvBatchParser(file, {
    where: prepareWhere(options.where), prefilter: options.prefilter ?? SCAN_DEFAULTS.prefilter, quoteFree: parser === 'auto',
    stats, onBadRow: options.onBadRow ?? (() => {}),
  });
  // One read buffer for the whole file, and batches that are views of one reused buffer: memory stays flat.
  const fh = await fsp.open(file, 'r');
  const readBuf = Buffer.allocUnsafe(chunkSize);
  let bytesRead = 0;
  try {
    for (;;) {
      const { bytesRead: n } = await fh.read(readBuf, 0, chunkSize, null);
      if (n === 0) break;
      bytesRead += n;
      stats.bytes += n;
      const rows = batches.push(readBuf.subarray(0, n));
      if (rows.length) yield rows;
      options.onProgress?.({ file, bytesRead, totalBytes });
    }
  } finally {
    await fh.close();
  }
  const rows = batches.end();
  if (rows.length) yield rows;
}


/** `scanCsvBatches`, one row at a time. */
export async function* scanCsv(file: string, options: ScanOptions = {}): AsyncGenerator<CsvRow> {
  for await (const rows of scanCsvBatches(file, options)) yield* rows;
}

/** Union of several files (e.g. the train/validation/test splits), in the order given, each with its own header. */
export async function* scanCsvFiles(files: readonly string[], options: ScanOptions = {}): AsyncGenerator<CsvRow> {
  checkFileList(files);
  const where = prepareWhere(options.where);
  for (const file of files) yield* scanCsv(file, { ...options, where });
}

/** Batch form of `scanCsvFiles`. */
export async function* scanCsvFilesBatches(files: readonly string[], options: ScanOptions = {}): AsyncGenerator<CsvRow[]> {
  checkFileList(files);
  const where = prepareWhere(options.where);
  const threads = options.threads ?? 1;
  if (!Number.isInteger(threads) || threads < 1) throw new OidJoinError('BAD_OPTIONS', `threads must be a positive integer (got ${JSON.stringify(threads)})`);
  const parallel = threads > 1 && where && (options.prefilter ?? SCAN_DEFAULTS.prefilter) && (options.parser ?? SCAN_DEFAULTS.parser) === 'auto';
  const pool = parallel ? new ScanPool(threads) : undefined;
  const stats = options.stats ?? emptyScanStats();
  try {
    for (const file of files) {
      if (pool) {
        const it = scanFileParallel(file, where!, pool, { ...options, where, stats }, stats);
        let r = await it.next();
        for (; !r.done; r = await it.next()) yield r.value;
        if (r.value) continue;
      }
      yield* scanCsvBatches(file, { ...options, where, stats });
    }
  } finally {
    await pool?.close();
  }
}

function checkFileList(files: unknown): void {
  // A lone string is iterable too: it would be scanned as one file per character.
  if (!Array.isArray(files)) throw new OidJoinError('BAD_OPTIONS', `files must be an array of paths (got ${typeof files})`);
}

// Build the key sets once for all files (an ImageID set can hold millions of keys).
function prepareWhere(where: ScanOptions['where']): Record<string, ByteKeySet> | undefined {
  if (!where) return undefined;
  const out: Record<string, ByteKeySet> = {};
  for (const [k, v] of Object.entries(where)) {
    if (v instanceof ByteKeySet) out[k] = v;
    // A string would become a set of its characters.
    else if (typeof v === 'string' || typeof (v as Iterable<string> | null)?.[Symbol.iterator] !== 'function') {
      throw new OidJoinError('BAD_OPTIONS', `where.${k} must be an array or Set of values (got ${v === null ? 'null' : typeof v})`);
    } else out[k] = new ByteKeySet(v);
  }
  return out;
}

/** Node stream face of `scanCsvFiles` (object mode, one `CsvRow` per chunk). */
export function csvScanStream(files: readonly string[], options: ScanOptions = {}): Readable {
  return Readable.from(scanCsvFiles(files, options), { objectMode: true });
}
