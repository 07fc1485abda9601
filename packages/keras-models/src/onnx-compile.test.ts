import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from './tfjs.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { needs } from '@oidstream/test-needs';
import { mobileNetV1 } from './architectures/mobilenet.js';
import type { LoadedKerasModel } from './backend.js';
import { createRunner } from './create-runner.js';
import { KerasModelsError } from './errors.js';
import { createOnnxRunner } from './onnx-backend.js';
import { compileKerasToOnnx } from './onnx-compile.js';
import { decodeOnnxModel } from './onnx-proto.js';
import { mainTf } from './tfjs-main.js';
import { PREPROCESS_MODES } from './options.js';
import { preprocessPixels } from './preprocess.js';

type T = tf.SymbolicTensor;

/** Deterministic pseudo-random floats (tests must not depend on Math.random). */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** Random weights everywhere, with BatchNormalization statistics far from identity so folding is really exercised. */
function randomize(model: tf.LayersModel, seed = 1): void {
  const rnd = lcg(seed);
  for (const layer of model.layers) {
    const values = layer.weights.map((v) => {
      const n = v.shape.reduce((a: number, b) => a * (b as number), 1);
      const suffix = (v.originalName ?? v.name).split('/').pop()!;
      const data = new Float32Array(n);
      for (let i = 0; i < n; i++) {
        const u = rnd();
        data[i] = suffix === 'moving_variance' ? 0.2 + u * 2 : suffix === 'gamma' ? 0.5 + u : (u - 0.5) * (suffix === 'moving_mean' ? 1 : 0.6);
      }
      return tf.tensor(data, v.shape as number[]);
    });
    if (values.length) layer.setWeights(values);
    tf.dispose(values);
  }
}

