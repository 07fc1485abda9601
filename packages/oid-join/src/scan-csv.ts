import { promises as fsp } from 'node:fs';
import { Readable } from 'node:stream';
import { parse } from 'csv-parse/sync';
import type { BadRow } from '@oidstream/oid-labels';
import { ByteKeySet } from './byte-key-set.js';
import { type KeptBatch, LinePrefilter, type PrefilterColumn } from './line-prefilter.js';
import { OidJoinError } from './errors.js';
import { splitQuoteFreeBatch } from './split-batch.js';
import { ScanPool, scanFileParallel } from './parallel-scan.js';

/** A CSV header: names in file order and their positions. */
export class CsvHeader {
  readonly names: readonly string[];
  private readonly positions = new Map<string, number>();
  constructor(names: readonly string[]) {
    this.names = names.map((n) => n.trim());
    this.names.forEach((n, i) => {
      if (!this.positions.has(n)) this.positions.set(n, i);
    });
  }
  /** Position of a column, or -1. */
  indexOf(name: string): number {
    return this.positions.get(name) ?? -1;
  }
  /** Position of a column that must exist (`MISSING_COLUMN` otherwise). */
  require(name: string, file = 'CSV'): number {
    const i = this.indexOf(name);
    if (i < 0) throw new OidJoinError('MISSING_COLUMN', `${file}: header has no ${name} column (header: ${this.names.join(',')})`);
    return i;
  }
  /** Fields to an object keyed by header name (header-driven column mapping). */
  toObject(fields: readonly string[]): Record<string, string> {
    const o: Record<string, string> = {};
    for (let i = 0; i < this.names.length; i++) o[this.names[i]] = fields[i] ?? '';
    return o;
  }
}

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
 * byte level; the rest is parsed by csv-parse and checked exactly.
 */
