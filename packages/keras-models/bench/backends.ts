/**
 * ms/image of MobileNet v1 1.0 and ResNet50 (Keras architectures built in code, random weights) on the ONNX Runtime
 * and tfjs wasm backends at batch 1, 8, 32, beside a bare predict loop on the same engine and beside Debian's PyTorch
 * (python3-torch, random weights, same thread count) when /usr/bin/python3 can import torch.
 *
 *   npx tsx packages/keras-models/bench/backends.ts [--images N] [--resnet-images M] [--reps R] [--threads T]
 *                                                   [--models mobilenet,resnet50] [--no-pytorch]
 *
 * Columns (medians of R repetitions of ⌈N/batch⌉ calls; ResNet50 uses M images, default 8 — it is ~8× MobileNet's work):
 *   runner        – ModelRunner.predict, one call at a time
 *   runner ×2     – two calls in flight, batch 1 only (how ClassifyTransform drives a runner: lets the wasm pool use
 *                   every worker; larger batches are already split across the workers)
 *   bare loop     – the engine without our layer: onnx = InferenceSession.run on the compiled model with the same
 *                   session options; wasm = tfjs model.predict in this thread (tfjs wasm is single-threaded in Node)
 * The ONNX model is compiled with BatchNormalization folded; "pytorch jit.freeze" folds it too, "pytorch eager" does not.
 * Machines are shared and noisy: compare ratios, not absolute numbers.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { availableParallelism, loadavg } from 'node:os';
import path from 'node:path';
import * as tf from '../src/tfjs.js';
import '@tensorflow/tfjs-backend-wasm';
import {
  compileKerasToOnnx,
  createOnnxRunner,
  createWasmRunner,
  memoryHandler,
  mobileNetV1,
  resNet50,
  type ModelRunner,
} from '../src/index.js';
import { mainTf } from '../src/tfjs-main.js';
import { asLoaded } from '../test/keras-fixtures.js';
import { msPerImage, randomBatch } from './timing.js';

const args = process.argv.slice(2);
const flag = (name: string, dflt: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const IMAGES = Number(flag('images', '32'));
const RESNET_IMAGES = Number(flag('resnet-images', '8'));
const PYTORCH = !args.includes('--no-pytorch');
const REPS = Number(flag('reps', '3'));
const THREADS = Number(flag('threads', String(availableParallelism())));
const MODELS = flag('models', 'mobilenet,resnet50').split(',');
const BATCHES = [1, 8, 32];

const fmt = (ms: number | undefined) => (ms === undefined ? '—' : ms < 10 ? ms.toFixed(2) : ms.toFixed(1));

let images = IMAGES;
const timeLoop = (batch: number, call: () => Promise<unknown>, inFlight = 1) => msPerImage(call, { images, batch, reps: REPS, inFlight });

type Row = { model: string; backend: string; batch: number; runner?: number; runner2?: number; bare?: number };

async function benchModel(label: string, build: () => tf.LayersModel, rows: Row[]): Promise<void> {
  await mainTf(); // variables live on the cpu backend
  const model = build();
  const loaded = await asLoaded(model, model.name);
  const size = loaded.inputSize;
  console.error(`${label}: ${model.countParams().toLocaleString('en')} params`);

  // ONNX Runtime: our runner, and the bare session on the same compiled bytes.
  const t0 = performance.now();
  const compiled = compileKerasToOnnx(model);
  console.error(`  compiled to ONNX in ${(performance.now() - t0).toFixed(0)} ms (${compiled.stats.nodes} nodes, ${compiled.stats.foldedBatchNorms} BN folded, ${(compiled.bytes.length / 1e6).toFixed(1)} MB)`);
  const ort = await import('onnxruntime-node');
  const session = await ort.InferenceSession.create(compiled.bytes, {
    executionProviders: ['cpu'],
    intraOpNumThreads: THREADS,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
  const onnx = await createOnnxRunner(loaded, { threads: THREADS });
  for (const batch of BATCHES) {
    const x = randomBatch(batch, size);
    const feeds = { [compiled.inputName]: new ort.Tensor('float32', x, [batch, size[0], size[1], 3]) };
    const row: Row = { model: label, backend: `onnx (${THREADS} threads)`, batch };
    row.runner = await timeLoop(batch, () => onnx.predict(x, batch));
    if (batch === 1) row.runner2 = await timeLoop(batch, () => onnx.predict(x, batch), 2);
    row.bare = await timeLoop(batch, () => session.run(feeds));
    rows.push(row);
    console.error(`  onnx batch ${batch}: ${fmt(row.runner)} / ${fmt(row.runner2)} / bare ${fmt(row.bare)} ms/img`);
  }
  await onnx.dispose();
  await session.release();

  // tfjs wasm: the worker pool runner, then tfjs predict in this thread on wasm.
  const wasm: ModelRunner = await createWasmRunner(loaded, { threads: THREADS });
  const wasmRows: Row[] = [];
  for (const batch of BATCHES) {
    const x = randomBatch(batch, size);
    const row: Row = { model: label, backend: `wasm (${THREADS} workers)`, batch };
    row.runner = await timeLoop(batch, () => wasm.predict(x, batch));
    if (batch === 1) row.runner2 = await timeLoop(batch, () => wasm.predict(x, batch), 2);
    wasmRows.push(row);
    console.error(`  wasm batch ${batch}: ${fmt(row.runner)} / ${fmt(row.runner2)} ms/img`);
  }
  await wasm.dispose();
  await tf.setBackend('wasm');
  await tf.ready();
  const wasmModel = await tf.loadLayersModel(memoryHandler(loaded.artifacts));
  for (const row of wasmRows) {
    const x = tf.tensor4d(randomBatch(row.batch, size), [row.batch, size[0], size[1], 3]);
    row.bare = await timeLoop(row.batch, async () => {
      const y = wasmModel.predict(x) as tf.Tensor;
      await y.data();
      y.dispose();
    });
    x.dispose();
    console.error(`  wasm bare batch ${row.batch}: ${fmt(row.bare)} ms/img`);
  }
  wasmModel.dispose();
  await tf.setBackend('cpu');
  rows.push(...wasmRows);
  model.dispose();
}

function pytorchRows(rows: Row[]): string | undefined {
  const python = '/usr/bin/python3';
  const probe = spawnSync(python, ['-c', 'import torch, torchvision; print(torch.__version__)'], { encoding: 'utf8' });
  if (probe.status !== 0) return 'PyTorch not present (apt-get install -y python3-torch python3-torchvision)';
  const names = MODELS.map((m) => (m === 'mobilenet' ? 'mobilenet_v1_1.0' : m)).join(',');
  const script = path.join(import.meta.dirname, 'pytorch_baseline.py');
  console.error(`PyTorch ${probe.stdout.trim()} (${python}), ${THREADS} threads…`);
  const out = execFileSync(python, [script, '--threads', String(THREADS), '--images', String(IMAGES), '--resnet-images', String(RESNET_IMAGES), '--reps', String(REPS), '--batches', BATCHES.join(','), '--models', names], {
    encoding: 'utf8',
    maxBuffer: 1 << 24,
  });
  const notes: string[] = [];
  for (const line of out.trim().split('\n')) {
    const r = JSON.parse(line) as { model: string; backend?: string; batch?: number; ms?: number; params?: number; note?: string };
    if (r.note) notes.push(`${r.model}: ${r.note}`);
    else rows.push({ model: r.model === 'mobilenet_v1_1.0' ? 'MobileNet v1 1.0' : 'ResNet50', backend: `${r.backend} (${THREADS} threads, ${r.params?.toLocaleString('en')} params)`, batch: r.batch!, bare: r.ms });
  }
  return notes.join('; ') || undefined;
}

async function main() {
  console.log(`Backends benchmark — ${IMAGES} images (ResNet50: ${RESNET_IMAGES}) × ${REPS} reps, ${THREADS} threads, ${availableParallelism()} cores, Node ${process.version}, load average ${loadavg()[0].toFixed(1)} at start`);
  const rows: Row[] = [];
  if (MODELS.includes('mobilenet')) await benchModel('MobileNet v1 1.0', () => mobileNetV1({ alpha: 1 }), rows);
  images = RESNET_IMAGES;
  if (MODELS.includes('resnet50')) await benchModel('ResNet50', () => resNet50(), rows);
  const note = PYTORCH ? pytorchRows(rows) : 'PyTorch skipped (--no-pytorch)';
  console.log('\n| model | backend | batch | runner ms/img | runner ×2 in flight | bare loop ms/img |');
  console.log('|---|---|---:|---:|---:|---:|');
  const order = (r: Row) => (r.model.startsWith('Mobile') ? 0 : 1);
  for (const r of [...rows].sort((a, b) => order(a) - order(b))) {
    console.log(`| ${r.model} | ${r.backend} | ${r.batch} | ${fmt(r.runner)} | ${fmt(r.runner2)} | ${fmt(r.bare)} |`);
  }
  if (note) console.log(`\n${note}`);
  console.log(`load average ${loadavg().map((l) => l.toFixed(1)).join(' / ')} at the end (1/5/15 min): other processes share these cores`);
}

await main();
