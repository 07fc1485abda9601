/**
 * Classify the OID test images with a Keras ImageNet model: one batch, then every image as a stream of records.
 * Run it: `npx tsx packages/keras-models/samples/classify-images.ts <model> [data dir]`
 * where <model> is a tfjs layers directory, a model.json, an http(s) URL or a Keras .h5 file, with
 * imagenet_class_index.json beside it (else ~/.keras/models, else downloaded). Data default: the committed test-data/oid.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { classifyBatch, classifyRecords, closeClassifier, openClassifier } from '@oidstream/keras-models';

export async function main(source: string, data = path.resolve(import.meta.dirname, '../../../test-data/oid')) {
  const mobilenet = await openClassifier({
    name: 'mobilenet', // column prefix: mobilenet_label, mobilenet_wnid, mobilenet_score, mobilenet_top5
    source,
    backend: 'auto', // onnx → tfjs-node → wasm
  });
  try {
    const dir = path.join(data, 'images');
    const records = readdirSync(dir).sort().map((file) => ({ chip_id: `${path.parse(file).name}_0`, chip: readFileSync(path.join(dir, file)) }));

    const batch = await classifyBatch(records.slice(0, 3), { models: [mobilenet] });
    const first = batch.map((r) => ({
      chip_id: r.chip_id,
      label: r.mobilenet_label,
      wnid: r.mobilenet_wnid,
      score: r.mobilenet_score,
      top5: JSON.parse(r.mobilenet_top5 as string) as { wnid: string; label: string; score: number }[],
    }));

    // The stream face: records in, the same records out with the prediction fields, in order, batched.
    const labels = new Map<string, unknown>();
    for await (const r of classifyRecords(records, { models: [mobilenet], batchSize: 16 })) labels.set(r.chip_id as string, r.mobilenet_wnid);

    const result = { first, classified: labels.size, labels };
    console.log(first, `${labels.size} images classified`);
    return result;
  } finally {
    await closeClassifier(mobilenet);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  if (!process.argv[2]) throw new Error('usage: classify-images.ts <model dir | model.json | URL | .h5> [data dir]');
  await main(process.argv[2], process.argv[3]);
}
