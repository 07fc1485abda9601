import { graphAxis, materialize, unsupported, type LayerEmitter } from './onnx-context.js';
import { attr } from './onnx-proto.js';

const ELEMENTWISE_OP: Record<string, string> = { Add: 'Sum', Subtract: 'Sub', Multiply: 'Mul', Maximum: 'Max', Minimum: 'Min', Average: 'Sum' };

const elementwise: LayerEmitter = (ctx, { layer, base, ins }) => {
  const { b } = ctx;
  if (ins.length < 2) throw unsupported(`layer ${layer.name} (${layer.class_name}) needs two or more inputs`);
  const rank = ins[0].shape.length;
  if (ins.some((v) => v.shape.length !== rank)) throw unsupported(`layer ${layer.name}: merging tensors of different ranks`);
  const names = ins.map((v) => materialize(ctx, v));
  const shape = ins[0].shape;
  const op = ELEMENTWISE_OP[layer.class_name];
  const average = layer.class_name === 'Average';
  if (layer.class_name === 'Subtract' && names.length !== 2) throw unsupported(`layer ${layer.name}: Subtract of ${names.length} inputs`);
  let name: string;
  if (op === 'Sum' && names.length === 2) name = ctx.add(names, average ? `${base}_sum` : base);
  else if (op === 'Mul' && names.length > 2) name = names.slice(1).reduce((acc, n, i) => b.add('Mul', [acc, n], i === names.length - 2 ? base : `${base}_${i}`), names[0]);
  else name = b.add(op, names, average ? `${base}_sum` : base);
  if (average) name = b.add('Mul', [name, b.scalar(1 / names.length)], base);
  return { name, shape };
};

const concatenate: LayerEmitter = (ctx, { layer, c, base, ins }) => {
  const rank = ins[0].shape.length;
  if (ins.some((v) => v.shape.length !== rank)) throw unsupported(`layer ${layer.name}: concatenating tensors of different ranks`);
  const kAxis = (c.axis ?? -1) < 0 ? rank + (c.axis ?? -1) : c.axis;
  const shape = [...ins[0].shape];
  shape[kAxis] = ins.some((v) => v.shape[kAxis] === null) ? null : ins.reduce((sum, v) => sum + (v.shape[kAxis] as number), 0);
  const names = ins.map((v) => materialize(ctx, v));
  return { name: ctx.b.add('Concat', names, base, [attr.int('axis', graphAxis(kAxis, rank))]), shape };
};

export const MERGE_EMITTERS: Record<string, LayerEmitter> = {
  Add: elementwise,
  Subtract: elementwise,
  Multiply: elementwise,
  Maximum: elementwise,
  Minimum: elementwise,
  Average: elementwise,
  Concatenate: concatenate,
};
