import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readParquetRows, writeParquet } from '@oidstream/parquet-io';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BLUE, RED, jpegWithOrientation, meanColour, near, quadrantColour, quadrantJpeg, rawImage } from '../../../chip-extract/test/images.js';
import { BOX_COLUMNS, cli } from '../../test/chips-support.js';

const root = mkdtempSync(path.join(tmpdir(), 'chips-bad-'));
// the run's folders sit two levels down so a path escaping OUT would land in `root` where we look for it
const work = path.join(root, 'a', 'b');
const imagesDir = path.join(work, 'images');
const out = path.join(work, 'out');
afterAll(() => rmSync(root, { recursive: true, force: true }));

const box = (ImageID: unknown, XMin: number, XMax: number, YMin: number, YMax: number, DisplayName: unknown = 'Lion') => ({
  ImageID, Source: 'test', LabelName: '/m/096mb', Confidence: 1, XMin, XMax, YMin, YMax,
  IsOccluded: 0, IsTruncated: 0, IsGroupOf: 0, IsDepiction: 0, IsInside: -1, DisplayName,
});
const TL = [0.05, 0.45, 0.05, 0.45] as const;

interface Case { name: string; box: ReturnType<typeof box>; expect: string; colour?: [number, number, number] }
const cases: Case[] = [];

beforeAll(async () => {
  mkdirSync(imagesDir, { recursive: true });
  const W = 80;
  const H = 48;
  const rgb = () => sharp(rawImage(W, H, (x, y) => quadrantColour(x, y, W, H)), { raw: { width: W, height: H, channels: 3 } });
  const good = await quadrantJpeg(W, H);
  const files: Record<string, Buffer> = {
    'a000000000000001.jpg': good,
    'a000000000000002.jpg': good.subarray(0, Math.floor(good.length * 0.6)), // truncated JPEG
    'a000000000000003.jpg': await rgb().png().toBuffer(), // PNG named .jpg
    'a000000000000004.jpg': await rgb().toColourspace('cmyk').jpeg().toBuffer(),
    'a000000000000005.jpg': await rgb().toColourspace('b-w').jpeg().toBuffer(),
    'a000000000000006.png': await rgb().toColourspace('rgb16').png().toBuffer(), // 16-bit PNG
    'a000000000000007.jpg': Buffer.from('<html>404 not found</html>'), // not an image: pack skips it
    'a000000000000008.png': await rgb().ensureAlpha(0.5).png().toBuffer(),
    'not-an-id.jpg': good,
  };
  for (let o = 1; o <= 8; o++) files[`b00000000000000${o}.jpg`] = await jpegWithOrientation(o, W, H);
  for (const [name, bytes] of Object.entries(files)) writeFileSync(path.join(imagesDir, name), bytes);

  const add = (name: string, b: ReturnType<typeof box>, expected: string, colour?: [number, number, number]) => cases.push({ name, box: b, expect: expected, colour });
  add('good', box('a000000000000001', ...TL), 'chip', RED);
  add('out of range → clamped', box('a000000000000001', -0.3, 0.45, 0.55, 1.4), 'chip', BLUE);
  add('NaN', box('a000000000000001', NaN, 0.5, 0.1, 0.5), 'BAD_BOX');
  add('inverted', box('a000000000000001', 0.6, 0.2, 0.1, 0.5), 'BAD_BOX');
  add('zero area', box('a000000000000001', 0.3, 0.3, 0.1, 0.5), 'EMPTY_BOX');
  add('outside', box('a000000000000001', 1.1, 1.4, 0.1, 0.5), 'BOX_OUTSIDE_IMAGE');
  add('truncated JPEG', box('a000000000000002', ...TL), 'BAD_IMAGE');
  add('PNG named .jpg', box('a000000000000003', ...TL), 'chip', RED);
  add('CMYK', box('a000000000000004', ...TL), 'chip');
  add('grayscale', box('a000000000000005', ...TL), 'chip');
  add('16-bit PNG', box('a000000000000006', ...TL), 'chip', RED);
  add('not an image (skipped by pack)', box('a000000000000007', ...TL), 'UNKNOWN_IMAGE');
  add('alpha PNG', box('a000000000000008', ...TL), 'chip');
  for (let o = 1; o <= 8; o++) add(`EXIF orientation ${o}`, box(`b00000000000000${o}`, ...TL), 'chip', RED);
  add('hostile ImageID ../../x', box('../../x', ...TL), 'BAD_IMAGE_ID');
  add('hostile ImageID absolute', box('/tmp/evil', ...TL), 'BAD_IMAGE_ID');
  add('uppercase ImageID', box('A000000000000001', ...TL), 'BAD_IMAGE_ID');
  add('hostile DisplayName', box('a000000000000001', ...TL, '../../../escaped'), 'chip', RED);
  add('unknown ImageID', box('c000000000000000', ...TL), 'UNKNOWN_IMAGE');
  add('good after all the bad', box('a000000000000001', 0.55, 0.95, 0.55, 0.95), 'chip');
});

