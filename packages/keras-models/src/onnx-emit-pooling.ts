import { checkChannelsLast, convOutSize, materialize, pair, samePads, unsupported, type LayerEmitter } from './onnx-context.js';
import { attr } from './onnx-proto.js';

const pool2d: LayerEmitter = (ctx, { layer, c, base, one, rank4 }) => {
  const x = rank4(one());
  checkChannelsLast(c, layer.name);
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
  const name = ctx.b.add(op, [materialize(ctx, x)], base, attrs);
  return { name, shape: [n, convOutSize(h, k[0], s[0], 1, padH), convOutSize(w, k[1], s[1], 1, padW), ch] };
};

const globalPool2d: LayerEmitter = (ctx, { layer, c, base, one, rank4 }) => {
  const x = rank4(one());
  checkChannelsLast(c, layer.name);
  const op = layer.class_name === 'GlobalAveragePooling2D' ? 'GlobalAveragePool' : 'GlobalMaxPool';
  const keep = c.keepdims === true;
  const pooled = ctx.b.add(op, [materialize(ctx, x)], keep ? base : `${base}_pool`);
  if (keep) return { name: pooled, shape: [x.shape[0], 1, 1, x.shape[3]] };
  return { name: ctx.b.add('Flatten', [pooled], base, [attr.int('axis', 1)]), shape: [x.shape[0], x.shape[3]] };
};

export const POOLING_EMITTERS: Record<string, LayerEmitter> = {
  MaxPooling2D: pool2d,
  AveragePooling2D: pool2d,
  GlobalAveragePooling2D: globalPool2d,
  GlobalMaxPooling2D: globalPool2d,
};
