import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { errorCodeOf } from '../test/error-code.js';
import type { BadRow } from '@oidstream/oid-labels';
import { ByteKeySet } from './byte-key-set.js';
import { LinePrefilter } from './line-prefilter.js';
import { type CsvRow, emptyScanStats, scanCsv, scanCsvFiles } from './scan-csv.js';

const dir = mkdtempSync(path.join(tmpdir(), 'oid-join-'));
let n = 0;
function file(text: string): string {
  const f = path.join(dir, `f${n++}.csv`);
  writeFileSync(f, text);
  return f;
}
async function collect(it: AsyncIterable<CsvRow>): Promise<{ line: number; fields: string[] }[]> {
  const out = [];
  for await (const r of it) out.push({ line: r.line, fields: r.fields });
  return out;
}

/** Seeded PRNG so a failure can be replayed. */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('ByteKeySet', () => {
  it('agrees with a Set on many keys, including non-ASCII and near misses', () => {
    const r = rng(1);
    const keys = Array.from({ length: 5000 }, (_, i) => (r() * 1e16).toString(16).padStart(16, '0') + (i % 7 === 0 ? 'é' : ''));
    const set = new ByteKeySet(keys);
    expect(set.size).toBe(new Set(keys).size);
    for (const k of keys.slice(0, 500)) {
      const b = Buffer.from(`xx${k}yy`);
      expect(set.has(b, 2, b.length - 2)).toBe(true);
      const miss = Buffer.from(k.slice(0, -1) + 'Z');
      expect(set.has(miss, 0, miss.length)).toBe(false);
    }
    expect(set.hasString(keys[3])).toBe(true);
    expect(new ByteKeySet([]).has(Buffer.from('a'), 0, 1)).toBe(false);
  });
});

describe('LinePrefilter', () => {
  it('keeps matching lines with their line numbers across chunk boundaries and CRLF', () => {
    const f = new LinePrefilter([{ index: 2, keys: new ByteKeySet(['/m/cat']) }], { firstLine: 2 });
    const text = 'a,s,/m/cat,1\r\nb,s,/m/dog,1\r\nc,s,/m/cat\r\n\r\nd,s,"/m/dog",1\r\ne,"multi\nline",/m/dog,1\nf,s,/m/cat,1';
    const parts = [text.slice(0, 7), text.slice(7, 40), text.slice(40)];
    const kept = [...parts.map((p) => f.push(Buffer.from(p))), f.end()];
    const lines = kept.flatMap((k) => k.lines);
    // a(2) c(4) kept; quoted field kept conservatively (6); the multi-line record (7,8) kept whole; f (9) kept.
    expect(lines).toEqual([2, 4, 6, 7, 8, 9]);
    expect(Buffer.concat(kept.map((k) => k.data)).toString()).toBe('a,s,/m/cat,1\r\nc,s,/m/cat\r\nd,s,"/m/dog",1\r\ne,"multi\nline",/m/dog,1\nf,s,/m/cat,1\n');
    expect(f.lines).toBe(8);
  });
});

describe('LinePrefilter buffers', () => {
  it('returns copies by default and views of one buffer with reuseOutput', () => {
    const keys = new ByteKeySet(['k']);
    const copy = new LinePrefilter([{ index: 0, keys }]);
    const a = copy.push(Buffer.from('k,1\nx,2\n'));
    copy.push(Buffer.from('k,3\n'));
    expect(a.data.toString()).toBe('k,1\n');
    const views = new LinePrefilter([{ index: 0, keys }], { reuseOutput: true });
    const b = views.push(Buffer.from('k,1\n'));
    const c = views.push(Buffer.from('k,2\n'));
    expect(c.data.toString()).toBe('k,2\n');
    expect(b.data.buffer).toBe(c.data.buffer);
  });

  it('holds an open quoted record across chunks and flushes an unterminated one at the end', () => {
    const f = new LinePrefilter([{ index: 0, keys: new ByteKeySet(['k']) }]);
    expect(f.push(Buffer.from('x,"open\nstill open\n')).lines).toEqual([]);
    expect(f.push(Buffer.from('closed",1\nk,2\n')).lines).toEqual([1, 2, 3, 4]);
    expect(f.push(Buffer.from('k,"never closed\nz,9\n')).lines).toEqual([]);
    const last = f.end();
    expect(last.lines).toEqual([5, 6]);
    expect(last.data.toString()).toBe('k,"never closed\nz,9\n');
  });
});

