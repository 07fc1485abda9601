import type * as tf from './tfjs.js';
import { isChannelAxis, key, unsupported, type LayerCall, type LayerJson, type Shape, type WeightTensor } from './onnx-context.js';

/** A Keras model's layer graph in functional form (a Sequential model is rewritten as one). */
export interface KerasGraph {
  className: string;
  name: string;
  layers: LayerJson[];
  inputs: any[];
  outputs: any[];
}

const CONV_LAYERS = new Set(['Conv2D', 'DepthwiseConv2D', 'SeparableConv2D']);

function sequentialGraph(model: tf.LayersModel, className: string, config: any): KerasGraph {
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
    if (l.class_name === 'InputLayer') layers.push({ ...l, name, inbound_nodes: [] });
    else layers.push({ ...l, name, inbound_nodes: [[[prev, 0, 0, {}]]] });
    prev = name;
  }
  return { className, name: config.name ?? model.name, layers, inputs: [[layers[0].name, 0, 0]], outputs: [[prev, 0, 0]] };
}

export function kerasGraph(model: tf.LayersModel): KerasGraph {
  const json = model.toJSON(null, false) as Record<string, any>;
  const className = String(json.class_name);
  const config = json.config as Record<string, any>;
  if (className === 'Sequential') return sequentialGraph(model, className, config);
  return {
    className,
    name: config.name ?? model.name,
    layers: (config.layers as any[]).map((l) => ({ ...l, name: l.name ?? l.config.name })),
    inputs: config.input_layers,
    outputs: config.output_layers,
  };
}

/** Every call of every layer with the keys of the tensors it reads, and how many readers each tensor has. */
export function layerCalls(graph: KerasGraph, outputKey: string): { calls: LayerCall[]; consumers: Map<string, number> } {
  const calls: LayerCall[] = [];
  const consumers = new Map<string, number>();
  for (const layer of graph.layers) {
    layer.inbound_nodes.forEach((node: any, nodeIndex: number) => {
      if (!Array.isArray(node)) throw unsupported(`layer ${layer.name}: inbound node format not understood (Keras 3 JSON?)`);
      const inputs = node.map((ref: any[]) => key(ref[0], ref[1], ref[2]));
      for (const k of inputs) consumers.set(k, (consumers.get(k) ?? 0) + 1);
      calls.push({ layer, nodeIndex, inputs });
    });
  }
  consumers.set(outputKey, (consumers.get(outputKey) ?? 0) + 1);
  return { calls, consumers };
}

/** Which BatchNormalization layers fold into the convolution right before them (conv name → BN layer). */
export function batchNormFolds(calls: LayerCall[], consumers: Map<string, number>, layerByName: Map<string, LayerJson>): Map<string, LayerJson> {
  const foldInto = new Map<string, LayerJson>();
  for (const call of calls) {
    if (call.layer.class_name !== 'BatchNormalization' || call.layer.inbound_nodes.length !== 1) continue;
    const [srcName, srcNode] = call.inputs[0].split('\u0000');
    const src = layerByName.get(srcName);
    if (!src || !CONV_LAYERS.has(src.class_name) || src.inbound_nodes.length !== 1 || Number(srcNode) !== 0) continue;
    if ((src.config.activation ?? 'linear') !== 'linear' || consumers.get(call.inputs[0]) !== 1) continue;
    if (!isChannelAxis(call.layer.config.axis, 4)) continue;
    foldInto.set(src.name, call.layer);
  }
  return foldInto;
}

/** A layer's weights by suffix (`kernel`, `bias`, `moving_mean`, …), read from the tfjs model. */
export function layerWeights(model: tf.LayersModel, name: string): Map<string, WeightTensor> {
  const layer = model.getLayer(name);
  const out = new Map<string, WeightTensor>();
  for (const v of layer.weights) {
    const suffix = (v.originalName ?? v.name).split('/').pop()!.replace(/:\d+$/, '');
    out.set(suffix, { shape: v.shape as number[], data: v.read().dataSync() as Float32Array });
  }
  return out;
}
