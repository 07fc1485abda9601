import type * as tf from '@tensorflow/tfjs';
import { KerasModelsError } from './errors.js';
import {
  attr,
  encodeOnnxModel,
  floatTensor,
  int64Tensor,
  OnnxDataType,
  type OnnxAttribute,
  type OnnxNode,
  type OnnxTensor,
} from './onnx-proto.js';

/**
 * Keras graph → ONNX compiler. Rank-4 tensors are kept NCHW inside the graph (what ONNX Runtime's CPU kernels are
 * fastest at); the model input stays NHWC like Keras and is transposed once at the top. TF 'same' padding is written
 * as explicit (possibly asymmetric) pads, so results match TensorFlow exactly.
 */
export interface OnnxCompileOptions {
  /** Fold BatchNormalization into the preceding convolution where nothing else reads the conv output. Default true. */
  foldBatchNorm?: boolean;
  /** Merge ZeroPadding2D into the pads of the convolution that consumes it. Default true. */
  fusePadding?: boolean;
  /** Fixed batch size, or undefined for a symbolic batch dimension `N`. */
  batchSize?: number;
  /** ModelProto graph name. Default: the Keras model name. */
  graphName?: string;
}

const DEFAULT_COMPILE_OPTIONS = { foldBatchNorm: true, fusePadding: true } as const;
const OPSET = 13;
const IR_VERSION = 7;

export interface CompiledOnnxModel {
  /** Serialised ONNX ModelProto. */
  bytes: Uint8Array;
  inputName: string;
  outputName: string;
  /** Keras (NHWC) input shape, batch first; null = any size. */
  inputShape: Array<number | null>;
  outputShape: Array<number | null>;
  stats: { layers: number; nodes: number; foldedBatchNorms: number; fusedPaddings: number; parameters: number };
}

type Shape = Array<number | null>;

/** A graph value. Invariant: rank-4 values are NCHW in the ONNX graph, every other rank is in Keras layout. */
interface Value {
  name: string;
  /** Keras shape (channels last), batch first. */
  shape: Shape;
  /** Zero padding [top, bottom, left, right] not yet applied (ZeroPadding2D waiting for a conv to absorb it). */
  pads?: [number, number, number, number];
  padded?: string;
}

interface LayerJson {
  class_name: string;
  name: string;
  config: Record<string, any>;
  inbound_nodes: any[];
}

interface LayerCall {
  layer: LayerJson;
  nodeIndex: number;
  inputs: string[];
}

const IDENTITY_LAYERS = new Set([
  'Dropout',
  'SpatialDropout1D',
  'SpatialDropout2D',
  'SpatialDropout3D',
  'GaussianNoise',
  'GaussianDropout',
  'AlphaDropout',
  'ActivityRegularization',
]);
const CONV_LAYERS = new Set(['Conv2D', 'DepthwiseConv2D', 'SeparableConv2D']);

function unsupported(message: string): KerasModelsError {
  return new KerasModelsError('UNSUPPORTED_LAYER', message);
}

/** Keras' 2D cropping/padding spec (n, [rows, cols] or [[top, bottom], [left, right]]) as [top, bottom, left, right]. */
function edges2d(p: unknown, what: string): [number, number, number, number] {
  if (typeof p === 'number') return [p, p, p, p];
  if (Array.isArray(p) && p.length === 2 && typeof p[0] === 'number') return [p[0], p[0], p[1], p[1]];
  if (Array.isArray(p) && p.length === 2 && Array.isArray(p[0])) return [p[0][0], p[0][1], p[1][0], p[1][1]];
  throw unsupported(`${what} ${JSON.stringify(p)}`);
}

function pair(v: unknown, what: string, layer: string): [number, number] {
  if (typeof v === 'number') return [v, v];
  if (Array.isArray(v) && v.length === 2 && v.every((x) => typeof x === 'number')) return [v[0], v[1]];
  if (Array.isArray(v) && v.length === 1 && typeof v[0] === 'number') return [v[0], v[0]];
  throw unsupported(`layer ${layer}: cannot read ${what} ${JSON.stringify(v)}`);
}

const key = (layer: string, node: number, tensor: number): string => `${layer}\u0000${node}\u0000${tensor}`;

/** TF 'same' padding for one spatial dim: the extra pixel goes at the end (what ONNX calls SAME_UPPER). */
function samePads(size: number, k: number, s: number, d: number): [number, number] {
  const out = Math.ceil(size / s);
  const total = Math.max((out - 1) * s + (k - 1) * d + 1 - size, 0);
  const before = Math.floor(total / 2);
  return [before, total - before];
}

function convOutSize(size: number | null, k: number, s: number, d: number, padTotal: number): number | null {
  if (size === null) return null;
  return Math.floor((size + padTotal - ((k - 1) * d + 1)) / s) + 1;
}

interface WeightTensor {
  shape: number[];
  data: Float32Array;
}

class GraphBuilder {
  readonly nodes: OnnxNode[] = [];
  readonly initializers: OnnxTensor[] = [];
  private readonly used = new Set<string>();
  private readonly constCache = new Map<string, string>();
  parameters = 0;

  fresh(base: string): string {
    let name = base;
    for (let i = 1; this.used.has(name); i++) name = `${base}_${i}`;
    this.used.add(name);
    return name;
  }

