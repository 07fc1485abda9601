import { Transform, type TransformCallback } from 'node:stream';
import { classifyBatch, resolveClassifyOptions, type ClassifyOptions } from './classify-batch.js';

type Row = Record<string, unknown>;

/** A started batch whose rejection is observed at once (awaited later, in order). */
function started(p: Promise<Row[]>): Promise<Row[]> {
  p.catch(() => undefined);
  return p;
}

/**
 * Object-mode Transform: chip records in, the same records out (same order) with `<model>_label`, `_wnid`,
 * `_score`, `_top5` added. Records are grouped into batches of `batchSize`; at most `inFlight` batches are being
 * decoded/predicted at once, and the readable side's backpressure stops intake — the queue is bounded.
 */
export class ClassifyTransform extends Transform {
  private readonly options: ClassifyOptions;
  private readonly batchSize: number;
  private readonly inFlight: number;
  private pending: Row[] = [];
  private readonly running: Promise<Row[]>[] = [];

  constructor(options: ClassifyOptions) {
    const o = resolveClassifyOptions(options);
    super({ objectMode: true, highWaterMark: o.batchSize });
    this.options = o;
    this.batchSize = o.batchSize;
    this.inFlight = o.inFlight;
  }

  override _transform(record: Row, _enc: BufferEncoding, callback: TransformCallback): void {
    this.pending.push(record);
    if (this.pending.length < this.batchSize) return callback();
    this.launch();
    this.drainTo(this.inFlight - 1).then(() => callback(), callback);
  }

  override _flush(callback: TransformCallback): void {
    if (this.pending.length > 0) this.launch();
    this.drainTo(0).then(() => callback(), callback);
  }

  private launch(): void {
    const batch = this.pending;
    this.pending = [];
    this.running.push(started(classifyBatch(batch, this.options)));
  }

  /** Emit finished batches in order until at most `keep` are still running. */
  private async drainTo(keep: number): Promise<void> {
    while (this.running.length > keep) {
      const rows = await this.running[0];
      this.running.shift();
      for (const r of rows) this.push(r);
    }
  }
}

/** Async-iterable face of ClassifyTransform: same batching, order and bound. */
export async function* classifyRecords(source: AsyncIterable<Row> | Iterable<Row>, options: ClassifyOptions): AsyncGenerator<Row> {
  const o = resolveClassifyOptions(options);
  const running: Promise<Row[]>[] = [];
  let pending: Row[] = [];
  try {
    for await (const record of source) {
      pending.push(record);
      if (pending.length < o.batchSize) continue;
      running.push(started(classifyBatch(pending, o)));
      pending = [];
      while (running.length >= o.inFlight) yield* await running.shift()!;
    }
    if (pending.length > 0) running.push(started(classifyBatch(pending, o)));
    while (running.length > 0) yield* await running.shift()!;
  } finally {
    // On early exit, let started batches settle so no worker reply arrives after the caller disposes the runner.
    await Promise.allSettled(running);
  }
}
