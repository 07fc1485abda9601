import { appendFileSync, copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateOid } from '@oidstream/tools';
import { BoxPrefetch } from './box-prefetch.js';
import { ByteKeySet } from './byte-key-set.js';
import { type CsvRow, type ScanStats, emptyScanStats, scanCsvFilesBatches } from './scan-csv.js';
import { ScanPool } from './scan-pool.js';

const work = mkdtempSync(path.join(tmpdir(), 'oid-join-prefetch-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const rowsOf = async (batches: AsyncIterable<CsvRow[]>): Promise<{ line: number; fields: string[] }[]> => {
  const out = [];
  for await (const rows of batches) for (const r of rows) out.push({ line: r.line, fields: r.fields });
  return out;
};

describe('BoxPrefetch on worker threads', () => {
  const files: string[] = [];
  let mids: ByteKeySet;
  let ids: ByteKeySet;
  beforeAll(async () => {
    const data = path.join(work, 'gen');
    await generateOid({ out: data, boxRows: 5_000, jpeg: false, seed: 11 });
    const boxes = path.join(data, 'annotations/train-annotations-bbox.csv');
    const lines = readFileSync(boxes, 'utf8').split('\n').slice(1).filter(Boolean);
    const tiger = lines.filter((l) => l.includes(',/m/07dm6,'));
    mids = new ByteKeySet(['/m/07dm6', '/m/096mb']);
    ids = new ByteKeySet(tiger.filter((_, i) => i % 2 === 0).map((l) => l.split(',')[0]));
    files.push(boxes);
    // The same file with a quoted field near its end: the rest of it goes to the scan on this thread.
    const quoted = path.join(work, 'quoted-annotations-bbox.csv');
    copyFileSync(boxes, quoted);
    appendFileSync(quoted, `${tiger[0].replace(',xclick,', ',"x,click",')}\n${tiger[2]}\n`);
    files.push(quoted);
  });

  it.each([
    ['held', 64 << 20],
    ['dropped past the cap and filtered again by class and image', 0],
  ])('gives the rows, lines and stats of the sequential scan (ranges %s)', async (_, cap) => {
    const pool = new ScanPool(2);
    try {
      const prefetch = await BoxPrefetch.start(pool, files, mids, cap);
      for (const file of files) {
        const where = { LabelName: mids, ImageID: ids };
        const statsHere: ScanStats = emptyScanStats();
        const statsPool: ScanStats = emptyScanStats();
        const here = await rowsOf(scanCsvFilesBatches([file], { where, stats: statsHere }));
        const pooled = await rowsOf(prefetch.rows(file, where, { where }, statsPool)!);
        expect(here.length).toBeGreaterThan(10);
        expect(pooled).toEqual(here);
        expect({ ...statsPool, parsedLines: 0 }).toEqual({ ...statsHere, parsedLines: 0 });
      }
    } finally {
      await pool.close();
    }
  });
});
