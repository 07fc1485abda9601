import { createHash } from 'node:crypto';
import sharp from 'sharp';

/** A 16-hex-digit id (the shape of an OID ImageID) derived from a seed. */
export function fakeImageId(seed: string): string {
  return createHash('sha256').update(seed).digest('hex').slice(0, 16);
}

/**
 * `count` distinct JPEGs (a different colour each; `noise` makes them realistically incompressible and bigger).
 * Returns ImageID → bytes.
 */
export async function makeJpegs(
  count: number,
  options: { width?: number; height?: number; noise?: boolean; seed?: string } = {},
): Promise<Map<string, Uint8Array>> {
  const { width = 48, height = 32, noise = false, seed = 'img' } = options;
  const out = new Map<string, Uint8Array>();
  const jobs: Promise<void>[] = [];
  for (let i = 0; i < count; i++) {
    const id = fakeImageId(`${seed}-${i}`);
    const background = { r: (i * 37) % 256, g: (i * 91) % 256, b: (i * 151) % 256 };
    const create = noise
      ? { width, height, channels: 3 as const, background, noise: { type: 'gaussian' as const, mean: 128, sigma: 40 } }
      : { width, height, channels: 3 as const, background };
    jobs.push(
      sharp({ create })
        .jpeg({ quality: 85 })
        .toBuffer()
        .then((buf) => void out.set(id, new Uint8Array(buf))),
    );
  }
  await Promise.all(jobs);
  return out;
}
