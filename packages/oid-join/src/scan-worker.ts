import { closeSync, openSync, readSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { ByteKeySet } from './byte-key-set.js';
import { type LabelColumns, type LabelDigest, LabelDigester } from './label-digest.js';
import { type KeptBatch, LinePrefilter } from './line-prefilter.js';

/** One byte range of a CSV body: the lines that start in [start, end). */
export interface RangeTask {
  id: number;
  file: string;
  start: number;
  end: number;
  /** start is a line start (the first range of a body). */
  lineStart: boolean;
  /** The key sets to filter by (a `ScanPool.setup` id). */
  setup: number;
  /** With these image-label columns, the kept lines are digested (`LabelDigest`) instead of returned. */
  labels?: LabelColumns;
}

/** What the pre-filter kept of one range: the bytes of the kept lines, their line numbers relative to the range. */
export interface RangeResult {
  id: number;
  data: Uint8Array;
  lines: Int32Array;
  offsets: Int32Array;
  /** The kept lines digested, for a task with `labels` (data, lines and offsets are then empty). */
  digest?: LabelDigest;
  /** Lines in the range. */
  lineCount: number;
  /** Lines the pre-filter kept. */
  keptCount: number;
  /** A `"` in the range: line alignment may be wrong after it, so the caller scans the rest of the file alone. */
  hasQuote: boolean;
  error?: string;
}

/** Key sets by column position in the file's header. */
export type SetupColumns = { index: number; keys: ByteKeySet }[];

const NL = 10;
/** Read size: small reads stay in the CPU cache until they are scanned (1 MiB reads cost 3× the CPU here). */
const CHUNK = 64 << 10;

/** Pre-filter one range (pure apart from the file reads); with `task.labels`, digest its lines instead. */
export function filterRange(task: RangeTask, columns: SetupColumns): RangeResult {
  if (task.labels) return digestRange(task, task.labels, columns);
  const parts: KeptBatch[] = [];
  const prefilter = new LinePrefilter(columns, { firstLine: 0 });
  const read = readRange(task, readBuffer(CHUNK), (chunk) => {
    const kept = prefilter.push(chunk);
    if (kept.lines.length) parts.push(kept);
  });
  if (!read) return empty(task.id);
  const last = prefilter.end();
  if (last.lines.length) parts.push(last);
  return pack(task.id, parts, prefilter.lines, read.hasQuote);
}

/** The range's lines digested by `LabelDigester`, chunk by chunk (a line cut at a chunk's end is carried over). */
function digestRange(task: RangeTask, labels: LabelColumns, columns: SetupColumns): RangeResult {
  const keys = columns.find((c) => c.index === labels.labelName)?.keys;
  if (!keys) throw new Error(`no key set for column ${labels.labelName}`);
  const digester = new LabelDigester(labels, keys);
  let tail: Buffer | undefined;
  let quote = false;
  const read = readRange(task, readBuffer(CHUNK), (chunk) => {
    // With a quote the caller reads the range again itself: the rest of the digest would be wasted.
    if (quote || (quote = chunk.indexOf(34) >= 0)) return;
    let start = 0;
    if (tail) {
      const nl = chunk.indexOf(NL);
      if (nl < 0) {
        tail = Buffer.concat([tail, chunk]);
        return;
      }
      const line = Buffer.concat([tail, chunk.subarray(0, nl + 1)]);
      digester.scan(line, 0, line.length);
      tail = undefined;
      start = nl + 1;
    }
    const lastNl = chunk.lastIndexOf(NL);
    if (lastNl >= start) {
      digester.scan(chunk, start, lastNl + 1);
      start = lastNl + 1;
    }
    if (start < chunk.length) tail = Buffer.from(chunk.subarray(start));
  });
  if (!read) return empty(task.id);
  if (tail && !quote) digester.scan(tail, 0, tail.length);
  return { ...empty(task.id), digest: digester.finish(), lineCount: digester.lineCount, keptCount: digester.kept, hasQuote: read.hasQuote };
}

let reused = Buffer.alloc(0);

/** This thread's read buffer, at least `bytes` long (kept: fresh memory for every range costs page faults). */
function readBuffer(bytes: number): Buffer {
  if (reused.length < bytes) reused = Buffer.allocUnsafeSlow(bytes);
  return reused.subarray(0, bytes);
}

/** Hand the lines that start in the range to `onChunk`, read into `buf` (a chunk is valid until the next one). */
function readRange(task: RangeTask, buf: Buffer, onChunk: (chunk: Buffer) => void): { hasQuote: boolean } | undefined {
  const fd = openSync(task.file, 'r');
  const chunkBytes = buf.length;
  let hasQuote = false;
  try {
    // The first line start at or after `start` (a line starts after a newline).
    let pos = task.start;
    if (!task.lineStart) {
      pos = findNewline(fd, buf, task.start - 1);
      if (pos < 0 || pos + 1 >= task.end) return undefined;
      pos++;
    }
    let done = false;
    while (!done) {
      const n = readSync(fd, buf, 0, chunkBytes, pos);
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
      onChunk(chunk);
      pos += take;
    }
  } finally {
    closeSync(fd);
  }
  return { hasQuote };
}

function findNewline(fd: number, buf: Buffer, from: number): number {
  const step = Math.min(buf.length, 64 << 10); // a line is short: do not read a whole range to find its end
  for (let pos = from; ; pos += step) {
    const n = readSync(fd, buf, 0, step, pos);
    if (n === 0) return -1;
    const nl = buf.subarray(0, n).indexOf(NL);
    if (nl >= 0) return pos + nl;
  }
}

function empty(id: number): RangeResult {
  return { id, data: new Uint8Array(0), lines: new Int32Array(0), offsets: new Int32Array(0), lineCount: 0, keptCount: 0, hasQuote: false };
}

function pack(id: number, parts: KeptBatch[], lineCount: number, hasQuote: boolean): RangeResult {
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
  return { id, data, lines, offsets, lineCount, keptCount: count, hasQuote };
}

/** The buffers a result can hand over to the other thread without a copy. */
function transferList(r: RangeResult): ArrayBuffer[] {
  const list = [r.data.buffer, r.lines.buffer, r.offsets.buffer];
  if (r.digest) list.push(r.digest.data.buffer, r.digest.offsets.buffer, r.digest.classes.buffer, r.digest.lines.buffer, r.digest.zeros.buffer);
  return list as ArrayBuffer[];
}

// Worker side: `setup` brings key sets once (kept by id, so ranges of several files can be in flight), then one
// message per range.
if (parentPort) {
  const port = parentPort;
  const setups = new Map<number, SetupColumns>();
  port.on('message', (msg: { type: 'setup'; id: number; columns: { index: number; keys: string[] }[] } | ({ type: 'range' } & RangeTask)) => {
    if (msg.type === 'setup') {
      setups.set(msg.id, msg.columns.map((c) => ({ index: c.index, keys: new ByteKeySet(c.keys) })));
      return;
    }
    try {
      const r = filterRange(msg, setups.get(msg.setup) ?? []);
      port.postMessage(r, transferList(r));
    } catch (err) {
      port.postMessage({ ...empty(msg.id), error: String((err as Error)?.message ?? err) });
    }
  });
}
