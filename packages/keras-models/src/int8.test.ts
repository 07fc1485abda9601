import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { needs } from '@oidstream/test-needs';
import { haveImages, haveModels, lcg, mobilenetDir, realImageFiles } from '../test/keras-fixtures.js';
import { calibrationSample } from './calibration-sample.js';
import { classifyBatch } from './classify-batch.js';
import { closeClassifier, openClassifier, type ClassifierModel } from './classifier.js';
import { TensorStats } from './int8-calibrate.js';
import { cpuHasVnni } from './int8-model.js';
import { activationParams, correctBias, quantizeWeights } from './onnx-int8.js';

describe('int8 arithmetic', () => {
  it('weights: per output channel, symmetric, within half a step of the float value', () => {
    const rnd = lcg(3);
    const data = Float32Array.from({ length: 4 * 18 }, (_, i) => (rnd() - 0.5) * (i < 18 ? 0.01 : 3)); // channel 0 is tiny
    const { q, scales } = quantizeWeights({ dims: [4, 2, 3, 3], data }, 0);
    for (let c = 0; c < 4; c++) {
      const ch = Array.from(q.subarray(c * 18, (c + 1) * 18));
      expect(Math.max(...ch.map(Math.abs))).toBe(127); // each channel uses its full range
      for (let j = 0; j < 18; j++) expect(Math.abs(q[c * 18 + j] * scales[c] - data[c * 18 + j])).toBeLessThanOrEqual(scales[c] / 2 + 1e-9);
    }
    expect(scales[0]).toBeLessThan(scales[1] / 50);
    expect(Math.max(...Array.from(quantizeWeights({ dims: [4, 2, 3, 3], data }, 0, 63).q, Math.abs))).toBe(63);
  });

  it('per-tensor weights: one scale for all channels, full range only where the largest weight is', () => {
    const data = Float32Array.from({ length: 2 * 9 }, (_, i) => (i < 9 ? 0.1 : 2) * Math.sin(i + 1));
    const { q, scales } = quantizeWeights({ dims: [2, 1, 3, 3], data }, 0, 63, false);
    expect(scales[0]).toBe(scales[1]);
    expect(Math.max(...Array.from(q.subarray(9), Math.abs))).toBe(63);
    expect(Math.max(...Array.from(q.subarray(0, 9), Math.abs))).toBeLessThan(8); // the small channel gets few levels: why per-channel is the default
  });

  it('bias correction: the quantized conv has the float conv\'s mean output over the calibration inputs', () => {
    // a 1×1 conv, 3 → 2 channels (group 1), and a depthwise 3×3 on 2 channels, on inputs with non-zero channel means
    const rnd = lcg(11);
    const cases = [
      { dims: [2, 3, 1, 1], group: 1, cin: 3 },
      { dims: [2, 1, 3, 3], group: 2, cin: 2 },
    ];
    for (const { dims, group, cin } of cases) {
      const w = { dims, data: Float32Array.from({ length: dims.reduce((a, b) => a * b) }, () => rnd() - 0.5) };
      const taps = dims[2] * dims[3];
      // one value per channel and sample, the same under every tap (so E[x] per channel is exact for every tap)
      const samples = Array.from({ length: 200 }, () => {
        const v = Array.from({ length: cin }, (_, c) => 1 + c + rnd());
        return Float32Array.from({ length: cin * taps }, (_, i) => v[Math.floor(i / taps)]);
      });
      const mean = Float32Array.from({ length: cin }, (_, c) => samples.reduce((a, x) => a + x[c * taps], 0) / samples.length);
      const { q, scales } = quantizeWeights(w, 0, 63);
      const bias = Float32Array.of(0.25, -0.5);
      const fixed = correctBias(w, q, scales, group, mean, bias);
      const out = (o: number, x: Float32Array, wq: boolean, b: Float32Array) => {
        const first = group === 1 ? 0 : o; // depthwise: output o reads input channel o
        let y = b[o];
        for (let c = 0; c < dims[1]; c++) for (let k = 0; k < taps; k++) {
          const i = (o * dims[1] + c) * taps + k;
          y += (wq ? q[i] * scales[o] : w.data[i]) * x[(first + c) * taps + k];
        }
        return y;
      };
      for (let o = 0; o < 2; o++) {
        const avg = (wq: boolean, b: Float32Array) => samples.reduce((a, x) => a + out(o, x, wq, b), 0) / samples.length;
        const before = Math.abs(avg(true, bias) - avg(false, bias));
        const after = Math.abs(avg(true, fixed) - avg(false, bias));
        expect(after).toBeLessThan(1e-5);
        expect(before).toBeGreaterThan(10 * after);
      }
    }
  });

  it('activations: 0 is exact, a Relu range has zero point 0, 7-bit levels stay within 0…127', () => {
    expect(activationParams({ min: 0, max: 6 }, 'uint8')).toEqual({ scale: 6 / 255, zeroPoint: 0 });
    expect(activationParams({ min: 0, max: 6 }, 'int8').zeroPoint).toBe(-128);
    const p = activationParams({ min: -1, max: 3 }, 'uint8', 127);
    expect(p.scale).toBeCloseTo(4 / 127, 12);
    expect(p.zeroPoint).toBe(32);
  });

  it('tensor statistics: one pass, the histogram grows without losing counts, percentile drops outliers', () => {
    const st = new TensorStats();
    const rnd = lcg(5);
    st.add(Float32Array.from({ length: 10_000 }, () => rnd() * 0.5));
    st.add(Float32Array.from({ length: 10_000 }, () => rnd() - 0.2));
    st.add(Float32Array.of(100, -50));
    expect(st.count).toBe(20_002);
    expect(st.pos.reduce((a, b) => a + b, 0) + st.neg.reduce((a, b) => a + b, 0)).toBe(20_002);
    expect([st.min, st.max]).toEqual([-50, 100]);
    const r = st.percentile(99.9);
    expect(r.max).toBeGreaterThan(0.7);
    expect(r.max).toBeLessThan(1.1);
    expect(r.min).toBeLessThan(-0.1);
    expect(r.min).toBeGreaterThan(-0.3);
    const relu = new TensorStats();
    relu.add(Float32Array.of(0, 1, 2, 6));
    expect(relu.percentile(99.99)).toEqual({ min: 0, max: 6 }); // never past what was seen (Relu6 → Clip removal)
  });

  it('the calibration sample is the same whatever the record order', async () => {
    const recs = Array.from({ length: 50 }, (_, i) => ({ chip_id: `c${i}`, chip: Uint8Array.of(i + 1) }));
    const a = await calibrationSample(recs, { size: 7 });
    const b = await calibrationSample([...recs].reverse(), { size: 7 });
    expect(a.map((x) => x[0])).toEqual(b.map((x) => x[0]));
    expect(a).toHaveLength(7);
  });
});