function input(shape: number[], seed: number): Float32Array {
  const rnd = lcg(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  return Float32Array.from({ length: n }, () => rnd() * 2 - 1);
}

async function onnxVsTfjs(model: tf.LayersModel, batch = 2): Promise<number> {
  const shape = [batch, ...(model.inputs[0].shape.slice(1) as number[])];
  const x = input(shape, 7);
  const expected = tf.tidy(() => (model.predict(tf.tensor(x, shape)) as tf.Tensor).dataSync() as Float32Array);
  const compiled = compileKerasToOnnx(model);
  const ort = await import('onnxruntime-node');
  const session = await ort.InferenceSession.create(compiled.bytes, { intraOpNumThreads: 1 });
  const out = await session.run({ [compiled.inputName]: new ort.Tensor('float32', x, shape) });
  await session.release();
  const got = out[compiled.outputName];
  expect(got.dims).toEqual([batch, ...(model.outputs[0].shape.slice(1) as number[])]);
  const data = got.data as Float32Array;
  expect(data.length).toBe(expected.length);
  let maxDiff = 0;
  for (let i = 0; i < data.length; i++) maxDiff = Math.max(maxDiff, Math.abs(data[i] - expected[i]));
  return maxDiff;
}

beforeAll(async () => {
  await mainTf();
});

describe('compileKerasToOnnx', () => {
  it('convolutions with TF same padding on odd sizes (asymmetric pads), dilation, depthwise ×2, separable, folded BN', async () => {
    const inp = tf.input({ shape: [16, 15, 3] });
    let x = tf.layers.conv2d({ filters: 8, kernelSize: 3, strides: 2, padding: 'same', useBias: false, name: 'c1' }).apply(inp) as T;
    x = tf.layers.batchNormalization({ name: 'c1_bn' }).apply(x) as T;
    x = tf.layers.reLU({ maxValue: 6, name: 'c1_relu' }).apply(x) as T;
    x = tf.layers.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, strides: 2, padding: 'same', name: 'dw' }).apply(x) as T;
    x = tf.layers.batchNormalization({ name: 'dw_bn' }).apply(x) as T;
    x = tf.layers.activation({ activation: 'relu6', name: 'dw_relu' }).apply(x) as T;
    x = tf.layers.conv2d({ filters: 6, kernelSize: [2, 3], dilationRate: 2, padding: 'same', activation: 'elu', name: 'dil' }).apply(x) as T;
    x = tf.layers.separableConv2d({ filters: 10, kernelSize: 3, strides: 2, padding: 'same', name: 'sep' }).apply(x) as T;
    x = tf.layers.batchNormalization({ name: 'sep_bn' }).apply(x) as T;
    x = tf.layers.conv2d({ filters: 4, kernelSize: 1, activation: 'sigmoid', name: 'head' }).apply(x) as T;
    x = tf.layers.flatten({ name: 'flat' }).apply(x) as T; // 3×2×4: layout matters
    const model = tf.model({ inputs: inp, outputs: x });
    randomize(model);
    const compiled = compileKerasToOnnx(model);
    expect(compiled.stats.foldedBatchNorms).toBe(3);
    expect(await onnxVsTfjs(model)).toBeLessThan(1e-5);
    // Explicit pads written as TF does them: stride 2, k=3 over 16 rows → 0 before, 1 after (SAME_UPPER); 15 cols → 1, 1.
    const decoded = decodeOnnxModel(compiled.bytes);
    const c1 = decoded.graph.node.find((n: any) => n.opType === 'Conv');
    const pads = c1.attribute.find((a: any) => a.name === 'pads').ints;
    expect(pads).toEqual([0, 1, 1, 1]); // [top, left, bottom, right]
    expect(decoded.opsetImport[0].version).toBe(13);
  });

  it('pooling, zero padding, residual merges, concatenate, unfolded BN, dense head with softmax', async () => {
    const inp = tf.input({ shape: [13, 13, 4] });
    let x = tf.layers.zeroPadding2d({ padding: [[1, 2], [0, 3]], name: 'zp' }).apply(inp) as T;
    x = tf.layers.conv2d({ filters: 8, kernelSize: 3, strides: 2, name: 'c1' }).apply(x) as T; // pads fused into the conv
    x = tf.layers.activation({ activation: 'relu', name: 'r1' }).apply(x) as T;
    const p = tf.layers.zeroPadding2d({ padding: 1, name: 'pool_pad' }).apply(x) as T;
    const m = tf.layers.maxPooling2d({ poolSize: 3, strides: 2, name: 'maxpool' }).apply(p) as T;
    const a = tf.layers.averagePooling2d({ poolSize: 3, strides: 1, padding: 'same', name: 'avgpool' }).apply(m) as T;
    const mp = tf.layers.maxPooling2d({ poolSize: 2, strides: 1, padding: 'same', name: 'maxpool_same' }).apply(m) as T;
    const s = tf.layers.add({ name: 'add' }).apply([m, a]) as T;
    const mul = tf.layers.multiply({ name: 'mul' }).apply([s, mp]) as T;
    const avg = tf.layers.average({ name: 'avg' }).apply([mul, a, m]) as T;
    const mx = tf.layers.maximum({ name: 'max' }).apply([avg, m]) as T;
    const mn = tf.layers.minimum({ name: 'min' }).apply([mx, s, a]) as T;
    let c = tf.layers.concatenate({ name: 'cat' }).apply([mx, mn, a]) as T;
    c = tf.layers.batchNormalization({ name: 'bn_after_cat' }).apply(c) as T; // not after a conv: Mul/Add
    c = tf.layers.leakyReLU({ alpha: 0.1, name: 'leaky' }).apply(c) as T;
    const g = tf.layers.globalAveragePooling2d({ name: 'gap' }).apply(c) as T;
    const gm = tf.layers.globalMaxPooling2d({ name: 'gmp' }).apply(c) as T;
    let d = tf.layers.concatenate({ name: 'cat2' }).apply([g, gm]) as T;
    d = tf.layers.dense({ units: 12, name: 'fc1' }).apply(d) as T;
    d = tf.layers.batchNormalization({ name: 'bn_dense' }).apply(d) as T;
    d = tf.layers.dropout({ rate: 0.5, name: 'drop' }).apply(d) as T;
    d = tf.layers.dense({ units: 5, activation: 'softmax', name: 'predictions' }).apply(d) as T;
    const model = tf.model({ inputs: inp, outputs: d });
    randomize(model, 3);
    const compiled = compileKerasToOnnx(model);
    expect(compiled.stats.fusedPaddings).toBe(1);
    expect(compiled.stats.foldedBatchNorms).toBe(0);
    expect(await onnxVsTfjs(model, 3)).toBeLessThan(1e-5);
  });

  it('reshape across layouts, MobileNet-style 1×1 head, softmax layer, rescaling, Sequential models', async () => {
    const inp = tf.input({ shape: [6, 4, 2] });
    let x = tf.layers.rescaling({ scale: 1 / 127.5, offset: -1, name: 'rescale' }).apply(inp) as T;
    x = tf.layers.conv2d({ filters: 3, kernelSize: 3, padding: 'same', name: 'c' }).apply(x) as T;
    x = tf.layers.reshape({ targetShape: [4, 6, 3], name: 'shuffle' }).apply(x) as T; // real NHWC reinterpretation
    x = tf.layers.conv2d({ filters: 5, kernelSize: 2, name: 'c2' }).apply(x) as T;
    x = tf.layers.dense({ units: 6, activation: 'relu', name: 'dense_on_4d' }).apply(x) as T; // last axis of NHWC
    x = tf.layers.multiply({ name: 'mul3' }).apply([x, x, x]) as T;
    x = tf.layers.globalAveragePooling2d({ name: 'gap' }).apply(x) as T;
    x = tf.layers.reshape({ targetShape: [1, 1, 6], name: 'reshape_1' }).apply(x) as T;
    x = tf.layers.conv2d({ filters: 7, kernelSize: 1, name: 'conv_preds' }).apply(x) as T;
    x = tf.layers.softmax({ axis: -1, name: 'softmax' }).apply(x) as T;
    x = tf.layers.reshape({ targetShape: [7], name: 'reshape_2' }).apply(x) as T;
    const model = tf.model({ inputs: inp, outputs: x });
    randomize(model, 5);
    expect(await onnxVsTfjs(model)).toBeLessThan(1e-5);

    const seq = tf.sequential({
      layers: [
        tf.layers.conv2d({ inputShape: [9, 9, 3], filters: 4, kernelSize: 3, strides: 2, padding: 'same', activation: 'tanh' }),
        tf.layers.batchNormalization(),
        tf.layers.flatten(),
        tf.layers.dense({ units: 6, activation: 'softmax' }),
      ],
    });
    randomize(seq, 9);
    expect(await onnxVsTfjs(seq)).toBeLessThan(1e-5);
  });

  it('every tfjs activation and activation layer', async () => {
    const inp = tf.input({ shape: [4, 4, 6] });
    const acts = ['relu', 'relu6', 'sigmoid', 'hardSigmoid', 'tanh', 'elu', 'selu', 'softplus', 'softsign', 'swish', 'mish', 'gelu', 'gelu_new', 'softmax', 'logSoftmax', 'linear'];
    const branches = acts.map((a, i) => {
      const c = tf.layers.conv2d({ filters: 6, kernelSize: 1, name: `c_${i}` }).apply(inp) as T;
      return tf.layers.activation({ activation: a as 'relu', name: `act_${a}` }).apply(c) as T;
    });
    branches.push(tf.layers.elu({ name: 'elu_layer' }).apply(inp) as T);
    branches.push(tf.layers.thresholdedReLU({ theta: 0.2, name: 'thresholded' }).apply(inp) as T);
    branches.push(tf.layers.reLU({ name: 'plain_relu' }).apply(inp) as T);
    const out = tf.layers.concatenate({ name: 'all' }).apply(branches) as T;
    const model = tf.model({ inputs: inp, outputs: tf.layers.flatten({ name: 'flat' }).apply(out) as T });
    randomize(model, 13);
    expect(await onnxVsTfjs(model)).toBeLessThan(2e-5);
  });

  it('Cropping2D (NASNet) and PReLU', async () => {
    const inp = tf.input({ shape: [9, 8, 3] });
    let x = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', name: 'c' }).apply(inp) as T;
    x = tf.layers.cropping2D({ cropping: [[1, 0], [2, 1]], name: 'crop' }).apply(x) as T;
    x = tf.layers.prelu({ name: 'prelu' }).apply(x) as T;
    x = tf.layers.cropping2D({ cropping: 1, name: 'crop_sym' }).apply(x) as T;
    x = tf.layers.prelu({ sharedAxes: [1, 2], name: 'prelu_shared' }).apply(x) as T;
    const model = tf.model({ inputs: inp, outputs: tf.layers.flatten({ name: 'flat' }).apply(x) as T });
    randomize(model, 17);
    expect(await onnxVsTfjs(model)).toBeLessThan(1e-5);
  });

  it('a layer it cannot map is a coded error naming the layer, and createRunner(auto) falls back to tfjs', async () => {
    const inp = tf.input({ shape: [8, 8, 3] });
    let x = tf.layers.conv2d({ filters: 2, kernelSize: 3, name: 'c' }).apply(inp) as T;
    x = tf.layers.upSampling2d({ size: [2, 2], name: 'my_upsample' }).apply(x) as T;
    x = tf.layers.globalAveragePooling2d({}).apply(x) as T;
    x = tf.layers.dense({ units: 3, activation: 'softmax' }).apply(x) as T;
    const model = tf.model({ inputs: inp, outputs: x });
    let err: unknown;
    try {
      compileKerasToOnnx(model);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(KerasModelsError);
    expect((err as KerasModelsError).code).toBe('UNSUPPORTED_LAYER');
    expect((err as KerasModelsError).message).toMatch(/my_upsample.*UpSampling2D/);
    await expect(createOnnxRunner({ model })).rejects.toMatchObject({ code: 'UNSUPPORTED_LAYER' });

    // auto: onnx refuses, the next backend takes over, and the warning says why.
    const artifacts = await new Promise<tf.io.ModelArtifacts>((resolve) => {
      void model.save({ save: async (a) => (resolve(a), { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } }) });
    });
    const loaded = {
      model,
      topology: artifacts.modelTopology,
      weights: new Map(),
      artifacts,
      source: 'test',
      inputSize: [8, 8],
      numClasses: 3,
    } as unknown as LoadedKerasModel;
    const warnings: string[] = [];
    const runner = await createRunner(loaded, { backend: 'auto', threads: 1, onWarning: (m) => warnings.push(m) });
    try {
      expect(runner.backend).not.toBe('onnx');
      expect(warnings.join('\n')).toMatch(/onnx: .*my_upsample/);
      const probs = await runner.predict(input([1, 8, 8, 3], 2), 1);
      expect(probs.length).toBe(3);
    } finally {
      await runner.dispose();
    }
  }, 60_000);

  it("applies Keras preprocess_input inside the graph: raw pixels in, the outputs of JS-preprocessed input", async () => {
    const inp = tf.input({ shape: [6, 5, 3] });
    let x = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', name: 'c' }).apply(inp) as T;
    x = tf.layers.globalAveragePooling2d({}).apply(x) as T;
    x = tf.layers.dense({ units: 3, activation: 'softmax' }).apply(x) as T;
    const model = tf.model({ inputs: inp, outputs: x });
    randomize(model, 5);
    const rgb = Uint8Array.from({ length: 2 * 6 * 5 * 3 }, (_, i) => (i * 53 + 7) % 256);
    for (const mode of PREPROCESS_MODES) {
      const plain = await createOnnxRunner({ model }, { threads: 1, sessionThread: 'caller' });
      const inGraph = await createOnnxRunner({ model }, { threads: 1, sessionThread: 'caller', preprocessing: mode });
      const pre = new Float32Array(rgb.length);
      preprocessPixels(rgb, mode, pre);
      const [want, got] = await Promise.all([plain.predict(pre, 2), inGraph.predict(Float32Array.from(rgb), 2)]);
      expect([plain.inputPreprocessing, inGraph.inputPreprocessing]).toEqual([undefined, mode]);
      got.forEach((v, i) => expect(v, mode).toBeCloseTo(want[i], 6));
      await Promise.all([plain.dispose(), inGraph.dispose()]);
    }
    expect(() => compileKerasToOnnx(model, { preprocessing: 'bgr' as 'tf' })).toThrow(/unknown preprocessing/);
  });

  it('the ONNX runner checks its input and serialises concurrent predict calls', async () => {
    const inp = tf.input({ shape: [5, 5, 3] });
    let x = tf.layers.conv2d({ filters: 4, kernelSize: 3, name: 'c' }).apply(inp) as T;
    x = tf.layers.globalAveragePooling2d({}).apply(x) as T;
    x = tf.layers.dense({ units: 3, activation: 'softmax' }).apply(x) as T;
    const model = tf.model({ inputs: inp, outputs: x });
    randomize(model, 11);
    const runner = await createOnnxRunner({ model }, { threads: 2 });
    expect(runner.backend).toBe('onnx');
    expect(runner.inputSize).toEqual([5, 5]);
    expect(runner.numClasses).toBe(3);
    await expect(runner.predict(new Float32Array(10), 1)).rejects.toMatchObject({ code: 'BAD_INPUT' });
    const a = input([2, 5, 5, 3], 1);
    const b = input([1, 5, 5, 3], 2);
    const [pa, pb, pa2] = await Promise.all([runner.predict(a, 2), runner.predict(b, 1), runner.predict(a, 2)]);
    expect(pa.length).toBe(6);
    expect(pb.length).toBe(3);
    expect(Array.from(pa2)).toEqual(Array.from(pa));
    const expected = tf.tidy(() => (model.predict(tf.tensor(b, [1, 5, 5, 3])) as tf.Tensor).dataSync());
    pb.forEach((v, i) => expect(v).toBeCloseTo(expected[i], 5));
    await runner.dispose();
    await expect(runner.predict(a, 2)).rejects.toMatchObject({ code: 'BAD_INPUT' });
  });
});

