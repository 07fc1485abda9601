/**
 * Use the packages in your own code: the pipeline composed by hand from the streams each package exports, without
 * `oidstream run`. Run it: `npx tsx packages/pipeline/samples/compose.ts <data dir> <out dir> [model]`
 * (or import `composeByHand`). Every step is an async iterable that pulls from the one before: memory stays flat.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { boxColumns, loadMetadata, selectClasses, toBoxRecord, type ColumnIndex, type BoxColumn } from '@oidstream/oid-labels';
import { scanCsvFiles } from '@oidstream/oid-join';
import { packImages, readParquetRows, writeParquet, type ColumnSpec } from '@oidstream/parquet-io';
import { extractChips, parquetImageSource, type BoxRow } from '@oidstream/chip-extract';
import { classifyRecords, closeClassifier, openClassifier } from '@oidstream/keras-models';

const BOX_SPEC: ColumnSpec[] = [
  ...['ImageID', 'Source', 'LabelName'].map((name) => ({ name, type: 'STRING' as const })),
  ...['Confidence', 'XMin', 'XMax', 'YMin', 'YMax'].map((name) => ({ name, type: 'DOUBLE' as const })),
  ...['IsOccluded', 'IsTruncated', 'IsGroupOf', 'IsDepiction', 'IsInside'].map((name) => ({ name, type: 'INT32' as const })),
  { name: 'DisplayName', type: 'STRING' },
];

export interface ComposeResult {
  classes: number;
  images: number;
  chips: number;
  errors: number;
  predictions?: string;
  chipsFile: string;
}

export async function composeByHand(data: string, out: string, model?: string): Promise<ComposeResult> {
  const annotations = path.join(data, 'annotations');
  mkdirSync(out, { recursive: true });
  const files = (suffix: string) => readdirSync(annotations).filter((f) => f.endsWith(suffix)).sort().map((f) => path.join(annotations, f));

  // 1. Classes: the six big cats (oid-labels).
  const { catalog } = loadMetadata(path.join(data, 'metadata'));
  const classes = selectClasses(catalog);
  const displayName = new Map(classes.map((c) => [c.LabelName, c.DisplayName]));
  const mids = [...displayName.keys()];

  // 2. Image-level labels → selected ImageIDs (oid-join scan with a byte-level pre-filter on LabelName).
  const selected = new Set<string>();
  for await (const row of scanCsvFiles(files('-annotations-human-imagelabels-boxable.csv'), { where: { LabelName: mids } })) {
    if (Number(row.fields[row.header.require('Confidence')]) > 0.99) selected.add(row.fields[row.header.require('ImageID')]);
  }

  // 3. Boxes of those images and classes, typed and named (a semi-join done by the scan's `where`).
  async function* boxes(): AsyncGenerator<BoxRow> {
    let cols: ColumnIndex<BoxColumn> | undefined;
    let header: unknown;
    for await (const row of scanCsvFiles(files('-annotations-bbox.csv'), { where: { LabelName: mids, ImageID: selected } })) {
      if (row.header !== header) [cols, header] = [boxColumns(row.header.names, row.file), row.header];
      const box = toBoxRecord(row.fields, cols!);
      if (typeof box === 'string') continue; // a bad row: the scan goes on
      yield { ...box, DisplayName: displayName.get(box.LabelName) };
    }
  }
  const boxesFile = path.join(out, 'boxes.parquet');
  await writeParquet(boxesFile, BOX_SPEC, boxes());

  // 4. Images into Parquet (parquet-io), then chips cut from them, each image decoded once (chip-extract).
  // OID ships one rotation CSV per split; packImages reads one, so they are joined here (one header).
  const rotation = files('-images-with-rotation.csv');
  const rotationCsv = rotation.length ? path.join(out, 'images-with-rotation.csv') : undefined;
  if (rotationCsv) {
    const [first, ...rest] = rotation.map((f) => readFileSync(f, 'utf8').replace(/\r?\n$/, ''));
    const bodies = rest.map((t) => (t.includes('\n') ? t.slice(t.indexOf('\n') + 1) : '')).filter((t) => t !== '');
    writeFileSync(rotationCsv, [first, ...bodies].join('\n') + '\n');
  }
  const imagesFile = path.join(out, 'images.parquet');
  await packImages({ imagesDir: path.join(data, 'images'), out: imagesFile, rotationCsv });
  let errors = 0;
  async function* chips() {
    for await (const r of extractChips(readParquetRows(boxesFile), parquetImageSource(imagesFile))) {
      if (r.kind === 'error') {
        errors++;
        continue;
      }
      yield { ...r.box, chip_id: r.chip_id, chip: r.chip, chip_width: r.chip_width, chip_height: r.chip_height, chip_path: r.chip_path };
    }
  }
  const chipsFile = path.join(out, 'chips.parquet');
  const chipSpec: ColumnSpec[] = [
    ...BOX_SPEC, { name: 'chip_id', type: 'STRING' }, { name: 'chip', type: 'BYTE_ARRAY' },
    { name: 'chip_width', type: 'INT32' }, { name: 'chip_height', type: 'INT32' }, { name: 'chip_path', type: 'STRING' },
  ];
  const written = await writeParquet(chipsFile, chipSpec, chips());
  const result: ComposeResult = { classes: classes.length, images: selected.size, chips: written.rows, errors, chipsFile };
  if (!model) return result;

  // 5. Classify every chip, batched, on the fastest backend (keras-models), straight from chips.parquet.
  const mobilenet = await openClassifier({ name: 'mobilenet', source: model });
  try {
    async function* predictions() {
      for await (const r of classifyRecords(readParquetRows(chipsFile, { columns: ['chip_id', 'ImageID', 'LabelName', 'DisplayName', 'chip'] }), { models: [mobilenet] })) {
        delete r.chip;
        yield r;
      }
    }
    result.predictions = path.join(out, 'predictions.parquet');
    await writeParquet(result.predictions, [
      ...['chip_id', 'ImageID', 'LabelName', 'DisplayName', 'mobilenet_label', 'mobilenet_wnid'].map((name) => ({ name, type: 'STRING' as const })),
      { name: 'mobilenet_score', type: 'DOUBLE' }, { name: 'mobilenet_top5', type: 'STRING' },
    ], predictions());
  } finally {
    await closeClassifier(mobilenet);
  }
  return result;
}

if (process.argv[1] && import.meta.url.endsWith(path.basename(process.argv[1]))) {
  const [data, out, model] = process.argv.slice(2);
  if (!data || !out) {
    process.stderr.write('usage: compose.ts <data dir> <out dir> [model dir|url]\n');
    process.exit(2);
  }
  composeByHand(data, out, model).then((r) => process.stdout.write(JSON.stringify(r, null, 2) + '\n'));
}
