import { existsSync, readFileSync } from 'node:fs';
import { readFile, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { needs } from '@oidstream/test-needs';
// OID big-cat MID → ImageNet class, and the close family ImageNet has and OID lacks (also right): the report's tables,
// so photos are scored here as a run's report scores chips
import { BIG_CAT_WNID, FAMILY_WNIDS } from '@oidstream/report';
import { closeClassifier, openClassifier } from './classifier.js';
import { classifyBatch } from './classify-batch.js';
import { loadKerasModel } from './load-model.js';

const shared = process.env.OIDSTREAM_SHARED ?? path.resolve(import.meta.dirname, '../../../../shared');
const haveShared = existsSync(path.join(shared, 'models', 'mobilenet_v1_0.75_224')) && existsSync(path.join(shared, 'oid-real', 'images'));


function realPhotos() {
  const csv = readFileSync(path.join(shared, 'oid-real', 'annotations', 'derived-annotations-human-imagelabels-boxable.csv'), 'utf8');
  return csv
    .trim()
    .split(/\r?\n/)
    .slice(1)
    .map((line) => line.split(','))
    .filter(([, , mid, conf]) => BIG_CAT_WNID[mid] && Number(conf) === 1)
    .map(([ImageID, , LabelName]) => ({ ImageID, LabelName, chip: new Uint8Array(readFileSync(path.join(shared, 'oid-real', 'images', `${ImageID}.jpg`))) }));
}

async function accuracy(name: string, dir: string) {
  const model = await openClassifier({
    name,
    source: path.join(shared, 'models', dir),
    backend: 'wasm',
    classIndex: { path: path.join(shared, 'models', 'imagenet_class_index.json') },
  });
  try {
    const photos = realPhotos();
    const out = await classifyBatch(photos, { models: [model], batchSize: 8 });
    let right = 0;
    let exact = 0;
    const misses: string[] = [];
    for (const r of out) {
      const wnid = r[`${name}_wnid`] as string;
      const want = BIG_CAT_WNID[r.LabelName as string];
      if (wnid === want) exact++;
      if (wnid === want || FAMILY_WNIDS.includes(wnid)) right++;
      else misses.push(`${r.ImageID} ${r.LabelName} → ${r[`${name}_label`]}`);
    }
    const result = { n: out.length, right, exact, accuracy: right / out.length, preprocessing: model.preprocessing, backend: model.runner.backend, misses };
    console.log(`${name}: ${right}/${out.length} right (${exact} exact class) on ${result.backend}, preprocessing ${result.preprocessing}; misses: ${misses.join('; ') || 'none'}`);
    return result;
  } finally {
    await closeClassifier(model);
  }
}

describe.skipIf(needs('../shared/models and ../shared/oid-real', haveShared))('real Keras weights on the real big-cat photos (needs ../shared/models and ../shared/oid-real)', () => {
  // The DenseNet test compares with MobileNet's result: computed once, whichever test asks first (also when run alone).
  let mobilenetRun: ReturnType<typeof accuracy> | undefined;
  const mobilenet = (): ReturnType<typeof accuracy> => (mobilenetRun ??= accuracy('mobilenet', 'mobilenet_v1_0.75_224'));
  it('MobileNet v1 α=0.75 (tf preprocessing, wasm) puts ≥ 80% into the right ImageNet big cat', async () => {
    const r = await mobilenet();
    expect(r.n).toBe(35);
    expect(r.preprocessing).toBe('tf');
    expect(r.backend).toBe('wasm');
    expect(r.accuracy).toBeGreaterThanOrEqual(0.8);
  }, 120_000);

  it('DenseNet121 loads through the generic path with torch preprocessing and also reaches ≥ 80%', async () => {
    const r = await accuracy('densenet', 'densenet121');
    expect(r.n).toBe(35);
    expect(r.preprocessing).toBe('torch');
    expect(r.accuracy).toBeGreaterThanOrEqual(0.8);
    // within one photo of MobileNet (35 photos: one photo is 2.9 points)
    const m = await mobilenet();
    expect(m.n).toBe(35);
    expect(r.accuracy).toBeGreaterThanOrEqual(m.accuracy - 1.5 / r.n);
  }, 360_000);

  it('loads the same real model from an http URL (55 shards) into the cache, identical weights', async () => {
    const server = createServer(async (req, res) => {
      try {
        res.end(await readFile(path.join(shared, 'models', decodeURIComponent(req.url!).replace(/^\/+/, ''))));
      } catch {
        res.statusCode = 404;
        res.end();
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const cacheDir = await mkdtemp(path.join(tmpdir(), 'keras-real-url-'));
    try {
      const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/mobilenet_v1_0.75_224/`;
      const viaUrl = await loadKerasModel(url, { cacheDir });
      const viaDir = await loadKerasModel(path.join(shared, 'models', 'mobilenet_v1_0.75_224'));
      expect(viaUrl.model.countParams()).toBe(2_601_976);
      expect(viaUrl.weights.size).toBe(viaDir.weights.size);
      const bytes = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
      for (const [name, w] of viaDir.weights) expect(bytes(viaUrl.weights.get(name)!.data).equals(bytes(w.data))).toBe(true);
      viaUrl.model.dispose();
      viaDir.model.dispose();
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
      await rm(cacheDir, { recursive: true, force: true });
    }
  }, 60_000);
});
