import { JpegCropError, type JpegCropErrorCode } from './errors.js';
import { binding, FLAGS, loadError } from './native-binding.js';

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
  /** Optimised Huffman tables (smaller files, ~20 % more encode time). Default false. */
  optimizeCoding?: boolean;
  /**
   * Also return RGB pixels: `true` the region's own, `'encoded'` those of its JPEG decoded again (what a reader of
   * the chip file, e.g. Keras `load_img`, sees). Default false.
   */
  pixels?: boolean | 'encoded';
  /** Refuse images with more pixels than this (decompression bombs). Default 100,000,000. */
  maxPixels?: number;
  /** Turn every crop clockwise by this many degrees after cutting it, as sharp's `rotate`. Default 0. */
  rotate?: 0 | 90 | 180 | 270;
  /**
   * With `pixels`: return `samples` instead, those pixels resized to each [height, width] exactly as Pillow's
   * `resize(NEAREST)` (Keras `load_img(target_size)`): a model input is a fraction of a chip's pixels. Default none.
   */
  sizes?: readonly (readonly [number, number])[];
  /**
   * Also write crop i's JPEG to `files[i]` (undefined: no file), on the pool thread that encoded it, so the caller's
   * thread never waits on the disk: through a temp name beside it, renamed over it (a reader never sees part of a
   * file). The folders must exist. A failed write rejects the call with WRITE_FAILED. Default none.
   */
  files?: readonly (string | undefined)[];
}

export interface Crop {
  /** Baseline JPEG, 4:2:0, no JFIF header: byte-identical to sharp's `extract(region).rotate(rotate).jpeg({ quality, optimiseCoding })`. */
  jpeg: Buffer;
  /** After the turn (90 and 270 swap the region's width and height). */
  width: number;
  height: number;
  /** RGB, 3 bytes per pixel, row by row (with `pixels`, without `sizes`). */
  pixels?: Buffer;
  /** RGB at each of `sizes`, in their order (with `pixels` and `sizes`). */
  samples?: Buffer[];
}

export interface DecodeOptions {
  /** Decode ICC-tagged JPEGs without applying the profile (as Keras/PIL do) instead of refusing them. Default false. */
  ignoreIcc?: boolean;
  maxPixels?: number;
}

/** Decoded RGB pixels, 3 bytes per pixel. */
export interface RgbPixels {
  data: Buffer;
  width: number;
  height: number;
}

/** True when the native binding loaded; otherwise `unavailableReason` says why. */
export const available = binding !== undefined;
export const unavailableReason = loadError;
/** libjpeg-turbo's version as a number (2001005 = 2.1.5), or undefined. */
export const libjpegTurboVersion = binding?.libjpegTurboVersion;

const MAX_PIXELS = 100_000_000;

async function call(jpeg: Uint8Array, flat: Int32Array, quality: number, optimize: boolean, flags: number, maxPixels: number, rotate = 0, sizes?: Int32Array, files?: readonly (string | undefined)[]) {
  if (!binding) throw new JpegCropError('NOT_BUILT', `@oidstream/jpeg-crop's native binding is not built: ${loadError}`);
  if (!(jpeg instanceof Uint8Array)) throw new JpegCropError('BAD_OPTIONS', 'jpeg must be a Uint8Array');
  if (!(maxPixels >= 1)) throw new JpegCropError('BAD_OPTIONS', `maxPixels must be ≥ 1, got ${maxPixels}`);
  try {
    return await binding.crop(jpeg, flat, quality, optimize, flags, maxPixels, rotate, sizes, files);
  } catch (err) {
    const e = err as Error & { code?: string };
    throw new JpegCropError((e.code ?? 'BAD_JPEG') as JpegCropErrorCode, e.message);
  }
}

/**
 * Decode the rows and columns of `jpeg` that cover `regions` (once, on libuv's thread pool), and encode each region.
 * Pixels equal a full decode's (accurate integer IDCT, fancy upsampling). Rejects with a JpegCropError.
 */
