import type * as tf from './tfjs.js';
import { compileWith, fp32Context, type CompiledOnnxModel, type OnnxCompileOptions } from './onnx-compile.js';
import type { CompileContext, OnnxKernel, ResolvedCompileOptions } from './onnx-context.js';
import { attr, floatTensor, typedTensor, type OnnxNode } from './onnx-proto.js';

/** Activation storage type: uint8 (u8·s8, the VNNI fast path on x86) or int8. */
export type ActivationType = 'uint8' | 'int8';

/** A calibrated float range of one graph tensor. */
export interface TensorRange {
  min: number;
  max: number;
}

export interface Int8Plan {
  /** Calibrated ranges by tensor name; a tensor without one stays float (and so does the op reading it). */
  ranges: ReadonlyMap<string, TensorRange>;
  /** Default 'uint8'. */
  activations?: ActivationType;
  /** Quantize depthwise convolutions too. Default true. */
  depthwise?: boolean;
  /**
   * Largest weight magnitude: 127 (8-bit), or 63 (7-bit), which x86 CPUs without VNNI need: their u8·s8 AVX2 kernel
   * (VPMADDUBSW) saturates int16 on pairs of 8-bit products. Default 127.
   */
  weightMax?: 127 | 63;
  /**
   * Activation levels: 255 (8-bit), or 127 (7-bit: values 0…127 of uint8), which keeps AVX2's u8·s8 pairs
   * (2·127·127) inside int16 with full 8-bit weights. Default 255.
   */
  activationLevels?: 255 | 127;
  /** Weight storage: int8 with zero point 0, or uint8 with zero point 128 (u8·u8 kernels, exact on AVX2). Default 'int8'. */
  weights?: 'int8' | 'uint8';
  /**
   * Per-channel means of the conv inputs (NCHW, from calibration): each conv's bias absorbs the mean shift its
   * weight rounding causes, (W_q − W)·E[x] (bias correction; matters for 3×3 depthwise, 9 weights a channel).
   */
  means?: ReadonlyMap<string, Float32Array>;
  /** One weight scale per output channel (true) or per tensor. Default true. */
  perChannel?: boolean;
  /** Filled with the names of the tensors the graph quantizes (what calibration must measure). */
  record?: Set<string>;
}

/** Scale and zero point of an activation range (the range always includes 0, so 0 is exact). */
export function activationParams(r: TensorRange, type: ActivationType, levels = 255): { scale: number; zeroPoint: number } {
  const min = Math.min(0, r.min);
  const max = Math.max(0, r.max);
  const scale = max > min ? (max - min) / levels : 1;
  const lo = type === 'uint8' ? 0 : -128;
  return { scale, zeroPoint: Math.min(lo + levels, Math.max(lo, Math.round(lo - min / scale))) };
}

/**
 * Symmetric int8 weights ([-qmax, qmax]), one scale per output channel along `axis` (0: conv [cout, …]; 1: Gemm
 * [in, out]), or one for the whole tensor (`perChannel` false; the scales are then all equal).
 */
export function quantizeWeights(w: OnnxKernel, axis: 0 | 1, qmax = 127, perChannel = true): { q: Int8Array; scales: Float32Array } {
  const channels = w.dims[axis];
  const inner = axis === 0 ? w.data.length / channels : 1;
  const stride = axis === 0 ? 1 : channels;
  const outer = axis === 0 ? 1 : w.dims[0];
  const idx = (c: number, j: number) => (axis === 0 ? c * inner + j : j * stride + c);
  const n = axis === 0 ? inner : outer;
  const scales = new Float32Array(channels);
  const q = new Int8Array(w.data.length);
  const whole = perChannel ? 0 : w.data.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  for (let c = 0; c < channels; c++) {
    let amax = whole;
    if (perChannel) for (let j = 0; j < n; j++) amax = Math.max(amax, Math.abs(w.data[idx(c, j)]));
    const s = amax > 0 ? amax / qmax : 1;
    scales[c] = s;
    for (let j = 0; j < n; j++) q[idx(c, j)] = Math.max(-qmax, Math.min(qmax, Math.round(w.data[idx(c, j)] / s)));
  }
  return { q, scales };
}

const PASS_THROUGH = new Set(['Relu', 'Clip']);

/**
 * A compile context that writes QDQ around Conv and Add (ONNX Runtime fuses DQ → Conv → [Relu|Clip] → Q into
 * QLinearConv, and DQ+DQ → Add → Q into QLinearAdd). Activations are quantized where a quantized op reads them, so a
 * Relu/Clip sits between the op and its Q and ONNX Runtime drops it; a quantized op whose output is read by no Q gets
 * one after it.
 */
