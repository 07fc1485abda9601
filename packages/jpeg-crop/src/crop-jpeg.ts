import { JpegCropError, type JpegCropErrorCode } from './errors.js';
import { binding, loadError } from './native-binding.js';

/** A rectangle of whole pixels, in the stored (not EXIF-turned) frame of the JPEG. */
export interface CropRegion {
  left: number;
  top: number;
  width: number;
  height: number;
}

export interface CropOptions {
  /** JPEG quality of each crop, 1–100. Default 90. */
  quality?: number;
  /** Optimised Huffman tables (smaller files, as sharp's default). Default true. */
  optimizeCoding?: boolean;
  /** Also return each crop's RGB pixels. Default false. */
  pixels?: boolean;
  /** Refuse images with more pixels than this (decompression bombs). Default 268,402,689 (sharp's). */
  maxPixels?: number;
}

export interface Crop {
  /** Baseline JPEG, 4:2:0, no JFIF header: byte-identical to sharp's `extract(region).jpeg({ quality, optimiseCoding })`. */
  jpeg: Buffer;
  width: number;
  height: number;
  /** RGB, 3 bytes per pixel, row by row (with `pixels: true`). */
  pixels?: Buffer;
}

/** True when the native binding loaded; otherwise `unavailableReason` says why. */
export const available = binding !== undefined;
export const unavailableReason = loadError;
/** libjpeg-turbo's version as a number (2001005 = 2.1.5), or undefined. */
export const libjpegTurboVersion = binding?.libjpegTurboVersion;

/**
 * Decode the rows and columns of `jpeg` that cover `regions` (once, on libuv's thread pool), and encode each region.
 * Pixels equal a full decode's (accurate integer IDCT, fancy upsampling). Rejects with a JpegCropError.
 */
export async function cropJpeg(jpeg: Uint8Array, regions: readonly CropRegion[], options: CropOptions = {}): Promise<Crop[]> {
  if (!binding) throw new JpegCropError('NOT_BUILT', `@oidstream/jpeg-crop's native binding is not built: ${loadError}`);
  const { quality = 90, optimizeCoding = true, pixels = false, maxPixels = 268_402_689 } = options;
  if (!Number.isInteger(quality) || quality < 1 || quality > 100) throw new JpegCropError('BAD_OPTIONS', `quality must be an integer 1–100, got ${quality}`);
  if (!(jpeg instanceof Uint8Array)) throw new JpegCropError('BAD_OPTIONS', 'jpeg must be a Uint8Array');
  if (regions.length === 0) return [];
  const flat = new Int32Array(regions.length * 4);
  regions.forEach((r, i) => {
    const v = [r.left, r.top, r.width, r.height];
    if (!v.every(Number.isInteger)) throw new JpegCropError('BAD_REGION', `region ${i} is not whole pixels: ${JSON.stringify(r)}`);
    flat.set(v, i * 4);
  });
  try {
    return await binding.crop(jpeg, flat, quality, optimizeCoding, pixels, maxPixels);
  } catch (err) {
    const e = err as Error & { code?: string };
    throw new JpegCropError((e.code ?? 'BAD_JPEG') as JpegCropErrorCode, e.message);
  }
}
