import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LoadedKerasModel } from './backend.js';
import { closeClassifier, openClassifier, type ClassifierModel } from './classifier.js';
import { classifyBatch, modelInputSizes } from './classify-batch.js';
import { classifyRecords, ClassifyTransform } from './classify-stream.js';
import { createRunner } from './create-runner.js';
import { loadKerasModel } from './load-model.js';
import { decodeResize, preprocessPixels } from './preprocess.js';
import { createWasmRunner } from './wasm-backend.js';
import { makeTinyModel, saveModelDir, syntheticClassIndex, TINY_CLASSES, TINY_SIZE } from '../test/tiny-model.js';

let root: string;
let modelDir: string;
let loaded: LoadedKerasModel;
let tiny: ClassifierModel;
let images: Uint8Array[];

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'keras-classify-'));
  modelDir = path.join(root, 'tiny_mobilenet');
  await saveModelDir(await makeTinyModel(), modelDir, 2);
  await writeFile(path.join(root, 'imagenet_class_index.json'), JSON.stringify(syntheticClassIndex())); // found as ../ of the model
  loaded = await loadKerasModel(modelDir);
  tiny = await openClassifier({ name: 'tiny', source: modelDir, backend: 'wasm', threads: 2 });
  images = await Promise.all(
    Array.from({ length: 21 }, (_, i) =>
      sharp({ create: { width: 20 + i, height: 16, channels: 3, background: { r: (i * 37) % 256, g: (i * 91) % 256, b: (i * 13) % 256 } } })
        .jpeg()
        .toBuffer()
        .then((b) => new Uint8Array(b)),
    ),
  );
}, 60_000);
afterAll(async () => {
  await closeClassifier(tiny);
  loaded.model.dispose();
  await rm(root, { recursive: true, force: true });
});

const records = () => images.map((chip, i) => ({ chip_id: `img${i}_0`, ImageID: `img${i}`, chip }));

/** The same model run directly in this thread (tfjs cpu): what every backend must reproduce. */
async function reference(chip: Uint8Array): Promise<Float32Array> {
  const px = await decodeResize(chip, [TINY_SIZE, TINY_SIZE]);
  const x = new Float32Array(px.length);
  preprocessPixels(px, 'tf', x);
  const tf = await import('./tfjs.js');
  const y = loaded.model.predict(tf.tensor4d(x, [1, TINY_SIZE, TINY_SIZE, 3])) as import('./tfjs.js').Tensor;
  const out = y.dataSync() as Float32Array;
  y.dispose();
  return out;
}