describe('scanCsv', () => {
  it('maps columns by each file header (extra XClick columns, other order) and reports line numbers', async () => {
    const a = file('ImageID,Source,LabelName,Confidence\nimg1,x,/m/cat,1\nimg2,x,/m/dog,1\nimg3,x,/m/cat,0\n');
    const b = file('LabelName,XClick1X,ImageID\n/m/cat,0.5,img9\n/m/cow,0.1,img8\n');
    const rows: CsvRow[] = [];
    for await (const r of scanCsvFiles([a, b], { where: { LabelName: ['/m/cat'] } })) rows.push(r);
    expect(rows.map((r) => [path.basename(r.file), r.line, r.header.toObject(r.fields).ImageID])).toEqual([
      [path.basename(a), 2, 'img1'], [path.basename(a), 4, 'img3'], [path.basename(b), 2, 'img9'],
    ]);
  });

  it('reports csv-parse rejects with file and line and goes on; BOM and a missing last newline are fine', async () => {
    const f = file('\ufeffImageID,LabelName\ni1,/m/cat\ni2,/m/c"at\ni3,"/m/cat\ni4,/m/cat');
    const bad: BadRow[] = [];
    const stats = emptyScanStats();
    const rows = await collect(scanCsv(f, { where: { ImageID: ['i1', 'i2', 'i3', 'i4'] }, onBadRow: (b) => bad.push(b), stats }));
    expect(rows[0]).toEqual({ line: 2, fields: ['i1', '/m/cat'] });
    expect(bad.length).toBeGreaterThanOrEqual(1);
    expect(bad[0]).toMatchObject({ file: f, line: 3 });
    expect(stats).toMatchObject({ files: 1, lines: 4, badRows: bad.length });
  });

  it('throws coded errors for a missing file, an empty file and a missing where-column', async () => {
    await expect(collect(scanCsv(path.join(dir, 'nope.csv')))).rejects.toMatchObject({ code: 'MISSING_FILE' });
    await expect(collect(scanCsv(file('')))).rejects.toMatchObject({ code: 'EMPTY_FILE' });
    await expect(collect(scanCsv(file('a,b\n1,2\n'), { where: { LabelName: ['x'] } }))).rejects.toMatchObject({ code: 'MISSING_COLUMN' });
  });

  it('gives exactly the same rows with and without the pre-filter on random, nasty CSV (quotes, CRLF, blanks, chunking)', async () => {
    for (let seed = 1; seed <= 12; seed++) {
      const r = rng(seed);
      const ids = Array.from({ length: 40 }, (_, i) => `id${i}`);
      const labels = ['/m/a', '/m/b', '/m/c', 'x,y', ''];
      const pick = <T>(xs: T[]): T => xs[Math.floor(r() * xs.length)];
      const quote = (s: string): string => (s.includes(',') || r() < 0.1 ? `"${s.replace(/"/g, '""')}"` : s);
      const eol = r() < 0.5 ? '\r\n' : '\n';
      let text = `ImageID,Source,LabelName,Confidence${eol}`;
      for (let i = 0; i < 400; i++) {
        const u = r();
        if (u < 0.03) text += eol; // blank line
        else if (u < 0.06) text += `${pick(ids)},"multi${eol}line ""q""",${pick(labels)},1${eol}`;
        else if (u < 0.08) text += `${pick(ids)},short${eol}`;
        else text += `${quote(pick(ids))},${quote(pick(['src', 'a "b"', 'c,d']))},${quote(pick(labels))},${r().toFixed(2)}${eol}`;
      }
      if (r() < 0.5) text = text.slice(0, -eol.length);
      const f = file(text);
      const where = { LabelName: ['/m/a', 'x,y'], ImageID: ids.filter(() => r() < 0.5) };
      const chunkSize = 1 + Math.floor(r() * 200);
      const fast = await collect(scanCsv(f, { where, chunkSize }));
      const slow = await collect(scanCsv(f, { where, prefilter: false, parser: 'csv-parse', chunkSize: 1 << 16 }));
      expect(fast, `seed ${seed}`).toEqual(slow);
      // Byte ranges on 2 worker threads: a quote sends the rest of the file to this thread, same rows.
      expect(await collect(scanCsvFiles([f], { where, threads: 2, rangeBytes: 200 + Math.floor(r() * 400) })), `seed ${seed} threads`).toEqual(slow);
      // Quote-free batches skip csv-parse: small chunks make many of them.
      expect(await collect(scanCsv(f, { where, parser: 'csv-parse', chunkSize }))).toEqual(slow);
      expect(await collect(scanCsv(f, { prefilter: false, chunkSize: 64 }))).toEqual(await collect(scanCsv(f, { prefilter: false, parser: 'csv-parse' })));
      expect(slow.length).toBeGreaterThan(0);
      // Line numbers point at the physical line where the record starts.
      const physical = text.split('\n');
      for (const row of fast) {
        const at = physical[row.line - 1];
        expect(at.startsWith(`${row.fields[0]},`) || at.startsWith(`"${row.fields[0]}",`), `seed ${seed} line ${row.line}: ${at}`).toBe(true);
      }
    }
  });
});

