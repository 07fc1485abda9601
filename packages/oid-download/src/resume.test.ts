import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readParquetRows } from '@oidstream/parquet-io';
import { downloadImages } from './download.js';
import { partsDirOf } from './part-store.js';
import { startFaultServer } from '../test/fault-server.js';
import type { FaultServer } from '../test/fault-server.js';
import { makeJpegs } from '../test/make-images.js';

const pkgDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

async function snapshot(file: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for await (const row of readParquetRows(file)) {
    const id = String(row.ImageID);
    if (out.has(id)) throw new Error(`${id} stored twice`);
    const { image, ...rest } = row;
    out.set(id, JSON.stringify(rest) + Buffer.from(image as Uint8Array).toString('base64'));
  }
  return out;
}

async function idsIn(files: string[]): Promise<Set<string>> {
  const ids = new Set<string>();
  for (const f of files) for await (const row of readParquetRows(f, { columns: ['ImageID'] })) ids.add(String(row.ImageID));
  return ids;
}

describe('download survives kill -9', () => {
  let server: FaultServer;
  let tmp: string;
  let ids: string[];

  beforeAll(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'oid-download-kill-'));
    const images = await makeJpegs(60, { width: 64, height: 48, noise: true, seed: 'kill' });
    ids = [...images.keys()].sort();
    const files = new Map(ids.map((id) => [`/train/${id}.jpg`, images.get(id)!]));
    // A few faults so the interrupted run is also mid-retry somewhere; every response is slowed down so the kill lands mid-run.
    const faults = new Map([
      [`/train/${ids[5]}.jpg`, ['http503', 'ok'] as const],
      [`/train/${ids[40]}.jpg`, ['reset', 'ok'] as const],
      [`/train/${ids[50]}.jpg`, ['http404'] as const],
    ]);
    server = await startFaultServer({ files, faults: new Map([...faults].map(([k, v]) => [k, [...v]])), delayMs: 60 });
  });
  afterAll(async () => {
    await server?.close();
    await rm(tmp, { recursive: true, force: true });
  });

  it('keeps committed parts, fetches only the rest, and ends equal to an uninterrupted download', async () => {
    const options = { baseUrl: server.baseUrl, concurrency: 3, partRows: 4, timeoutMs: 2_000, retries: 3, backoffMs: 5, maxBackoffMs: 20 };
    const images = ids.map((ImageID) => ({ ImageID, Subset: 'train' }));

    const reference = path.join(tmp, 'reference', 'images.parquet');
    await downloadImages({ ...options, images, out: reference });

    const out = path.join(tmp, 'killed', 'images.parquet');
    const parts = partsDirOf(out);
    const child = spawn(
      process.execPath,
      ['--conditions=@oidstream/source', '--import', 'tsx', path.join(pkgDir, 'test', 'download-child.ts'), JSON.stringify({ ...options, images, out })],
      { cwd: pkgDir, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<NodeJS.Signals | number | null>((resolve) => child.on('exit', (code, signal) => resolve(signal ?? code)));
    // Kill once at least 3 parts are committed (≥ 12 of 60 images), well before the end.
    const deadline = Date.now() + 30_000;
    for (;;) {
      const committed = existsSync(parts) ? readdirSync(parts).filter((n) => /^part-\d+\.parquet$/.test(n)).length : 0;
      if (committed >= 3) break;
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`child did not get far enough: ${stderr}`);
      await new Promise((r) => setTimeout(r, 5));
    }
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    expect(existsSync(out)).toBe(false);

    const committedParts = readdirSync(parts).filter((n) => /^part-\d+\.parquet$/.test(n)).map((n) => path.join(parts, n));
    const kept = await idsIn(committedParts);
    expect(kept.size).toBeGreaterThanOrEqual(12);
    expect(kept.size).toBeLessThan(59);
    const hitsBefore = new Map(server.hits);

    const summary = await downloadImages({ ...options, images, out });
    expect(summary.kept).toBe(kept.size);
    for (const id of kept) expect(server.hits.get(`/train/${id}.jpg`), `${id} fetched again`).toBe(hitsBefore.get(`/train/${id}.jpg`));
    expect(summary.fetched).toBe(59 - kept.size);
    expect(existsSync(parts)).toBe(false);
    expect(readdirSync(path.dirname(out)).filter((n) => n.includes('.tmp-'))).toEqual([]);

    const [a, b] = await Promise.all([snapshot(reference), snapshot(out)]);
    expect(b.size).toBe(59);
    expect(new Map([...b].sort())).toEqual(new Map([...a].sort()));
  });

  it('an aborted run keeps what it fetched; leftover parts next to a finished file are folded in without duplicates', async () => {
    const options = { baseUrl: server.baseUrl, concurrency: 3, partRows: 4, timeoutMs: 2_000, retries: 3, backoffMs: 5, maxBackoffMs: 20 };
    const images = ids.map((ImageID) => ({ ImageID, Subset: 'train' }));
    const out = path.join(tmp, 'aborted', 'images.parquet');
    const controller = new AbortController();
    let stored = 0;
    const run = downloadImages({
      ...options,
      images,
      out,
      signal: controller.signal,
      progressIntervalMs: 5,
      onProgress: (e) => {
        stored = e.done;
        if (e.done >= 10) controller.abort(new Error('user stop'));
      },
    });
    await expect(run).rejects.toThrow('user stop');
    expect(existsSync(out)).toBe(false);
    const parts = partsDirOf(out);
    const kept = await idsIn(readdirSync(parts).filter((n) => /^part-\d+\.parquet$/.test(n)).map((n) => path.join(parts, n)));
    // The part being filled is committed on abort: everything counted as stored is on disk.
    expect(kept.size).toBeGreaterThanOrEqual(stored);

    // Keep a copy of the parts, finish, then put them back: as if killed between renaming `out` and removing parts.
    const saved = path.join(tmp, 'saved-parts');
    await cp(parts, saved, { recursive: true });
    const first = await downloadImages({ ...options, images, out });
    expect(first.kept).toBe(kept.size);
    const done = await snapshot(out);
    await cp(saved, parts, { recursive: true });
    const hits = [...server.hits.values()].reduce((a, b) => a + b, 0);
    const again = await downloadImages({ ...options, images, out });
    expect([...server.hits.values()].reduce((a, b) => a + b, 0)).toBe(hits); // nothing fetched (the 404 is known-missing)
    expect(again).toMatchObject({ fetched: 0, rows: 59 });
    expect(existsSync(parts)).toBe(false);
    expect(await snapshot(out)).toEqual(done);
  });
});
