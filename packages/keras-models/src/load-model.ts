import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, realpath, rename, rm, stat, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';
import type * as tf from './tfjs.js';
import type { LoadedKerasModel } from './backend.js';
import pMap from 'p-map';
import { KerasModelsError } from './errors.js';
import { httpGetBytes, httpGetFile, type HttpOptions } from './http-get.js';
import { checkGroupSizes, decodeWeights, parseModelJson, type ModelManifest } from './manifest.js';
import { mainTf, memoryHandler } from './tfjs-main.js';

export interface LoadModelOptions {
  /** Where http(s) models are cached (one sub-directory per model.json URL). Default `~/.cache/oidstream/models`. */
  cacheDir?: string;
  /** Re-download even when the cache holds the model. Default false. */
  refresh?: boolean;
  /** fetch implementation (tests, proxies). Default globalThis.fetch. */
  fetch?: typeof fetch;
  /** Timeouts and size cap of each downloaded file (HTTP_DEFAULTS: 30 s to first byte, 60 s idle, 10 min, 1 GiB). */
  http?: HttpOptions;
  /** One-line progress notes (downloads). */
  onProgress?: (message: string) => void;
}

export const LOAD_MODEL_DEFAULTS = {
  cacheDir: path.join(homedir(), '.cache', 'oidstream', 'models'),
  refresh: false,
} as const;

const DOWNLOAD_CONCURRENCY = 6;

const isUrl = (s: string) => /^https?:\/\//i.test(s);

/**
 * Load a Keras model: a tfjs layers directory (or its model.json), an http(s) URL of one (downloaded once into the
 * cache dir), or a Keras `.h5` file (handled by `./h5-loader.js`). The manifest is checked as untrusted input.
 */
export async function loadKerasModel(source: string, options: LoadModelOptions = {}): Promise<LoadedKerasModel> {
  if (typeof source !== 'string' || source.length === 0) throw new KerasModelsError('BAD_OPTION', 'model source is empty');
  if (isUrl(source)) {
    const dir = await cacheModelFromUrl(source, options);
    const loaded = await loadModelDir(dir);
    return { ...loaded, source };
  }
  if (/\.(h5|hdf5|keras)$/i.test(source)) return loadH5(source, options); // the h5 loader explains .keras (zip) files
  return loadModelDir(source);
}

async function loadH5(file: string, options: LoadModelOptions): Promise<LoadedKerasModel> {
  if (!existsSync(file)) throw new KerasModelsError('MODEL_NOT_FOUND', `no such .h5 file: ${file}`);
  const spec = './h5-loader.js'; // written alongside the Keras architectures; looked up lazily so this file stands alone
  let mod: { loadH5Model?: (file: string, options: LoadModelOptions) => Promise<LoadedKerasModel> };
  try {
    mod = await import(spec);
  } catch (err) {
    throw new KerasModelsError('BACKEND_UNAVAILABLE', `loading .h5 files is not available in this build (${(err as Error).message})`, { cause: err });
  }
  if (typeof mod.loadH5Model !== 'function') throw new KerasModelsError('BACKEND_UNAVAILABLE', 'h5-loader exports no loadH5Model');
  return mod.loadH5Model(file, options);
}

/** Read and validate model.json + shards from a directory (or a path to its model.json). */
export async function loadModelDir(source: string): Promise<LoadedKerasModel> {
  let jsonPath = path.resolve(source);
  const st = await stat(jsonPath).catch(() => undefined);
  if (!st) throw new KerasModelsError('MODEL_NOT_FOUND', `no model at ${source}`);
  if (st.isDirectory()) jsonPath = path.join(jsonPath, 'model.json');
  const dir = path.dirname(jsonPath);
  const text = await readFile(jsonPath, 'utf8').catch(() => {
    throw new KerasModelsError('MODEL_NOT_FOUND', `no model.json in ${source}`);
  });
  const manifest = parseManifestText(text, jsonPath);
  const realDir = await realpath(dir).catch(() => dir);
  const groupData = await Promise.all(
    manifest.groups.map(async (g) => {
      const parts = await Promise.all(
        g.paths.map(async (p) => {
          const file = path.resolve(dir, p);
          const rel = path.relative(dir, file);
          if (rel.startsWith('..') || path.isAbsolute(rel)) {
            throw new KerasModelsError('SHARD_PATH_ESCAPE', `shard path ${JSON.stringify(p)} escapes the model directory`);
          }
          // a symlink may point anywhere: the file it resolves to must be inside the model directory too
          const real = await realpath(file).catch(() => file);
          const realRel = path.relative(realDir, real);
          if (realRel.startsWith('..') || path.isAbsolute(realRel)) {
            throw new KerasModelsError('SHARD_PATH_ESCAPE', `shard ${JSON.stringify(p)} is a link to ${real}, outside the model directory`);
          }
          return readFile(file).catch((err: NodeJS.ErrnoException) => {
            throw new KerasModelsError('SHARD_MISSING', `weight shard ${p} listed in ${jsonPath} cannot be read (${err.code ?? err.message})`);
          });
        }),
      );
      return parts;
    }),
  );
  const loaded = await buildModel(manifest, groupData);
  return { ...loaded, source, dir };
}

export function parseManifestText(text: string, where: string): ModelManifest {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new KerasModelsError('BAD_MANIFEST', `${where} is not valid JSON (${(err as Error).message})`);
  }
  return parseModelJson(json);
}

