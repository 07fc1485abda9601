import { Readable } from 'node:stream';
import { fetchImage } from './fetch-image.js';
import type { FetchImageOptions, FetchImageResult } from './fetch-image.js';
import { verifyImage } from './verify-image.js';
import type { VerifyFailure } from './verify-image.js';

/** Anything with a URL; `md5` (base64) is checked when present. */
export interface FetchTask {
  url: string;
  md5?: string | null;
}

export interface FetchImagesOptions extends Omit<FetchImageOptions, 'verify'> {
  /** Requests in flight at most; no more than this many results wait for the consumer either. */
  concurrency: number;
  /** Byte check per task (default: decodes as an image, and matches task.md5 when given). */
  verify?: (bytes: Uint8Array, task: FetchTask) => Promise<VerifyFailure | undefined>;
  /** Called when a task's first request starts. */
  onStart?: (task: FetchTask) => void;
}

export interface FetchedImage<T extends FetchTask> {
  task: T;
  result: FetchImageResult;
}

/**
 * Fetches tasks with bounded concurrency and yields each outcome as it completes (completion order). Pull-based:
 * a slow consumer holds back new requests, so memory is bounded by `concurrency` bodies.
 */
export async function* fetchImages<T extends FetchTask>(tasks: Iterable<T> | AsyncIterable<T>, options: FetchImagesOptions): AsyncGenerator<FetchedImage<T>> {
  const { concurrency, verify = (bytes, task) => verifyImage(bytes, task.md5 ?? undefined), onStart, ...fetchOptions } = options;
  // Own controller so requests still running when the consumer stops early are cancelled.
  const controller = new AbortController();
  const onOuterAbort = () => controller.abort(options.signal!.reason);
  if (options.signal?.aborted) onOuterAbort();
  else options.signal?.addEventListener('abort', onOuterAbort, { once: true });
  const iterator = (Symbol.asyncIterator in tasks ? tasks[Symbol.asyncIterator]() : tasks[Symbol.iterator]()) as AsyncIterator<T> | Iterator<T>;
  const running = new Map<number, Promise<{ id: number; item: FetchedImage<T> }>>();
  let nextId = 0;
  let exhausted = false;
  try {
    for (;;) {
      while (!exhausted && running.size < concurrency) {
        const step = await iterator.next();
        if (step.done) {
          exhausted = true;
          break;
        }
        const task = step.value;
        const id = nextId++;
        onStart?.(task);
        running.set(
          id,
          fetchImage(task.url, { ...fetchOptions, signal: controller.signal, verify: (bytes) => verify(bytes, task) }).then((result) => ({ id, item: { task, result } })),
        );
      }
      if (running.size === 0) return;
      const { id, item } = await Promise.race(running.values());
      running.delete(id);
      yield item;
    }
  } finally {
    options.signal?.removeEventListener('abort', onOuterAbort);
    if (running.size) {
      controller.abort(new Error('fetchImages stopped'));
      await Promise.allSettled(running.values());
    }
  }
}

/** The same as an object-mode Readable (backpressure included). */
export function fetchImagesStream<T extends FetchTask>(tasks: Iterable<T> | AsyncIterable<T>, options: FetchImagesOptions): Readable {
  return Readable.from(fetchImages(tasks, options), { objectMode: true, highWaterMark: 1 });
}
