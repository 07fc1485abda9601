import { cropJpeg, available as libjpegAvailable, type JpegCropError } from '@oidstream/jpeg-crop';
import { imageSize } from 'image-size';
import sharp, { type Sharp } from 'sharp';
import { boxToRegion, type Region } from './box-region.js';
import { chipFilePath, writeChipFile } from './chip-files.js';
import { chipRelativePath } from './chip-path.js';
import type { ChipErrorCode } from './errors.js';
import type { ResolvedChipOptions } from './options.js';
import type { BoxRow, ChipError, ChipPixels, ChipRecord, ChipResult } from './records.js';

/** One box to cut, with its stable index within its image. */
export interface IndexedBox {
  box: BoxRow;
  n: number;
}

/** Decoded pixels, EXIF orientation applied, 8-bit sRGB, alpha flattened onto white. */
export interface DecodedImage {
  data: Buffer;
  width: number;
  height: number;
  channels: 1 | 2 | 3 | 4;
}

export async function decodeImage(bytes: Uint8Array, maxPixels: number): Promise<DecodedImage> {
  const { data, info } = await sharp(bytes, { autoOrient: true, failOn: 'warning', limitInputPixels: maxPixels })
    .flatten({ background: '#ffffff' })
    .toColourspace('srgb')
    .raw({ depth: 'uchar' })
    .toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, channels: info.channels };
}

/** Upright (EXIF-applied) size of an image, and whether EXIF turns it. */
export interface ImageHeader {
  width: number;
  height: number;
  upright: boolean;
  jpeg: boolean;
}

/**
 * The image's size from its header: JPEG headers are read in JS (a sharp call costs ~1 ms of thread hand-offs and
 * main-thread work, as much as a small chip's encode); other formats ask libvips. Throws when it has no size.
 */
export async function readImageHeader(bytes: Uint8Array, maxPixels: number): Promise<ImageHeader> {
  let size: ReturnType<typeof imageSize> | undefined;
  try {
    size = imageSize(bytes);
  } catch {
    // not a format image-size reads: libvips says
  }
  if (size?.type === 'jpg' && size.width && size.height) {
    const orientation = size.orientation ?? 1;
    const turned = orientation >= 5 && orientation <= 8;
    return { width: turned ? size.height : size.width, height: turned ? size.width : size.height, upright: orientation === 1, jpeg: true };
  }
  const meta = await sharp(bytes, { limitInputPixels: maxPixels }).metadata();
  if (!meta.autoOrient.width || !meta.autoOrient.height) throw new Error('image has no size');
  return { width: meta.autoOrient.width, height: meta.autoOrient.height, upright: (meta.orientation ?? 1) === 1, jpeg: meta.format === 'jpeg' };
}

/** OID Rotation (degrees counter-clockwise: 0/90/180/270; null/NaN = unknown = 0) → sharp's clockwise angle; undefined when invalid. */
export function oidRotationToClockwise(rotation: unknown): number | undefined {
  if (rotation === null || rotation === undefined || (typeof rotation === 'number' && Number.isNaN(rotation))) return 0;
  if (typeof rotation !== 'number' || !Number.isInteger(rotation) || rotation % 90 !== 0) return undefined;
  const ccw = ((rotation % 360) + 360) % 360;
  return (360 - ccw) % 360;
}

function fail(box: BoxRow, imageId: string, n: number, code: ChipErrorCode, reason: string): ChipError {
  return { kind: 'error', ImageID: imageId, chip_id: `${imageId}_${n}`, box, code, reason };
}

/**
 * Decode one image once and cut all its boxes; every box yields a chip or an error record. Boxes are in the frame of
 * the displayed image (EXIF applied); the OID Rotation then turns each chip upright. With `o.writeTo`, each chip's
 * file is written before this resolves (`madeDirs`: class folders already made); it rejects only when one cannot be.
 */
export async function cutImage(
  imageId: string,
  bytes: Uint8Array | null | undefined,
  rotation: unknown,
  boxes: readonly IndexedBox[],
  o: ResolvedChipOptions,
  madeDirs = new Set<string>(),
): Promise<ChipResult[]> {
  const angle = oidRotationToClockwise(rotation);
  if (angle === undefined) {
    return boxes.map(({ box, n }) => fail(box, imageId, n, 'BAD_ROTATION', `OID Rotation must be 0, 90, 180 or 270, got ${String(rotation)}`));
  }
  if (!(bytes instanceof Uint8Array) || bytes.length === 0) {
    return boxes.map(({ box, n }) => fail(box, imageId, n, 'BAD_IMAGE', 'image bytes are missing or empty'));
  }
  // read once: an undecodable image is reported by the decoders below
  const header = await readImageHeader(bytes, o.maxPixels).catch((err: Error) => err);
  if (!(header instanceof Error) && o.libjpeg && libjpegAvailable && header.jpeg && header.upright && o.maxSide === 0) {
    const cut = await cutWithLibjpeg(imageId, bytes, boxes, header, angle as 0 | 90 | 180 | 270, o, madeDirs);
    if (cut) return cut;
  }
  const out = await cutWithSharp(imageId, bytes, boxes, header, angle, o);
  if (o.writeTo) for (const r of out) if (r.kind === 'chip') await writeChipFile(o.writeTo, r, madeDirs);
  return out;
}

