import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync, appendFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { needs } from '@oidstream/test-needs';
import { generateOid } from '@oidstream/tools';
import type { BadRow } from '@oidstream/oid-labels';
import { main } from '../cli.js';
import { findDataFiles, selectBoxes, selectStage, type SelectOptions } from './select.js';
import { compareWithDuckDb, duckDbSummary } from '../../test/select-reference.js';

const BIG_CATS = ['Cheetah', 'Jaguar (Animal)', 'Leopard', 'Lion', 'Lynx', 'Tiger'];
// Carnivore's 17 descendants in bbox_labels_600_hierarchy.json (the generator copies the real subtree).
const UNDER_CARNIVORE = [...BIG_CATS, 'Bear', 'Brown bear', 'Cat', 'Dog', 'Fox', 'Otter', 'Panda', 'Polar bear', 'Raccoon', 'Red panda', 'Teddy bear'].sort();
const sortedNames = (cs: readonly { DisplayName: string }[]): string[] => cs.map((c) => c.DisplayName).sort();

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '../../../..');
const shared = process.env.OIDSTREAM_SHARED ?? path.resolve(repoRoot, '../shared');
const realOid = path.join(shared, 'oid-real');
const work = mkdtempSync(path.join(tmpdir(), 'oidstream-select-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('select on a generated data dir (10k box rows) equals DuckDB SQL row for row', () => {
  const data = path.join(work, 'gen10k');
  beforeAll(async () => {
    const r = await generateOid({ out: data, boxRows: 10_000, jpeg: false, seed: 7 });
    expect(r.boxRows).toBeGreaterThanOrEqual(10_000);
  });

  const cases: [string, Omit<SelectOptions, 'data'> & { classes?: string; under?: string }, string[]][] = [
    ['defaults (six big cats, Confidence > 0.99)', {}, BIG_CATS],
    ['--under Carnivore, --min-confidence 0.5, all box filters, --min-box-size 0.3', {
      under: 'Carnivore', minConfidence: 0.5, excludeGroupOf: true, excludeDepiction: true, excludeOccluded: true,
      excludeTruncated: true, excludeInside: true, minBoxSize: 0.3,
    }, UNDER_CARNIVORE],
    ['--classes "Tiger,dog" --min-confidence 0 (machine labels count)', { classes: 'Tiger,dog', minConfidence: 0 }, ['Dog', 'Tiger']],
  ];
  for (const [name, opts, expectedClasses] of cases) {
    it(name, async () => {
      const out = path.join(work, `out-${name.length}`);
      const r = await selectStage({ data, out, ...opts });
      expect(r.boxes).toBeGreaterThan(0);
      const cmp = await compareWithDuckDb(data, r.boxesPath, opts);
      // the class list: ours, the reference's own resolution, and the expected names all agree
      expect(sortedNames(r.summary.classes)).toEqual(expectedClasses);
      expect(sortedNames(cmp.classes)).toEqual(expectedClasses);
      expect(cmp.schema).toEqual([
        'ImageID VARCHAR', 'Source VARCHAR', 'LabelName VARCHAR', 'Confidence DOUBLE', 'XMin DOUBLE', 'XMax DOUBLE', 'YMin DOUBLE', 'YMax DOUBLE',
        'IsOccluded INTEGER', 'IsTruncated INTEGER', 'IsGroupOf INTEGER', 'IsDepiction INTEGER', 'IsInside INTEGER', 'DisplayName VARCHAR',
      ]);
      expect(cmp.ours).toBe(r.boxes);
      expect(cmp.reference).toBe(r.boxes);
      expect(cmp.onlyOurs).toBe(0);
      expect(cmp.onlyReference).toBe(0);
      // labels-summary.json against the same counts in SQL.
      const ref = await duckDbSummary(data, r.summary.classes.map((c) => c.LabelName), opts.minConfidence ?? 0.99);
      for (const c of r.summary.classes) {
        expect({ mid: c.LabelName, pos: c.positiveLabels, neg: c.negativeLabels, images: c.selectedImages }).toEqual({ mid: c.LabelName, ...ref.get(c.LabelName) });
      }
      expect(r.summary.totals.selectedImages).toBe(ref.get('*')!.images);
      expect(r.summary.classes.reduce((s, c) => s + c.boxes, 0)).toBe(r.boxes);
    });
  }

  it('gives the same boxes, in the same order, without the byte-level pre-filter', async () => {
    const fast = [];
    for await (const b of selectBoxes({ data, under: 'Mammal', minConfidence: 0.6 })) fast.push(b);
    const slow = [];
    const selection = selectBoxes({ data, under: 'Mammal', minConfidence: 0.6, prefilter: false });
    for await (const b of selection) slow.push(b);
    expect(fast.length).toBeGreaterThan(1000);
    expect(slow).toEqual(fast);
    expect(selection.summary!.scan.boxes.parsedLines).toBe(selection.summary!.scan.boxes.lines);
  });

  it('the pre-filter sends only a fraction of the lines to csv-parse', async () => {
    const s = selectBoxes({ data, classes: 'Lynx' });
    for await (const _ of s);
    const scan = s.summary!.scan;
    expect(scan.boxes.lines).toBeGreaterThan(10_000);
    expect(scan.boxes.parsedLines).toBeLessThan(scan.boxes.lines / 10);
    expect(scan.labels.parsedLines).toBeLessThan(scan.labels.lines / 10);
  });
});

