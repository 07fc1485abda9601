import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { LoadedKerasModel, ModelRunner, RunnerOptions } from './backend.js';
import { KerasModelsError } from './errors.js';
import { WASM_WORKER_SOURCE } from './wasm-worker-source.js';

interface Task {
  id: number;
  batch: Float32Array;
  n: number;
  resolve: (p: Float32Array) => void;
  reject: (e: Error) => void;
}

interface PoolWorker {
  worker: Worker;
  busy?: Task;
}

/**
 * tfjs wasm runner: tfjs wasm in Node is single-threaded (setThreadsCount is ignored), so it runs one wasm backend
 * per worker thread. predict() splits each batch into one chunk per worker; chunks of concurrent calls queue FIFO.
 */
export async function createWasmRunner(loaded: LoadedKerasModel, options: RunnerOptions = {}): Promise<ModelRunner> {
  const threads = Math.max(1, Math.floor(options.threads ?? availableParallelism()));
  const workerData = wasmWorkerData(loaded);
  const [h, w] = loaded.inputSize;
  const perImage = h * w * 3;
  const numClasses = loaded.numClasses;
  const pool: PoolWorker[] = [];
  const queue: Task[] = [];
  let nextId = 0;
  let closed = false;
  let fatal: Error | undefined;

  const pump = () => {
    for (const pw of pool) {
      if (pw.busy || queue.length === 0) continue;
      const task = queue.shift()!;
      pw.busy = task;
      pw.worker.postMessage({ id: task.id, batch: task.batch, n: task.n }, [task.batch.buffer as ArrayBuffer]);
    }
  };

  const start = (): Promise<PoolWorker> =>
    new Promise((resolve, reject) => {
      const worker = new Worker(WASM_WORKER_SOURCE, { eval: true, workerData });
      const pw: PoolWorker = { worker };
      worker.on('message', (msg: { type?: string; id?: number; probs?: Float32Array; error?: string }) => {
        if (msg.type === 'ready') return resolve(pw);
        if (msg.type === 'failed') return reject(new KerasModelsError('BACKEND_UNAVAILABLE', `tfjs wasm worker failed: ${msg.error}`));
        const task = pw.busy;
        pw.busy = undefined;
        if (task) {
          if (msg.error !== undefined) task.reject(new KerasModelsError('BAD_INPUT', `wasm predict failed: ${msg.error}`));
          else task.resolve(msg.probs!);
        }
        pump();
      });
      worker.on('error', (err) => {
        fatal = err;
        reject(err);
        pw.busy?.reject(err);
        pw.busy = undefined;
      });
      worker.on('exit', (code) => {
        const idx = pool.indexOf(pw);
        if (idx >= 0) pool.splice(idx, 1);
        if (!closed) {
          const err = fatal ?? new KerasModelsError('BACKEND_UNAVAILABLE', `wasm worker exited with code ${code}`);
          pw.busy?.reject(err);
          if (pool.length === 0) for (const t of queue.splice(0)) t.reject(err);
        }
      });
    });

  const started = await Promise.allSettled(Array.from({ length: threads }, start));
  for (const s of started) if (s.status === 'fulfilled') pool.push(s.value);
  const failure = started.find((s) => s.status === 'rejected') as PromiseRejectedResult | undefined;
  if (failure) {
    closed = true;
    await Promise.all(pool.map((p) => p.worker.terminate()));
    throw failure.reason instanceof KerasModelsError
      ? failure.reason
      : new KerasModelsError('BACKEND_UNAVAILABLE', `tfjs wasm worker failed: ${(failure.reason as Error).message}`);
  }

  const enqueue = (batch: Float32Array, n: number) =>
    new Promise<Float32Array>((resolve, reject) => {
      // A compact copy, transferred: cloning a view would copy its whole underlying buffer.
      queue.push({ id: nextId++, batch: batch.slice(), n, resolve, reject });
      pump();
    });

  return {
    backend: 'wasm',
    inputSize: [h, w],
    numClasses,
    async predict(batch: Float32Array, n: number): Promise<Float32Array> {
      if (closed) throw new KerasModelsError('BAD_INPUT', 'runner is disposed');
      if (!Number.isInteger(n) || n < 1 || batch.length !== n * perImage) {
        throw new KerasModelsError('BAD_INPUT', `batch of ${batch.length} floats is not ${n} images of ${h}×${w}×3`);
      }
      if (pool.length === 0) throw fatal ?? new KerasModelsError('BACKEND_UNAVAILABLE', 'no wasm worker is running');
      // Split every batch across all workers: chunks queue FIFO, so concurrent calls interleave and no worker idles
      // while another holds a whole batch. Each chunk is copied to its worker.
      const parts = Math.max(1, Math.min(n, pool.length));
      return parts === 1 ? enqueue(batch, n) : splitAcross(batch, n, parts, perImage, numClasses, enqueue);
    },
    async dispose(): Promise<void> {
      if (closed) return;
      closed = true;
      const err = new KerasModelsError('BAD_INPUT', 'runner disposed');
      for (const t of queue.splice(0)) t.reject(err);
      await Promise.all(pool.map((p) => p.worker.terminate()));
    },
  };
}

/** Module paths and the model for a worker (plain data: it crosses the thread boundary). */
function wasmWorkerData(loaded: LoadedKerasModel) {
  const require = createRequire(import.meta.url);
  return {
    corePath: require.resolve('@tensorflow/tfjs-core'),
    layersPath: require.resolve('@tensorflow/tfjs-layers'),
    wasmPath: require.resolve('@tensorflow/tfjs-backend-wasm'),
    artifacts: loaded.artifacts,
    inputSize: loaded.inputSize,
  };
}

/** A batch cut into `parts` chunks run by `run`, their outputs joined in order. */
async function splitAcross(
  batch: Float32Array,
  n: number,
  parts: number,
  perImage: number,
  numClasses: number,
  run: (b: Float32Array, n: number) => Promise<Float32Array>,
): Promise<Float32Array> {
  const chunk = Math.ceil(n / parts);
  const pieces: Promise<Float32Array>[] = [];
  for (let s = 0; s < n; s += chunk) {
    const m = Math.min(chunk, n - s);
    pieces.push(run(batch.subarray(s * perImage, (s + m) * perImage), m));
  }
  const out = new Float32Array(n * numClasses);
  let off = 0;
  for (const r of await Promise.all(pieces)) {
    out.set(r, off);
    off += r.length;
  }
  return out;
}