async function cutWithSharp(imageId: string, bytes: Uint8Array, boxes: readonly IndexedBox[], header: ImageHeader | Error, angle: number, o: ResolvedChipOptions): Promise<ChipResult[]> {
  if (boxes.length === 1) return cutDirect(imageId, bytes, boxes, header, angle, o);
  // bound memory: ~3 bytes per pixel stay decoded while the boxes are cut
  if (!(header instanceof Error) && header.width * header.height > o.rawDecodeMaxPixels) return cutDirect(imageId, bytes, boxes, header, angle, o);
  let img: DecodedImage;
  try {
    img = await decodeImage(bytes, o.maxPixels);
  } catch (err) {
    const reason = `cannot decode image: ${(err as Error).message.split('\n')[0]}`;
    return boxes.map(({ box, n }) => fail(box, imageId, n, 'BAD_IMAGE', reason));
  }
  const out: ChipResult[] = new Array(boxes.length);
  // a few boxes at a time: enough to overlap encodes, bounded for images with many boxes
  const step = 4;
  for (let i = 0; i < boxes.length; i += step) {
    await Promise.all(
      boxes.slice(i, i + step).map(async ({ box, n }, k) => {
        out[i + k] = await cutBox(img, imageId, box, n, angle, o);
      }),
    );
  }
  return out;
}

/**
 * Upright JPEGs: one partial libjpeg-turbo decode of the rows and columns under the boxes, then one encode per chip
 * (turned by the OID Rotation first), all on libuv's pool (@oidstream/jpeg-crop; same bytes as sharp's path). Undefined when sharp must do it (CMYK, an
 * ICC profile to apply). Very large images with several boxes are cut box by box, as in cutDirect.
 */
async function cutWithLibjpeg(imageId: string, bytes: Uint8Array, boxes: readonly IndexedBox[], header: ImageHeader, rotate: 0 | 90 | 180 | 270, o: ResolvedChipOptions, madeDirs: Set<string>): Promise<ChipResult[] | undefined> {
  const out: ChipResult[] = new Array(boxes.length);
  const todo: { i: number; box: BoxRow; n: number; region: Region; chipPath: string }[] = [];
  boxes.forEach(({ box, n }, i) => {
    const r = boxToRegion(box, header.width, header.height, o);
    if ('code' in r) out[i] = fail(box, imageId, n, r.code, r.reason);
    else todo.push({ i, box, n, region: r.region, chipPath: chipRelativePath(box.DisplayName ?? box.LabelName, imageId, n) });
  });
  const groups = header.width * header.height > o.rawDecodeMaxPixels ? todo.map((t) => [t]) : [todo];
  for (const group of groups) {
    let crops;
    try {
      const pixels = o.chipPixels === 'none' ? false : o.chipPixels === 'file' ? 'encoded' : true;
      const sizes = pixels && o.pixelSizes.length ? o.pixelSizes : undefined;
      const files = o.writeTo ? group.map((t) => chipFilePath(o.writeTo, t.chipPath, madeDirs)) : undefined;
      crops = await cropJpeg(bytes, group.map((t) => t.region), { quality: o.quality, optimizeCoding: o.optimizeCoding, pixels, maxPixels: o.maxPixels, rotate, sizes, files });
    } catch (err) {
      const e = err as JpegCropError;
      if (e.code === 'WRITE_FAILED') throw e;
      if (e.code === 'UNSUPPORTED' || e.code === 'NOT_BUILT') return undefined;
      const reason = `cannot decode image: ${e.message.split('\n')[0]}`;
      for (const { i, box, n } of todo) out[i] ??= fail(box, imageId, n, 'BAD_IMAGE', reason);
      return out;
    }
    for (const [k, { i, box, n, chipPath }] of group.entries()) {
      const c = crops[k];
      out[i] = chipRecord(imageId, box, n, c.jpeg, c.width, c.height, c.pixels && { data: c.pixels, width: c.width, height: c.height }, chipPath);
      if (c.samples) out[i].samples = Object.fromEntries(o.pixelSizes.map(([h, w], k) => [`${h}x${w}`, c.samples![k]]));
    }
  }
  return out;
}

