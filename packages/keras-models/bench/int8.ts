/**
 * FP32 vs int8 (QDQ) on ONNX Runtime, ms/image at batch 1 and 16, 2 threads, beside the machine's measured conv peak
 * (one 3×3 conv, 256→256 channels, 56×56) as "% of peak": MobileNet v1 α=0.75 (real weights, calibrated on the
 * ../shared/oid-real photos — and on the chips of a chips.parquet when given — with each variant's top-1 agreement
 * with FP32) and ResNet50 (random weights, speed only). Runs alternate between the models so machine noise hits all
 * alike. `npx tsx bench/int8.ts [reps (0: agreement only)] [chips.parquet] [threads]`
 */
import { readFileSync } from 'node:fs';
import { readParquetRows } from '@oidstream/parquet-io';
import { resNet50 } from '../src/architectures/resnet50.js';
import { agreement, calibrationRanges, predictAll } from '../src/int8-calibrate.js';
import { calibrationSample } from '../src/calibration-sample.js';
import { loadKerasModel } from '../src/load-model.js';
import { createOnnxRunnerFromCompiled } from '../src/onnx-backend.js';
import { compileKerasToOnnx, type CompiledOnnxModel } from '../src/onnx-compile.js';
import { compileKerasToOnnxInt8, type Int8Plan } from '../src/onnx-int8.js';
import { cpuHasVnni } from '../src/int8-model.js';
import { decodeResize, preprocessPixels } from '../src/preprocess.js';
import * as tf from '../src/tfjs.js';
import { mobilenetDir, randomizeBatchNorm, realImageFiles } from '../test/keras-fixtures.js';
import { median, msPerImage } from './timing.js';

const REPS = Number(process.argv[2] ?? 5);
const CHIPS = process.argv[3] || undefined;
const THREADS = Number(process.argv[4] ?? 2);
type Plan = Omit<Int8Plan, 'ranges'>;
// u8·s7 is ONNX Runtime's reduce_range (7-bit weights); 7-bit activations (u7·s8) are left out: a Relu6's Clip then
// stays in the graph, ONNX Runtime cannot fuse the conv and it ran at 0.4–0.5× FP32.
const VARIANTS: [string, Plan][] = [
  ['u8·u8', { weights: 'uint8' }],
  ['u8·s8', {}],
  ['u8·s7', { weightMax: 63 }],
  ['u8·s7 per-tensor', { weightMax: 63, perChannel: false }],
  ['u8·s7 dw-fp32', { weightMax: 63, depthwise: false }],
];
const SPEED_ONLY = new Set(['u8·s7 dw-fp32']);

async function decoded(bytes: Uint8Array[], size: [number, number]): Promise<Float32Array> {
  const per = size[0] * size[1] * 3;
  const x = new Float32Array(bytes.length * per);
  for (let i = 0; i < bytes.length; i++) preprocessPixels(await decodeResize(bytes[i], size), 'tf', x, i * per);
  return x;
}

/** Multiply-adds × 2 of the Conv2D, DepthwiseConv2D and Dense layers for one image. */
function flopsPerImage(model: tf.LayersModel): number {
  let flops = 0;
  for (const layer of model.layers) {
    const kind = layer.getClassName();
    if (!['Conv2D', 'DepthwiseConv2D', 'Dense'].includes(kind)) continue;
    const out = (layer.outputShape as number[]).slice(1).reduce((a, b) => a * b, 1);
    const k = layer.getWeights()[0].shape as number[]; // [kh, kw, cin, cout | mult] or [in, out]
    const perOutput = kind === 'Dense' ? k[0] : kind === 'DepthwiseConv2D' ? k[0] * k[1] : k[0] * k[1] * k[2];
    flops += 2 * out * perOutput;
  }
  return flops;
}

/**
 * Median ms/img of each model, alternating between them REPS times: wall time, and the process's CPU time (what a
 * shared, loaded machine leaves fair: time slices lost to other processes do not count).
 */
async function race(models: [string, CompiledOnnxModel][], batch: number, size: [number, number, number], images = batch === 1 ? 16 : 64): Promise<Map<string, { wall: number; cpu: number }>> {
  const input = new Float32Array(batch * size[0] * size[1] * size[2]).map(() => Math.random() * 2 - 1);
  const times = new Map(models.map(([n]) => [n, { wall: [] as number[], cpu: [] as number[] }]));
  const runners = await Promise.all(models.map(([, c]) => createOnnxRunnerFromCompiled(c, { threads: THREADS })));
  for (let r = 0; r < REPS; r++) {
    for (let i = 0; i < models.length; i++) {
      await runners[i].predict(input, batch); // warm
      const c0 = process.cpuUsage();
      const wall = await msPerImage(() => runners[i].predict(input, batch), { images, batch, reps: 1 });
      const c = process.cpuUsage(c0);
      const t = times.get(models[i][0])!;
      t.wall.push(wall);
      t.cpu.push((c.user + c.system) / 1000 / (Math.ceil(images / batch) * batch + batch)); // msPerImage warms once too
    }
  }
  await Promise.all(runners.map((r) => r.dispose()));
  return new Map([...times].map(([n, t]) => [n, { wall: median(t.wall), cpu: median(t.cpu) }]));
}

/**
 * GFLOP/s (GOP/s for int8) of 3×3 convs, 256→256 channels, 56×56, per variant: the machine's conv peak. Four in a row,
 * so the float input's transpose and quantization and the pooling the runner needs weigh little.
 */
