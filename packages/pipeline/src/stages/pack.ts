import { packImages, type PackResult, type PackSkip, type WriteOptions } from '@oidstream/parquet-io';
import type { Progress } from '../progress.js';

export interface PackStageOptions {
  /** Folder of `<ImageID>.jpg` files. */
  images: string;
  /** OID `*-images-with-rotation.csv` files, one per split (fill Subset and Rotation). */
  rotation?: string | readonly string[];
  /** Output images.parquet (written to a temp name, renamed when complete). */
  out: string;
  progress?: Progress;
  /** Called for each skipped file (bad name, not an image, unreadable). */
  onSkip?: (skip: PackSkip) => void;
  write?: WriteOptions;
}

export interface PackStageResult extends PackResult {
  file: string;
  ms: number;
}

/** `oidstream pack`: a folder of images → images.parquet (ImageID, Subset, Rotation, image). */
export async function packStage(options: PackStageOptions): Promise<PackStageResult> {
  const t0 = performance.now();
  const stage = options.progress?.stage('pack', 'images');
  try {
    const result = await packImages({
      imagesDir: options.images,
      rotationCsv: options.rotation,
      out: options.out,
      write: options.write,
      onSkip: options.onSkip,
      onProgress: (done, total) => stage?.set(done, total),
    });
    stage?.end('done', `${result.packed} packed, ${result.skipped.length} skipped`);
    return { ...result, file: options.out, ms: performance.now() - t0 };
  } catch (err) {
    stage?.end('failed');
    throw err;
  }
}
