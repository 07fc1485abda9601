import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readParquetRowsByKey, writeParquet } from './index.js';

const dir = mkdtempSync(path.join(tmpdir(), 'pqkey-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const N = 10_000;
const IMAGE_BYTES = 20_000;
const file = path.join(dir, 'images.parquet');
const id = (i: number) => (i * 2654435761).toString(16).padStart(16, '0').slice(-16);

function image(i: number): Uint8Array {
  const b = new Uint8Array(IMAGE_BYTES);
  b[0] = i & 255;
  b[1] = (i >> 8) & 255;
  b[IMAGE_BYTES - 1] = 7;
  return b;
}

beforeAll(async () => {
  function* rows() {
    for (let i = 0; i < N; i++) yield { ImageID: id(i), Subset: 'train', Rotation: i % 4 === 0 ? 90 : null, image: image(i) };
  }
  await writeParquet(
    file,
    [
      { name: 'ImageID', type: 'STRING', nullable: false },
      { name: 'Subset', type: 'STRING' },
      { name: 'Rotation', type: 'DOUBLE' },
      { name: 'image', type: 'BYTE_ARRAY' },
    ],
    rows(),
  );
});

describe('readParquetRowsByKey', () => {
  it('on 10,000 images with 50 selected reads about the id column plus the selected pages', async () => {
    const picked = Array.from({ length: 50 }, (_, k) => (k * 7919 + 13) % N);
    const keys = new Set(picked.map(id));
    keys.add('ffffffffffffffff'); // not in the file
    const read = readParquetRowsByKey(file, 'ImageID', keys);
    const rows = [];
    for await (const row of read) rows.push(row);
    expect(rows.length).toBe(50);
    const sorted = [...picked].sort((a, b) => a - b);
    rows.forEach((row, k) => {
      const i = sorted[k];
      expect(row.ImageID).toBe(id(i));
      expect(row.Rotation).toBe(i % 4 === 0 ? 90 : null);
      const img = row.image as Uint8Array;
      expect(img.length).toBe(IMAGE_BYTES);
      expect([img[0], img[1]]).toEqual([i & 255, (i >> 8) & 255]);
    });
    const { stats } = read;
    const fileBytes = statSync(file).size;
    expect(stats.fileBytes).toBe(fileBytes);
    expect(stats.matchedRows).toBe(50);
    expect(stats.found.size).toBe(50);
    expect(stats.found.has('ffffffffffffffff')).toBe(false);
    // the selected rows' image pages: pages are 16 KiB, so each 20 kB image is its own page
    const selected = 50 * IMAGE_BYTES;
    const budget = stats.keyColumnBytes + selected + 300_000;
    console.log(
      `keyed read: file ${fileBytes} B, read ${stats.bytesRead} B (${((100 * stats.bytesRead) / fileBytes).toFixed(2)}%), ` +
        `id column ${stats.keyColumnBytes} B, selected image bytes ${selected} B`,
    );
    expect(stats.bytesRead).toBeLessThan(budget);
    expect(stats.bytesRead).toBeLessThan(fileBytes / 20);
  });

  it('projects columns and handles an empty key set', async () => {
    const read = readParquetRowsByKey(file, 'ImageID', new Set([id(5)]), { columns: ['ImageID', 'Rotation'] });
    const rows = [];
    for await (const row of read) rows.push(row);
    expect(rows).toEqual([{ ImageID: id(5), Rotation: null }]);
    const none = readParquetRowsByKey(file, 'ImageID', new Set());
    for await (const _ of none) throw new Error('no rows expected');
    expect(none.stats.matchedRows).toBe(0);
  });

  it('unknown key column is a coded error', async () => {
    const read = readParquetRowsByKey(file, 'Nope', new Set(['x']));
    await expect((async () => { for await (const _ of read) { /* drain */ } })()).rejects.toMatchObject({ code: 'UNKNOWN_COLUMN' });
  });
});
