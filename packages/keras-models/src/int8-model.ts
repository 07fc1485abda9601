import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';
import type { LoadedKerasModel } from './backend.js';
import { withDefaults } from './defaults.js';
import { KerasModelsError } from './errors.js';
import { agreement, calibrationRanges, predictAll, CALIBRATION_METHODS, type CalibrationMethod } from './int8-calibrate.js';
import { compileKerasToOnnx, type CompiledOnnxModel } from './onnx-compile.js';
import { compileKerasToOnnxInt8, type ActivationType, type Int8Plan } from './onnx-int8.js';
import { decodeResize, preprocessPixels, type PreprocessMode } from './preprocess.js';

export type { Precision } from './options.js';
/**
 * int8: 8-bit signed (u8·s8 kernels; exact only on CPUs with VNNI), int8-7bit (weights in [-63, 63], ONNX Runtime's
 * `reduce_range`: AVX2's u8·s8 kernel cannot saturate), uint8 (u8·u8 kernels: exact, but slower).
 */
export type WeightType = 'auto' | 'int8' | 'int8-7bit' | 'uint8';

export interface Int8Options {
  /** Calibration images (encoded chips, e.g. from `calibrationSample`). Needed unless the cache already holds the model. */
  images: Uint8Array[];
  /** Default 'auto': both methods, keep the one agreeing best with FP32 on the calibration images. */
  method?: CalibrationMethod | 'auto';
  /** Percentile method: keep this % of each tensor's values (each tail cut at 100 − p). Default 99.99. */
  percentile?: number;
  /** Default 'uint8'. */
  activations?: ActivationType;
  /** Default 'auto': int8 where the CPU has VNNI (or AMX), else int8-7bit (AVX2's u8·s8 kernel saturates on 8-bit weights). */
  weights?: WeightType;
  /** Fold each conv's mean rounding error, (W_q − W)·E[x] over the calibration images, into its bias. Default true. */
  biasCorrection?: boolean;
  /** Quantized models are cached here, keyed by weights + calibration images + settings. Default ~/.cache/oidstream/int8. */
  cacheDir?: string;
  /** Warn (or fall back) when top-1 agreement with FP32 on the calibration images is below this. Default 0.98. */
  minAgreement?: number;
  /** Below minAgreement: run FP32 instead of warning only. Default false. */
  fallback?: boolean;
}

export const INT8_DEFAULTS = {
  method: 'auto',
  percentile: 99.99,
  activations: 'uint8',
  weights: 'auto',
  biasCorrection: true,
  cacheDir: path.join(homedir(), '.cache', 'oidstream', 'int8'),
  minAgreement: 0.98,
  fallback: false,
} as const;

/** What an int8 model reports (run.json, the report). */
export interface Int8Report {
  method: CalibrationMethod;
  /** Top-1 agreement with FP32 on the calibration images, per method tried. */
  agreement: Partial<Record<CalibrationMethod, number>>;
  /** Agreement of the model in use. */
  top1Agreement: number;
  images: number;
  activations: ActivationType;
  weights: Exclude<WeightType, 'auto'>;
  biasCorrection: boolean;
  key: string;
  cached: boolean;
  /** True when the agreement was below minAgreement and `fallback` made the classifier run FP32. */
  fellBack: boolean;
}

const CACHE_VERSION = 'oidstream-int8-v2'; // v2: float head, bias correction

/** x86 CPUs with VNNI (or AMX) run u8·s8 without int16 saturation (Linux: cpuinfo flags; elsewhere assumed absent). */
export function cpuHasVnni(): boolean {
  try {
    return /\b(avx512_vnni|avx_vnni|amx_int8)\b/.test(readFileSync('/proc/cpuinfo', 'utf8'));
  } catch {
    return false;
  }
}

function planFor(weights: Exclude<WeightType, 'auto'>, activations: ActivationType): Omit<Int8Plan, 'ranges'> {
  return { activations, weights: weights === 'uint8' ? 'uint8' : 'int8', weightMax: weights === 'int8-7bit' ? 63 : 127 };
}

/** Decoded + preprocessed calibration images (undecodable ones are skipped). */
async function calibrationBatch(images: Uint8Array[], size: [number, number], mode: PreprocessMode): Promise<Float32Array> {
  const per = size[0] * size[1] * 3;
  const pixels: Uint8Array[] = [];
  for (const img of images) {
    const px = await decodeResize(img, size).catch(() => undefined);
    if (px) pixels.push(px);
  }
  if (pixels.length === 0) throw new KerasModelsError('BAD_INPUT', 'int8 calibration needs at least one decodable image');
  const out = new Float32Array(pixels.length * per);
  pixels.forEach((px, i) => preprocessPixels(px, mode, out, i * per));
  return out;
}

function cacheKey(loaded: LoadedKerasModel, mode: PreprocessMode, images: Uint8Array[], settings: object): string {
  const h = createHash('sha256').update(CACHE_VERSION).update(JSON.stringify(loaded.topology)).update(JSON.stringify({ mode, settings }));
  const data = loaded.artifacts.weightData;
  for (const buf of Array.isArray(data) ? data : data ? [data] : []) h.update(new Uint8Array(buf));
  for (const img of images) h.update(createHash('sha256').update(img).digest());
  return h.digest('hex').slice(0, 24);
}

