import path from 'node:path';
import type { BackendChoice, LoadedKerasModel, ModelRunner } from './backend.js';
import { checkBackendChoice, createRunner } from './create-runner.js';
import { withDefaults } from './defaults.js';
import { KerasModelsError } from './errors.js';
import { decodeTopK, loadClassIndex, type ClassIndex, type ClassIndexOptions, type Prediction } from './imagenet.js';
import { loadKerasModel, type LoadModelOptions } from './load-model.js';
import { decodeResize, preprocessingFor, preprocessPixels, PREPROCESS_MODES, type DecodeOptions, type PreprocessMode } from './preprocess.js';

/** A model ready to classify: runner + how to feed it + how to read its output. */
export interface ClassifierModel {
  /** Column prefix: `<name>_label`, `<name>_wnid`, `<name>_score`, `<name>_top5`. */
  name: string;
  runner: ModelRunner;
  preprocessing: PreprocessMode;
  classIndex: ClassIndex;
  /** The loaded Keras model (absent when the runner was made elsewhere). */
  loaded?: LoadedKerasModel;
}

export interface OpenClassifierOptions extends LoadModelOptions {
  /** Column prefix for this model. Must be an identifier (letters, digits, _). */
  name: string;
  /** Model directory, model.json, http(s) URL, or .h5 file. */
  source: string;
  /** Default 'auto'. */
  backend?: BackendChoice;
  /** Default: chosen from the model (Keras application name / layer names / `name`); error when unknown. */
  preprocessing?: PreprocessMode;
  /** imagenet_class_index.json lookup (explicit path, beside the model, ~/.keras/models, download). */
  classIndex?: ClassIndexOptions;
  /** Threads / worker threads for the backend. Default os.availableParallelism(). */
  threads?: number;
  onWarning?: (message: string) => void;
}

const NAME_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function checkModelName(name: string): string {
  if (typeof name !== 'string' || !NAME_RE.test(name)) {
    throw new KerasModelsError('BAD_OPTION', `model name ${JSON.stringify(name)} must be letters, digits and _ (it prefixes column names)`);
  }
  return name;
}

/** Load a model, pick its preprocessing and class index, and start it on a backend. */
export async function openClassifier(options: OpenClassifierOptions): Promise<ClassifierModel> {
  if (typeof options !== 'object' || options === null) throw new KerasModelsError('BAD_OPTION', 'openClassifier needs { name, source }');
  const name = checkModelName(options.name);
  checkBackendChoice(options.backend); // before a model download, not after
  if (options.preprocessing !== undefined && !PREPROCESS_MODES.includes(options.preprocessing)) {
    throw new KerasModelsError('BAD_OPTION', `unknown preprocessing ${JSON.stringify(options.preprocessing)} (use ${PREPROCESS_MODES.join(', ')})`);
  }
  const loaded = await loadKerasModel(options.source, options);
  try {
    const preprocessing = options.preprocessing ?? preprocessingFor(loaded.topology, name);
    if (!preprocessing) {
      throw new KerasModelsError(
        'BAD_OPTION',
        `cannot tell which preprocess_input model ${name} (${loaded.topology.config.name ?? 'unnamed'}) needs: pass preprocessing (${PREPROCESS_MODES.join(', ')})`,
      );
    }
    const classIndex = await loadClassIndex({
      ...options.classIndex,
      modelDir: options.classIndex?.modelDir ?? loaded.dir ?? (options.source.startsWith('http') ? undefined : path.dirname(options.source)),
      onProgress: options.classIndex?.onProgress ?? options.onProgress,
    });
    if (classIndex.length !== loaded.numClasses) {
      throw new KerasModelsError('BAD_CLASS_INDEX', `model ${name} has ${loaded.numClasses} outputs but the class index has ${classIndex.length} classes`);
    }
    const runner = await createRunner(loaded, { backend: options.backend, threads: options.threads, onWarning: options.onWarning });
    return { name, runner, preprocessing, classIndex, loaded };
  } catch (err) {
    loaded.model.dispose();
    throw err;
  }
}

