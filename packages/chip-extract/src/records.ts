import type { ChipErrorCode } from './errors.js';

/** A box row as read from boxes.parquet: ImageID, XMin…YMax, DisplayName, and any other columns (passed through). */
export type BoxRow = Record<string, unknown>;

/** An image row as in images.parquet. */
export interface ImageRow {
  ImageID: string;
  Rotation?: number | null;
  image: Uint8Array;
  [column: string]: unknown;
}

/** HWC RGB uint8, width·height·3 bytes. */
export interface ChipPixels {
  data: Uint8Array;
  width: number;
  height: number;
}

export interface ChipRecord {
  kind: 'chip';
  /** The box row, unchanged. */
  box: BoxRow;
  /** `<ImageID>_<n>`, n = 0-based index of the box within its image, in input order: stable across runs. */
  chip_id: string;
  /** JPEG bytes. */
  chip: Uint8Array;
  chip_width: number;
  chip_height: number;
  /** `chips/<DisplayName>/<chip_id>.jpg`, relative to the output folder. */
  chip_path: string;
  /** With options.chipPixels: the chip's RGB pixels, cut from the decoded image ('cut') or as its JPEG decodes ('file'). */
  pixels?: ChipPixels;
  /** With options.pixelSizes, instead of `pixels` where libjpeg-turbo cut the chip: those pixels at each size, keyed `'<height>x<width>'`. */
  samples?: Record<string, Uint8Array>;
}

export interface ChipError {
  kind: 'error';
  ImageID: unknown;
  /** Null when the ImageID is invalid (it must not appear in ids or paths). */
  chip_id: string | null;
  box: BoxRow;
  code: ChipErrorCode;
  reason: string;
}

export type ChipResult = ChipRecord | ChipError;

/** Box coordinates and class of an error record, ready for errors.jsonl. */
export function errorToJson(e: ChipError): Record<string, unknown> {
  const b = e.box;
  const num = (v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v);
  return {
    ImageID: typeof e.ImageID === 'string' ? e.ImageID.slice(0, 200) : e.ImageID ?? null,
    chip_id: e.chip_id,
    code: e.code,
    reason: e.reason,
    box: {
      XMin: num(b.XMin),
      XMax: num(b.XMax),
      YMin: num(b.YMin),
      YMax: num(b.YMax),
      LabelName: b.LabelName ?? null,
      DisplayName: b.DisplayName ?? null,
    },
  };
}
