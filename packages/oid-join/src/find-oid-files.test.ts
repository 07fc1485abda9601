import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { filesOfSplits, findOidFiles, parseOidFileName } from './find-oid-files.js';

const work = mkdtempSync(path.join(tmpdir(), 'oid-join-files-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('findOidFiles', () => {
  it('reads every OID name: v4–v6 plain, oidv6-/oidv7- prefixes, v6 boxable rotation, v7 "val"', () => {
    expect(parseOidFileName('train-images-boxable-with-rotation.csv')).toEqual({ split: 'train', kind: 'rotation' });
    expect(parseOidFileName('oidv6-train-images-with-labels-with-rotation.csv')).toEqual({ split: 'train', kind: 'rotation' });
    expect(parseOidFileName('validation-images-with-rotation.csv')).toEqual({ split: 'validation', kind: 'rotation' });
    expect(parseOidFileName('oidv6-train-annotations-bbox.csv')).toEqual({ split: 'train', kind: 'boxes' });
    expect(parseOidFileName('oidv7-val-annotations-machine-imagelabels.csv')).toEqual({ split: 'validation', kind: 'machineLabels' });
    expect(parseOidFileName('test-annotations-machine-imagelabels.csv')).toEqual({ split: 'test', kind: 'machineLabels' });
    expect(parseOidFileName('oidv6-train-annotations-human-imagelabels.csv')).toEqual({ split: 'train', kind: 'humanLabelsAll' });
    expect(parseOidFileName('test-annotations-human-imagelabels-boxable.csv')).toEqual({ split: 'test', kind: 'humanLabels' });
    expect(parseOidFileName('class-descriptions-boxable.csv')).toBeUndefined();
    expect(parseOidFileName('derived-annotations-bbox.csv')).toEqual({ split: 'derived', kind: 'boxes' });
  });

  it('lists a data dir: boxable labels win over the full file of the same split, rotation CSVs anywhere', async () => {
    const data = path.join(work, 'v6');
    for (const d of ['metadata', 'annotations', 'images']) mkdirSync(path.join(data, d), { recursive: true });
    const names = [
      'annotations/oidv6-train-annotations-bbox.csv', 'annotations/validation-annotations-bbox.csv',
      'annotations/train-annotations-human-imagelabels-boxable.csv', 'annotations/oidv6-train-annotations-human-imagelabels.csv',
      'annotations/test-annotations-human-imagelabels.csv', 'annotations/train-annotations-machine-imagelabels.csv',
      'annotations/train-images-boxable-with-rotation.csv', 'metadata/validation-images-with-rotation.csv', 'test-images-with-rotation.csv',
    ];
    for (const n of names) writeFileSync(path.join(data, n), 'ImageID\n');
    const f = await findOidFiles(data, { requireMetadata: true, requireImages: true });
    const base = (xs: string[]) => xs.map((x) => path.basename(x));
    expect(base(f.humanLabels)).toEqual(['test-annotations-human-imagelabels.csv', 'train-annotations-human-imagelabels-boxable.csv']);
    expect(base(f.machineLabels)).toEqual(['train-annotations-machine-imagelabels.csv']);
    expect(base(f.boxes)).toEqual(['oidv6-train-annotations-bbox.csv', 'validation-annotations-bbox.csv']);
    expect(base(f.rotation)).toEqual(['train-images-boxable-with-rotation.csv', 'validation-images-with-rotation.csv', 'test-images-with-rotation.csv']);
    expect(f.splits).toEqual(['test', 'train', 'validation']);
    expect(f.imagesFolder).toBe(path.join(data, 'images'));
    expect(filesOfSplits(f.boxes, ['train'], f.splits).map((x) => path.basename(x))).toEqual(['oidv6-train-annotations-bbox.csv']);
    expect(() => filesOfSplits(f.boxes, ['trian'], f.splits)).toThrow(
      expect.objectContaining({ code: 'UNKNOWN_SPLIT', message: 'unknown split "trian": the data dir has test, train, validation' }),
    );
  });

  it('DATA_DIR_INVALID: not a dir, no annotations/, and (when required) no metadata/ or images', async () => {
    await expect(findOidFiles(path.join(work, 'nope'))).rejects.toMatchObject({ code: 'DATA_DIR_INVALID' });
    const bare = path.join(work, 'bare');
    mkdirSync(bare);
    await expect(findOidFiles(bare)).rejects.toMatchObject({ code: 'DATA_DIR_INVALID', message: expect.stringContaining('annotations/') });
    mkdirSync(path.join(bare, 'annotations'));
    expect((await findOidFiles(bare)).boxes).toEqual([]);
    await expect(findOidFiles(bare, { requireMetadata: true })).rejects.toMatchObject({ code: 'DATA_DIR_INVALID', message: expect.stringContaining('metadata/') });
    await expect(findOidFiles(bare, { requireImages: true })).rejects.toMatchObject({ code: 'DATA_DIR_INVALID', message: expect.stringContaining('images') });
  });
});
