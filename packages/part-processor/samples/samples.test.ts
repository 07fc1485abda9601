import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readParquetRows } from '@oidstream/parquet-io';
import { main } from './chips-in-parts.js';

const data = path.resolve(import.meta.dirname, '../../../test-data/oid');
const out = mkdtempSync(path.join(os.tmpdir(), 'part-processor-sample-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('samples/chips-in-parts.ts (the README example)', () => {
  it('cuts one chip per image in four parts', async () => {
    const r = await main(data, out);
    expect(r.parts).toBe(4);
    expect(r.chips + r.errors).toBe(40);
    let rows = 0;
    for await (const c of readParquetRows(path.join(out, 'chips.parquet'), { columns: ['chip_id', 'chip_width'] })) {
      expect(String(c.chip_id)).toMatch(/^[0-9a-f]{16}_0$/);
      rows++;
    }
    expect(rows).toBe(r.chips);
  });
});
