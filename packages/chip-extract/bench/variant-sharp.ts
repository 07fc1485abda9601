// Bare sharp loop on the same images and boxes: read file → decode → extract → encode JPEG, per box, N in flight.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';

const [imagesDir, boxesJson, inFlightArg] = process.argv.slice(2);
const inFlight = Number(inFlightArg ?? 4);
const boxes = JSON.parse(await readFile(boxesJson, 'utf8')) as Array<{ ImageID: string; XMin: number; XMax: number; YMin: number; YMax: number }>;
const t0 = performance.now();
let next = 0;
let chips = 0;
async function worker() {
  while (next < boxes.length) {
    const b = boxes[next++];
    const bytes = await readFile(path.join(imagesDir, `${b.ImageID}.jpg`));
    const img = sharp(bytes, { autoOrient: true });
    const { width = 0, height = 0 } = await img.metadata();
    const left = Math.round(b.XMin * width);
    const top = Math.round(b.YMin * height);
    const w = Math.max(1, Math.min(width, Math.round(b.XMax * width)) - left);
    const h = Math.max(1, Math.min(height, Math.round(b.YMax * height)) - top);
    // same JPEG settings as chip-extract's defaults (quality 90, no Huffman optimisation)
    await img.extract({ left, top, width: w, height: h }).jpeg({ quality: 90, optimiseCoding: false }).toBuffer();
    chips++;
  }
}
await Promise.all(Array.from({ length: inFlight }, worker));
const seconds = (performance.now() - t0) / 1000;
process.stdout.write(JSON.stringify({ chips, seconds }) + '\n');
