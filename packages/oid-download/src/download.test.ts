import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { readParquetRows } from '@oidstream/parquet-io';
import { downloadImages } from './download.js';
import { readErrorLog } from './error-log.js';
import { partsDirOf } from './part-store.js';
import type { DownloadProgressEvent } from './progress.js';
import { md5Base64 } from './verify-image.js';
import { startFaultServer } from '../test/fault-server.js';
import type { Fault, FaultServer } from '../test/fault-server.js';
import { makeJpegs } from '../test/make-images.js';

const FAST = { timeoutMs: 400, retries: 3, backoffMs: 5, maxBackoffMs: 20, concurrency: 4, progressIntervalMs: 20 };

async function readOut(file: string): Promise<Map<string, Record<string, unknown>>> {
  const rows = new Map<string, Record<string, unknown>>();
  for await (const row of readParquetRows(file)) {
    const id = String(row.ImageID);
    expect(rows.has(id), `ImageID ${id} stored twice`).toBe(false);
    rows.set(id, row);
  }
  return rows;
}

const same = (a: unknown, b: Uint8Array) => Buffer.from(a as Uint8Array).equals(Buffer.from(b));

describe('downloadImages from the S3 layout with injected faults', () => {
  let server: FaultServer;
  let tmp: string;
  let images: Map<string, Uint8Array>;
  let ids: string[];
  const split = (i: number) => (i % 3 === 0 ? 'validation' : 'train');
  const plan: Record<number, Fault[]> = {
    0: ['http503', 'ok'],
    1: ['reset', 'ok'],
    2: ['truncate', 'ok'],
    3: ['slow', 'ok'],
    4: ['stall', 'ok'],
    5: ['http429', 'http500', 'ok'],
    6: ['http404'],
    7: ['http403'],
    8: ['not-image'],
    9: ['not-image', 'ok'],
  };

  beforeAll(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'oid-download-'));
    images = await makeJpegs(40, { width: 64, height: 48, noise: true });
    ids = [...images.keys()].sort();
    const files = new Map(ids.map((id, i) => [`/${split(i)}/${id}.jpg`, images.get(id)!]));
    const faults = new Map(Object.entries(plan).map(([i, f]) => [`/${split(Number(i))}/${ids[Number(i)]}.jpg`, f]));
    server = await startFaultServer({ files, faults, slowMs: 2_000 });
  });
  afterAll(async () => {
    await server?.close();
    await rm(tmp, { recursive: true, force: true });
  });

  it('stores every retriable image intact exactly once and reports 404/403/bad bytes', async () => {
    const out = path.join(tmp, 'run1', 'images.parquet');
    const events: DownloadProgressEvent[] = [];
    const summary = await downloadImages({
      ...FAST,
      images: ids.map((ImageID, i) => ({ ImageID, Subset: split(i) })),
      out,
      baseUrl: server.baseUrl,
      partRows: 7,
      onProgress: (e) => events.push(e),
    });
    const rows = await readOut(out);
    const lost = new Set([ids[6], ids[7], ids[8]]);
    expect([...rows.keys()].sort()).toEqual(ids.filter((id) => !lost.has(id)));
    for (const [id, row] of rows) {
      expect(same(row.image, images.get(id)!), `bytes of ${id}`).toBe(true);
      expect(row.Subset).toBe(split(ids.indexOf(id)));
    }
    const errors = readErrorLog(summary.errorsFile);
    expect(Object.fromEntries(errors.map((e) => [e.ImageID, [e.reason, e.permanent]]))).toEqual({
      [ids[6]]: ['MISSING', true],
      [ids[7]]: ['MISSING', true],
      [ids[8]]: ['NOT_IMAGE', false],
    });
    expect(errors.find((e) => e.ImageID === ids[6])).toMatchObject({ status: 404, attempts: 1 });
    expect(server.hits.get(`/${split(6)}/${ids[6]}.jpg`)).toBe(1); // no retry on 404
    expect(summary).toMatchObject({ selected: 40, fetched: 37, failed: 3, missing: 2, rows: 37, kept: 0 });
    expect(summary.retries).toBeGreaterThanOrEqual(8);
    expect(existsSync(partsDirOf(out))).toBe(false);
    const last = events.at(-1)!;
    expect(last).toMatchObject({ phase: 'done', done: 37, failed: 3, missing: 2, total: 40 });
    expect(last.bytes).toBe([...rows.values()].reduce((n, r) => n + (r.image as Uint8Array).byteLength, 0));
    expect(events.some((e) => e.phase === 'fetch')).toBe(true);
  });

  it('a rerun over a finished download fetches nothing and keeps known-missing images skipped', async () => {
    const out = path.join(tmp, 'run1', 'images.parquet');
    const before = [...server.hits.values()].reduce((a, b) => a + b, 0);
    const summary = await downloadImages({ ...FAST, images: ids.map((ImageID, i) => ({ ImageID, Subset: split(i) })), out, baseUrl: server.baseUrl });
    const after = [...server.hits.values()].reduce((a, b) => a + b, 0);
    // Only the transient failure (not-image, not permanent) is tried again.
    expect(after - before).toBe(4);
    expect(summary).toMatchObject({ kept: 37, skippedMissing: 2, fetched: 0, failed: 1, rows: 37 });
    expect(readErrorLog(summary.errorsFile).map((e) => e.ImageID).sort()).toEqual([ids[6], ids[7], ids[8]].sort());
  });

  it('--retry-missing asks for known-missing images again', async () => {
    const out = path.join(tmp, 'run1', 'images.parquet');
    const hits404 = server.hits.get(`/${split(6)}/${ids[6]}.jpg`)!;
    await downloadImages({ ...FAST, images: ids.map((ImageID, i) => ({ ImageID, Subset: split(i) })), out, baseUrl: server.baseUrl, retryMissing: true });
    expect(server.hits.get(`/${split(6)}/${ids[6]}.jpg`)).toBe(hits404 + 1);
  });

  it('adds newly selected images to an existing file without duplicating the old ones', async () => {
    const out = path.join(tmp, 'grow', 'images.parquet');
    const refs = ids.map((ImageID, i) => ({ ImageID, Subset: split(i) })).slice(10);
    await downloadImages({ ...FAST, images: refs.slice(0, 15), out, baseUrl: server.baseUrl });
    const summary = await downloadImages({ ...FAST, images: refs, out, baseUrl: server.baseUrl });
    expect(summary).toMatchObject({ kept: 15, fetched: 15, rows: 30 });
    expect([...(await readOut(out)).keys()].sort()).toEqual(ids.slice(10));
  });

  it('finds the split in the data dir annotations when the caller does not know it', async () => {
    const data = path.join(tmp, 'data');
    await rm(data, { recursive: true, force: true });
    const { mkdir } = await import('node:fs/promises');
    await mkdir(path.join(data, 'annotations'), { recursive: true });
    const lines = (s: string) =>
      'ImageID,Source,LabelName,Confidence\n' + ids.map((id, i) => (split(i) === s ? `${id},verification,/m/07dm6,1\n` : '')).join('');
    await writeFile(path.join(data, 'annotations', 'train-annotations-human-imagelabels-boxable.csv'), lines('train'));
    await writeFile(path.join(data, 'annotations', 'validation-annotations-human-imagelabels-boxable.csv'), lines('validation'));
    const out = path.join(tmp, 'bysplit', 'images.parquet');
    const summary = await downloadImages({ ...FAST, images: ids.slice(10, 20).map((ImageID) => ({ ImageID })).concat([{ ImageID: 'ffffffffffffffff' }]), data, out, baseUrl: server.baseUrl });
    expect(summary).toMatchObject({ fetched: 10, failed: 0, selected: 11 });
    const rows = await readOut(out);
    expect(rows.get(ids[12])!.Subset).toBe('validation');
    expect(readErrorLog(summary.errorsFile)).toMatchObject([{ ImageID: 'ffffffffffffffff', reason: 'NO_SUBSET', permanent: true }]);
  });

  it('writes an empty but valid file for an empty selection', async () => {
    const out = path.join(tmp, 'empty', 'images.parquet');
    const summary = await downloadImages({ images: [], out, baseUrl: server.baseUrl });
    expect(summary).toMatchObject({ selected: 0, fetched: 0, rows: 0, errors: 0 });
    expect((await readOut(out)).size).toBe(0);
  });

  it('fails with NOTHING_STORED, counting the reasons, when not one selected image could be stored', async () => {
    const out = path.join(tmp, 'nothing', 'images.parquet');
    const gone = ['0000000000000001', '0000000000000002'].map((ImageID) => ({ ImageID, Subset: 'train' }));
    const run = downloadImages({ ...FAST, images: [...gone, { ImageID: 'ffffffffffffffff' }], out, baseUrl: server.baseUrl });
    await expect(run).rejects.toMatchObject({ code: 'NOTHING_STORED', message: expect.stringMatching(/none of the 3 selected images.*2 MISSING, 1 NO_SUBSET/) });
    expect(readErrorLog(path.join(tmp, 'nothing', 'download-errors.jsonl')).map((e) => e.reason).sort()).toEqual(['MISSING', 'MISSING', 'NO_SUBSET']);
    expect(existsSync(`${out}.lock`)).toBe(false);
  });

  it('lets one download write an output at a time: a second one is refused at once with the holder named', async () => {
    const out = path.join(tmp, 'locked', 'images.parquet');
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    async function* later() {
      await gate;
      yield { ImageID: ids[20], Subset: split(20) };
    }
    const first = downloadImages({ ...FAST, images: later(), out, baseUrl: server.baseUrl });
    await vi.waitFor(() => expect(existsSync(`${out}.lock`)).toBe(true));
    const started = Date.now();
    await expect(downloadImages({ ...FAST, images: [], out, baseUrl: server.baseUrl })).rejects.toMatchObject({
      code: 'LOCKED',
      message: expect.stringContaining(`download (pid ${process.pid} on ${os.hostname()}`),
    });
    expect(Date.now() - started).toBeLessThan(1000);
    open();
    expect(await first).toMatchObject({ fetched: 1 });
    expect(existsSync(`${out}.lock`)).toBe(false);
  });

  it('gives up with UNREACHABLE when nothing can connect, keeping the failures on record', async () => {
    const out = path.join(tmp, 'unreachable', 'images.parquet');
    const run = downloadImages({ ...FAST, retries: 0, unreachableAfter: 5, images: ids.map((ImageID) => ({ ImageID, Subset: 'train' })), out, baseUrl: 'http://127.0.0.1:1' });
    await expect(run).rejects.toMatchObject({ code: 'UNREACHABLE' });
    expect(readErrorLog(path.join(tmp, 'unreachable', 'download-errors.jsonl')).length).toBeGreaterThanOrEqual(5);
  });

  it('rejects bad options with coded errors', async () => {
    const base = { images: [], out: path.join(tmp, 'x', 'images.parquet'), baseUrl: server.baseUrl };
    await expect(downloadImages({ ...base, concurrency: 0 })).rejects.toMatchObject({ code: 'BAD_OPTION' });
    await expect(downloadImages({ ...base, source: 'ftp' })).rejects.toMatchObject({ code: 'BAD_SOURCE' });
    await expect(downloadImages({ ...base, baseUrl: 'not a url' })).rejects.toMatchObject({ code: 'BAD_OPTION' });
    await expect(downloadImages({ ...base, images: [{ ImageID: 'a' }], source: 'original' })).rejects.toMatchObject({ code: 'NO_URL' });
  });
});

