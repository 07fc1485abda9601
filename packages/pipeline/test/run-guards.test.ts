import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateOid } from '@oidstream/tools';
import { acquireOutputLock, parquetInfo, readParquetRows } from '@oidstream/parquet-io';
import { runPipeline, type RunOptions } from '../src/run.js';

let tmp: string;
let data: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'oidstream-guards-'));
  data = path.join(tmp, 'data');
  await generateOid({ out: data, images: 40, seed: 11 });
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

const quiet: Pick<RunOptions, 'progress' | 'probeNetwork'> = { progress: () => {}, probeNetwork: false };

describe('oidstream run knows its inputs', () => {
  it('a rerun after an annotation file changed recomputes select and what follows, and says so', async () => {
    const out = path.join(tmp, 'inputs');
    const first = await runPipeline({ data, out, ...quiet, onWarning: () => {} });
    const before = (await parquetInfo(path.join(out, 'boxes.parquet'))).rows;
    // drop the box rows of one selected image from the box file it is in
    const boxes = JSON.parse(readFileSync(first.runJson, 'utf8')).counts.boxes as number;
    expect(before).toBe(boxes);
    const ids: string[] = [];
    for await (const r of readParquetRows(path.join(out, 'boxes.parquet'), { columns: ['ImageID'] })) ids.push(String(r.ImageID));
    const id = ids[0];
    const selectedOfId = ids.filter((x) => x === id).length;
    let dropped = 0;
    for (const split of ['train', 'validation', 'test']) {
      const f = path.join(data, 'annotations', `${split}-annotations-bbox.csv`);
      const lines = readFileSync(f, 'utf8').split('\n');
      const kept = lines.filter((l) => !l.startsWith(id));
      dropped += lines.length - kept.length;
      writeFileSync(f, kept.join('\n'));
    }
    expect(dropped).toBeGreaterThan(0);
    const notes: string[] = [];
    const second = await runPipeline({ data, out, ...quiet, onWarning: (m) => notes.push(m) });
    expect(notes.some((n) => /select: its input files changed/.test(n))).toBe(true);
    const status = Object.fromEntries(JSON.parse(readFileSync(second.runJson, 'utf8')).stages.map((s: { name: string; status: string }) => [s.name, s.status]));
    expect(status).toMatchObject({ classes: 'reused', select: 'done', chips: 'done' });
    expect((await parquetInfo(path.join(out, 'boxes.parquet'))).rows).toBe(before - selectedOfId);
    expect((await parquetInfo(path.join(out, 'chips.parquet'))).rows).toBeLessThan(before);
  }, 300_000);
});

describe('one run per output dir', () => {
  it('a second run on a locked --out refuses at once with a one-line coded error naming the holder', async () => {
    const out = path.join(tmp, 'locked');
    const lock = await acquireOutputLock(path.join(out, '.oidstream.lock'), { command: 'oidstream run' });
    try {
      const t0 = performance.now();
      const err = await runPipeline({ data, out, ...quiet, onWarning: () => {} }).catch((e: unknown) => e as Error & { code?: string });
      expect(performance.now() - t0).toBeLessThan(5_000);
      expect((err as { code?: string }).code).toMatch(/LOCK/);
      expect((err as Error).message).toContain(`pid ${process.pid}`);
      expect((err as Error).message).not.toContain('\n');
    } finally {
      await lock.release();
    }
  });

  it('an --out that cannot be written is OUT_NOT_WRITABLE, not an ENOENT mkdir', async () => {
    const file = path.join(tmp, 'a-file');
    writeFileSync(file, 'x');
    await expect(runPipeline({ data, out: path.join(file, 'out'), ...quiet })).rejects.toMatchObject({ code: 'OUT_NOT_WRITABLE' });
  });
});