export async function closeClassifier(model: ClassifierModel): Promise<void> {
  await model.runner.dispose();
  model.loaded?.model.dispose();
}

export interface ClassifyOptions extends DecodeOptions {
  models: ClassifierModel[];
  /** Images per predict() call. Default 16. */
  batchSize?: number;
  /** Predictions kept in `<model>_top5`. Default 5. */
  topK?: number;
  /** Record field holding the image bytes. Default 'chip'. */
  imageField?: string;
  /** Batches in flight at once (decode of one overlaps inference of another; feeds every worker). Default 2. */
  inFlight?: number;
  /** Image decodes in flight (sharp runs one thread per call here). Default 4. */
  decodeConcurrency?: number;
}

export const CLASSIFY_DEFAULTS = { batchSize: 16, topK: 5, imageField: 'chip', inFlight: 2, decodeConcurrency: 4 } as const;

type Row = Record<string, unknown>;

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

async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  });
  await Promise.all(workers);
  return out;
}

/** Resolved options, checked once. */
export function resolveClassifyOptions(options: ClassifyOptions): Required<Omit<ClassifyOptions, keyof DecodeOptions>> & DecodeOptions {
  const o = withDefaults(CLASSIFY_DEFAULTS, options);
  if (!Array.isArray(o.models) || o.models.length === 0) throw new KerasModelsError('BAD_OPTION', 'classify needs at least one model');
  const seen = new Set<string>();
  for (const m of o.models) {
    checkModelName(m.name);
    if (seen.has(m.name)) throw new KerasModelsError('BAD_OPTION', `model name ${m.name} is used twice`);
    seen.add(m.name);
  }
  for (const k of ['batchSize', 'topK', 'inFlight', 'decodeConcurrency'] as const) {
    if (!Number.isInteger(o[k]) || o[k] < 1) throw new KerasModelsError('BAD_OPTION', `${k} must be a positive integer, got ${o[k]}`);
  }
  return o;
}

/**
 * Classify one batch of records with every model: decode each image once per input size, preprocess per model,
 * predict, decode top-k. Returns new records (input fields + prediction columns), same order.
 */
export async function classifyBatch(records: Row[], options: ClassifyOptions): Promise<Row[]> {
  const o = resolveClassifyOptions(options);
  const out: Row[] = records.map((r) => ({ ...r }));
  if (records.length === 0) return out;
  const images = records.map((r, i) => {
    const v = r[o.imageField];
    if (!(v instanceof Uint8Array)) {
      throw new KerasModelsError('BAD_INPUT', `record ${i} has no image bytes in field ${JSON.stringify(o.imageField)}`);
    }
    return v;
  });
  const bySize = new Map<string, Promise<Uint8Array[]>>();
  for (const m of o.models) {
    const [h, w] = m.runner.inputSize;
    const key = `${h}x${w}`;
    if (!bySize.has(key)) {
      bySize.set(key, mapLimit(images, o.decodeConcurrency, (img) => decodeResize(img, [h, w], o)));
    }
  }
  await Promise.all(
    o.models.map(async (m) => {
      const [h, w] = m.runner.inputSize;
      const pixels = await bySize.get(`${h}x${w}`)!;
      const per = h * w * 3;
      const batch = new Float32Array(records.length * per);
      pixels.forEach((px, i) => preprocessPixels(px, m.preprocessing, batch, i * per));
      const probs = await m.runner.predict(batch, records.length);
      const c = m.runner.numClasses;
      for (let i = 0; i < records.length; i++) {
        Object.assign(out[i], predictionColumns(m.name, decodeTopK(probs.subarray(i * c, (i + 1) * c), m.classIndex, o.topK)));
      }
    }),
  );
  return out;
}
