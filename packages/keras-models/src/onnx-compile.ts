import type * as tf from './tfjs.js';
import { withDefaults } from './defaults.js';
import {
  key,
  kerasLayout,
  materialize,
  unsupported,
  type CompileContext,
  type EmitCall,
  type LayerCall,
  type LayerEmitter,
  type ResolvedCompileOptions,
  type Shape,
  type Value,
} from './onnx-context.js';
import { ACTIVATION_EMITTERS } from './onnx-emit-activation.js';
import { CONV_EMITTERS } from './onnx-emit-conv.js';
import { CORE_EMITTERS } from './onnx-emit-core.js';
import { MERGE_EMITTERS } from './onnx-emit-merge.js';
import { NORMALIZATION_EMITTERS } from './onnx-emit-normalization.js';
import { POOLING_EMITTERS } from './onnx-emit-pooling.js';
import { GraphBuilder } from './onnx-graph-builder.js';
import { batchNormFolds, kerasGraph, layerCalls, layerWeights, type KerasGraph } from './onnx-keras-graph.js';
import { attr, encodeOnnxModel, OnnxDataType } from './onnx-proto.js';
import { KerasModelsError } from './errors.js';
import { PREPROCESS_MODES, type PreprocessMode } from './options.js';

/**
 * Keras graph → ONNX compiler. Rank-4 tensors are kept NCHW inside the graph (what ONNX Runtime's CPU kernels are
 * fastest at); the model input stays NHWC like Keras and is transposed once at the top. TF 'same' padding is written
 * as explicit (possibly asymmetric) pads, so results match TensorFlow exactly. Each Keras layer class maps to one
 * emitter in a table, grouped by family in `onnx-emit-*.ts`.
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
  /**
   * Apply Keras `preprocess_input` of this mode inside the graph (Keras' own float32 steps, in its order): the input
   * is then raw RGB pixels 0–255 as floats. Default none (the input is already preprocessed).
   */
  preprocessing?: PreprocessMode;
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
  /** The preprocessing the graph applies to its raw-pixel input (options.preprocessing). */
  preprocessing?: PreprocessMode;
  stats: { layers: number; nodes: number; foldedBatchNorms: number; fusedPaddings: number; parameters: number };
}

/** Keras layer class → emitter. */
export const LAYER_EMITTERS: Readonly<Record<string, LayerEmitter>> = {
  ...CONV_EMITTERS,
  ...NORMALIZATION_EMITTERS,
  ...ACTIVATION_EMITTERS,
  ...POOLING_EMITTERS,
  ...MERGE_EMITTERS,
  ...CORE_EMITTERS,
};

/** The context with plain FP32 Conv / Gemm / Add. */
export function fp32Context(model: tf.LayersModel, opts: ResolvedCompileOptions, b = new GraphBuilder()): CompileContext {
  return {
    b,
    opts,
    foldInto: new Map(),
    stats: { foldedBatchNorms: 0, fusedPaddings: 0 },
    weights: (name) => layerWeights(model, name),
    conv(layer, input, weight, bias, attrs, outName) {
      const inputs = [input, b.floatInit(`${layer}_W`, weight.dims, weight.data)];
      if (bias) inputs.push(b.floatInit(`${layer}_B`, [weight.dims[0]], bias));
      return b.add('Conv', inputs, outName, attrs);
    },
    gemm(layer, input, weight, bias, outName) {
      const inputs = [input, b.floatInit(`${layer}_W`, weight.dims, weight.data)];
      if (bias) inputs.push(b.floatInit(`${layer}_B`, [weight.dims[1]], bias));
      return b.add('Gemm', inputs, outName);
    },
    add: (inputs, outName) => b.add('Add', inputs, outName),
  };
}

function emitCall(ctx: CompileContext, call: LayerCall, ins: Value[]): Value {
  const { layer } = call;
  const emitter = Object.hasOwn(LAYER_EMITTERS, layer.class_name) ? LAYER_EMITTERS[layer.class_name] : undefined;
  if (!emitter) {
    throw unsupported(`layer ${layer.name} of type ${layer.class_name} cannot be compiled to ONNX; use the tfjs backends (--backend wasm) for this model`);
  }
  const args: EmitCall = {
    layer,
    c: layer.config,
    base: call.nodeIndex === 0 ? layer.name : `${layer.name}_${call.nodeIndex}`,
    ins,
    one() {
      if (ins.length !== 1) throw unsupported(`layer ${layer.name} (${layer.class_name}) expects one input, got ${ins.length}`);
      return ins[0];
    },
    rank4(v) {
      if (v.shape.length !== 4) throw unsupported(`layer ${layer.name} (${layer.class_name}) needs a rank-4 input, got shape ${JSON.stringify(v.shape)}`);
      return v;
    },
  };
  return emitter(ctx, args);
}

