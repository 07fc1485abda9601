import { available as libjpegAvailable, sampleJpeg, type JpegCropError } from '@oidstream/jpeg-crop';
import sharp, { type Sharp } from 'sharp';
import type { KerasModelTopology } from './backend.js';
import { withDefaults } from './defaults.js';
import { KerasModelsError } from './errors.js';
import { PREPROCESS_MODES, type PreprocessMode } from './options.js';

/**
 * Keras `preprocess_input` modes:
 * - `tf`: x/127.5 − 1 (MobileNet v1/v2, Inception, Xception, NASNet, ResNetV2)
 * - `caffe`: RGB→BGR, minus the ImageNet BGR mean, no scaling (ResNet50 v1, VGG16/19)
 * - `torch`: x/255, minus ImageNet mean, divided by std, RGB (DenseNet)
 * - `none`: raw 0..255 floats (models that rescale inside, e.g. EfficientNet)
 */
export { PREPROCESS_MODES, type PreprocessMode };

/** Keras `load_img` interpolation names → sharp kernels. Keras' default is nearest. */
export type Interpolation = 'nearest' | 'bilinear' | 'bicubic' | 'lanczos';
const KERNEL: Record<Interpolation, 'nearest' | 'linear' | 'cubic' | 'lanczos3'> = { nearest: 'nearest', bilinear: 'linear', bicubic: 'cubic', lanczos: 'lanczos3' };

export interface DecodeOptions {
  /** Resize filter; Keras `image.load_img` defaults to nearest. Default 'nearest'. */
  interpolation?: Interpolation;
  /** Apply EXIF orientation before resizing (Keras/PIL does not; chips are already upright). Default true. */
  autoOrient?: boolean;
  /** Refuse images with more pixels than this before decoding (same default as chip-extract). Default 100 M. */
  maxPixels?: number;
}
export const DECODE_DEFAULTS: Required<DecodeOptions> = { interpolation: 'nearest', autoOrient: true, maxPixels: 100_000_000 };

const CAFFE_MEAN_BGR = [103.939, 116.779, 123.68];
const TORCH_MEAN = [0.485, 0.456, 0.406];
const TORCH_STD = [0.229, 0.224, 0.225];

/**
 * Write `preprocess_input(rgb)` for one HWC uint8 RGB image into `out` at `offset` (floats). Pure.
 */
export function preprocessPixels(rgb: Uint8Array, mode: PreprocessMode, out: Float32Array, offset = 0): void {
  const n = rgb.length;
  if (offset + n > out.length) throw new KerasModelsError('BAD_INPUT', `batch buffer too small: need ${offset + n} floats, have ${out.length}`);
  switch (mode) {
    case 'tf':
      for (let i = 0; i < n; i++) out[offset + i] = rgb[i] / 127.5 - 1;
      return;
    case 'caffe':
      for (let i = 0; i < n; i += 3) {
        out[offset + i] = rgb[i + 2] - CAFFE_MEAN_BGR[0];
        out[offset + i + 1] = rgb[i + 1] - CAFFE_MEAN_BGR[1];
        out[offset + i + 2] = rgb[i] - CAFFE_MEAN_BGR[2];
      }
      return;
    case 'torch':
      for (let i = 0; i < n; i += 3) {
        for (let c = 0; c < 3; c++) out[offset + i + c] = (rgb[i + c] / 255 - TORCH_MEAN[c]) / TORCH_STD[c];
      }
      return;
    case 'none':
      for (let i = 0; i < n; i++) out[offset + i] = rgb[i];
      return;
    default:
      throw new KerasModelsError('BAD_OPTION', `unknown preprocessing mode ${JSON.stringify(mode)} (use ${PREPROCESS_MODES.join(', ')})`);
  }
}

/**
 * Source offsets of Pillow's `Image.resize(size, NEAREST)` (what Keras `load_img` calls) along one axis: coordinates
 * start at scale/2 and are *accumulated* step by step in doubles, then truncated. (Computing (x + 0.5)·scale
 * directly differs from Pillow on some rows.)
 */
function nearestIndex(src: number, dst: number): Int32Array {
  const out = new Int32Array(dst);
  const a = src / dst;
  let at = a * 0.5;
  for (let i = 0; i < dst; i++, at += a) out[i] = Math.min(src - 1, Math.trunc(at));
  return out;
}

/** Nearest-neighbour resize of HWC uint8 RGB exactly as Pillow's `Image.resize(size, NEAREST)`. Pure. */
export function resizeNearest(src: Uint8Array, sw: number, sh: number, dw: number, dh: number): Uint8Array {
  if (sw === dw && sh === dh) return src;
  const xs = nearestIndex(sw, dw);
  const ys = nearestIndex(sh, dh);
  const out = new Uint8Array(dw * dh * 3);
  for (let y = 0, o = 0; y < dh; y++) {
    const row = ys[y] * sw * 3;
    for (let x = 0; x < dw; x++, o += 3) {
      const i = row + xs[x] * 3;
      out[o] = src[i];
      out[o + 1] = src[i + 1];
      out[o + 2] = src[i + 2];
    }
  }
  return out;
}

