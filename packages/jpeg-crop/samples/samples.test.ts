import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { needs } from '@oidstream/test-needs';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { available, unavailableReason } from '../src/index.js';
import { main as cropRegions } from './crop-regions.js';

const images = path.resolve(import.meta.dirname, '../../../test-data/oid/images');

describe('samples', () => {
  it.skipIf(needs(`the jpeg-crop native binding (a C compiler and libjpeg62-turbo-dev): ${unavailableReason}`, available))(
    'crop-regions.ts writes the five crops of the first test-data image, as sharp cuts them, and reports BAD_REGION',
    async () => {
      const r = await cropRegions();
      if (!('written' in r)) throw new Error('the sample found no binding');
      try {
        const bytes = readFileSync(path.join(images, r.image));
        const { width = 0, height = 0 } = await sharp(bytes).metadata();
        expect([r.size, r.rgbBytes]).toEqual([`${width}x${height}`, width * height * 3]);
        expect(r.written).toHaveLength(5);
        // the first four are the quadrants: they tile the image
        const quadrants = r.written.slice(0, 4).map((c) => c.region);
        expect(quadrants.map((q) => [q.left, q.top])).toEqual([[0, 0], [quadrants[1].left, 0], [0, quadrants[2].top], [quadrants[1].left, quadrants[2].top]]);
        expect(quadrants.reduce((a, q) => a + q.width * q.height, 0)).toBe(width * height);
        // every crop is sharp's crop of its region, byte for byte
        for (const [i, { file, region }] of r.written.entries()) {
          const ref = await sharp(bytes).extract(region).jpeg({ quality: 90, optimiseCoding: false }).toBuffer(); // sharp optimises by default
          expect(readFileSync(file).equals(ref), `crop ${i}`).toBe(true);
        }
        expect(r.outside).toBe('BAD_REGION');
        expect(r.libjpegTurboVersion).toBeGreaterThan(2_000_000);
      } finally {
        rmSync(path.dirname(r.written[0].file), { recursive: true, force: true });
      }
    },
  );
});
