/**
 * The whole job composed by hand from the packages, without `oidstream run`: select, pack, chips, classify, report.
 * Every step pulls from the one before (memory stays flat) and every file's schema comes from the package that makes
 * it. Run it: `npx tsx packages/pipeline/samples/compose.ts <data dir> <out dir> [model dir|url]`.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { BOX_COLUMNS, findOidFiles, selectBoxes } from '@oidstream/oid-join';
import { packImages, readParquetRows, writeParquet } from '@oidstream/parquet-io';
import { CHIPS_FILE, chipRow, chipsColumns, extractChips, parquetImageSource } from '@oidstream/chip-extract';
import { PREDICTIONS_FILE, classifyRecords, closeClassifier, openClassifier, predictionColumnSpecs } from '@oidstream/keras-models';
import { writeReport } from '@oidstream/report';

export async function composeByHand(data: string, out: string, model?: string) {
  await mkdir(out, { recursive: true });
  const files = await findOidFiles(data);
  const selection = selectBoxes({ data }); // the six big cats, human labels with Confidence > 0.99
  const boxes = path.join(out, 'boxes.parquet');
  await writeParquet(boxes, BOX_COLUMNS, selection);
  await writeFile(path.join(out, 'labels-summary.json'), JSON.stringify(selection.summary));
  const images = path.join(out, 'images.parquet');
  await packImages({ imagesDir: files.imagesFolder!, rotationCsv: files.rotation, out: images });
  let errors = 0;
  async function* chips() {
    for await (const r of extractChips(readParquetRows(boxes), parquetImageSource(images))) {
      if (r.kind === 'chip') yield chipRow(r);
      else errors++;
    }
  }
  const chipsFile = path.join(out, CHIPS_FILE);
  const written = await writeParquet(chipsFile, chipsColumns(BOX_COLUMNS), chips());
  const predictions = model ? path.join(out, PREDICTIONS_FILE) : undefined;
  if (predictions) {
    const mobilenet = await openClassifier({ name: 'mobilenet', source: model! });
    const rows = classifyRecords(readParquetRows(chipsFile), { models: [mobilenet] });
    await writeParquet(predictions, predictionColumnSpecs(['mobilenet']), rows).finally(() => closeClassifier(mobilenet));
  }
  const report = await writeReport(out);
  return { classes: selection.classes.length, images: selection.imageIds?.size ?? 0, chips: written.rows, errors, chipsFile, predictions, report };
}

if (process.argv[1] && import.meta.url.endsWith(path.basename(process.argv[1]))) {
  const [data, out, model] = process.argv.slice(2);
  if (!data || !out) throw new Error('usage: compose.ts <data dir> <out dir> [model dir|url]');
  composeByHand(data, out, model).then((r) => process.stdout.write(JSON.stringify(r, null, 2) + '\n'));
}
