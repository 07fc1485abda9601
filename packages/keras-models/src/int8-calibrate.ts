import os from 'node:os';
import type * as tf from './tfjs.js';
import { KerasModelsError } from './errors.js';
import { compileCalibrationProbe, type ActivationType, type TensorRange } from './onnx-int8.js';
import type { CompiledOnnxModel } from './onnx-compile.js';

export type CalibrationMethod = 'minmax' | 'percentile';
export const CALIBRATION_METHODS: readonly CalibrationMethod[] = ['minmax', 'percentile'];

type Ort = typeof import('onnxruntime-node');
type Session = import('onnxruntime-node').InferenceSession;

/** Images per calibration run: bounds the memory of the probe outputs (every quantized tensor of the batch). */
const PROBE_BATCH = 4;
const BINS = 2048;

async function loadOrt(): Promise<Ort> {
  try {
    return await import('onnxruntime-node');
  } catch (err) {
    throw new KerasModelsError('BACKEND_UNAVAILABLE', `int8 needs onnxruntime-node, which cannot load: ${(err as Error).message}`, { cause: err });
  }
}

export async function openSession(bytes: Uint8Array, threads = os.availableParallelism()): Promise<Session> {
  const ort = await loadOrt();
  return ort.InferenceSession.create(bytes, { executionProviders: ['cpu'], intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: 'all' });
}

/** Run `session` over the images (NHWC floats, `per` per image) in small batches; `each` sees every output by name. */
export async function runBatches(
  session: Session,
  inputName: string,
  images: Float32Array,
  per: number,
  dims: [number, number, number],
  each: (outputs: Record<string, Float32Array>, first: number, n: number, dims: Record<string, readonly number[]>) => void,
  batch = PROBE_BATCH,
): Promise<void> {
  const ort = await loadOrt();
  const total = images.length / per;
  for (let i = 0; i < total; i += batch) {
    const n = Math.min(batch, total - i);
    const feed = new ort.Tensor('float32', images.subarray(i * per, (i + n) * per), [n, ...dims]);
    const out = await session.run({ [inputName]: feed });
    each(Object.fromEntries(Object.entries(out).map(([k, t]) => [k, t.data as Float32Array])), i, n, Object.fromEntries(Object.entries(out).map(([k, t]) => [k, t.dims])));
  }
}

/**
 * Running statistics of one tensor: min, max, and histograms of the positive values and of the magnitudes of the
 * negative ones over [0, R), where R doubles (merging bins pairwise) when a larger value comes — one pass, fixed memory.
 */
export class TensorStats {
  min = Infinity;
  max = -Infinity;
  count = 0;
  readonly pos = new Float64Array(BINS);
  readonly neg = new Float64Array(BINS);
  posRange = 0;
  negRange = 0;
  /** Per-channel sums of a rank-4 (NCHW) tensor, and the values per channel seen (bias correction's means). */
  channelSums?: Float64Array;
  perChannel = 0;

  /** Adds the per-channel sums of an NCHW batch. */
  addChannels(values: Float32Array, dims: readonly number[]): void {
    if (dims.length !== 4) return;
    const [n, c, h, w] = dims;
    const sums = (this.channelSums ??= new Float64Array(c));
    for (let b = 0; b < n; b++) {
      for (let ch = 0; ch < c; ch++) {
        let acc = 0;
        const at = (b * c + ch) * h * w;
        for (let i = 0; i < h * w; i++) acc += values[at + i];
        sums[ch] += acc;
      }
    }
    this.perChannel += n * h * w;
  }

  /** Mean of each channel (rank-4 tensors), or undefined. */
  channelMeans(): Float32Array | undefined {
    return this.channelSums && Float32Array.from(this.channelSums, (v) => v / this.perChannel);
  }

