import type { ByteKeySet } from './byte-key-set.js';
import type { KeptBatch } from './line-prefilter.js';

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
  /** Line number of entry k (as given by the pre-filter). */
  lines: Int32Array;
  /** Confidence "0" rows per class index. */
  zeros: Int32Array;
  /** Rows that passed the exact LabelName check here (the "0" and "1" rows). */
  rows: number;
}

const NL = 10;
const CR = 13;
const COMMA = 44;
const QUOTE = 34;
const ZERO = 48;
const ONE = 49;

/**
 * Digests kept lines of an image-label file (pure, no I/O): the byte-level half of the label pass, so that the thread
 * that selects images never decodes or splits the lines that only count (most rows of the chosen classes are
 * Confidence 0) and gets each selecting row as a few bytes of ImageID. The "1" and "0" fast paths give exactly what
 * splitting the line on commas and `toImageLabel` give; every other line is handed over whole.
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

  constructor(private readonly cols: LabelColumns, private readonly mids: ByteKeySet) {
    this.maxIndex = Math.max(cols.imageId, cols.labelName, cols.confidence);
    this.starts = new Int32Array(this.maxIndex + 1);
    this.ends = new Int32Array(this.maxIndex + 1);
    this.zeros = new Int32Array(mids.size);
  }

  /** Digest one batch of kept lines (the pre-filter's output; its bytes may be reused afterwards). */
  add(batch: KeptBatch): void {
    const { data, offsets, lines } = batch;
    for (let i = 0; i < lines.length; i++) {
      const start = offsets[i];
      const next = i + 1 < lines.length ? offsets[i + 1] : data.length;
      let end = next;
      if (end > start && data[end - 1] === NL) end--;
      if (end > start && data[end - 1] === CR) end--;
      if (end === start) continue; // blank line: no row
      const cls = this.plainRow(data, start, end);
      if (cls === -2) this.rows++; // a "0" row, counted
      else if (cls >= 0) {
        this.rows++;
        this.push(data, this.starts[this.cols.imageId], this.ends[this.cols.imageId], cls, lines[i]);
      } else this.push(data, start, next, -1, lines[i]);
    }
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
   * The class of a plain "1" row (its ImageID bounds left in starts/ends), -2 for a plain "0" row (counted here),
   * -1 for a line the caller must parse.
   */
  private plainRow(data: Uint8Array, start: number, end: number): number {
    const { starts, ends, maxIndex, cols } = this;
    let field = 0;
    starts[0] = start;
    let i = start;
    for (; i < end; i++) {
      const b = data[i];
      if (b === QUOTE) return -1;
      if (b === COMMA) {
        ends[field] = i;
        if (field === maxIndex) break;
        starts[++field] = i + 1;
      }
    }
    if (i === end) {
      if (field < maxIndex) return -1; // too few fields: the parser reports it
      ends[field] = end;
    }
    // The rest of the line is not looked at by the parser's row check, except for quotes that change the fields.
    for (; i < end; i++) if (data[i] === QUOTE) return -1;
    const cls = this.mids.indexOf(data, starts[cols.labelName], ends[cols.labelName]);
    const idStart = starts[cols.imageId];
    const idEnd = ends[cols.imageId];
    if (cls < 0 || idEnd === idStart) return -1;
    if (ends[cols.confidence] - starts[cols.confidence] !== 1) return -1;
    const c = data[starts[cols.confidence]];
    if (c === ZERO) {
      this.zeros[cls]++;
      return -2;
    }
    if (c !== ONE) return -1;
    for (let j = idStart; j < idEnd; j++) if (data[j] >= 0x80) return -1; // decoded as latin1 by the reader
    return cls;
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