describe('wasm runner (one tfjs wasm backend per worker thread)', () => {
  it('matches tfjs in this thread, for one image and for a batch split across workers', async () => {
    expect(tiny.runner.backend).toBe('wasm');
    expect(tiny.preprocessing).toBe('tf'); // from the model name tiny_mobilenet
    const per = TINY_SIZE * TINY_SIZE * 3;
    const batch = new Float32Array(5 * per);
    const refs: Float32Array[] = [];
    for (let i = 0; i < 5; i++) {
      preprocessPixels(await decodeResize(images[i], [TINY_SIZE, TINY_SIZE]), 'tf', batch, i * per);
      refs.push(await reference(images[i]));
    }
    const probs = await tiny.runner.predict(batch, 5);
    expect(probs.length).toBe(5 * TINY_CLASSES);
    for (let i = 0; i < 5; i++) {
      const row = probs.subarray(i * TINY_CLASSES, (i + 1) * TINY_CLASSES);
      for (let c = 0; c < TINY_CLASSES; c++) expect(Math.abs(row[c] - refs[i][c])).toBeLessThan(1e-5);
    }
    // several calls in flight at once come back to the right caller
    const singles = await Promise.all([0, 1, 2, 3, 4].map((i) => tiny.runner.predict(batch.slice(i * per, (i + 1) * per), 1)));
    singles.forEach((s, i) => expect(Array.from(s)).toEqual(Array.from(probs.subarray(i * TINY_CLASSES, (i + 1) * TINY_CLASSES))));
  });

  it('rejects a batch of the wrong size', async () => {
    await expect(tiny.runner.predict(new Float32Array(10), 1)).rejects.toMatchObject({ code: 'BAD_INPUT' });
  });

  it('auto picks a backend that loads; tfjs-node is reported unavailable where it cannot load', async () => {
    const warnings: string[] = [];
    const runner = await createRunner(loaded, { backend: 'auto', threads: 1, onWarning: (m) => warnings.push(m) });
    try {
      expect(['onnx', 'tfjs-node', 'wasm']).toContain(runner.backend);
    } finally {
      await runner.dispose();
    }
    let tfjsNodeLoads = true;
    try {
      createRequire(import.meta.url)('@tensorflow/tfjs-node');
    } catch {
      tfjsNodeLoads = false;
    }
    if (!tfjsNodeLoads) await expect(createRunner(loaded, { backend: 'tfjs-node' })).rejects.toMatchObject({ code: 'BACKEND_UNAVAILABLE' });
    await expect(createRunner(loaded, { backend: 'gpu' as never })).rejects.toMatchObject({ code: 'BAD_OPTION' });
  });

  it('disposes cleanly and refuses work afterwards', async () => {
    const r = await createWasmRunner(loaded, { threads: 1 });
    await r.dispose();
    await expect(r.predict(new Float32Array(TINY_SIZE * TINY_SIZE * 3), 1)).rejects.toMatchObject({ code: 'BAD_INPUT' });
  });
});

