import { Duplex } from 'node:stream';
import { isValidImageId } from '@oidstream/parquet-io';
import { cutImage } from './cut-image.js';
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
  const inflight: Promise<ChipResult[]>[] = [];
  const seen = new Set<string>();
  for await (const row of images.fetch(new Set(batch.keys()))) {
    const id = row.ImageID;
    const boxes = batch.get(id);
    if (!boxes || seen.has(id)) continue; // duplicate image rows: the first one wins
    seen.add(id);
    inflight.push(cutImage(id, row.image, row.Rotation, boxes, o));
    if (inflight.length >= o.concurrency) yield* await inflight.shift()!;
  }
  while (inflight.length) yield* await inflight.shift()!;
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

/** Node object-mode stream face: write box rows, read ChipRecord | ChipError objects. */
export function chipStream(images: ImageSource, options: ChipOptions = {}): Duplex {
  resolveChipOptions(options); // bad options throw now, not mid-stream
  return Duplex.from(async function* (source: AsyncIterable<BoxRow>) {
    yield* extractChips(source, images, options);
  });
}
