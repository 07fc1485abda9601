import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { needs } from '@oidstream/test-needs';
import { generateOid } from '@oidstream/tools';
import { readParquetRows } from '@oidstream/parquet-io';
import { runPipeline } from '../src/run.js';
import { composeByHand } from './compose.js';

const repoRoot = path.resolve(import.meta.dirname, '../../..');
const shared = process.env.OIDSTREAM_SHARED ?? path.resolve(repoRoot, '../shared');
const mobilenet = path.join(shared, 'models', 'mobilenet_v1_0.75_224');

let tmp: string;
let data: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'oidstream-compose-'));
  data = path.join(tmp, 'data');
  await generateOid({ out: data, images: 60, seed: 3 });
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

async function chipSet(file: string): Promise<string[]> {
  const out: string[] = [];
  for await (const r of readParquetRows(file, { columns: ['chip_id', 'DisplayName', 'chip'] })) {
    out.push(`${r.chip_id} ${r.DisplayName} ${createHash('sha1').update(r.chip as Uint8Array).digest('hex')}`);
  }
  return out.sort();
}

describe('samples/compose.ts: the streams composed by hand', () => {
  it('is at most 40 lines of code (comments and blank lines aside) and spells out no Parquet column type', async () => {
    const code = (await import('node:fs')).readFileSync(path.join(import.meta.dirname, 'compose.ts'), 'utf8');
    const lines = code.replace(/\/\*\*[\s\S]*?\*\//g, '').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('//'));
    expect(lines.length).toBeLessThanOrEqual(40);
    expect(code).not.toMatch(/'(STRING|DOUBLE|INT32|INT64|BYTE_ARRAY|BOOLEAN)'/);
  });

  it('gives the same chips as `oidstream run`, and the report', async () => {
    const hand = await composeByHand(data, path.join(tmp, 'hand'));
    expect(hand.classes).toBe(6);
    expect(hand.chips).toBeGreaterThan(0);
    const run = path.join(tmp, 'run');
    await runPipeline({ data, out: run, progress: () => {}, probeNetwork: false, onWarning: () => {} });
    expect(await chipSet(hand.chipsFile)).toEqual(await chipSet(path.join(run, 'chips.parquet')));
    expect(existsSync(hand.report.html)).toBe(true);
  }, 300_000);

  it.skipIf(needs('../shared/models', existsSync(path.join(mobilenet, 'model.json'))))('classifies every chip with a real model (needs ../shared/models)', async () => {
    const hand = await composeByHand(data, path.join(tmp, 'hand-model'), mobilenet);
    let n = 0;
    for await (const r of readParquetRows(hand.predictions!, { columns: ['mobilenet_wnid'] })) {
      expect(String(r.mobilenet_wnid)).toMatch(/^n\d{8}$/);
      n++;
    }
    expect(n).toBe(hand.chips);
  }, 300_000);
});
