import type { ByteKeySet } from './byte-key-set.js';

/** Positions of the image-label columns in a file's header. */
export interface LabelColumns {
  imageId: number;
  labelName: number;
  confidence: number;
}

/**
 * What a label pass needs of some pre-filtered image-label lines, in line order: each entry is either a Confidence
 * "1" row (class index into the key list, ImageID bytes) or a line the caller parses as usual (class -1: any line
 * that is not plain, e.g. fractional Confidence, an empty or non-ASCII ImageID, a quote, too few fields). Confidence
 * "0" rows are only counted per class: they select nothing (Confidence > minConfidence ≥ 0 never holds).
 */
export interface LabelDigest {
  /** ImageID bytes of the "1" entries and whole lines (newline included) of the others. */
  data: Uint8Array;
  /** Where entry k starts in `data`; it ends where entry k+1 starts (length entries + 1). */
  offsets: Int32Array;
  /** Class index of entry k, or -1 for a line to parse. */
  classes: Int32Array;
  /** Line number of entry k (0 = the first line scanned). */
  lines: Int32Array;
  /** Confidence "0" rows per class index. */
  zeros: Int32Array;
  /** Rows that passed the exact LabelName check here (the "0" and "1" rows). */
  rows: number;
}

const NL = 10;
const CR = 13;
const COMMA = 44;
const ZERO = 48;
const ONE = 49;

/**
 * Digests the lines of an image-label file's byte range (pure, no I/O): the byte-level half of the label pass, so
 * that the thread that selects images never decodes or splits the lines that only count (most rows of the chosen
 * classes are Confidence 0) and gets each selecting row as a few bytes of ImageID. A line is taken when the
 * LinePrefilter would keep it (its LabelName among the keys); the "1" and "0" fast paths then give exactly what
 * splitting the line on commas and `toImageLabel` give, and every other taken line is handed over whole. For
 * quote-free bytes only: a caller that finds a `"` in the range must not use the digest.
 */
export class LabelDigester {
  private readonly maxIndex: number;
  private readonly starts: Int32Array;
  private readonly ends: Int32Array;
  private data = Buffer.allocUnsafe(1 << 12);
  private length = 0;
  private offsets: number[] = [];
  private classes: number[] = [];
  private lines: number[] = [];
  private readonly zeros: Int32Array;
  private rows = 0;
  /** The last field splitFields reached. */
  private field = 0;
  /** Lines seen and taken (kept by the pre-filter) so far. */
  lineCount = 0;
  kept = 0;

  constructor(private readonly cols: LabelColumns, private readonly mids: ByteKeySet) {
    this.maxIndex = Math.max(cols.imageId, cols.labelName, cols.confidence);
    this.starts = new Int32Array(this.maxIndex + 1);
    this.ends = new Int32Array(this.maxIndex + 1);
    this.zeros = new Int32Array(mids.size);
  }

  /** Digest the lines in bytes[start, end): whole lines, the last one with or without its newline. */
  scan(bytes: Uint8Array, start: number, end: number): void {
    const data = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
    let line = this.lineCount;
    for (let pos = start; pos < end; line++) {
      const nl = data.indexOf(NL, pos);
      const next = nl < 0 || nl >= end ? end : nl + 1;
      let stop = nl < 0 || nl >= end ? end : nl;
      if (stop > pos && data[stop - 1] === CR) stop--;
      if (stop > pos) {
        const cls = this.takenRow(data, pos, stop);
        if (cls !== -3) this.kept++;
        if (cls === -2) this.rows++; // a "0" row, counted
        else if (cls >= 0) {
          this.rows++;
          this.push(data, this.starts[this.cols.imageId], this.ends[this.cols.imageId], cls, line);
        } else if (cls === -1) this.push(data, pos, next, -1, line);
      }
      pos = next;
    }
    this.lineCount = line;
  }

  finish(): LabelDigest {
    const n = this.classes.length;
    const offsets = new Int32Array(n + 1);
    offsets.set(this.offsets);
    offsets[n] = this.length;
    return {
      data: new Uint8Array(this.data.subarray(0, this.length)), offsets, classes: Int32Array.from(this.classes),
      lines: Int32Array.from(this.lines), zeros: this.zeros, rows: this.rows,
    };
  }

  /**
   * For the line data[start, end) (no newline, no final CR): -3 when the pre-filter drops it (too few fields or
   * another LabelName); for a taken line, the class of a plain "1" row (its ImageID bounds left in starts/ends), -2
   * for a plain "0" row (counted here), -1 for a line the caller must parse.
   */
  private takenRow(data: Uint8Array, start: number, end: number): number {
    const { starts, ends, maxIndex, cols } = this;
    const wanted = cols.labelName;
    // Fields up to LabelName first: most lines end there (another class).
    starts[0] = start;
    let i = this.splitFields(data, start, end, 0, wanted);
    if (this.field < wanted) return -3;
    const cls = this.mids.indexOf(data, starts[wanted], ends[wanted]);
    if (cls < 0) return -3;
    if (this.field < maxIndex) {
      // On to the last field the row needs (i is the comma after LabelName, or the line end).
      if (i === end) return -1; // too few fields: the parser reports it
      starts[wanted + 1] = i + 1;
      i = this.splitFields(data, i + 1, end, wanted + 1, maxIndex);
      if (this.field < maxIndex) return -1;
    }
    const idStart = starts[cols.imageId];
    const idEnd = ends[cols.imageId];
    if (idEnd === idStart || ends[cols.confidence] - starts[cols.confidence] !== 1) return -1;
    const c = data[starts[cols.confidence]];
    if (c === ZERO) {
      this.zeros[cls]++;
      return -2;
    }
    if (c !== ONE) return -1;
    for (let j = idStart; j < idEnd; j++) if (data[j] >= 0x80) return -1; // decoded as latin1 by the reader
    return cls;
  }

  /**
   * Field bounds of data[i, end) into starts/ends, from `field` (its start already set) to `last`: returns the comma
   * after `last`, or `end`; `this.field` is the last field reached.
   */
  private splitFields(data: Uint8Array, i: number, end: number, field: number, last: number): number {
    const { starts, ends } = this;
    for (; i < end; i++) {
      if (data[i] === COMMA) {
        ends[field] = i;
        if (field === last) break;
        starts[++field] = i + 1;
      }
    }
    if (i === end) ends[field] = end;
    this.field = field;
    return i;
  }

  private push(src: Uint8Array, start: number, end: number, cls: number, line: number): void {
    const len = end - start;
    if (this.length + len > this.data.length) {
      const grown = Buffer.allocUnsafe(Math.max(this.data.length * 2, this.length + len));
      this.data.copy(grown, 0, 0, this.length);
      this.data = grown;
    }
    this.data.set(src.subarray(start, end), this.length);
    this.offsets.push(this.length);
    this.length += len;
    this.classes.push(cls);
    this.lines.push(line);
  }
}
