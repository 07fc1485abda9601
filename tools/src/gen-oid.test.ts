import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse/sync';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseClassDescriptions, parseHierarchy, selectClasses } from '@oidstream/oid-labels';
import { generateOid, type GenerateResult } from './gen-oid.js';
import { BOX_HEADER, TRAIN_BOX_HEADER } from './oid-files.js';
import { toStoredFrame } from './scene.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const work = mkdtempSync(path.join(tmpdir(), 'gen-oid-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const read = (dir: string, rel: string): string => readFileSync(path.join(dir, rel), 'utf8');
const rows = (dir: string, rel: string): Record<string, string>[] => parse(read(dir, rel), { columns: true });

describe('gen-oid', () => {
  const a = path.join(work, 'a');
  let result: GenerateResult;
  beforeAll(async () => {
    result = await generateOid({ out: a, images: 24, seed: 5 });
  });

  it('writes the real metadata formats: CRLF class file without header (last row LF), CRLF hierarchy JSON', () => {
    const text = read(a, 'metadata/class-descriptions-boxable.csv');
    expect(text.startsWith('/m/')).toBe(true);
    expect(text.endsWith('\n') && !text.endsWith('\r\n')).toBe(true);
    expect(text.split('\r\n').length).toBe(text.trim().split(/\r?\n/).length);
    const catalog = parseClassDescriptions(text);
    const hierarchy = parseHierarchy(read(a, 'metadata/bbox_labels_600_hierarchy.json'));
    expect(read(a, 'metadata/bbox_labels_600_hierarchy.json')).toContain('}\r\n');
    expect(selectClasses(catalog).map((c) => c.DisplayName)).toEqual(['Tiger', 'Lion', 'Cheetah', 'Leopard', 'Jaguar (Animal)', 'Lynx']);
    // As in the real hierarchy: 17 under Carnivore, Teddy bear also under Toy.
    expect(selectClasses(catalog, { under: 'Carnivore', hierarchy })).toHaveLength(17);
    expect(hierarchy.parents('/m/0kmg4')).toEqual(expect.arrayContaining(['/m/01dws', '/m/0138tl']));
  });

  it('writes three splits with OID headers (train boxes with XClick columns), sorted by ImageID', () => {
    for (const split of ['train', 'validation', 'test']) {
      const header = read(a, `annotations/${split}-annotations-bbox.csv`).split('\n')[0];
      expect(header).toBe(split === 'train' ? TRAIN_BOX_HEADER : BOX_HEADER);
      expect(read(a, `annotations/${split}-annotations-human-imagelabels-boxable.csv`).split('\n')[0]).toBe('ImageID,Source,LabelName,Confidence');
      expect(read(a, `annotations/${split}-annotations-machine-imagelabels.csv`).split('\n')[0]).toBe('ImageID,Source,LabelName,Confidence');
      const ids = rows(a, `annotations/${split}-annotations-bbox.csv`).map((r) => r.ImageID);
      expect(ids.length).toBeGreaterThan(0);
      expect([...ids].sort()).toEqual(ids);
    }
    const human = ['train', 'validation', 'test'].flatMap((s) => rows(a, `annotations/${s}-annotations-human-imagelabels-boxable.csv`));
    const machine = ['train', 'validation', 'test'].flatMap((s) => rows(a, `annotations/${s}-annotations-machine-imagelabels.csv`));
    expect(human).toHaveLength(result.humanLabelRows);
    expect(machine).toHaveLength(result.machineLabelRows);
    expect(human.every((l) => l.Source !== 'machine')).toBe(true);
    expect(machine.every((l) => l.Source === 'machine')).toBe(true);
    expect(new Set(human.map((l) => l.Confidence))).toEqual(new Set(['0', '1'])); // negatives included
    expect(machine.some((l) => Number(l.Confidence) > 0 && Number(l.Confidence) < 1)).toBe(true); // fractional
    const boxes = ['train', 'validation', 'test'].flatMap((s) => rows(a, `annotations/${s}-annotations-bbox.csv`));
    expect(boxes).toHaveLength(result.boxRows);
    for (const b of boxes) {
      expect(0 <= +b.XMin && +b.XMin < +b.XMax && +b.XMax <= 1 && 0 <= +b.YMin && +b.YMin < +b.YMax && +b.YMax <= 1).toBe(true);
    }
    expect(new Set(boxes.map((b) => b.LabelName)).size).toBeGreaterThan(8); // big cats and distractors
  });

  it('writes images-with-rotation (quoted Flickr metadata, some non-zero Rotation) and JPEGs of the stored size', async () => {
    const rot = ['train', 'validation', 'test'].flatMap((s) => rows(a, `annotations/${s}-images-with-rotation.csv`));
    expect(rot).toHaveLength(24);
    expect(rot.some((r) => ['90.0', '180.0', '270.0'].includes(r.Rotation))).toBe(true);
    expect(readdirSync(path.join(a, 'images'))).toHaveLength(24);
    const sizes = new Set<string>();
    for (const r of rot.slice(0, 8)) {
      const meta = await sharp(path.join(a, 'images', `${r.ImageID}.jpg`)).metadata();
      expect(meta.format).toBe('jpeg');
      sizes.add(`${meta.width}x${meta.height}`);
    }
    expect(sizes.size).toBeGreaterThan(1);
  });

  it('is deterministic: same seed, same bytes; another seed, other data', async () => {
    const b = path.join(work, 'b');
    await generateOid({ out: b, images: 24, seed: 5 });
    for (const f of result.files) expect(readFileSync(path.join(b, f)).equals(readFileSync(path.join(a, f))), f).toBe(true);
    const c = path.join(work, 'c');
    await generateOid({ out: c, images: 24, seed: 6, jpeg: false });
    expect(read(c, 'annotations/train-annotations-bbox.csv')).not.toBe(read(a, 'annotations/train-annotations-bbox.csv'));
  });

  it('refuses a non-empty out dir without force, and bad sizes', async () => {
    await expect(generateOid({ out: a, images: 2 })).rejects.toMatchObject({ code: 'OUT_NOT_EMPTY' });
    await expect(generateOid({ out: path.join(work, 'd'), images: 0 })).rejects.toMatchObject({ code: 'BAD_OPTIONS' });
    await expect(generateOid({ out: path.join(work, 'd'), images: 2, seed: Number('abc') })).rejects.toMatchObject({ code: 'BAD_OPTIONS' });
    await expect(generateOid({ out: path.join(work, 'd'), images: 2, quality: 200 })).rejects.toMatchObject({ code: 'BAD_OPTIONS' });
  });

  it('rotates boxes into the stored frame (turning back counter-clockwise restores them)', () => {
    const r = { XMin: 0.1, XMax: 0.3, YMin: 0.2, YMax: 0.6 };
    expect(toStoredFrame(r, 90)).toEqual({ XMin: 0.4, XMax: 0.8, YMin: 0.1, YMax: 0.3 });
    expect(toStoredFrame(toStoredFrame(toStoredFrame(toStoredFrame(r, 90), 90), 90), 90)).toEqual(r);
    expect(toStoredFrame(toStoredFrame(r, 90), 270)).toEqual(r);
  });

  it('test-data/oid is what the documented command regenerates', async () => {
    const fresh = path.join(work, 'fresh');
    const r = await generateOid({ out: fresh, images: 40, seed: 1 });
    for (const f of r.files) expect(readFileSync(path.join(fresh, f)).equals(readFileSync(path.join(repoRoot, 'test-data/oid', f))), f).toBe(true);
    expect(readdirSync(path.join(repoRoot, 'test-data/oid/images'))).toHaveLength(40);
  });
});
