import pMap from 'p-map';
import { checkModelName, type ClassifierModel } from './classifier.js';
import { withDefaults } from './defaults.js';
import { KerasModelsError } from './errors.js';
import { decodeTopK, type Prediction } from './imagenet.js';
import { CLASSIFY_ERROR_COLUMN } from './predictions-schema.js';
import { DECODE_DEFAULTS, decodeForSizes, preprocessResized, type DecodeOptions, type RgbImage } from './preprocess.js';

export interface ClassifyOptions extends DecodeOptions {
  models: ClassifierModel[];
  /** Images per predict() call. Default 16. */
  batchSize?: number;
  /** Predictions kept in `<model>_top5`. Default 5. */
  topK?: number;
  /** Record field holding the image bytes. Default 'chip'. */
  imageField?: string;
  /**
   * Record field holding pixels the caller already has (one decode for chip and model input): either the image
   * itself, `{ data, width, height }` (HWC RGB uint8), resized for every model as a decode of `imageField` would be,
   * or model inputs already resized, `{ '<height>x<width>': HWC RGB uint8, height·width·3 bytes }` (a size found
   * there is not decoded from `imageField`). The field is dropped from the output records. Default 'pixels'.
   */
  pixelsField?: string;
  /** Batches in flight at once (decode of one overlaps inference of another; feeds every worker). Default 2. */
  inFlight?: number;
  /** Image decodes in flight (sharp runs one thread per call here). Default 4. */
  decodeConcurrency?: number;
}

export const CLASSIFY_DEFAULTS = { batchSize: 16, topK: 5, imageField: 'chip', pixelsField: 'pixels', inFlight: 2, decodeConcurrency: 4 } as const;

export type ResolvedClassifyOptions = Required<Omit<ClassifyOptions, keyof DecodeOptions>> & DecodeOptions;

type Row = Record<string, unknown>;
type Size = [number, number];

/** Columns one model adds to each record. */
export function predictionColumns(name: string, top: Prediction[]): Row {
  const best = top[0];
  return {
    [`${name}_label`]: best.label,
    [`${name}_wnid`]: best.wnid,
    [`${name}_score`]: best.score,
    [`${name}_top5`]: JSON.stringify(top.map((p) => ({ wnid: p.wnid, label: p.label, score: p.score }))),
  };
}

/** The distinct [height, width] inputs of these models: the sizes a caller may put in a record's `pixels`. */
export function modelInputSizes(models: readonly Pick<ClassifierModel, 'runner'>[]): Array<[number, number]> {
  const seen = new Map<string, Size>();
  for (const m of models) {
    const [h, w] = m.runner.inputSize;
    seen.set(`${h}x${w}`, [h, w]);
  }
  return [...seen.values()];
}

// Batch buffers are reused per runner: a fresh ~10 MB Float32Array per batch kept the main thread's GC busy
// (4.9 s of 41 s over 3,387 chips). A few per runner cover the batches in flight.
const batchPool = new WeakMap<object, Float32Array[]>();

function takeBatch(runner: object, length: number): Float32Array {
  const free = batchPool.get(runner);
  const i = free?.findIndex((b) => b.length === length) ?? -1;
  return i >= 0 ? free!.splice(i, 1)[0] : new Float32Array(length);
}

function giveBatch(runner: object, batch: Float32Array): void {
  let free = batchPool.get(runner);
  if (!free) batchPool.set(runner, (free = []));
  if (free.length < 4) free.push(batch);
}

/** Resolved options, checked once. */
export function resolveClassifyOptions(options: ClassifyOptions): ResolvedClassifyOptions {
  const o = withDefaults(CLASSIFY_DEFAULTS, options);
  if (!Array.isArray(o.models) || o.models.length === 0) throw new KerasModelsError('BAD_OPTION', 'classify needs at least one model');
  const seen = new Set<string>();
  for (const m of o.models) {
    checkModelName(m.name);
    if (m.runner.inputPreprocessing !== undefined && m.runner.inputPreprocessing !== m.preprocessing) {
      throw new KerasModelsError('BAD_OPTION', `model ${m.name}: its runner applies ${m.runner.inputPreprocessing} preprocessing, the model needs ${m.preprocessing}`);
    }
    if (seen.has(m.name)) throw new KerasModelsError('BAD_OPTION', `model name ${m.name} is used twice`);
    seen.add(m.name);
  }
  for (const k of ['batchSize', 'topK', 'inFlight', 'decodeConcurrency'] as const) {
    if (!Number.isInteger(o[k]) || o[k] < 1) throw new KerasModelsError('BAD_OPTION', `${k} must be a positive integer, got ${o[k]}`);
  }
  return o;
}

/** A record's model inputs (one per size), or why it has none. */
type Inputs = { pixels: RgbImage[]; error?: undefined } | { error: string };

/** Pre-resized pixels of a record for each size (undefined where absent). A malformed entry is a caller bug: thrown. */
function givenPixels(record: Row, index: number, sizes: readonly Size[], field: string): (Uint8Array | undefined)[] {
  const given = record[field];
  if (given === undefined || given === null) return sizes.map(() => undefined);
  if (typeof given !== 'object') throw new KerasModelsError('BAD_INPUT', `record ${index}: ${field} must be an object keyed "<height>x<width>"`);
  return sizes.map(([h, w]) => {
    const px = (given as Row)[`${h}x${w}`];
    if (px === undefined || px === null) return undefined;
    if (!(px instanceof Uint8Array) || px.byteLength !== h * w * 3) {
      const got = px instanceof Uint8Array ? `${px.byteLength} bytes` : typeof px;
      throw new KerasModelsError('BAD_INPUT', `record ${index}: ${field}["${h}x${w}"] must hold ${h * w * 3} RGB bytes, got ${got}`);
    }
    return px;
  });
}