describe('select: bad rows, options and data-dir errors', () => {
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

  it('reports bad rows with file and line and still writes the good ones', async () => {
    const bad: BadRow[] = [];
    const r = await selectStage({ data, out: path.join(work, 'bad-out'), onBadRow: (b) => bad.push(b) });
    expect(bad).toHaveLength(2);
    expect(bad[0].file).toMatch(/train-annotations-human-imagelabels-boxable\.csv$/);
    expect(bad[1].file).toMatch(/train-annotations-bbox\.csv$/);
    const lineCount = (f: string): number => readFileSync(f, 'utf8').trimEnd().split('\n').length;
    expect(bad[0].line).toBe(lineCount(bad[0].file));
    expect(bad[1].line).toBe(lineCount(bad[1].file));
    expect(r.summary.badRows.count).toBe(2);
    expect(r.boxes).toBeGreaterThan(0);
  });

  it('rejects bad options and bad data dirs with coded errors', async () => {
    const out = path.join(work, 'x');
    await expect(selectStage({ data, out, minConfidence: 2 })).rejects.toMatchObject({ code: 'BAD_OPTION' });
    await expect(selectStage({ data, out, minBoxSize: -1 })).rejects.toMatchObject({ code: 'BAD_OPTION' });
    await expect(selectStage({ data, out, classes: 'Tigr' })).rejects.toMatchObject({ code: 'UNKNOWN_CLASS' });
    await expect(selectStage({ data: path.join(work, 'nope'), out })).rejects.toMatchObject({ code: 'DATA_DIR_INVALID' });
    const empty = path.join(work, 'empty');
    mkdirSync(path.join(empty, 'metadata'), { recursive: true });
    mkdirSync(path.join(empty, 'annotations'), { recursive: true });
    await expect(findDataFiles(empty)).rejects.toMatchObject({ code: 'DATA_DIR_INVALID' });
    expect(existsSync(path.join(out, 'boxes.parquet'))).toBe(false);
  });

  it('the CLI writes both files, and exits 2 with one line on an unknown class', async () => {
    const out = path.join(work, 'cli-out');
    const err: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((s: string) => (err.push(String(s)), true)) as typeof process.stderr.write;
    try {
      expect(await main(['node', 'oidstream', 'select', '--data', data, '--out', out, '--classes', 'Tiger,Lion', '--exclude-group-of', '--min-box-size', '0.05'])).toBe(0);
      expect(await main(['node', 'oidstream', 'select', '--data', data, '--out', out, '--classes', 'Tigr'])).toBe(2);
      expect(await main(['node', 'oidstream', 'select', '--data', data, '--out', out, '--min-confidence', 'high'])).toBe(2);
    } finally {
      process.stderr.write = write;
    }
    expect(existsSync(path.join(out, 'boxes.parquet'))).toBe(true);
    const summary = JSON.parse(readFileSync(path.join(out, 'labels-summary.json'), 'utf8'));
    expect(summary.classes.map((c: { DisplayName: string }) => c.DisplayName)).toEqual(['Tiger', 'Lion']);
    expect(summary.filters).toMatchObject({ excludeGroupOf: true, minBoxSize: 0.05 });
    expect(err.join('')).toContain('did you mean "Tiger"');
    expect(err.join('')).toContain('[BAD_OPTION]');
  });
});

