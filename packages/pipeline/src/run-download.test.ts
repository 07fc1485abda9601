import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { needs } from '@oidstream/test-needs';
import { readParquetRows } from '@oidstream/parquet-io';
import { runPipeline } from './run.js';
import { startFaultServer, type Fault, type FaultServer } from '../../oid-download/test/fault-server.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const testData = path.join(repoRoot, 'test-data', 'oid');
const quiet = () => {};

async function chips(file: string): Promise<Map<string, Buffer>> {
  const rows = new Map<string, Buffer>();
  for await (const row of readParquetRows(file, { columns: ['chip_id', 'chip'] })) rows.set(String(row.chip_id), Buffer.from(row.chip as Uint8Array));
  return rows;
}

describe.skipIf(needs('test-data/oid', existsSync(testData)))('oidstream run --download on a data dir without images (needs test-data/oid)', () => {
  let tmp: string;
  let server: FaultServer;

  beforeAll(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'oid-run-download-'));
    // The S3 layout <split>/<ImageID>.jpg, the split read from the data set's rotation CSVs; one image fails once.
    const files = new Map<string, Uint8Array>();
    const faults = new Map<string, Fault[]>();
    for (const split of ['train', 'validation', 'test']) {
      for (const line of readFileSync(path.join(testData, 'annotations', `${split}-images-with-rotation.csv`), 'utf8').split(/\r?\n/).slice(1)) {
        const id = line.split(',')[0];
        const file = path.join(testData, 'images', `${id}.jpg`);
        if (id && existsSync(file)) files.set(`/${split}/${id}.jpg`, readFileSync(file));
      }
    }
    faults.set([...files.keys()][0], ['http503', 'ok']);
    server = await startFaultServer({ files, faults });
  });
  afterAll(async () => {
    await server?.close();
    await rm(tmp, { recursive: true, force: true });
  });

  it('fetches the selected images and cuts the same chips as a run on the local images', async () => {
    const data = path.join(tmp, 'data');
    await mkdir(data);
    for (const dir of ['metadata', 'annotations']) await symlink(path.join(testData, dir), path.join(data, dir));

    await expect(runPipeline({ data, out: path.join(tmp, 'refused'), probeNetwork: false, progress: quiet })).rejects.toMatchObject({ code: 'DATA_DIR_INVALID' });

    const fetched = await runPipeline({ data, out: path.join(tmp, 'fetched'), download: true, baseUrl: server.baseUrl, probeNetwork: false, progress: quiet });
    const local = await runPipeline({ data: testData, out: path.join(tmp, 'local'), probeNetwork: false, progress: quiet });

    const a = await chips(path.join(fetched.out, 'chips.parquet'));
    const b = await chips(path.join(local.out, 'chips.parquet'));
    expect(a.size).toBeGreaterThan(0);
    expect([...a.keys()].sort()).toEqual([...b.keys()].sort());
    for (const [id, bytes] of a) expect(bytes.equals(b.get(id)!), id).toBe(true);
    // only the selected images were asked for (each at most twice: the 503 retry)
    const selected = new Set([...a.keys()].map((id) => id.split('_')[0]));
    expect(server.hits.size).toBe(selected.size);
    expect(readdirSync(fetched.out)).toContain('report.html');
  });
});
