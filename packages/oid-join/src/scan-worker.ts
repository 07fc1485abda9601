import { closeSync, openSync, readSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { ByteKeySet } from './byte-key-set.js';
import { LinePrefilter } from './line-prefilter.js';

/** One byte range of a CSV body: the lines that start in [start, end). */
export interface RangeTask {
  id: number;
  file: string;
  start: number;
  end: number;
  /** start is a line start (the first range of a body). */
  lineStart: boolean;
}

/** What the pre-filter kept of one range: the bytes of the kept lines, their line numbers relative to the range. */
export interface RangeResult {
  id: number;
  data: Uint8Array;
  lines: Int32Array;
  offsets: Int32Array;
  /** Lines in the range. */
  lineCount: number;
  /** A `"` in the range: line alignment may be wrong after it, so the caller scans the rest of the file alone. */
  hasQuote: boolean;
  error?: string;
}

const NL = 10;
const CHUNK = 1 << 20;

/** Pre-filter one range (pure apart from the file reads). */
export function filterRange(task: RangeTask, columns: { index: number; keys: ByteKeySet }[]): RangeResult {
  const fd = openSync(task.file, 'r');
  const buf = Buffer.allocUnsafe(CHUNK);
  const prefilter = new LinePrefilter(columns, { firstLine: 0 });
  const parts: { data: Buffer; lines: number[]; offsets: number[] }[] = [];
  let hasQuote = false;
  try {
    // The first line start at or after `start` (a line starts after a newline).
    let pos = task.start;
    if (!task.lineStart) {
      pos = findNewline(fd, buf, task.start - 1);
      if (pos < 0 || pos + 1 >= task.end) return empty(task.id);
      pos++;
    }
    let done = false;
    while (!done) {
      const n = readSync(fd, buf, 0, CHUNK, pos);
      if (n === 0) break;
      let take = n;
      if (pos + n >= task.end) {
        // Stop after the line that holds byte end-1: the next range starts there.
        const from = Math.max(0, task.end - 1 - pos);
        const nl = buf.subarray(0, n).indexOf(NL, from);
        if (nl >= 0) {
          take = nl + 1;
          done = true;
        }
      }
      const chunk = buf.subarray(0, take);
      if (!hasQuote && chunk.indexOf(34) >= 0) hasQuote = true;
      const kept = prefilter.push(chunk);
      if (kept.lines.length) parts.push(kept);
      pos += take;
    }
    const last = prefilter.end();
    if (last.lines.length) parts.push(last);
  } finally {
    closeSync(fd);
  }
  return pack(task.id, parts, prefilter.lines, hasQuote);
}

function findNewline(fd: number, buf: Buffer, from: number): number {
  for (let pos = from; ; pos += CHUNK) {
    const n = readSync(fd, buf, 0, CHUNK, pos);
    if (n === 0) return -1;
    const nl = buf.subarray(0, n).indexOf(NL);
    if (nl >= 0) return pos + nl;
  }
}

function empty(id: number): RangeResult {
  return { id, data: new Uint8Array(0), lines: new Int32Array(0), offsets: new Int32Array(0), lineCount: 0, hasQuote: false };
}

function pack(id: number, parts: { data: Buffer; lines: number[]; offsets: number[] }[], lineCount: number, hasQuote: boolean): RangeResult {
  const total = parts.reduce((s, p) => s + p.data.length, 0);
  const count = parts.reduce((s, p) => s + p.lines.length, 0);
  const data = new Uint8Array(total);
  const lines = new Int32Array(count);
  const offsets = new Int32Array(count);
  let at = 0;
  let k = 0;
  for (const p of parts) {
    data.set(p.data, at);
    for (let i = 0; i < p.lines.length; i++, k++) {
      lines[k] = p.lines[i];
      offsets[k] = p.offsets[i] + at;
    }
    at += p.data.length;
  }
  return { id, data, lines, offsets, lineCount, hasQuote };
}

// Worker side: `setup` brings the key sets once, then one message per range.
if (parentPort) {
  const port = parentPort;
  let columns: { index: number; keys: ByteKeySet }[] = [];
  port.on('message', (msg: { type: 'setup'; columns: { index: number; keys: string[] }[] } | ({ type: 'range' } & RangeTask)) => {
    if (msg.type === 'setup') {
      columns = msg.columns.map((c) => ({ index: c.index, keys: new ByteKeySet(c.keys) }));
      return;
    }
    try {
      const r = filterRange(msg, columns);
      port.postMessage(r, [r.data.buffer as ArrayBuffer, r.lines.buffer as ArrayBuffer, r.offsets.buffer as ArrayBuffer]);
    } catch (err) {
      port.postMessage({ ...empty(msg.id), error: String((err as Error)?.message ?? err) });
    }
  });
}
