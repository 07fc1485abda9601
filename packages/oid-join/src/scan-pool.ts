import { Worker } from 'node:worker_threads';
import type { ByteKeySet } from './byte-key-set.js';
import type { RangeResult, RangeTask } from './scan-worker.js';

interface Job {
  message: { type: 'range'; id: number } & Omit<RangeTask, 'id'>;
  resolve: (r: RangeResult) => void;
  reject: (e: unknown) => void;
}

/** Ranges a worker holds at once: one running, one waiting, so it never idles on a message round trip. */
const PER_WORKER = 2;

/**
 * Worker threads that pre-filter byte ranges of CSV files, started on first use. Ranges wait here, in the order
 * given, and go to the first worker with room: a worker that got slower ranges (or less CPU) takes fewer.
 */
export class ScanPool {
  private workers: Worker[] = [];
  private held: number[] = [];
  private readonly running = new Map<number, Job>();
  private queue: Job[] = [];
  private nextId = 0;
  private nextSetup = 0;

  constructor(readonly threads: number) {}

  /** Start the workers now (they load while the caller does other work); `setup` starts them otherwise. */
  start(): void {
    if (this.workers.length) return;
    for (let i = 0; i < this.threads; i++) {
      const w = startWorker();
      w.on('message', (r: RangeResult) => {
        const job = this.running.get(r.id);
        this.running.delete(r.id);
        this.held[i]--;
        this.dispatch();
        // Idle workers must not keep the process alive (an abandoned scan); busy ones must.
        if (!this.running.size) for (const x of this.workers) x.unref();
        if (r.error) job?.reject(new Error(r.error));
        else job?.resolve(r);
      });
      w.on('error', (err) => this.failAll(err));
      w.unref();
      this.workers.push(w);
      this.held.push(0);
    }
  }

  private dispatch(): void {
    for (let i = 0; i < this.workers.length; i++) {
      while (this.held[i] < PER_WORKER) {
        const job = this.queue.shift();
        if (!job) return;
        this.running.set(job.message.id, job);
        this.held[i]++;
        this.workers[i].ref();
        this.workers[i].postMessage(job.message);
      }
    }
  }

  private failAll(err: unknown): void {
    for (const job of [...this.running.values(), ...this.queue]) job.reject(err);
    this.running.clear();
    this.queue = [];
  }

  /** Key sets (by column position in a file's header) for the ranges that name the returned id. */
  setup(columns: { index: number; keys: ByteKeySet }[]): number {
    this.start();
    const id = this.nextSetup++;
    const msg = { type: 'setup', id, columns: columns.map((c) => ({ index: c.index, keys: [...c.keys.keys()] })) };
    for (const w of this.workers) w.postMessage(msg);
    return id;
  }

  /** Filter one range (of a `setup`), after the ranges given before. */
  run(task: Omit<RangeTask, 'id'>): Promise<RangeResult> {
    const message = { type: 'range' as const, id: this.nextId++, ...task };
    const promise = new Promise<RangeResult>((resolve, reject) => this.queue.push({ message, resolve, reject }));
    this.dispatch();
    return promise;
  }

  async close(): Promise<void> {
    const workers = this.workers;
    this.workers = [];
    this.queue = [];
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

/**
 * From dist/ the worker is scan-worker.js. Tests run the TypeScript sources: then a small eval worker registers tsx
 * (a dev dependency) before it imports scan-worker.ts, so the hooks are in place first.
 */
function startWorker(): Worker {
  // The parent's flags may not suit a worker (`--input-type` fails it): keep the others (e.g. memory limits).
  const execArgv = process.execArgv.filter((a) => !a.startsWith('--input-type') && !a.startsWith('--eval') && a !== '-e');
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./scan-worker.js', import.meta.url), { execArgv });
  const url = new URL('./scan-worker.ts', import.meta.url).href;
  const boot = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(url)}); });`;
  return new Worker(boot, { eval: true });
}