describe.skipIf(needs('../shared/oid-real', existsSync(realOid)))('select on the real OID metadata and derived big-cat annotations (needs ../shared/oid-real)', () => {
  it('selects the 19 real boxes (Lion 9, Leopard 10) and matches DuckDB', async () => {
    // The real annotations are named derived-*.csv; the data-dir layout wants <split>-annotations-*.csv.
    const data = path.join(work, 'real');
    mkdirSync(path.join(data, 'annotations'), { recursive: true });
    symlinkSync(path.join(realOid, 'metadata'), path.join(data, 'metadata'));
    symlinkSync(path.join(realOid, 'images'), path.join(data, 'images'));
    symlinkSync(path.join(realOid, 'annotations/derived-annotations-bbox.csv'), path.join(data, 'annotations/test-annotations-bbox.csv'));
    symlinkSync(
      path.join(realOid, 'annotations/derived-annotations-human-imagelabels-boxable.csv'),
      path.join(data, 'annotations/test-annotations-human-imagelabels-boxable.csv'),
    );
    const r = await selectStage({ data, out: path.join(work, 'real-out') });
    expect(r.boxes).toBe(19);
    expect(r.images).toBe(35);
    const byName = Object.fromEntries(r.summary.classes.map((c) => [c.DisplayName, [c.positiveLabels, c.boxes]]));
    expect(byName).toEqual({ Tiger: [4, 0], Lion: [12, 9], Cheetah: [4, 0], Leopard: [11, 10], 'Jaguar (Animal)': [3, 0], Lynx: [1, 0] });
    const cmp = await compareWithDuckDb(data, r.boxesPath, {});
    expect(cmp).toMatchObject({ ours: 19, reference: 19, onlyOurs: 0, onlyReference: 0 });
    expect(sortedNames(cmp.classes)).toEqual(BIG_CATS);
    // Nothing under Carnivore but the big cats has labels here: same 19 boxes, 17 classes on the real hierarchy.
    const under = await selectStage({ data, out: path.join(work, 'real-out2'), under: 'Carnivore' });
    expect(sortedNames(under.summary.classes)).toEqual(UNDER_CARNIVORE);
    const cmpUnder = await compareWithDuckDb(data, under.boxesPath, { under: 'Carnivore' });
    expect(sortedNames(cmpUnder.classes)).toEqual(UNDER_CARNIVORE);
    expect(cmpUnder).toMatchObject({ ours: 19, reference: 19, onlyOurs: 0, onlyReference: 0 });
    expect(under.boxes).toBe(19);
  });

  it('real OID v4 box rows (body parts, pandas float artefacts) select exactly as DuckDB does', async () => {
    const data = path.join(work, 'real-v4');
    mkdirSync(path.join(data, 'annotations'), { recursive: true });
    symlinkSync(path.join(realOid, 'metadata'), path.join(data, 'metadata'));
    symlinkSync(path.join(realOid, 'annotations/real-oid-rows/test-annotations-bbox.v4-bodyparts-subset.csv'), path.join(data, 'annotations/test-annotations-bbox.csv'));
    const ids = readFileSync(path.join(realOid, 'annotations/real-oid-rows/test-annotations-bbox.v4-bodyparts-subset.csv'), 'utf8').split('\n').slice(1, 400).map((l) => l.split(',')[0]).filter(Boolean);
    writeFileSync(path.join(data, 'annotations/test-annotations-human-imagelabels-boxable.csv'), 'ImageID,Source,LabelName,Confidence\n' + [...new Set(ids)].map((id) => `${id},verification,/m/0dzf4,1\n`).join(''));
    const bad: BadRow[] = [];
    const r = await selectStage({ data, out: path.join(work, 'real-v4-out'), classes: 'Human arm', onBadRow: (b) => bad.push(b) });
    expect(bad).toEqual([]);
    const cmp = await compareWithDuckDb(data, r.boxesPath, { classes: 'Human arm' });
    expect(cmp.classes).toEqual([{ LabelName: '/m/0dzf4', DisplayName: 'Human arm' }]);
    expect(r.boxes).toBeGreaterThan(0);
    expect(cmp).toMatchObject({ ours: r.boxes, reference: r.boxes, onlyOurs: 0, onlyReference: 0 });
  });
});