/** Emits every layer call once its inputs exist (Keras JSON lists layers in no guaranteed order). */
function walk(ctx: CompileContext, calls: LayerCall[], values: Map<string, Value>): void {
  const pending = calls.filter((cl) => cl.layer.class_name !== 'InputLayer');
  while (pending.length > 0) {
    const before = pending.length;
    for (let i = 0; i < pending.length; i++) {
      const call = pending[i];
      const outKey = key(call.layer.name, call.nodeIndex, 0);
      if (!call.inputs.every((k) => values.has(k))) continue;
      pending.splice(i--, 1);
      if (values.has(outKey)) continue; // a BatchNormalization already folded into its conv
      const out = emitCall(ctx, call, call.inputs.map((k) => values.get(k)!));
      values.set(outKey, out);
      const fold = ctx.foldInto.get(call.layer.name);
      if (fold) values.set(key(fold.name, 0, 0), out);
    }
    if (pending.length === before) {
      throw unsupported(`cannot order layers ${pending.slice(0, 3).map((cl) => cl.layer.name).join(', ')}: missing inputs`);
    }
  }
}

const PLANE = [1, 3, 1, 1]; // per-channel constants of an NCHW image

/** Keras preprocess_input (imagenet_utils) as ops on an NCHW float image of raw 0–255 RGB pixels. */
function preprocessOps(b: GraphBuilder, x: string, mode: PreprocessMode): string {
  switch (mode) {
    case 'tf': // x /= 127.5; x -= 1
      return b.add('Sub', [b.add('Div', [x, b.scalar(127.5)], 'pre_scaled'), b.scalar(1)], 'pre_tf');
    case 'caffe': {
      // RGB → BGR, then minus the ImageNet BGR mean
      const bgr = b.add('Gather', [x, b.int64s([2, 1, 0])], 'pre_bgr', [attr.int('axis', 1)]);
      return b.add('Sub', [bgr, b.floatInit('pre_mean', PLANE, Float32Array.of(103.939, 116.779, 123.68))], 'pre_caffe');
    }
    case 'torch': {
      // x /= 255; x -= mean; x /= std
      const unit = b.add('Div', [x, b.scalar(255)], 'pre_unit');
      const centred = b.add('Sub', [unit, b.floatInit('pre_mean', PLANE, Float32Array.of(0.485, 0.456, 0.406))], 'pre_centred');
      return b.add('Div', [centred, b.floatInit('pre_std', PLANE, Float32Array.of(0.229, 0.224, 0.225))], 'pre_torch');
    }
    case 'none':
      return x;
  }
}

/** The model input: NHWC as in Keras, transposed once to NCHW for the graph (then preprocessed, if asked). */
function graphInput(ctx: CompileContext, graph: KerasGraph): { inputName: string; inputShape: Shape; value: Value } {
  const layer = graph.layers.find((l) => l.name === graph.inputs[0][0]);
  if (!layer || layer.class_name !== 'InputLayer') throw unsupported(`model input ${graph.inputs[0][0]} is not an InputLayer`);
  const inputShape: Shape = (layer.config.batch_input_shape ?? layer.config.batch_shape) as Shape;
  if (!Array.isArray(inputShape)) throw unsupported(`InputLayer ${layer.name} has no batch_input_shape`);
  const inputName = layer.name;
  ctx.b.reserve(inputName);
  const shape: Shape = [null, ...inputShape.slice(1)];
  const mode = ctx.opts.preprocessing;
  if (mode && (inputShape.length !== 4 || inputShape[3] !== 3)) throw unsupported(`preprocessing ${mode} needs an RGB image input, model has ${JSON.stringify(inputShape)}`);
  const nchw = () => ctx.b.add('Transpose', [inputName], `${inputName}_nchw`, [attr.ints('perm', [0, 3, 1, 2])]);
  const value: Value = inputShape.length === 4 ? { name: mode ? preprocessOps(ctx.b, nchw(), mode) : nchw(), shape } : { name: inputName, shape };
  return { inputName, inputShape, value };
}

