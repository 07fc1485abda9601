import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '../src/tfjs.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeResize, loadKerasModel, preprocessPixels } from '@oidstream/keras-models';
import { makeTinyModel, saveModelDir, syntheticClassIndex, TINY_SIZE } from '../test/tiny-model.js';
import { main as classifyImages } from './classify-images.js';

const images = path.resolve(import.meta.dirname, '../../../test-data/oid/images');
let root: string;
let modelDir: string;
beforeAll(async () => {
  // A generated model (real tfjs layers files, 1000 classes) stands in for MobileNet, so the test needs no ../shared.
  root = await mkdtemp(path.join(tmpdir(), 'keras-sample-'));
  modelDir = path.join(root, 'tiny_mobilenet');
  await saveModelDir(await makeTinyModel(), modelDir, 2);
  await writeFile(path.join(modelDir, 'imagenet_class_index.json'), JSON.stringify(syntheticClassIndex()));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Class probabilities of the same model run directly with tfjs on the cpu: what the sample's backend must agree with. */
async function reference(file: string): Promise<Float32Array> {
  const loaded = await loadKerasModel(modelDir);
  const px = await decodeResize(readFileSync(file), [TINY_SIZE, TINY_SIZE]);
  const x = new Float32Array(px.length);
  preprocessPixels(px, 'tf', x);
  const y = loaded.model.predict(tf.tensor4d(x, [1, TINY_SIZE, TINY_SIZE, 3])) as tf.Tensor;
  const probs = (await y.data()) as Float32Array;
  y.dispose();
  loaded.model.dispose();
  return probs;
}

describe('samples', () => {
  it('classify-images.ts classifies every test-data/oid image, batch and stream agreeing with the model', async () => {
    const files = readdirSync(images).sort();
    const r = await classifyImages(modelDir);
    expect(r.first.map((p) => p.chip_id)).toEqual(files.slice(0, 3).map((f) => `${path.parse(f).name}_0`));
    for (const p of r.first) {
      expect(p.top5).toHaveLength(5);
      expect(p.top5[0]).toEqual({ wnid: p.wnid, label: p.label, score: p.score });
      expect(p.label).toBe(`class_${Number(String(p.wnid).slice(1))}`);
      for (let i = 1; i < 5; i++) expect(p.top5[i].score).toBeLessThanOrEqual(p.top5[i - 1].score);
      expect(r.labels.get(p.chip_id as string)).toBe(p.wnid); // the stream face gives the batch's answer
    }
    expect(r.classified).toBe(files.length);
    // The tiny model's top scores differ by ~1e-7, so backends may order near-ties differently: compare with tolerance.
    const probs = await reference(path.join(images, files[0]));
    const best = probs[Number(String(r.first[0].wnid).slice(1))];
    expect(best).toBeCloseTo(Math.max(...probs), 6);
    expect(r.first[0].score).toBeCloseTo(best, 6);
  }, 120_000);
});
