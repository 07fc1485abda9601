import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { main as selectBoxes } from './select-boxes.js';

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
});