/** Compiles a loaded Keras model (tfjs LayersModel) into ONNX. Throws UNSUPPORTED_LAYER naming the first layer it cannot map. */
export function compileKerasToOnnx(model: tf.LayersModel, options: OnnxCompileOptions = {}): CompiledOnnxModel {
  return compileWith(model, options, fp32Context);
}

/** The compiler with a chosen context factory (FP32, or one that quantizes Conv / Gemm / Add). */
export function compileWith(
  model: tf.LayersModel,
  options: OnnxCompileOptions,
  makeContext: (model: tf.LayersModel, opts: ResolvedCompileOptions) => CompileContext,
): CompiledOnnxModel {
  const opts: ResolvedCompileOptions = withDefaults(DEFAULT_COMPILE_OPTIONS, options);
  if (opts.preprocessing !== undefined && !PREPROCESS_MODES.includes(opts.preprocessing)) {
    throw new KerasModelsError('BAD_OPTION', `unknown preprocessing ${JSON.stringify(opts.preprocessing)} (use ${PREPROCESS_MODES.join(', ')})`);
  }
  const graph = kerasGraph(model);
  if (graph.inputs.length !== 1 || graph.outputs.length !== 1) {
    throw unsupported(`model ${graph.name} has ${graph.inputs.length} inputs and ${graph.outputs.length} outputs; ONNX export handles one of each`);
  }
  const ctx = makeContext(model, opts);
  const outputKey = key(graph.outputs[0][0], graph.outputs[0][1], graph.outputs[0][2]);
  const { calls, consumers } = layerCalls(graph, outputKey);
  if (opts.foldBatchNorm) for (const [k, v] of batchNormFolds(calls, consumers, new Map(graph.layers.map((l) => [l.name, l])))) ctx.foldInto.set(k, v);

  const { inputName, inputShape, value } = graphInput(ctx, graph);
  // The graph output carries the Keras output layer's name; the layer's own node gets a suffixed one.
  const outputName = graph.outputs[0][0] === inputName ? `${inputName}_output` : String(graph.outputs[0][0]);
  ctx.b.reserve(outputName);
  const values = new Map<string, Value>([[key(inputName, 0, 0), value]]);
  walk(ctx, calls, values);

  const outValue = values.get(outputKey);
  if (!outValue) throw unsupported(`model output ${graph.outputs[0][0]} was not produced`);
  const outSrc = outValue.shape.length === 4 ? kerasLayout(ctx, outValue, `${outputName}_out`) : materialize(ctx, outValue);
  ctx.b.nodes.push({ name: outputName, opType: 'Identity', input: [outSrc], output: [outputName], attribute: [] });
  const extraOutputs = ctx.finish?.().extraOutputs ?? [];
  const batchDim: number | string = options.batchSize ?? 'N';
  const inputDims = [batchDim, ...inputShape.slice(1).map((d, i) => (d === null ? `d${i + 1}` : d))];
  const outputDims = [batchDim, ...outValue.shape.slice(1).map((d, i) => (d === null ? `o${i + 1}` : d))];
  const bytes = encodeOnnxModel({
    irVersion: IR_VERSION,
    opset: OPSET,
    producerName: 'oidstream keras-models',
    producerVersion: '0.1.0',
    docString: `Compiled from Keras model ${graph.name}`,
    graph: {
      name: options.graphName ?? graph.name,
      node: ctx.b.nodes,
      initializer: ctx.b.initializers,
      input: [{ name: inputName, dims: inputDims, elemType: OnnxDataType.FLOAT }],
      output: [{ name: outputName, dims: outputDims, elemType: OnnxDataType.FLOAT }, ...extraOutputs.map((name) => ({ name, elemType: OnnxDataType.FLOAT }))],
    },
  });
  return {
    bytes,
    inputName,
    outputName,
    inputShape: [options.batchSize ?? null, ...inputShape.slice(1)],
    outputShape: [options.batchSize ?? null, ...outValue.shape.slice(1)],
    ...(opts.preprocessing ? { preprocessing: opts.preprocessing } : {}),
    stats: { layers: graph.layers.length, nodes: ctx.b.nodes.length, ...ctx.stats, parameters: ctx.b.parameters },
  };
}
