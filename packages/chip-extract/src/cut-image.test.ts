import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { cutImage, resolveChipOptions } from './index.js';
import type { ChipRecord, ChipResult } from './index.js';
import { BLUE, GREEN, RED, YELLOW, jpegWithOrientation, meanColour, near, quadrantColour, quadrantJpeg, rawImage } from '../test/images.js';
import type { RGB } from '../test/images.js';

const o = resolveChipOptions();
const ID = '00000000000000aa';
const box = (XMin: number, XMax: number, YMin: number, YMax: number) => ({ ImageID: ID, DisplayName: 'Lion', XMin, XMax, YMin, YMax });
// quadrant boxes, slightly inset so JPEG ringing at the colour edges does not matter
const TL = box(0.05, 0.45, 0.05, 0.45);
const TR = box(0.55, 0.95, 0.05, 0.45);
const BL = box(0.05, 0.45, 0.55, 0.95);
const BR = box(0.55, 0.95, 0.55, 0.95);

function chip(r: ChipResult): ChipRecord {
  if (r.kind !== 'chip') throw new Error(`expected a chip, got ${r.code}: ${r.reason}`);
  return r;
}

/** The four quadrant boxes cut together (decode once, raw crops) and, when `single`, each alone (direct pipeline). */
async function cutQuadrants(bytes: Uint8Array, rotation: unknown = null, single = false) {
  const boxes = [TL, TR, BL, BR].map((b, n) => ({ box: b, n }));
  const res = single
    ? (await Promise.all(boxes.map((b) => cutImage(ID, bytes, rotation, [b], o)))).flat()
    : await cutImage(ID, bytes, rotation, boxes, o);
  return Promise.all(res.map(async (r) => ({ c: chip(r), colour: await meanColour(chip(r).chip) })));
}

describe('cutImage: EXIF orientation', () => {
  // displayed picture 80×48 (not square, so a missed transpose shows up in the chip size)
  for (const orientation of [1, 2, 3, 4, 5, 6, 7, 8]) for (const single of [false, true]) {
    it(`orientation ${orientation}, ${single ? 'one box per image' : 'four boxes per image'}: boxes are cut from the picture as displayed`, async () => {
      const bytes = await jpegWithOrientation(orientation, 80, 48);
      expect((await sharp(bytes).metadata()).orientation).toBe(orientation);
      const out = await cutQuadrants(bytes, null, single);
      const expected: RGB[] = [RED, GREEN, BLUE, YELLOW];
      out.forEach(({ c, colour }, i) => {
        expect(near(colour, expected[i]), `box ${i}: ${colour} vs ${expected[i]}`).toBe(true);
        // 80×48 displayed: x 4..36 → 32 px, y 2.4..21.6 → 2..22 → 20 px
        expect([c.chip_width, c.chip_height]).toEqual([32, 20]);
      });
    });
  }
});

describe('cutImage: OID Rotation (counter-clockwise) turns chips upright', () => {
  it.each([
    [0, [RED, GREEN, BLUE, YELLOW], [40, 24]],
    // rotating the whole picture 90° ccw puts the TR quadrant (green) top-left
    [90, [GREEN, YELLOW, RED, BLUE], [24, 40]],
    [180, [YELLOW, BLUE, GREEN, RED], [40, 24]],
    [270, [BLUE, RED, YELLOW, GREEN], [24, 40]],
  ] as const)('Rotation %i', async (rotation, colours, size) => {
    const bytes = await quadrantJpeg(80, 48);
    const whole = chip((await cutImage(ID, bytes, rotation, [{ box: box(0, 1, 0, 1), n: 0 }], o))[0]);
    expect([whole.chip_width, whole.chip_height]).toEqual(rotation % 180 ? [48, 80] : [80, 48]);
    // sample the quadrants of the rotated chip
    const { data, info } = await sharp(whole.chip).raw().toBuffer({ resolveWithObject: true });
    const at = (fx: number, fy: number): RGB => {
      const i = (Math.floor(fy * info.height) * info.width + Math.floor(fx * info.width)) * info.channels;
      return [data[i], data[i + 1], data[i + 2]];
    };
    const got = [at(0.25, 0.25), at(0.75, 0.25), at(0.25, 0.75), at(0.75, 0.75)];
    got.forEach((g, i) => expect(near(g, colours[i] as RGB), `quadrant ${i}: ${g}`).toBe(true));
    // a single-quadrant box: the chip of the TL quadrant, rotated — alone and next to another box
    const tl = chip((await cutImage(ID, bytes, rotation, [{ box: box(0, 0.5, 0, 0.5), n: 0 }], o))[0]);
    expect([tl.chip_width, tl.chip_height]).toEqual(size);
    expect(near(await meanColour(tl.chip), RED)).toBe(true);
    const pair = await cutImage(ID, bytes, rotation, [{ box: box(0, 0.5, 0, 0.5), n: 0 }, { box: box(0, 1, 0, 1), n: 1 }], o);
    expect([chip(pair[0]).chip_width, chip(pair[0]).chip_height]).toEqual(size);
    expect(near(await meanColour(chip(pair[0]).chip), RED)).toBe(true);
    expect([chip(pair[1]).chip_width, chip(pair[1]).chip_height]).toEqual([whole.chip_width, whole.chip_height]);
  });

  it('invalid Rotation is an error record per box', async () => {
    const bytes = await quadrantJpeg(16, 16);
    const res = await cutImage(ID, bytes, 45, [{ box: TL, n: 0 }, { box: TR, n: 1 }], o);
    expect(res.map((r) => r.kind === 'error' && r.code)).toEqual(['BAD_ROTATION', 'BAD_ROTATION']);
  });
});