export async function* scanCsvBatches(file: string, options: ScanOptions = {}): AsyncGenerator<CsvRow[]> {
  const chunkSize = options.chunkSize ?? SCAN_DEFAULTS.chunkSize;
  if (!Number.isInteger(chunkSize) || chunkSize < 1) throw new OidJoinError('BAD_OPTIONS', `chunkSize must be a positive integer (got ${JSON.stringify(chunkSize)})`);
  const parser = options.parser ?? SCAN_DEFAULTS.parser;
  if (parser !== 'auto' && parser !== 'csv-parse') throw new OidJoinError('BAD_OPTIONS', `parser ${JSON.stringify(parser)}: use 'auto' or 'csv-parse'`);
  const where = prepareWhere(options.where);
  const usePrefilter = options.prefilter ?? SCAN_DEFAULTS.prefilter;
  const stats = options.stats ?? emptyScanStats();
  const onBadRow = options.onBadRow ?? (() => {});
  let totalBytes: number;
  try {
    totalBytes = (await fsp.stat(file)).size;
  } catch (err) {
    throw new OidJoinError('MISSING_FILE', `${file}: no such file`, { cause: err });
  }
  stats.files++;
  const whereSets = Object.entries(where ?? {}).map(([name, set]) => ({ name, set }));

  let header: CsvHeader | undefined;
  let headerBuf: Buffer | undefined;
  let prefilter: LinePrefilter | undefined;
  let exact: { index: number; set: ByteKeySet }[] = [];
  let bytesRead = 0;

  const quoteFree = parser === 'auto';

  /** Quote-free batch: lines split on commas, the same fields csv-parse would give. */
  const splitBatch = (batch: KeptBatch): CsvRow[] => {
    const rows = splitQuoteFreeBatch(batch, file, header!, exact);
    stats.parsedLines += batch.lines.length;
    stats.rows += rows.length;
    return rows;
  };

  const parseBatch = (batch: KeptBatch): CsvRow[] => {
    const n = batch.lines.length;
    if (n === 0) return [];
    if (quoteFree && batch.data.indexOf(34) < 0) return splitBatch(batch);
    const rows: CsvRow[] = [];
    const { lines, offsets } = batch;
    // csv-parse's own line counter miscounts CRLF inside quotes, so records are mapped to file lines by byte offset.
    let next = 0; // index of the first kept line not yet covered by a record
    let skipped = false;
    const lastLineBefore = (byte: number): number => {
      let e = next < n ? next : n - 1;
      while (e + 1 < n && offsets[e + 1] < byte) e++;
      return e;
    };
    parse(batch.data, {
      record_delimiter: ['\r\n', '\n'], // mixed endings (e.g. a last row with LF only) stay rows
      relax_column_count: true,
      skip_records_with_error: true,
      on_skip: (err) => {
        stats.badRows++;
        const at = lastLineBefore(((err as { bytes?: number } | undefined)?.bytes ?? 1));
        onBadRow({ file, line: lines[at], message: err?.message ?? 'bad CSV' });
        skipped = true;
        return undefined;
      },
      on_record: (record: string[], context: { bytes: number }) => {
        const end = lastLineBefore(context.bytes);
        const start = skipped ? Math.max(0, end - newlinesIn(record)) : next;
        next = end + 1;
        skipped = false;
        if (record.length === 1 && record[0] === '') return null; // blank line
        for (const w of exact) {
          const v = record[w.index];
          if (v === undefined || !w.set.hasString(v)) return null;
        }
        rows.push({ file, line: lines[start], fields: record, header: header! });
        return null;
      },
    });
    stats.parsedLines += n;
    stats.rows += rows.length;
    return rows;
  };

  const startBody = (rest: Buffer): KeptBatch => {
    const columns: PrefilterColumn[] = [];
    exact = whereSets.map((w) => ({ index: header!.require(w.name, file), set: w.set }));
    if (usePrefilter) for (const e of exact) columns.push({ index: e.index, keys: e.set });
    prefilter = new LinePrefilter(columns, { firstLine: 2, reuseOutput: true });
    return prefilter.push(rest);
  };

  // One read buffer for the whole file, and batches that are views of one reused buffer: memory stays flat.
  const fh = await fsp.open(file, 'r');
  const readBuf = Buffer.allocUnsafe(chunkSize);
  try {
    for (;;) {
      const { bytesRead: n } = await fh.read(readBuf, 0, chunkSize, null);
      if (n === 0) break;
      const chunk = readBuf.subarray(0, n);
      bytesRead += n;
      stats.bytes += n;
      let batch: KeptBatch | undefined;
      if (prefilter) batch = prefilter.push(chunk);
      else {
        headerBuf = headerBuf ? Buffer.concat([headerBuf, chunk]) : Buffer.from(chunk);
        const nl = headerBuf.indexOf(10);
        if (nl >= 0) {
          header = readHeader(headerBuf.subarray(0, nl), file);
          batch = startBody(headerBuf.subarray(nl + 1));
          headerBuf = undefined;
        }
      }
      if (batch) {
        const rows = parseBatch(batch);
        if (rows.length) yield rows;
      }
      options.onProgress?.({ file, bytesRead, totalBytes });
    }
  } finally {
    await fh.close();
  }
  if (!prefilter) {
    if (!headerBuf || headerBuf.length === 0) throw new OidJoinError('EMPTY_FILE', `${file}: empty file (no header)`);
    header = readHeader(headerBuf, file);
    startBody(Buffer.alloc(0));
  }
  const rows = parseBatch(prefilter!.end());
  if (rows.length) yield rows;
  stats.lines += prefilter!.lines;
}

function newlinesIn(record: readonly string[]): number {
  let count = 0;
  for (const f of record) for (let i = f.indexOf('\n'); i >= 0; i = f.indexOf('\n', i + 1)) count++;
  return count;
}

export function readHeader(line: Buffer, file: string): CsvHeader {
  let text = line.toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const rows = parse(text, { relax_column_count: true, relax_quotes: true }) as string[][];
  if (rows.length === 0 || rows[0].every((f) => f.trim() === '')) throw new OidJoinError('EMPTY_FILE', `${file}: empty header line`);
  return new CsvHeader(rows[0]);
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