describe('chips on bad inputs: every box gives a chip or one clear error record', () => {
  it('pack skips bad files, chips accounts for every box, nothing escapes OUT', async () => {
    expect(await cli('pack', '--images', imagesDir, '--out', path.join(work, 'images.parquet'))).toBe(0);
    const packed = [];
    for await (const r of readParquetRows(path.join(work, 'images.parquet'), { columns: ['ImageID'] })) packed.push(r.ImageID);
    expect(packed).not.toContain('a000000000000007');
    expect(packed).toHaveLength(15);

    await writeParquet(path.join(work, 'boxes.parquet'), BOX_COLUMNS, cases.map((c) => c.box));
    expect(await cli('chips', '--boxes', path.join(work, 'boxes.parquet'), '--images', path.join(work, 'images.parquet'), '--out', out)).toBe(0);

    const chips = [];
    for await (const r of readParquetRows(path.join(out, 'chips.parquet'))) chips.push(r);
    const errors = readFileSync(path.join(out, 'errors.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(chips.length + errors.length).toBe(cases.length);
    for (const e of errors) {
      expect(e.stage).toBe('chips');
      expect(typeof e.reason).toBe('string');
      expect(e.reason.length).toBeGreaterThan(5);
      expect(e).toHaveProperty('box');
    }
    // match records to cases: per image, n counts that image's boxes in input order
    const counters = new Map<string, number>();
    for (const c of cases) {
      const id = c.box.ImageID as string;
      const valid = /^[0-9a-f]{16}$/.test(id);
      const n = counters.get(id) ?? 0;
      if (valid) counters.set(id, n + 1);
      const chipId = valid ? `${id}_${n}` : null;
      if (c.expect === 'chip') {
        const chip = chips.find((r) => r.chip_id === chipId);
        expect(chip, c.name).toBeDefined();
        const bytes = chip!.chip as Uint8Array;
        expect((await sharp(bytes).metadata()).format, c.name).toBe('jpeg');
        if (c.colour) expect(near(await meanColour(bytes), c.colour), `${c.name}: ${await meanColour(bytes)}`).toBe(true);
        if (c.name === 'good') expect([chip!.chip_width, chip!.chip_height]).toEqual([32, 20]);
        if (c.name.startsWith('EXIF')) expect([chip!.chip_width, chip!.chip_height], c.name).toEqual([32, 20]);
      } else {
        const err = valid
          ? errors.find((e) => e.chip_id === chipId)
          : errors.find((e) => e.ImageID === id && e.code === 'BAD_IMAGE_ID');
        expect(err, c.name).toBeDefined();
        expect(err.code, c.name).toBe(c.expect);
      }
    }
    // chip files only under OUT/chips/<safe class>/, nothing written outside OUT
    const classes = readdirSync(path.join(out, 'chips')).sort();
    expect(classes).toEqual(['Lion', '_________escaped'].sort());
    expect(readdirSync(root)).toEqual(['a']);
    expect(readdirSync(path.join(root, 'a'))).toEqual(['b']);
    expect(readdirSync(work).sort()).toEqual(['boxes.parquet', 'images', 'images.parquet', 'out']);
    expect(readdirSync(out).sort()).toEqual(['chips', 'chips.parquet', 'errors.jsonl']);

    // a rerun gives the same chip ids and replaces (not appends) its error lines
    expect(await cli('chips', '--boxes', path.join(work, 'boxes.parquet'), '--images', path.join(work, 'images.parquet'), '--out', out)).toBe(0);
    const again = [];
    for await (const r of readParquetRows(path.join(out, 'chips.parquet'), { columns: ['chip_id'] })) again.push(r.chip_id);
    expect(again).toEqual(chips.map((c) => c.chip_id));
    expect(readFileSync(path.join(out, 'errors.jsonl'), 'utf8').trim().split('\n')).toHaveLength(errors.length);
  });

  it('takes box rows streamed from an earlier stage', async () => {
    const { chipsStage } = await import('./chips.js');
    async function* rows() {
      yield box('a000000000000001', ...TL);
      yield box('a000000000000003', ...TL);
      yield box('../x', ...TL);
    }
    const r = await chipsStage({ boxes: { rows: rows(), columns: BOX_COLUMNS }, images: path.join(work, 'images.parquet'), out: path.join(work, 'streamed') });
    expect([r.boxes, r.chips, r.errors]).toEqual([3, 2, 1]);
    rmSync(path.join(work, 'streamed'), { recursive: true, force: true });
  });

  it('malformed Parquet inputs are one-line coded errors and leave no partial output', async () => {
    const bad = path.join(work, 'bad');
    mkdirSync(bad, { recursive: true });
    writeFileSync(path.join(bad, 'garbage.parquet'), 'PAR1 definitely not parquet PAR1');
    const images = readFileSync(path.join(work, 'images.parquet'));
    writeFileSync(path.join(bad, 'truncated.parquet'), images.subarray(0, images.length >> 1));
    const boxes = path.join(work, 'boxes.parquet');
    const stderr: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((s: string) => (stderr.push(String(s)), true)) as typeof process.stderr.write;
    try {
      expect(await cli('chips', '--boxes', path.join(bad, 'garbage.parquet'), '--images', path.join(work, 'images.parquet'), '--out', path.join(bad, 'o1'))).toBe(2);
      expect(await cli('chips', '--boxes', boxes, '--images', path.join(bad, 'garbage.parquet'), '--out', path.join(bad, 'o2'))).toBe(2);
      expect(await cli('chips', '--boxes', boxes, '--images', path.join(bad, 'truncated.parquet'), '--out', path.join(bad, 'o3'))).toBe(2);
      expect(await cli('chips', '--boxes', boxes, '--images', path.join(bad, 'missing.parquet'), '--out', path.join(bad, 'o4'))).toBe(2);
      expect(await cli('pack', '--images', path.join(bad, 'no-such-dir'), '--out', path.join(bad, 'x.parquet'))).toBe(2);
      expect(await cli('chips', '--boxes', boxes, '--images', path.join(work, 'images.parquet'), '--out', path.join(bad, 'o5'), '--quality', 'high')).toBe(2);
      expect(await cli('chips', '--boxes', boxes, '--images', path.join(work, 'images.parquet'), '--out', path.join(bad, 'o6'), '--quality', '0')).toBe(2);
    } finally {
      process.stderr.write = write;
    }
    const lines = stderr.filter((l) => l.startsWith('oidstream:'));
    expect(lines).toHaveLength(7);
    expect(lines[0]).toMatch(/not a readable Parquet file.*\[NOT_PARQUET\]/);
    expect(lines[1]).toMatch(/\[NOT_PARQUET\]/);
    expect(lines[2]).toMatch(/\[NOT_PARQUET\]/);
    expect(lines[3]).toMatch(/\[READ_FAILED\]/);
    expect(lines[4]).toMatch(/\[NO_IMAGES_DIR\]/);
    expect(lines[5]).toMatch(/--quality must be a number from 1 to 100, got "high".*\[BAD_OPTION\]/);
    expect(lines[6]).toMatch(/--quality must be a number from 1 to 100, got "0".*\[BAD_OPTION\]/);
    for (const o of ['o1', 'o2', 'o3', 'o4', 'o5', 'o6']) {
      const d = path.join(bad, o);
      expect(existsSync(path.join(d, 'chips.parquet'))).toBe(false);
      if (existsSync(d)) expect(readdirSync(d).filter((f) => f.includes('.tmp-'))).toEqual([]);
    }
  });
});
