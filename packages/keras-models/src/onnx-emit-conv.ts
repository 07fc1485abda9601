import { KerasModelsError } from './errors.js';
import { activation } from './onnx-emit-activation.js';
import { bnParams } from './onnx-emit-normalization.js';
import {
  checkChannelsLast,
  convOutSize,
  materialize,
  need,
  pair,
  samePads,
  unsupported,
  type CompileContext,
  type LayerEmitter,
  type LayerJson,
  type OnnxKernel,
  type Value,
  type WeightTensor,
} from './onnx-context.js';
import { attr, type OnnxAttribute } from './onnx-proto.js';

interface Geometry {
  k: [number, number];
  s: [number, number];
  d: [number, number];
  padding: string;
}

function convGeometry(layer: LayerJson): Geometry {
  const c = layer.config;
  checkChannelsLast(c, layer.name);
  return {
    k: pair(c.kernel_size, 'kernel_size', layer.name),
    s: pair(c.strides ?? 1, 'strides', layer.name),
    d: pair(c.dilation_rate ?? 1, 'dilation_rate', layer.name),
    padding: String(c.padding ?? 'valid'),
  };
}

/** Keras [kh, kw, cin, cout] → ONNX [cout, cin, kh, kw]. */
function convKernel(t: WeightTensor): OnnxKernel {
  const [kh, kw, ci, co] = t.shape;
  const out = new Float32Array(t.data.length);
  for (let y = 0; y < kh; y++)
    for (let x = 0; x < kw; x++)
      for (let i = 0; i < ci; i++) for (let o = 0; o < co; o++) out[((o * ci + i) * kh + y) * kw + x] = t.data[((y * kw + x) * ci + i) * co + o];
  return { dims: [co, ci, kh, kw], data: out };
}

/** Keras depthwise [kh, kw, cin, mult] → ONNX [cin*mult, 1, kh, kw] (TF orders output channels c*mult+m). */
function depthwiseKernel(t: WeightTensor): OnnxKernel {
  const [kh, kw, ci, m] = t.shape;
  const out = new Float32Array(t.data.length);
  for (let y = 0; y < kh; y++)
    for (let x = 0; x < kw; x++)
      for (let c = 0; c < ci; c++) for (let j = 0; j < m; j++) out[((c * m + j) * kh + y) * kw + x] = t.data[((y * kw + x) * ci + c) * m + j];
  return { dims: [ci * m, 1, kh, kw], data: out };
}

/** ONNX pads [top, left, bottom, right] and the total padding per axis, from Keras padding plus a pending ZeroPadding2D. */
function convPads(layer: LayerJson, input: Value, g: Geometry, pending: number[]): { pads?: number[]; autoPad?: boolean; padH: number; padW: number } {
  const [, h, w] = input.shape;
  let padH = pending[0] + pending[1];
  let padW = pending[2] + pending[3];
  if (g.padding === 'valid') return { pads: [pending[0], pending[2], pending[1], pending[3]], padH, padW };
  if (g.padding !== 'same') throw unsupported(`layer ${layer.name}: padding "${g.padding}"`);
  if (h === null || w === null) {
    if (pending.some((p) => p !== 0)) throw unsupported(`layer ${layer.name}: 'same' padding after ZeroPadding2D needs a fixed input size`);
    return { autoPad: true, padH, padW };
  }
  const [ht, hb] = samePads(h, g.k[0], g.s[0], g.d[0]);
  const [wl, wr] = samePads(w, g.k[1], g.s[1], g.d[1]);
  padH += ht + hb;
  padW += wl + wr;
  return { pads: [pending[0] + ht, pending[2] + wl, pending[1] + hb, pending[3] + wr], padH, padW };
}

/** Weights and bias with a BatchNormalization folded in: w·scale per output channel, b·scale + shift. */
function foldWeights(ctx: CompileContext, weight: OnnxKernel, bias: Float32Array | undefined, fold: LayerJson): { w: Float32Array; b: Float32Array } {
  const cout = weight.dims[0];
  const { scale, shift } = bnParams(ctx, fold, cout);
  const w = new Float32Array(weight.data.length);
  const per = weight.data.length / cout;
  for (let o = 0; o < cout; o++) for (let i = 0; i < per; i++) w[o * per + i] = weight.data[o * per + i] * scale[o];
  const b = new Float32Array(cout);
  for (let o = 0; o < cout; o++) b[o] = (bias ? bias[o] : 0) * scale[o] + shift[o];
  ctx.stats.foldedBatchNorms++;
  return { w, b };
}