export async function cropJpeg(jpeg: Uint8Array, regions: readonly CropRegion[], options: CropOptions = {}): Promise<Crop[]> {
  const { quality = 90, optimizeCoding = false, pixels = false, maxPixels = MAX_PIXELS, rotate = 0, sizes, files } = options;
  if (!Number.isInteger(quality) || quality < 1 || quality > 100) throw new JpegCropError('BAD_OPTIONS', `quality must be an integer 1–100, got ${quality}`);
  if (![0, 90, 180, 270].includes(rotate)) throw new JpegCropError('BAD_OPTIONS', `rotate must be 0, 90, 180 or 270, got ${rotate}`);
  const flatSizes = checkSizes(sizes, pixels);
  if (files !== undefined && !(Array.isArray(files) && files.length === regions.length && files.every((f) => f === undefined || (typeof f === 'string' && f.length > 0 && !f.includes('\0'))))) {
    throw new JpegCropError('BAD_OPTIONS', 'files must be an array of one path (or undefined) per region');
  }
  if (regions.length === 0) return [];
  const flat = new Int32Array(regions.length * 4);
  regions.forEach((r, i) => {
    const v = [r.left, r.top, r.width, r.height];
    // whole pixels within int32, as the native side takes them
    if (!v.every((x) => Number.isInteger(x) && x >= 0 && x <= 0x7fffffff) || r.width < 1 || r.height < 1) {
      throw new JpegCropError('BAD_REGION', `region ${i} is not whole, non-negative pixels: ${JSON.stringify(r)}`);
    }
    flat.set(v, i * 4);
  });
  const flags = FLAGS.encode | (pixels === 'encoded' ? FLAGS.decodeEncoded : pixels ? FLAGS.pixels : 0);
  return (await call(jpeg, flat, quality, optimizeCoding, flags, maxPixels, rotate, flatSizes, files)) as Crop[];
}

/**
 * The whole JPEG as RGB, decoded as libvips/Pillow do (accurate IDCT, fancy upsampling). Refuses (UNSUPPORTED) an
 * EXIF orientation other than 1, CMYK, and ICC-tagged files unless `ignoreIcc`: the caller decodes those another way.
 */
export async function decodeJpeg(jpeg: Uint8Array, options: DecodeOptions = {}): Promise<RgbPixels> {
  const [img] = await call(jpeg, new Int32Array(4), 90, false, decodeFlags(options), options.maxPixels ?? MAX_PIXELS);
  return { data: img.pixels!, width: img.width, height: img.height };
}

/**
 * `decodeJpeg`, then the pixels resized to each [height, width] exactly as Pillow's `resize(NEAREST)` (Keras
 * `load_img(target_size)`), in C: only the samples reach JS. Same refusals as decodeJpeg.
 */
export async function sampleJpeg(jpeg: Uint8Array, sizes: readonly (readonly [number, number])[], options: DecodeOptions = {}): Promise<Buffer[]> {
  const [img] = await call(jpeg, new Int32Array(4), 90, false, decodeFlags(options), options.maxPixels ?? MAX_PIXELS, 0, checkSizes(sizes, true));
  return img.samples!;
}

function decodeFlags(options: DecodeOptions): number {
  return FLAGS.pixels | FLAGS.uprightOnly | (options.ignoreIcc ? FLAGS.ignoreIcc : 0);
}

/** A [height, width] that `sizes` and `sampleJpeg` take: whole pixels, 1–16384 a side. */
export function isSampleSize(size: unknown): size is [number, number] {
  return Array.isArray(size) && size.length === 2 && size.every((v) => Number.isInteger(v) && v >= 1 && v <= 16384);
}

/** Sizes as the native side takes them (height, width pairs), or undefined without sizes. */
function checkSizes(sizes: readonly (readonly [number, number])[] | undefined, pixels: unknown): Int32Array | undefined {
  if (!sizes) return undefined;
  if (!(pixels && sizes.length > 0 && sizes.every(isSampleSize))) {
    throw new JpegCropError('BAD_OPTIONS', `sizes must be [height, width] pairs of 1–16384 pixels, with pixels; got ${JSON.stringify(sizes)}`);
  }
  return Int32Array.from(sizes.flat());
}