describe('cutImage: large images with several boxes are cut box by box', () => {
  it('gives the same chips as the decode-once path', async () => {
    const bytes = await jpegWithOrientation(6, 80, 48);
    const boxes = [TL, TR, BL, BR].map((b, n) => ({ box: b, n }));
    const once = await cutImage(ID, bytes, 90, boxes, o);
    const direct = await cutImage(ID, bytes, 90, boxes, resolveChipOptions({ rawDecodeMaxPixels: 100 }));
    for (let i = 0; i < 4; i++) {
      expect([chip(direct[i]).chip_width, chip(direct[i]).chip_height]).toEqual([chip(once[i]).chip_width, chip(once[i]).chip_height]);
      expect(near(await meanColour(chip(direct[i]).chip), await meanColour(chip(once[i]).chip), 12)).toBe(true);
    }
    const bad = await cutImage(ID, bytes.subarray(0, 200), null, boxes, resolveChipOptions({ rawDecodeMaxPixels: 100 }));
    expect(bad.map((r) => r.kind === 'error' && r.code)).toEqual(['BAD_IMAGE', 'BAD_IMAGE', 'BAD_IMAGE', 'BAD_IMAGE']);
  });
});

describe('cutImage: pixel formats', () => {
  const W = 64;
  const H = 40;
  const rgb = () => sharp(rawImage(W, H, (x, y) => quadrantColour(x, y, W, H)), { raw: { width: W, height: H, channels: 3 } });

  it('PNG bytes (whatever the file was called)', async () => {
    const out = await cutQuadrants(await rgb().png().toBuffer());
    expect(out.map((x) => near(x.colour, [RED, GREEN, BLUE, YELLOW][out.indexOf(x)]))).toEqual([true, true, true, true]);
  });

  it('PNG with alpha is flattened onto white', async () => {
    const rgba = Buffer.alloc(W * H * 4);
    for (let i = 0; i < W * H; i++) rgba.set([200, 10, 10, i % W < W / 2 ? 255 : 0], i * 4);
    const bytes = await sharp(rgba, { raw: { width: W, height: H, channels: 4 } }).png().toBuffer();
    const out = await cutQuadrants(bytes);
    expect(near(out[0].colour, [200, 10, 10])).toBe(true);
    const alone = await cutQuadrants(bytes, null, true);
    expect(near(alone[1].colour, [255, 255, 255])).toBe(true);
    expect((await sharp(alone[1].c.chip).metadata()).channels).toBe(3);
    expect(near(out[1].colour, [255, 255, 255])).toBe(true); // transparent half
    const meta = await sharp(out[0].c.chip).metadata();
    expect([meta.format, meta.channels]).toEqual(['jpeg', 3]);
  });

  it('16-bit PNG', async () => {
    const bytes = await rgb().toColourspace('rgb16').png().toBuffer();
    expect((await sharp(bytes).metadata()).depth).toBe('ushort');
    const alone = await cutQuadrants(bytes, null, true);
    expect(near(alone[2].colour, BLUE)).toBe(true);
    const out = await cutQuadrants(bytes);
    expect(near(out[2].colour, BLUE)).toBe(true);
    expect([out[2].c.chip_width, out[2].c.chip_height]).toEqual([26, 16]);
  });

  it('grayscale JPEG', async () => {
    const bytes = await rgb().toColourspace('b-w').jpeg().toBuffer();
    expect((await sharp(bytes).metadata()).channels).toBe(1);
    const alone = await cutQuadrants(bytes, null, true);
    expect(alone[3].colour[0]).toBeGreaterThan(alone[2].colour[0]);
    const out = await cutQuadrants(bytes);
    const [r, g, b] = out[0].colour;
    expect(Math.abs(r - g) + Math.abs(g - b)).toBeLessThan(6); // still gray
    expect(out[3].colour[0]).toBeGreaterThan(out[2].colour[0]); // yellow is lighter than blue
  });

  it('CMYK JPEG comes out as sRGB with the right colours', async () => {
    const bytes = await rgb().toColourspace('cmyk').jpeg().toBuffer();
    expect((await sharp(bytes).metadata()).space).toBe('cmyk');
    for (const single of [false, true]) {
    const out = await cutQuadrants(bytes, null, single);
    // saturated sRGB primaries are out of the CMYK gamut: check hue (strongest/weakest channel), not exact values
    const strongest = (c: RGB) => c.indexOf(Math.max(...c));
    expect(out.map(({ colour }) => strongest(colour))).toEqual([0, 1, 2, 0]);
    expect(out[3].colour[1]).toBeGreaterThan(150); // yellow: red and green both high
    expect(out[3].colour[2]).toBeLessThan(100);
    const meta = await sharp(out[0].c.chip).metadata();
    expect([meta.space, meta.channels]).toEqual(['srgb', 3]);
    }
  });

  it('quality and maxSide options', async () => {
    const bytes = await quadrantJpeg(400, 300);
    const small = await cutImage(ID, bytes, 0, [{ box: box(0, 1, 0, 1), n: 0 }], resolveChipOptions({ maxSide: 100, quality: 30 }));
    const big = await cutImage(ID, bytes, 0, [{ box: box(0, 1, 0, 1), n: 0 }], resolveChipOptions({ quality: 100 }));
    expect([chip(small[0]).chip_width, chip(small[0]).chip_height]).toEqual([100, 75]);
    expect(chip(small[0]).chip.length).toBeLessThan(chip(big[0]).chip.length);
    const optimized = await cutImage(ID, bytes, 0, [{ box: box(0, 1, 0, 1), n: 0 }], resolveChipOptions({ quality: 100, optimizeCoding: true }));
    expect(chip(optimized[0]).chip.length).toBeLessThan(chip(big[0]).chip.length);
  });
});

