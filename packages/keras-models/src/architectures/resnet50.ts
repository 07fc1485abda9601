import * as tf from '../tfjs.js';
import { KerasModelsError } from '../errors.js';

/**
 * Keras ResNet50 (keras.applications.ResNet50, the `resnet.py` version of Keras ≥ 2.2.5 / tf.keras) with its layer
 * names (`conv1_conv`, `conv2_block1_0_conv`, …, `conv5_block3_out`, `avg_pool`, `predictions`), so the Keras
 * ImageNet weights file `resnet50_weights_tf_dim_ordering_tf_kernels.h5` loads into it by name.
 */
export interface ResNet50Options {
  includeTop?: boolean;
  classes?: number;
  /** Input height = width. Default 224. */
  inputSize?: number;
  name?: string;
}

export const RESNET50_DEFAULTS = { includeTop: true, classes: 1000, inputSize: 224, name: 'resnet50' } as const;

type T = tf.SymbolicTensor;

/** Keras' Conv2D defaults: glorot_uniform kernel, bias on (tfjs defaults to glorotNormal). */
const conv2d = (args: Parameters<typeof tf.layers.conv2d>[0]) => tf.layers.conv2d({ kernelInitializer: 'glorotUniform', ...args });
const EPS = 1.001e-5;

function bn(name: string) {
  return tf.layers.batchNormalization({ axis: 3, epsilon: EPS, momentum: 0.99, name });
}

/** Keras `block1`: bottleneck residual block (stride on the first 1×1 conv, as Keras' ResNet v1 does). */
function block(x: T, filters: number, stride: number, convShortcut: boolean, name: string): T {
  let shortcut = x;
  if (convShortcut) {
    shortcut = conv2d({ filters: 4 * filters, kernelSize: 1, strides: stride, name: `${name}_0_conv` }).apply(x) as T;
    shortcut = bn(`${name}_0_bn`).apply(shortcut) as T;
  }
  let y = conv2d({ filters, kernelSize: 1, strides: stride, name: `${name}_1_conv` }).apply(x) as T;
  y = bn(`${name}_1_bn`).apply(y) as T;
  y = tf.layers.activation({ activation: 'relu', name: `${name}_1_relu` }).apply(y) as T;
  y = conv2d({ filters, kernelSize: 3, padding: 'same', name: `${name}_2_conv` }).apply(y) as T;
  y = bn(`${name}_2_bn`).apply(y) as T;
  y = tf.layers.activation({ activation: 'relu', name: `${name}_2_relu` }).apply(y) as T;
  y = conv2d({ filters: 4 * filters, kernelSize: 1, name: `${name}_3_conv` }).apply(y) as T;
  y = bn(`${name}_3_bn`).apply(y) as T;
  y = tf.layers.add({ name: `${name}_add` }).apply([shortcut, y]) as T;
  return tf.layers.activation({ activation: 'relu', name: `${name}_out` }).apply(y) as T;
}

function stack(x: T, filters: number, blocks: number, stride: number, name: string): T {
  x = block(x, filters, stride, true, `${name}_block1`);
  for (let i = 2; i <= blocks; i++) x = block(x, filters, 1, false, `${name}_block${i}`);
  return x;
}

export function resNet50(options: ResNet50Options = {}): tf.LayersModel {
  const o = { ...RESNET50_DEFAULTS, ...options };
  if (!Number.isInteger(o.inputSize) || o.inputSize < 32) throw new KerasModelsError('BAD_OPTION', `ResNet50 inputSize must be an integer ≥ 32`);
  const input = tf.input({ batchShape: [null, o.inputSize, o.inputSize, 3], name: 'input_1' });
  let x = tf.layers.zeroPadding2d({ padding: [[3, 3], [3, 3]], name: 'conv1_pad' }).apply(input) as T;
  x = conv2d({ filters: 64, kernelSize: 7, strides: 2, name: 'conv1_conv' }).apply(x) as T;
  x = bn('conv1_bn').apply(x) as T;
  x = tf.layers.activation({ activation: 'relu', name: 'conv1_relu' }).apply(x) as T;
  x = tf.layers.zeroPadding2d({ padding: [[1, 1], [1, 1]], name: 'pool1_pad' }).apply(x) as T;
  x = tf.layers.maxPooling2d({ poolSize: 3, strides: 2, name: 'pool1_pool' }).apply(x) as T;
  x = stack(x, 64, 3, 1, 'conv2');
  x = stack(x, 128, 4, 2, 'conv3');
  x = stack(x, 256, 6, 2, 'conv4');
  x = stack(x, 512, 3, 2, 'conv5');
  if (o.includeTop) {
    x = tf.layers.globalAveragePooling2d({ name: 'avg_pool' }).apply(x) as T;
    x = tf.layers.dense({ units: o.classes, kernelInitializer: 'glorotUniform', activation: 'softmax', name: 'predictions' }).apply(x) as T;
  }
  return tf.model({ inputs: input, outputs: x, name: o.name });
}