  reserve(name: string): void {
    this.used.add(name);
  }

  add(opType: string, inputs: string[], outBase: string, attribute: OnnxAttribute[] = []): string {
    const output = this.fresh(outBase);
    this.nodes.push({ name: output, opType, input: inputs, output: [output], attribute });
    return output;
  }

  floatInit(base: string, dims: number[], data: Float32Array): string {
    const name = this.fresh(base);
    this.initializers.push(floatTensor(name, dims, data));
    this.parameters += data.length;
    return name;
  }

  scalar(value: number): string {
    const k = `f:${value}`;
    let name = this.constCache.get(k);
    if (!name) {
      name = this.fresh(`const_${value}`);
      this.initializers.push(floatTensor(name, [], Float32Array.of(value)));
      this.constCache.set(k, name);
    }
    return name;
  }

  int64s(values: number[]): string {
    const k = `i:${values.join(',')}`;
    let name = this.constCache.get(k);
    if (!name) {
      name = this.fresh(`shape_${values.join('_').replace(/-/g, 'm')}`);
      this.initializers.push(int64Tensor(name, [values.length], values));
      this.constCache.set(k, name);
    }
    return name;
  }
}

function modelJson(model: tf.LayersModel): { className: string; name: string; layers: LayerJson[]; inputs: any[]; outputs: any[] } {
  const json = model.toJSON(null, false) as Record<string, any>;
  const className = String(json.class_name);
  const config = json.config as Record<string, any>;
  if (className === 'Sequential') {
    const list: any[] = Array.isArray(config) ? config : config.layers;
    // A Sequential config lists layers in order; make it look like a functional one.
    const layers: LayerJson[] = [];
    let prev: string;
    const first = model.layers[0];
    const inputShape = (first?.batchInputShape ?? model.inputs[0].shape) as Shape;
    if (list[0]?.class_name === 'InputLayer') {
      prev = list[0].config.name;
    } else {
      prev = model.inputs[0].name.replace(/\/.*$/, '') || 'input';
      layers.push({ class_name: 'InputLayer', name: prev, config: { name: prev, batch_input_shape: inputShape }, inbound_nodes: [] });
    }
    for (const l of list) {
      const name = l.config.name as string;
      if (l.class_name === 'InputLayer') {
        layers.push({ ...l, name, inbound_nodes: [] });
      } else {
        layers.push({ ...l, name, inbound_nodes: [[[prev, 0, 0, {}]]] });
      }
      prev = name;
    }
    return { className, name: config.name ?? model.name, layers, inputs: [[layers[0].name, 0, 0]], outputs: [[prev, 0, 0]] };
  }
  return {
    className,
    name: config.name ?? model.name,
    layers: (config.layers as any[]).map((l) => ({ ...l, name: l.name ?? l.config.name })),
    inputs: config.input_layers,
    outputs: config.output_layers,
  };
}

