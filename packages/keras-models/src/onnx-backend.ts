import os from 'node:os';
import type { LoadedKerasModel, ModelRunner, RunnerOptions } from './backend.js';
import { KerasModelsError } from './errors.js';
import { compileKerasToOnnx, type CompiledOnnxModel, type OnnxCompileOptions } from './onnx-compile.js';
import { OnnxSessionWorker, type OnnxWorkerData } from './onnx-session-worker.js';

export interface OnnxRunnerOptions extends RunnerOptions {
  /** ONNX Runtime graph optimisation level. Default 'all'. */
  graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
  /** Options for the Keras → ONNX compiler. */
  compile?: OnnxCompileOptions;
}

/** A session that runs NHWC float batches (in a worker thread, or on this one). */
interface BatchSession {
  run(batch: Float32Array, dims: number[]): Promise<Float32Array>;
  close(): Promise<void>;
}

async function callerSession(ort: Ort, data: OnnxWorkerData): Promise<BatchSession> {
  let session: import('onnxruntime-node').InferenceSession;
  try {
    session = await ort.InferenceSession.create(data.model, data.sessionOptions);
  } catch (err) {
    throw new KerasModelsError('UNSUPPORTED_LAYER', `ONNX Runtime rejected the compiled model: ${(err as Error).message}`, { cause: err });
  }
  return {
    async run(batch, dims) {
      const out = await session.run({ [data.inputName]: new ort.Tensor('float32', batch, dims) });
      return Float32Array.from(out[data.outputName].data as Float32Array);
    },
    close: () => session.release(),
  };
}

type Ort = typeof import('onnxruntime-node');
let ortModule: Promise<Ort> | undefined;

/** onnxruntime-node is imported lazily so the package loads (and the tfjs backends work) where its binary does not. */
function loadOrt(): Promise<Ort> {
  ortModule ??= import('onnxruntime-node').catch((err: unknown) => {
    ortModule = undefined;
    throw new KerasModelsError('BACKEND_UNAVAILABLE', `onnxruntime-node cannot load: ${(err as Error).message}`, { cause: err });
  });
  return ortModule;
}

/** An ONNX Runtime session over an already-compiled model (what createOnnxRunner uses; also handy for benchmarks). */
export async function createOnnxRunnerFromCompiled(compiled: CompiledOnnxModel, options: OnnxRunnerOptions = {}): Promise<ModelRunner> {
  const threads = options.threads ?? os.availableParallelism();
  if (!Number.isInteger(threads) || threads < 1) throw new KerasModelsError('BAD_OPTION', `threads must be a positive integer, got ${threads}`);
  const [, h, w, c] = compiled.inputShape;
  if (compiled.inputShape.length !== 4 || h === null || w === null || c === null) {
    throw new KerasModelsError('UNSUPPORTED_LAYER', `ONNX runner needs a fixed NHWC image input, model has ${JSON.stringify(compiled.inputShape)}`);
  }
  const numClasses = compiled.outputShape[compiled.outputShape.length - 1];
  if (compiled.outputShape.length !== 2 || numClasses === null) {
    throw new KerasModelsError('UNSUPPORTED_LAYER', `ONNX runner needs a [batch, classes] output, model has ${JSON.stringify(compiled.outputShape)}`);
  }
  const ort = await loadOrt(); // BACKEND_UNAVAILABLE here, before a worker starts
  // The default thread pool was slower than one thread on this hardware: always set intra-op threads explicitly.
  const sessionOptions = {
    executionProviders: ['cpu'],
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: options.graphOptimizationLevel ?? 'all',
  };
  const data: OnnxWorkerData = { model: compiled.bytes, sessionOptions, inputName: compiled.inputName, outputName: compiled.outputName };
  const session: BatchSession = options.sessionThread === 'caller' ? await callerSession(ort, data) : await OnnxSessionWorker.start(data);
  const perImage = h * w * c;
  // One run at a time: each run already uses all intra-op threads, so queueing costs nothing and bounds memory.
  let queue: Promise<unknown> = Promise.resolve();
  let disposed = false;
  return {
    backend: 'onnx',
    inputSize: [h, w],
    numClasses,
    predict(batch: Float32Array, n: number): Promise<Float32Array> {
      if (disposed) return Promise.reject(new KerasModelsError('BAD_INPUT', 'predict() after dispose()'));
      if (!Number.isInteger(n) || n < 1 || batch.length !== n * perImage) {
        return Promise.reject(new KerasModelsError('BAD_INPUT', `batch has ${batch.length} floats, expected ${n}×${h}×${w}×${c}`));
      }
      const run = queue.then(() => session.run(batch, [n, h, w, c]));
      queue = run.catch(() => undefined);
      return run;
    },
    async dispose(): Promise<void> {
      if (disposed) return;
      disposed = true;
      await queue;
      await session.close();
    },
  };
}

/** Compiles the Keras graph to ONNX and opens an onnxruntime-node session (CPU, `threads` intra-op threads). */
export async function createOnnxRunner(loaded: Pick<LoadedKerasModel, 'model'>, options: OnnxRunnerOptions = {}): Promise<ModelRunner> {
  const compiled = compileKerasToOnnx(loaded.model, options.compile);
  return createOnnxRunnerFromCompiled(compiled, options);
}
