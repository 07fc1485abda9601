import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { needs } from '@oidstream/test-needs';
import { available as libjpegAvailable, cropJpeg } from '@oidstream/jpeg-crop';
import { KerasModelsError } from './errors.js';
import { parseModelJson } from './manifest.js';
import { decodeResize, PREPROCESS_MODES, preprocessingFor, preprocessingForName, preprocessPixels, preprocessResized, resizeNearest } from './preprocess.js';

const shared = process.env.OIDSTREAM_SHARED ?? path.resolve(import.meta.dirname, '../../../../shared');

describe('preprocessPixels (Keras preprocess_input)', () => {
  const rgb = new Uint8Array([0, 127.5, 255, 10, 20, 30].map(Math.floor));
  it('tf: x/127.5 − 1', () => {
    const out = new Float32Array(6);
    preprocessPixels(rgb, 'tf', out);
    expect(out[0]).toBe(-1);
    expect(out[2]).toBe(1);
    expect(out[3]).toBeCloseTo(10 / 127.5 - 1, 6);
  });
  it('caffe: BGR order minus the BGR ImageNet mean, no scaling', () => {
    const out = new Float32Array(6);
    preprocessPixels(rgb, 'caffe', out);
    expect(Array.from(out.subarray(3))).toEqual([30 - 103.939, 20 - 116.779, 10 - 123.68].map(Math.fround));
  });
  it('torch: x/255 minus mean over std, RGB', () => {
    const out = new Float32Array(6);
    preprocessPixels(rgb, 'torch', out);
    expect(out[3]).toBeCloseTo((10 / 255 - 0.485) / 0.229, 5);
    expect(out[4]).toBeCloseTo((20 / 255 - 0.456) / 0.224, 5);
    expect(out[5]).toBeCloseTo((30 / 255 - 0.406) / 0.225, 5);
  });
  it('writes at an offset inside a batch and checks room', () => {
    const out = new Float32Array(12);
    preprocessPixels(rgb, 'none', out, 6);
    expect(Array.from(out.subarray(6))).toEqual(Array.from(rgb));
    expect(() => preprocessPixels(rgb, 'none', out, 7)).toThrow(KerasModelsError);
    expect(() => preprocessPixels(rgb, 'bogus' as never, out)).toThrow(/unknown preprocessing/);
  });
});

describe('resizeNearest (Pillow NEAREST, as Keras load_img)', () => {
  /** Source column picked for each output column of a 1-row image `sw` wide resized to `dw`. */
  const picks = (sw: number, dw: number) => {
    const src = new Uint8Array(sw * 3);
    for (let x = 0; x < sw; x++) src.set([x & 255, x >> 8, 0], x * 3);
    const out = resizeNearest(src, sw, 1, dw, 1);
    return Array.from({ length: dw }, (_, x) => out[x * 3] + 256 * out[x * 3 + 1]);
  };
  it('reproduces Pillow 9.4 where accumulated coordinates differ from (x + 0.5)·scale (640 → 224)', () => {
    // Measured with Pillow 9.4: Image.new('I', (640, 1)).resize((224, 1), NEAREST); these columns differ from the naive formula.
    const pillow: Record<number, number> = { 17: 49, 24: 69, 101: 289, 108: 309, 115: 329, 122: 349, 129: 369, 136: 389, 143: 409, 150: 429, 157: 449, 164: 469, 171: 489, 178: 509, 185: 529, 192: 549, 199: 569, 206: 589, 213: 609, 220: 629 };
    const got = picks(640, 224);
    for (let x = 0; x < 224; x++) expect(got[x]).toBe(pillow[x] ?? Math.floor(((x + 0.5) * 640) / 224));
  });
  it('matches Pillow on down- and up-scaling ends and is the identity at the same size', () => {
    expect(picks(355, 224).slice(0, 3)).toEqual([0, 2, 3]);
    expect(picks(355, 224).slice(-2)).toEqual([352, 354]);
    expect(picks(1009, 224).slice(0, 3)).toEqual([2, 6, 11]);
    expect(picks(100, 224).slice(-2)).toEqual([99, 99]);
    const same = new Uint8Array(12);
    expect(resizeNearest(same, 2, 2, 2, 2)).toBe(same);
  });
  it.skipIf(!libjpegAvailable)("is what @oidstream/jpeg-crop's `sizes` sample from a chip (the C copy of this rule)", async () => {
    const width = 640;
    const px = Buffer.alloc(width * 355 * 3);
    for (let i = 0; i < px.length; i++) px[i] = (i * 7 + Math.floor(i / 1920) * 13) & 255;
    const jpeg = await sharp(px, { raw: { width, height: 355, channels: 3 } }).jpeg().toBuffer();
    const sizes: [number, number][] = [[224, 224], [299, 299], [500, 700], [1, 1]];
    const regions = [{ left: 0, top: 0, width, height: 355 }, { left: 3, top: 5, width: 109, height: 37 }];
    for (const pixels of [true, 'encoded'] as const) {
      const whole = await cropJpeg(jpeg, regions, { pixels });
      const sampled = await cropJpeg(jpeg, regions, { pixels, sizes });
      for (const [i, c] of whole.entries()) {
        for (const [k, [h, w]] of sizes.entries()) expect(sampled[i].samples?.[k].equals(resizeNearest(c.pixels!, c.width, c.height, w, h))).toBe(true);
        expect(sampled[i].pixels).toBeUndefined();
      }
    }
  });
});

