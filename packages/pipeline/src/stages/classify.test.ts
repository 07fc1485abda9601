import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { needs } from '@oidstream/test-needs';
import { parquetInfo, readParquetRows, writeParquet } from '@oidstream/parquet-io';
import { main } from '../cli.js';
import { Progress, type ProgressEvent } from '../progress.js';
import { predictionColumnSpecs } from '@oidstream/keras-models';
import { classifyStage } from './classify.js';

const shared = process.env.OIDSTREAM_SHARED ?? path.resolve(import.meta.dirname, '../../../../../shared');
const haveShared = existsSync(path.join(shared, 'models', 'mobilenet_v1_0.75_224')) && existsSync(path.join(shared, 'oid-real', 'images'));

let root: string;
beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'classify-stage-'));
});
afterAll(() => rm(root, { recursive: true, force: true }));

/** Run the CLI in-process, capturing stderr. */
async function cli(args: string[]): Promise<{ code: number; stderr: string }> {
  let stderr = '';
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  }) as typeof process.stderr.write;
  try {
    return { code: await main(['node', 'oidstream', ...args]), stderr };
  } finally {
    process.stderr.write = write;
  }
}

describe('oidstream classify: bad input is one coded line', () => {
  it.each([
    [['classify', '--chips', 'x.parquet', '--out', 'o'], 'NO_MODEL'],
    [['classify', '--chips', 'x.parquet', '--model', 'no-equals', '--out', 'o'], 'BAD_OPTION'],
    [['classify', '--chips', 'x.parquet', '--model', 'm=dir', '--backend', 'gpu', '--out', 'o'], 'BAD_OPTION'],
    [['classify', '--chips', 'x.parquet', '--model', 'm=dir', '--batch-size', '0', '--out', 'o'], 'BAD_OPTION'],
    [['classify', '--chips', 'x.parquet', '--model', 'm=dir', '--preprocessing', 'm=sepia', '--out', 'o'], 'BAD_OPTION'],
    [['classify', '--chips', 'x.parquet', '--model', 'm=dir', '--precision', 'fp16', '--out', 'o'], 'BAD_OPTION'],
    [['classify', '--chips', 'x.parquet', '--model', 'm=dir', '--preprocessing', 'other=tf', '--out', 'o'], 'BAD_OPTION'],
  ])('%j → %s', async (args, code) => {
    const r = await cli(args);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(`[${code}]`);
  });

  it('names a missing chips file and a chips file without chips', async () => {
    const r = await cli(['classify', '--chips', path.join(root, 'absent.parquet'), '--model', 'm=dir', '--out', root]);
    expect(r.code).toBe(2);
    const noChip = path.join(root, 'boxes.parquet');
    await writeParquet(noChip, [{ name: 'ImageID', type: 'STRING' }], [{ ImageID: 'a' }]);
    const r2 = await cli(['classify', '--chips', noChip, '--model', 'm=dir', '--out', root]);
    expect(r2.code).toBe(2);
    expect(r2.stderr).toMatch(/no chip_id column.*\[BAD_OPTION\]/);
    // a chip column of the wrong type fails once (not once per chip), before any model loads
    const stringChips = path.join(root, 'string-chips.parquet');
    await writeParquet(stringChips, [{ name: 'chip_id', type: 'STRING' }, { name: 'chip', type: 'STRING' }], [{ chip_id: 'a_0', chip: 'not bytes' }, { chip_id: 'b_0', chip: 'x' }]);
    const r3 = await cli(['classify', '--chips', stringChips, '--model', 'm=dir', '--out', root]);
    expect(r3.code).toBe(2);
    expect(r3.stderr.trim().split('\n')).toHaveLength(1);
    expect(r3.stderr).toMatch(/column chip is STRING, expected BYTE_ARRAY.*\[BAD_OPTION\]/);
  });
});

describe.skipIf(needs('../shared/models and ../shared/oid-real', haveShared))('classify stage on real chips with the real MobileNet (needs ../shared)', () => {
  it('writes predictions.parquet with one row per chip and the per-model columns', async () => {
    const lines = readFileSync(path.join(shared, 'oid-real', 'annotations', 'derived-annotations-human-imagelabels-boxable.csv'), 'utf8').trim().split(/\r?\n/).slice(1, 7);
    const chips = path.join(root, 'chips.parquet');
    await writeParquet(
      chips,
      [
        { name: 'ImageID', type: 'STRING' },
        { name: 'LabelName', type: 'STRING' },
        { name: 'DisplayName', type: 'STRING' },
        { name: 'chip_id', type: 'STRING' },
        { name: 'chip', type: 'BYTE_ARRAY' },
        { name: 'chip_width', type: 'INT32' },
      ],
      lines.map((l) => {
        const [ImageID, , LabelName] = l.split(',');
        return { ImageID, LabelName, DisplayName: 'cat', chip_id: `${ImageID}_0`, chip: new Uint8Array(readFileSync(path.join(shared, 'oid-real', 'images', `${ImageID}.jpg`))), chip_width: 1 };
      }),
    );
    const events: ProgressEvent[] = [];
    const out = path.join(root, 'run');
    const result = await classifyStage({
      chips,
      models: [{ name: 'mobilenet', source: path.join(shared, 'models', 'mobilenet_v1_0.75_224') }],
      out,
      backend: 'wasm',
      batchSize: 4,
      threads: 2,
      classIndex: path.join(shared, 'models', 'imagenet_class_index.json'),
      progress: new Progress((e) => events.push(e), { intervalMs: 0 }),
    });
    expect(result.rows).toBe(6);
    expect(result.models).toEqual([{ name: 'mobilenet', backend: 'wasm', preprocessing: 'tf' }]);
    expect(await readdir(out)).toEqual(['errors.jsonl', 'predictions.parquet']); // no temp files left; errors.jsonl holds the chips that could not be classified (none)
    const info = await parquetInfo(result.file);
    expect(info.columns).toEqual(predictionColumnSpecs(['mobilenet']).map((c) => c.name));
    const rows = [];
    for await (const r of readParquetRows(result.file)) rows.push(r);
    expect(rows.map((r) => r.chip_id)).toEqual(lines.map((l) => `${l.split(',')[0]}_0`));
    for (const r of rows) {
      expect(typeof r.mobilenet_score).toBe('number');
      expect(r.mobilenet_wnid).toMatch(/^n\d{8}$/);
      expect(JSON.parse(r.mobilenet_top5 as string)[0].label).toBe(r.mobilenet_label);
    }
    expect(rows.filter((r) => r.mobilenet_label === 'tiger').length).toBeGreaterThanOrEqual(3); // the first rows are the Kaggle tigers
    expect(events.at(-1)).toMatchObject({ type: 'end', stage: 'classify', done: 6, total: 6 });
  }, 120_000);

  it('writes an empty predictions.parquet for an empty chips.parquet', async () => {
    const chips = path.join(root, 'empty-chips.parquet');
    await writeParquet(chips, [{ name: 'chip_id', type: 'STRING' }, { name: 'chip', type: 'BYTE_ARRAY' }], []);
    const result = await classifyStage({
      chips,
      models: [{ name: 'm', source: path.join(shared, 'models', 'mobilenet_v1_0.75_224') }],
      out: path.join(root, 'empty-run'),
      backend: 'wasm',
      threads: 1,
      classIndex: path.join(shared, 'models', 'imagenet_class_index.json'),
    });
    expect(result.rows).toBe(0);
    expect((await parquetInfo(result.file)).columns).toContain('m_top5');
  }, 60_000);
});