export function int8Context(plan: Int8Plan): (model: tf.LayersModel, opts: ResolvedCompileOptions) => CompileContext {
  const type = plan.activations ?? 'uint8';
  return (model, opts) => {
    const ctx = fp32Context(model, opts);
    const { b } = ctx;
    const { conv: fp32Conv, add: fp32Add } = ctx;
    const quants = new Map<string, { q: string; scale: number; s: string; zp: string }>();
    const outputs: string[] = []; // outputs of quantized ops
    const quant = (t: string) => {
      let q = quants.get(t);
      if (!q) {
        const { scale, zeroPoint } = activationParams(plan.ranges.get(t)!, type, plan.activationLevels ?? 255);
        const s = b.init(floatTensor(b.fresh(`${t}_scale`), [], Float32Array.of(scale)));
        const zpData = type === 'uint8' ? Uint8Array.of(zeroPoint) : Int8Array.of(zeroPoint);
        const zp = b.init(typedTensor(b.fresh(`${t}_zp`), [], zpData));
        q = { q: b.add('QuantizeLinear', [t, s, zp], `${t}_q`), scale, s, zp };
        quants.set(t, q);
      }
      return q;
    };
    /** The tensor through Q → DQ (one Q per tensor, one DQ per reader), or undefined when it has no range. */
    const dq = (t: string): { name: string; scale: number } | undefined => {
      if (!plan.ranges.has(t)) return undefined;
      const q = quant(t);
      return { name: b.add('DequantizeLinear', [q.q, q.s, q.zp], `${t}_dq`), scale: q.scale };
    };
    ctx.conv = (layer, input, weight, floatBias, attrs, outName) => {
      const group = attrs.find((a) => a.name === 'group')?.i ?? 1;
      if (group > 1 && plan.depthwise === false) return fp32Conv(layer, input, weight, floatBias, attrs, outName);
      const x = dq(input);
      if (!x) return fp32Conv(layer, input, weight, floatBias, attrs, outName);
      const perChannel = plan.perChannel ?? true;
      const { q, scales } = quantizeWeights(weight, 0, plan.weightMax ?? 127, perChannel);
      const cout = weight.dims[0];
      const u8 = plan.weights === 'uint8';
      const wq = b.init(typedTensor(b.fresh(`${layer}_Wq`), weight.dims, u8 ? Uint8Array.from(q, (v) => v + 128) : q), q.length);
      const n = perChannel ? cout : 1;
      const ws = b.init(floatTensor(b.fresh(`${layer}_Ws`), perChannel ? [cout] : [], scales.subarray(0, n)));
      const wzp = b.init(typedTensor(b.fresh(`${layer}_Wzp`), perChannel ? [cout] : [], u8 ? new Uint8Array(n).fill(128) : new Int8Array(n)));
      const inputs = [x.name, b.add('DequantizeLinear', [wq, ws, wzp], `${layer}_W`, perChannel ? [attr.int('axis', 0)] : [])];
      const mean = plan.means?.get(input);
      const bias = mean ? correctBias(weight, q, scales, group, mean, floatBias) : floatBias;
      if (bias) {
        // int32 bias at scale s_x·s_w, as QLinearConv wants it
        const bs = scales.map((s) => s * x.scale);
        const bq = Int32Array.from(bias, (v, o) => Math.max(-(2 ** 31), Math.min(2 ** 31 - 1, Math.round(v / bs[o]))));
        const bqName = b.init(typedTensor(b.fresh(`${layer}_Bq`), [cout], bq), cout);
        const bsName = b.init(floatTensor(b.fresh(`${layer}_Bs`), [cout], bs));
        const bzp = b.init(typedTensor(b.fresh(`${layer}_Bzp`), [cout], new Int32Array(cout)));
        inputs.push(b.add('DequantizeLinear', [bqName, bsName, bzp], `${layer}_B`, [attr.int('axis', 0)]));
      }
      const y = b.add('Conv', inputs, outName, attrs);
      outputs.push(y);
      return y;
    };
    ctx.add = (inputs, outName) => {
      const ins = inputs.map(dq);
      if (ins.some((v) => !v)) return fp32Add(inputs, outName);
      const y = b.add('Add', ins.map((v) => v!.name), outName);
      outputs.push(y);
      return y;
    };
    ctx.finish = () => {
      terminate(b.nodes, outputs, (t) => (plan.ranges.has(t) ? quant(t) : undefined), (t) => b.fresh(`${t}_dq`));
      for (const t of quants.keys()) plan.record?.add(t);
      return {};
    };
    return ctx;
  };
}

