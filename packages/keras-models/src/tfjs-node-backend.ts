import { createRequire } from 'node:module';
import type * as tf from './tfjs.js';
import type { LoadedKerasModel, ModelRunner, RunnerOptions } from './backend.js';
import { KerasModelsError } from './errors.js';
import { memoryHandler } from './tfjs-main.js';

/**
 * `@tensorflow/tfjs-node` (native libtensorflow, multi-threaded) when it is installed with its binary. It is an
 * optional dependency that often can't install, so it is required inside try/catch: any failure → BACKEND_UNAVAILABLE.
 */
export function loadTfjsNode(): typeof tf {
  try {
    return createRequire(import.meta.url)('@tensorflow/tfjs-node') as typeof tf;
  } catch (err) {
    throw new KerasModelsError('BACKEND_UNAVAILABLE', `@tensorflow/tfjs-node is not usable here (${(err as Error).message.split('\n')[0]})`, {
      cause: err,
    });
  }
}

export async function createTfjsNodeRunner(loaded: LoadedKerasModel, _options: RunnerOptions = {}): Promise<ModelRunner> {
  const tfn = loadTfjsNode();
  await tfn.setBackend('tensorflow');
  const model = await tfn.loadLayersModel(memoryHandler(loaded.artifacts));
  const [h, w] = loaded.inputSize;
  return {
    backend: 'tfjs-node',
    inputSize: [h, w],
    numClasses: loaded.numClasses,
    async predict(batch: Float32Array, n: number): Promise<Float32Array> {
      if (!Number.isInteger(n) || n < 1 || batch.length !== n * h * w * 3) {
        throw new KerasModelsError('BAD_INPUT', `batch of ${batch.length} floats is not ${n} images of ${h}×${w}×3`);
      }
      const y = tfn.tidy(() => {
        const out = model.predict(tfn.tensor4d(batch, [n, h, w, 3]));
        return Array.isArray(out) ? out[0] : out;
      });
      try {
        return (await y.data()) as Float32Array;
      } finally {
        y.dispose();
      }
    },
    async dispose(): Promise<void> {
      model.dispose();
    },
  };
}