describe('decodeResize', () => {
  it('stretches to the exact size (no crop, like load_img(target_size)) and gives RGB', async () => {
    const jpeg = await sharp({ create: { width: 300, height: 100, channels: 3, background: { r: 200, g: 50, b: 10 } } }).png().toBuffer();
    const px = await decodeResize(jpeg, [224, 224]);
    expect(px.length).toBe(224 * 224 * 3);
    expect(Array.from(px.subarray(0, 3))).toEqual([200, 50, 10]);
  });
  it('makes grayscale into 3 channels and drops alpha', async () => {
    const gray = await sharp({ create: { width: 20, height: 20, channels: 3, background: { r: 90, g: 90, b: 90 } } }).toColourspace('b-w').jpeg().toBuffer();
    expect((await sharp(gray).metadata()).channels).toBe(1);
    const g = await decodeResize(gray, [4, 6]);
    expect(g.length).toBe(4 * 6 * 3);
    expect(Math.abs(g[0] - 90)).toBeLessThan(3);
    const rgba = await sharp({ create: { width: 10, height: 10, channels: 4, background: { r: 1, g: 2, b: 3, alpha: 0.5 } } }).png().toBuffer();
    expect((await decodeResize(rgba, [5, 5])).length).toBe(75);
  });
  it('does not apply embedded ICC profiles (Keras/PIL do not): pixels are the stored values', async () => {
    const raw = Buffer.alloc(4 * 4 * 3);
    for (let i = 0; i < raw.length; i += 3) raw.set([200, 50, 10], i);
    const p3 = await sharp(raw, { raw: { width: 4, height: 4, channels: 3 } }).withIccProfile('p3').png().toBuffer();
    expect((await sharp(p3).metadata()).hasProfile).toBe(true);
    const managed = await sharp(p3).toColourspace('srgb').raw().toBuffer(); // sharp's default: profile → sRGB
    const stored = await sharp(p3, { ignoreIcc: true }).raw().toBuffer();
    expect(Array.from(stored.subarray(0, 3))).not.toEqual(Array.from(managed.subarray(0, 3)));
    expect(Array.from((await decodeResize(p3, [2, 2])).subarray(0, 3))).toEqual(Array.from(stored.subarray(0, 3)));
  });
  it('nearest keeps hard edges; bilinear blends them', async () => {
    // left half black, right half white, 4×1 → 2×1
    const raw = Buffer.from([0, 0, 0, 0, 0, 0, 255, 255, 255, 255, 255, 255]);
    const png = await sharp(raw, { raw: { width: 4, height: 1, channels: 3 } }).png().toBuffer();
    expect(Array.from(await decodeResize(png, [1, 2]))).toEqual([0, 0, 0, 255, 255, 255]);
    const up = await decodeResize(png, [1, 8], { interpolation: 'bilinear' });
    expect(new Set(up).size).toBeGreaterThan(2);
  });
  it('applies EXIF orientation by default', async () => {
    // stored 8×4: left half black, right half white; orientation 6 shows it turned 90° clockwise (black on top)
    const raw = Buffer.alloc(8 * 4 * 3);
    for (let y = 0; y < 4; y++) for (let x = 4; x < 8; x++) raw.fill(255, (y * 8 + x) * 3, (y * 8 + x) * 3 + 3);
    const jpeg = await sharp(raw, { raw: { width: 8, height: 4, channels: 3 } }).jpeg({ quality: 100 }).withMetadata({ orientation: 6 }).toBuffer();
    expect((await sharp(jpeg).metadata()).orientation).toBe(6);
    const upright = await decodeResize(jpeg, [2, 1]); // top pixel, bottom pixel
    expect(upright[0]).toBeLessThan(40);
    expect(upright[3]).toBeGreaterThan(215);
    const stored = await decodeResize(jpeg, [1, 2], { autoOrient: false }); // left pixel, right pixel
    expect(stored[0]).toBeLessThan(40);
    expect(stored[3]).toBeGreaterThan(215);
  });
  it('throws BAD_IMAGE on bytes that are not an image, and on truncated JPEGs', async () => {
    await expect(decodeResize(new Uint8Array([1, 2, 3]), [8, 8])).rejects.toMatchObject({ code: 'BAD_IMAGE' });
    const jpeg = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#888' } }).jpeg().toBuffer();
    await expect(decodeResize(jpeg.subarray(0, jpeg.length / 2), [8, 8])).rejects.toMatchObject({ code: 'BAD_IMAGE' });
    await expect(decodeResize(jpeg, [8, 8], { interpolation: 'magic' as never })).rejects.toMatchObject({ code: 'BAD_OPTION' });
  });
});