/** Compiles a loaded Keras model (tfjs LayersModel) into ONNX. Throws UNSUPPORTED_LAYER naming the first layer it cannot map. */
export function compileKerasToOnnx(model: tf.LayersModel, options: OnnxCompileOptions = {}): CompiledOnnxModel {
  const opts = { ...DEFAULT_COMPILE_OPTIONS, ...options };
  const graph = modelJson(model);
  if (graph.inputs.length !== 1 || graph.outputs.length !== 1) {
    throw unsupported(`model ${graph.name} has ${graph.inputs.length} inputs and ${graph.outputs.length} outputs; ONNX export handles one of each`);
  }
  const b = new GraphBuilder();
  const values = new Map<string, Value>();
  const layerByName = new Map(graph.layers.map((l) => [l.name, l]));

  // Every call of every layer, with the keys of the tensors it reads.
  const calls: LayerCall[] = [];
  const consumers = new Map<string, number>();
  for (const layer of graph.layers) {
    layer.inbound_nodes.forEach((node: any, nodeIndex: number) => {
      if (!Array.isArray(node)) {
        throw unsupported(`layer ${layer.name}: inbound node format not understood (Keras 3 JSON?)`);
      }
      const inputs = node.map((ref: any[]) => key(ref[0], ref[1], ref[2]));
      for (const k of inputs) consumers.set(k, (consumers.get(k) ?? 0) + 1);
      calls.push({ layer, nodeIndex, inputs });
    });
  }
  const outputKey = key(graph.outputs[0][0], graph.outputs[0][1], graph.outputs[0][2]);
  consumers.set(outputKey, (consumers.get(outputKey) ?? 0) + 1);

  // Which BatchNormalization layers fold into the convolution right before them.
  const foldInto = new Map<string, LayerJson>();
  if (opts.foldBatchNorm) {
    for (const call of calls) {
      if (call.layer.class_name !== 'BatchNormalization' || call.layer.inbound_nodes.length !== 1) continue;
      const [srcName, srcNode] = call.inputs[0].split('\u0000');
      const src = layerByName.get(srcName);
      if (!src || !CONV_LAYERS.has(src.class_name) || src.inbound_nodes.length !== 1 || Number(srcNode) !== 0) continue;
      if ((src.config.activation ?? 'linear') !== 'linear' || consumers.get(call.inputs[0]) !== 1) continue;
      if (!isChannelAxis(call.layer.config.axis, 4)) continue;
      foldInto.set(src.name, call.layer);
    }
  }

  const layerWeights = (name: string): Map<string, WeightTensor> => {
    const layer = model.getLayer(name);
    const out = new Map<string, WeightTensor>();
    for (const v of layer.weights) {
      const suffix = (v.originalName ?? v.name).split('/').pop()!.replace(/:\d+$/, '');
      out.set(suffix, { shape: v.shape as number[], data: v.read().dataSync() as Float32Array });
    }
    return out;
  };
  const need = (w: Map<string, WeightTensor>, name: string, layer: string): WeightTensor => {
    const t = w.get(name);
    if (!t) throw new KerasModelsError('BAD_WEIGHTS', `layer ${layer} has no weight "${name}"`);
    return t;
  };

  // ---- value helpers -------------------------------------------------------------------------------------------
  const materialize = (v: Value): string => {
    if (!v.pads) return v.name;
    if (!v.padded) {
      const [t, bo, l, r] = v.pads;
      v.padded = b.add('Pad', [v.name, b.int64s([0, 0, t, l, 0, 0, bo, r])], `${v.name}_pad`, [attr.string('mode', 'constant')]);
    }
    return v.padded;
  };
  /** The value's data in Keras (channels-last) layout. */
  const kerasLayout = (v: Value, base: string): string => {
    const name = materialize(v);
    return v.shape.length === 4 ? b.add('Transpose', [name], `${base}_nhwc`, [attr.ints('perm', [0, 2, 3, 1])]) : name;
  };
  /** NCHW and NHWC hold the same bytes when the tensor is 1×1 spatially or has one channel. */
  const layoutFree = (shape: Shape): boolean => shape.length !== 4 || (shape[1] === 1 && shape[2] === 1) || shape[3] === 1;
  const toNchwShape = (s: Shape): number[] => [0, s[3] ?? -1, s[1] ?? -1, s[2] ?? -1];
  const reshapeDims = (s: Shape): number[] => [0, ...s.slice(1).map((d) => d ?? -1)];
  const channelAxis = (rank: number): number => (rank === 4 ? 1 : rank - 1);
  const channelConst = (base: string, data: Float32Array, rank: number): string =>
    b.floatInit(base, rank === 4 ? [data.length, 1, 1] : [data.length], data);

  const activation = (input: string, fn: string, shape: Shape, base: string): string => {
    switch (fn) {
      case 'linear':
      case undefined:
        return input;
      case 'relu':
        return b.add('Relu', [input], base);
      case 'relu6':
        return b.add('Clip', [input, b.scalar(0), b.scalar(6)], base);
      case 'sigmoid':
        return b.add('Sigmoid', [input], base);
      case 'hard_sigmoid':
      case 'hardSigmoid':
        return b.add('HardSigmoid', [input], base, [attr.float('alpha', 0.2), attr.float('beta', 0.5)]);
      case 'tanh':
        return b.add('Tanh', [input], base);
      case 'softmax':
        return b.add('Softmax', [input], base, [attr.int('axis', channelAxis(shape.length))]);
      case 'elu':
        return b.add('Elu', [input], base, [attr.float('alpha', 1)]);
      case 'selu':
        return b.add('Selu', [input], base, [attr.float('alpha', 1.6732632423543772), attr.float('gamma', 1.0507009873554805)]);
      case 'softplus':
        return b.add('Softplus', [input], base);
      case 'softsign':
        return b.add('Softsign', [input], base);
      case 'exponential':
        return b.add('Exp', [input], base);
      case 'swish':
      case 'silu':
        return b.add('Mul', [input, b.add('Sigmoid', [input], `${base}_sigmoid`)], base);
      case 'log_softmax':
      case 'logSoftmax':
        return b.add('LogSoftmax', [input], base, [attr.int('axis', channelAxis(shape.length))]);
      case 'mish':
        return b.add('Mul', [input, b.add('Tanh', [b.add('Softplus', [input], `${base}_softplus`)], `${base}_tanh`)], base);
      case 'gelu': {
        // Exact GELU, as tfjs computes it: x · ½(1 + erf(x/√2)).
        const erf = b.add('Erf', [b.add('Mul', [input, b.scalar(Math.SQRT1_2)], `${base}_scaled`)], `${base}_erf`);
        const half = b.add('Mul', [b.add('Add', [erf, b.scalar(1)], `${base}_erf1`), b.scalar(0.5)], `${base}_cdf`);
        return b.add('Mul', [input, half], base);
      }
      case 'gelu_new': {
        // tanh approximation: ½x(1 + tanh(√(2/π)(x + 0.044715x³))).
        const cube = b.add('Mul', [b.add('Mul', [input, input], `${base}_sq`), input], `${base}_cube`);
        const inner = b.add('Add', [input, b.add('Mul', [cube, b.scalar(0.044715)], `${base}_c3`)], `${base}_inner`);
        const t = b.add('Tanh', [b.add('Mul', [inner, b.scalar(Math.sqrt(2 / Math.PI))], `${base}_arg`)], `${base}_tanh`);
        const half = b.add('Mul', [b.add('Add', [t, b.scalar(1)], `${base}_t1`), b.scalar(0.5)], `${base}_half`);
        return b.add('Mul', [input, half], base);
      }
      default:
        throw unsupported(`activation "${fn}" (layer ${base}) has no ONNX mapping here`);
    }
  };

  const bnParams = (bn: LayerJson, channels: number): { scale: Float64Array; shift: Float64Array } => {
    const w = layerWeights(bn.name);
    const eps = Number(bn.config.epsilon ?? 1e-3);
    const gamma = bn.config.scale === false ? undefined : need(w, 'gamma', bn.name).data;
    const beta = bn.config.center === false ? undefined : need(w, 'beta', bn.name).data;
    const mean = need(w, 'moving_mean', bn.name).data;
    const variance = need(w, 'moving_variance', bn.name).data;
    if (mean.length !== channels) throw new KerasModelsError('BAD_WEIGHTS', `layer ${bn.name}: ${mean.length} channels, input has ${channels}`);
    const scale = new Float64Array(channels);
    const shift = new Float64Array(channels);
    for (let c = 0; c < channels; c++) {
      scale[c] = (gamma ? gamma[c] : 1) / Math.sqrt(variance[c] + eps);
      shift[c] = (beta ? beta[c] : 0) - mean[c] * scale[c];
    }
    return { scale, shift };
  };

  let foldedBatchNorms = 0;
  let fusedPaddings = 0;

  /** Emits one ONNX Conv. `weights` is already in ONNX layout [cout, cin/group, kh, kw]. */
  const conv = (
    layer: LayerJson,
    input: Value,
    weight: { dims: number[]; data: Float32Array },
    bias: Float32Array | undefined,
    group: number,
    geometry: { k: [number, number]; s: [number, number]; d: [number, number]; padding: string },
    fold: LayerJson | undefined,
    outName: string,
  ): Value => {
    const { k, s, d } = geometry;
    const [, h, wdt] = input.shape;
    const pending = opts.fusePadding ? (input.pads ?? [0, 0, 0, 0]) : [0, 0, 0, 0];
    const src = opts.fusePadding ? input.name : materialize(input);
    if (opts.fusePadding && input.pads) fusedPaddings++;
    let pads: number[] | undefined;
    const attrs: OnnxAttribute[] = [
      attr.ints('kernel_shape', k),
      attr.ints('strides', s),
      attr.ints('dilations', d),
      attr.int('group', group),
    ];
    let padH = pending[0] + pending[1];
    let padW = pending[2] + pending[3];
    if (geometry.padding === 'same') {
      if (h === null || wdt === null) {
        if (pending.some((p) => p !== 0)) throw unsupported(`layer ${layer.name}: 'same' padding after ZeroPadding2D needs a fixed input size`);
        attrs.push(attr.string('auto_pad', 'SAME_UPPER'));
      } else {
        const [ht, hb] = samePads(h, k[0], s[0], d[0]);
        const [wl, wr] = samePads(wdt, k[1], s[1], d[1]);
        pads = [pending[0] + ht, pending[2] + wl, pending[1] + hb, pending[3] + wr];
        padH += ht + hb;
        padW += wl + wr;
      }
    } else if (geometry.padding === 'valid') {
      pads = [pending[0], pending[2], pending[1], pending[3]];
    } else {
      throw unsupported(`layer ${layer.name}: padding "${geometry.padding}"`);
    }
    if (pads) attrs.push(attr.ints('pads', pads));
    const cout = weight.dims[0];
    let wData = weight.data;
    let bData = bias;
    if (fold) {
      const { scale, shift } = bnParams(fold, cout);
      wData = new Float32Array(weight.data.length);
      const per = weight.data.length / cout;
      for (let o = 0; o < cout; o++) for (let i = 0; i < per; i++) wData[o * per + i] = weight.data[o * per + i] * scale[o];
      bData = new Float32Array(cout);
      for (let o = 0; o < cout; o++) bData[o] = (bias ? bias[o] : 0) * scale[o] + shift[o];
      foldedBatchNorms++;
    }
    const inputs = [src, b.floatInit(`${layer.name}_W`, weight.dims, wData)];
    if (bData) inputs.push(b.floatInit(`${layer.name}_B`, [cout], bData));
    const out = b.add('Conv', inputs, outName, attrs);
    const shape: Shape = [
      input.shape[0],
      convOutSize(h, k[0], s[0], d[0], padH),
      convOutSize(wdt, k[1], s[1], d[1], padW),
      cout,
    ];
    return { name: out, shape };
  };

  const convGeometry = (layer: LayerJson) => {
    const c = layer.config;
    if ((c.data_format ?? 'channels_last') !== 'channels_last') throw unsupported(`layer ${layer.name}: data_format ${c.data_format}`);
    return {
      k: pair(c.kernel_size, 'kernel_size', layer.name),
      s: pair(c.strides ?? 1, 'strides', layer.name),
      d: pair(c.dilation_rate ?? 1, 'dilation_rate', layer.name),
      padding: String(c.padding ?? 'valid'),
    };
  };

  /** Keras [kh, kw, cin, cout] → ONNX [cout, cin, kh, kw]. */
  const convKernel = (t: WeightTensor): { dims: number[]; data: Float32Array } => {
    const [kh, kw, ci, co] = t.shape;
    const out = new Float32Array(t.data.length);
    for (let y = 0; y < kh; y++)
      for (let x = 0; x < kw; x++)
        for (let i = 0; i < ci; i++)
          for (let o = 0; o < co; o++) out[((o * ci + i) * kh + y) * kw + x] = t.data[((y * kw + x) * ci + i) * co + o];
    return { dims: [co, ci, kh, kw], data: out };
  };
  /** Keras depthwise [kh, kw, cin, mult] → ONNX [cin*mult, 1, kh, kw] (TF orders output channels c*mult+m). */
  const depthwiseKernel = (t: WeightTensor): { dims: number[]; data: Float32Array } => {
    const [kh, kw, ci, m] = t.shape;
    const out = new Float32Array(t.data.length);
    for (let y = 0; y < kh; y++)
      for (let x = 0; x < kw; x++)
        for (let c = 0; c < ci; c++) for (let j = 0; j < m; j++) out[((c * m + j) * kh + y) * kw + x] = t.data[((y * kw + x) * ci + c) * m + j];
    return { dims: [ci * m, 1, kh, kw], data: out };
  };

  // ---- layers ----------------------------------------------------------------------------------------------------
  const emit = (call: LayerCall, ins: Value[]): Value => {
    const { layer } = call;
    const c = layer.config;
    const base = call.nodeIndex === 0 ? layer.name : `${layer.name}_${call.nodeIndex}`;
    const one = (): Value => {
      if (ins.length !== 1) throw unsupported(`layer ${layer.name} (${layer.class_name}) expects one input, got ${ins.length}`);
      return ins[0];
    };
    const rank4 = (v: Value): Value => {
      if (v.shape.length !== 4) throw unsupported(`layer ${layer.name} (${layer.class_name}) needs a rank-4 input, got shape ${JSON.stringify(v.shape)}`);
      return v;
    };
    switch (layer.class_name) {
      case 'Conv2D': {
        const x = rank4(one());
        const w = layerWeights(layer.name);
        const kernel = need(w, 'kernel', layer.name);
        const cin = x.shape[3];
        const group = cin !== null ? cin / kernel.shape[2] : 1;
        if (!Number.isInteger(group)) throw new KerasModelsError('BAD_WEIGHTS', `layer ${layer.name}: kernel ${kernel.shape} does not fit ${cin} input channels`);
        const fold = foldInto.get(layer.name);
        const y = conv(layer, x, convKernel(kernel), c.use_bias === false ? undefined : w.get('bias')?.data, group, convGeometry(layer), fold, fold ? fold.name : base);
        return { ...y, name: activation(y.name, c.activation, y.shape, `${base}_act`) };
      }
      case 'DepthwiseConv2D': {
        const x = rank4(one());
        const w = layerWeights(layer.name);
        const kernel = need(w, 'depthwise_kernel', layer.name);
        const fold = foldInto.get(layer.name);
        const y = conv(layer, x, depthwiseKernel(kernel), c.use_bias === false ? undefined : w.get('bias')?.data, kernel.shape[2], convGeometry(layer), fold, fold ? fold.name : base);
        return { ...y, name: activation(y.name, c.activation, y.shape, `${base}_act`) };
      }
      case 'SeparableConv2D': {
        const x = rank4(one());
        const w = layerWeights(layer.name);
        const dk = need(w, 'depthwise_kernel', layer.name);
        const pk = need(w, 'pointwise_kernel', layer.name);
        const dw = conv(layer, x, depthwiseKernel(dk), undefined, dk.shape[2], convGeometry(layer), undefined, `${base}_dw`);
        const fold = foldInto.get(layer.name);
        const pwLayer = { ...layer, name: `${layer.name}_pw` };
        const y = conv(pwLayer, dw, convKernel(pk), c.use_bias === false ? undefined : w.get('bias')?.data, 1, { k: [1, 1], s: [1, 1], d: [1, 1], padding: 'valid' }, fold, fold ? fold.name : base);
        return { ...y, name: activation(y.name, c.activation, y.shape, `${base}_act`) };
      }
      case 'BatchNormalization': {
        const x = one();
        if (!isChannelAxis(c.axis, x.shape.length)) throw unsupported(`layer ${layer.name}: BatchNormalization over axis ${JSON.stringify(c.axis)}`);
        const channels = x.shape[x.shape.length - 1];
        if (channels === null) throw unsupported(`layer ${layer.name}: unknown channel count`);
        const { scale, shift } = bnParams(layer, channels);
        const rank = x.shape.length;
        const mul = b.add('Mul', [materialize(x), channelConst(`${layer.name}_scale`, Float32Array.from(scale), rank)], `${base}_mul`);
        return { name: b.add('Add', [mul, channelConst(`${layer.name}_shift`, Float32Array.from(shift), rank)], base), shape: x.shape };
      }
      case 'Activation': {
        const x = one();
        return { name: activation(materialize(x), c.activation, x.shape, base), shape: x.shape };
      }
      case 'ReLU': {
        const x = one();
        const max = c.max_value ?? null;
        const slope = Number(c.negative_slope ?? 0);
        const threshold = Number(c.threshold ?? 0);
        if (threshold !== 0 || (slope !== 0 && max !== null)) throw unsupported(`layer ${layer.name}: ReLU with threshold/negative_slope and max_value`);
        const src = materialize(x);
        if (slope !== 0) return { name: b.add('LeakyRelu', [src], base, [attr.float('alpha', slope)]), shape: x.shape };
        const name = max === null ? b.add('Relu', [src], base) : b.add('Clip', [src, b.scalar(0), b.scalar(Number(max))], base);
        return { name, shape: x.shape };
      }
      case 'LeakyReLU': {
        const x = one();
        return { name: b.add('LeakyRelu', [materialize(x)], base, [attr.float('alpha', Number(c.alpha ?? c.negative_slope ?? 0.3))]), shape: x.shape };
      }
      case 'ELU': {
        const x = one();
        return { name: b.add('Elu', [materialize(x)], base, [attr.float('alpha', Number(c.alpha ?? 1))]), shape: x.shape };
      }
      case 'ThresholdedReLU': {
        const x = one();
        return { name: b.add('ThresholdedRelu', [materialize(x)], base, [attr.float('alpha', Number(c.theta ?? 1))]), shape: x.shape };
      }
      case 'Softmax': {
        const x = one();
        const rank = x.shape.length;
        const axis = Array.isArray(c.axis) ? c.axis : [c.axis ?? -1];
        if (axis.length !== 1) throw unsupported(`layer ${layer.name}: softmax over several axes`);
        const kAxis = axis[0] < 0 ? rank + axis[0] : axis[0];
        const onnxAxis = rank === 4 ? [0, 2, 3, 1][kAxis] : kAxis;
        return { name: b.add('Softmax', [materialize(x)], base, [attr.int('axis', onnxAxis)]), shape: x.shape };
      }
      case 'PReLU': {
        const x = one();
        const alpha = need(layerWeights(layer.name), 'alpha', layer.name);
        let dims = alpha.shape;
        let data = alpha.data;
        if (dims.length === 3) {
          // Keras stores alpha as [H, W, C] (shared axes as 1); the graph is NCHW.
          const [h, w, ch] = dims;
          data = new Float32Array(alpha.data.length);
          for (let y = 0; y < h; y++) for (let xx = 0; xx < w; xx++) for (let c2 = 0; c2 < ch; c2++) data[(c2 * h + y) * w + xx] = alpha.data[(y * w + xx) * ch + c2];
          dims = [ch, h, w];
        }
        return { name: b.add('PRelu', [materialize(x), b.floatInit(`${layer.name}_alpha`, dims, data)], base), shape: x.shape };
      }
      case 'Cropping2D': {
        const x = rank4(one());
        if ((c.data_format ?? 'channels_last') !== 'channels_last') throw unsupported(`layer ${layer.name}: data_format ${c.data_format}`);
        const [t, bo, l, r] = edges2d(c.cropping, `layer ${layer.name}: cropping`);
        const END = 2 ** 53 - 1; // "to the end" for Slice
        const name = b.add('Slice', [materialize(x), b.int64s([t, l]), b.int64s([bo ? -bo : END, r ? -r : END]), b.int64s([2, 3])], base);
        const [n, h, w, ch] = x.shape;
        return { name, shape: [n, h === null ? null : h - t - bo, w === null ? null : w - l - r, ch] };
      }
      case 'Rescaling': {
        const x = one();
        const scale = Number(c.scale ?? 1);
        const offset = Number(c.offset ?? 0);
        let name = materialize(x);
        if (scale !== 1) name = b.add('Mul', [name, b.scalar(scale)], offset !== 0 ? `${base}_mul` : base);
        if (offset !== 0) name = b.add('Add', [name, b.scalar(offset)], base);
        return { name, shape: x.shape };
      }
      case 'ZeroPadding2D': {
        const x = rank4(one());
        if ((c.data_format ?? 'channels_last') !== 'channels_last') throw unsupported(`layer ${layer.name}: data_format ${c.data_format}`);
        const [t, bo, l, r] = edges2d(c.padding, `layer ${layer.name}: padding`);
        const prev = x.pads ?? [0, 0, 0, 0];
        const [n, h, w, ch] = x.shape;
        return {
          name: x.name,
          pads: [prev[0] + t, prev[1] + bo, prev[2] + l, prev[3] + r],
          shape: [n, h === null ? null : h + t + bo, w === null ? null : w + l + r, ch],
        };
      }
      case 'MaxPooling2D':
      case 'AveragePooling2D': {
        const x = rank4(one());
        if ((c.data_format ?? 'channels_last') !== 'channels_last') throw unsupported(`layer ${layer.name}: data_format ${c.data_format}`);
        const k = pair(c.pool_size ?? 2, 'pool_size', layer.name);
        const s = c.strides == null ? k : pair(c.strides, 'strides', layer.name);
        const [n, h, w, ch] = x.shape;
        const attrs = [attr.ints('kernel_shape', k), attr.ints('strides', s)];
        let padH = 0;
        let padW = 0;
        if (c.padding === 'same') {
          if (h === null || w === null) attrs.push(attr.string('auto_pad', 'SAME_UPPER'));
          else {
            const [ht, hb] = samePads(h, k[0], s[0], 1);
            const [wl, wr] = samePads(w, k[1], s[1], 1);
            attrs.push(attr.ints('pads', [ht, wl, hb, wr]));
            padH = ht + hb;
            padW = wl + wr;
          }
        } else if ((c.padding ?? 'valid') !== 'valid') throw unsupported(`layer ${layer.name}: padding ${c.padding}`);
        // TF's 'same' average pooling divides by the number of real pixels: count_include_pad=0 (the ONNX default).
        const op = layer.class_name === 'MaxPooling2D' ? 'MaxPool' : 'AveragePool';
        const name = b.add(op, [materialize(x)], base, attrs);
        return { name, shape: [n, convOutSize(h, k[0], s[0], 1, padH), convOutSize(w, k[1], s[1], 1, padW), ch] };
      }
      case 'GlobalAveragePooling2D':
      case 'GlobalMaxPooling2D': {
        const x = rank4(one());
        if ((c.data_format ?? 'channels_last') !== 'channels_last') throw unsupported(`layer ${layer.name}: data_format ${c.data_format}`);
        const op = layer.class_name === 'GlobalAveragePooling2D' ? 'GlobalAveragePool' : 'GlobalMaxPool';
        const keep = c.keepdims === true;
        const pooled = b.add(op, [materialize(x)], keep ? base : `${base}_pool`);
        if (keep) return { name: pooled, shape: [x.shape[0], 1, 1, x.shape[3]] };
        return { name: b.add('Flatten', [pooled], base, [attr.int('axis', 1)]), shape: [x.shape[0], x.shape[3]] };
      }
      case 'Add':
      case 'Subtract':
      case 'Multiply':
      case 'Maximum':
      case 'Minimum':
      case 'Average': {
        if (ins.length < 2) throw unsupported(`layer ${layer.name} (${layer.class_name}) needs two or more inputs`);
        const rank = ins[0].shape.length;
        if (ins.some((v) => v.shape.length !== rank)) throw unsupported(`layer ${layer.name}: merging tensors of different ranks`);
        const names = ins.map(materialize);
        const shape = ins[0].shape;
        const op = { Add: 'Sum', Subtract: 'Sub', Multiply: 'Mul', Maximum: 'Max', Minimum: 'Min', Average: 'Sum' }[layer.class_name]!;
        if (layer.class_name === 'Subtract' && names.length !== 2) throw unsupported(`layer ${layer.name}: Subtract of ${names.length} inputs`);
        let name: string;
        if (op === 'Sum' && names.length === 2) name = b.add('Add', names, layer.class_name === 'Average' ? `${base}_sum` : base);
        else if (op === 'Mul' && names.length > 2) name = names.slice(1).reduce((acc, n, i) => b.add('Mul', [acc, n], i === names.length - 2 ? base : `${base}_${i}`), names[0]);
        else name = b.add(op, names, layer.class_name === 'Average' ? `${base}_sum` : base);
        if (layer.class_name === 'Average') name = b.add('Mul', [name, b.scalar(1 / names.length)], base);
        return { name, shape };
      }
      case 'Concatenate': {
        const rank = ins[0].shape.length;
        if (ins.some((v) => v.shape.length !== rank)) throw unsupported(`layer ${layer.name}: concatenating tensors of different ranks`);
        const kAxis = (c.axis ?? -1) < 0 ? rank + (c.axis ?? -1) : c.axis;
        const axis = rank === 4 ? [0, 2, 3, 1][kAxis] : kAxis;
        const shape = [...ins[0].shape];
        shape[kAxis] = ins.some((v) => v.shape[kAxis] === null) ? null : ins.reduce((sum, v) => sum + (v.shape[kAxis] as number), 0);
        return { name: b.add('Concat', ins.map(materialize), base, [attr.int('axis', axis)]), shape };
      }
      case 'Dense': {
        const x = one();
        const w = layerWeights(layer.name);
        const kernel = need(w, 'kernel', layer.name);
        const bias = c.use_bias === false ? undefined : w.get('bias');
        const units = kernel.shape[1];
        const W = b.floatInit(`${layer.name}_W`, kernel.shape, kernel.data);
        const B = bias ? b.floatInit(`${layer.name}_B`, [units], bias.data) : undefined;
        const shape = [...x.shape.slice(0, -1), units];
        let y: string;
        if (x.shape.length === 2) {
          y = b.add('Gemm', B ? [materialize(x), W, B] : [materialize(x), W], c.activation && c.activation !== 'linear' ? `${base}_linear` : base);
        } else {
          // Dense on the last axis of a higher-rank tensor: work channels-last, then back to NCHW for rank 4.
          const mm = b.add('MatMul', [kerasLayout(x, base), W], `${base}_matmul`);
          y = B ? b.add('Add', [mm, B], `${base}_bias`) : mm;
          if (shape.length === 4) y = b.add('Transpose', [y], `${base}_nchw`, [attr.ints('perm', [0, 3, 1, 2])]);
        }
        return { name: activation(y, c.activation, shape, base), shape };
      }
      case 'Flatten': {
        const x = one();
        const shape: Shape = [x.shape[0], x.shape.slice(1).some((d) => d === null) ? null : x.shape.slice(1).reduce((p: number, d) => p * (d as number), 1)];
        const src = layoutFree(x.shape) ? materialize(x) : kerasLayout(x, base);
        return { name: b.add('Flatten', [src], base, [attr.int('axis', 1)]), shape };
      }
      case 'Reshape': {
        const x = one();
        const target = (c.target_shape as number[]).map(Number);
        const known = x.shape.slice(1).every((d) => d !== null) ? x.shape.slice(1).reduce((p: number, d) => p * (d as number), 1) : null;
        const fixed = target.filter((d) => d !== -1).reduce((p, d) => p * d, 1);
        const resolved = target.map((d) => (d === -1 ? (known === null ? null : known / fixed) : d));
        const shape: Shape = [x.shape[0], ...resolved];
        const src = layoutFree(x.shape) ? materialize(x) : kerasLayout(x, base);
        if (shape.length !== 4) return { name: b.add('Reshape', [src, b.int64s(reshapeDims(shape))], base), shape };
        if (layoutFree(shape)) return { name: b.add('Reshape', [src, b.int64s(toNchwShape(shape))], base), shape };
        const nhwc = b.add('Reshape', [src, b.int64s(reshapeDims(shape))], `${base}_nhwc`);
        return { name: b.add('Transpose', [nhwc], base, [attr.ints('perm', [0, 3, 1, 2])]), shape };
      }
      case 'InputLayer':
        throw unsupported(`InputLayer ${layer.name} used as an intermediate layer`);
      default:
        if (IDENTITY_LAYERS.has(layer.class_name)) return one();
        throw unsupported(
          `layer ${layer.name} of type ${layer.class_name} cannot be compiled to ONNX; use the tfjs backends (--backend wasm) for this model`,
        );
    }
  };

  // ---- input ------------------------------------------------------------------------------------------------------
  const inputLayer = layerByName.get(graph.inputs[0][0]);
  if (!inputLayer || inputLayer.class_name !== 'InputLayer') throw unsupported(`model input ${graph.inputs[0][0]} is not an InputLayer`);
  const inputShape: Shape = (inputLayer.config.batch_input_shape ?? inputLayer.config.batch_shape) as Shape;
  if (!Array.isArray(inputShape)) throw unsupported(`InputLayer ${inputLayer.name} has no batch_input_shape`);
  const inputName = inputLayer.name;
  b.reserve(inputName);
  // The graph output carries the Keras output layer's name; the layer's own node gets a suffixed one.
  const outputName = graph.outputs[0][0] === inputName ? `${inputName}_output` : String(graph.outputs[0][0]);
  b.reserve(outputName);
  const batchDim: number | string = options.batchSize ?? 'N';
  const inputDims = [batchDim, ...inputShape.slice(1).map((d, i) => (d === null ? `d${i + 1}` : d))];
  const inValue: Value =
    inputShape.length === 4
      ? { name: b.add('Transpose', [inputName], `${inputName}_nchw`, [attr.ints('perm', [0, 3, 1, 2])]), shape: [null, ...inputShape.slice(1)] }
      : { name: inputName, shape: [null, ...inputShape.slice(1)] };
  values.set(key(inputLayer.name, 0, 0), inValue);

  // ---- walk the graph in dependency order -------------------------------------------------------------------------
  const pending = calls.filter((cl) => cl.layer.class_name !== 'InputLayer');
  while (pending.length > 0) {
    const before = pending.length;
    for (let i = 0; i < pending.length; i++) {
      const call = pending[i];
      const outKey = key(call.layer.name, call.nodeIndex, 0);
      if (!call.inputs.every((k) => values.has(k))) continue;
      pending.splice(i--, 1);
      if (values.has(outKey)) continue; // a BatchNormalization already folded into its conv
      const out = emit(call, call.inputs.map((k) => values.get(k)!));
      values.set(outKey, out);
      const fold = foldInto.get(call.layer.name);
      if (fold) values.set(key(fold.name, 0, 0), out);
    }
    if (pending.length === before) {
      throw unsupported(`cannot order layers ${pending.slice(0, 3).map((cl) => cl.layer.name).join(', ')}: missing inputs`);
    }
  }

  // ---- output -----------------------------------------------------------------------------------------------------
  const outValue = values.get(outputKey);
  if (!outValue) throw unsupported(`model output ${graph.outputs[0][0]} was not produced`);
  const outSrc = outValue.shape.length === 4 ? kerasLayout(outValue, `${outputName}_out`) : materialize(outValue);
  b.nodes.push({ name: outputName, opType: 'Identity', input: [outSrc], output: [outputName], attribute: [] });
  const outputDims = [batchDim, ...outValue.shape.slice(1).map((d, i) => (d === null ? `o${i + 1}` : d))];

  const bytes = encodeOnnxModel({
    irVersion: IR_VERSION,
    opset: OPSET,
    producerName: 'oidstream keras-models',
    producerVersion: '0.1.0',
    docString: `Compiled from Keras model ${graph.name}`,
    graph: {
      name: options.graphName ?? graph.name,
      node: b.nodes,
      initializer: b.initializers,
      input: [{ name: inputName, dims: inputDims, elemType: OnnxDataType.FLOAT }],
      output: [{ name: outputName, dims: outputDims, elemType: OnnxDataType.FLOAT }],
    },
  });
  return {
    bytes,
    inputName,
    outputName,
    inputShape: [options.batchSize ?? null, ...inputShape.slice(1)],
    outputShape: [options.batchSize ?? null, ...outValue.shape.slice(1)],
    stats: { layers: graph.layers.length, nodes: b.nodes.length, foldedBatchNorms, fusedPaddings, parameters: b.parameters },
  };
}

function isChannelAxis(axis: unknown, rank: number): boolean {
  const a = Array.isArray(axis) ? axis : [axis ?? -1];
  return a.length === 1 && (a[0] === -1 || a[0] === rank - 1);
}