/**
 * Gives every quantized op whose output reaches no QuantizeLinear directly (or through Relu/Clip), but feeds one further
 * on, a Q → DQ after it; one that feeds none (the head) is left to compute in float.
 */
function terminate(
  nodes: OnnxNode[],
  outputs: string[],
  quant: (t: string) => { q: string; s: string; zp: string } | undefined,
  fresh: (t: string) => string,
): void {
  const readers = new Map<string, OnnxNode[]>();
  for (const n of nodes) for (const i of n.input) readers.set(i, [...(readers.get(i) ?? []), n]);
  const endsInQ = (t: string): boolean => {
    const r = readers.get(t) ?? [];
    if (r.length === 1 && r[0].opType === 'QuantizeLinear') return true;
    return r.length === 1 && PASS_THROUGH.has(r[0].opType) && endsInQ(r[0].output[0]);
  };
  const seen = new Set<string>();
  const feedsQ = (t: string): boolean =>
    (readers.get(t) ?? []).some((n) => n.opType === 'QuantizeLinear' || n.output.some((o) => !seen.has(o) && (seen.add(o), feedsQ(o))));
  for (const y of outputs) {
    if (endsInQ(y)) continue;
    seen.clear();
    // the head (e.g. the logits conv): nothing quantized follows, so it stays float — logits rounded to 8 bits flip
    // near-tied top-1 classes, for a few MFLOP of speed
    if (!feedsQ(y)) continue;
    const q = quant(y); // a new QuantizeLinear goes at the end; an existing one may sit after other readers
    if (!q) continue;
    const qNode = nodes.splice(nodes.findIndex((n) => n.output[0] === q.q), 1)[0];
    const dqName = fresh(y);
    const dqNode: OnnxNode = { name: dqName, opType: 'DequantizeLinear', input: [q.q, q.s, q.zp], output: [dqName], attribute: [] };
    for (const r of readers.get(y) ?? []) if (r !== qNode) r.input = r.input.map((i) => (i === y ? dqName : i));
    const at = nodes.findIndex((n) => n.output.includes(y));
    nodes.splice(at + 1, 0, qNode, dqNode);
  }
}

/** bias − (W_q·s − W)·E[x] per output channel (conv weights [cout, cin/group, kh, kw], NCHW input means). */
export function correctBias(w: OnnxKernel, q: Int8Array, scales: Float32Array, group: number, mean: Float32Array, bias?: Float32Array): Float32Array {
  const [cout, cinG] = w.dims;
  const taps = w.data.length / (cout * cinG);
  const out = Float32Array.from(bias ?? new Float32Array(cout));
  for (let o = 0; o < cout; o++) {
    const g = Math.floor(o / (cout / group));
    let shift = 0;
    for (let c = 0; c < cinG; c++) {
      let dw = 0;
      for (let k = 0; k < taps; k++) {
        const i = (o * cinG + c) * taps + k;
        dw += q[i] * scales[o] - w.data[i];
      }
      shift += dw * mean[g * cinG + c];
    }
    out[o] -= shift;
  }
  return out;
}

/** Compile a Keras model to a QDQ int8 ONNX graph with these ranges. */
export function compileKerasToOnnxInt8(model: tf.LayersModel, plan: Int8Plan, options: OnnxCompileOptions = {}): CompiledOnnxModel {
  return compileWith(model, options, int8Context(plan));
}

/** Every tensor "has" the range [-1, 1]: a dry compile that finds which tensors a quantized graph needs ranges for. */
const ANY_RANGE = { has: () => true, get: () => ({ min: -1, max: 1 }) } as unknown as ReadonlyMap<string, TensorRange>;

/** The FP32 graph with an extra output for each tensor the int8 graph quantizes (calibration runs it). */
export function compileCalibrationProbe(model: tf.LayersModel, options: OnnxCompileOptions = {}): { compiled: CompiledOnnxModel; tensors: string[] } {
  const record = new Set<string>();
  compileWith(model, options, int8Context({ ranges: ANY_RANGE, record }));
  const tensors = [...record];
  const compiled = compileWith(model, options, (m, o) => ({ ...fp32Context(m, o), finish: () => ({ extraOutputs: tensors }) }));
  return { compiled, tensors };
}