/**
 * Boxes cut by one sharp pipeline each, straight from the encoded bytes: for a single box this is still one
 * decode and skips a raw copy of the image; for very large images with several boxes it trades extra decodes
 * for not holding the whole decoded image (options.rawDecodeMaxPixels).
 */
async function cutDirect(imageId: string, bytes: Uint8Array, boxes: readonly IndexedBox[], header: ImageHeader | Error, angle: number, o: ResolvedChipOptions): Promise<ChipResult[]> {
  if (header instanceof Error) {
    const reason = `cannot decode image: ${header.message.split('\n')[0]}`;
    return boxes.map(({ box, n }) => fail(box, imageId, n, 'BAD_IMAGE', reason));
  }
  // sequential: the decoder stops below the box and never holds the whole image (EXIF and OID turns need random access)
  const { width, height } = header;
  const sequentialRead = header.upright && angle === 0;
  const out: ChipResult[] = [];
  for (const { box, n } of boxes) {
    const r = boxToRegion(box, width, height, o);
    if ('code' in r) {
      out.push(fail(box, imageId, n, r.code, r.reason));
      continue;
    }
    const p = sharp(bytes, { autoOrient: true, failOn: 'warning', limitInputPixels: o.maxPixels, sequentialRead })
      .extract(r.region)
      .flatten({ background: '#ffffff' })
      .toColourspace('srgb');
    try {
      out.push(await encodeChip(p, imageId, box, n, angle, o));
    } catch (err) {
      out.push(fail(box, imageId, n, 'BAD_IMAGE', `cannot decode image: ${(err as Error).message.split('\n')[0]}`));
    }
  }
  return out;
}

async function cutBox(img: DecodedImage, imageId: string, box: BoxRow, n: number, angle: number, o: ResolvedChipOptions): Promise<ChipResult> {
  const r = boxToRegion(box, img.width, img.height, o);
  if ('code' in r) return fail(box, imageId, n, r.code, r.reason);
  try {
    const p = sharp(img.data, { raw: { width: img.width, height: img.height, channels: img.channels } }).extract(r.region);
    return await encodeChip(p, imageId, box, n, angle, o);
  } catch (err) {
    return fail(box, imageId, n, 'ENCODE_FAILED', `cannot cut or encode chip: ${(err as Error).message.split('\n')[0]}`);
  }
}

async function encodeChip(pipeline: Sharp, imageId: string, box: BoxRow, n: number, angle: number, o: ResolvedChipOptions): Promise<ChipRecord> {
  let p = pipeline;
  if (angle) p = p.rotate(angle);
  let cut: ChipPixels | undefined;
  if (o.chipPixels === 'cut') {
    // the upright chip pixels once; the JPEG is made from them (the same JPEG as without)
    const { data, info } = await p.raw().toBuffer({ resolveWithObject: true });
    p = sharp(data, { raw: { width: info.width, height: info.height, channels: info.channels } });
    cut = info.channels === 3 ? { data, width: info.width, height: info.height } : await rgb(p.clone());
  }
  // otherwise one sharp pipeline per chip: decode, cut, turn and encode (each pipeline costs ~1 ms of thread hand-offs)
  if (o.maxSide > 0) p = p.resize({ width: o.maxSide, height: o.maxSide, fit: 'inside', withoutEnlargement: true });
  const { data, info } = await p.jpeg({ quality: o.quality, optimiseCoding: o.optimizeCoding }).toBuffer({ resolveWithObject: true });
  if (o.chipPixels === 'file') cut = await rgb(sharp(data, { failOn: 'error' }));
  return chipRecord(imageId, box, n, data, info.width, info.height, cut);
}

function chipRecord(imageId: string, box: BoxRow, n: number, jpeg: Buffer, width: number, height: number, pixels: ChipPixels | undefined, chipPath = chipRelativePath(box.DisplayName ?? box.LabelName, imageId, n)): ChipRecord {
  const chip: ChipRecord = {
    kind: 'chip',
    box,
    chip_id: `${imageId}_${n}`,
    chip: jpeg,
    chip_width: width,
    chip_height: height,
    chip_path: chipPath,
  };
  if (pixels) chip.pixels = pixels;
  return chip;
}

/** 8-bit sRGB pixels without alpha. */
async function rgb(p: Sharp): Promise<ChipPixels> {
  const { data, info } = await p.toColourspace('srgb').removeAlpha().raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height };
}
