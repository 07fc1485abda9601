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

/** The runner's sessions: one on the caller's thread, or `sessions` workers sharing `threads` intra-op threads. */
async function openSessions(ort: Ort, data: OnnxWorkerData, threads: number, options: OnnxRunnerOptions): Promise<BatchSession[]> {
  if (options.sessionThread === 'caller') return [await callerSession(ort, data)];
  const n = options.sessions ?? Math.min(2, threads);
  if (!Number.isInteger(n) || n < 1 || n > threads) throw new KerasModelsError('BAD_OPTION', `sessions must be an integer from 1 to threads (${threads}), got ${n}`);
  const started = await Promise.allSettled(
    Array.from({ length: n }, (_, i) => {
      const intraOpNumThreads = Math.floor(threads / n) + (i < threads % n ? 1 : 0);
      // without memory patterns (planned buffers kept per batch shape) two sessions took 950 MB of RSS in run, not 760
      return OnnxSessionWorker.start({ ...data, sessionOptions: { ...data.sessionOptions, intraOpNumThreads, enableMemPattern: false } });
    }),
  );
  const failed = started.find((r) => r.status === 'rejected');
  if (failed) {
    await Promise.all(started.map((r) => (r.status === 'fulfilled' ? r.value.close() : undefined)));
    throw failed.reason;
  }
  return started.map((r) => (r as PromiseFulfilledResult<OnnxSessionWorker>).value);
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
  const sessions = await openSessions(ort, data, threads, options);
  const perImage = h * w * c;
  // One run at a time per session (each run already uses its intra-op threads); a batch goes to the least busy one.
  const queues = sessions.map(() => ({ tail: Promise.resolve() as Promise<unknown>, pending: 0 }));
  let disposed = false;
  return {
    backend: 'onnx',
    inputSize: [h, w],
    numClasses,
    ...(compiled.preprocessing ? { inputPreprocessing: compiled.preprocessing } : {}),
    predict(batch: Float32Array, n: number): Promise<Float32Array> {
      if (disposed) return Promise.reject(new KerasModelsError('BAD_INPUT', 'predict() after dispose()'));
      if (!Number.isInteger(n) || n < 1 || batch.length !== n * perImage) {
        return Promise.reject(new KerasModelsError('BAD_INPUT', `batch has ${batch.length} floats, expected ${n}×${h}×${w}×${c}`));
      }
      const k = queues.reduce((best, q, i) => (q.pending < queues[best].pending ? i : best), 0);
      const q = queues[k];
      q.pending++;
      const run = q.tail.then(() => sessions[k].run(batch, [n, h, w, c])).finally(() => q.pending--);
      q.tail = run.catch(() => undefined);
      return run;
    },
    async dispose(): Promise<void> {
      if (disposed) return;
      disposed = true;
      await Promise.all(queues.map((q) => q.tail));
      await Promise.all(sessions.map((x) => x.close()));
    },
  };
}

/** Compiles the Keras graph to ONNX and opens an onnxruntime-node session (CPU, `threads` intra-op threads). */
export async function createOnnxRunner(loaded: Pick<LoadedKerasModel, 'model'>, options: OnnxRunnerOptions = {}): Promise<ModelRunner> {
  const compiled = compileKerasToOnnx(loaded.model, { ...options.compile, ...(options.preprocessing ? { preprocessing: options.preprocessing } : {}) });
  return createOnnxRunnerFromCompiled(compiled, options);
}
