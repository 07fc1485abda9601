import { readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { readParquetRows } from '@oidstream/parquet-io';
import { main as selectBoxes } from './select-boxes.js';
import { main as selectToParquet } from './select-to-parquet.js';

const annotations = path.resolve(import.meta.dirname, '../../../test-data/oid/annotations');
const readCsv = (name: string): Record<string, string>[] =>
  ['test', 'train', 'validation'].flatMap((s) => parse(readFileSync(path.join(annotations, `${s}-${name}`)), { columns: true }) as Record<string, string>[]);

describe('samples', () => {
  it('select-boxes.ts gives the boxes a plain csv-parse of test-data/oid gives, parsing only the lines that match', async () => {
    const names: Record<string, string> = { '/m/07dm6': 'Tiger', '/m/096mb': 'Lion' };
    const ids = new Set(readCsv('annotations-human-imagelabels-boxable.csv').filter((r) => names[r.LabelName] && r.Confidence === '1').map((r) => r.ImageID));
    const expected = new Map<string, string[]>();
    for (const b of readCsv('annotations-bbox.csv')) {
      if (ids.has(b.ImageID) && names[b.LabelName]) expected.set(b.ImageID, [...(expected.get(b.ImageID) ?? []), names[b.LabelName]]);
    }

    const r = await selectBoxes();
    expect(r.images).toBe(ids.size);
    expect(r.perImage).toEqual([...expected].map(([id, classes]) => `${id}: ${classes.join(', ')}`));
    expect(r.boxes).toBe([...expected.values()].flat().length);
    expect(r.linesRead).toBe(readCsv('annotations-bbox.csv').length);
    expect(r.linesParsed).toBe(r.boxes); // the pre-filter let through exactly the matching lines
  });

  it('select-to-parquet.ts writes the Tiger and Lion boxes of at most 5 images per class, the same for the same seed', async () => {
    const a = await selectToParquet(undefined, path.join(os.tmpdir(), `oid-join-sample-a-${process.pid}.parquet`));
    const b = await selectToParquet(undefined, path.join(os.tmpdir(), `oid-join-sample-b-${process.pid}.parquet`));
    const rows = async (f: string) => {
      const out: Record<string, unknown>[] = [];
      for await (const r of readParquetRows(f)) out.push(r);
      return out;
    };
    const ra = await rows(a.out);
    expect(ra).toEqual(await rows(b.out));
    expect(ra.length).toBe(a.summary.totals.boxes);
    expect(a.summary.limit).toMatchObject({ maxPerClass: 5, seed: 1 });
    for (const r of ra) {
      expect(['Tiger', 'Lion']).toContain(r.DisplayName);
      expect(r.IsGroupOf).not.toBe(1);
    }
    // 5 images chosen per class; an image chosen for Lion brings its Tiger boxes too, so the images are at most 10.
    for (const c of a.summary.classes) expect(c.selectedImages).toBeLessThanOrEqual(5);
    expect(new Set(ra.map((r) => r.ImageID)).size).toBeLessThanOrEqual(10);
    rmSync(a.out);
    rmSync(b.out);
  });
});