/** Decoded HWC uint8 RGB and its size. */
export interface RgbImage {
  data: Uint8Array;
  width: number;
  height: number;
}

const lutCache = new Map<PreprocessMode, { luts: Float32Array[]; from: number[] }>();

/** Per-channel tables of preprocessPixels (made by it, so the floats are the same) and each output's source channel. */
function lutsFor(mode: PreprocessMode): { luts: Float32Array[]; from: number[] } {
  let t = lutCache.get(mode);
  if (!t) {
    const ramp = new Uint8Array(256 * 3).map((_, i) => Math.floor(i / 3));
    const f = new Float32Array(256 * 3);
    preprocessPixels(ramp, mode, f);
    const luts = [0, 1, 2].map((c) => Float32Array.from({ length: 256 }, (_, v) => f[v * 3 + c]));
    t = { luts, from: mode === 'caffe' ? [2, 1, 0] : [0, 1, 2] };
    lutCache.set(mode, t);
  }
  return t;
}

/**
 * `preprocessPixels(resizeNearest(img, …))` in one pass, writing straight into a batch: the same floats without the
 * intermediate image (the resize and the preprocessing each cost about as much as this whole pass). Pure.
 */
export function preprocessResized(img: RgbImage, dw: number, dh: number, mode: PreprocessMode, out: Float32Array, offset = 0): void {
  const n = dw * dh * 3;
  if (offset + n > out.length) throw new KerasModelsError('BAD_INPUT', `batch buffer too small: need ${offset + n} floats, have ${out.length}`);
  if (img.data.length !== img.width * img.height * 3) throw new KerasModelsError('BAD_INPUT', `image of ${img.width}×${img.height} must hold ${img.width * img.height * 3} RGB bytes`);
  const src = img.data;
  // already the model's size (sampled while the chip was cut) for a model that preprocesses itself: a native copy
  if (mode === 'none' && img.width === dw && img.height === dh) return out.set(src, offset);
  const { luts, from } = lutsFor(mode);
  const [l0, l1, l2] = luts;
  const [f0, f1, f2] = from;
  const xs = nearestIndex(img.width, dw);
  const ys = nearestIndex(img.height, dh);
  for (let y = 0, o = offset; y < dh; y++) {
    const row = ys[y] * img.width * 3;
    for (let x = 0; x < dw; x++, o += 3) {
      const i = row + xs[x] * 3;
      out[o] = l0[src[i + f0]];
      out[o + 1] = l1[src[i + f1]];
      out[o + 2] = l2[src[i + f2]];
    }
  }
}

/**
 * Decode image bytes (JPEG, PNG, …) to HWC uint8 RGB of exactly [height, width], stretched as Keras
 * `load_img(target_size=…)` does. Like Keras/PIL, embedded ICC profiles are not applied. With `nearest` (Keras'
 * default) the result is pixel-identical to Keras: full-size decode by sharp (libjpeg-turbo, as PIL), then Pillow's
 * nearest sampling; other filters use sharp's kernels (close to, not identical with, Pillow's).
 */
export async function decodeResize(bytes: Uint8Array, size: [number, number], options: DecodeOptions = {}): Promise<Uint8Array> {
  return (await decodeResizeMany(bytes, [size], options))[0];
}

/**
 * `decodeResize` to several sizes at once. With `nearest` the image is decoded once and sampled per size. Errors:
 * `BAD_IMAGE` (does not decode), `IMAGE_TOO_LARGE` (over `maxPixels`, refused from the header before any decode).
 */
export async function decodeResizeMany(bytes: Uint8Array, sizes: readonly [number, number][], options: DecodeOptions = {}): Promise<Uint8Array[]> {
  const images = await decodeForSizes(bytes, sizes, options);
  return sizes.map(([h, w], k) => resizeNearest(images[k].data, images[k].width, images[k].height, w, h));
}

/**
 * Decode once for these sizes: with `nearest`, each size's Pillow-nearest sample (upright JPEGs, by libjpeg-turbo in
 * C) or else the full-size image for every size (sampled later, e.g. by preprocessResized); with other filters, one
 * image resized by sharp per size. Errors as decodeResizeMany.
 */
