import { need, graphAxis, channelAxis, materialize, unsupported, type CompileContext, type LayerEmitter, type Shape } from './onnx-context.js';
import { attr } from './onnx-proto.js';

/** Composite activations, built from ONNX primitives. */
function compositeActivation(ctx: CompileContext, input: string, fn: string, base: string): string | undefined {
  const { b } = ctx;
  switch (fn) {
    case 'swish':
    case 'silu':
      return b.add('Mul', [input, b.add('Sigmoid', [input], `${base}_sigmoid`)], base);
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
      return undefined;
  }
}

/** A Keras activation function (by name) applied to `input`. */
export function activation(ctx: CompileContext, input: string, fn: string | undefined, shape: Shape, base: string): string {
  const { b } = ctx;
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
    case 'log_softmax':
    case 'logSoftmax':
      return b.add('LogSoftmax', [input], base, [attr.int('axis', channelAxis(shape.length))]);
    default: {
      const out = compositeActivation(ctx, input, fn, base);
      if (out === undefined) throw unsupported(`activation "${fn}" (layer ${base}) has no ONNX mapping here`);
      return out;
    }
  }
}

const relu: LayerEmitter = (ctx, { layer, c, base, one }) => {
  const x = one();
  const max = c.max_value ?? null;
  const slope = Number(c.negative_slope ?? 0);
  const threshold = Number(c.threshold ?? 0);
  if (threshold !== 0 || (slope !== 0 && max !== null)) throw unsupported(`layer ${layer.name}: ReLU with threshold/negative_slope and max_value`);
  const src = materialize(ctx, x);
  const { b } = ctx;
  if (slope !== 0) return { name: b.add('LeakyRelu', [src], base, [attr.float('alpha', slope)]), shape: x.shape };
  const name = max === null ? b.add('Relu', [src], base) : b.add('Clip', [src, b.scalar(0), b.scalar(Number(max))], base);
  return { name, shape: x.shape };
};

const softmax: LayerEmitter = (ctx, { layer, c, base, one }) => {
  const x = one();
  const rank = x.shape.length;
  const axis = Array.isArray(c.axis) ? c.axis : [c.axis ?? -1];
  if (axis.length !== 1) throw unsupported(`layer ${layer.name}: softmax over several axes`);
  const kAxis = axis[0] < 0 ? rank + axis[0] : axis[0];
  return { name: ctx.b.add('Softmax', [materialize(ctx, x)], base, [attr.int('axis', graphAxis(kAxis, rank))]), shape: x.shape };
};

const prelu: LayerEmitter = (ctx, { layer, base, one }) => {
  const x = one();
  const alpha = need(ctx.weights(layer.name), 'alpha', layer.name);
  let dims = alpha.shape;
  let data = alpha.data;
  if (dims.length === 3) {
    // Keras stores alpha as [H, W, C] (shared axes as 1); the graph is NCHW.
    const [h, w, ch] = dims;
    data = new Float32Array(alpha.data.length);
    for (let y = 0; y < h; y++) for (let xx = 0; xx < w; xx++) for (let c2 = 0; c2 < ch; c2++) data[(c2 * h + y) * w + xx] = alpha.data[(y * w + xx) * ch + c2];
    dims = [ch, h, w];
  }
  return { name: ctx.b.add('PRelu', [materialize(ctx, x), ctx.b.floatInit(`${layer.name}_alpha`, dims, data)], base), shape: x.shape };
};

/** One-parameter activation layers: ONNX op and its `alpha` from the Keras config. */
const alphaLayer =
  (op: string, alpha: (c: Record<string, any>) => number): LayerEmitter =>
  (ctx, { c, base, one }) => {
    const x = one();
    return { name: ctx.b.add(op, [materialize(ctx, x)], base, [attr.float('alpha', alpha(c))]), shape: x.shape };
  };

export const ACTIVATION_EMITTERS: Record<string, LayerEmitter> = {
  Activation: (ctx, { c, base, one }) => {
    const x = one();
    return { name: activation(ctx, materialize(ctx, x), c.activation, x.shape, base), shape: x.shape };
  },
  ReLU: relu,
  LeakyReLU: alphaLayer('LeakyRelu', (c) => Number(c.alpha ?? c.negative_slope ?? 0.3)),
  ELU: alphaLayer('Elu', (c) => Number(c.alpha ?? 1)),
  ThresholdedReLU: alphaLayer('ThresholdedRelu', (c) => Number(c.theta ?? 1)),
  Softmax: softmax,
  PReLU: prelu,
};
