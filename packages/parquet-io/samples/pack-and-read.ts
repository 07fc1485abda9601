/**
 * Write a Parquet file from rows, read it back, pack a folder of OID images into images.parquet and read two images
 * back by ImageID, fetching only the pages that hold them. Run it:
 * `npx tsx packages/parquet-io/samples/pack-and-read.ts [data dir] [out dir]`
 * (default: the committed test-data/oid, made by tools/gen-oid; a new temp folder).
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { packImages, readParquetRows, readParquetRowsByKey, writeParquet } from '@oidstream/parquet-io';

export async function main(
  data = path.resolve(import.meta.dirname, '../../../test-data/oid'),
  out = mkdtempSync(path.join(os.tmpdir(), 'parquet-io-sample-')),
) {
  // Rows can be any Iterable or AsyncIterable; the file appears only when complete (temp name + rename).
  const written = await writeParquet(path.join(out, 'boxes.parquet'), [
    { name: 'ImageID', type: 'STRING', nullable: false },
    { name: 'XMin', type: 'DOUBLE' },
  ], [{ ImageID: '067e85ee2f3d98c4', XMin: 0.020541 }, { ImageID: '09e7a4d829f2e47c', XMin: 0.5 }]);
  const boxes = [];
  for await (const row of readParquetRows(path.join(out, 'boxes.parquet'))) boxes.push(row);

  const packed = await packImages({
    imagesDir: path.join(data, 'images'),
    rotationCsv: path.join(data, 'annotations', 'test-images-with-rotation.csv'), // fills Subset and Rotation
    out: path.join(out, 'images.parquet'),
  });
  const wanted = new Set(boxes.map((b) => b.ImageID as string));
  const read = readParquetRowsByKey(path.join(out, 'images.parquet'), 'ImageID', wanted);
  const images: string[] = [];
  for await (const { ImageID, Subset, image } of read) images.push(`${ImageID} ${Subset} ${(image as Uint8Array).length} bytes`);

  const result = { written, boxes, packed: packed.packed, withRotationInfo: packed.withRotationInfo, images, stats: read.stats };
  console.log(result);
  return result;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main(process.argv[2], process.argv[3]);
