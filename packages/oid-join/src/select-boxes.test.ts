import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateOid } from '@oidstream/tools';
import type { BadRow } from '@oidstream/oid-labels';
import type { SelectedBox } from './boxes-schema.js';
import { findOidFiles } from './find-oid-files.js';
import { selectBoxes, selectBoxesStream } from './select-boxes.js';
import type { SelectBoxesOptions } from './select-options.js';
import { realDataDir, realOid, realSplitDataDir } from '../test/real-oid.js';
import { compareWithDuckDb, duckDbSummary } from '../test/select-reference.js';

const work = mkdtempSync(path.join(tmpdir(), 'oid-join-select-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

async function collect(o: SelectBoxesOptions): Promise<{ boxes: SelectedBox[]; selection: ReturnType<typeof selectBoxes> }> {
  const selection = selectBoxes(o);
  const boxes: SelectedBox[] = [];
  for await (const b of selection) boxes.push(b);
  return { boxes, selection };
}

describe('selectBoxes on a generated data dir (10k box rows) equals DuckDB SQL row for row', () => {
  const data = path.join(work, 'gen10k');
  beforeAll(async () => {
    const r = await generateOid({ out: data, boxRows: 10_000, jpeg: false, seed: 7 });
    expect(r.boxRows).toBeGreaterThanOrEqual(10_000);
  });

  const BIG_CATS = ['Cheetah', 'Jaguar (Animal)', 'Leopard', 'Lion', 'Lynx', 'Tiger'];
  // Carnivore's 17 descendants in the real hierarchy (the generator copies its subtree), Teddy bear included
  const CARNIVORES = [...BIG_CATS, 'Bear', 'Brown bear', 'Cat', 'Dog', 'Fox', 'Otter', 'Panda', 'Polar bear', 'Raccoon', 'Red panda', 'Teddy bear'].sort();
  const cases: [string, Omit<SelectBoxesOptions, 'data'>, string[]][] = [
    ['defaults (six big cats, human labels, Confidence > 0.99)', {}, BIG_CATS],
    ['--under Carnivore, --min-confidence 0.5, all box filters, --min-box-size 0.3', {
      under: 'Carnivore', minConfidence: 0.5, excludeGroupOf: true, excludeDepiction: true, excludeOccluded: true,
      excludeTruncated: true, excludeInside: true, minBoxSize: 0.3,
    }, CARNIVORES],
    ['--classes "Tiger,dog" --min-confidence 0 --labels all (machine labels count)', { classes: 'Tiger,dog', minConfidence: 0, labels: 'all' }, ['Dog', 'Tiger']],
  ];
  for (const [name, opts, expectedClasses] of cases) {
    it(name, async () => {
      const { boxes, selection } = await collect({ data, ...opts });
      const summary = selection.summary!;
      expect(boxes.length).toBeGreaterThan(0);
      const cmp = await compareWithDuckDb(data, boxes, { data, ...opts });
      // both sides' classes against the expected list: a class our resolution drops fails here and in the row compare
      expect(summary.classes.map((c) => c.DisplayName).sort()).toEqual(expectedClasses);
      expect(cmp.classes.map((c) => c.DisplayName).sort()).toEqual(expectedClasses);
      expect(cmp).toMatchObject({ ours: boxes.length, reference: boxes.length, onlyOurs: 0, onlyReference: 0 });
      // The labels summary against the same counts in SQL.
      const ref = await duckDbSummary(data, opts.minConfidence ?? 0.99, opts);
      for (const c of summary.classes) {
        expect({ mid: c.LabelName, pos: c.positiveLabels, neg: c.negativeLabels, images: c.selectedImages }).toEqual({ mid: c.LabelName, ...ref.get(c.LabelName) });
      }
      expect(summary.totals.selectedImages).toBe(ref.get('*')!.images);
      expect(summary.classes.reduce((s, c) => s + c.boxes, 0)).toBe(boxes.length);
      expect(summary.limit).toBeNull();
    });
  }

  it('gives the same boxes, in the same order, without the byte-level pre-filter', async () => {
    const fast = await collect({ data, under: 'Mammal', minConfidence: 0.6 });
    const slow = await collect({ data, under: 'Mammal', minConfidence: 0.6, prefilter: false });
    expect(fast.boxes.length).toBeGreaterThan(1000);
    expect(slow.boxes).toEqual(fast.boxes);
    expect(slow.selection.summary!.scan.boxes.parsedLines).toBe(slow.selection.summary!.scan.boxes.lines);
  });

  it('gives the same boxes, order, summary and line numbers with byte ranges pre-filtered on 2 worker threads', async () => {
    const one = await collect({ data, under: 'Mammal', minConfidence: 0.6, threads: 1 });
    const two = await collect({ data, under: 'Mammal', minConfidence: 0.6, threads: 2, rangeBytes: 64 << 10 });
    expect(two.boxes).toEqual(one.boxes);
    const { scan: s1, ...rest1 } = one.selection.summary!;
    const { scan: s2, ...rest2 } = two.selection.summary!;
    expect(rest2).toEqual(rest1);
    expect({ ...s2.labels, parsedLines: 0 }).toEqual({ ...s1.labels, parsedLines: 0 });
    expect({ ...s2.boxes, parsedLines: 0 }).toEqual({ ...s1.boxes, parsedLines: 0 });
  });

  it('gives the same boxes, order and summary with the box files pre-filtered on a worker thread during the label pass', async () => {
    const after = await collect({ data, under: 'Carnivore', minConfidence: 0.5, workers: false });
    const during = await collect({ data, under: 'Carnivore', minConfidence: 0.5, workers: true });
    expect(during.boxes).toEqual(after.boxes);
    const { scan: s1, ...rest1 } = after.selection.summary!;
    const { scan: s2, ...rest2 } = during.selection.summary!;
    expect(rest2).toEqual(rest1);
    expect({ ...s2.boxes, parsedLines: 0 }).toEqual({ ...s1.boxes, parsedLines: 0 });
    expect(s2.boxes.parsedLines).toBeGreaterThanOrEqual(s2.boxes.rows); // lines of the chosen classes, any image
  });

  it('the pre-filter sends only a fraction of the lines to the parser', async () => {
    const { selection } = await collect({ data, classes: 'Lynx' });
    const scan = selection.summary!.scan;
    expect(scan.boxes.lines).toBeGreaterThan(10_000);
    expect(scan.boxes.parsedLines).toBeLessThan(scan.boxes.lines / 10);
    expect(scan.labels.parsedLines).toBeLessThan(scan.labels.lines / 10);
  });

  it('takes explicit files instead of a data dir, and has a Node stream face that emits the summary', async () => {
    const f = await findOidFiles(data);
    const fromDir = await collect({ data, classes: 'Tiger' });
    const fromFiles = await collect({ files: { metadata: f.metadata, humanLabels: f.humanLabels, boxes: f.boxes }, classes: 'Tiger' });
    expect(fromFiles.boxes).toEqual(fromDir.boxes);
    const stream = selectBoxesStream({ data, classes: 'Tiger' });
    let summary: unknown;
    stream.on('summary', (s) => (summary = s));
    const viaStream: SelectedBox[] = [];
    for await (const b of stream) viaStream.push(b as SelectedBox);
    expect(viaStream).toEqual(fromDir.boxes);
    expect(summary).toMatchObject({ totals: { boxes: fromDir.boxes.length } });
  });
});

describe('selectBoxes: bad rows, options and data-dir errors', () => {
  const data = path.join(work, 'gen-bad');
  beforeAll(async () => {
    await generateOid({ out: data, images: 30, jpeg: false, seed: 3 });
    // A bad image label and a bad box for a big cat, on selected images: reported with file and line, scan goes on.
    const labels = path.join(data, 'annotations/train-annotations-human-imagelabels-boxable.csv');
    const boxes = path.join(data, 'annotations/train-annotations-bbox.csv');
    const firstTiger = readFileSync(boxes, 'utf8').split('\n').find((l) => l.includes('/m/07dm6'))!.split(',')[0];
    appendFileSync(labels, `${firstTiger},verification,/m/07dm6,maybe\n`);
    appendFileSync(boxes, `${firstTiger},xclick,/m/07dm6,1,0.1,oops,0.2,0.3,0,0,0,0,0,-1,-1,-1,-1,-1,-1,-1,-1\n`);
  });

  it.each([false, true])('reports bad rows with file and line and still yields the good ones (worker threads: %s)', async (workers) => {
    const bad: BadRow[] = [];
    const { boxes, selection } = await collect({ data, workers, onBadRow: (b) => bad.push(b) });
    expect(bad).toHaveLength(2);
    expect(bad[0].file).toMatch(/train-annotations-human-imagelabels-boxable\.csv$/);
    expect(bad[1].file).toMatch(/train-annotations-bbox\.csv$/);
    const lineCount = (f: string): number => readFileSync(f, 'utf8').trimEnd().split('\n').length;
    expect(bad[0].line).toBe(lineCount(bad[0].file));
    expect(bad[1].line).toBe(lineCount(bad[1].file));
    expect(selection.summary!.badRows.count).toBe(2);
    expect(boxes.length).toBeGreaterThan(0);
  });

  it('drops a box row that repeats one already selected, and counts it', async () => {
    const dup = path.join(work, 'gen-dup');
    await generateOid({ out: dup, images: 30, jpeg: false, seed: 3 });
    const before = await collect({ data: dup });
    expect(before.selection.summary!.totals.duplicateBoxes).toBe(0);
    const boxes = path.join(dup, 'annotations/train-annotations-bbox.csv');
    const tigerLine = readFileSync(boxes, 'utf8').split('\n').find((l) => l.includes('/m/07dm6'))!;
    appendFileSync(boxes, `${tigerLine}\n${tigerLine}\n`);
    const after = await collect({ data: dup });
    expect(after.boxes.length).toBe(before.boxes.length);
    expect(after.selection.summary!.totals.duplicateBoxes).toBe(2);
  });

  it('rejects bad options (before any read) and bad data dirs with coded errors', async () => {
    expect(() => selectBoxes({ data, minConfidence: 2 })).toThrow(expect.objectContaining({ code: 'BAD_OPTIONS' }));
    expect(() => selectBoxes({ data, minBoxSize: -1 })).toThrow(expect.objectContaining({ code: 'BAD_OPTIONS' }));
    expect(() => selectBoxes({ data, maxPerClass: 0 })).toThrow(expect.objectContaining({ code: 'BAD_OPTIONS' }));
    expect(() => selectBoxes({ data, seed: 1.5 })).toThrow(expect.objectContaining({ code: 'BAD_OPTIONS' }));
    expect(() => selectBoxes({ data, labels: 'robot' as 'all' })).toThrow(expect.objectContaining({ code: 'BAD_OPTIONS' }));
    expect(() => selectBoxes({})).toThrow(expect.objectContaining({ code: 'BAD_OPTIONS' }));
    await expect(collect({ data, classes: 'Tigr' })).rejects.toMatchObject({ code: 'UNKNOWN_CLASS' });
    await expect(collect({ data: path.join(work, 'nope') })).rejects.toMatchObject({ code: 'DATA_DIR_INVALID' });
    const empty = path.join(work, 'empty');
    mkdirSync(path.join(empty, 'metadata'), { recursive: true });
    mkdirSync(path.join(empty, 'annotations'), { recursive: true });
    await expect(collect({ data: empty })).rejects.toMatchObject({ code: 'DATA_DIR_INVALID' });
    await expect(findOidFiles(empty, { requireImages: true })).rejects.toMatchObject({ code: 'DATA_DIR_INVALID' });
    const selection = selectBoxes({ data, classes: 'Tiger' });
    for await (const _ of selection);
    expect(() => selection[Symbol.asyncIterator]()).toThrow(expect.objectContaining({ code: 'BAD_OPTIONS' }));
  });
});

describe.skipIf(!existsSync(realOid))('selectBoxes on the real OID metadata and derived big-cat annotations (needs ../shared/oid-real)', () => {
  it('selects the 19 real boxes (Lion 9, Leopard 10) and matches DuckDB', async () => {
    const data = realDataDir(path.join(work, 'real'), {
      'test-annotations-bbox.csv': path.join(realOid, 'annotations/derived-annotations-bbox.csv'),
      'test-annotations-human-imagelabels-boxable.csv': path.join(realOid, 'annotations/derived-annotations-human-imagelabels-boxable.csv'),
    });
    const { boxes, selection } = await collect({ data });
    expect(boxes).toHaveLength(19);
    expect(selection.summary!.totals.selectedImages).toBe(35);
    const byName = Object.fromEntries(selection.summary!.classes.map((c) => [c.DisplayName, [c.positiveLabels, c.boxes]]));
    expect(byName).toEqual({ Tiger: [4, 0], Lion: [12, 9], Cheetah: [4, 0], Leopard: [11, 10], 'Jaguar (Animal)': [3, 0], Lynx: [1, 0] });
    const cmp = await compareWithDuckDb(data, boxes, { data });
    expect(cmp).toMatchObject({ ours: 19, reference: 19, onlyOurs: 0, onlyReference: 0 });
    // Nothing under Carnivore but the big cats has labels here: same 19 boxes.
    const under = await collect({ data, under: 'Carnivore' });
    expect(under.selection.summary!.classes).toHaveLength(17);
    expect(under.boxes).toHaveLength(19);
  });

  it('gives the same boxes, summary, bad rows and ImageID order with the files read on worker threads (human and machine labels)', async () => {
    const data = realSplitDataDir(path.join(work, 'real-workers'));
    // Lines the workers hand over whole: a bad Confidence, an empty ImageID, a "1" written otherwise, CRLF.
    const labels = path.join(data, 'annotations/train-annotations-human-imagelabels-boxable.csv');
    const [id, source, mid] = readFileSync(labels, 'utf8').split('\n')[1].split(',');
    appendFileSync(labels, `${id},${source},${mid},maybe\n,${source},${mid},1\n${id},${source},${mid},1.0\r\n${id},${source},/m/07dm6,0\n`);
    for (const opts of [{}, { labels: 'all' as const, minConfidence: 0.2 }, { maxPerClass: 3, seed: 5 }]) {
      const run = async (workers: boolean) => {
        const bad: BadRow[] = [];
        const r = await collect({ data, ...opts, workers, onBadRow: (b) => bad.push(b) });
        return { ...r, bad };
      };
      const here = await run(false);
      const pooled = await run(true);
      expect(pooled.boxes).toEqual(here.boxes);
      expect(pooled.bad).toEqual(here.bad);
      expect(here.bad.length).toBeGreaterThanOrEqual(2);
      expect([...pooled.selection.imageIds!]).toEqual([...here.selection.imageIds!]);
      const { scan: s1, ...rest1 } = here.selection.summary!;
      const { scan: s2, ...rest2 } = pooled.selection.summary!;
      expect(rest2).toEqual(rest1);
      expect({ ...s2.labels, parsedLines: 0 }).toEqual({ ...s1.labels, parsedLines: 0 });
      expect({ ...s2.boxes, parsedLines: 0 }).toEqual({ ...s1.boxes, parsedLines: 0 });
    }
  });

  it('real OID v4 box rows (body parts, pandas float artefacts) select exactly as DuckDB does', async () => {
    const v4 = path.join(realOid, 'annotations/real-oid-rows/test-annotations-bbox.v4-bodyparts-subset.csv');
    const ids = readFileSync(v4, 'utf8').split('\n').slice(1, 400).map((l) => l.split(',')[0]).filter(Boolean);
    const data = realDataDir(path.join(work, 'real-v4'), {
      'test-annotations-bbox.csv': v4,
      'test-annotations-human-imagelabels-boxable.csv': 'ImageID,Source,LabelName,Confidence\n' + [...new Set(ids)].map((id) => `${id},verification,/m/0dzf4,1\n`).join(''),
    });
    const bad: BadRow[] = [];
    const { boxes } = await collect({ data, classes: 'Human arm', onBadRow: (b) => bad.push(b) });
    expect(bad).toEqual([]);
    const cmp = await compareWithDuckDb(data, boxes, { data, classes: 'Human arm' });
    expect(boxes.length).toBeGreaterThan(0);
    expect(cmp).toMatchObject({ ours: boxes.length, reference: boxes.length, onlyOurs: 0, onlyReference: 0 });
  });
});
