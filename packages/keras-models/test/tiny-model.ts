import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as tf from '../src/tfjs.js';

export const TINY_CLASSES = 1000;
export const TINY_SIZE = 8;

/** A small real Keras-style model (conv → GAP → dense softmax over 1000 classes) on size×size RGB input (default 8). */
export async function makeTinyModel(name = 'tiny_mobilenet', size = TINY_SIZE): Promise<tf.Sequential> {
  await tf.setBackend('cpu');
  tf.env().set('PROD', true);
  const model = tf.sequential({ name });
  model.add(tf.layers.conv2d({ inputShape: [size, size, 3], filters: 4, kernelSize: 3, activation: 'relu', name: 'conv1', kernelInitializer: tf.initializers.randomNormal({ seed: 1 }) }));
  model.add(tf.layers.globalAveragePooling2d({ name: 'gap' }));
  model.add(tf.layers.dense({ units: TINY_CLASSES, activation: 'softmax', name: 'predictions', kernelInitializer: tf.initializers.randomNormal({ seed: 2 }) }));
  return model;
}

/** Save a model as tfjs layers format (model.json + weights split over `shards` files) and return model.json's parsed content. */
export async function saveModelDir(model: tf.LayersModel, dir: string, shards = 2): Promise<{ modelJson: Record<string, unknown>; weightBytes: Uint8Array }> {
  let saved: tf.io.ModelArtifacts | undefined;
  await model.save(tf.io.withSaveHandler(async (a) => {
    saved = a;
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
  }));
  const data = new Uint8Array(tf.io.concatenateArrayBuffers(saved!.weightData as ArrayBuffer | ArrayBuffer[]));
  await mkdir(dir, { recursive: true });
  const paths: string[] = [];
  const cut = Math.ceil(data.length / shards / 4) * 4;
  for (let s = 0; s < shards; s++) {
    const p = `group1-shard${s + 1}of${shards}`;
    paths.push(p);
    await writeFile(path.join(dir, p), data.subarray(s * cut, Math.min(data.length, (s + 1) * cut)));
  }
  const modelJson = { format: 'layers-model', modelTopology: saved!.modelTopology, weightsManifest: [{ paths, weights: saved!.weightSpecs }] };
  await writeFile(path.join(dir, 'model.json'), JSON.stringify(modelJson));
  return { modelJson, weightBytes: data };
}

/** A synthetic Keras-layout class index with `n` classes. */
export function syntheticClassIndex(n = TINY_CLASSES): Record<string, [string, string]> {
  const out: Record<string, [string, string]> = {};
  for (let i = 0; i < n; i++) out[String(i)] = [`n${String(i).padStart(8, '0')}`, `class_${i}`];
  return out;
}
