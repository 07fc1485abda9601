import type { ByteKeySet } from './byte-key-set.js';

/** Keep a line only if field number `index` (0-based, comma-separated) is one of `keys`. */
export interface PrefilterColumn {
  index: number;
  keys: ByteKeySet;
}

/** What survived one push: complete physical lines (newlines included) and the file line number of each. */
export interface KeptBatch {
  data: Buffer;
  lines: number[];
  /** Byte offset in `data` where each kept line starts. */
  offsets: number[];
}

const NL = 10;
const CR = 13;
const COMMA = 44;
const QUOTE = 34;

/**
 * Byte-level CSV line pre-filter (pure, no I/O). It splits chunks into lines, reads the wanted fields straight from
 * the bytes and drops lines whose fields are not in their key sets, before any CSV parser sees them.
 *
 * It never drops a line that could match: a line with a `"` before or inside a wanted field is kept as is, and a
 * quoted field that spans lines keeps the whole record (quote parity). Lines that pass must still be parsed and
 * checked by the caller; that second check is what makes the result exact.
 */
export class LinePrefilter {
  private readonly columns: PrefilterColumn[];
  private readonly maxIndex: number;
  private tail: Buffer | undefined;
  private nextLine: number;
  private inQuotedRecord = false;
  /** Lines seen / kept so far. */
  lines = 0;
  keptLines = 0;

  /** `firstLine`: file line number of the first byte pushed (2 when the header was consumed already). */
  constructor(columns: readonly PrefilterColumn[], options: { firstLine?: number } = {}) {
    // Smallest key set first: it usually rejects most lines.
    this.columns = [...columns].sort((a, b) => a.keys.size - b.keys.size);
    this.maxIndex = this.columns.reduce((m, c) => Math.max(m, c.index), -1);
    this.nextLine = options.firstLine ?? 1;
    this.starts = new Int32Array(this.maxIndex + 2);
    this.ends = new Int32Array(this.maxIndex + 2);
  }

  push(chunk: Buffer): KeptBatch {
    const buf = this.tail ? Buffer.concat([this.tail, chunk]) : chunk;
    this.tail = undefined;
    const lastNl = buf.lastIndexOf(NL);
    if (lastNl < 0) {
      this.tail = Buffer.from(buf);
      return { data: EMPTY, lines: [], offsets: [] };
    }
    const { batch, consumed } = this.scan(buf, lastNl + 1, buf.length <= MAX_HELD_BYTES);
    if (consumed < buf.length) this.tail = Buffer.from(buf.subarray(consumed));
    return batch;
  }

  /** Flush a last line that had no newline. */
  end(): KeptBatch {
    const tail = this.tail;
    this.tail = undefined;
    if (!tail || tail.length === 0) return { data: EMPTY, lines: [], offsets: [] };
    const data = tail[tail.length - 1] === NL ? tail : Buffer.concat([tail, NEWLINE]);
    return this.scan(data, data.length, false).batch;
  }

  /**
   * Filter the complete lines in buf[0, end). With `holdOpen`, a quoted record still open at `end` is not emitted:
   * its bytes stay for the next push, so every batch holds whole records (csv-parse parses each batch alone).
   */
  private scan(buf: Buffer, end: number, holdOpen: boolean): { batch: KeptBatch; consumed: number } {
    const lines: number[] = [];
    const offsets: number[] = [];
    let out: Buffer | undefined;
    let outLen = 0;
    let runStart = -1; // start of the current run of kept lines (copied in one go)
    let quoteAt = buf.indexOf(QUOTE); // next quote at or after pos; -1 = none in this buffer
    if (quoteAt >= end) quoteAt = -1;
    let pos = 0;
    let line = this.nextLine;
    let openPos = -1; // where the quoted record that is still open started
    let openLine = 0;
    let openKept = 0;
    const flush = (to: number): void => {
      if (runStart < 0) return;
      if (!out) out = Buffer.allocUnsafe(end);
      buf.copy(out, outLen, runStart, to);
      outLen += to - runStart;
      runStart = -1;
    };
    while (pos < end) {
      const nl = buf.indexOf(NL, pos);
      const next = nl + 1;
      let keep: boolean;
      if (quoteAt >= 0 && quoteAt < next) {
        // Slow path: this line has quotes. Track parity; keep the line whole if it is or continues a quoted record.
        let quotes = 0;
        for (let i = quoteAt; i < nl; i++) if (buf[i] === QUOTE) quotes++;
        const wasInQuotes = this.inQuotedRecord;
        if (quotes % 2 === 1) this.inQuotedRecord = !this.inQuotedRecord;
        if (!wasInQuotes && this.inQuotedRecord) {
          openPos = pos;
          openLine = line;
          openKept = lines.length;
        }
        keep = wasInQuotes || this.inQuotedRecord || this.testLine(buf, pos, nl, quoteAt);
        quoteAt = buf.indexOf(QUOTE, next);
        if (quoteAt >= end) quoteAt = -1;
      } else if (this.inQuotedRecord) {
        keep = true;
      } else {
        keep = this.testLine(buf, pos, nl, -1);
      }
      if (keep) {
        if (runStart < 0) runStart = pos;
        lines.push(line);
        offsets.push(outLen + (pos - runStart));
      } else flush(pos);
      pos = next;
      line++;
    }
    let consumed = end;
    if (holdOpen && this.inQuotedRecord && openPos >= 0) {
      // The open record's lines were all kept, as one run from openPos: give them back.
      flush(openPos);
      runStart = -1;
      lines.length = openKept;
      offsets.length = openKept;
      line = openLine;
      consumed = openPos;
      this.inQuotedRecord = false;
    } else flush(end);
    this.lines += line - this.nextLine;
    this.keptLines += lines.length;
    this.nextLine = line;
    return { batch: { data: out ? out.subarray(0, outLen) : EMPTY, lines, offsets }, consumed };
  }

  /** Fields of the line buf[start, nl) against the key sets; a quote at `quoteAt` (if in range) makes it pass. */
  private testLine(buf: Buffer, start: number, nl: number, quoteAt: number): boolean {
    const cols = this.columns;
    if (cols.length === 0) return true;
    let lineEnd = nl;
    if (lineEnd > start && buf[lineEnd - 1] === CR) lineEnd--;
    if (lineEnd === start) return false; // empty line: no field can match
    // Field bounds up to the last wanted field, in one pass.
    const starts = this.starts;
    const ends = this.ends;
    let field = 0;
    starts[0] = start;
    let i = start;
    const max = this.maxIndex;
    for (; i < lineEnd; i++) {
      if (buf[i] === COMMA) {
        ends[field] = i;
        if (field === max) break;
        field++;
        starts[field] = i + 1;
      }
    }
    if (i === lineEnd) {
      ends[field] = lineEnd;
      if (field < max) return false; // too few fields: the row cannot match
    }
    // Unquoted fields only: a quote before the end of the last wanted field means the bounds may be wrong → keep.
    if (quoteAt >= 0 && quoteAt < ends[max]) return true;
    for (let c = 0; c < cols.length; c++) {
      const col = cols[c];
      if (!col.keys.has(buf, starts[col.index], ends[col.index])) return false;
    }
    return true;
  }

  private readonly starts: Int32Array;
  private readonly ends: Int32Array;
}

const EMPTY = Buffer.alloc(0);
/** A quoted record is held back across chunks only up to this size (a lone stray quote must not buffer the file). */
const MAX_HELD_BYTES = 64 << 20;
const NEWLINE = Buffer.from('\n');
