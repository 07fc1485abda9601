/**
 * ms/image for MobileNet on every backend that loads here, at batch 1, 8 and 32, beside a bare predict loop.
 *
 *   npx tsx packages/keras-models/bench/mobilenet-backends.ts [model dir|URL] [--images N] [--reps R] [--threads T]
 *
 * Default model: ../shared/models/mobilenet_v1_0.75_224 (real Keras weights). Columns:
 *   runner        – ModelRunner.predict, one call at a time (what a single caller sees)
 *   runner ×2     – two calls in flight (what ClassifyTransform does: feeds every worker / overlaps copies)
 *   bare loop     – the same backend without our layer: tfjs `model.predict` in this thread (wasm: one thread)
 *   end-to-end    – ClassifyTransform on JPEG records: sharp decode + resize + preprocess + predict + top-5
 * Medians of R repetitions. Machines are shared and noisy: compare ratios, not absolute numbers.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as tf from '../src/tfjs.js';
import {
  BACKEND_ORDER,
  ClassifyTransform,
  createRunner,
  loadClassIndex,
  loadKerasModel,
  memoryHandler,
  preprocessingFor,
  type BackendName,
  type LoadedKerasModel,
  type ModelRunner,
} from '../src/index.js';
import { median, msPerImage, randomBatch } from './timing.js';

const repoRoot = path.resolve(import.meta.dirname, '../../..');
const shared = process.env.OIDSTREAM_SHARED ?? path.resolve(repoRoot, '../shared');
const args = process.argv.slice(2);
const flag = (name: string, dflt: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const source = args.find((a, i) => !a.startsWith('--') && !args[i - 1]?.startsWith('--')) ?? path.join(shared, 'models', 'mobilenet_v1_0.75_224');
const IMAGES = flag('images', 64);
const REPS = flag('reps', 3);
const THREADS = flag('threads', availableParallelism());
const BATCHES = [1, 8, 32];

const fmt = (ms: number | undefined) => (ms === undefined ? '—' : ms.toFixed(1));

const timeRunner = (runner: ModelRunner, loaded: LoadedKerasModel, batch: number, inFlight: number) => {
  const x = randomBatch(batch, loaded.inputSize);
  return msPerImage(() => runner.predict(x, batch), { images: IMAGES, batch, reps: REPS, inFlight });
};

/** tfjs model.predict on `backend` in this thread, no workers, no copies: the floor our runners are compared with. */
async function timeBareTfjs(loaded: LoadedKerasModel, backend: string, batch: number): Promise<number> {
  await tf.setBackend(backend);
  await tf.ready();
  const model = await tf.loadLayersModel(memoryHandler(loaded.artifacts));
  const [h, w] = loaded.inputSize;
  const x = tf.tensor4d(randomBatch(batch, loaded.inputSize), [batch, h, w, 3]);
  const ms = await msPerImage(async () => {
    const y = model.predict(x) as tf.Tensor;
    await y.data();
    y.dispose();
  }, { images: IMAGES, batch, reps: REPS });
  x.dispose();
  model.dispose();
  return ms;
}

async function timeEndToEnd(runner: ModelRunner, loaded: LoadedKerasModel, batch: number, jpegs: Uint8Array[]): Promise<number | undefined> {
  if (jpegs.length === 0) return undefined;
  const preprocessing = preprocessingFor(loaded.topology, 'mobilenet') ?? 'tf';
  const classIndex = await loadClassIndex({ path: path.join(shared, 'models', 'imagenet_class_index.json'), modelDir: loaded.dir });
  const models = [{ name: 'mobilenet', runner, preprocessing, classIndex }];
  const records = () => Array.from({ length: Math.max(IMAGES, jpegs.length) }, (_, i) => ({ chip_id: String(i), chip: jpegs[i % jpegs.length] }));
  const reps: number[] = [];
  for (let r = 0; r < REPS; r++) {
    const recs = records();
    const t0 = performance.now();
    let n = 0;
    await pipeline(Readable.from(recs), new ClassifyTransform({ models, batchSize: batch }), async function* (src) {
      for await (const _ of src) n++;
    });
    reps.push((performance.now() - t0) / n);
  }
  return median(reps);
}

async function main() {
  console.log(`MobileNet backends benchmark — model ${source}, ${IMAGES} images × ${REPS} reps, threads ${THREADS}, ${availableParallelism()} cores, Node ${process.version}, load average ${loadavg()[0].toFixed(1)}`);
  const loaded = await loadKerasModel(source);
  console.log(`model ${loaded.topology.config.name}: ${loaded.model.countParams().toLocaleString('en')} params, input ${loaded.inputSize.join('×')}`);
  const imgDir = path.join(shared, 'oid-real', 'images');
  // Real photos, pre-shrunk to chip size so decode cost resembles chips, not 2400-px originals.
  const sharp = (await import('sharp')).default;
  const jpegs = existsSync(imgDir)
    ? await Promise.all(
        readdirSync(imgDir)
          .filter((f) => f.endsWith('.jpg'))
          .map(async (f) => new Uint8Array(await sharp(readFileSync(path.join(imgDir, f))).resize(320, 320, { fit: 'inside' }).jpeg().toBuffer())),
      )
    : [];

  type Row = { backend: string; batch: number; runner?: number; runner2?: number; bare?: number; e2e?: number; note?: string };
  const rows: Row[] = [];
  const unavailable: string[] = [];
  for (const backend of BACKEND_ORDER as BackendName[]) {
    let runner: ModelRunner;
    try {
      runner = await createRunner(loaded, { backend, threads: THREADS });
    } catch (err) {
      unavailable.push(`${backend}: ${(err as Error).message.split('\n')[0]}`);
      continue;
    }
    try {
      for (const batch of BATCHES) {
        const row: Row = { backend, batch };
        row.runner = await timeRunner(runner, loaded, batch, 1);
        row.runner2 = await timeRunner(runner, loaded, batch, 2);
        row.e2e = await timeEndToEnd(runner, loaded, batch, jpegs);
        rows.push(row);
        console.error(`  ${backend} batch ${batch}: ${fmt(row.runner)} / ${fmt(row.runner2)} / e2e ${fmt(row.e2e)} ms/img`);
      }
    } finally {
      await runner.dispose();
    }
  }
  // Bare loops last: they switch this thread's tfjs backend.
  const bare: Record<string, string> = { wasm: 'wasm', 'tfjs-node': 'tensorflow' };
  for (const row of rows) {
    const b = bare[row.backend];
    if (!b) continue;
    if (b === 'wasm') await import('@tensorflow/tfjs-backend-wasm');
    try {
      row.bare = await timeBareTfjs(loaded, b, row.batch);
    } catch (err) {
      row.note = `bare: ${(err as Error).message}`;
    }
  }
  console.log('\n| backend | batch | runner ms/img | runner ×2 in flight | bare predict loop (1 thread) | end-to-end JPEG→top5 |');
  console.log('|---|---:|---:|---:|---:|---:|');
  for (const r of rows) console.log(`| ${r.backend} | ${r.batch} | ${fmt(r.runner)} | ${fmt(r.runner2)} | ${fmt(r.bare)} | ${fmt(r.e2e)} |${r.note ? ` ${r.note}` : ''}`);
  for (const u of unavailable) console.log(`unavailable — ${u}`);
  console.log(`load average at the end: ${loadavg()[0].toFixed(1)} (a figure far above the core count means other work shared the CPUs)`);
  loaded.model.dispose();
}

await main();
