import type { PreprocessMode } from './options.js';
import { KerasModelsError } from './errors.js';
import type { GraphBuilder } from './onnx-graph-builder.js';
import { attr, type OnnxAttribute } from './onnx-proto.js';

/** Keras shape (channels last), batch first; null = any size. */
export type Shape = Array<number | null>;

/** A graph value. Invariant: rank-4 values are NCHW in the ONNX graph, every other rank is in Keras layout. */
export interface Value {
  name: string;
  /** Keras shape (channels last), batch first. */
  shape: Shape;
  /** Zero padding [top, bottom, left, right] not yet applied (ZeroPadding2D waiting for a conv to absorb it). */
  pads?: [number, number, number, number];
  padded?: string;
}

export interface LayerJson {
  class_name: string;
  name: string;
  config: Record<string, any>;
  inbound_nodes: any[];
}

export interface LayerCall {
  layer: LayerJson;
  nodeIndex: number;
  inputs: string[];
}

export interface WeightTensor {
  shape: number[];
  data: Float32Array;
}

/** A weight in ONNX layout (conv: [cout, cin/group, kh, kw]; Gemm: [in, out]). */
export interface OnnxKernel {
  dims: number[];
  data: Float32Array;
}

export interface ResolvedCompileOptions {
  foldBatchNorm: boolean;
  fusePadding: boolean;
  batchSize?: number;
  graphName?: string;
  preprocessing?: PreprocessMode;
}

/** What every layer emitter shares: the graph being built, the options, the weights and the fold plan. */
export interface CompileContext {
  b: GraphBuilder;
  opts: ResolvedCompileOptions;
  /** conv layer name → the BatchNormalization folded into it */
  foldInto: Map<string, LayerJson>;
  stats: { foldedBatchNorms: number; fusedPaddings: number };
  /** A layer's weights by suffix (`kernel`, `bias`, `gamma`, …). */
  weights(layerName: string): Map<string, WeightTensor>;
  /** Emits a Conv with its weight and bias initializers; returns its output. (A quantizing compiler overrides it.) */
  conv(layer: string, input: string, weight: OnnxKernel, bias: Float32Array | undefined, attrs: OnnxAttribute[], outName: string): string;
  /** Emits a rank-2 Gemm (x·W + B) with its initializers; returns its output. */
  gemm(layer: string, input: string, weight: OnnxKernel, bias: Float32Array | undefined, outName: string): string;
  /** Emits a two-input Add (residual connections). */
  add(inputs: string[], outName: string): string;
  /** Called once the graph is built: a last rewrite, and extra graph outputs (calibration reads them). */
  finish?(): { extraOutputs?: string[] };
}

/** One call of one layer, as an emitter sees it. */
export interface EmitCall {
  layer: LayerJson;
  /** The layer's Keras config. */
  c: Record<string, any>;
  /** Name for the call's output node. */
  base: string;
  ins: Value[];
  /** The single input (throws when the layer got several). */
  one(): Value;
  /** Checks that a value is rank 4. */
  rank4(v: Value): Value;
}

export type LayerEmitter = (ctx: CompileContext, call: EmitCall) => Value;

export function unsupported(message: string): KerasModelsError {
  return new KerasModelsError('UNSUPPORTED_LAYER', message);
}

export function need(w: Map<string, WeightTensor>, name: string, layer: string): WeightTensor {
  const t = w.get(name);
  if (!t) throw new KerasModelsError('BAD_WEIGHTS', `layer ${layer} has no weight "${name}"`);
  return t;
}

/** Keras' 2D cropping/padding spec (n, [rows, cols] or [[top, bottom], [left, right]]) as [top, bottom, left, right]. */
export function edges2d(p: unknown, what: string): [number, number, number, number] {
  if (typeof p === 'number') return [p, p, p, p];
  if (Array.isArray(p) && p.length === 2 && typeof p[0] === 'number') return [p[0], p[0], p[1], p[1]];
  if (Array.isArray(p) && p.length === 2 && Array.isArray(p[0])) return [p[0][0], p[0][1], p[1][0], p[1][1]];
  throw unsupported(`${what} ${JSON.stringify(p)}`);
}

export function pair(v: unknown, what: string, layer: string): [number, number] {
  if (typeof v === 'number') return [v, v];
  if (Array.isArray(v) && v.length === 2 && v.every((x) => typeof x === 'number')) return [v[0], v[1]];
  if (Array.isArray(v) && v.length === 1 && typeof v[0] === 'number') return [v[0], v[0]];
  throw unsupported(`layer ${layer}: cannot read ${what} ${JSON.stringify(v)}`);
}

export function checkChannelsLast(c: Record<string, any>, layer: string): void {
  if ((c.data_format ?? 'channels_last') !== 'channels_last') throw unsupported(`layer ${layer}: data_format ${c.data_format}`);
}

export const key = (layer: string, node: number, tensor: number): string => `${layer}\u0000${node}\u0000${tensor}`;

/** TF 'same' padding for one spatial dim: the extra pixel goes at the end (what ONNX calls SAME_UPPER). */
export function samePads(size: number, k: number, s: number, d: number): [number, number] {
  const out = Math.ceil(size / s);
  const total = Math.max((out - 1) * s + (k - 1) * d + 1 - size, 0);
  const before = Math.floor(total / 2);
  return [before, total - before];
}

export function convOutSize(size: number | null, k: number, s: number, d: number, padTotal: number): number | null {
  if (size === null) return null;
  return Math.floor((size + padTotal - ((k - 1) * d + 1)) / s) + 1;
}

export function isChannelAxis(axis: unknown, rank: number): boolean {
  const a = Array.isArray(axis) ? axis : [axis ?? -1];
  return a.length === 1 && (a[0] === -1 || a[0] === rank - 1);
}

/** The value with any pending ZeroPadding2D applied as a Pad node. */
export function materialize(ctx: CompileContext, v: Value): string {
  if (!v.pads) return v.name;
  if (!v.padded) {
    const [t, bo, l, r] = v.pads;
    v.padded = ctx.b.add('Pad', [v.name, ctx.b.int64s([0, 0, t, l, 0, 0, bo, r])], `${v.name}_pad`, [attr.string('mode', 'constant')]);
  }
  return v.padded;
}

/** The value's data in Keras (channels-last) layout. */
export function kerasLayout(ctx: CompileContext, v: Value, base: string): string {
  const name = materialize(ctx, v);
  return v.shape.length === 4 ? ctx.b.add('Transpose', [name], `${base}_nhwc`, [attr.ints('perm', [0, 2, 3, 1])]) : name;
}

/** NCHW and NHWC hold the same bytes when the tensor is 1×1 spatially or has one channel. */
export const layoutFree = (shape: Shape): boolean => shape.length !== 4 || (shape[1] === 1 && shape[2] === 1) || shape[3] === 1;
export const toNchwShape = (s: Shape): number[] => [0, s[3] ?? -1, s[1] ?? -1, s[2] ?? -1];
export const reshapeDims = (s: Shape): number[] => [0, ...s.slice(1).map((d) => d ?? -1)];
export const channelAxis = (rank: number): number => (rank === 4 ? 1 : rank - 1);
/** Keras axis of a rank-`rank` tensor → its axis in the graph (NCHW for rank 4). */
export const graphAxis = (kAxis: number, rank: number): number => (rank === 4 ? [0, 2, 3, 1][kAxis] : kAxis);

export function channelConst(ctx: CompileContext, base: string, data: Float32Array, rank: number): string {
  return ctx.b.floatInit(base, rank === 4 ? [data.length, 1, 1] : [data.length], data);
}
