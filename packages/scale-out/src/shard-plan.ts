import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { isValidImageId, readParquetRows, readRotationCsv } from '@oidstream/parquet-io';
import { ScaleOutError } from './errors.js';
import { SHARD_PLAN_DEFAULTS } from './options.js';

/**
 * Rows [rowStart, rowEnd) of one image Parquet file, and the selected ImageIDs a shard takes from them. For an
 * images/ folder (no pack step), rows are positions in the sorted file list and `files` / `rotations` give each
 * image's file name and OID Rotation (read once at planning, so workers never scan the big rotation CSVs).
 */
export interface ShardSegment {
  path: string;
  rowStart: number;
  rowEnd: number;
  imageIds: string[];
  files?: string[];
  rotations?: Array<number | null>;
}

/** One unit of work: a contiguous slice of the selected images, in image-file order. */
export interface ShardSpec {
  index: number;
  /** Zero-padded index: the part is `parts/part-<id>.parquet`. */
  id: string;
  images: number;
  segments: ShardSegment[];
}

/** A selected image's place in the image files: file number (in plan order) and row. */
export interface ImagePlace {
  file: number;
  row: number;
  imageId: string;
  /** Folder sources: the file name and its Rotation. */
  name?: string;
  rotation?: number | null;
}

export interface ShardPlanOptions {
  /** Exactly this many shards (shard mode `--shard i/N` needs N fixed; surplus shards are empty). */
  shards?: number;
  /** Otherwise: as many shards as it takes to hold about this many images each (default 200). */
  imagesPerShard?: number;
}

export function shardId(index: number): string {
  return String(index).padStart(5, '0');
}

/**
 * Pure core: split the selected images (already in file/row order) into balanced, contiguous shards.
 * Image i goes to shard floor(i·N / S): sizes differ by at most one, and every process that plans the same
 * input with the same N gets the same shards (the stateless `--shard i/N` mode relies on that).
 */
export function planShards(files: readonly string[], places: readonly ImagePlace[], options: ShardPlanOptions = {}): ShardSpec[] {
  const total = places.length;
  let count: number;
  if (options.shards !== undefined) {
    if (!Number.isInteger(options.shards) || options.shards < 1) {
      throw new ScaleOutError('BAD_SHARD', `shard count must be a positive integer, got ${options.shards}`);
    }
    count = options.shards;
  } else {
    const per = options.imagesPerShard ?? SHARD_PLAN_DEFAULTS.imagesPerShard;
    if (!Number.isInteger(per) || per < 1) {
      throw new ScaleOutError('BAD_SHARD', `images per shard must be a positive integer, got ${per}`);
    }
    count = Math.max(1, Math.ceil(total / per));
  }
  const shards: ShardSpec[] = Array.from({ length: count }, (_, index) => ({ index, id: shardId(index), images: 0, segments: [] }));
  for (let i = 0; i < total; i++) {
    const p = places[i];
    if (i > 0 && (places[i - 1].file > p.file || (places[i - 1].file === p.file && places[i - 1].row >= p.row))) {
      throw new ScaleOutError('BAD_SHARD', 'image places must be sorted by file and row');
    }
    const shard = shards[Math.floor((i * count) / total)];
    let seg = shard.segments[shard.segments.length - 1];
    if (seg && seg.path === files[p.file]) seg.rowEnd = p.row + 1;
    else {
      seg = { path: files[p.file], rowStart: p.row, rowEnd: p.row + 1, imageIds: [] };
      if (p.name !== undefined) Object.assign(seg, { files: [], rotations: [] });
      shard.segments.push(seg);
    }
    seg.imageIds.push(p.imageId);
    if (seg.files) {
      seg.files.push(p.name!);
      seg.rotations!.push(p.rotation ?? null);
    }
    shard.images++;
  }
  return shards;
}

/**
 * Place each selected image: read the ImageID column of every image Parquet file (cheap: one thin column), or list
 * an images/ folder the way `pack` does (sorted names, `<ImageID>.<ext>`, first of duplicates wins) and look up the
 * Rotation of its selected images in the rotation CSVs (later files win, as when pack reads them joined).
 * An ImageID stored twice is taken once (its first place), as a single-machine run would.
 */
export async function locateImages(files: readonly string[], selected: ReadonlySet<string>, options: { rotationCsvs?: string[] } = {}): Promise<ImagePlace[]> {
  const places: ImagePlace[] = [];
  const seen = new Set<string>();
  for (let file = 0; file < files.length; file++) {
    if (statSync(files[file]).isDirectory()) {
      const found: ImagePlace[] = [];
      const names = (await readdir(files[file])).sort();
      for (let row = 0; row < names.length; row++) {
        const ext = path.extname(names[row]);
        const id = path.basename(names[row], ext).toLowerCase();
        if (!isValidImageId(id) || seen.has(id)) continue;
        seen.add(id);
        if (selected.has(id)) found.push({ file, row, imageId: id, name: names[row], rotation: null });
      }
      const ids = new Set(found.map((p) => p.imageId));
      for (const csv of options.rotationCsvs ?? []) {
        const rot = await readRotationCsv(csv, ids);
        for (const p of found) if (rot.has(p.imageId)) p.rotation = rot.get(p.imageId)!.rotation;
      }
      places.push(...found);
      continue;
    }
    let row = 0;
    for await (const r of readParquetRows(files[file], { columns: ['ImageID'] })) {
      const id = r.ImageID;
      if (typeof id === 'string' && selected.has(id) && !seen.has(id)) {
        seen.add(id);
        places.push({ file, row, imageId: id });
      }
      row++;
    }
  }
  return places;
}

/** A stable id for a plan: same inputs and shards → same id (used in BullMQ job ids, so re-enqueueing is a no-op). */
export function planId(out: string, shards: readonly ShardSpec[], extra: unknown): string {
  const h = createHash('sha256');
  h.update(JSON.stringify({ out, extra, shards: shards.map((s) => s.segments) }));
  return h.digest('hex').slice(0, 16);
}