/** Check sizes and values, then build the tfjs LayersModel from validated bytes. */
export async function buildModel(
  manifest: ModelManifest,
  shards: Uint8Array[][],
): Promise<Omit<LoadedKerasModel, 'source' | 'dir'>> {
  checkGroupSizes(
    manifest.groups,
    shards.map((g) => g.map((b) => b.byteLength)),
  );
  const groupData = shards.map((parts) => (parts.length === 1 ? parts[0] : Buffer.concat(parts)));
  const weights = decodeWeights(manifest.groups, groupData);
  // One ArrayBuffer per group: tfjs ≥ 4.x accepts weightData as an array of buffers.
  const weightData: ArrayBuffer[] = groupData.map((b) => b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer);
  const artifacts: tf.io.ModelArtifacts = {
    modelTopology: manifest.modelTopology as unknown as tf.io.ModelArtifacts['modelTopology'],
    format: 'layers-model',
    weightSpecs: manifest.groups.flatMap((g) => g.weights) as tf.io.WeightsManifestEntry[],
    weightData,
  };
  const tfm = await mainTf();
  let model: tf.LayersModel;
  try {
    model = await tfm.loadLayersModel(memoryHandler(artifacts));
  } catch (err) {
    const msg = (err as Error).message;
    const code = /Unknown layer|not registered|Unknown (activation|initializer|constraint|regularizer)/i.test(msg) ? 'UNSUPPORTED_LAYER' : 'BAD_WEIGHTS';
    throw new KerasModelsError(code, `tfjs cannot build this Keras model: ${msg}`, { cause: err });
  }
  const inShape = model.inputs[0].shape;
  const outShape = model.outputs[0].shape;
  if (inShape.length !== 4 || inShape[3] !== 3) {
    model.dispose();
    throw new KerasModelsError('BAD_MANIFEST', `expected an image model with NHWC RGB input, got input shape ${JSON.stringify(inShape)}`);
  }
  return {
    model,
    topology: manifest.topology,
    weights,
    artifacts,
    inputSize: [inShape[1] ?? 224, inShape[2] ?? 224],
    numClasses: outShape[outShape.length - 1] ?? 0,
  };
}

/** The model.json URL for a source URL: as given when it ends in .json, else `<url>/model.json`. */
export function modelJsonUrl(source: string): URL {
  const u = new URL(source);
  if (!u.pathname.endsWith('.json')) u.pathname = u.pathname.replace(/\/?$/, '/model.json');
  return u;
}

/** A shard URL relative to model.json; it must stay under model.json's directory on the same origin. */
export function shardUrl(jsonUrl: URL, shardPath: string): URL {
  const base = new URL('.', jsonUrl);
  const u = new URL(shardPath, jsonUrl);
  if (u.origin !== base.origin || !u.pathname.startsWith(base.pathname)) {
    throw new KerasModelsError('SHARD_PATH_ESCAPE', `shard path ${JSON.stringify(shardPath)} leaves ${base.href}`);
  }
  return u;
}

/** Download model.json + shards once into `<cacheDir>/<hash of URL>/`; later calls read the cache. */
export async function cacheModelFromUrl(source: string, options: LoadModelOptions = {}): Promise<string> {
  const cacheDir = options.cacheDir ?? LOAD_MODEL_DEFAULTS.cacheDir;
  const jsonUrl = modelJsonUrl(source);
  const key = createHash('sha256').update(jsonUrl.href).digest('hex').slice(0, 16);
  const dir = path.join(cacheDir, key);
  if (!(options.refresh ?? LOAD_MODEL_DEFAULTS.refresh) && existsSync(path.join(dir, 'model.json'))) return dir;

  const http: HttpOptions = { ...options.http, fetch: options.http?.fetch ?? options.fetch };
  /** A 404 names what is missing; other failures keep their FETCH_* code and reason. */
  const notFound = (err: unknown, code: 'MODEL_NOT_FOUND' | 'SHARD_MISSING'): unknown =>
    (err as { status?: number }).status === 404 ? new KerasModelsError(code, (err as Error).message, { cause: err }) : err;
  options.onProgress?.(`downloading ${jsonUrl.href}`);
  const jsonBytes = await httpGetBytes(jsonUrl.href, http).catch((err: unknown) => {
    throw notFound(err, 'MODEL_NOT_FOUND');
  });
  const manifest = parseManifestText(Buffer.from(jsonBytes).toString('utf8'), jsonUrl.href);
  const tmp = `${dir}.tmp-${process.pid}-${Date.now()}`;
  await mkdir(tmp, { recursive: true });
  try {
    // DenseNet121 has 241 shards: fetch a few at a time, each streamed to its file.
    const shardPaths = manifest.groups.flatMap((g) => g.paths);
    await pMap(
      shardPaths,
      async (p) => {
        const u = shardUrl(jsonUrl, p);
        const file = path.join(tmp, p);
        await mkdir(path.dirname(file), { recursive: true });
        await httpGetFile(u.href, file, http).catch((err: unknown) => {
          throw notFound(err, 'SHARD_MISSING');
        });
      },
      { concurrency: DOWNLOAD_CONCURRENCY },
    );
    await writeFile(path.join(tmp, 'model.json'), jsonBytes);
    await rm(dir, { recursive: true, force: true });
    await rename(tmp, dir); // a half-downloaded model never looks complete
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw err;
  }
  options.onProgress?.(`cached ${jsonUrl.href} in ${dir}`);
  return dir;
}