describe.skipIf(needs('../shared/models and ../shared/oid-real', haveModels && haveImages))('int8 MobileNet v1 α=0.75 on the real photos (needs ../shared)', () => {
  let root: string;
  let fp32: ClassifierModel;
  let photos: Uint8Array[];
  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'keras-int8-'));
    photos = realImageFiles().map((f) => new Uint8Array(readFileSync(f)));
    fp32 = await openClassifier({ name: 'm', source: mobilenetDir, backend: 'onnx', threads: 2 });
  }, 120_000);
  afterAll(async () => {
    await closeClassifier(fp32);
    await rm(root, { recursive: true, force: true });
  });

  it('calibrates once (cached by weights + sample), reports its agreement, and classifies like FP32', async () => {
    const cacheDir = path.join(root, 'int8');
    const warnings: string[] = [];
    const int8 = await openClassifier({ name: 'm', source: mobilenetDir, threads: 2, precision: 'int8', int8: { images: photos, cacheDir }, onWarning: (m) => warnings.push(m) });
    try {
      expect(int8.precision).toBe('int8');
      expect(int8.runner.backend).toBe('onnx');
      const r = int8.int8!;
      expect(r.cached).toBe(false);
      expect(r.images).toBe(photos.length);
      expect(Object.keys(r.agreement).sort()).toEqual(['minmax', 'percentile']);
      expect(r.top1Agreement).toBe(Math.max(...Object.values(r.agreement)));
      // without VNNI, 8-bit weights saturate ONNX Runtime's u8·s8 kernel: the default is then 7-bit (reduce_range)
      expect(r).toMatchObject({ weights: cpuHasVnni() ? 'int8' : 'int8-7bit', activations: 'uint8', biasCorrection: true });
      console.log(`int8 (${r.weights} weights, ${r.activations} activations, ${r.method}): agreement ${JSON.stringify(r.agreement)}`);
      const recs = photos.map((chip, i) => ({ chip_id: String(i), chip }));
      const [a, b] = [await classifyBatch(recs, { models: [fp32] }), await classifyBatch(recs, { models: [int8] })];
      const same = a.filter((row, i) => row.m_wnid === b[i].m_wnid).length / a.length;
      expect(same).toBe(r.top1Agreement); // the same photos, the same model: the reported figure is what classify gives
      expect(same).toBeGreaterThanOrEqual(0.95);
      expect(warnings.length > 0).toBe(same < 0.98);
    } finally {
      await closeClassifier(int8);
    }
    expect((await readdir(cacheDir)).sort()).toEqual([`${int8.int8!.key}.onnx`, `${int8.int8!.key}.onnx.json`]);
    const again = await openClassifier({ name: 'm', source: mobilenetDir, threads: 2, precision: 'int8', int8: { images: photos, cacheDir } });
    await closeClassifier(again);
    expect(again.int8).toMatchObject({ cached: true, key: int8.int8!.key, top1Agreement: int8.int8!.top1Agreement });
    const other = await openClassifier({ name: 'm', source: mobilenetDir, threads: 2, precision: 'int8', int8: { images: photos.slice(1), cacheDir, method: 'minmax' } });
    await closeClassifier(other);
    expect(other.int8!.cached).toBe(false); // another sample is another model
    expect(other.int8!.key).not.toBe(int8.int8!.key);
  }, 600_000);

  it('agrees with FP32 on photos it was not calibrated on; another weight mode is another cached model', async () => {
    const cacheDir = path.join(root, 'int8');
    const seen = photos.filter((_, i) => i % 2 === 0);
    const unseen = photos.filter((_, i) => i % 2 === 1).map((chip, i) => ({ chip_id: String(i), chip }));
    const int8 = await openClassifier({ name: 'm', source: mobilenetDir, threads: 2, precision: 'int8', int8: { images: seen, cacheDir }, onWarning: () => {} });
    try {
      const [a, b] = [await classifyBatch(unseen, { models: [fp32] }), await classifyBatch(unseen, { models: [int8] })];
      const same = a.filter((row, i) => row.m_wnid === b[i].m_wnid).length;
      console.log(`int8 on ${unseen.length} photos it did not see: ${same} agree with FP32`);
      expect(same / unseen.length).toBeGreaterThanOrEqual(0.95);
    } finally {
      await closeClassifier(int8);
    }
    const u8 = await openClassifier({ name: 'm', source: mobilenetDir, threads: 2, precision: 'int8', int8: { images: seen, cacheDir, weights: 'uint8' }, onWarning: () => {} });
    await closeClassifier(u8);
    expect(u8.int8).toMatchObject({ cached: false, weights: 'uint8' });
    expect(u8.int8!.key).not.toBe(int8.int8!.key);
  }, 600_000);

  it('falls back to FP32 below the agreement threshold when asked, and checks its options', async () => {
    const cacheDir = path.join(root, 'int8');
    const warnings: string[] = [];
    const m = await openClassifier({
      name: 'm', source: mobilenetDir, threads: 2, precision: 'int8',
      int8: { images: photos, cacheDir, minAgreement: 1.01, fallback: true }, onWarning: (w) => warnings.push(w),
    });
    await closeClassifier(m);
    expect(m.precision).toBe('fp32');
    expect(m.int8!.fellBack).toBe(true);
    expect(warnings.join('\n')).toMatch(/running FP32 instead/);
    await expect(openClassifier({ name: 'm', source: mobilenetDir, precision: 'int8', backend: 'wasm', int8: { images: photos } })).rejects.toMatchObject({ code: 'BAD_OPTION' });
    await expect(openClassifier({ name: 'm', source: mobilenetDir, precision: 'int8' })).rejects.toMatchObject({ code: 'BAD_OPTION' });
    await expect(openClassifier({ name: 'm', source: mobilenetDir, precision: 'fp16' as never })).rejects.toMatchObject({ code: 'BAD_OPTION' });
  }, 600_000);
});