describe('scanCsvFiles on worker threads', () => {
  it('gives the rows of the sequential scan, in order, with line numbers, on quote-free files split in many ranges', async () => {
    const r = rng(99);
    const eol = '\r\n';
    let text = `ImageID,Source,LabelName,Confidence${eol}`;
    for (let i = 0; i < 5000; i++) text += `id${Math.floor(r() * 300)},src,/m/${'abc'[Math.floor(r() * 3)]},1${eol}`;
    const f = file(text.slice(0, -2)); // no newline at the end
    const where = { LabelName: ['/m/a'], ImageID: Array.from({ length: 100 }, (_, i) => `id${i * 2}`) };
    const statsOne = emptyScanStats();
    const statsTwo = emptyScanStats();
    const one = await collect(scanCsvFiles([f, f], { where, stats: statsOne }));
    for (const rangeBytes of [97, 4096]) {
      expect(await collect(scanCsvFiles([f, f], { where, threads: 2, rangeBytes, stats: statsTwo }))).toEqual(one);
    }
    expect(one.length).toBeGreaterThan(100);
    expect(statsTwo.lines).toBe(2 * statsOne.lines);
    expect(statsTwo.rows).toBe(2 * statsOne.rows);
    expect(statsTwo.bytes).toBe(2 * statsOne.bytes);
  });
});

describe('scan options: user mistakes are coded errors (BAD_OPTIONS)', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'oid-join-options-'));
  const file = path.join(dir, 'a.csv');
  writeFileSync(file, 'ImageID,LabelName\n0001eeaf4aed83f9,/m/07dm6\n');
  it.each([
    ['a where value that is a string (it would be a set of its characters)', () => scanCsv(file, { where: { ImageID: '0001eeaf4aed83f9' as never } })],
    ['a where value that is null', () => scanCsvFiles([file], { where: { ImageID: null as never } })],
    ['chunkSize 0 (it would read nothing and report an empty file)', () => scanCsv(file, { chunkSize: 0 })],
    ['chunkSize that is not a number', () => scanCsv(file, { chunkSize: '64k' as never })],
    ['an unknown parser', () => scanCsv(file, { parser: 'fast' as never })],
    ['one path instead of a list', () => scanCsvFiles(file as never)],
  ])('%s', async (_name, run) => {
    expect(await errorCodeOf(run)).toBe('BAD_OPTIONS');
  });
  it('a where value given as an array still works', async () => {
    const rows: CsvRow[] = [];
    for await (const r of scanCsvFiles([file], { where: { ImageID: ['0001eeaf4aed83f9'] } })) rows.push(r);
    expect(rows.map((r) => r.fields)).toEqual([['0001eeaf4aed83f9', '/m/07dm6']]);
  });
});