  add(values: Float32Array): void {
    let mn = this.min;
    let mx = this.max;
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (v < mn) mn = v;
      if (v > mx) mx = v;
    }
    this.min = mn;
    this.max = mx;
    this.count += values.length;
    this.posRange = grow(this.pos, this.posRange, mx);
    this.negRange = grow(this.neg, this.negRange, -mn);
    const kp = this.posRange > 0 ? BINS / this.posRange : 0;
    const kn = this.negRange > 0 ? BINS / this.negRange : 0;
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (v >= 0) this.pos[Math.min(BINS - 1, Math.floor(v * kp))]++;
      else this.neg[Math.min(BINS - 1, Math.floor(-v * kn))]++;
    }
  }

  /** The range holding `p` % of the values (each tail cut at (100 − p) %), never wider than MinMax. */
  percentile(p: number): TensorRange {
    const cut = (this.count * (100 - p)) / 100;
    const edge = (hist: Float64Array, range: number) => {
      let i = BINS - 1;
      for (let acc = 0; i > 0 && acc + hist[i] <= cut; i--) acc += hist[i];
      return ((i + 1) * range) / BINS;
    };
    // a Relu6 output must stay within [0, 6] for ONNX Runtime to drop the Clip: clamp to what was seen
    const max = Math.max(0, Math.min(this.max, edge(this.pos, this.posRange)));
    const min = this.min >= 0 ? this.min : Math.min(0, Math.max(this.min, -edge(this.neg, this.negRange)));
    return { min, max };
  }
}

/** Widen a histogram over [0, range) to hold `value` (doubling, bins merged pairwise); returns the new range. */
function grow(hist: Float64Array, range: number, value: number): number {
  if (!(value > 0)) return range;
  if (range === 0) return value * 1.0001;
  let r = range;
  while (value >= r) {
    for (let i = 0; i < BINS / 2; i++) hist[i] = hist[2 * i] + hist[2 * i + 1];
    hist.fill(0, BINS / 2);
    r *= 2;
  }
  return r;
}

/** Per-tensor statistics of every tensor the int8 graph quantizes, over the calibration images: MinMax and percentile. */
export async function calibrationRanges(
  model: tf.LayersModel,
  images: Float32Array,
  options: { percentile: number; threads?: number },
): Promise<Record<CalibrationMethod, Map<string, TensorRange>> & { means: Map<string, Float32Array> }> {
  const { compiled: probe, tensors } = compileCalibrationProbe(model);
  const [, h, w, c] = probe.inputShape as number[];
  const session = await openSession(probe.bytes, options.threads);
  const stats = new Map(tensors.map((t) => [t, new TensorStats()]));
  try {
    await runBatches(session, probe.inputName, images, h * w * c, [h, w, c], (out, _first, _n, dims) => {
      for (const [t, st] of stats) {
        st.add(out[t]);
        st.addChannels(out[t], dims[t]);
      }
    });
  } finally {
    await session.release();
  }
  const minmax = new Map<string, TensorRange>();
  const percentile = new Map<string, TensorRange>();
  const means = new Map<string, Float32Array>();
  for (const [t, st] of stats) {
    minmax.set(t, { min: st.min, max: st.max });
    percentile.set(t, st.percentile(options.percentile));
    const m = st.channelMeans();
    if (m) means.set(t, m);
  }
  return { minmax, percentile, means };
}

/** Top-1 class of each image in a probabilities / logits matrix. */
export function top1(probs: Float32Array, classes: number): Int32Array {
  const n = probs.length / classes;
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (probs[i * classes + c] > probs[i * classes + best]) best = c;
    out[i] = best;
  }
  return out;
}

/** The model's outputs (classes per image) over all images. */
export async function predictAll(compiled: CompiledOnnxModel, images: Float32Array, threads?: number): Promise<Float32Array> {
  const [, h, w, c] = compiled.inputShape as number[];
  const per = h * w * c;
  const classes = compiled.outputShape[compiled.outputShape.length - 1] as number;
  const out = new Float32Array((images.length / per) * classes);
  const session = await openSession(compiled.bytes, threads);
  try {
    await runBatches(session, compiled.inputName, images, per, [h, w, c], (o, first, n) => out.set(o[compiled.outputName].subarray(0, n * classes), first * classes), 16);
  } finally {
    await session.release();
  }
  return out;
}

export interface Agreement {
  /** Share of images whose int8 top-1 equals the FP32 top-1. */
  top1: number;
  /** Mean |p_int8 − p_fp32| over all outputs (tie-breaker). */
  meanAbsDiff: number;
}

export function agreement(fp32: Float32Array, int8: Float32Array, classes: number): Agreement {
  const a = top1(fp32, classes);
  const b = top1(int8, classes);
  let same = 0;
  for (let i = 0; i < a.length; i++) same += +(a[i] === b[i]);
  let diff = 0;
  for (let i = 0; i < fp32.length; i++) diff += Math.abs(fp32[i] - int8[i]);
  return { top1: a.length ? same / a.length : 1, meanAbsDiff: fp32.length ? diff / fp32.length : 0 };
}

export type { ActivationType };
