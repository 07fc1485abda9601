/**
 * The two-pass OID select: image labels → ImageIDs with a verified Tiger or Lion, then the boxes of those images,
 * named by a hash join and grouped per image. Run it:
 * `npx tsx packages/oid-join/samples/select-boxes.ts [data dir]`
 * (default: the committed test-data/oid, made by tools/gen-oid).
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { emptyScanStats, groupByImage, hashJoin, scanCsvFiles } from '@oidstream/oid-join';

export async function main(data = path.resolve(import.meta.dirname, '../../../test-data/oid')) {
  const splits = (suffix: string) => ['test', 'train', 'validation'].map((s) => path.join(data, 'annotations', `${s}-${suffix}`));
  const classes = [{ LabelName: '/m/07dm6', DisplayName: 'Tiger' }, { LabelName: '/m/096mb', DisplayName: 'Lion' }];
  const labelNames = classes.map((c) => c.LabelName);
  const onBadRow = (bad: { file: string; line: number; message: string }) => console.warn(`${bad.file}:${bad.line}: ${bad.message}`);

  // Pass 1: lines whose LabelName or Confidence cannot match are dropped before they are parsed.
  const imageIds = new Set<string>();
  const labelRows = scanCsvFiles(splits('annotations-human-imagelabels-boxable.csv'), { where: { LabelName: labelNames, Confidence: ['1'] }, onBadRow });
  for await (const { file, fields, header } of labelRows) imageIds.add(fields[header.require('ImageID', file)]);

  // Pass 2: the boxes of those images and classes; columns by each file's header (train has extra XClick* columns).
  const stats = emptyScanStats();
  async function* boxes() {
    for await (const { fields, header } of scanCsvFiles(splits('annotations-bbox.csv'), { where: { ImageID: imageIds, LabelName: labelNames }, onBadRow, stats })) {
      yield header.toObject(fields) as { ImageID: string; LabelName: string };
    }
  }
  const named = hashJoin(boxes(), classes, { probeKey: 'LabelName', buildKey: 'LabelName' });
  const perImage: string[] = [];
  for await (const { key, rows } of groupByImage(named)) perImage.push(`${key}: ${rows.map((r) => r.DisplayName).join(', ')}`);

  const result = { images: imageIds.size, perImage, linesRead: stats.lines, linesParsed: stats.parsedLines, boxes: stats.rows };
  console.log(result);
  return result;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main(process.argv[2]);
