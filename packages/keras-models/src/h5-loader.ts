import path from 'node:path';
import type * as tf from './tfjs.js';
import type { KerasModelTopology, LoadedKerasModel, NamedWeight } from './backend.js';
import { KerasModelsError } from './errors.js';
import { assignH5Weights, readKerasH5, type KerasH5Contents } from './h5-weights.js';
import type { LoadModelOptions } from './load-model.js';
import { mainTf } from './tfjs-main.js';
import { mobileNetV1 } from './architectures/mobilenet.js';
import { resNet50 } from './architectures/resnet50.js';

export type H5Architecture =
  | { kind: 'mobilenet'; alpha: number; depthMultiplier: number; inputSize: number; includeTop: boolean; classes: number }
  | { kind: 'resnet50'; inputSize: number; includeTop: boolean; classes: number };

export interface H5LoadOptions extends LoadModelOptions {
  /** Input size for weights-only MobileNet files (Keras names them `…_<size>_tf.h5`). Default: from the file name, else 224. */
  inputSize?: number;
}

const shapeOf = (c: KerasH5Contents, layer: string, weight: string): number[] | undefined =>
  c.layers.get(layer)?.find((w) => w.name.split('/').pop() === weight)?.shape;

/**
 * Which built-in architecture a weights-only file (no `model_config`) belongs to, read from its layer names and
 * weight shapes: Keras MobileNet v1 (any alpha / depth multiplier) or ResNet50.
 */
export function detectH5Architecture(contents: KerasH5Contents, file: string, options: H5LoadOptions = {}): H5Architecture {
  const sizeFromName = /_(\d{2,4})_tf(_no_top)?\.h5$/i.exec(path.basename(file));
  const inputSize = options.inputSize ?? (sizeFromName ? Number(sizeFromName[1]) : 224);
  const conv1 = shapeOf(contents, 'conv1', 'kernel');
  const dw1 = shapeOf(contents, 'conv_dw_1', 'depthwise_kernel');
  if (conv1 && dw1) {
    const preds = shapeOf(contents, 'conv_preds', 'kernel');
    return { kind: 'mobilenet', alpha: conv1[3] / 32, depthMultiplier: dw1[3], inputSize, includeTop: !!preds, classes: preds ? preds[3] : 1000 };
  }
  if (shapeOf(contents, 'conv1_conv', 'kernel') && shapeOf(contents, 'conv5_block3_3_conv', 'kernel') && !contents.layers.has('conv4_block7_1_conv')) {
    const preds = shapeOf(contents, 'predictions', 'kernel');
    return { kind: 'resnet50', inputSize: options.inputSize ?? 224, includeTop: !!preds, classes: preds ? preds[1] : 1000 };
  }
  if (contents.layers.has('res2a_branch2a')) {
    throw new KerasModelsError(
      'BAD_WEIGHTS',
      `${file} is a Keras ≤ 2.2.4 ResNet50 weights file (layer names res2a_branch2a…); use the tf.keras file resnet50_weights_tf_dim_ordering_tf_kernels.h5 (layer names conv2_block1_…) or save the full model with model.save()`,
    );
  }
  throw new KerasModelsError(
    'BAD_WEIGHTS',
    `${file} holds weights only (no model_config) and matches no built-in architecture (MobileNet v1, ResNet50); save the full model with model.save("model.h5") or convert it to tfjs layers format`,
  );
}

export function buildArchitecture(arch: H5Architecture): tf.LayersModel {
  if (arch.kind === 'mobilenet') {
    return mobileNetV1({ alpha: arch.alpha, depthMultiplier: arch.depthMultiplier, inputSize: arch.inputSize, includeTop: arch.includeTop, classes: arch.classes });
  }
  return resNet50({ inputSize: arch.inputSize, includeTop: arch.includeTop, classes: arch.classes });
}

/** tfjs artifacts of a built model (what worker threads rebuild it from), via an in-memory save handler. */
async function toArtifacts(model: tf.LayersModel): Promise<tf.io.ModelArtifacts> {
  let saved: tf.io.ModelArtifacts | undefined;
  await model.save({
    save: async (artifacts) => {
      saved = artifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    },
  });
  if (!saved) throw new KerasModelsError('BAD_WEIGHTS', 'tfjs did not serialise the model');
  return saved;
}

/**
 * Loads a Keras 2 `.h5`: a full model (`model.save`, architecture from its `model_config`) or a weights-only file
 * (`save_weights`, as in ~/.keras/models) into the matching built-in architecture. This is the hook `loadKerasModel`
 * calls for `.h5` sources.
 */
export async function loadH5Model(file: string, options: H5LoadOptions = {}): Promise<LoadedKerasModel> {
  const tfm = await mainTf();
  const contents = await readKerasH5(file);
  let model: tf.LayersModel;
  if (contents.modelConfig) {
    try {
      model = await tfm.models.modelFromJSON({ modelTopology: contents.modelConfig } as Parameters<typeof tfm.models.modelFromJSON>[0]);
    } catch (err) {
      // e.g. a Keras 3 config tfjs cannot read: a built-in architecture may still match the weights.
      const msg = (err as Error).message;
      try {
        model = buildArchitecture(detectH5Architecture(contents, file, options));
      } catch {
        const code = /Unknown layer|not registered|Unknown (activation|initializer|constraint|regularizer)/i.test(msg) ? 'UNSUPPORTED_LAYER' : 'BAD_MANIFEST';
        throw new KerasModelsError(code, `tfjs cannot build the model_config of ${file}: ${msg}`, { cause: err });
      }
    }
  } else {
    model = buildArchitecture(detectH5Architecture(contents, file, options));
  }
  try {
    assignH5Weights(model, contents);
  } catch (err) {
    model.dispose();
    throw err;
  }
  const artifacts = await toArtifacts(model);
  const weights = new Map<string, NamedWeight>();
  for (const v of model.weights) {
    const name = v.originalName ?? v.name;
    weights.set(name, { name, shape: v.shape as number[], data: v.read().dataSync() as Float32Array });
  }
  const inShape = model.inputs[0].shape;
  const outShape = model.outputs[0].shape;
  return {
    model,
    topology: artifacts.modelTopology as unknown as KerasModelTopology,
    weights,
    artifacts,
    source: file,
    dir: path.dirname(path.resolve(file)),
    inputSize: [inShape[1] ?? 224, inShape[2] ?? 224],
    numClasses: outShape[outShape.length - 1] ?? 0,
  };
}
