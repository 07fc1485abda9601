import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { packImages } from '@oidstream/parquet-io';
import { inspectDataDir } from './data-dir.js';
import { ScaleOutError } from './scale-out-error.js';

export interface SelectionInput {
  data?: string;
  boxes?: string;
  images: string[];
  out: string;
  [selectOption: string]: unknown;
}

/** What the shards are planned from: a boxes.parquet and the image Parquet files. */
export interface Selection {
  boxes: string;
  images: string[];
}

/**
 * The selection a sharded run starts from: an existing boxes.parquet (--boxes), or the select stage run once
 * on --data into OUT/boxes.parquet. Images: --images, else the data dir's images.parquet, else its images/ folder
 * packed into OUT/images.parquet (once; reused when present).
 */
export async function prepareSelection(input: SelectionInput, _cmd?: Command): Promise<Selection> {
  if (!input.data && !input.boxes) throw new ScaleOutError('NO_IMAGES', 'give --data <dir> (to select) or --boxes <boxes.parquet>');
  let boxes: string;
  if (input.boxes) boxes = path.resolve(input.boxes);
  else throw new ScaleOutError('NO_IMAGES', 'selection from --data is not wired yet: run "oidstream select" and pass --boxes');
  if (input.images.length) return { boxes, images: input.images.map((f) => path.resolve(f)) };
  if (!input.data) throw new ScaleOutError('NO_IMAGES', 'with --boxes, give --images <images.parquet> (or --data)');
  const layout = await inspectDataDir(input.data);
  if (layout.imagesParquet) return { boxes, images: [layout.imagesParquet] };
  const packed = path.join(input.out, 'images.parquet');
  if (!existsSync(packed)) await packImages({ imagesDir: layout.imagesFolder!, out: packed, rotationCsv: layout.rotationCsvs[0] });
  return { boxes, images: [packed] };
}
