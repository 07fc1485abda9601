import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { haveShared, needs, SHARED_DIR } from '@oidstream/test-needs';
import sharp, { type JpegOptions } from 'sharp';
import { describe, expect, it } from 'vitest';
import { available, type CropRegion, cropJpeg, decodeJpeg, JpegCropError, sampleJpeg, unavailableReason } from './index.js';

const skip = needs(`the jpeg-crop native binding (a C compiler and libjpeg62-turbo-dev): ${unavailableReason}`, available);

/** A photo-like test image: smooth gradients plus noise, so chroma upsampling at every edge matters. */
async function testJpeg(width: number, height: number, jpeg: JpegOptions = {}): Promise<Buffer> {
  const px = Buffer.alloc(width * height * 3);
  let seed = 7;
  for (let i = 0; i < px.length; i++) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    const p = Math.floor(i / 3);
    px[i] = (((p % width) * (1 + (i % 3))) / 3 + Math.floor(p / width) / 2 + (seed >>> 27)) & 255;
  }
  return sharp(px, { raw: { width, height, channels: 3 } }).jpeg({ quality: 92, ...jpeg }).toBuffer();
}

/** What chip-extract did before this package: sharp's crop, as the reference. */
async function sharpCrop(bytes: Uint8Array, r: CropRegion, rotate = 0): Promise<{ jpeg: Buffer; pixels: Buffer }> {
  const p = sharp(bytes, { failOn: 'warning' }).extract(r).rotate(rotate).toColourspace('srgb');
  return { jpeg: await p.clone().jpeg({ quality: 90, optimiseCoding: true }).toBuffer(), pixels: await p.clone().raw().toBuffer() };
}

async function expectLikeSharp(bytes: Uint8Array, regions: CropRegion[]): Promise<void> {
  const crops = await cropJpeg(bytes, regions, { pixels: true, optimizeCoding: true });
  for (const [i, r] of regions.entries()) {
    const ref = await sharpCrop(bytes, r);
    expect({ ...r, same: crops[i].pixels?.equals(ref.pixels) }).toEqual({ ...r, same: true });
    expect({ ...r, same: crops[i].jpeg.equals(ref.jpeg) }).toEqual({ ...r, same: true });
    expect([crops[i].width, crops[i].height]).toEqual([r.width, r.height]);
  }
}