describe('preprocessing chosen by model', () => {
  it.each([
    ['mobilenet_1.00_224', 'tf'],
    ['mobilenet_0.75_224', 'tf'],
    ['mobilenetv2_1.00_224', 'tf'],
    ['resnet50', 'caffe'],
    ['vgg16', 'caffe'],
    ['resnet50v2', 'tf'],
    ['densenet121', 'torch'],
    ['inception_v3', 'tf'],
    ['xception', 'tf'],
    ['efficientnetb0', 'none'],
    ['my_model', undefined],
  ])('%s → %s', (name, mode) => {
    expect(preprocessingForName(name)).toBe(mode);
  });
  it('falls back on layer names, then on the user label', () => {
    const layers = (names: string[]) => ({ class_name: 'Model', config: { name: 'model_1', layers: names.map((n) => ({ class_name: 'Conv2D', config: { name: n }, inbound_nodes: [] })) } });
    expect(preprocessingFor(layers(['conv1', 'conv_dw_1', 'conv_pw_1']))).toBe('tf');
    expect(preprocessingFor(layers(['conv1', 'res2a_branch2a']))).toBe('caffe');
    expect(preprocessingFor(layers(['conv1/conv', 'conv2_block1_concat']))).toBe('torch');
    expect(preprocessingFor(layers(['x']), 'resnet50')).toBe('caffe');
    expect(preprocessingFor(layers(['x']), 'mine')).toBeUndefined();
  });
  it.skipIf(needs('../shared/models', existsSync(path.join(shared, 'models'))))('reads the real model.json files (needs ../shared/models)', () => {
    const read = (d: string) => parseModelJson(JSON.parse(readFileSync(path.join(shared, 'models', d, 'model.json'), 'utf8'))).topology;
    expect(preprocessingFor(read('mobilenet_v1_0.75_224'))).toBe('tf');
    expect(preprocessingFor(read('densenet121'))).toBe('torch');
  });
});

describe('preprocessResized', () => {
  it('writes the same floats as preprocessPixels(resizeNearest(…)) for every mode, shrinking, stretching or same size', () => {
    const sizes: Array<[number, number, number, number]> = [[317, 211, 224, 224], [100, 150, 224, 224], [224, 224, 224, 224], [5, 3, 7, 2]];
    for (const [sw, sh, dw, dh] of sizes) {
      const src = new Uint8Array(sw * sh * 3).map((_, i) => (i * 37 + (i >> 5)) % 256);
      for (const mode of PREPROCESS_MODES) {
        const want = new Float32Array(dw * dh * 3 + 6);
        preprocessPixels(resizeNearest(src, sw, sh, dw, dh), mode, want, 6);
        const got = new Float32Array(dw * dh * 3 + 6);
        preprocessResized({ data: src, width: sw, height: sh }, dw, dh, mode, got, 6);
        expect(Buffer.from(got.buffer).equals(Buffer.from(want.buffer)), `${mode} ${sw}x${sh}→${dw}x${dh}`).toBe(true);
      }
    }
  });

  it('refuses a batch that is too small or an image whose bytes do not match its size', () => {
    const img = { data: new Uint8Array(4 * 4 * 3), width: 4, height: 4 };
    expect(() => preprocessResized(img, 4, 4, 'tf', new Float32Array(10))).toThrow(/too small/);
    expect(() => preprocessResized({ ...img, width: 5 }, 4, 4, 'tf', new Float32Array(48))).toThrow(/must hold/);
  });
});
