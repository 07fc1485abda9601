import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Ledger } from './ledger.js';

let out: string;
beforeEach(async () => {
  out = await mkdtemp(path.join(os.tmpdir(), 'oidstream-ledger-'));
});
afterEach(async () => {
  await rm(out, { recursive: true, force: true });
});

describe('ledger', () => {
  it('reuses a finished stage only while its outputs are intact', async () => {
    const file = path.join(out, '.oidstream/ledger.json');
    const ledger = await Ledger.open(out, file, { data: 'd', minConfidence: 0.99 }, false);
    await writeFile(path.join(out, 'boxes.parquet'), 'x'.repeat(100));
    await ledger.markStage('select', ['boxes.parquet'], 12, { boxes: 3 });
    const again = await Ledger.open(out, file, { minConfidence: 0.99, data: 'd' }, false);
    expect(again.resumed).toBe(true);
    expect((await again.finished('select'))?.counts).toEqual({ boxes: 3 });
    await writeFile(path.join(out, 'boxes.parquet'), 'x'.repeat(50)); // changed behind our back
    expect(await again.finished('select')).toBeUndefined();
  });

  it('refuses other arguments with a coded error unless forced', async () => {
    const file = path.join(out, '.oidstream/ledger.json');
    const first = await Ledger.open(out, file, { data: 'd', minConfidence: 0.99 }, false);
    // nothing written yet: other arguments just start over (a mistyped flag is not a conflict)
    const retyped = await Ledger.open(out, file, { data: 'd', minConfidence: 0.98 }, false);
    expect(retyped.resumed).toBe(false);
    expect(first.resumed).toBe(false);
    await Ledger.open(out, file, { data: 'd', minConfidence: 0.99 }, false);
    await writeFile(path.join(out, 'boxes.parquet'), 'x');
    const again = await Ledger.open(out, file, { data: 'd', minConfidence: 0.99 }, false);
    await again.markStage('select', ['boxes.parquet'], 1);
    await expect(Ledger.open(out, file, { data: 'd', minConfidence: 0.5 }, false)).rejects.toMatchObject({
      code: 'RUN_ARGS_MISMATCH',
      message: expect.stringContaining('minConfidence: 0.99 → 0.5'),
    });
    const fresh = await Ledger.open(out, file, { data: 'd', minConfidence: 0.5 }, true);
    expect(fresh.resumed).toBe(false);
  });

  it('keeps a partitioned stage\'s checkpoint (same key only) until the stage is recorded', async () => {
    const file = path.join(out, '.oidstream/ledger.json');
    const ledger = await Ledger.open(out, file, {}, false);
    await ledger.saveCheckpoint('chips', { key: 'm1', partsDone: 2, partMs: [5, 6], counts: { chips: 2 }, outputs: { any: 1 } });
    const again = await Ledger.open(out, file, {}, false);
    expect(again.checkpoint('chips', 'm1')).toMatchObject({ partsDone: 2, partMs: [5, 6] });
    expect(again.checkpoint('chips', 'm2')).toBeUndefined();
    await writeFile(path.join(out, 'chips.parquet'), 'abcdef');
    await again.markStage('chips', ['chips.parquet'], 9);
    expect(again.checkpoint('chips', 'm1')).toBeUndefined();
    expect(await again.finished('chips')).toBeDefined();
  });

  it('reuses a keyed stage only with the same key (classify: the same models)', async () => {
    const ledger = await Ledger.open(out, path.join(out, '.oidstream/ledger.json'), {}, false);
    await writeFile(path.join(out, 'predictions.parquet'), 'abc');
    await ledger.markStage('classify', ['predictions.parquet'], 3, {}, undefined, '["mobilenet"]');
    expect(await ledger.finished('classify', '["mobilenet"]')).toBeDefined();
    expect(await ledger.finished('classify', '["densenet"]')).toBeUndefined();
    expect(await ledger.finished('classify')).toBeUndefined();
  });
});