function noImageReason(bytes: unknown, field: string): string | undefined {
  if (bytes === undefined || bytes === null) return `no image bytes in field ${JSON.stringify(field)}`;
  if (!(bytes instanceof Uint8Array)) return `field ${JSON.stringify(field)} holds a ${typeof bytes}, not image bytes`;
  if (bytes.byteLength === 0) return `field ${JSON.stringify(field)} is empty (0 bytes)`;
  return undefined;
}

/** The decoded image a record carries in `field` (`{ data, width, height }`), if that is what it holds. */
function givenImage(record: Row, index: number, field: string): RgbImage | undefined {
  const img = record[field] as Partial<RgbImage> | null | undefined;
  if (!(img?.data instanceof Uint8Array)) return undefined;
  const { data, width, height } = img;
  if (!Number.isInteger(width) || !Number.isInteger(height) || data.byteLength !== width! * height! * 3 || !data.byteLength) {
    throw new KerasModelsError('BAD_INPUT', `record ${index}: ${field} must hold width·height·3 RGB bytes, got ${data.byteLength} for ${width}×${height}`);
  }
  return { data, width: width!, height: height! };
}

/** Pixels of one record for every size: taken from `pixelsField` where given, else decoded once from `imageField`. */
async function recordInputs(record: Row, index: number, sizes: readonly Size[], o: ResolvedClassifyOptions): Promise<Inputs> {
  // a given image is sampled as Keras' nearest resize (preprocessResized); other filters resize a decode of imageField
  const image = (o.interpolation ?? DECODE_DEFAULTS.interpolation) === 'nearest' ? givenImage(record, index, o.pixelsField) : undefined;
  if (image) return { pixels: sizes.map(() => image) };
  const pixels = givenPixels(record, index, sizes, o.pixelsField);
  const missing = sizes.filter((_, k) => pixels[k] === undefined);
  const given = (k: number): RgbImage => ({ data: pixels[k]!, width: sizes[k][1], height: sizes[k][0] });
  if (missing.length === 0) return { pixels: sizes.map((_, k) => given(k)) };
  const bytes = record[o.imageField];
  const absent = noImageReason(bytes, o.imageField);
  if (absent) return { error: `NO_IMAGE: ${absent}` };
  let decoded: RgbImage[];
  try {
    decoded = await decodeForSizes(bytes as Uint8Array, missing, o);
  } catch (err) {
    if (err instanceof KerasModelsError && (err.code === 'BAD_IMAGE' || err.code === 'IMAGE_TOO_LARGE')) return { error: `${err.code}: ${err.message}` };
    throw err;
  }
  let next = 0;
  return { pixels: sizes.map((_, k) => (pixels[k] ? given(k) : decoded[next++])) };
}

/**
 * Classify one batch of records with every model: each image decoded once (or its pre-resized pixels used),
 * preprocessed per model, predicted, top-k decoded. Returns new records (input fields without `pixelsField`, plus
 * prediction columns), same order. A record whose image is missing, empty, undecodable or over `maxPixels` gets
 * `classify_error` (`<CODE>: <reason>`) instead of prediction columns; the rest of the batch is classified.
 */
export async function classifyBatch(records: Row[], options: ClassifyOptions): Promise<Row[]> {
  const o = resolveClassifyOptions(options);
  const out: Row[] = records.map((r) => {
    const copy = { ...r };
    delete copy[o.pixelsField];
    return copy;
  });
  if (records.length === 0) return out;
  const sizes = modelInputSizes(o.models);
  const inputs = await pMap(records, (r, i) => recordInputs(r, i, sizes, o), { concurrency: o.decodeConcurrency });
  const ok: number[] = [];
  inputs.forEach((inp, i) => (inp.error === undefined ? ok.push(i) : (out[i][CLASSIFY_ERROR_COLUMN] = inp.error)));
  if (ok.length === 0) return out;
  await Promise.all(
    o.models.map(async (m) => {
      const [h, w] = m.runner.inputSize;
      const k = sizes.findIndex(([sh, sw]) => sh === h && sw === w);
      const per = h * w * 3;
      const batch = takeBatch(m.runner, ok.length * per);
      // a runner that preprocesses inside its model takes the raw pixels
      const mode = m.runner.inputPreprocessing ? 'none' : m.preprocessing;
      ok.forEach((i, j) => preprocessResized((inputs[i] as { pixels: RgbImage[] }).pixels[k], w, h, mode, batch, j * per));
      let probs: Float32Array;
      try {
        probs = await m.runner.predict(batch, ok.length);
      } finally {
        giveBatch(m.runner, batch);
      }
      const c = m.runner.numClasses;
      ok.forEach((i, j) => Object.assign(out[i], predictionColumns(m.name, decodeTopK(probs.subarray(j * c, (j + 1) * c), m.classIndex, o.topK))));
    }),
  );
  return out;
}
