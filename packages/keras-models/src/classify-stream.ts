import { Duplex } from 'node:stream';
import { classifyBatch, resolveClassifyOptions, type ClassifyOptions } from './classify-batch.js';

type Row = Record<string, unknown>;

/** A started batch whose rejection is observed at once (awaited later, in order). */
function started(p: Promise<Row[]>): Promise<Row[]> {
  p.catch(() => undefined);
  return p;
}

/**
 * Chip records in, the same records out (same order) with `<model>_label`, `_wnid`, `_score`, `_top5` added (or
 * `classify_error`). Records are grouped into batches of `batchSize`; at most `inFlight` batches are being
 * decoded/predicted at once and nothing more is pulled until the oldest is yielded — the queue is bounded.
 */
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
    // the last records are split across the batches in flight, so that every session has a share of the tail
    const share = Math.ceil(pending.length / o.inFlight);
    for (let i = 0; i < pending.length; i += share) running.push(started(classifyBatch(pending.slice(i, i + share), o)));
    while (running.length > 0) yield* await running.shift()!;
  } finally {
    // On early exit, let started batches settle so no worker reply arrives after the caller disposes the runner.
    await Promise.allSettled(running);
  }
}

/** Object-mode Duplex face of classifyRecords (same batching, order and bound). Options are checked at once. */
export function classifyStream(options: ClassifyOptions): Duplex {
  const o = resolveClassifyOptions(options);
  const duplex = Duplex.from(async function* (source: AsyncIterable<Row>) {
    yield* classifyRecords(source, o);
  });
  duplex.read(0); // start pulling now, as a Transform does: work runs ahead of the reader up to the readable buffer
  return duplex;
}

/** `new ClassifyTransform(options)`: the same Duplex as classifyStream (kept for callers of the class form). */
export type ClassifyTransform = Duplex;
export const ClassifyTransform = function ClassifyTransform(options: ClassifyOptions): Duplex {
  return classifyStream(options);
} as unknown as new (options: ClassifyOptions) => Duplex;
