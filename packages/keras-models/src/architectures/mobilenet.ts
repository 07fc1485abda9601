import * as tf from '../tfjs.js';
import { KerasModelsError } from '../errors.js';

/**
 * Keras MobileNet v1 (keras.applications.MobileNet), layer for layer, with the Keras layer names of the hosted
 * Keras/tfjs exports (`conv1`, `conv_dw_N`, `conv_pw_N`, `*_bn`, `*_relu`, `conv_preds`, `act_softmax`), so Keras
 * ImageNet weights (.h5 or tfjs) load into it by name. Stride-2 convolutions use TF 'same' padding, which gives the
 * same result as the ZeroPadding2D + 'valid' form newer Keras versions write (the padding layers carry no weights).
 */
export interface MobileNetOptions {
  /** Width multiplier. Keras ships ImageNet weights for 0.25, 0.5, 0.75 and 1.0. Default 1. */
  alpha?: number;
  /** Depthwise multiplier. Default 1. */
  depthMultiplier?: number;
  /** Dropout before the classifier. Default 1e-3 (Keras). */
  dropout?: number;
  /** Keep the classifier head (GAP → 1×1 conv → softmax). Default true. */
  includeTop?: boolean;
  classes?: number;
  /** Input height = width. Default 224 (Keras: 128, 160, 192 or 224 for ImageNet weights). */
  inputSize?: number;
  /** Model name. Default `mobilenet_<alpha>_<size>` as Keras names it. */
  name?: string;
}

export const MOBILENET_DEFAULTS = { alpha: 1, depthMultiplier: 1, dropout: 1e-3, includeTop: true, classes: 1000, inputSize: 224 } as const;
export const MOBILENET_ALPHAS = [0.25, 0.5, 0.75, 1] as const;

/** (pointwise filters, stride) of the 13 depthwise-separable blocks. */
const BLOCKS: ReadonlyArray<readonly [number, number]> = [
  [64, 1], [128, 2], [128, 1], [256, 2], [256, 1], [512, 2],
  [512, 1], [512, 1], [512, 1], [512, 1], [512, 1], [1024, 2], [1024, 1],
];

export function mobileNetV1(options: MobileNetOptions = {}): tf.LayersModel {
  const o = { ...MOBILENET_DEFAULTS, ...options };
  if (!(o.alpha > 0)) throw new KerasModelsError('BAD_OPTION', `MobileNet alpha must be > 0, got ${o.alpha}`);
  if (!Number.isInteger(o.depthMultiplier) || o.depthMultiplier < 1) throw new KerasModelsError('BAD_OPTION', `depthMultiplier must be a positive integer`);
  if (!Number.isInteger(o.inputSize) || o.inputSize < 32) throw new KerasModelsError('BAD_OPTION', `MobileNet inputSize must be an integer ≥ 32`);
  const width = (filters: number) => Math.trunc(filters * o.alpha); // Keras: int(filters * alpha)
  const bn = (name: string) => tf.layers.batchNormalization({ axis: -1, momentum: 0.99, epsilon: 1e-3, name });
  // Keras' default initializer is glorot_uniform (tfjs defaults to glorotNormal).
  const relu6 = (name: string) => tf.layers.activation({ activation: 'relu6', name });

  const input = tf.input({ batchShape: [null, o.inputSize, o.inputSize, 3], name: 'input_1' });
  let x = tf.layers.conv2d({ filters: width(32), kernelSize: 3, strides: 2, padding: 'same', useBias: false, kernelInitializer: 'glorotUniform', name: 'conv1' }).apply(input) as tf.SymbolicTensor;
  x = bn('conv1_bn').apply(x) as tf.SymbolicTensor;
  x = relu6('conv1_relu').apply(x) as tf.SymbolicTensor;
  BLOCKS.forEach(([filters, stride], i) => {
    const id = i + 1;
    x = tf.layers
      .depthwiseConv2d({ kernelSize: 3, depthMultiplier: o.depthMultiplier, strides: stride, padding: 'same', useBias: false, depthwiseInitializer: 'glorotUniform', name: `conv_dw_${id}` })
      .apply(x) as tf.SymbolicTensor;
    x = bn(`conv_dw_${id}_bn`).apply(x) as tf.SymbolicTensor;
    x = relu6(`conv_dw_${id}_relu`).apply(x) as tf.SymbolicTensor;
    x = tf.layers.conv2d({ filters: width(filters), kernelSize: 1, strides: 1, padding: 'same', useBias: false, kernelInitializer: 'glorotUniform', name: `conv_pw_${id}` }).apply(x) as tf.SymbolicTensor;
    x = bn(`conv_pw_${id}_bn`).apply(x) as tf.SymbolicTensor;
    x = relu6(`conv_pw_${id}_relu`).apply(x) as tf.SymbolicTensor;
  });
  if (o.includeTop) {
    const channels = width(1024);
    x = tf.layers.globalAveragePooling2d({ name: 'global_average_pooling2d_1' }).apply(x) as tf.SymbolicTensor;
    x = tf.layers.reshape({ targetShape: [1, 1, channels], name: 'reshape_1' }).apply(x) as tf.SymbolicTensor;
    x = tf.layers.dropout({ rate: o.dropout, name: 'dropout' }).apply(x) as tf.SymbolicTensor;
    x = tf.layers.conv2d({ filters: o.classes, kernelSize: 1, padding: 'same', kernelInitializer: 'glorotUniform', name: 'conv_preds' }).apply(x) as tf.SymbolicTensor;
    x = tf.layers.activation({ activation: 'softmax', name: 'act_softmax' }).apply(x) as tf.SymbolicTensor;
    x = tf.layers.reshape({ targetShape: [o.classes], name: 'reshape_2' }).apply(x) as tf.SymbolicTensor;
  }
  return tf.model({ inputs: input, outputs: x, name: o.name ?? `mobilenet_${o.alpha.toFixed(2)}_${o.inputSize}` });
}