describe('ClassifyTransform / classifyRecords', () => {
  const cols = ['tiny_label', 'tiny_wnid', 'tiny_score', 'tiny_top5'];

  it('adds label/wnid/score/top5 per model, keeps every record and its order, any batch size', async () => {
    const direct = await classifyBatch(records(), { models: [tiny] });
    for (const r of direct) {
      for (const c of cols) expect(r).toHaveProperty(c);
      const top5 = JSON.parse(r.tiny_top5 as string) as { wnid: string; label: string; score: number }[];
      expect(top5).toHaveLength(5);
      expect(top5[0]).toEqual({ wnid: r.tiny_wnid, label: r.tiny_label, score: r.tiny_score });
      expect(top5.every((p, i) => i === 0 || p.score <= top5[i - 1].score)).toBe(true);
      expect(r.tiny_wnid).toMatch(/^n\d{8}$/);
    }
    const ref = await reference(images[3]);
    expect(direct[3].tiny_score).toBeCloseTo(Math.max(...ref), 5);

    for (const batchSize of [1, 4, 8, 32]) {
      const out: Record<string, unknown>[] = [];
      await pipeline(Readable.from(records()), new ClassifyTransform({ models: [tiny], batchSize }), async function* (src) {
        for await (const r of src) out.push(r);
      });
      expect(out.map((r) => r.chip_id)).toEqual(direct.map((r) => r.chip_id));
      expect(out.map((r) => r.tiny_wnid)).toEqual(direct.map((r) => r.tiny_wnid));
      expect(out[0].chip).toBe(images[0]); // same record fields carried through
      const it: Record<string, unknown>[] = [];
      for await (const r of classifyRecords(records(), { models: [tiny], batchSize, inFlight: 3 })) it.push(r);
      expect(it.map((r) => r.tiny_score)).toEqual(direct.map((r) => r.tiny_score));
    }
  });

  it('runs several models with different input sizes and preprocessing side by side', async () => {
    const dir = path.join(root, 'tiny_densenet');
    await saveModelDir(await makeTinyModel('tiny_densenet', 12), dir, 1);
    const dense = await openClassifier({ name: 'dense', source: dir, backend: 'wasm', threads: 1 });
    try {
      expect(dense.preprocessing).toBe('torch');
      expect(dense.runner.inputSize).toEqual([12, 12]);
      const both = await classifyBatch(records().slice(0, 6), { models: [tiny, dense], batchSize: 3 });
      const alone = await classifyBatch(records().slice(0, 6), { models: [dense] });
      expect(both.map((r) => r.dense_top5)).toEqual(alone.map((r) => r.dense_top5));
      expect(both.every((r) => typeof r.tiny_label === 'string' && typeof r.dense_label === 'string')).toBe(true);
    } finally {
      await closeClassifier(dense);
    }
  });

  it('keeps a bounded queue: a stalled consumer stops intake', async () => {
    let pulled = 0;
    async function* source() {
      for (let i = 0; i < 1000; i++) {
        pulled++;
        yield { chip_id: String(i), chip: images[i % images.length] };
      }
    }
    const t = new ClassifyTransform({ models: [tiny], batchSize: 4, inFlight: 2 });
    Readable.from(source()).pipe(t);
    await new Promise((r) => setTimeout(r, 1500)); // nobody reads t
    // readable buffer (4) + batches in flight (2×4) + a pending batch + stream buffers: far below 1000
    expect(pulled).toBeLessThan(80);
    expect(pulled).toBeGreaterThan(4);
    t.destroy();
  });

  it('turns one bad chip into one error row (missing, empty, garbage, over the pixel cap) and classifies the rest', async () => {
    const big = new Uint8Array(await sharp({ create: { width: 300, height: 200, channels: 3, background: '#808080' } }).png().toBuffer());
    const bad: Record<string, unknown>[] = [
      ...records().slice(0, 2),
      { chip_id: 'garbage', chip: new Uint8Array([1, 2, 3]) },
      { chip_id: 'empty', chip: new Uint8Array(0) },
      { chip_id: 'null', chip: null },
      { chip_id: 'absent' },
      { chip_id: 'text', chip: 'not bytes' },
      { chip_id: 'big', chip: big },
      records()[2],
    ];
    const good = await classifyBatch([...records().slice(0, 3)], { models: [tiny] });
    const out = await classifyBatch(bad, { models: [tiny], maxPixels: 300 * 200 - 1 });
    expect(out.map((r) => r.chip_id)).toEqual(bad.map((r) => r.chip_id));
    expect(out.map((r) => String(r.classify_error ?? '').split(':')[0])).toEqual(['', '', 'BAD_IMAGE', 'NO_IMAGE', 'NO_IMAGE', 'NO_IMAGE', 'NO_IMAGE', 'IMAGE_TOO_LARGE', '']);
    expect(out[3].classify_error).toMatch(/empty/);
    expect(out[7].classify_error).toMatch(/maxPixels/);
    for (const i of [2, 3, 4, 5, 6, 7]) expect(out[i]).not.toHaveProperty('tiny_label');
    // the good rows are classified exactly as in a clean batch
    expect([out[0], out[1], out[8]].map((r) => r.tiny_top5)).toEqual(good.map((r) => r.tiny_top5));
    // under the cap the same image classifies; the stream faces give the same rows
    expect((await classifyBatch([{ chip_id: 'big', chip: big }], { models: [tiny] }))[0].tiny_label).toEqual(expect.any(String));
    const streamed: Record<string, unknown>[] = [];
    await pipeline(Readable.from(bad), new ClassifyTransform({ models: [tiny], batchSize: 2, maxPixels: 300 * 200 - 1 }), async function* (src) {
      for await (const r of src) streamed.push(r);
    });
    expect(streamed.map((r) => r.classify_error ?? r.tiny_top5)).toEqual(out.map((r) => r.classify_error ?? r.tiny_top5));
    // an all-bad batch never reaches the model
    expect((await classifyBatch([{ chip_id: 'x' }], { models: [tiny] }))[0].classify_error).toMatch(/^NO_IMAGE: /);
  });

  it('uses pre-resized pixels instead of decoding the chip, and drops them from the output', async () => {
    expect(modelInputSizes([tiny, tiny])).toEqual([[TINY_SIZE, TINY_SIZE]]);
    const decoded = await classifyBatch(records().slice(0, 4), { models: [tiny] });
    const pixels = await Promise.all(images.slice(0, 4).map((img) => decodeResize(img, [TINY_SIZE, TINY_SIZE])));
    // no chip at all: the pixels are the only input
    const given = pixels.map((px, i) => ({ chip_id: `img${i}_0`, pixels: { [`${TINY_SIZE}x${TINY_SIZE}`]: px } }));
    const out = await classifyBatch(given, { models: [tiny] });
    expect(out.map((r) => r.tiny_top5)).toEqual(decoded.map((r) => r.tiny_top5));
    expect(out.every((r) => !('pixels' in r) && r.classify_error === undefined)).toBe(true);
    // the pixels win over the chip: a garbage chip is never decoded when its pixels are there
    const garbage = given.map((r) => ({ ...r, chip: new Uint8Array([9, 9, 9]) }));
    expect((await classifyBatch(garbage, { models: [tiny] })).map((r) => r.tiny_top5)).toEqual(decoded.map((r) => r.tiny_top5));
    // a size the record does not carry is decoded from the chip
    const other = records().slice(0, 4).map((r) => ({ ...r, pixels: { '99x99': new Uint8Array(99 * 99 * 3) } }));
    expect((await classifyBatch(other, { models: [tiny] })).map((r) => r.tiny_top5)).toEqual(decoded.map((r) => r.tiny_top5));
    // pixels of the wrong length are the caller's bug: thrown, not an error row
    await expect(classifyBatch([{ chip_id: 'x', pixels: { [`${TINY_SIZE}x${TINY_SIZE}`]: new Uint8Array(5) } }], { models: [tiny] })).rejects.toMatchObject({
      code: 'BAD_INPUT',
    });
  });

  it('uses a decoded image in pixels as a decode of the chip would be used', async () => {
    const decoded = await classifyBatch(records().slice(0, 4), { models: [tiny] });
    const given = await Promise.all(
      images.slice(0, 4).map(async (img, i) => {
        const { data, info } = await sharp(img).raw().toBuffer({ resolveWithObject: true });
        return { chip_id: `img${i}_0`, chip: new Uint8Array([9, 9, 9]), pixels: { data: new Uint8Array(data), width: info.width, height: info.height } };
      }),
    );
    const out = await classifyBatch(given, { models: [tiny] });
    expect(out.map((r) => r.tiny_top5)).toEqual(decoded.map((r) => r.tiny_top5));
    expect(out.every((r) => !('pixels' in r))).toBe(true);
    const short = { chip_id: 'x', pixels: { data: new Uint8Array(5), width: 2, height: 2 } };
    await expect(classifyBatch([short], { models: [tiny] })).rejects.toMatchObject({ code: 'BAD_INPUT' });
  });

  it('checks options', async () => {
    expect(() => new ClassifyTransform({ models: [tiny], batchSize: 0 })).toThrow(expect.objectContaining({ code: 'BAD_OPTION' }));
    expect(() => new ClassifyTransform({ models: [tiny], batchSize: undefined, inFlight: undefined })).not.toThrow(); // undefined = default
    expect(() => new ClassifyTransform({ models: [] })).toThrow(expect.objectContaining({ code: 'BAD_OPTION' }));
    expect(() => new ClassifyTransform({ models: [tiny, tiny] })).toThrow(/twice/);
    await expect(openClassifier({ name: 'bad-name', source: modelDir })).rejects.toMatchObject({ code: 'BAD_OPTION' });
    // An unknown backend is refused before the model is loaded (the source here does not even exist).
    await expect(openClassifier({ name: 'tiny', source: path.join(root, 'nope'), backend: 'gpu' as never })).rejects.toMatchObject({ code: 'BAD_OPTION' });
    await expect(openClassifier(undefined as never)).rejects.toMatchObject({ code: 'BAD_OPTION' });
  });
});
