import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHIPS_FILE, chipsColumns, parquetImageSource, type BoxRow } from '@oidstream/chip-extract';
import { BOX_COLUMNS, selectBoxes } from '@oidstream/oid-join';
import { packImages, readParquetRows } from '@oidstream/parquet-io';
import { processPart, runInParts, type CheckpointStore, type StageCheckpoint, type StageOutputsSpec } from './index.js';

const data = path.resolve(import.meta.dirname, '../../../test-data/oid');
const work = mkdtempSync(path.join(tmpdir(), 'part-processor-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

let images: string;
let parts: BoxRow[][];
beforeAll(async () => {
  images = path.join(work, 'images.parquet');
  await packImages({ imagesDir: path.join(data, 'images'), out: images });
  const boxes: BoxRow[] = [];
  for await (const b of selectBoxes({ data })) boxes.push({ ...b });
  // three parts of whole images (chip ids number an image's boxes within one part)
  const ids = [...new Set(boxes.map((b) => b.ImageID as string))];
  const third = Math.ceil(ids.length / 3);
  parts = [0, 1, 2].map((i) => boxes.filter((b) => ids.indexOf(b.ImageID as string) >= i * third && ids.indexOf(b.ImageID as string) < (i + 1) * third));
  expect(parts.every((p) => p.length > 0)).toBe(true);
});

const spec = (out: string): StageOutputsSpec => ({
  out,
  chipFiles: true,
  chips: { file: path.join(out, CHIPS_FILE), columns: chipsColumns(BOX_COLUMNS) },
  errors: { file: path.join(out, 'errors.jsonl'), stages: ['chips'] },
});

class MemoryStore implements CheckpointStore {
  saved = new Map<string, StageCheckpoint>();
  checkpoint(stage: string, key?: string) {
    const c = this.saved.get(stage);
    return c && c.key === key ? (JSON.parse(JSON.stringify(c)) as StageCheckpoint) : undefined;
  }
  async saveCheckpoint(stage: string, c: StageCheckpoint | undefined) {
    if (c) this.saved.set(stage, JSON.parse(JSON.stringify(c)) as StageCheckpoint);
    else this.saved.delete(stage);
  }
}

async function chipRows(out: string): Promise<string[]> {
  const rows: string[] = [];
  for await (const r of readParquetRows(path.join(out, CHIPS_FILE))) rows.push(`${r.chip_id} ${r.chip_path} ${Buffer.from(r.chip as Uint8Array).toString('base64')}`);
  return rows;
}

describe('runInParts + processPart', () => {
  it('a stage that dies in its third part resumes from the checkpoint: the outputs equal an uninterrupted pass', async () => {
    const whole = path.join(work, 'whole');
    const source = parquetImageSource(images);
    const all = await runInParts({ parts, stage: 'chips', outputs: spec(whole), process: (p, o) => processPart({ boxes: p, images: source }, o) });
    expect(all.chips).toBe(parts.flat().length);

    const out = path.join(work, 'resumed');
    const store = new MemoryStore();
    let calls = 0;
    const dying = runInParts({
      parts, stage: 'chips', ledger: store, outputs: spec(out),
      process: async (p, o) => {
        if (++calls === 3) {
          await processPart({ boxes: p.slice(0, 1), images: source }, o); // half a part written, then the "crash"
          throw new Error('killed');
        }
        return processPart({ boxes: p, images: source }, o);
      },
    });
    await expect(dying).rejects.toThrow('killed');
    expect(store.checkpoint('chips')?.partsDone).toBe(2);
    expect(existsSync(path.join(out, CHIPS_FILE))).toBe(false); // nothing under the final name yet
    // chip files a killed writer left half-written go on resume; a live writer's stay
    const folder = path.join(out, 'chips', readdirSync(path.join(out, 'chips'))[0]);
    const deadPid = spawnSync(process.execPath, ['-e', '']).pid;
    writeFileSync(path.join(folder, `x_0.jpg.tmp-${deadPid}-0a1b`), 'half');
    writeFileSync(path.join(folder, `x_1.jpg.tmp-${process.pid}-0a1b`), 'in flight');

    const resumed = await runInParts({ parts, stage: 'chips', ledger: store, outputs: spec(out), process: (p, o) => processPart({ boxes: p, images: source }, o) });
    expect(resumed.partsReused).toBe(2);
    expect(resumed.chips).toBe(all.chips);
    expect(await chipRows(out)).toEqual(await chipRows(whole));
    expect(readdirSync(out).filter((f) => f.includes('.tmp-'))).toEqual([]);
    expect(readdirSync(folder).filter((f) => f.includes('.tmp-'))).toEqual([`x_1.jpg.tmp-${process.pid}-0a1b`]);
  });

  it('a checkpoint whose temp files are gone starts the stage over, with a note', async () => {
    const out = path.join(work, 'gone');
    const store = new MemoryStore();
    await store.saveCheckpoint('chips', { partsDone: 1, partMs: [1], counts: {}, outputs: { errors: { tempPath: path.join(out, 'x.tmp-1'), bytes: 0, count: 0 } } });
    const notes: string[] = [];
    const source = parquetImageSource(images);
    const r = await runInParts({ parts, stage: 'chips', ledger: store, outputs: spec(out), onWarning: (m) => notes.push(m), process: (p, o) => processPart({ boxes: p, images: source }, o) });
    expect(r.partsReused).toBe(0);
    expect(r.chips).toBe(parts.flat().length);
    expect(notes.join('\n')).toMatch(/cannot resume .* starting the stage over/);
  });

  it('a process that died while committing (before or after the renames) is finished on rerun without redoing a part', async () => {
    const whole = path.join(work, 'whole');
    const source = parquetImageSource(images);
    const run = (out: string, store: CheckpointStore, process = (p: BoxRow[], o: Parameters<typeof processPart>[1]) => processPart({ boxes: p, images: source }, o)) =>
      runInParts({ parts, stage: 'chips', ledger: store, outputs: spec(out), process });
    const untouched = () => {
      throw new Error('no part should run again');
    };

    // died after the last checkpoint, before any rename: the temp files are finished
    const before = path.join(work, 'commit-before');
    const store = new MemoryStore();
    const dying: CheckpointStore = {
      checkpoint: (s, k) => store.checkpoint(s, k),
      saveCheckpoint: async (s, c) => {
        await store.saveCheckpoint(s, c);
        if (c?.partsDone === parts.length) throw new Error('killed');
      },
    };
    await expect(run(before, dying)).rejects.toThrow('killed');
    expect(existsSync(path.join(before, CHIPS_FILE))).toBe(false);
    const r1 = await run(before, store, untouched);
    expect(r1.partsReused).toBe(parts.length);
    expect(r1.chips).toBe(parts.flat().length);
    expect(await chipRows(before)).toEqual(await chipRows(whole));

    // died after the renames, before the caller recorded the stage (the checkpoint is still there): the files are kept
    const r2 = await run(before, store, untouched);
    expect(r2.partsReused).toBe(parts.length);
    expect(await chipRows(before)).toEqual(await chipRows(whole));
    expect(readdirSync(before).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });
});
