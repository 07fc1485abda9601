import { existsSync, mkdtempSync, rmSync, appendFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateOid } from '@oidstream/tools';
import { main } from '../cli.js';
import { selectBoxes, selectStage, type SelectOptions } from './select.js';
import { compareWithDuckDb, duckDbSummary } from '../../../oid-join/test/select-reference.js';

const work = mkdtempSync(path.join(tmpdir(), 'oidstream-select-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('select stage on a generated data dir (10k box rows)', () => {
  const data = path.join(work, 'gen10k');
  beforeAll(async () => {
    const r = await generateOid({ out: data, boxRows: 10_000, jpeg: false, seed: 7 });
    expect(r.boxRows).toBeGreaterThanOrEqual(10_000);
  });

  it('boxes.parquet has the boxes schema and DuckDB\'s rows; labels-summary.json DuckDB\'s counts', async () => {
    const opts: Omit<SelectOptions, 'data'> = { under: 'Carnivore', minConfidence: 0.5, excludeGroupOf: true, minBoxSize: 0.05 };
    const out = path.join(work, 'out-stage');
    const r = await selectStage({ data, out, ...opts });
    expect(r.boxes).toBeGreaterThan(0);
    const cmp = await compareWithDuckDb(data, r.boxesPath, { data, ...opts });
    expect(cmp.schema).toEqual([
      'ImageID VARCHAR', 'Source VARCHAR', 'LabelName VARCHAR', 'Confidence DOUBLE', 'XMin DOUBLE', 'XMax DOUBLE', 'YMin DOUBLE', 'YMax DOUBLE',
      'IsOccluded INTEGER', 'IsTruncated INTEGER', 'IsGroupOf INTEGER', 'IsDepiction INTEGER', 'IsInside INTEGER', 'DisplayName VARCHAR',
    ]);
    expect(cmp).toMatchObject({ ours: r.boxes, reference: r.boxes, onlyOurs: 0, onlyReference: 0 });
    // Carnivore's 17 descendants in bbox_labels_600_hierarchy.json (the generator copies the real subtree), Teddy bear included
    const carnivores = ['Bear', 'Brown bear', 'Cat', 'Cheetah', 'Dog', 'Fox', 'Jaguar (Animal)', 'Leopard', 'Lion', 'Lynx', 'Otter', 'Panda', 'Polar bear', 'Raccoon', 'Red panda', 'Teddy bear', 'Tiger'];
    expect(cmp.classes.map((c) => c.DisplayName).sort()).toEqual(carnivores);
    expect(r.summary.classes.map((c) => c.DisplayName).sort()).toEqual(carnivores);
    const summary = JSON.parse(readFileSync(r.summaryPath, 'utf8'));
    const ref = await duckDbSummary(data, 0.5, opts);
    expect(summary.totals.selectedImages).toBe(ref.get('*')!.images);
    expect(summary.classes.map((c: { positiveLabels: number }) => c.positiveLabels)).toEqual(r.summary.classes.map((c) => ref.get(c.LabelName)!.pos));
    // The stage writes the same rows, in the same order, as the library yields.
    const rows = [];
    for await (const b of selectBoxes({ data, ...opts })) rows.push(b);
    const { readParquetRows } = await import('@oidstream/parquet-io');
    const written = [];
    for await (const row of readParquetRows(r.boxesPath)) written.push(row);
    expect(written).toEqual(rows.map((b) => ({ ...b })));
  });
});

describe('select stage and CLI: options, errors', () => {
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

  it('rejects bad options and bad data dirs with coded errors, and writes nothing', async () => {
    const out = path.join(work, 'x');
    await expect(selectStage({ data, out, minConfidence: 2 })).rejects.toMatchObject({ code: 'BAD_OPTIONS' });
    await expect(selectStage({ data, out, classes: 'Tigr' })).rejects.toMatchObject({ code: 'UNKNOWN_CLASS' });
    await expect(selectStage({ data: path.join(work, 'nope'), out })).rejects.toMatchObject({ code: 'DATA_DIR_INVALID' });
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

  it('--max-per-class, --seed, --splits, --labels: thin faces over the library options; bad values exit 2 with one line', async () => {
    const out = path.join(work, 'cli-limits');
    const err: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((s: string) => (err.push(String(s)), true)) as typeof process.stderr.write;
    const cli = (...args: string[]) => main(['node', 'oidstream', 'select', '--data', data, ...args]);
    try {
      expect(await cli('--out', out, '--under', 'Carnivore', '--max-per-class', '2', '--seed', '1', '--splits', 'train,validation', '--labels', 'all')).toBe(0);
      err.length = 0;
      expect(await cli('--out', path.join(work, 'x1'), '--splits', 'train,dev')).toBe(2);
      expect(await cli('--out', path.join(work, 'x2'), '--labels', 'robots')).toBe(2);
      expect(await cli('--out', path.join(work, 'x3'), '--max-per-class', '0')).toBe(2);
      expect(await cli('--out', path.join(work, 'x4'), '--seed', '1.5')).toBe(2);
    } finally {
      process.stderr.write = write;
    }
    const lines = err.join('').trimEnd().split('\n');
    expect(lines).toEqual([
      'oidstream: unknown split "dev": the data dir has test, train, validation [UNKNOWN_SPLIT]',
      'oidstream: --labels must be human, machine or all, got "robots" [BAD_OPTION]',
      'oidstream: --max-per-class must be a positive integer, got "0" [BAD_OPTION]',
      'oidstream: --seed must be a whole number, got "1.5" [BAD_OPTION]',
    ]);
    const summary = JSON.parse(readFileSync(path.join(out, 'labels-summary.json'), 'utf8'));
    expect(summary).toMatchObject({ labels: 'all', splits: ['train', 'validation'], limit: { maxPerClass: 2, seed: 1 } });
    for (const c of summary.classes) expect(c.selectedImages).toBeLessThanOrEqual(2);
    expect(summary.files.labels.map((f: string) => path.basename(f))).toEqual([
      'train-annotations-human-imagelabels-boxable.csv', 'validation-annotations-human-imagelabels-boxable.csv',
      'train-annotations-machine-imagelabels.csv', 'validation-annotations-machine-imagelabels.csv',
    ]);
    // The report says that a limit was applied.
    const { writeReport } = await import('@oidstream/report');
    const report = await writeReport(out);
    const html = readFileSync(report.html, 'utf8');
    expect(html).toContain('A limit was applied: at most 2 images per class (seed 1)');
    expect(html).toContain('Image labels: all · splits: train, validation');
  });

  it('--help explains each selection flag and names the peers\' options', async () => {
    const out: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((s: string) => (out.push(String(s)), true)) as typeof process.stdout.write;
    try {
      await main(['node', 'oidstream', 'select', '--help']);
    } finally {
      process.stdout.write = write;
    }
    const help = out.join('').replace(/\s+/g, ' ');
    for (const s of ['--max-per-class', '--seed', '--splits', '--labels', 'OIDv4_ToolKit --limit', 'max_samples', 'shuffle+seed', '--type_csv', 'split(s)', 'human|machine|all']) {
      expect(help).toContain(s);
    }
  });
});
