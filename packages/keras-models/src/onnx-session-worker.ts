import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { KerasModelsError } from './errors.js';
import { ONNX_WORKER_SOURCE } from './onnx-worker-source.js';

export interface OnnxWorkerData {
  model: Uint8Array;
  sessionOptions: Record<string, unknown>;
  inputName: string;
  outputName: string;
}

type Reply = { type?: 'ready' | 'failed'; id?: number; probs?: Float32Array; batch?: Float32Array; error?: string };

/**
 * One ONNX Runtime session in a worker thread: `run` copies a batch (callers may reuse theirs) into a buffer that goes
 * to the worker and comes back with the output, moved, not cloned: cloning put ~10 MB of fresh memory per batch on the
 * worker (page faults, GC). The worker holds the process open only while a batch is out, like a session on the main thread.
 */
export class OnnxSessionWorker {
  private readonly pending = new Map<number, { resolve: (p: Float32Array) => void; reject: (e: Error) => void }>();
  private nextId = 0;
  private failure: Error | undefined;
  /** Buffers back from the worker, for the next batches. */
  private readonly spare: Float32Array[] = [];

  private constructor(private readonly worker: Worker) {
    worker.on('message', (msg: Reply) => {
      const task = msg.id === undefined ? undefined : this.pending.get(msg.id);
      if (!task) return;
      this.pending.delete(msg.id!);
      if (msg.batch && this.spare.length < 2) this.spare.push(msg.batch);
      if (this.pending.size === 0) this.worker.unref();
      if (msg.error !== undefined) task.reject(new KerasModelsError('BAD_INPUT', `ONNX Runtime run failed: ${msg.error}`));
      else task.resolve(msg.probs!);
    });
    const fail = (err: Error) => {
      this.failure ??= err;
      for (const t of this.pending.values()) t.reject(err);
      this.pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new KerasModelsError('BACKEND_UNAVAILABLE', `ONNX Runtime worker exited with code ${code}`)));
  }

  /** Starts the worker and its session; a model ONNX Runtime rejects is `UNSUPPORTED_LAYER`. */
  static start(data: OnnxWorkerData): Promise<OnnxSessionWorker> {
    const ortPath = createRequire(import.meta.url).resolve('onnxruntime-node');
    const worker = new Worker(ONNX_WORKER_SOURCE, { eval: true, workerData: { ...data, ortPath } });
    return new Promise((resolve, reject) => {
      const onMessage = (msg: Reply) => {
        if (msg.type === 'ready') {
          worker.unref();
          resolve(new OnnxSessionWorker(worker));
        }
        else if (msg.type === 'failed') reject(new KerasModelsError('UNSUPPORTED_LAYER', `ONNX Runtime rejected the compiled model: ${msg.error}`));
        else return;
        worker.off('message', onMessage);
        worker.off('error', reject);
        if (msg.type === 'failed') void worker.terminate();
      };
      worker.on('message', onMessage);
      worker.once('error', reject);
    });
  }

  run(batch: Float32Array, dims: number[]): Promise<Float32Array> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      if (this.pending.size === 0) this.worker.ref();
      this.pending.set(id, { resolve, reject });
      const i = this.spare.findIndex((b) => b.length === batch.length);
      const moved = i >= 0 ? this.spare.splice(i, 1)[0] : new Float32Array(batch.length);
      moved.set(batch);
      this.worker.postMessage({ id, batch: moved, dims }, [moved.buffer as ArrayBuffer]);
    });
  }

  async close(): Promise<void> {
    const exited = new Promise((r) => this.worker.once('exit', r));
    this.worker.ref();
    this.worker.postMessage({ type: 'close' });
    await exited;
  }
}
