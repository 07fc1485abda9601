import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from './tfjs.js';
import h5wasm from 'h5wasm/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { needs } from '@oidstream/test-needs';
import { asLoaded, haveImages, haveModels, lcg, maxAbsDiff, mobilenetDir, preprocessFiles, randomizeBatchNorm, realImageFiles } from '../test/keras-fixtures.js';
import { mobileNetV1 } from './architectures/mobilenet.js';
import { resNet50 } from './architectures/resnet50.js';
import { KerasModelsError } from './errors.js';
import { detectH5Architecture } from './h5-loader.js';
import { assignH5Weights, readKerasH5, writeKerasH5 } from './h5-weights.js';
import { loadKerasModel } from './load-model.js';
import { createOnnxRunner } from './onnx-backend.js';
import { mainTf } from './tfjs-main.js';
import { createWasmRunner } from './wasm-backend.js';

let dir: string;
beforeAll(async () => {
  await mainTf();
  dir = mkdtempSync(path.join(tmpdir(), 'oidstream-h5-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function randomImages(n: number, seed: number): Float32Array {
  const rnd = lcg(seed);
  return Float32Array.from({ length: n * 224 * 224 * 3 }, () => rnd() * 2 - 1);
}

function expectSameWeights(a: tf.LayersModel, b: tf.LayersModel): void {
  const wa = a.weights;
  const wb = new Map(b.weights.map((v) => [v.originalName, v]));
  expect(wb.size).toBe(wa.length);
  for (const v of wa) {
    const other = wb.get(v.originalName);
    expect(other, v.originalName).toBeDefined();
    expect(maxAbsDiff(v.read().dataSync(), other!.read().dataSync())).toBe(0);
  }
}

async function errorOf(p: Promise<unknown>): Promise<KerasModelsError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(KerasModelsError);
    return err as KerasModelsError;
  }
  throw new Error('expected a KerasModelsError');
}

describe('Keras HDF5 weights', () => {
  it('writes the Keras 2 layout (layer_names, weight_names, <layer>/<weight>:0 datasets)', async () => {
    const model = mobileNetV1({ alpha: 0.25 });
    const file = path.join(dir, 'mobilenet_2_5_224_tf.h5');
    await writeKerasH5(model, file);
    await h5wasm.ready;
    const f = new h5wasm.File(file, 'r');
    try {
      expect(f.attrs['layer_names'].value).toEqual(model.layers.map((l) => l.name));
      expect(f.attrs['layer_names'].dtype).toMatch(/^S\d+$/); // fixed-length byte strings, as h5py writes numpy 'S' arrays
      const bn = f.get('conv1_bn') as unknown as { attrs: Record<string, { value: unknown }> };
      expect(bn.attrs['weight_names'].value).toEqual(['conv1_bn/gamma:0', 'conv1_bn/beta:0', 'conv1_bn/moving_mean:0', 'conv1_bn/moving_variance:0']);
      const kernel = f.get('conv1/conv1/kernel:0') as InstanceType<typeof h5wasm.Dataset>;
      expect(kernel.shape).toEqual([3, 3, 3, 8]);
      expect(kernel.dtype).toBe('<f');
      const relu = f.get('conv1_relu') as unknown as { attrs: Record<string, { value: unknown }> };
      expect(relu.attrs['weight_names'].value).toEqual([]);
    } finally {
      f.close();
      model.dispose();
    }
  });

  it('random-init MobileNet 1.0: weights-only .h5 → detected architecture, exact weights, same tfjs outputs, ONNX within 1e-4', async () => {
    const original = mobileNetV1({ alpha: 1 });
    randomizeBatchNorm(original, 4);
    const file = path.join(dir, 'mobilenet_1_0_224_tf.h5');
    await writeKerasH5(original, file);
    const contents = await readKerasH5(file);
    expect(detectH5Architecture(contents, file)).toEqual({ kind: 'mobilenet', alpha: 1, depthMultiplier: 1, inputSize: 224, includeTop: true, classes: 1000 });
    const loaded = await loadKerasModel(file); // through the package's generic loader (.h5 hook)
    const x = randomImages(2, 1);
    const reference = await asLoaded(original);
    const runners = await Promise.all([createWasmRunner(reference, { threads: 1 }), createWasmRunner(loaded, { threads: 1 }), createOnnxRunner(loaded, { threads: 2 })]);
    try {
      expect(loaded.model.countParams()).toBe(4_253_864);
      expect(loaded.model.layers.map((l) => l.name)).toEqual(original.layers.map((l) => l.name));
      expectSameWeights(original, loaded.model);
      const [want, got, onnx] = await Promise.all(runners.map((r) => r.predict(x, 2)));
      expect(maxAbsDiff(got, want)).toBe(0);
      expect(maxAbsDiff(onnx, want)).toBeLessThanOrEqual(1e-4);
      expect(loaded.artifacts.weightSpecs?.length).toBe(original.weights.length);
    } finally {
      await Promise.all(runners.map((r) => r.dispose()));
      original.dispose();
      loaded.model.dispose();
    }
  }, 120_000);

  it('random-init ResNet50: weights-only .h5 round trip reproduces the tfjs output; ONNX agrees within 1e-4', async () => {
    const original = resNet50();
    const file = path.join(dir, 'resnet50_weights_tf_dim_ordering_tf_kernels.h5');
    await writeKerasH5(original, file);
    const loaded = await loadKerasModel(file);
    const x = randomImages(1, 2);
    const reference = await asLoaded(original);
    const runners = await Promise.all([createWasmRunner(reference, { threads: 1 }), createWasmRunner(loaded, { threads: 1 }), createOnnxRunner(loaded, { threads: 2 })]);
    try {
      expect(loaded.model.countParams()).toBe(25_636_712);
      expectSameWeights(original, loaded.model);
      const [want, got, onnx] = await Promise.all(runners.map((r) => r.predict(x, 1)));
      expect(want.every(Number.isFinite)).toBe(true);
      expect(maxAbsDiff(got, want)).toBe(0);
      expect(maxAbsDiff(onnx, want)).toBeLessThanOrEqual(1e-4);
    } finally {
      await Promise.all(runners.map((r) => r.dispose()));
      original.dispose();
      loaded.model.dispose();
    }
  }, 240_000);

  it('a model_config tfjs cannot read (e.g. Keras 3) still loads when the weights match a built-in architecture', async () => {
    const model = mobileNetV1({ alpha: 0.5 });
    const file = path.join(dir, 'keras3_style.h5');
    await writeKerasH5(model, file, { includeModelConfig: true });
    const keras3Config = { module: 'keras', class_name: 'Functional', config: { name: 'mobilenet_0.50_224', layers: [{ module: 'keras.layers', class_name: 'InputLayer', config: { batch_shape: [null, 224, 224, 3] }, inbound_nodes: [{ args: [], kwargs: {} }] }] } };
    await h5wasm.ready;
    const f = new h5wasm.File(file, 'a');
    f.delete_attribute('model_config');
    f.create_attribute('model_config', JSON.stringify(keras3Config));
    f.close();
    const loaded = await loadKerasModel(file);
    expect(loaded.model.countParams()).toBe(1_342_536);
    expectSameWeights(model, loaded.model);
    model.dispose();
    loaded.model.dispose();
  });

  it('bad files are coded errors: wrong shapes, NaN, missing layers, unknown architecture, .keras zip, not HDF5', async () => {
    const small = mobileNetV1({ alpha: 0.25 });
    const file = path.join(dir, 'small.h5');
    await writeKerasH5(small, file);
    const contents = await readKerasH5(file);
    const wider = mobileNetV1({ alpha: 0.5 });
    expect(() => assignH5Weights(wider, contents)).toThrow(/conv1.*shape \[3,3,3,8\].*\[3,3,3,16\]/);
    const bad = contents.layers.get('conv_pw_3_bn')![2];
    bad.data[5] = Number.NaN;
    expect(() => assignH5Weights(small, contents)).toThrowError(expect.objectContaining({ code: 'NAN_WEIGHTS' }));
    bad.data[5] = 0;
    contents.layers.delete('conv_dw_7');
    expect(() => assignH5Weights(small, contents)).toThrowError(expect.objectContaining({ code: 'BAD_WEIGHTS', message: expect.stringMatching(/conv_dw_7/) }));

    const other = tf.sequential({ layers: [tf.layers.dense({ inputShape: [4], units: 2, name: 'fc' })] });
    const otherFile = path.join(dir, 'other.h5');
    await writeKerasH5(other, otherFile);
    expect((await errorOf(loadKerasModel(otherFile))).message).toMatch(/no model_config.*MobileNet v1, ResNet50/);

    const zip = path.join(dir, 'model.keras');
    writeFileSync(zip, Buffer.from([0x50, 0x4b, 0x03, 0x04, 0, 0, 0, 0, 0, 0]));
    expect(await errorOf(loadKerasModel(zip))).toMatchObject({ code: 'BAD_WEIGHTS', message: expect.stringMatching(/Keras 3 \.keras archive/) });
    const junk = path.join(dir, 'junk.h5');
    writeFileSync(junk, 'not hdf5 at all');
    expect(await errorOf(loadKerasModel(junk))).toMatchObject({ code: 'BAD_WEIGHTS', message: expect.stringMatching(/not an HDF5 file/) });
    small.dispose();
    wider.dispose();
    other.dispose();
  });
});

describe.skipIf(needs('../shared/models and ../shared/oid-real', haveModels && haveImages))('real MobileNet α=0.75 weights through .h5 (needs ../shared)', () => {
  it('weights-only and full-model (model_config) .h5 files reproduce the tfjs outputs on real photos', async () => {
    const real = await loadKerasModel(mobilenetDir);
    const weightsOnly = path.join(dir, 'mobilenet_7_5_224_tf.h5');
    const full = path.join(dir, 'mobilenet_0.75_full.h5');
    await writeKerasH5(real.model, weightsOnly);
    await writeKerasH5(real.model, full, { includeModelConfig: true });
    const fromWeights = await loadKerasModel(weightsOnly);
    const fromFull = await loadKerasModel(full);
    const files = realImageFiles(4);
    const x = await preprocessFiles(files, 'tf');
    const runners = await Promise.all([real, fromWeights, fromFull].map((m) => createWasmRunner(m, { threads: 1 })));
    try {
      for (const m of [fromWeights, fromFull]) {
        expect(m.model.countParams()).toBe(2_601_976);
        expectSameWeights(real.model, m.model);
      }
      const [want, a, b] = await Promise.all(runners.map((r) => r.predict(x, files.length)));
      expect(maxAbsDiff(a, want)).toBe(0);
      expect(maxAbsDiff(b, want)).toBe(0);
    } finally {
      await Promise.all(runners.map((r) => r.dispose()));
      for (const m of [real, fromWeights, fromFull]) m.model.dispose();
    }
  }, 120_000);
});
