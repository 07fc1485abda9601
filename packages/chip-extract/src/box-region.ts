import type { ChipErrorCode } from './errors.js';
import type { ResolvedChipOptions } from './options.js';

/** Pixel rectangle inside an image. */
export interface Region {
  left: number;
  top: number;
  width: number;
  height: number;
}

export type RegionResult = { region: Region } | { code: ChipErrorCode; reason: string };

/** The normalised coordinates of a box row, or undefined when a coordinate is not a finite number. */
export function boxCoords(box: Record<string, unknown>): { XMin: number; XMax: number; YMin: number; YMax: number } | undefined {
  const c = { XMin: box.XMin, XMax: box.XMax, YMin: box.YMin, YMax: box.YMax };
  for (const v of Object.values(c)) if (typeof v !== 'number' || !Number.isFinite(v)) return undefined;
  return c as { XMin: number; XMax: number; YMin: number; YMax: number };
}

/**
 * Normalised OID box → pixel region of a `width`×`height` image (the image as displayed, after EXIF orientation).
 * Edges round to the nearest pixel; padding and squaring grow the box before it is clamped to the image;
 * a box that survives clamping is at least 1×1.
 */
export function boxToRegion(box: Record<string, unknown>, width: number, height: number, o: ResolvedChipOptions): RegionResult {
  const c = boxCoords(box);
  if (!c) return { code: 'BAD_BOX', reason: 'box coordinates must be finite numbers (got NaN, null or a non-number)' };
  if (c.XMin > c.XMax || c.YMin > c.YMax) {
    return { code: 'BAD_BOX', reason: `inverted box (XMin ${c.XMin} > XMax ${c.XMax} or YMin ${c.YMin} > YMax ${c.YMax})` };
  }
  if (c.XMin === c.XMax || c.YMin === c.YMax) return { code: 'EMPTY_BOX', reason: 'box has zero width or height' };
  let x0 = c.XMin * width;
  let x1 = c.XMax * width;
  let y0 = c.YMin * height;
  let y1 = c.YMax * height;
  if (o.padding > 0) {
    const px = ((x1 - x0) * o.padding) / 100;
    const py = ((y1 - y0) * o.padding) / 100;
    x0 -= px;
    x1 += px;
    y0 -= py;
    y1 += py;
  }
  if (o.square) {
    const side = Math.max(x1 - x0, y1 - y0);
    const cx = (x0 + x1) / 2;
    const cy = (y0 + y1) / 2;
    x0 = cx - side / 2;
    x1 = cx + side / 2;
    y0 = cy - side / 2;
    y1 = cy + side / 2;
    // slide back inside the image where it fits, so the chip stays square
    if (side <= width) [x0, x1] = slideInside(x0, x1, width);
    if (side <= height) [y0, y1] = slideInside(y0, y1, height);
  }
  if (x1 <= 0 || y1 <= 0 || x0 >= width || y0 >= height) {
    return { code: 'BOX_OUTSIDE_IMAGE', reason: `box lies outside the ${width}×${height} image` };
  }
  let left = clamp(Math.round(x0), 0, width - 1);
  let top = clamp(Math.round(y0), 0, height - 1);
  const right = clamp(Math.round(x1), left + 1, width);
  const bottom = clamp(Math.round(y1), top + 1, height);
  left = Math.min(left, right - 1);
  top = Math.min(top, bottom - 1);
  const region = { left, top, width: right - left, height: bottom - top };
  if (region.width < o.minBoxSize || region.height < o.minBoxSize) {
    return { code: 'BOX_TOO_SMALL', reason: `box is ${region.width}×${region.height} px, below minBoxSize ${o.minBoxSize}` };
  }
  return { region };
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(Math.max(v, lo), hi);
}

function slideInside(a: number, b: number, size: number): [number, number] {
  if (a < 0) return [0, b - a];
  if (b > size) return [a - (b - size), size];
  return [a, b];
}
