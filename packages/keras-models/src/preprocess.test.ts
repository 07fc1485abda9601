import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { KerasModelsError } from './errors.js';
import { parseModelJson } from './manifest.js';
import { decodeResize, preprocessingFor, preprocessingForName, preprocessPixels } from './preprocess.js';

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
  it.skipIf(!existsSync(path.join(shared, 'models')))('reads the real model.json files (needs ../shared/models)', () => {
    const read = (d: string) => parseModelJson(JSON.parse(readFileSync(path.join(shared, 'models', d, 'model.json'), 'utf8'))).topology;
    expect(preprocessingFor(read('mobilenet_v1_0.75_224'))).toBe('tf');
    expect(preprocessingFor(read('densenet121'))).toBe('torch');
  });
});