type CachedMeta = Omit<CompiledOnnxModel, 'bytes'> & { report: Omit<Int8Report, 'cached' | 'fellBack'> };

async function readCache(dir: string, key: string): Promise<{ compiled: CompiledOnnxModel; report: Int8Report } | undefined> {
  const file = path.join(dir, `${key}.onnx`);
  if (!existsSync(file) || !existsSync(`${file}.json`)) return undefined;
  const meta = JSON.parse(await readFile(`${file}.json`, 'utf8')) as CachedMeta;
  const { report, ...rest } = meta;
  return { compiled: { ...rest, bytes: new Uint8Array(await readFile(file)) }, report: { ...report, cached: true, fellBack: false } };
}

async function writeCache(dir: string, key: string, compiled: CompiledOnnxModel, report: Int8Report): Promise<void> {
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, `${key}.onnx`);
  const tmp = `${file}.tmp-${process.pid}-${Date.now()}`;
  const { bytes, ...rest } = compiled;
  const { cached: _c, fellBack: _f, ...stored } = report;
  await writeFile(`${tmp}.json`, JSON.stringify({ ...rest, report: stored }));
  await writeFile(tmp, bytes);
  await rename(tmp, file); // the model first, then its metadata: a reader needs both
  await rename(`${tmp}.json`, `${file}.json`);
}

/**
 * The int8 (QDQ) ONNX model of a Keras model, statically calibrated on `images` (MinMax and percentile, the better
 * agreement with FP32 wins), or read from the cache. The report carries the agreement; `fellBack` means FP32 is to be used.
 */
export async function quantizeModel(
  loaded: LoadedKerasModel,
  mode: PreprocessMode,
  options: Int8Options,
  run: { threads?: number; onWarning?: (m: string) => void; onProgress?: (m: string) => void } = {},
): Promise<{ compiled: CompiledOnnxModel; report: Int8Report }> {
  const o = withDefaults(INT8_DEFAULTS, options);
  if (o.method !== 'auto' && !CALIBRATION_METHODS.includes(o.method)) throw new KerasModelsError('BAD_OPTION', `unknown calibration method ${JSON.stringify(o.method)}`);
  if (!Array.isArray(o.images)) throw new KerasModelsError('BAD_OPTION', 'int8 needs calibration images (int8.images)');
  const weights = o.weights === 'auto' ? (cpuHasVnni() ? 'int8' : 'int8-7bit') : o.weights;
  const settings = { method: o.method, percentile: o.percentile, activations: o.activations, weights, biasCorrection: o.biasCorrection };
  const key = cacheKey(loaded, mode, o.images, settings);
  const hit = await readCache(o.cacheDir, key);
  if (hit) return finish(hit, o, run.onWarning);
  run.onProgress?.(`calibrating int8 on ${o.images.length} images`);
  const x = await calibrationBatch(o.images, loaded.inputSize, mode);
  const ranges = await calibrationRanges(loaded.model, x, { percentile: o.percentile, threads: run.threads });
  const classes = loaded.numClasses;
  const ref = await predictAll(compileKerasToOnnx(loaded.model), x, run.threads);
  const methods = o.method === 'auto' ? CALIBRATION_METHODS : [o.method];
  let best: { method: CalibrationMethod; compiled: CompiledOnnxModel; top1: number; mad: number } | undefined;
  const agree: Partial<Record<CalibrationMethod, number>> = {};
  for (const method of methods) {
    const means = o.biasCorrection ? ranges.means : undefined;
    const compiled = compileKerasToOnnxInt8(loaded.model, { ranges: ranges[method], means, ...planFor(weights, o.activations) });
    const a = agreement(ref, await predictAll(compiled, x, run.threads), classes);
    agree[method] = a.top1;
    if (!best || a.top1 > best.top1 || (a.top1 === best.top1 && a.meanAbsDiff < best.mad)) best = { method, compiled, top1: a.top1, mad: a.meanAbsDiff };
  }
  const report: Int8Report = {
    method: best!.method,
    agreement: agree,
    top1Agreement: best!.top1,
    images: x.length / (loaded.inputSize[0] * loaded.inputSize[1] * 3),
    activations: o.activations,
    weights,
    biasCorrection: o.biasCorrection,
    key,
    cached: false,
    fellBack: false,
  };
  await writeCache(o.cacheDir, key, best!.compiled, report);
  return finish({ compiled: best!.compiled, report }, o, run.onWarning);
}

function finish(
  r: { compiled: CompiledOnnxModel; report: Int8Report },
  o: { minAgreement: number; fallback: boolean },
  onWarning?: (m: string) => void,
): { compiled: CompiledOnnxModel; report: Int8Report } {
  const pct = (v: number) => `${(v * 100).toFixed(1)} %`;
  if (r.report.top1Agreement >= o.minAgreement) return r;
  onWarning?.(
    `int8 top-1 agreement with FP32 is ${pct(r.report.top1Agreement)} on ${r.report.images} calibration images, below ${pct(o.minAgreement)}` +
      (o.fallback ? ': running FP32 instead' : ' (pass fallback to run FP32 instead)'),
  );
  return { ...r, report: { ...r.report, fellBack: o.fallback } };
}
