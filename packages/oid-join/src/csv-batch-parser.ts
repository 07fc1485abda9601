import { parse } from 'csv-parse/sync';
import type { BadRow } from '@oidstream/oid-labels';
import type { ByteKeySet } from './byte-key-set.js';
import { OidJoinError } from './errors.js';
import { type KeptBatch, LinePrefilter, type PrefilterColumn } from './line-prefilter.js';
import { readHeader, type CsvHeader } from './csv-header.js';
import type { CsvRow, ScanStats } from './scan-csv.js';
import { splitQuoteFreeBatch } from './split-batch.js';

export interface CsvBatchParserOptions {
  /** Wanted values per column name: rows whose field is not among them are dropped. */
  where?: Record<string, ByteKeySet>;
  /** Drop lines at byte level before parsing (default true). */
  prefilter: boolean;
  /** Split lines without quotes on commas instead of csv-parse (same fields, faster). */
  quoteFree: boolean;
  stats: ScanStats;
  onBadRow: (bad: BadRow) => void;
}

type Exact = { index: number; set: ByteKeySet }[];

/**
 * The pure core of the CSV scan (no I/O): bytes of one file in (`push` any chunking, then `end`), rows out. The first
 * line is the header; columns of `where` are mapped by it, lines that cannot match are dropped by the byte-level
 * pre-filter, the rest parsed and checked exactly.
 */
export class CsvBatchParser {
  private header: CsvHeader | undefined;
  private headerBuf: Buffer | undefined;
  private prefilter: LinePrefilter | undefined;
  private exact: Exact = [];

  constructor(readonly file: string, private readonly o: CsvBatchParserOptions) {}

  push(chunk: Buffer): CsvRow[] {
    if (this.prefilter) return this.parse(this.prefilter.push(chunk));
    this.headerBuf = this.headerBuf ? Buffer.concat([this.headerBuf, chunk]) : Buffer.from(chunk);
    const nl = this.headerBuf.indexOf(10);
    if (nl < 0) return [];
    const rest = this.startBody(this.headerBuf.subarray(0, nl), this.headerBuf.subarray(nl + 1));
    this.headerBuf = undefined;
    return this.parse(rest);
  }

  end(): CsvRow[] {
    if (!this.prefilter) {
      if (!this.headerBuf || this.headerBuf.length === 0) throw new OidJoinError('EMPTY_FILE', `${this.file}: empty file (no header)`);
      this.startBody(this.headerBuf, Buffer.alloc(0));
    }
    const rows = this.parse(this.prefilter!.end());
    this.o.stats.lines += this.prefilter!.lines;
    return rows;
  }

  private startBody(headerLine: Buffer, rest: Buffer): KeptBatch {
    this.header = readHeader(headerLine, this.file);
    this.exact = Object.entries(this.o.where ?? {}).map(([name, set]) => ({ index: this.header!.require(name, this.file), set }));
    const columns: PrefilterColumn[] = this.o.prefilter ? this.exact.map((e) => ({ index: e.index, keys: e.set })) : [];
    this.prefilter = new LinePrefilter(columns, { firstLine: 2, reuseOutput: true });
    return this.prefilter.push(rest);
  }

  private parse(batch: KeptBatch): CsvRow[] {
    if (batch.lines.length === 0) return [];
    const rows = this.o.quoteFree && batch.data.indexOf(34) < 0
      ? splitQuoteFreeBatch(batch, this.file, this.header!, this.exact)
      : parseQuotedBatch(batch, this.file, this.header!, this.exact, this.o);
    this.o.stats.parsedLines += batch.lines.length;
    this.o.stats.rows += rows.length;
    return rows;
  }
}

/** A batch with quotes, through csv-parse; records are mapped to file lines by byte offset. */
function parseQuotedBatch(batch: KeptBatch, file: string, header: CsvHeader, exact: Exact, o: CsvBatchParserOptions): CsvRow[] {
  const rows: CsvRow[] = [];
  const { lines, offsets } = batch;
  const n = lines.length;
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
      o.stats.badRows++;
      const at = lastLineBefore((err as { bytes?: number } | undefined)?.bytes ?? 1);
      o.onBadRow({ file, line: lines[at], message: err?.message ?? 'bad CSV' });
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
      rows.push({ file, line: lines[start], fields: record, header });
      return null;
    },
  });
  return rows;
}

function newlinesIn(record: readonly string[]): number {
  let count = 0;
  for (const f of record) for (let i = f.indexOf('\n'); i >= 0; i = f.indexOf('\n', i + 1)) count++;
  return count;
}
