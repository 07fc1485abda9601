import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { needs } from '@oidstream/test-needs';
import { collect } from '../test/collect.js';
import { packImages, readParquetRows, readParquetRowsByKey } from './index.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const shared = process.env.OIDSTREAM_SHARED ?? path.resolve(repoRoot, '../shared');
const dir = mkdtempSync(path.join(tmpdir(), 'pqpack-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const jpegLike = (n: number) => Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(20, n)]);
const pngLike = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(20, 1)]);

describe('packImages', () => {
  it('packs valid images with rotation info and reports the rest', async () => {
    const imgs = path.join(dir, 'imgs');
    mkdirSync(imgs);
    writeFileSync(path.join(imgs, '000000000000000b.jpg'), jpegLike(2));
    writeFileSync(path.join(imgs, '000000000000000a.jpg'), jpegLike(1));
    writeFileSync(path.join(imgs, '00000000000000ff.png'), pngLike);
    writeFileSync(path.join(imgs, '00000000000000FF.jpg'), jpegLike(3)); // same id, other case: sorts first, so the .png is the duplicate
    writeFileSync(path.join(imgs, 'notanid.jpg'), jpegLike(4));
    writeFileSync(path.join(imgs, '..%2f..%2fx.jpg'), jpegLike(5));
    writeFileSync(path.join(imgs, '0000000000000c0c.jpg'), 'hello, not an image at all');
    writeFileSync(path.join(imgs, '0000000000000d0d.jpg'), '');
    mkdirSync(path.join(imgs, '0000000000000e0e.jpg'));
    const csv = path.join(dir, 'validation-images-with-rotation.csv');
    writeFileSync(
      csv,
      'ImageID,Subset,OriginalURL,Title,Rotation\n' +
        '000000000000000a,validation,http://x/a.jpg,"A title, with a comma",90.0\n' +
        '000000000000000b,validation,http://x/b.jpg,"B",\n',
    );
    const out = path.join(dir, 'out', 'images.parquet');
    const seen: string[] = [];
    const res = await packImages({ imagesDir: imgs, rotationCsv: csv, out, onSkip: (s) => seen.push(s.file) });
    expect(res.packed).toBe(3);
    expect(res.withRotationInfo).toBe(2);
    expect(res.skipped.map((s) => s.file).sort()).toEqual(
      ['00000000000000ff.png', 'notanid.jpg', '..%2f..%2fx.jpg', '0000000000000c0c.jpg', '0000000000000d0d.jpg', '0000000000000e0e.jpg'].sort(),
    );
    expect(seen.length).toBe(6);
    expect(res.skipped.find((s) => s.file === '0000000000000c0c.jpg')!.reason).toMatch(/not an image/);
    const rows = await collect(readParquetRows(out));
    expect(rows.map((r) => [r.ImageID, r.Subset, r.Rotation])).toEqual([
      ['000000000000000a', 'validation', 90],
      ['000000000000000b', 'validation', null],
      ['00000000000000ff', null, null],
    ]);
    expect(Buffer.from(rows[0].image as Uint8Array).equals(jpegLike(1))).toBe(true);
    expect(readdirSync(path.dirname(out))).toEqual(['images.parquet']);
  });

  it('takes one rotation CSV per split', async () => {
    const imgs = path.join(dir, 'imgs-splits');
    mkdirSync(imgs);
    writeFileSync(path.join(imgs, '000000000000000a.jpg'), jpegLike(1));
    writeFileSync(path.join(imgs, '000000000000000b.jpg'), jpegLike(2));
    const train = path.join(dir, 'train-images-boxable-with-rotation.csv');
    const val = path.join(dir, 'validation-images-with-rotation-2.csv');
    writeFileSync(train, 'ImageID,Subset,Rotation\n000000000000000a,train,270\n');
    writeFileSync(val, 'ImageID,Subset,Rotation\n000000000000000b,validation,180\n');
    const out = path.join(dir, 'splits.parquet');
    const res = await packImages({ imagesDir: imgs, rotationCsv: [train, val], out });
    expect(res.withRotationInfo).toBe(2);
    const rows = await collect(readParquetRows(out, { columns: ['ImageID', 'Subset', 'Rotation'] }));
    expect(rows).toEqual([
      { ImageID: '000000000000000a', Subset: 'train', Rotation: 270 },
      { ImageID: '000000000000000b', Subset: 'validation', Rotation: 180 },
    ]);
  });

  it('missing folder and bad rotation CSV are coded errors', async () => {
    await expect(packImages({ imagesDir: path.join(dir, 'nope'), out: path.join(dir, 'x.parquet') })).rejects.toMatchObject({ code: 'NO_IMAGES_DIR' });
    const imgs = path.join(dir, 'imgs2');
    mkdirSync(imgs);
    const csv = path.join(dir, 'bad.csv');
    writeFileSync(csv, 'a,b\n1,2\n');
    await expect(packImages({ imagesDir: imgs, rotationCsv: csv, out: path.join(dir, 'y.parquet') })).rejects.toMatchObject({ code: 'BAD_ROTATION_CSV' });
    expect(existsSync(path.join(dir, 'y.parquet'))).toBe(false);
    // A missing rotation CSV used to be an unhandled stream 'error' event that ended the process.
    await expect(packImages({ imagesDir: imgs, rotationCsv: path.join(dir, 'nope.csv'), out: path.join(dir, 'z.parquet') })).rejects.toMatchObject({ code: 'BAD_ROTATION_CSV' });
    await expect(packImages(undefined as never)).rejects.toMatchObject({ code: 'BAD_OPTIONS' });
  });

  describe.skipIf(needs('../shared/oid-real', existsSync(path.join(shared, 'oid-real/images'))))('on real photos (needs ../shared/oid-real)', () => {
    it('packs the 35 real JPEGs byte-for-byte and reads one back by key', async () => {
      const imgs = path.join(shared, 'oid-real/images');
      const out = path.join(dir, 'real.parquet');
      const res = await packImages({ imagesDir: imgs, out });
      expect(res.packed).toBe(35);
      expect(res.skipped).toEqual([]);
      const read = readParquetRowsByKey(out, 'ImageID', new Set(['7ab7f83e223ee733']));
      const rows = await collect(read);
      expect(rows.length).toBe(1);
      expect(Buffer.from(rows[0].image as Uint8Array).equals(readFileSync(path.join(imgs, '7ab7f83e223ee733.jpg')))).toBe(true);
      expect(read.stats.bytesRead).toBeLessThan(read.stats.fileBytes / 5);
    });
  });
});
