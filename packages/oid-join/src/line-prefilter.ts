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

export interface PrefilterOptions {
  /** File line number of the first byte pushed (default 1; 2 when the header was consumed already). */
  firstLine?: number;
  /**
   * Return `data` as a view of one reused buffer, valid until the next `push`/`end` (default false: a fresh copy).
   * The scan uses it so that memory stays flat however big the file is.
   */
  reuseOutput?: boolean;
}

const NL = 10;
const CR = 13;
const COMMA = 44;
const QUOTE = 34;
const EMPTY = Buffer.alloc(0);
/** A quoted record is held back across chunks only up to this size (a lone stray quote must not buffer the file). */
const MAX_HELD_BYTES = 64 << 20;

/**
 * Byte-level CSV line pre-filter (pure, no I/O). It splits chunks into lines, reads the wanted fields straight from
 * the bytes and drops lines whose fields are not in their key sets, before any CSV parser sees them.
 *
 * It never drops a line that could match: a line with a `"` before or inside a wanted field is kept as is, and a
 * quoted field that spans lines keeps the whole record (quote parity). Lines that pass must still be parsed and
 * checked by the caller; that second check is what makes the result exact. Every batch holds whole records: a quoted
 * record still open at the end of a chunk is held back until it closes, so each batch can be parsed on its own.
 */
export class LinePrefilter {
  private readonly columns: PrefilterColumn[];
  private readonly maxIndex: number;
  private readonly starts: Int32Array;
  private readonly ends: Int32Array;
  private readonly reuse: boolean;
  private tail: Buffer | undefined;
  private nextLine: number;
  private inQuotedRecord = false;
  // Kept lines of the batch being built, copied together (grown by doubling).
  private batchBytes: Buffer = EMPTY;
  private batchLength = 0;
  private keptLines: number[] = [];
  private keptOffsets: number[] = [];
  /** Lines seen / kept so far. */
  lines = 0;
  kept = 0;

  constructor(columns: readonly PrefilterColumn[], options: PrefilterOptions = {}) {
    // Smallest key set first: it usually rejects most lines.
    this.columns = [...columns].sort((a, b) => a.keys.size - b.keys.size);
    this.maxIndex = this.columns.reduce((m, c) => Math.max(m, c.index), -1);
    this.nextLine = options.firstLine ?? 1;
    this.starts = new Int32Array(this.maxIndex + 2);
    this.ends = new Int32Array(this.maxIndex + 2);
    this.reuse = options.reuseOutput ?? false;
  }

  push(chunk: Buffer): KeptBatch {
    this.beginBatch();
    let start = 0;
    if (this.tail) {
      // Finish the line cut at the previous chunk's end without copying this whole chunk.
      const nl = chunk.indexOf(NL);
      if (nl < 0) {
        this.tail = Buffer.concat([this.tail, chunk]);
        return this.takeBatch();
      }
      const head = Buffer.concat([this.tail, chunk.subarray(0, nl + 1)]);
      this.tail = undefined;
      const consumed = this.scan(head, 0, head.length, true);
      if (consumed < head.length) {
        // An open quoted record (rare): carry it on with the rest of the chunk.
        this.scanWhole(Buffer.concat([head.subarray(consumed), chunk.subarray(nl + 1)]), 0);
        return this.takeBatch();
      }
      start = nl + 1;
    }
    this.scanWhole(chunk, start);
    return this.takeBatch();
  }

  /** Flush a last line that had no newline (and anything held back). */
  end(): KeptBatch {
    this.beginBatch();
    const tail = this.tail;
    this.tail = undefined;
    if (tail && tail.length > 0) {
      const data = tail[tail.length - 1] === NL ? tail : Buffer.concat([tail, Buffer.from('\n')]);
      this.scan(data, 0, data.length, false);
    }
    return this.takeBatch();
  }

  private scanWhole(buf: Buffer, start: number): void {
    const lastNl = buf.lastIndexOf(NL);
    if (lastNl < start) {
      if (start < buf.length) this.tail = Buffer.from(buf.subarray(start));
      return;
    }
    const consumed = this.scan(buf, start, lastNl + 1, buf.length - start <= MAX_HELD_BYTES);
    if (consumed < buf.length) this.tail = Buffer.from(buf.subarray(consumed));
  }

  private beginBatch(): void {
    this.batchLength = 0;
    this.keptLines = [];
    this.keptOffsets = [];
  }

  private takeBatch(): KeptBatch {
    this.kept += this.keptLines.length;
    const view = this.batchBytes.subarray(0, this.batchLength);
    return { data: this.reuse ? view : Buffer.from(view), lines: this.keptLines, offsets: this.keptOffsets };
  }

  private reserve(extra: number): void {
    if (this.batchLength + extra <= this.batchBytes.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.batchLength + extra, this.batchBytes.length * 2, 1 << 16));
    this.batchBytes.copy(grown, 0, 0, this.batchLength);
    this.batchBytes = grown;
  }

  /**
   * Filter the complete lines in buf[start, end) into the batch; returns how far it consumed. With `holdOpen`, a
   * quoted record still open at `end` is not emitted: its bytes are left for later.
   */
  private scan(buf: Buffer, start: number, end: number, holdOpen: boolean): number {
    this.reserve(end - start);
    const lines = this.keptLines;
    const offsets = this.keptOffsets;
    let runStart = -1; // start of the current run of kept lines (copied in one go)
    let quoteAt = buf.indexOf(QUOTE, start); // next quote at or after pos; -1 = none
    if (quoteAt >= end) quoteAt = -1;
    let pos = start;
    let line = this.nextLine;
    let openPos = -1; // where the quoted record that is still open started
    let openLine = 0;
    let openKept = 0;
    const flush = (to: number): void => {
      if (runStart < 0) return;
      buf.copy(this.batchBytes, this.batchLength, runStart, to);
      this.batchLength += to - runStart;
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
        offsets.push(this.batchLength + (pos - runStart));
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
    this.nextLine = line;
    return consumed;
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
}
