import { createHash } from 'node:crypto';
import path from 'node:path';
import sharp from 'sharp';
import { IMAGE_COLUMNS, writeParquet } from '@oidstream/parquet-io';
import type { ColumnSpec } from '@oidstream/parquet-io';

/** boxes.parquet contract columns (select output). */
export const BOX_COLUMNS: ColumnSpec[] = [
  ...['ImageID', 'Source', 'LabelName'].map((name) => ({ name, type: 'STRING' as const })),
  ...['Confidence', 'XMin', 'XMax', 'YMin', 'YMax'].map((name) => ({ name, type: 'DOUBLE' as const })),
  ...['IsOccluded', 'IsTruncated', 'IsGroupOf', 'IsDepiction', 'IsInside'].map((name) => ({ name, type: 'INT32' as const })),
  { name: 'DisplayName', type: 'STRING' },
];

const CATS: Array<[string, string]> = [
  ['/m/07dm6', 'Tiger'], ['/m/096mb', 'Lion'], ['/m/0cd4d', 'Cheetah'],
  ['/m/0c29q', 'Leopard'], ['/m/0449p', 'Jaguar (Animal)'], ['/m/04g2r', 'Lynx'],
];

export interface Fixture {
  boxes: string;
  images: string;
  imageIds: string[];
  boxCount: number;
}

/** Deterministic pseudo-random numbers (same fixture every run). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}

/**
 * A small OID-shaped selection: `images` JPEGs (a few hundred pixels, 1–3 boxes each) in an images.parquet with
 * `rowGroupRows` rows per row group, plus some boxes whose image is absent from images.parquet when `orphans`.
 */
export async function makeShardFixture(dir: string, options: { images?: number; rowGroupRows?: number; orphans?: number; idPrefix?: string; size?: number } = {}): Promise<Fixture> {
  const n = options.images ?? 24;
  const random = rng(42);
  const imageIds = Array.from({ length: n }, (_, i) => createHash('sha1').update(`${options.idPrefix ?? 'img'}${i}`).digest('hex').slice(0, 16)).sort();
  const imageRows = [];
  for (const [i, id] of imageIds.entries()) {
    const scale = options.size ?? 1;
    const width = Math.round((160 + Math.floor(random() * 160)) * scale);
    const height = Math.round((120 + Math.floor(random() * 120)) * scale);
    const image = await sharp({ create: { width, height, channels: 3, background: { r: (i * 37) % 256, g: (i * 91) % 256, b: (i * 53) % 256 } } })
      .composite([{ input: { create: { width: Math.floor(width / 3), height: Math.floor(height / 3), channels: 3, background: { r: 250, g: 200, b: 20 } } }, left: Math.floor(width / 4), top: Math.floor(height / 4) }])
      .jpeg({ quality: 80 })
      .toBuffer();
    imageRows.push({ ImageID: id, Subset: 'train', Rotation: i % 5 === 0 ? 90 : null, image: new Uint8Array(image) });
  }
  const boxRows = [];
  const orphanIds = Array.from({ length: options.orphans ?? 0 }, (_, i) => createHash('sha1').update(`orphan${i}`).digest('hex').slice(0, 16));
  // boxes.parquet is not in image order: the shard plan must not depend on it
  for (const id of [...imageIds].reverse().concat(orphanIds)) {
    const k = 1 + Math.floor(random() * 3);
    for (let b = 0; b < k; b++) {
      const [label, name] = CATS[Math.floor(random() * CATS.length)];
      const x0 = random() * 0.5;
      const y0 = random() * 0.5;
      boxRows.push({
        ImageID: id, Source: 'xclick', LabelName: label, Confidence: 1,
        XMin: x0, XMax: x0 + 0.2 + random() * 0.3, YMin: y0, YMax: y0 + 0.2 + random() * 0.3,
        IsOccluded: 0, IsTruncated: 0, IsGroupOf: 0, IsDepiction: 0, IsInside: -1, DisplayName: name,
      });
    }
  }
  const boxes = path.join(dir, 'boxes.parquet');
  const images = path.join(dir, 'images.parquet');
  await writeParquet(boxes, BOX_COLUMNS, boxRows);
  await writeParquet(images, IMAGE_COLUMNS, imageRows, { rowGroupRows: options.rowGroupRows ?? 4 });
  return { boxes, images, imageIds, boxCount: boxRows.length };
}
