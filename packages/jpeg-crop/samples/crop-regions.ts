/**
 * Cut regions out of a JPEG with one partial libjpeg-turbo decode, write each crop as a JPEG, and decode a JPEG to
 * RGB pixels. Run it: `npx tsx packages/jpeg-crop/samples/crop-regions.ts [data dir] [out dir]`
 * (default: the first image of the committed test-data/oid, made by tools/gen-oid; a new temp folder).
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { available, cropJpeg, decodeJpeg, JpegCropError, libjpegTurboVersion, unavailableReason } from '@oidstream/jpeg-crop';

export async function main(
  data = path.resolve(import.meta.dirname, '../../../test-data/oid'),
  out = mkdtempSync(path.join(os.tmpdir(), 'jpeg-crop-sample-')),
) {
  if (!available) {
    // no C compiler or libjpeg-turbo headers at install time (or the install script was not allowed to run)
    const result = { available, unavailableReason };
    console.log(result);
    return result;
  }
  const dir = path.join(data, 'images');
  const file = path.join(dir, readdirSync(dir).filter((f) => f.endsWith('.jpg')).sort()[0]);
  const bytes = readFileSync(file);

  // the whole image as RGB (3 bytes per pixel), as sharp or Pillow decode it
  const { width, height, data: rgb } = await decodeJpeg(bytes);

  // the four quadrants and the centre: the image is decoded once, only where the regions are
  const w = Math.floor(width / 2);
  const h = Math.floor(height / 2);
  const regions = [
    { left: 0, top: 0, width: w, height: h },
    { left: w, top: 0, width: width - w, height: h },
    { left: 0, top: h, width: w, height: height - h },
    { left: w, top: h, width: width - w, height: height - h },
    { left: Math.floor(w / 2), top: Math.floor(h / 2), width: w, height: h },
  ];
  const crops = await cropJpeg(bytes, regions, { quality: 90 });
  mkdirSync(out, { recursive: true });
  const written = crops.map((c, i) => {
    const name = path.join(out, `crop-${i}.jpg`);
    writeFileSync(name, c.jpeg);
    return { file: name, region: regions[i], size: `${c.width}x${c.height}`, bytes: c.jpeg.length };
  });

  // bad input rejects with a JpegCropError and a stable code
  let outside = '';
  try {
    await cropJpeg(bytes, [{ left: width - 1, top: 0, width: 2, height: 1 }]);
  } catch (err) {
    if (!(err instanceof JpegCropError)) throw err;
    outside = err.code; // BAD_REGION
  }

  const result = { available, libjpegTurboVersion, image: path.basename(file), size: `${width}x${height}`, rgbBytes: rgb.length, written, outside };
  console.log(result);
  return result;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main(process.argv[2], process.argv[3]);
