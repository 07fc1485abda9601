/**
 * The OID selection in a few lines: the boxes of two classes, at most 5 images per class (seeded sample), written to
 * boxes.parquet with the schema that comes with the selection. Run it:
 * `npx tsx --conditions=@oidstream/source packages/oid-join/samples/select-to-parquet.ts [data dir] [out.parquet]`
 * (default: the committed test-data/oid, made by tools/gen-oid).
 */
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { BOX_COLUMNS, selectBoxes } from '@oidstream/oid-join';
import { writeParquet } from '@oidstream/parquet-io';

export async function main(data = path.resolve(import.meta.dirname, '../../../test-data/oid'), out = path.join(os.tmpdir(), 'oid-join-sample-boxes.parquet')) {
  const selection = selectBoxes({ data, classes: ['Tiger', 'Lion'], maxPerClass: 5, seed: 1, excludeGroupOf: true });
  await writeParquet(out, BOX_COLUMNS, selection);
  const s = selection.summary!;
  for (const c of s.classes) console.log(`${c.DisplayName}: ${c.selectedImages} images (${c.positiveLabels} positive labels), ${c.boxes} boxes${c.limited ? ', limited' : ''}`);
  console.log(`${s.totals.boxes} boxes → ${out}`);
  return { out, summary: s };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main(process.argv[2], process.argv[3]);
