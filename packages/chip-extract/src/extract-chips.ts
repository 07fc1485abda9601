import { Duplex } from 'node:stream';
import { isValidImageId } from '@oidstream/parquet-io';
import { cutImage } from './cut-image.js';
import { ChipExtractError } from './errors.js';
import type { IndexedBox } from './cut-image.js';
import type { ImageSource } from './image-source.js';
import { resolveChipOptions } from './options.js';
import type { ChipOptions, ResolvedChipOptions } from './options.js';
import type { BoxRow, ChipError, ChipResult } from './records.js';

/**
 * Cut chips for a stream of box rows. Boxes are grouped by ImageID (in batches of `batchBoxes`), each image
 * is fetched and decoded once, and up to `concurrency` images are in flight. Yields one record per box —
 * a chip or an error — so chips + errors always account for every box. Output order is deterministic:
 * batch by batch, images in the order the source returns them, boxes in input order within an image.
 */
export async function* extractChips(
  boxes: AsyncIterable<BoxRow> | Iterable<BoxRow>,
  images: ImageSource,
  options: ChipOptions = {},
): AsyncGenerator<ChipResult> {
  const o = resolveChipOptions(options);
  const b = boxes as { [Symbol.iterator]?: unknown; [Symbol.asyncIterator]?: unknown } | null | undefined;
  if (typeof b?.[Symbol.iterator] !== 'function' && typeof b?.[Symbol.asyncIterator] !== 'function') {
    throw new ChipExtractError('BAD_OPTIONS', 'boxes must be an iterable or async iterable of box rows');
  }
  if (typeof images?.fetch !== 'function') {
    throw new ChipExtractError('BAD_OPTIONS', 'images must be an image source with fetch(ids) (parquetImageSource, memoryImageSource)');
  }
  const counters = new Map<string, number>();
  let batch = new Map<string, IndexedBox[]>();
  let inBatch = 0;
  for await (const box of boxes) {
    const id = box.ImageID;
    if (!isValidImageId(id)) {
      yield {
        kind: 'error',
        ImageID: typeof id === 'string' ? id.slice(0, 200) : (id ?? null),
        chip_id: null,
        box,
        code: 'BAD_IMAGE_ID',
        reason: `ImageID ${JSON.stringify(typeof id === 'string' ? id.slice(0, 60) : id ?? null)} is not 16 lowercase hex digits`,
      } satisfies ChipError;
      continue;
    }
    const n = counters.get(id) ?? 0;
    counters.set(id, n + 1);
    let list = batch.get(id);
    if (!list) batch.set(id, (list = []));
    list.push({ box, n });
    if (++inBatch >= o.batchBoxes) {
      yield* cutBatch(batch, images, o);
      batch = new Map();
      inBatch = 0;
    }
  }
  if (inBatch) yield* cutBatch(batch, images, o);
}

async function* cutBatch(batch: Map<string, IndexedBox[]>, images: ImageSource, o: ResolvedChipOptions): AsyncGenerator<ChipResult> {
  // Up to `concurrency` images are cut at once and a finished one frees its slot at once (no head-of-line wait);
  // results still come out in source order, with at most `window` images started ahead of the oldest unfinished.
  const window = o.concurrency * 4;
  const pending: Array<{ done: boolean; result: ChipResult[]; error?: unknown }> = [];
  const madeDirs = new Set<string>();
  let running = 0;
  let signal = deferred();
  const seen = new Set<string>();
  const rows = images.fetch(new Set(batch.keys()))[Symbol.asyncIterator]();
  let sourceDone = false;
  try {
    while (!sourceDone || pending.length) {
      while (!sourceDone && running < o.concurrency && pending.length < window) {
        const next = await rows.next();
        if (next.done) {
          sourceDone = true;
          break;
        }
        const row = next.value;
        const id = row.ImageID;
        const boxes = batch.get(id);
        if (!boxes || seen.has(id)) continue; // duplicate image rows: the first one wins
        seen.add(id);
        const slot: (typeof pending)[number] = { done: false, result: [] };
        pending.push(slot);
        running++;
        // bad input becomes error records; cutImage rejects only when a chip file cannot be written
        void cutImage(id, row.image, row.Rotation, boxes, o, madeDirs).then(
          (result) => (slot.result = result),
          (err: unknown) => (slot.error = err),
        ).finally(() => {
          slot.done = true;
          running--;
          signal.resolve();
        });
      }
      while (pending.length && pending[0].done) {
        const slot = pending.shift()!;
        if ('error' in slot) throw slot.error;
        yield* slot.result;
      }
      if (pending.length && !pending[0].done && (sourceDone || running >= o.concurrency || pending.length >= window)) {
        const s = signal;
        await s.promise;
        if (signal === s) signal = deferred();
      }
    }
  } finally {
    if (!sourceDone) await rows.return?.();
  }
  for (const [id, boxes] of batch) {
    if (seen.has(id)) continue;
    const why = images.unreadable?.get(id);
    for (const { box, n } of boxes) {
      yield {
        kind: 'error',
        ImageID: id,
        chip_id: `${id}_${n}`,
        box,
        code: why ? 'BAD_IMAGE' : 'UNKNOWN_IMAGE',
        reason: why ? `image row unreadable: ${why}` : `no image with ImageID ${id}`,
      };
    }
  }
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

/** Node object-mode stream face: write box rows, read ChipRecord | ChipError objects. */
export function chipStream(images: ImageSource, options: ChipOptions = {}): Duplex {
  resolveChipOptions(options); // bad options throw now, not mid-stream
  return Duplex.from(async function* (source: AsyncIterable<BoxRow>) {
    yield* extractChips(source, images, options);
  });
}
