import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findOidFiles } from '@oidstream/oid-join';
import { planDownloads } from './plan.js';
import type { ImageMeta } from './plan.js';
import { fetchImages, fetchImagesStream } from './fetch-images.js';
import { readImageMeta } from './read-image-meta.js';
import { startFaultServer } from '../test/fault-server.js';
import type { FaultServer } from '../test/fault-server.js';
import { makeJpegs } from '../test/make-images.js';

describe('planDownloads', () => {
  const meta = new Map<string, ImageMeta>([
    ['aaaa', { ImageID: 'aaaa', Subset: 'train', OriginalURL: 'https://farm1.example/a_o.jpg', Thumbnail300KURL: 'https://c1.example/a_z.jpg', OriginalMD5: 'bWQ1', License: 'CC BY 2.0', Author: 'A', Rotation: 90 }],
    ['bbbb', { ImageID: 'bbbb', Subset: 'test', OriginalURL: null, Thumbnail300KURL: 'not a url', OriginalMD5: null, License: null, Author: null, Rotation: null }],
  ]);
  const refs = [{ ImageID: 'aaaa' }, { ImageID: 'bbbb' }, { ImageID: 'cccc', Subset: 'validation' }, { ImageID: 'dddd' }, { ImageID: 'aaaa' }];

  it('builds S3 paths from the split, once per ImageID, and reports images without a split', () => {
    const { tasks, unplanned } = planDownloads(refs, meta, { source: 's3', baseUrl: 'http://h/b' });
    expect(tasks.map((t) => t.url)).toEqual(['http://h/b/train/aaaa.jpg', 'http://h/b/test/bbbb.jpg', 'http://h/b/validation/cccc.jpg']);
    expect(tasks[0]).toMatchObject({ md5: null, rotation: 90, license: 'CC BY 2.0', author: 'A', originalUrl: 'https://farm1.example/a_o.jpg' });
    expect(unplanned).toEqual([{ imageId: 'dddd', reason: 'NO_SUBSET', detail: expect.any(String) }]);
  });

  it('uses OriginalURL with its MD5, or the thumbnail URL; a missing/bad URL is reported', () => {
    const original = planDownloads(refs, meta, { source: 'original', baseUrl: 'http://h' });
    expect(original.tasks).toMatchObject([{ imageId: 'aaaa', url: 'https://farm1.example/a_o.jpg', md5: 'bWQ1' }]);
    expect(original.unplanned.map((u) => [u.imageId, u.reason])).toEqual([['bbbb', 'NO_URL'], ['cccc', 'NO_URL'], ['dddd', 'NO_URL']]);
    const thumb = planDownloads(refs, meta, { source: 'thumbnail', baseUrl: 'http://h' });
    expect(thumb.tasks).toMatchObject([{ imageId: 'aaaa', url: 'https://c1.example/a_z.jpg', md5: null }]);
    expect(thumb.unplanned.map((u) => u.imageId)).toEqual(['bbbb', 'cccc', 'dddd']);
  });
});

describe('fetchImages', () => {
  let server: FaultServer;
  let paths: string[];
  beforeAll(async () => {
    const images = await makeJpegs(30, { seed: 'pool' });
    paths = [...images.keys()].map((id) => `/train/${id}.jpg`);
    server = await startFaultServer({ files: new Map([...images].map(([id, b]) => [`/train/${id}.jpg`, b])), delayMs: 15 });
  });
  afterAll(async () => server?.close());
  const opts = { concurrency: 3, timeoutMs: 2000, maxBytes: 1 << 20, retries: 1, backoffMs: 1, maxBackoffMs: 2 };

  it('never has more than `concurrency` requests open and yields every task once', async () => {
    const seen: string[] = [];
    for await (const { task, result } of fetchImages(paths.map((p) => ({ url: server.baseUrl + p, p })), opts)) {
      expect(result.ok).toBe(true);
      seen.push(task.p);
    }
    expect(seen.sort()).toEqual([...paths].sort());
    expect(server.peakActive()).toBe(3);
  });

  it('works as an object-mode Readable and stops cleanly when the consumer quits early', async () => {
    const stream = fetchImagesStream(paths.slice(0, 10).map((p) => ({ url: server.baseUrl + p })), opts);
    expect(stream).toBeInstanceOf(Readable);
    let n = 0;
    for await (const item of stream) {
      expect(item.result.ok).toBe(true);
      if (++n === 4) break;
    }
    expect(n).toBe(4);
  });
});

describe('readImageMeta', () => {
  it('finds OID-named rotation CSVs (v5/v6 "-boxable-" train name, BOM), reads only wanted rows, maps by header', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'oid-meta-'));
    try {
      await mkdir(path.join(dir, 'annotations'));
      // Columns in another order than OID's, no Subset column (the file name gives the split), a BOM.
      await writeFile(
        path.join(dir, 'annotations', 'train-images-boxable-with-rotation.csv'),
        '\uFEFFImageID,Rotation,OriginalURL,Author,OriginalMD5,License,Thumbnail300KURL\n' +
          'aaaa,90.0,https://o/a.jpg,"Doe, J.",bWQ1,CC,https://t/a.jpg\n' +
          'dddd,0,https://o/d.jpg,"say ""hi""\non two lines",,CC,\n' +
          'bbbb,,https://o/b.jpg,B,,CC,\n' +
          'cccc,180,https://o/c.jpg,C,,CC,\n',
      );
      await writeFile(path.join(dir, 'annotations', 'train-annotations-bbox.csv'), 'ImageID\n');
      const files = (await findOidFiles(dir)).rotation;
      expect(files.map((f) => path.basename(f))).toEqual(['train-images-boxable-with-rotation.csv']);
      const meta = await readImageMeta(files, new Set(['aaaa', 'bbbb', 'dddd', 'zzzz']));
      expect([...meta.keys()]).toEqual(['aaaa', 'dddd', 'bbbb']);
      expect(meta.get('aaaa')).toEqual({
        ImageID: 'aaaa', Subset: 'train', OriginalURL: 'https://o/a.jpg', Thumbnail300KURL: 'https://t/a.jpg',
        OriginalMD5: 'bWQ1', License: 'CC', Author: 'Doe, J.', Rotation: 90,
      });
      expect(meta.get('dddd')).toMatchObject({ Author: 'say "hi"\non two lines', Rotation: 0 });
      expect(meta.get('bbbb')).toMatchObject({ Rotation: null, OriginalMD5: null, Thumbnail300KURL: null });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
