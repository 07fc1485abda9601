import { KerasModelsError } from './errors.js';
import { channelConst, isChannelAxis, materialize, need, unsupported, type CompileContext, type LayerEmitter, type LayerJson } from './onnx-context.js';

/** BatchNormalization as a per-channel affine map y = x·scale + shift (inference mode). */
export function bnParams(ctx: CompileContext, bn: LayerJson, channels: number): { scale: Float64Array; shift: Float64Array } {
  const w = ctx.weights(bn.name);
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
}

const batchNormalization: LayerEmitter = (ctx, { layer, c, base, one }) => {
  const x = one();
  if (!isChannelAxis(c.axis, x.shape.length)) throw unsupported(`layer ${layer.name}: BatchNormalization over axis ${JSON.stringify(c.axis)}`);
  const channels = x.shape[x.shape.length - 1];
  if (channels === null) throw unsupported(`layer ${layer.name}: unknown channel count`);
  const { scale, shift } = bnParams(ctx, layer, channels);
  const rank = x.shape.length;
  const mul = ctx.b.add('Mul', [materialize(ctx, x), channelConst(ctx, `${layer.name}_scale`, Float32Array.from(scale), rank)], `${base}_mul`);
  return { name: ctx.b.add('Add', [mul, channelConst(ctx, `${layer.name}_shift`, Float32Array.from(shift), rank)], base), shape: x.shape };
};

const rescaling: LayerEmitter = (ctx, { c, base, one }) => {
  const x = one();
  const scale = Number(c.scale ?? 1);
  const offset = Number(c.offset ?? 0);
  let name = materialize(ctx, x);
  if (scale !== 1) name = ctx.b.add('Mul', [name, ctx.b.scalar(scale)], offset !== 0 ? `${base}_mul` : base);
  if (offset !== 0) name = ctx.b.add('Add', [name, ctx.b.scalar(offset)], base);
  return { name, shape: x.shape };
};

export const NORMALIZATION_EMITTERS: Record<string, LayerEmitter> = {
  BatchNormalization: batchNormalization,
  Rescaling: rescaling,
};