async function convPeak(): Promise<Map<string, number>> {
  const input = tf.input({ shape: [56, 56, 256] });
  let conv = input;
  for (let i = 0; i < 4; i++) conv = tf.layers.conv2d({ filters: 256, kernelSize: 3, padding: 'same', useBias: true, activation: 'relu' }).apply(conv) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: tf.layers.globalAveragePooling2d({}).apply(conv) as tf.SymbolicTensor }); // the runner wants [batch, n]
  const calib = new Float32Array(2 * 56 * 56 * 256).map(() => Math.random());
  const ranges = await calibrationRanges(model, calib, { percentile: 99.99, threads: 2 });
  const models: [string, CompiledOnnxModel][] = [['fp32', compileKerasToOnnx(model)]];
  for (const [v, plan] of VARIANTS) if (v !== 'u8·s7 dw-fp32') models.push([v, compileKerasToOnnxInt8(model, { ranges: ranges.minmax, ...plan })]);
  const t = await race(models, 1, [56, 56, 256], 4);
  const flops = flopsPerImage(model);
  model.dispose();
  return new Map([...t].map(([n, ms]) => [n, flops / ms.cpu / 1e6])); // per CPU-second
}

/** Top-1 agreement with FP32 of each variant (MinMax ranges), without / with bias correction, on `x` calibrated on `calib`. */
async function agreements(name: string, model: tf.LayersModel, fp32: CompiledOnnxModel, x: Float32Array, calib: Float32Array): Promise<void> {
  const ranges = await calibrationRanges(model, calib, { percentile: 99.99, threads: 2 });
  const ref = await predictAll(fp32, x, 2);
  const parts: string[] = [];
  for (const [v, plan] of VARIANTS) {
    if (SPEED_ONLY.has(v)) continue;
    const pct = async (means?: Map<string, Float32Array>) => (agreement(ref, await predictAll(compileKerasToOnnxInt8(model, { ranges: ranges.minmax, means, ...plan }), x, 2), 1000).top1 * 100).toFixed(1);
    parts.push(`${v} ${await pct()} / ${await pct(ranges.means)}`);
  }
  console.log(`  top-1 agreement with FP32 on ${name} (${x.length / (224 * 224 * 3)}), without / with bias correction, %: ${parts.join(' | ')}`);
}

async function bench(name: string, model: tf.LayersModel, calib: Float32Array, peak: Map<string, number>, chips?: Float32Array): Promise<void> {
  const fp32 = compileKerasToOnnx(model);
  if (chips) {
    await agreements('the oid-real photos, calibrated on them', model, fp32, calib, calib);
    await agreements('the oid-real chips, calibrated on them', model, fp32, chips, chips);
    await agreements('the oid-real chips, calibrated on the photos', model, fp32, chips, calib);
    await agreements('the oid-real photos, calibrated on the chips', model, fp32, calib, chips);
  }
  if (REPS === 0) return; // agreement only
  const ranges = await calibrationRanges(model, calib, { percentile: 99.99, threads: 2 });
  const hasDw = model.layers.some((l) => l.getClassName() === 'DepthwiseConv2D');
  const models: [string, CompiledOnnxModel][] = [['fp32', fp32]];
  for (const [v, plan] of VARIANTS) if (hasDw || v !== 'u8·s7 dw-fp32') models.push([v, compileKerasToOnnxInt8(model, { ranges: ranges.minmax, means: ranges.means, ...plan })]);
  const gflop = flopsPerImage(model) / 1e9;
  console.log(`${name}: ${gflop.toFixed(2)} GFLOP/img`);
  for (const batch of [1, 16]) {
    const t = await race(models, batch, [224, 224, 3]);
    const f = t.get('fp32')!;
    const cell = ([n, ms]: [string, { wall: number; cpu: number }]) => {
      const pk = peak.get(n) ?? peak.get('u8·s7')!;
      const ofPeak = `${((gflop * 1e3) / ms.cpu / pk * 100).toFixed(0)} % of peak`;
      const x = n === 'fp32' ? '' : ` ${(f.cpu / ms.cpu).toFixed(2)}× (wall ${(f.wall / ms.wall).toFixed(2)}×)`;
      return `${n} ${ms.cpu.toFixed(2)} CPU-ms/img, ${ms.wall.toFixed(2)} ms/img${x}, ${ofPeak}`;
    };
    console.log(`  batch ${batch}:\n    ${[...t].map(cell).join('\n    ')}`);
  }
}

console.log(`CPU VNNI: ${cpuHasVnni()}; reps ${REPS}; ${THREADS} threads; % of peak in CPU time, against the conv peak of the same precision`);
const peak = REPS > 0 ? await convPeak() : new Map<string, number>();
console.log(`conv peak (4 × 3×3 conv, 256→256, 56×56, batch 1), per CPU-second: ${[...peak].map(([n, g]) => `${n} ${g.toFixed(0)} G/s`).join(' | ')}`);
const photos = await decoded(realImageFiles().map((f) => new Uint8Array(readFileSync(f))), [224, 224]);
const chips = CHIPS ? await decoded(await calibrationSample(readParquetRows(CHIPS, { columns: ['chip_id', 'chip'] })), [224, 224]) : undefined;
await bench('MobileNet v1 α=0.75', (await loadKerasModel(mobilenetDir)).model, photos, peak, chips);
const resnet = resNet50();
randomizeBatchNorm(resnet);
await bench('ResNet50 (random weights)', resnet, photos.subarray(0, 8 * 224 * 224 * 3), peak);
