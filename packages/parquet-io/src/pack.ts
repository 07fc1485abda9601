import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { ColumnSpec } from './column-spec.js';
import { ParquetIoError } from './errors.js';
import { isValidImageId, sniffImageFormat } from './image-bytes.js';
import type { WriteOptions } from './options.js';
import { ParquetFileWriter } from './parquet-file-writer.js';
import { readRotationCsvs } from './rotation-csv.js';

const READ_AHEAD = 8;

/** images.parquet schema (the shared contract). */
export const IMAGE_COLUMNS: ColumnSpec[] = [
  { name: 'ImageID', type: 'STRING', nullable: false },
  { name: 'Subset', type: 'STRING' },
  { name: 'Rotation', type: 'DOUBLE' },
  { name: 'image', type: 'BYTE_ARRAY', nullable: false },
];

export interface PackOptions {
  /** Folder of `<ImageID>.<ext>` files (not recursive). */
  imagesDir: string;
  /** Output images.parquet. */
  out: string;
  /** OID `*-images-with-rotation.csv` files (one per split): fill Subset and Rotation. */
  rotationCsv?: string | readonly string[] | undefined;
  /** Called for every file that is not packed. */
  onSkip?: ((skip: PackSkip) => void) | undefined;
  /** Called after each candidate file (packed or skipped) with files done and the total. */
  onProgress?: ((done: number, total: number) => void) | undefined;
  /** Parquet writer options (row groups, page size). */
  write?: WriteOptions | undefined;
}

export interface PackSkip {
  file: string;
  reason: string;
}

export interface PackResult {
  packed: number;
  skipped: PackSkip[];
  bytes: number;
  /** Packed images that had a row in the rotation CSV. */
  withRotationInfo: number;
}

/**
 * Pack a folder of images into images.parquet (ImageID, Subset, Rotation, image), sorted by ImageID.
 * Files whose name is not `<16 hex digits>.<ext>` or whose bytes are not an image are reported and skipped.
 */
export async function packImages(options: PackOptions): Promise<PackResult> {
  if (typeof options?.imagesDir !== 'string' || typeof options.out !== 'string') {
    throw new ParquetIoError('BAD_OPTIONS', 'packImages needs { imagesDir, out } (folder paths as strings)');
  }
  let names: string[];
  try {
    names = (await readdir(options.imagesDir)).sort();
  } catch (err) {
    throw new ParquetIoError('NO_IMAGES_DIR', `cannot read images folder ${options.imagesDir}: ${(err as Error).message}`, { cause: err });
  }
  const skipped: PackSkip[] = [];
  const skip = (file: string, reason: string) => {
    const s = { file, reason };
    skipped.push(s);
    options.onSkip?.(s);
  };
  const candidates: Array<{ file: string; id: string }> = [];
  const seen = new Map<string, string>();
  for (const file of names) {
    const ext = path.extname(file);
    const id = path.basename(file, ext).toLowerCase();
    if (!isValidImageId(id)) {
      skip(file, 'name is not a valid ImageID (16 hex digits + extension)');
      continue;
    }
    if (seen.has(id)) {
      skip(file, `duplicate ImageID ${id} (already packed from ${seen.get(id)})`);
      continue;
    }
    seen.set(id, file);
    candidates.push({ file, id });
  }
  const rotation = options.rotationCsv ? await readRotationCsvs(options.rotationCsv, new Set(seen.keys())) : undefined;

  const writer = ParquetFileWriter.open(options.out, IMAGE_COLUMNS, options.write);
  let packed = 0;
  let withRotationInfo = 0;
  try {
    // read a few files ahead so disk latency overlaps with writing
    const load = async (file: string): Promise<Buffer | string> => {
      const full = path.join(options.imagesDir, file);
      try {
        if (!(await stat(full)).isFile()) return 'not a regular file';
        return await readFile(full);
      } catch (err) {
        return `unreadable: ${(err as Error).message}`;
      }
    };
    const ahead: Array<Promise<Buffer | string>> = [];
    for (let i = 0; i < Math.min(READ_AHEAD, candidates.length); i++) ahead.push(load(candidates[i].file));
    for (let i = 0; i < candidates.length; i++) {
      const { file, id } = candidates[i];
      const loaded = await ahead.shift()!;
      if (i + READ_AHEAD < candidates.length) ahead.push(load(candidates[i + READ_AHEAD].file));
      if (typeof loaded === 'string') {
        skip(file, loaded);
      } else if (!sniffImageFormat(loaded)) {
        skip(file, 'bytes are not an image (no JPEG/PNG/GIF/WebP/TIFF/HEIF/BMP signature)');
      } else {
        const info = rotation?.get(id);
        if (info) withRotationInfo++;
        writer.write({ ImageID: id, Subset: info?.subset ?? null, Rotation: info?.rotation ?? null, image: loaded });
        packed++;
      }
      options.onProgress?.(i + 1, candidates.length);
    }
    const { bytes } = writer.finish();
    return { packed, skipped, bytes, withRotationInfo };
  } catch (err) {
    writer.abort();
    throw err;
  }
}
