import sharp from 'sharp';

/** Test pictures made in the test run (no binaries committed). */

export type RGB = [number, number, number];
export const RED: RGB = [230, 20, 20];
export const GREEN: RGB = [20, 200, 20];
export const BLUE: RGB = [20, 20, 230];
export const YELLOW: RGB = [240, 230, 20];

/** The "displayed" picture: quadrants TL red, TR green, BL blue, BR yellow. */
export function quadrantColour(x: number, y: number, w: number, h: number): RGB {
  const right = x >= w / 2;
  const bottom = y >= h / 2;
  return bottom ? (right ? YELLOW : BLUE) : right ? GREEN : RED;
}

/** Raw RGB pixels of a w×h image whose pixel (x, y) has colour f(x, y). */
export function rawImage(w: number, h: number, f: (x: number, y: number) => RGB): Buffer {
  const buf = Buffer.alloc(w * h * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) buf.set(f(x, y), (y * w + x) * 3);
  }
  return buf;
}

/**
 * Stored pixels for EXIF orientation `o` such that a viewer applying the tag shows the quadrant picture of
 * size dw×dh. Mapping stored (x, y) → displayed, per the EXIF spec (independent of sharp).
 */
export function storedForOrientation(o: number, dw: number, dh: number): { data: Buffer; width: number; height: number } {
  const swap = o >= 5;
  const sw = swap ? dh : dw;
  const sh = swap ? dw : dh;
  const toDisplayed = (x: number, y: number): [number, number] => {
    switch (o) {
      case 1: return [x, y];
      case 2: return [sw - 1 - x, y];
      case 3: return [sw - 1 - x, sh - 1 - y];
      case 4: return [x, sh - 1 - y];
      case 5: return [y, x];
      case 6: return [sh - 1 - y, x];
      case 7: return [sh - 1 - y, sw - 1 - x];
      case 8: return [y, sw - 1 - x];
      default: throw new Error(`orientation ${o}`);
    }
  };
  const data = rawImage(sw, sh, (x, y) => {
    const [dx, dy] = toDisplayed(x, y);
    return quadrantColour(dx, dy, dw, dh);
  });
  return { data, width: sw, height: sh };
}

export async function jpegWithOrientation(o: number, dw: number, dh: number): Promise<Buffer> {
  const s = storedForOrientation(o, dw, dh);
  return sharp(s.data, { raw: { width: s.width, height: s.height, channels: 3 } })
    .jpeg({ quality: 95 })
    .withMetadata({ orientation: o })
    .toBuffer();
}

export async function quadrantJpeg(w: number, h: number, quality = 95): Promise<Buffer> {
  return sharp(rawImage(w, h, (x, y) => quadrantColour(x, y, w, h)), { raw: { width: w, height: h, channels: 3 } })
    .jpeg({ quality })
    .toBuffer();
}

/** Mean colour of a decoded (any format) image. */
export async function meanColour(bytes: Uint8Array): Promise<RGB> {
  const { data, info } = await sharp(bytes).toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  const sum = [0, 0, 0];
  const px = info.width * info.height;
  for (let i = 0; i < px; i++) for (let c = 0; c < 3; c++) sum[c] += data[i * info.channels + Math.min(c, info.channels - 1)];
  return sum.map((v) => Math.round(v / px)) as RGB;
}

export function near(a: RGB, b: RGB, tol = 40): boolean {
  return a.every((v, i) => Math.abs(v - b[i]) <= tol);
}