// The reference ONNX checker (Debian's python3-onnx), when this machine has it: spec conformance beyond what
// onnxruntime happens to accept.
const python = '/usr/bin/python3';
const haveOnnxChecker = spawnSync(python, ['-c', 'import onnx'], { stdio: 'ignore' }).status === 0;

describe.skipIf(needs('python3-onnx (/usr/bin/python3 -c "import onnx")', haveOnnxChecker))('onnx.checker (needs /usr/bin/python3 with the onnx module: apt-get install python3-onnx)', () => {
  it('accepts the compiled MobileNet with full checks and strict shape inference', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'oidstream-onnx-'));
    try {
      const model = mobileNetV1({ alpha: 0.25 });
      const compiled = compileKerasToOnnx(model);
      model.dispose();
      const file = path.join(dir, 'm.onnx');
      writeFileSync(file, compiled.bytes);
      const script = [
        'import sys, onnx',
        'from onnx import checker, shape_inference',
        'm = onnx.load(sys.argv[1])',
        'checker.check_model(m, full_check=True)',
        'inf = shape_inference.infer_shapes(m, strict_mode=True)',
        'print([d.dim_param or d.dim_value for d in inf.graph.output[0].type.tensor_type.shape.dim])',
      ].join('\n');
      const r = spawnSync(python, ['-c', script, file], { encoding: 'utf8' });
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      expect(r.stdout.trim()).toBe("['N', 1000]");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
