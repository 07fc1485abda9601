import { existsSync, mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { packImages, writeParquet, type ColumnSpec } from '@oidstream/parquet-io';
import sharp from 'sharp';

/**
 * Bench data: N images that are the 35 real photos of ../shared/oid-real cycled under fresh ImageIDs (symlinks),
 * with their real boxes (one central box for photos without any), as a folder, boxes.parquet, boxes.json and
 * images.parquet. With `resize`, the photos are first scaled to that longest side (the real ones average 0.26 MP,
 * smaller than OID's usual 1024 px downloads).
 */
export interface BenchData {
  dir: string;
  imagesDir: string;
  imagesParquet: string;
  boxesParquet: string;
  boxesJson: string;
  images: number;
  boxes: number;
  packSeconds: number;
}

const BOX_COLUMNS: ColumnSpec[] = [
  { name: 'ImageID', type: 'STRING' },
  { name: 'LabelName', type: 'STRING' },
  ...['XMin', 'XMax', 'YMin', 'YMax'].map((name) => ({ name, type: 'DOUBLE' as const })),
  { name: 'DisplayName', type: 'STRING' },
];

export async function prepare(shared: string, root: string, n: number, resize = 0): Promise<BenchData> {
  const real = path.join(shared, 'oid-real');
  const dir = path.join(root, resize ? `n${n}-${resize}px` : `n${n}`);
  const imagesDir = path.join(dir, 'images');
  const photos = readdirSync(path.join(real, 'images')).filter((f) => f.endsWith('.jpg')).sort();
  // optionally scale the photos to OID's usual download size (longest side `resize` px; small ones are enlarged)
  let photoDir = path.join(real, 'images');
  if (resize) {
    photoDir = path.join(root, `photos-${resize}px`);
    mkdirSync(photoDir, { recursive: true });
    for (const p of photos) {
      const to = path.join(photoDir, p);
      if (!existsSync(to)) {
        await sharp(path.join(real, 'images', p)).resize({ width: resize, height: resize, fit: 'inside' }).jpeg({ quality: 90 }).toFile(to);
      }
    }
  }
  const [header, ...lines] = readFileSync(path.join(real, 'annotations/derived-annotations-bbox.csv'), 'utf8').trim().split(/\r?\n/);
  const cols = header.split(',');
  const realBoxes = new Map<string, Array<Record<string, number | string>>>();
  for (const l of lines) {
    const v = l.split(',');
    const r = Object.fromEntries(cols.map((c, i) => [c, ['XMin', 'XMax', 'YMin', 'YMax'].includes(c) ? Number(v[i]) : v[i]]));
    const list = realBoxes.get(r.ImageID as string) ?? [];
    list.push(r);
    realBoxes.set(r.ImageID as string, list);
  }
  const boxes: Array<Record<string, unknown>> = [];
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const photo = photos[i % photos.length];
    const id = (0xb000000000000000n + BigInt(i)).toString(16);
    ids.push(id);
    const src = realBoxes.get(photo.slice(0, 16)) ?? [{ LabelName: '/m/07dm6', XMin: 0.2, XMax: 0.8, YMin: 0.2, YMax: 0.8 }];
    for (const b of src) {
      boxes.push({ ImageID: id, LabelName: b.LabelName, XMin: b.XMin, XMax: b.XMax, YMin: b.YMin, YMax: b.YMax, DisplayName: 'Cat', photo });
    }
  }
  const data: BenchData = {
    dir,
    imagesDir,
    imagesParquet: path.join(dir, 'images.parquet'),
    boxesParquet: path.join(dir, 'boxes.parquet'),
    boxesJson: path.join(dir, 'boxes.json'),
    images: n,
    boxes: boxes.length,
    packSeconds: 0,
  };
  if (!existsSync(data.imagesParquet)) {
    mkdirSync(imagesDir, { recursive: true });
    ids.forEach((id, i) => {
      const link = path.join(imagesDir, `${id}.jpg`);
      if (!existsSync(link)) symlinkSync(path.join(photoDir, photos[i % photos.length]), link);
    });
    await writeParquet(data.boxesParquet, BOX_COLUMNS, boxes);
    writeFileSync(data.boxesJson, JSON.stringify(boxes.map(({ ImageID, XMin, XMax, YMin, YMax }) => ({ ImageID, XMin, XMax, YMin, YMax }))));
    const t0 = performance.now();
    const r = await packImages({ imagesDir, out: data.imagesParquet });
    data.packSeconds = (performance.now() - t0) / 1000;
    if (r.packed !== n) throw new Error(`packed ${r.packed} of ${n}`);
  }
  return data;
}
