import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { needs } from '@oidstream/test-needs';
import { readParquetRows } from '@oidstream/parquet-io';
import { main } from './download-local.js';

const images = path.resolve(import.meta.dirname, '../../../test-data/oid/images');

describe.skipIf(needs('test-data/oid', existsSync(images)))('README sample (needs test-data/oid)', () => {
  it('download-local.ts stores the five images and records the missing one', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'oid-download-sample-'));
    try {
      const summary = await main(images, path.join(dir, 'images.parquet'));
      expect(summary).toMatchObject({ fetched: 5, rows: 5, errors: 1, errorsByReason: { MISSING: 1 } });
      const ids: string[] = [];
      for await (const row of readParquetRows(summary.out, { columns: ['ImageID'] })) ids.push(String(row.ImageID));
      const expected = (await readdir(images)).filter((n) => n.endsWith('.jpg')).map((n) => n.slice(0, -4)).sort().slice(0, 5);
      expect(ids.sort()).toEqual(expected);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
