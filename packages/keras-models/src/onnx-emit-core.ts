import { activation } from './onnx-emit-activation.js';
import {
  checkChannelsLast,
  edges2d,
  kerasLayout,
  layoutFree,
  materialize,
  need,
  reshapeDims,
  toNchwShape,
  unsupported,
  type LayerEmitter,
  type Shape,
} from './onnx-context.js';
import { attr } from './onnx-proto.js';

const dense: LayerEmitter = (ctx, { layer, c, base, one }) => {
  const { b } = ctx;
  const x = one();
  const w = ctx.weights(layer.name);
  const kernel = need(w, 'kernel', layer.name);
  const bias = c.use_bias === false ? undefined : w.get('bias');
  const units = kernel.shape[1];
  const shape = [...x.shape.slice(0, -1), units];
  let y: string;
  if (x.shape.length === 2) {
    y = ctx.gemm(layer.name, materialize(ctx, x), { dims: kernel.shape, data: kernel.data }, bias?.data, c.activation && c.activation !== 'linear' ? `${base}_linear` : base);
  } else {
    // Dense on the last axis of a higher-rank tensor: work channels-last, then back to NCHW for rank 4.
    const W = b.floatInit(`${layer.name}_W`, kernel.shape, kernel.data);
    const B = bias ? b.floatInit(`${layer.name}_B`, [units], bias.data) : undefined;
    const mm = b.add('MatMul', [kerasLayout(ctx, x, base), W], `${base}_matmul`);
    y = B ? b.add('Add', [mm, B], `${base}_bias`) : mm;
    if (shape.length === 4) y = b.add('Transpose', [y], `${base}_nchw`, [attr.ints('perm', [0, 3, 1, 2])]);
  }
  return { name: activation(ctx, y, c.activation, shape, base), shape };
};

const product = (dims: Shape): number | null => (dims.some((d) => d === null) ? null : dims.reduce((p: number, d) => p * (d as number), 1));

const flatten: LayerEmitter = (ctx, { base, one }) => {
  const x = one();
  const shape: Shape = [x.shape[0], product(x.shape.slice(1))];
  const src = layoutFree(x.shape) ? materialize(ctx, x) : kerasLayout(ctx, x, base);
  return { name: ctx.b.add('Flatten', [src], base, [attr.int('axis', 1)]), shape };
};

const reshape: LayerEmitter = (ctx, { c, base, one }) => {
  const { b } = ctx;
  const x = one();
  const target = (c.target_shape as number[]).map(Number);
  const known = product(x.shape.slice(1));
  const fixed = target.filter((d) => d !== -1).reduce((p, d) => p * d, 1);
  const resolved = target.map((d) => (d === -1 ? (known === null ? null : known / fixed) : d));
  const shape: Shape = [x.shape[0], ...resolved];
  const src = layoutFree(x.shape) ? materialize(ctx, x) : kerasLayout(ctx, x, base);
  if (shape.length !== 4) return { name: b.add('Reshape', [src, b.int64s(reshapeDims(shape))], base), shape };
  if (layoutFree(shape)) return { name: b.add('Reshape', [src, b.int64s(toNchwShape(shape))], base), shape };
  const nhwc = b.add('Reshape', [src, b.int64s(reshapeDims(shape))], `${base}_nhwc`);
  return { name: b.add('Transpose', [nhwc], base, [attr.ints('perm', [0, 3, 1, 2])]), shape };
};

const cropping2d: LayerEmitter = (ctx, { layer, c, base, one, rank4 }) => {
  const x = rank4(one());
  checkChannelsLast(c, layer.name);
  const [t, bo, l, r] = edges2d(c.cropping, `layer ${layer.name}: cropping`);
  const END = 2 ** 53 - 1; // "to the end" for Slice
  const { b } = ctx;
  const name = b.add('Slice', [materialize(ctx, x), b.int64s([t, l]), b.int64s([bo ? -bo : END, r ? -r : END]), b.int64s([2, 3])], base);
  const [n, h, w, ch] = x.shape;
  return { name, shape: [n, h === null ? null : h - t - bo, w === null ? null : w - l - r, ch] };
};

/** Recorded on the value, not emitted: the next convolution absorbs it into its pads (or a Pad node is made). */
const zeroPadding2d: LayerEmitter = (_ctx, { layer, c, one, rank4 }) => {
  const x = rank4(one());
  checkChannelsLast(c, layer.name);
  const [t, bo, l, r] = edges2d(c.padding, `layer ${layer.name}: padding`);
  const prev = x.pads ?? [0, 0, 0, 0];
  const [n, h, w, ch] = x.shape;
  return {
    name: x.name,
    pads: [prev[0] + t, prev[1] + bo, prev[2] + l, prev[3] + r],
    shape: [n, h === null ? null : h + t + bo, w === null ? null : w + l + r, ch],
  };
};

const identity: LayerEmitter = (_ctx, { one }) => one();

export const CORE_EMITTERS: Record<string, LayerEmitter> = {
  Dense: dense,
  Flatten: flatten,
  Reshape: reshape,
  Cropping2D: cropping2d,
  ZeroPadding2D: zeroPadding2d,
  InputLayer: (_ctx, { layer }) => {
    throw unsupported(`InputLayer ${layer.name} used as an intermediate layer`);
  },
  // inference no-ops
  Dropout: identity,
  SpatialDropout1D: identity,
  SpatialDropout2D: identity,
  SpatialDropout3D: identity,
  GaussianNoise: identity,
  GaussianDropout: identity,
  AlphaDropout: identity,
  ActivityRegularization: identity,
};