export async function decodeForSizes(bytes: Uint8Array, sizes: readonly [number, number][], options: DecodeOptions = {}): Promise<RgbImage[]> {
  const o = withDefaults(DECODE_DEFAULTS, options);
  const kernel = KERNEL[o.interpolation] as (typeof KERNEL)[Interpolation] | undefined;
  if (!kernel) throw new KerasModelsError('BAD_OPTION', `unknown interpolation ${JSON.stringify(o.interpolation)} (use ${Object.keys(KERNEL).join(', ')})`);
  if (!(Number.isFinite(o.maxPixels) && o.maxPixels >= 1)) throw new KerasModelsError('BAD_OPTION', `maxPixels must be ≥ 1, got ${o.maxPixels}`);
  const rgb = async (img: Sharp): Promise<RgbImage> => {
    const { data, info } = await img.raw().toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`decoded to ${info.channels} channels`);
    return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height };
  };
  if (o.interpolation === 'nearest') {
    const samples = await sampleWithLibjpeg(bytes, sizes, o.maxPixels);
    if (samples) return samples;
  }
  try {
    const base = () => {
      const img = sharp(bytes, { failOn: 'error', ignoreIcc: true, limitInputPixels: o.maxPixels });
      return (o.autoOrient ? img.rotate() : img).removeAlpha().toColourspace('srgb');
    };
    if (o.interpolation === 'nearest') {
      const full = await rgb(base());
      return sizes.map(() => full);
    }
    // fastShrinkOnLoad off: JPEG shrink-on-load would pre-average pixels, unlike Keras/PIL's plain resize.
    return await Promise.all(sizes.map(([h, w]) => rgb(base().resize(w, h, { fit: 'fill', kernel, fastShrinkOnLoad: false }))));
  } catch (err) {
    const msg = (err as Error).message;
    if (/pixel limit/i.test(msg)) {
      throw new KerasModelsError('IMAGE_TOO_LARGE', `image has more than maxPixels (${o.maxPixels}) pixels`, { cause: err });
    }
    throw new KerasModelsError('BAD_IMAGE', `cannot decode image (${bytes.byteLength} bytes): ${msg}`, { cause: err });
  }
}

/**
 * Upright JPEGs through @oidstream/jpeg-crop (libjpeg-turbo on libuv's pool, no per-call libvips set-up: the same
 * pixels as sharp's decode), sampled there as resizeNearest does. Undefined when sharp must decode: other formats,
 * EXIF turns, CMYK, a decoder warning (sharp here only fails on errors), or no native build.
 */
async function sampleWithLibjpeg(bytes: Uint8Array, sizes: readonly [number, number][], maxPixels: number): Promise<RgbImage[] | undefined> {
  if (!libjpegAvailable || bytes[0] !== 0xff || bytes[1] !== 0xd8) return undefined;
  try {
    const samples = await sampleJpeg(bytes, sizes, { ignoreIcc: true, maxPixels });
    return samples.map((s, k) => ({ data: new Uint8Array(s.buffer, s.byteOffset, s.byteLength), width: sizes[k][1], height: sizes[k][0] }));
  } catch (err) {
    if ((err as JpegCropError).code === 'TOO_MANY_PIXELS') throw new KerasModelsError('IMAGE_TOO_LARGE', `image has more than maxPixels (${maxPixels}) pixels`, { cause: err });
    return undefined;
  }
}

/** Name patterns of Keras applications → their preprocess_input mode. First match wins, so order matters. */
const MODE_BY_NAME: [RegExp, PreprocessMode][] = [
  [/densenet/i, 'torch'],
  [/resnet.*v2|resnet50v2|resnet101v2|resnet152v2|inception_resnet/i, 'tf'],
  [/resnet|vgg/i, 'caffe'],
  [/mobilenet|inception|xception|nasnet/i, 'tf'],
  [/efficientnet|convnext|regnet/i, 'none'],
];

/** The preprocessing a Keras application expects, from its model name (or a user's model label). */
export function preprocessingForName(name: string | undefined): PreprocessMode | undefined {
  if (!name) return undefined;
  for (const [re, mode] of MODE_BY_NAME) if (re.test(name)) return mode;
  return undefined;
}

/**
 * Choose the preprocessing for a model: the Keras model name in its topology (`mobilenet_0.75_224`, `densenet121`,
 * `resnet50`), then layer names typical of an architecture, then the user's label for it. Undefined when unknown.
 */
export function preprocessingFor(topology: KerasModelTopology | undefined, label?: string): PreprocessMode | undefined {
  const byName = preprocessingForName(topology?.config.name);
  if (byName) return byName;
  const layers = topology?.config.layers ?? [];
  const names = new Set(layers.map((l) => l.config.name));
  if (names.has('conv_dw_1') || names.has('conv_pw_1')) return 'tf'; // MobileNet v1
  if (names.has('conv1/conv') && [...names].some((n) => /^conv\d+_block\d+_concat$/.test(n))) return 'torch'; // DenseNet
  if (names.has('conv2_block1_preact_bn')) return 'tf'; // ResNetV2
  if (names.has('res2a_branch2a') || names.has('conv2_block1_1_conv')) return 'caffe'; // ResNet50 v1 (old/new names)
  if (layers.some((l) => l.class_name === 'Rescaling' || l.class_name === 'Normalization')) return 'none';
  return preprocessingForName(label);
}
