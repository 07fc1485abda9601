/**
 * FP32 vs int8 (QDQ) on ONNX Runtime, ms/image at batch 1 and 16, 2 threads: MobileNet v1 α=0.75 (real weights,
 * calibrated on ../shared/oid-real photos, with its top-1 agreement) and ResNet50 (random weights, speed only).
 * Runs alternate FP32 / int8 so machine noise hits both alike. `npx tsx bench/int8.ts [reps]`
 */
import { readFileSync } from 'node:fs';
import { resNet50 } from '../src/architectures/resnet50.js';
import { agreement, calibrationRanges, predictAll } from '../src/int8-calibrate.js';
import { loadKerasModel } from '../src/load-model.js';
import { createOnnxRunnerFromCompiled } from '../src/onnx-backend.js';
import { compileKerasToOnnx, type CompiledOnnxModel } from '../src/onnx-compile.js';
import { compileKerasToOnnxInt8, type Int8Plan } from '../src/onnx-int8.js';
import { cpuHasVnni } from '../src/int8-model.js';
import { decodeResize, preprocessPixels } from '../src/preprocess.js';
import type * as tf from '../src/tfjs.js';
import { mobilenetDir, randomizeBatchNorm, realImageFiles } from '../test/keras-fixtures.js';
import { median, msPerImage, randomBatch } from './timing.js';

const REPS = Number(process.argv[2] ?? 5);
const VARIANTS: [string, Omit<Int8Plan, 'ranges'>][] = [
  ['int8 u8·u8', { weights: 'uint8' }],
  ['int8 u8·s8', {}],
  ['int8 u8·s7', { weightMax: 63 }],
];

async function images(files: string[]): Promise<Float32Array> {
  const per = 224 * 224 * 3;
  const x = new Float32Array(files.length * per);
  for (let i = 0; i < files.length; i++) preprocessPixels(await decodeResize(new Uint8Array(readFileSync(files[i])), [224, 224]), 'tf', x, i * per);
  return x;
}

/** Median ms/img of each model, alternating between them REPS times. */
async function race(models: [string, CompiledOnnxModel][], batch: number): Promise<Map<string, number>> {
  const x = randomBatch(batch, [224, 224]);
  const times = new Map<string, number[]>(models.map(([n]) => [n, []]));
  const runners = await Promise.all(models.map(([, c]) => createOnnxRunnerFromCompiled(c, { threads: 2 })));
  for (let r = 0; r < REPS; r++) {
    for (let i = 0; i < models.length; i++) {
      times.get(models[i][0])!.push(await msPerImage(() => runners[i].predict(x, batch), { images: batch === 1 ? 16 : 64, batch, reps: 1 }));
    }
  }
  await Promise.all(runners.map((r) => r.dispose()));
  return new Map([...times].map(([n, t]) => [n, median(t)]));
}

async function bench(name: string, model: tf.LayersModel, calib: Float32Array, withAgreement: boolean): Promise<void> {
  const fp32 = compileKerasToOnnx(model);
  const t0 = performance.now();
  const ranges = await calibrationRanges(model, calib, { percentile: 99.99, threads: 2 });
  console.log(`${name}: calibration on ${calib.length / (224 * 224 * 3)} images ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const ref = withAgreement ? await predictAll(fp32, calib, 2) : undefined;
  const models: [string, CompiledOnnxModel][] = [['fp32', fp32]];
  for (const [v, plan] of VARIANTS) {
    const c = compileKerasToOnnxInt8(model, { ranges: ranges.minmax, ...plan });
    models.push([v, c]);
    if (ref) console.log(`  ${v}: top-1 agreement with FP32 ${(agreement(ref, await predictAll(c, calib, 2), 1000).top1 * 100).toFixed(1)} %`);
  }
  for (const batch of [1, 16]) {
    const t = await race(models, batch);
    const f = t.get('fp32')!;
    console.log(`  batch ${batch}: ` + [...t].map(([n, ms]) => `${n} ${ms.toFixed(2)} ms/img${n === 'fp32' ? '' : ` (${(f / ms).toFixed(2)}×)`}`).join(' | '));
  }
}

console.log(`CPU VNNI: ${cpuHasVnni()}; reps ${REPS}`);
const photos = await images(realImageFiles());
await bench('MobileNet v1 α=0.75', (await loadKerasModel(mobilenetDir)).model, photos, true);
const resnet = resNet50();
randomizeBatchNorm(resnet);
await bench('ResNet50 (random weights)', resnet, photos.subarray(0, 8 * 224 * 224 * 3), false);
