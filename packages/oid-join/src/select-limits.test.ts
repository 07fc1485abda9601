import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateOid } from '@oidstream/tools';
import type { SelectedBox } from './boxes-schema.js';
import { selectBoxes } from './select-boxes.js';
import type { SelectBoxesOptions } from './select-options.js';
import { MACHINE_ONLY, realOid, realSplitDataDir } from '../test/real-oid.js';
import { compareWithDuckDb, duckDbSummary } from '../test/select-reference.js';

const work = mkdtempSync(path.join(tmpdir(), 'oid-join-limits-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

async function run(o: SelectBoxesOptions) {
  const selection = selectBoxes(o);
  const boxes: SelectedBox[] = [];
  for await (const b of selection) boxes.push(b);
  return { boxes, summary: selection.summary!, ids: [...selection.imageIds!].sort() };
}

describe.skipIf(!existsSync(realOid))('issue 14 on the real OID metadata and big-cat rows in three splits (needs ../shared/oid-real)', () => {
  let data: string;
  let otherLayout: string;
  beforeAll(() => {
    data = realSplitDataDir(path.join(work, 'real-splits'));
    // Other split layout, rows in reverse order: a per-class sample must not notice.
    otherLayout = realSplitDataDir(path.join(work, 'real-other'), { layout: (i) => (i % 2 ? 'train' : 'test'), reverse: true });
  });

  it('--max-per-class 2 --seed 1 keeps at most 2 images per class, the same twice and in another layout; --seed 2 another sample', async () => {
    const all = await run({ data });
    const a = await run({ data, maxPerClass: 2, seed: 1 });
    const again = await run({ data, maxPerClass: 2, seed: 1 });
    const moved = await run({ data: otherLayout, maxPerClass: 2, seed: 1 });
    const b = await run({ data, maxPerClass: 2, seed: 2 });
    for (const c of a.summary.classes) {
      const before = all.summary.classes.find((x) => x.LabelName === c.LabelName)!;
      expect(c.selectedImages).toBe(Math.min(2, before.selectedImages));
      expect(c.limited).toBe(before.selectedImages > 2);
      // One class per image here, so no class gets images through another class's choice.
      expect(new Set(a.boxes.filter((x) => x.LabelName === c.LabelName).map((x) => x.ImageID)).size).toBeLessThanOrEqual(2);
    }
    expect(a.ids.length).toBeLessThanOrEqual(2 * 6);
    expect(a.ids.every((id) => all.ids.includes(id))).toBe(true);
    expect(again.ids).toEqual(a.ids);
    expect(again.boxes).toEqual(a.boxes);
    expect(moved.ids).toEqual(a.ids);
    expect(b.ids).not.toEqual(a.ids);
    expect(a.summary.limit).toEqual({ maxPerClass: 2, seed: 1, limitedClasses: a.summary.classes.filter((c) => c.limited).length });
    expect(a.summary.limit!.limitedClasses).toBeGreaterThan(0);
    expect(all.summary.limit).toBeNull();
  });

  it('--splits train keeps only train\'s boxes (as DuckDB over train\'s files); an unknown split lists the splits present', async () => {
    const trainIds = new Set(readFileSync(path.join(data, 'annotations/train-annotations-bbox.csv'), 'utf8').split('\n').slice(1).map((l) => l.split(',')[0]));
    const all = await run({ data });
    const train = await run({ data, splits: ['train'] });
    expect(train.boxes.length).toBeGreaterThan(0);
    expect(train.boxes.length).toBeLessThan(all.boxes.length);
    expect(train.boxes.every((b) => trainIds.has(b.ImageID))).toBe(true);
    expect(train.summary.splits).toEqual(['train']);
    expect(train.summary.files.boxes.map((f) => path.basename(f))).toEqual(['train-annotations-bbox.csv']);
    const cmp = await compareWithDuckDb(data, train.boxes, { data, splits: ['train'] });
    expect(cmp).toMatchObject({ ours: train.boxes.length, reference: train.boxes.length, onlyOurs: 0, onlyReference: 0 });
    await expect(run({ data, splits: ['train', 'dev'] })).rejects.toMatchObject({
      code: 'UNKNOWN_SPLIT', message: 'unknown split "dev": the data dir has test, train, validation',
    });
  });

  it('an image known only from a machine label at 0.995 is selected with --labels all, not with --min-confidence 0.999 or the default human labels', async () => {
    const human = await run({ data });
    const all = await run({ data, labels: 'all' });
    const strict = await run({ data, labels: 'all', minConfidence: 0.999 });
    const machine = await run({ data, labels: 'machine' });
    expect(human.ids).not.toContain(MACHINE_ONLY.ImageID);
    expect(all.ids).toContain(MACHINE_ONLY.ImageID);
    expect(all.boxes.some((b) => b.ImageID === MACHINE_ONLY.ImageID && b.DisplayName === 'Lion')).toBe(true);
    expect(strict.ids).not.toContain(MACHINE_ONLY.ImageID);
    expect(machine.ids).toEqual([MACHINE_ONLY.ImageID]); // the other machine labels are at 0.3
    expect(all.ids).toEqual([...human.ids, MACHINE_ONLY.ImageID].sort());
    // Positives and negatives per source: the human file has 34 positive rows, the machine file 1 positive, 34 below.
    const lion = all.summary.classes.find((c) => c.DisplayName === 'Lion')!;
    expect(lion.bySource.human).toEqual({ positive: 11, negative: 0, belowThreshold: 0 });
    expect(lion.bySource.machine).toEqual({ positive: 1, negative: 0, belowThreshold: 11 });
    expect(lion.positiveLabels).toBe(12);
    expect(human.summary.classes.find((c) => c.DisplayName === 'Lion')!.bySource).toEqual({ human: { positive: 11, negative: 0, belowThreshold: 0 } });
    expect(all.summary.labels).toBe('all');
  });
});

describe('splits, label sources and the per-class limit on generated data (machine label files, three splits)', () => {
  const data = path.join(work, 'gen');
  beforeAll(async () => {
    await generateOid({ out: data, boxRows: 5_000, jpeg: false, seed: 5 });
  });

  const cases: [string, Omit<SelectBoxesOptions, 'data'>][] = [
    ['--labels machine --min-confidence 0.9 --splits train,test', { labels: 'machine', minConfidence: 0.9, splits: ['train', 'test'] }],
    ['--labels all --under Carnivore --splits validation', { labels: 'all', under: 'Carnivore', splits: ['validation'] }],
  ];
  for (const [name, opts] of cases) {
    it(`${name} equals DuckDB over the same files`, async () => {
      const r = await run({ data, ...opts });
      expect(r.boxes.length).toBeGreaterThan(0);
      const mids = r.summary.classes.map((c) => c.LabelName);
      const cmp = await compareWithDuckDb(data, r.boxes, { data, ...opts });
      expect(cmp).toMatchObject({ ours: r.boxes.length, reference: r.boxes.length, onlyOurs: 0, onlyReference: 0 });
      const ref = await duckDbSummary(data, opts.minConfidence ?? 0.99, opts);
      for (const c of r.summary.classes) expect({ pos: c.positiveLabels, neg: c.negativeLabels, images: c.selectedImages }).toEqual(ref.get(c.LabelName));
    });
  }

  it('the machine labels change the selection: --labels all selects more images than human labels alone', async () => {
    const human = await run({ data, under: 'Carnivore' });
    const all = await run({ data, under: 'Carnivore', labels: 'all' });
    expect(all.ids.length).toBeGreaterThan(human.ids.length);
    expect(human.ids.every((id) => all.ids.includes(id))).toBe(true);
  });

  it('--max-per-class keeps each class\'s N smallest-ranked images of the unlimited selection', async () => {
    const all = await run({ data, under: 'Carnivore' });
    const some = await run({ data, under: 'Carnivore', maxPerClass: 3, seed: 9 });
    for (const c of some.summary.classes) expect(c.selectedImages).toBe(Math.min(3, all.summary.classes.find((x) => x.LabelName === c.LabelName)!.selectedImages));
    expect(some.ids.every((id) => all.ids.includes(id))).toBe(true);
    // Every box of a selected class on a chosen image comes along.
    const chosen = new Set(some.ids);
    expect(some.boxes).toEqual(all.boxes.filter((b) => chosen.has(b.ImageID)));
  });
});