describe.skipIf(skip)('cropJpeg', () => {
  it('gives sharp’s pixels and bytes for regions at every edge, alone and together (4:2:0, odd size)', async () => {
    const bytes = await testJpeg(613, 411);
    const regions = [
      { left: 0, top: 0, width: 613, height: 411 },
      { left: 0, top: 0, width: 1, height: 1 },
      { left: 612, top: 410, width: 1, height: 1 },
      { left: 17, top: 33, width: 200, height: 100 },
      { left: 16, top: 16, width: 16, height: 16 },
      { left: 301, top: 203, width: 312, height: 208 },
      { left: 255, top: 0, width: 9, height: 411 },
    ];
    for (const r of regions) await expectLikeSharp(bytes, [r]);
    await expectLikeSharp(bytes, regions);
  });

  it('turns each crop clockwise as sharp’s extract().rotate() does: same pixels and bytes, sizes swapped at 90 and 270', async () => {
    const bytes = await testJpeg(613, 411);
    const regions = [
      { left: 17, top: 33, width: 200, height: 101 },
      { left: 612, top: 0, width: 1, height: 411 },
    ];
    for (const rotate of [90, 180, 270] as const) {
      const crops = await cropJpeg(bytes, regions, { pixels: true, optimizeCoding: true, rotate });
      for (const [i, r] of regions.entries()) {
        const ref = await sharpCrop(bytes, r, rotate);
        expect({ rotate, ...r, pixels: crops[i].pixels?.equals(ref.pixels), jpeg: crops[i].jpeg.equals(ref.jpeg) }).toEqual({ rotate, ...r, pixels: true, jpeg: true });
        expect([crops[i].width, crops[i].height]).toEqual(rotate === 180 ? [r.width, r.height] : [r.height, r.width]);
      }
      const [encoded] = await cropJpeg(bytes, regions.slice(0, 1), { pixels: 'encoded', rotate });
      expect(encoded.pixels?.equals(await sharp(encoded.jpeg).raw().toBuffer())).toBe(true);
    }
    await expect(cropJpeg(bytes, regions, { rotate: 45 as 90 })).rejects.toMatchObject({ code: 'BAD_OPTIONS' });
  });

  it('handles progressive, 4:4:4 and greyscale JPEGs', async () => {
    const r = [{ left: 37, top: 45, width: 150, height: 120 }];
    await expectLikeSharp(await testJpeg(320, 240, { progressive: true }), r);
    await expectLikeSharp(await testJpeg(320, 240, { chromaSubsampling: '4:4:4' }), r);
    const grey = await sharp(await testJpeg(320, 240)).greyscale().jpeg().toBuffer();
    await expectLikeSharp(grey, r);
  });

  it.skipIf(needs('../shared/oid-real/images', haveShared('oid-real/images')))('gives sharp’s bytes on the real OID photos', async () => {
    const dir = path.join(SHARED_DIR, 'oid-real/images');
    let cropped = 0;
    for (const name of readdirSync(dir).filter((n) => n.endsWith('.jpg'))) {
      const bytes = readFileSync(path.join(dir, name));
      const { width = 0, height = 0 } = await sharp(bytes).metadata();
      const r = { left: Math.floor(width * 0.2), top: Math.floor(height * 0.3), width: Math.floor(width * 0.5), height: Math.floor(height * 0.4) };
      try {
        await expectLikeSharp(bytes, [r]);
        cropped++;
      } catch (err) {
        // ICC-tagged photos need colour management: sharp's job
        expect((err as JpegCropError).code).toBe('UNSUPPORTED');
      }
    }
    expect(cropped).toBeGreaterThan(30);
  });

  it("pixels: 'encoded' gives the chip file's own pixels, as sharp decodes it", async () => {
    const bytes = await testJpeg(320, 240);
    const [c] = await cropJpeg(bytes, [{ left: 33, top: 17, width: 151, height: 97 }], { pixels: 'encoded' });
    expect(c.pixels?.equals(await sharp(c.jpeg).raw().toBuffer())).toBe(true);
  });

  it('sizes: samples of the pixels at each [height, width], instead of the whole pixels', async () => {
    const bytes = await testJpeg(320, 240);
    const r = { left: 33, top: 17, width: 150, height: 98 };
    const [whole] = await cropJpeg(bytes, [r], { pixels: 'encoded' });
    const [c] = await cropJpeg(bytes, [r], { pixels: 'encoded', sizes: [[98, 150], [49, 75], [10, 20]] });
    expect([c.pixels, c.samples?.map((s) => s.length), c.jpeg.equals(whole.jpeg)]).toEqual([undefined, [98 * 150 * 3, 49 * 75 * 3, 10 * 20 * 3], true]);
    expect(c.samples?.[0].equals(whole.pixels!)).toBe(true); // the same size is the pixels themselves
    // halving picks every second pixel from the second one (Pillow's centres: 1, 3, 5, …)
    const px = (img: Buffer, w: number, x: number, y: number) => [...img.subarray((y * w + x) * 3, (y * w + x) * 3 + 3)];
    expect(px(c.samples![1], 75, 10, 20)).toEqual(px(whole.pixels!, 150, 21, 41));
    for (const sizes of [[[0, 5]], [[5]], [[1.5, 2]], []] as [number, number][][]) {
      await expect(cropJpeg(bytes, [r], { pixels: true, sizes })).rejects.toMatchObject({ code: 'BAD_OPTIONS' });
    }
    await expect(cropJpeg(bytes, [r], { sizes: [[5, 5]] })).rejects.toMatchObject({ code: 'BAD_OPTIONS' }); // without pixels
  });

  it('files: each crop’s JPEG written whole where asked, no temp file left; a failed write is WRITE_FAILED', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'jpeg-crop-files-'));
    try {
      const bytes = await testJpeg(320, 240);
      const regions = [{ left: 0, top: 0, width: 50, height: 40 }, { left: 100, top: 60, width: 31, height: 17 }, { left: 5, top: 5, width: 20, height: 20 }];
      const crops = await cropJpeg(bytes, regions, { files: [path.join(dir, 'a.jpg'), undefined, path.join(dir, 'c.jpg')] });
      expect(readdirSync(dir).sort()).toEqual(['a.jpg', 'c.jpg']);
      expect([crops[0].jpeg.equals(readFileSync(path.join(dir, 'a.jpg'))), crops[2].jpeg.equals(readFileSync(path.join(dir, 'c.jpg')))]).toEqual([true, true]);
      // a folder that does not exist: the call fails with the path and the reason, and leaves nothing behind
      const missing = path.join(dir, 'no-such-folder', 'x.jpg');
      await expect(cropJpeg(bytes, regions.slice(0, 1), { files: [missing] })).rejects.toMatchObject({ code: 'WRITE_FAILED', message: `cannot write ${missing}: No such file or directory` });
      expect(readdirSync(dir).sort()).toEqual(['a.jpg', 'c.jpg']);
      for (const files of [[], ['a', 'b'], [''], [7]] as never[]) {
        await expect(cropJpeg(bytes, regions.slice(0, 1), { files })).rejects.toMatchObject({ code: 'BAD_OPTIONS' });
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('sampleJpeg gives the samples of decodeJpeg’s pixels, with its refusals', async () => {
    const bytes = await testJpeg(123, 77);
    const whole = await decodeJpeg(bytes);
    const [same, half] = await sampleJpeg(bytes, [[77, 123], [38, 61]]);
    expect(same.equals(whole.data)).toBe(true);
    // Pillow's centres of a 123 → 61 resize: column 2·x + 1 (scale 2.016…), row 2·y + 1
    expect([...half.subarray((5 * 61 + 7) * 3, (5 * 61 + 7) * 3 + 3)]).toEqual([...whole.data.subarray((11 * 123 + 15) * 3, (11 * 123 + 15) * 3 + 3)]);
    const turned = await sharp(bytes).withMetadata({ orientation: 6 }).jpeg().toBuffer();
    await expect(sampleJpeg(turned, [[5, 5]], { ignoreIcc: true })).rejects.toMatchObject({ code: 'UNSUPPORTED' });
    await expect(sampleJpeg(bytes, [])).rejects.toMatchObject({ code: 'BAD_OPTIONS' });
  });

  it('decodeJpeg gives sharp’s pixels; refuses EXIF-turned and ICC-tagged (unless ignored) files', async () => {
    const bytes = await testJpeg(123, 77, { progressive: true });
    const img = await decodeJpeg(bytes);
    expect([img.width, img.height, img.data.equals(await sharp(bytes).raw().toBuffer())]).toEqual([123, 77, true]);
    const code = (p: Promise<unknown>) => p.then(() => 'resolved', (e: JpegCropError) => e.code);
    // withMetadata also tags sRGB: ignoreIcc, so that only the orientation decides
    const turned = await sharp(bytes).withMetadata({ orientation: 6 }).jpeg().toBuffer();
    expect(await code(decodeJpeg(turned, { ignoreIcc: true }))).toBe('UNSUPPORTED');
    const upright = await sharp(bytes).withMetadata({ orientation: 1 }).jpeg().toBuffer();
    expect(await code(decodeJpeg(upright, { ignoreIcc: true }))).toBe('resolved');
    const icc = await sharp(bytes).withIccProfile('p3').jpeg().toBuffer();
    expect(await code(decodeJpeg(icc))).toBe('UNSUPPORTED');
    const ignored = await decodeJpeg(icc, { ignoreIcc: true });
    expect(ignored.data.equals(await sharp(icc, { ignoreIcc: true }).raw().toBuffer())).toBe(true);
  });

  it('rejects bad input with stable codes', async () => {
    const bytes = await testJpeg(64, 48);
    const code = (p: Promise<unknown>) => p.then(() => 'resolved', (e: JpegCropError) => e.code);
    const one = [{ left: 0, top: 0, width: 8, height: 8 }];
    expect(await code(cropJpeg(bytes.subarray(0, bytes.length / 2), [{ left: 0, top: 0, width: 64, height: 48 }]))).toBe('BAD_JPEG');
    // cut short below the region: its rows decode, yet the file is reported, as a full decode would
    expect(await code(cropJpeg(bytes.subarray(0, bytes.length - 40), one))).toBe('BAD_JPEG');
    expect(await code(cropJpeg(Buffer.from('not a jpeg at all'), one))).toBe('BAD_JPEG');
    expect(await code(cropJpeg(bytes, [{ left: 60, top: 0, width: 8, height: 8 }]))).toBe('BAD_REGION');
    expect(await code(cropJpeg(bytes, [{ left: 0.5, top: 0, width: 8, height: 8 }]))).toBe('BAD_REGION');
    expect(await code(cropJpeg(bytes, [{ left: 2 ** 31 - 2, top: 0, width: 8, height: 8 }]))).toBe('BAD_REGION');
    expect(await code(cropJpeg(bytes, [{ left: 2 ** 32, top: 0, width: 8, height: 8 }]))).toBe('BAD_REGION');
    expect(await code(cropJpeg(bytes, [{ left: 0, top: 0, width: 2 ** 32 + 8, height: 8 }]))).toBe('BAD_REGION');
    expect(await code(cropJpeg(bytes, one, { maxPixels: Number.NaN }))).toBe('BAD_OPTIONS');
    expect(await code(cropJpeg(bytes, one, { maxPixels: 1000 }))).toBe('TOO_MANY_PIXELS');
    expect(await code(cropJpeg(bytes, one, { quality: 0 }))).toBe('BAD_OPTIONS');
    const cmyk = await sharp(bytes).toColourspace('cmyk').jpeg().toBuffer();
    expect(await code(cropJpeg(cmyk, one))).toBe('UNSUPPORTED');
    const icc = await sharp(bytes).withIccProfile('p3').jpeg().toBuffer();
    expect(await code(cropJpeg(icc, one))).toBe('UNSUPPORTED');
    expect(await cropJpeg(bytes, [])).toEqual([]);
  });
});
