import { isSampleSize } from '@oidstream/jpeg-crop';
import { ChipExtractError } from './errors.js';

export interface ChipOptions {
  /** JPEG quality 1–100 (default 90). */
  quality?: number;
  /** Optimise JPEG Huffman tables: ~5–10 % smaller chips for ~20 % more CPU per chip (default false). */
  optimizeCoding?: boolean;
  /** Grow each side of the box by this percentage of the box width/height before clamping (default 0). */
  padding?: number;
  /** Grow the shorter side so the crop is square (as far as the image allows; default false). */
  square?: boolean;
  /** Boxes narrower or lower than this many pixels (after clamping) become BOX_TOO_SMALL errors (default 1). */
  minBoxSize?: number;
  /** Scale chips down so their longest side is at most this many pixels (default 0 = keep the box size). */
  maxSide?: number;
  /**
   * Images decoded and cut at the same time (default 8: twice libuv's 4 pool threads, so a thread that finishes finds
   * the next image queued while the main thread is busy; 4 left ~10 % of 2 cores idle).
   */
  concurrency?: number;
  /** Boxes grouped per lookup of images (default 20,000): bounds memory while keeping one decode per image. */
  batchBoxes?: number;
  /** Refuse images with more pixels than this (default 100 megapixels). */
  maxPixels?: number;
  /**
   * Images with several boxes are decoded once to raw pixels, unless they have more pixels than this
   * (default 24 M ≈ 72 MB raw): then each box gets its own streaming decode, so memory stays bounded.
   */
  rawDecodeMaxPixels?: number;
  /**
   * Each chip also carries its RGB pixels (`pixels`), so a classifier need not decode the chip JPEG: 'cut' = the
   * box as decoded from the image; 'file' = the chip JPEG as a reader of the file (Keras `load_img`) decodes it,
   * made while the chip is cut (default 'none').
   */
  chipPixels?: 'none' | 'cut' | 'file';
  /**
   * With chipPixels: chips cut by libjpeg-turbo carry those pixels resized to each [height, width] (a model's input)
   * as Keras `load_img(target_size)` does (`samples`, keyed `'<height>x<width>'`) instead of whole: a quarter of a
   * 1024-px photo's chip. Chips cut by sharp still carry `pixels` (default none).
   */
  pixelSizes?: readonly (readonly [number, number])[];
  /**
   * Cut upright JPEGs with @oidstream/jpeg-crop (libjpeg-turbo: only the rows and columns under the boxes are decoded;
   * chips byte-identical to sharp's) when its native binding is built; false = always sharp (default true).
   */
  libjpeg?: boolean;
  /**
   * Write each chip's JPEG to `<writeTo>/<chip_path>` as it is cut, atomically (temp + rename); class folders are made.
   * Chips cut by libjpeg-turbo are written on the pool thread that encoded them, so the caller's thread never waits
   * on the disk. A failed write ends the stream with its error. Default '' (no files).
   */
  writeTo?: string;
}

export type ResolvedChipOptions = Required<ChipOptions>;

export const CHIP_DEFAULTS: ResolvedChipOptions = {
  quality: 90,
  optimizeCoding: false,
  padding: 0,
  square: false,
  minBoxSize: 1,
  maxSide: 0,
  concurrency: 8,
  batchBoxes: 20_000,
  maxPixels: 100_000_000,
  rawDecodeMaxPixels: 24_000_000,
  chipPixels: 'none',
  pixelSizes: [],
  libjpeg: true,
  writeTo: '',
};

function check(ok: boolean, message: string): void {
  if (!ok) throw new ChipExtractError('BAD_OPTIONS', message);
}

export function resolveChipOptions(options: ChipOptions = {}): ResolvedChipOptions {
  // only chip options (callers may pass a wider object, e.g. a stage's options); undefined means default
  const o = { ...CHIP_DEFAULTS };
  for (const key of Object.keys(CHIP_DEFAULTS) as Array<keyof ChipOptions>) {
    const v = options[key];
    if (v !== undefined) (o as Record<string, unknown>)[key] = v;
  }
  check(Number.isInteger(o.quality) && o.quality >= 1 && o.quality <= 100, `quality must be an integer 1–100, got ${o.quality}`);
  check(typeof o.optimizeCoding === 'boolean', 'optimizeCoding must be a boolean');
  check(Number.isFinite(o.padding) && o.padding >= 0 && o.padding <= 1000, `padding must be a percentage 0–1000, got ${o.padding}`);
  check(typeof o.square === 'boolean', 'square must be a boolean');
  check(typeof o.libjpeg === 'boolean', 'libjpeg must be a boolean');
  check(typeof o.writeTo === 'string', `writeTo must be a folder path, got ${JSON.stringify(o.writeTo)}`);
  check(Number.isFinite(o.minBoxSize) && o.minBoxSize >= 1, `minBoxSize must be ≥ 1 pixel, got ${o.minBoxSize}`);
  check(Number.isInteger(o.maxSide) && o.maxSide >= 0, `maxSide must be a whole number of pixels (0 = off), got ${o.maxSide}`);
  check(Number.isInteger(o.concurrency) && o.concurrency >= 1 && o.concurrency <= 64, `concurrency must be 1–64, got ${o.concurrency}`);
  check(Number.isInteger(o.batchBoxes) && o.batchBoxes >= 1, `batchBoxes must be ≥ 1, got ${o.batchBoxes}`);
  check(Number.isFinite(o.maxPixels) && o.maxPixels >= 1, `maxPixels must be ≥ 1, got ${o.maxPixels}`);
  check(Number.isFinite(o.rawDecodeMaxPixels) && o.rawDecodeMaxPixels >= 0, `rawDecodeMaxPixels must be ≥ 0, got ${o.rawDecodeMaxPixels}`);
  check(['none', 'cut', 'file'].includes(o.chipPixels), `chipPixels must be none, cut or file, got ${JSON.stringify(o.chipPixels)}`);
  check(Array.isArray(o.pixelSizes) && o.pixelSizes.every(isSampleSize), `pixelSizes must be [height, width] pairs of 1–16384 pixels, got ${JSON.stringify(o.pixelSizes)}`);
  return o;
}
