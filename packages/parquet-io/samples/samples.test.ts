import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { main as packAndRead } from './pack-and-read.js';

const data = path.resolve(import.meta.dirname, '../../../test-data/oid');

describe('samples', () => {
  it('pack-and-read.ts round-trips rows, packs test-data/oid/images and reads two images back by key', async () => {
    const out = mkdtempSync(path.join(os.tmpdir(), 'parquet-io-sample-test-'));
    try {
      const r = await packAndRead(data, out);
      expect(r.written.rows).toBe(2);
      expect(r.boxes).toEqual([{ ImageID: '067e85ee2f3d98c4', XMin: 0.020541 }, { ImageID: '09e7a4d829f2e47c', XMin: 0.5 }]);
      expect(r.packed).toBe(readdirSync(path.join(data, 'images')).length);
      const rotationRows = readFileSync(path.join(data, 'annotations', 'test-images-with-rotation.csv'), 'utf8').trim().split('\n').length - 1;
      expect(r.withRotationInfo).toBe(rotationRows);
      const size = (id: string) => statSync(path.join(data, 'images', `${id}.jpg`)).size;
      expect(r.images).toEqual(['067e85ee2f3d98c4', '09e7a4d829f2e47c'].map((id) => `${id} test ${size(id)} bytes`));
      expect(r.stats.matchedRows).toBe(2);
      expect(r.stats.bytesRead).toBeLessThan(r.stats.fileBytes); // only the wanted pages were fetched
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
