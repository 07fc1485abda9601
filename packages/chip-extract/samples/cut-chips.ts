/**
 * Cut a JPEG chip for every box of the OID test split: images packed into images.parquet, boxes from the box CSV,
 * chips written as files, bad boxes reported as records. Run it:
 * `npx tsx packages/chip-extract/samples/cut-chips.ts [data dir] [out dir]`
 * (default: the committed test-data/oid, made by tools/gen-oid; a new temp folder).
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { errorToJson, extractChips, parquetImageSource, type BoxRow } from '@oidstream/chip-extract';
import { packImages } from '@oidstream/parquet-io';

const BIG_CATS: Record<string, string> = { '/m/07dm6': 'Tiger', '/m/096mb': 'Lion', '/m/0c29q': 'Leopard', '/m/0449p': 'Jaguar (Animal)' };

export async function main(
  data = path.resolve(import.meta.dirname, '../../../test-data/oid'),
  out = mkdtempSync(path.join(os.tmpdir(), 'chip-extract-sample-')),
) {
  await packImages({ imagesDir: path.join(data, 'images'), out: path.join(out, 'images.parquet') });
  const images = parquetImageSource(path.join(out, 'images.parquet')); // reads the ImageID column, then only the wanted rows

  // OID box CSVs have no quoted fields, so a comma split is enough here; coordinates must be numbers.
  const [header, ...lines] = readFileSync(path.join(data, 'annotations', 'test-annotations-bbox.csv'), 'utf8').trim().split('\n');
  const names = header.split(',');
  const boxes: BoxRow[] = lines.map((line) => {
    const box: BoxRow = Object.fromEntries(line.split(',').map((v, i) => [names[i], v]));
    for (const c of ['XMin', 'XMax', 'YMin', 'YMax']) box[c] = Number(box[c]);
    return { ...box, DisplayName: BIG_CATS[box.LabelName as string] }; // no DisplayName: the folder is the LabelName
  });
  boxes.push({ ...boxes[0], XMin: 0.9, XMax: 0.1 }); // an inverted box: an error record, not a thrown error

  const chips: { chip_path: string; size: string }[] = [];
  const errors: Record<string, unknown>[] = [];
  for await (const r of extractChips(boxes, images, { quality: 90, padding: 10, writeTo: out })) {
    if (r.kind === 'chip') {
      // its file is written already, atomically, at out/<chip_path>
      chips.push({ chip_path: r.chip_path, size: `${r.chip_width}x${r.chip_height}` }); // chips/<class>/<ImageID>_<n>.jpg
    } else errors.push(errorToJson(r));
  }

  const result = { out, boxes: boxes.length, chips, errors };
  console.log(result);
  return result;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main(process.argv[2], process.argv[3]);
