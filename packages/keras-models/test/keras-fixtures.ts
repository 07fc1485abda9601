import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import * as tf from '../src/tfjs.js';
import type { LoadedKerasModel } from '../src/backend.js';
import { decodeResize, preprocessPixels, type PreprocessMode } from '../src/preprocess.js';

export const shared = process.env.OIDSTREAM_SHARED ?? path.resolve(import.meta.dirname, '../../../../shared');
export const mobilenetDir = path.join(shared, 'models', 'mobilenet_v1_0.75_224');
export const densenetDir = path.join(shared, 'models', 'densenet121');
export const imagesDir = path.join(shared, 'oid-real', 'images');
export const haveModels = existsSync(path.join(mobilenetDir, 'model.json')) && existsSync(path.join(densenetDir, 'model.json'));
export const haveImages = existsSync(imagesDir);

/** Deterministic pseudo-random numbers in [0, 1). */
export function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** Replaces BatchNormalization statistics with random ones (Keras init leaves them at identity, hiding folding bugs). */
export function randomizeBatchNorm(model: tf.LayersModel, seed = 1): void {
  const rnd = lcg(seed);
  for (const layer of model.layers) {
    if (layer.getClassName() !== 'BatchNormalization') continue;
    const values = layer.weights.map((v) => {
      const suffix = (v.originalName ?? v.name).split('/').pop()!;
      const n = v.shape[0] as number;
      const data = Float32Array.from({ length: n }, () => {
        const u = rnd();
        if (suffix === 'moving_variance') return 0.5 + u;
        if (suffix === 'gamma') return 0.7 + 0.6 * u;
        return (u - 0.5) * 0.2;
      });
      return tf.tensor1d(data);
    });
    layer.setWeights(values);
    tf.dispose(values);
  }
}

/** A LoadedKerasModel for a model built in code (artifacts via an in-memory save), so every runner can take it. */
export async function asLoaded(model: tf.LayersModel, source = 'built in code'): Promise<LoadedKerasModel> {
  let artifacts: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  const inShape = model.inputs[0].shape;
  const outShape = model.outputs[0].shape;
  return {
    model,
    topology: artifacts!.modelTopology as unknown as LoadedKerasModel['topology'],
    weights: new Map(),
    artifacts: artifacts!,
    source,
    inputSize: [inShape[1] as number, inShape[2] as number],
    numClasses: outShape[outShape.length - 1] as number,
  };
}

/** The real photos, sorted by name (first `limit`). */
export function realImageFiles(limit = Infinity): string[] {
  return readdirSync(imagesDir)
    .filter((f) => /\.jpe?g$/i.test(f))
    .sort()
    .slice(0, limit)
    .map((f) => path.join(imagesDir, f));
}

/** Decoded, resized (Keras load_img: nearest) and preprocessed NHWC batch. */
export async function preprocessFiles(files: string[], mode: PreprocessMode, size: [number, number] = [224, 224]): Promise<Float32Array> {
  const per = size[0] * size[1] * 3;
  const out = new Float32Array(files.length * per);
  for (let i = 0; i < files.length; i++) {
    const rgb = await decodeResize(new Uint8Array(readFileSync(files[i])), size);
    preprocessPixels(rgb, mode, out, i * per);
  }
  return out;
}

export function argmax(p: ArrayLike<number>, offset: number, n: number): number {
  let best = 0;
  for (let i = 1; i < n; i++) if (p[offset + i] > p[offset + best]) best = i;
  return best;
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}
