import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { main as cutChips } from './cut-chips.js';

const boxCsv = path.resolve(import.meta.dirname, '../../../test-data/oid/annotations/test-annotations-bbox.csv');

describe('samples', () => {
  it('cut-chips.ts writes one JPEG per box of test-data/oid (ids in CSV order) and one error record for the bad box', async () => {
    const r = await cutChips();
    try {
      const rows = readFileSync(boxCsv, 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
      const seen = new Map<string, number>();
      const expectedIds = rows.map(([id]) => {
        const n = seen.get(id) ?? 0;
        seen.set(id, n + 1);
        return `${id}_${n}`;
      });
      expect(r.boxes).toBe(rows.length + 1);
      expect(r.chips.map((c) => path.basename(c.chip_path, '.jpg'))).toEqual(expectedIds);
      expect(r.chips.filter((c) => c.chip_path.startsWith('chips/Tiger/')).length).toBe(rows.filter((f) => f[2] === '/m/07dm6').length);
      for (const { chip_path, size } of r.chips) {
        const meta = await sharp(path.join(r.out, chip_path)).metadata();
        expect(`${meta.format} ${meta.width}x${meta.height}`).toBe(`jpeg ${size}`);
      }
      expect(r.errors).toHaveLength(1);
      expect(r.errors[0]).toMatchObject({ code: 'BAD_BOX', chip_id: `${rows[0][0]}_${seen.get(rows[0][0])}` });
    } finally {
      rmSync(r.out, { recursive: true, force: true });
    }
  });
});