describe('cutImage: chipPixels', () => {
  for (const libjpeg of [true, false]) {
    it(`'cut' is the box as decoded, 'file' the chip JPEG as decoded (${libjpeg ? 'libjpeg-turbo' : 'sharp'})`, async () => {
      const bytes = await quadrantJpeg(200, 160);
      const boxes = [TL, BR].map((b, n) => ({ box: b, n }));
      for (const single of [false, true]) {
        const list = single ? boxes.slice(0, 1) : boxes;
        const cut = (await cutImage(ID, bytes, 0, list, resolveChipOptions({ libjpeg, chipPixels: 'cut' }))).map(chip);
        const file = (await cutImage(ID, bytes, 0, list, resolveChipOptions({ libjpeg, chipPixels: 'file' }))).map(chip);
        for (const [i, c] of cut.entries()) {
          const region = { left: Math.round(list[i].box.XMin * 200), top: Math.round(list[i].box.YMin * 160), width: c.chip_width, height: c.chip_height };
          const want = await sharp(bytes).extract(region).raw().toBuffer();
          expect(Buffer.from(c.pixels!.data).equals(want)).toBe(true);
          expect([c.pixels!.width, c.pixels!.height]).toEqual([c.chip_width, c.chip_height]);
          expect(Buffer.from(file[i].pixels!.data).equals(await sharp(file[i].chip).raw().toBuffer())).toBe(true);
          expect(Buffer.from(file[i].chip).equals(c.chip)).toBe(true);
        }
      }
      const none = chip((await cutImage(ID, bytes, 0, boxes.slice(0, 1), resolveChipOptions({ libjpeg })))[0]);
      expect(none.pixels).toBeUndefined();
    });
  }
});