/** Emits one ONNX Conv (absorbing a pending ZeroPadding2D and a folded BatchNormalization). */
export function emitConv(
  ctx: CompileContext,
  layer: LayerJson,
  input: Value,
  weight: OnnxKernel,
  bias: Float32Array | undefined,
  group: number,
  g: Geometry,
  fold: LayerJson | undefined,
  outName: string,
): Value {
  const { opts } = ctx;
  const pending = opts.fusePadding ? (input.pads ?? [0, 0, 0, 0]) : [0, 0, 0, 0];
  const src = opts.fusePadding ? input.name : materialize(ctx, input);
  if (opts.fusePadding && input.pads) ctx.stats.fusedPaddings++;
  const attrs: OnnxAttribute[] = [attr.ints('kernel_shape', g.k), attr.ints('strides', g.s), attr.ints('dilations', g.d), attr.int('group', group)];
  const p = convPads(layer, input, g, pending);
  if (p.autoPad) attrs.push(attr.string('auto_pad', 'SAME_UPPER'));
  if (p.pads) attrs.push(attr.ints('pads', p.pads));
  const cout = weight.dims[0];
  const folded = fold ? foldWeights(ctx, weight, bias, fold) : { w: weight.data, b: bias };
  const out = ctx.conv(layer.name, src, { dims: weight.dims, data: folded.w }, folded.b, attrs, outName);
  const shape = [input.shape[0], convOutSize(input.shape[1], g.k[0], g.s[0], g.d[0], p.padH), convOutSize(input.shape[2], g.k[1], g.s[1], g.d[1], p.padW), cout];
  return { name: out, shape };
}

const biasOf = (c: Record<string, any>, w: Map<string, WeightTensor>) => (c.use_bias === false ? undefined : w.get('bias')?.data);

const conv2d: LayerEmitter = (ctx, { layer, c, base, one, rank4 }) => {
  const x = rank4(one());
  const w = ctx.weights(layer.name);
  const kernel = need(w, 'kernel', layer.name);
  const cin = x.shape[3];
  const group = cin !== null ? cin / kernel.shape[2] : 1;
  if (!Number.isInteger(group)) throw new KerasModelsError('BAD_WEIGHTS', `layer ${layer.name}: kernel ${kernel.shape} does not fit ${cin} input channels`);
  const fold = ctx.foldInto.get(layer.name);
  const y = emitConv(ctx, layer, x, convKernel(kernel), biasOf(c, w), group, convGeometry(layer), fold, fold ? fold.name : base);
  return { ...y, name: activation(ctx, y.name, c.activation, y.shape, `${base}_act`) };
};

const depthwiseConv2d: LayerEmitter = (ctx, { layer, c, base, one, rank4 }) => {
  const x = rank4(one());
  const w = ctx.weights(layer.name);
  const kernel = need(w, 'depthwise_kernel', layer.name);
  const fold = ctx.foldInto.get(layer.name);
  const y = emitConv(ctx, layer, x, depthwiseKernel(kernel), biasOf(c, w), kernel.shape[2], convGeometry(layer), fold, fold ? fold.name : base);
  return { ...y, name: activation(ctx, y.name, c.activation, y.shape, `${base}_act`) };
};

const separableConv2d: LayerEmitter = (ctx, { layer, c, base, one, rank4 }) => {
  const x = rank4(one());
  const w = ctx.weights(layer.name);
  const dk = need(w, 'depthwise_kernel', layer.name);
  const pk = need(w, 'pointwise_kernel', layer.name);
  const dw = emitConv(ctx, layer, x, depthwiseKernel(dk), undefined, dk.shape[2], convGeometry(layer), undefined, `${base}_dw`);
  const fold = ctx.foldInto.get(layer.name);
  const pwLayer = { ...layer, name: `${layer.name}_pw` };
  const pointwise: Geometry = { k: [1, 1], s: [1, 1], d: [1, 1], padding: 'valid' };
  const y = emitConv(ctx, pwLayer, dw, convKernel(pk), biasOf(c, w), 1, pointwise, fold, fold ? fold.name : base);
  return { ...y, name: activation(ctx, y.name, c.activation, y.shape, `${base}_act`) };
};

export const CONV_EMITTERS: Record<string, LayerEmitter> = {
  Conv2D: conv2d,
  DepthwiseConv2D: depthwiseConv2d,
  SeparableConv2D: separableConv2d,
};
