import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';
import { KerasModelsError } from './errors.js';
import { httpGetBytes, type HttpOptions } from './http-get.js';

/** One decoded prediction, as Keras `decode_predictions` gives it. */
export interface Prediction {
  wnid: string;
  label: string;
  score: number;
}

/** Class index → [wnid, label], as in Keras' imagenet_class_index.json. */
export type ClassIndex = readonly (readonly [string, string])[];

/** Where Keras itself keeps and fetches the class index. */
export const CLASS_INDEX_URL = 'https://storage.googleapis.com/download.tensorflow.org/data/imagenet_class_index.json';
export const CLASS_INDEX_FILE = 'imagenet_class_index.json';

/** Parse Keras' `{"0": ["n01440764", "tench"], …}`. Pure. */
export function parseClassIndex(json: unknown, where = CLASS_INDEX_FILE): ClassIndex {
  const fail = (why: string): never => {
    throw new KerasModelsError('BAD_CLASS_INDEX', `${where}: ${why}`);
  };
  if (typeof json !== 'object' || json === null || Array.isArray(json)) fail('not a JSON object of "index": [wnid, label]');
  const entries = Object.entries(json as Record<string, unknown>);
  const out: [string, string][] = new Array(entries.length);
  for (const [k, v] of entries) {
    const i = Number(k);
    if (!Number.isInteger(i) || i < 0 || i >= entries.length) fail(`key ${JSON.stringify(k)} is not an index 0..${entries.length - 1}`);
    if (!Array.isArray(v) || v.length !== 2 || typeof v[0] !== 'string' || typeof v[1] !== 'string') fail(`entry ${k} is not [wnid, label]`);
    const pair = v as [string, string];
    out[i] = [pair[0], pair[1]];
  }
  if (out.length === 0) fail('empty');
  return out;
}

/** Top-k of one probability row (Keras decode_predictions order: highest first; ties by lower index). Pure. */
export function decodeTopK(probs: ArrayLike<number>, classIndex: ClassIndex, k = 5): Prediction[] {
  if (probs.length !== classIndex.length) {
    throw new KerasModelsError('BAD_INPUT', `model gives ${probs.length} classes but the class index has ${classIndex.length}`);
  }
  const kk = Math.max(0, Math.min(k, probs.length));
  const top: number[] = []; // indices, highest score first
  for (let i = 0; i < probs.length && kk > 0; i++) {
    const p = probs[i];
    if (top.length === kk && !(p > probs[top[kk - 1]])) continue;
    let j = top.length === kk ? kk - 1 : top.length;
    while (j > 0 && probs[top[j - 1]] < p) {
      top[j] = top[j - 1];
      j--;
    }
    top[j] = i;
  }
  return top.map((i) => ({ wnid: classIndex[i][0], label: classIndex[i][1], score: probs[i] }));
}

export interface ClassIndexOptions {
  /** Explicit file; when set, nothing else is tried. */
  path?: string;
  /** The model's directory: `<dir>/imagenet_class_index.json`, then `<dir>/../imagenet_class_index.json`. */
  modelDir?: string;
  /** Keras' cache dir. Default `~/.keras/models` (or `$KERAS_HOME/models`). */
  kerasCacheDir?: string;
  /** Download from CLASS_INDEX_URL into the Keras cache when not found. Default true. */
  download?: boolean;
  fetch?: typeof fetch;
  /** Timeouts and size cap of the download (HTTP_DEFAULTS, with a 16 MiB cap: the real file is 35 KB). */
  http?: HttpOptions;
  onProgress?: (message: string) => void;
}

export function defaultKerasCacheDir(): string {
  return path.join(process.env.KERAS_HOME ?? path.join(homedir(), '.keras'), 'models');
}

/** The candidate files, in the order they are tried (before downloading). */
export function classIndexCandidates(options: ClassIndexOptions = {}): string[] {
  if (options.path) return [path.resolve(options.path)];
  const list: string[] = [];
  if (options.modelDir) {
    list.push(path.resolve(options.modelDir, CLASS_INDEX_FILE), path.resolve(options.modelDir, '..', CLASS_INDEX_FILE));
  }
  list.push(path.join(options.kerasCacheDir ?? defaultKerasCacheDir(), CLASS_INDEX_FILE));
  return list;
}

const cache = new Map<string, Promise<ClassIndex>>();

/** Find the class index the way Keras does (explicit → beside the model → ~/.keras/models → download into it). */
export function loadClassIndex(options: ClassIndexOptions = {}): Promise<ClassIndex> {
  const candidates = classIndexCandidates(options);
  const key = candidates.join('\0');
  let p = cache.get(key);
  if (!p) {
    p = findClassIndex(candidates, options);
    cache.set(key, p);
    p.catch(() => cache.delete(key));
  }
  return p;
}

async function readIndex(file: string): Promise<ClassIndex> {
  const text = await readFile(file, 'utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new KerasModelsError('BAD_CLASS_INDEX', `${file} is not valid JSON (${(err as Error).message})`);
  }
  return parseClassIndex(json, file);
}

async function findClassIndex(candidates: string[], options: ClassIndexOptions): Promise<ClassIndex> {
  for (const file of candidates) if (existsSync(file)) return readIndex(file);
  if (options.path) throw new KerasModelsError('CLASS_INDEX_NOT_FOUND', `class index ${options.path} does not exist`);
  const target = candidates[candidates.length - 1];
  if (options.download === false) {
    throw new KerasModelsError('CLASS_INDEX_NOT_FOUND', `${CLASS_INDEX_FILE} not found (looked in ${candidates.join(', ')})`);
  }
  options.onProgress?.(`downloading ${CLASS_INDEX_URL} → ${target}`);
  let text: string;
  try {
    const http = { maxBytes: 16 * 2 ** 20, ...options.http, fetch: options.http?.fetch ?? options.fetch };
    text = Buffer.from(await httpGetBytes(CLASS_INDEX_URL, http)).toString('utf8');
  } catch (err) {
    throw new KerasModelsError(
      'CLASS_INDEX_NOT_FOUND',
      `${CLASS_INDEX_FILE} not found (looked in ${candidates.join(', ')}) and downloading ${CLASS_INDEX_URL} failed: ${(err as Error).message}; pass its path explicitly`,
      { cause: err },
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new KerasModelsError('BAD_CLASS_INDEX', `${CLASS_INDEX_URL} did not return JSON (${(err as Error).message})`);
  }
  const index = parseClassIndex(json, CLASS_INDEX_URL);
  await mkdir(path.dirname(target), { recursive: true });
  const tmp = `${target}.tmp-${process.pid}`;
  await writeFile(tmp, text);
  await rename(tmp, target);
  return index;
}