describe('downloadImages from OriginalURL with MD5 checks and attribution', () => {
  let server: FaultServer;
  let tmp: string;

  beforeAll(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'oid-download-orig-'));
  });
  afterAll(async () => {
    await server?.close();
    await rm(tmp, { recursive: true, force: true });
  });

  it('verifies OriginalMD5, retries a wrong body, reports one that stays wrong, carries Rotation/License/Author', async () => {
    const images = await makeJpegs(6, { width: 40, height: 30, seed: 'orig' });
    const ids = [...images.keys()].sort();
    const other = (await makeJpegs(1, { seed: 'other' })).values().next().value!;
    const files = new Map(ids.map((id) => [`/photos/${id}_o.jpg`, images.get(id)!]));
    server = await startFaultServer({
      files,
      otherImage: other,
      faults: new Map<string, Fault[]>([
        [`/photos/${ids[0]}_o.jpg`, ['wrong-bytes', 'ok']],
        [`/photos/${ids[1]}_o.jpg`, ['wrong-bytes']],
        [`/photos/${ids[2]}_o.jpg`, ['http404']],
      ]),
    });
    const data = path.join(tmp, 'data');
    const { mkdir } = await import('node:fs/promises');
    await mkdir(path.join(data, 'annotations'), { recursive: true });
    const header = 'ImageID,Subset,OriginalURL,OriginalLandingURL,License,AuthorProfileURL,Author,Title,OriginalSize,OriginalMD5,Thumbnail300KURL,Rotation';
    const rows = ids.slice(0, 5).map((id, i) =>
      [
        id,
        'validation',
        `${server.baseUrl}/photos/${id}_o.jpg`,
        'https://www.flickr.com/photos/x/1',
        'https://creativecommons.org/licenses/by/2.0/',
        'https://www.flickr.com/people/x/',
        i === 3 ? '"Smith, ""Jo"""' : `Author ${i}`,
        i === 4 ? '"a title\nover two lines"' : 'Big cat',
        String(images.get(id)!.byteLength),
        md5Base64(images.get(id)!),
        `${server.baseUrl}/thumbs/${id}.jpg`,
        i === 1 ? '' : String(i * 90),
      ].join(','),
    );
    await writeFile(path.join(data, 'annotations', 'validation-images-with-rotation.csv'), [header, ...rows].join('\r\n') + '\r\n');
    const out = path.join(tmp, 'out', 'images.parquet');
    const summary = await downloadImages({ ...FAST, images: ids.map((ImageID) => ({ ImageID })), data, out, source: 'original' });
    const got = await readOut(out);
    expect([...got.keys()].sort()).toEqual([ids[0], ids[3], ids[4]].sort());
    expect(same(got.get(ids[0])!.image, images.get(ids[0])!)).toBe(true);
    expect(got.get(ids[3])).toMatchObject({
      Subset: 'validation',
      Rotation: 270,
      Author: 'Smith, "Jo"',
      License: 'https://creativecommons.org/licenses/by/2.0/',
      OriginalURL: `${server.baseUrl}/photos/${ids[3]}_o.jpg`,
    });
    const errors = Object.fromEntries(readErrorLog(summary.errorsFile).map((e) => [e.ImageID, e.reason]));
    expect(errors).toEqual({ [ids[1]]: 'BAD_MD5', [ids[2]]: 'MISSING', [ids[5]]: 'NO_URL' });
    expect(JSON.parse((await readFile(summary.errorsFile, 'utf8')).split('\n')[0])).toHaveProperty('stage', 'download');
  });
});
