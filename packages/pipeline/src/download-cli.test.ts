import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { needs } from '@oidstream/test-needs';
import { readParquetRows } from '@oidstream/parquet-io';
import { main } from './cli.js';
import { readErrorLog } from '@oidstream/oid-download';
import { selectBoxes } from './stages/select.js';
import { startFaultServer } from '../../oid-download/test/fault-server.js';
import type { Fault, FaultServer } from '../../oid-download/test/fault-server.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const testData = path.join(repoRoot, 'test-data', 'oid');

/** Runs the CLI in-process, capturing what it writes. */
async function runCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const out = process.stdout.write.bind(process.stdout);
  const err = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((chunk: string | Uint8Array) => ((stdout += String(chunk)), true)) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => ((stderr += String(chunk)), true)) as typeof process.stderr.write;
  try {
    const code = await main(['node', 'oidstream', ...args]);
    return { code, stdout, stderr };
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
  }
}

describe.skipIf(needs('test-data/oid', existsSync(testData)))('oidstream download on the generated data set (needs test-data/oid)', () => {
  let server: FaultServer;
  let tmp: string;
  let selected: string[];
  const subsetOf = new Map<string, string>();

  beforeAll(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'oid-download-cli-'));
    // The split of each image, straight from the data set's CSVs (ImageID and Subset are its first two columns).
    for (const split of ['train', 'validation', 'test']) {
      const lines = readFileSync(path.join(testData, 'annotations', `${split}-images-with-rotation.csv`), 'utf8').split('\n').slice(1);
      for (const line of lines) if (line) subsetOf.set(line.split(',')[0], line.split(',')[1]);
    }
    const ids = new Set<string>();
    for await (const box of selectBoxes({ data: testData })) ids.add(box.ImageID);
    selected = [...ids].sort();
    const files = new Map<string, Uint8Array>();
    for (const [id, split] of subsetOf) {
      const file = path.join(testData, 'images', `${id}.jpg`);
      if (existsSync(file)) files.set(`/${split}/${id}.jpg`, readFileSync(file));
    }
    const at = (i: number) => `/${subsetOf.get(selected[i])}/${selected[i]}.jpg`;
    const faults = new Map<string, Fault[]>([
      [at(0), ['http503', 'ok']],
      [at(1), ['reset', 'ok']],
      [at(2), ['truncate', 'ok']],
      [at(3), ['http404']],
    ]);
    server = await startFaultServer({ files, faults });
  });
  afterAll(async () => {
    await server?.close();
    await rm(tmp, { recursive: true, force: true });
  });

  it('selects, fetches from the S3 layout through faults, and writes images.parquet + download-errors.jsonl', async () => {
    expect(selected.length).toBeGreaterThan(4);
    const out = path.join(tmp, 'run', 'images.parquet');
    const r = await runCli(['download', '--data', testData, '--out', out, '--base-url', server.baseUrl, '--backoff', '5', '--timeout', '3000', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const rows = new Map<string, Record<string, unknown>>();
    for await (const row of readParquetRows(out)) rows.set(String(row.ImageID), row);
    expect([...rows.keys()].sort()).toEqual(selected.filter((id) => id !== selected[3]));
    for (const [id, row] of rows) {
      expect(Buffer.from(row.image as Uint8Array).equals(readFileSync(path.join(testData, 'images', `${id}.jpg`)))).toBe(true);
      expect(row.Subset).toBe(subsetOf.get(id));
      expect(row.License).toBe('https://creativecommons.org/licenses/by/2.0/');
      expect(typeof row.Author).toBe('string');
      expect(String(row.OriginalURL)).toMatch(/^https:\/\/farm\d+\.staticflickr\.com\//);
    }
    expect(readErrorLog(path.join(tmp, 'run', 'download-errors.jsonl'))).toMatchObject([{ ImageID: selected[3], reason: 'MISSING', status: 404 }]);
    const events = r.stderr.trim().split('\n').map((l) => JSON.parse(l));
    expect(events.at(-1)).toMatchObject({ event: 'progress', stage: 'download', phase: 'done', done: selected.length - 1, failed: 1, missing: 1 });
    expect(JSON.parse(r.stdout)).toMatchObject({ fetched: selected.length - 1, errors: 1, rows: selected.length - 1 });
  });

  it('takes the images of a select output with --boxes', async () => {
    const sel = path.join(tmp, 'sel');
    expect((await runCli(['select', '--data', testData, '--out', sel])).code).toBe(0);
    const out = path.join(tmp, 'from-boxes', 'images.parquet');
    const r = await runCli(['download', '--boxes', path.join(sel, 'boxes.parquet'), '--data', testData, '--out', out, '--base-url', server.baseUrl, '--backoff', '5']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`${selected.length - 1} images`);
    expect(r.stderr).toContain(`oidstream: 1 of ${selected.length} selected images could not be stored (1 MISSING)`);
  });

  it('exits non-zero with one line when not one image could be stored', async () => {
    const ids = path.join(tmp, 'gone.txt');
    writeFileSync(ids, 'train/0000000000000001\ntrain/0000000000000002\n');
    const out = path.join(tmp, 'gone', 'images.parquet');
    const r = await runCli(['download', '--ids', ids, '--out', out, '--base-url', server.baseUrl, '--backoff', '5']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n').filter((l) => l.startsWith('oidstream:'))).toEqual([
      `oidstream: none of the 2 selected images could be stored (2 MISSING); reasons per image in ${path.join(tmp, 'gone', 'download-errors.jsonl')} [NOTHING_STORED]`,
    ]);
  });

  it('refuses a second download into the same output while the first holds its lock', async () => {
    const out = path.join(tmp, 'held', 'images.parquet');
    mkdirSync(path.dirname(out), { recursive: true });
    // A live holder: this very process, as another download would be.
    writeFileSync(`${out}.lock`, JSON.stringify({ pid: process.pid, host: os.hostname(), started: new Date().toISOString(), command: 'download' }));
    const r = await runCli(['download', '--ids', path.join(tmp, 'gone.txt'), '--out', out, '--base-url', server.baseUrl]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toMatch(new RegExp(`^oidstream: .*held is in use by download \\(pid ${process.pid} on .*\\[LOCKED\\]$`));
    rmSync(`${out}.lock`);
  });

  it('prints a coded one-line error for bad flags', async () => {
    const bad = await runCli(['download', '--data', testData, '--out', path.join(tmp, 'x.parquet'), '--concurrency', '0']);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim()).toBe('oidstream: --concurrency must be an integer ≥ 1, got "0" [BAD_OPTION]');
    const src = await runCli(['download', '--data', testData, '--out', path.join(tmp, 'x.parquet'), '--source', 'ftp']);
    expect(src.stderr.trim()).toMatch(/\[BAD_SOURCE\]$/);
    const none = await runCli(['download', '--out', path.join(tmp, 'x.parquet')]);
    expect(none.stderr.trim()).toMatch(/say which images to fetch.*\[BAD_OPTION\]$/);
  });
});