describe('cutImage: pixelSizes', () => {
  it('libjpeg-turbo chips carry samples at each size (of the same pixels) instead of pixels; sharp chips keep pixels', async () => {
    const bytes = await quadrantJpeg(200, 160);
    const boxes = [TL, BR].map((b, n) => ({ box: b, n }));
    const pixelSizes = [[64, 80], [32, 40]] as const;
    for (const chipPixels of ['cut', 'file'] as const) {
      const whole = (await cutImage(ID, bytes, 0, boxes, resolveChipOptions({ chipPixels }))).map(chip);
      const sampled = (await cutImage(ID, bytes, 0, boxes, resolveChipOptions({ chipPixels, pixelSizes }))).map(chip);
      for (const [i, c] of sampled.entries()) {
        expect([c.pixels, Object.keys(c.samples ?? {}), Buffer.from(c.chip).equals(whole[i].chip)]).toEqual([undefined, ['64x80', '32x40'], true]);
        // the chips are 80×64: the first size is the pixels themselves
        expect([whole[i].chip_width, whole[i].chip_height]).toEqual([80, 64]);
        expect(Buffer.from(c.samples!['64x80']).equals(Buffer.from(whole[i].pixels!.data))).toBe(true);
        expect(c.samples!['32x40'].length).toBe(32 * 40 * 3);
      }
    }
    const bySharp = chip((await cutImage(ID, bytes, 0, boxes, resolveChipOptions({ libjpeg: false, chipPixels: 'file', pixelSizes })))[0]);
    expect([bySharp.samples, bySharp.pixels?.width]).toEqual([undefined, 80]);
    expect(() => resolveChipOptions({ pixelSizes: [[0, 3]] })).toThrow(/pixelSizes/);
  });
});

describe('cutImage: turned chips are the same through libjpeg-turbo and sharp', () => {
  it.each([90, 180, 270])('Rotation %i: same chip bytes, sizes and pixels (cut and file)', async (rotation) => {
    const bytes = await quadrantJpeg(200, 160);
    const boxes = [TL, BR, box(0.1, 0.7, 0.2, 0.9)].map((b, n) => ({ box: b, n }));
    for (const chipPixels of ['cut', 'file'] as const) {
      const [fast, ref] = await Promise.all([true, false].map(async (libjpeg) => (await cutImage(ID, bytes, rotation, boxes, resolveChipOptions({ libjpeg, chipPixels }))).map(chip)));
      for (const [i, c] of fast.entries()) {
        expect({ i, chipPixels, same: Buffer.from(c.chip).equals(ref[i].chip) }).toEqual({ i, chipPixels, same: true });
        expect([c.chip_width, c.chip_height]).toEqual([ref[i].chip_width, ref[i].chip_height]);
        expect(Buffer.from(c.pixels!.data).equals(Buffer.from(ref[i].pixels!.data))).toBe(true);
      }
    }
  });
});

describe('cutImage: bad bytes give one error record per box', () => {
  it('truncated JPEG, one box', async () => {
    const bytes = await quadrantJpeg(200, 200);
    const res = await cutImage(ID, bytes.subarray(0, Math.floor(bytes.length / 2)), null, [{ box: BR, n: 0 }], o);
    expect(res[0]).toMatchObject({ kind: 'error', code: 'BAD_IMAGE', chip_id: `${ID}_0` });
  });
  it('truncated JPEG', async () => {
    const bytes = await quadrantJpeg(200, 200);
    const res = await cutImage(ID, bytes.subarray(0, Math.floor(bytes.length / 2)), null, [{ box: TL, n: 0 }, { box: TR, n: 1 }], o);
    expect(res).toHaveLength(2);
    for (const r of res) {
      expect(r).toMatchObject({ kind: 'error', code: 'BAD_IMAGE', ImageID: ID });
      expect(r.kind === 'error' && r.reason).toMatch(/decode/);
    }
    expect(res.map((r) => r.chip_id)).toEqual([`${ID}_0`, `${ID}_1`]);
  });
  it('not an image, empty bytes', async () => {
    const a = await cutImage(ID, Buffer.from('definitely not an image'), null, [{ box: TL, n: 0 }], o);
    expect(a[0]).toMatchObject({ kind: 'error', code: 'BAD_IMAGE' });
    const b = await cutImage(ID, new Uint8Array(0), null, [{ box: TL, n: 0 }], o);
    expect(b[0]).toMatchObject({ kind: 'error', code: 'BAD_IMAGE' });
  });
  it('bad boxes next to good ones: only the bad ones fail', async () => {
    const bytes = await quadrantJpeg(100, 100);
    const boxes = [TL, box(NaN, 1, 0, 1), box(0.5, 0.5, 0, 1), box(1.5, 2, 0, 1), box(-0.5, 0.3, -1, 0.3), TR];
    const res = await cutImage(ID, bytes, null, boxes.map((b, n) => ({ box: b, n })), o);
    expect(res.map((r) => (r.kind === 'chip' ? 'chip' : r.code))).toEqual(['chip', 'BAD_BOX', 'EMPTY_BOX', 'BOX_OUTSIDE_IMAGE', 'chip', 'chip']);
    expect([chip(res[4]).chip_width, chip(res[4]).chip_height]).toEqual([30, 30]);
    expect(res.map((r) => r.chip_id)).toEqual([0, 1, 2, 3, 4, 5].map((n) => `${ID}_${n}`));
  });
});
