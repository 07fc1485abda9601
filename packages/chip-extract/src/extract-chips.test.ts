import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { IMAGE_COLUMNS, writeParquet } from '@oidstream/parquet-io';
import { chipStream, extractChips, memoryImageSource, parquetImageSource } from './index.js';
import type { ChipResult, ImageRow, ImageSource } from './index.js';
import { quadrantJpeg } from '../test/images.js';

const dir = mkdtempSync(path.join(tmpdir(), 'chipx-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const id = (i: number) => i.toString(16).padStart(16, '0');
const box = (i: number, x = 0.1) => ({ ImageID: id(i), DisplayName: 'Tiger', LabelName: '/m/07dm6', XMin: x, XMax: x + 0.5, YMin: 0.1, YMax: 0.6 });

async function collect(it: AsyncIterable<ChipResult>): Promise<ChipResult[]> {
  const out: ChipResult[] = [];
  for await (const r of it) out.push(r);
  return out;
}

async function images(n: number): Promise<ImageRow[]> {
  const jpeg = await quadrantJpeg(64, 48);
  return Array.from({ length: n }, (_, i) => ({ ImageID: id(i), Rotation: null, image: jpeg }));
}

/** Wraps a source to count fetched rows per ImageID and how far ahead the consumer pulls. */
function counting(inner: ImageSource) {
  const fetched = new Map<string, number>();
  let pulled = 0;
  const source: ImageSource = {
    async *fetch(ids) {
      for await (const row of inner.fetch(ids)) {
        fetched.set(row.ImageID, (fetched.get(row.ImageID) ?? 0) + 1);
        pulled++;
        yield row;
      }
    },
  };
  return { source, fetched, pulled: () => pulled };
}

describe('extractChips', () => {
  it('boxes or images of the wrong kind are BAD_OPTIONS, not TypeErrors', async () => {
    const drain = async (it: AsyncIterable<unknown>) => {
      for await (const _ of it);
    };
    await expect(drain(extractChips(undefined as never, memoryImageSource([])))).rejects.toMatchObject({ code: 'BAD_OPTIONS' });
    await expect(drain(extractChips([], 'images.parquet' as never))).rejects.toMatchObject({ code: 'BAD_OPTIONS' });
  });

  it('groups boxes by image, fetches each image once, numbers boxes stably', async () => {
    const c = counting(memoryImageSource(await images(6)));
    // interleaved boxes: image 1 has boxes at positions 0, 2, 5
    const boxes = [box(1), box(2), box(1, 0.2), box(3), box(4), box(1, 0.3), box(5), box(0)];
    const out = await collect(extractChips(boxes, c.source));
    expect(out.every((r) => r.kind === 'chip')).toBe(true);
    expect([...c.fetched.values()].every((n) => n === 1)).toBe(true);
    const ids = out.map((r) => r.chip_id).sort();
    expect(ids).toEqual([`${id(0)}_0`, `${id(1)}_0`, `${id(1)}_1`, `${id(1)}_2`, `${id(2)}_0`, `${id(3)}_0`, `${id(4)}_0`, `${id(5)}_0`].sort());
    const one = out.filter((r) => r.kind === 'chip' && r.box.ImageID === id(1));
    expect(one.map((r) => (r.kind === 'chip' ? r.box.XMin : 0))).toEqual([0.1, 0.2, 0.3]);
    // the same boxes in small batches give the same ids
    const small = await collect(extractChips(boxes, memoryImageSource(await images(6)), { batchBoxes: 2 }));
    expect(small.map((r) => r.chip_id).sort()).toEqual(ids);
  });

  it('keeps several images in flight', async () => {
    const c = counting(memoryImageSource(await images(12)));
    const it = extractChips(Array.from({ length: 12 }, (_, i) => box(i)), c.source, { concurrency: 4 })[Symbol.asyncIterator]();
    await it.next();
    expect(c.pulled()).toBeGreaterThanOrEqual(4);
    let n = 1;
    while (!(await it.next()).done) n++;
    expect(n).toBe(12);
  });

  it('unknown and hostile ImageIDs become error records; the rest goes on', async () => {
    const boxes = [box(0), { ...box(0), ImageID: '../../x' }, { ...box(0), ImageID: null }, box(9), box(1)];
    const out = await collect(extractChips(boxes, memoryImageSource(await images(2))));
    expect(out).toHaveLength(5);
    const byCode = out.map((r) => (r.kind === 'chip' ? r.chip_id : `${r.code}:${r.chip_id}`)).sort();
    expect(byCode).toEqual([`${id(0)}_0`, `${id(1)}_0`, 'BAD_IMAGE_ID:null', 'BAD_IMAGE_ID:null', `UNKNOWN_IMAGE:${id(9)}_0`].sort());
  });

  it('writeTo: every chip file written as it is cut, same bytes, by libjpeg-turbo and by sharp; a failed write ends the stream', async () => {
    for (const libjpeg of [true, false]) {
      const out = mkdtempSync(path.join(dir, 'files-'));
      const chips = await collect(extractChips([box(0), box(1), box(1, 0.3)], memoryImageSource(await images(2)), { libjpeg, writeTo: out }));
      expect(readdirSync(path.join(out, 'chips', 'Tiger')).sort()).toEqual([`${id(0)}_0.jpg`, `${id(1)}_0.jpg`, `${id(1)}_1.jpg`]);
      for (const c of chips) expect(c.kind === 'chip' && readFileSync(path.join(out, c.chip_path)).equals(c.chip)).toBe(true);
      // a folder where a chip file should go: the write fails, and the stream with it
      mkdirSync(path.join(out, 'chips', 'Tiger', `${id(2)}_0.jpg`));
      await expect(collect(extractChips([box(2)], memoryImageSource(await images(3)), { libjpeg, writeTo: out }))).rejects.toThrow(`${id(2)}_0.jpg`);
    }
  });

  it('Node stream face', async () => {
    const stream = Readable.from([box(0), box(1)]).pipe(chipStream(memoryImageSource(await images(2))));
    const out: ChipResult[] = [];
    for await (const r of stream) out.push(r as ChipResult);
    expect(out.map((r) => r.kind)).toEqual(['chip', 'chip']);
  });

  it('images.parquet without a Rotation column works; without an image column is a coded error', async () => {
    const file = path.join(dir, 'norot.parquet');
    const rows = await images(2);
    await writeParquet(file, [{ name: 'ImageID', type: 'STRING' }, { name: 'image', type: 'BYTE_ARRAY' }], rows.map(({ ImageID, image }) => ({ ImageID, image })));
    const out = await collect(extractChips([box(0), box(1)], parquetImageSource(file)));
    expect(out.map((r) => r.kind)).toEqual(['chip', 'chip']);
    const noImage = path.join(dir, 'noimage.parquet');
    await writeParquet(noImage, [{ name: 'ImageID', type: 'STRING' }], [{ ImageID: id(0) }]);
    await expect(collect(extractChips([box(0)], parquetImageSource(noImage)))).rejects.toMatchObject({ code: 'UNKNOWN_COLUMN' });
  });

  it('from images.parquet, a corrupt page costs only the images in it', async () => {
    const rows = await images(5);
    // make each image findable in the file (bytes after the JPEG end marker are ignored by decoders)
    rows.forEach((r, i) => {
      r.image = Buffer.concat([r.image, Buffer.from(`MARK${i}`)]);
    });
    const file = path.join(dir, 'images.parquet');
    await writeParquet(file, IMAGE_COLUMNS, rows, { pageSize: 1 });
    const bytes = readFileSync(file);
    const at = bytes.indexOf('MARK2') - (rows[2].image.length - 5);
    expect(at).toBeGreaterThan(0);
    bytes.fill(0xff, at - 24, at + 8); // clobber image 2's page header and first bytes
    writeFileSync(file, bytes);
    const source = parquetImageSource(file);
    const out = await collect(extractChips([0, 1, 2, 3, 4].map((i) => box(i)), source));
    const codes = Object.fromEntries(out.map((r) => [r.chip_id, r.kind === 'chip' ? 'chip' : r.code]));
    expect(codes).toEqual({ [`${id(0)}_0`]: 'chip', [`${id(1)}_0`]: 'chip', [`${id(2)}_0`]: 'BAD_IMAGE', [`${id(3)}_0`]: 'chip', [`${id(4)}_0`]: 'chip' });
    expect(source.stats.matchedRows).toBe(4);
  });
});
