import { createServer, type Server } from 'node:http';
import { mkdtemp, readFile, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KerasModelsError } from './errors.js';
import { loadKerasModel, modelJsonUrl, shardUrl } from './load-model.js';
import { makeTinyModel, saveModelDir, TINY_CLASSES, TINY_SIZE } from '../test/tiny-model.js';

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(KerasModelsError);
    return (err as KerasModelsError).code;
  }
  return 'no error';
}

let root: string;
let good: string;
let modelJson: Record<string, unknown>;
let weightBytes: Uint8Array;

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'keras-load-'));
  good = path.join(root, 'good');
  ({ modelJson, weightBytes } = await saveModelDir(await makeTinyModel(), good, 3));
});
afterAll(() => rm(root, { recursive: true, force: true }));

/** A copy of the good model with model.json rewritten by `edit` and shards optionally replaced. */
async function variant(name: string, edit: (j: any) => void, shards?: Record<string, Uint8Array>): Promise<string> {
  const dir = path.join(root, name);
  const j = structuredClone(modelJson) as any;
  edit(j);
  await saveModelDir(await makeTinyModel(), dir, 3);
  await writeFile(path.join(dir, 'model.json'), JSON.stringify(j));
  for (const [p, b] of Object.entries(shards ?? {})) await writeFile(path.join(dir, p), b);
  return dir;
}

describe('loadKerasModel from a directory', () => {
  it('loads model.json + 3 shards into a working LayersModel with topology and named weights', async () => {
    const loaded = await loadKerasModel(good);
    expect(loaded.inputSize).toEqual([TINY_SIZE, TINY_SIZE]);
    expect(loaded.numClasses).toBe(TINY_CLASSES);
    expect([...loaded.weights.keys()]).toEqual(['conv1/kernel', 'conv1/bias', 'predictions/kernel', 'predictions/bias']);
    expect(loaded.weights.get('conv1/kernel')!.shape).toEqual([3, 3, 3, 4]);
    expect(loaded.topology.config.layers.map((l) => l.class_name)).toEqual(['Conv2D', 'GlobalAveragePooling2D', 'Dense']);
    expect(Array.isArray(loaded.artifacts.weightData)).toBe(true);
    const kernel = loaded.model.getLayer('conv1').getWeights()[0];
    expect(Array.from(kernel.dataSync())).toEqual(Array.from(loaded.weights.get('conv1/kernel')!.data));
    // also accepts the model.json path itself
    expect((await loadKerasModel(path.join(good, 'model.json'))).numClasses).toBe(TINY_CLASSES);
  });

  it('reports a missing model, a missing shard and broken JSON with codes', async () => {
    expect(await codeOf(loadKerasModel(path.join(root, 'nope')))).toBe('MODEL_NOT_FOUND');
    expect(await codeOf(loadKerasModel(root))).toBe('MODEL_NOT_FOUND'); // a dir without model.json
    expect(await codeOf(loadKerasModel(path.join(root, 'nope.h5')))).toBe('MODEL_NOT_FOUND');
    expect(await codeOf(loadKerasModel(path.join(root, 'model.keras')))).toBe('MODEL_NOT_FOUND');
    const missing = await variant('missing', (j) => j.weightsManifest[0].paths.push('group1-shard4of3'));
    expect(await codeOf(loadKerasModel(missing))).toBe('SHARD_MISSING');
    const broken = path.join(root, 'broken');
    await saveModelDir(await makeTinyModel(), broken, 1);
    await writeFile(path.join(broken, 'model.json'), '{"modelTopology": ');
    expect(await codeOf(loadKerasModel(broken))).toBe('BAD_MANIFEST');
  });

  it('refuses shard paths that escape the model directory (before reading them)', async () => {
    await writeFile(path.join(root, 'outside.bin'), weightBytes);
    const esc = await variant('escape', (j) => (j.weightsManifest[0].paths = ['../outside.bin']));
    expect(await codeOf(loadKerasModel(esc))).toBe('SHARD_PATH_ESCAPE');
    const abs = await variant('absolute', (j) => (j.weightsManifest[0].paths = [path.join(root, 'outside.bin')]));
    expect(await codeOf(loadKerasModel(abs))).toBe('SHARD_PATH_ESCAPE');
    // a shard that is a symlink to a file outside the directory is refused too; one that stays inside loads
    const linked = await variant('symlink-out', () => {});
    const shard = path.join(linked, 'group1-shard1of3');
    await rename(shard, path.join(root, 'moved-shard'));
    await symlink(path.join(root, 'moved-shard'), shard);
    expect(await codeOf(loadKerasModel(linked))).toBe('SHARD_PATH_ESCAPE');
    const inside = await variant('symlink-in', () => {});
    await rename(path.join(inside, 'group1-shard1of3'), path.join(inside, 'kept'));
    await symlink('kept', path.join(inside, 'group1-shard1of3'));
    expect((await loadKerasModel(inside)).numClasses).toBe(TINY_CLASSES);
  });

  it('refuses shards whose size does not match the manifest', async () => {
    const shard1 = await readFile(path.join(good, 'group1-shard1of3'));
    const short = await variant('short', () => {}, { 'group1-shard1of3': shard1.subarray(0, shard1.length - 4) });
    expect(await codeOf(loadKerasModel(short))).toBe('SHARD_SIZE_MISMATCH');
    const long = await variant('long', () => {}, { 'group1-shard1of3': Buffer.concat([shard1, Buffer.alloc(4)]) });
    expect(await codeOf(loadKerasModel(long))).toBe('SHARD_SIZE_MISMATCH');
    const shape = await variant('shape', (j) => (j.weightsManifest[0].weights[2].shape = [4, 999]));
    expect(await codeOf(loadKerasModel(shape))).toBe('SHARD_SIZE_MISMATCH');
  });

  it('refuses NaN weights', async () => {
    const shard1 = Buffer.from(await readFile(path.join(good, 'group1-shard1of3')));
    shard1.writeFloatLE(NaN, 8);
    const nan = await variant('nan', () => {}, { 'group1-shard1of3': shard1 });
    expect(await codeOf(loadKerasModel(nan))).toBe('NAN_WEIGHTS');
  });

  it('names a layer tfjs does not know', async () => {
    const dir = await variant('unknown-layer', (j) => (j.modelTopology.config.layers[1].class_name = 'FancyPooling'));
    expect(await codeOf(loadKerasModel(dir))).toBe('UNSUPPORTED_LAYER');
  });
});

describe('loadKerasModel from http(s)', () => {
  let server: Server;
  let base: string;
  let requests: string[];
  beforeAll(async () => {
    requests = [];
    server = createServer(async (req, res) => {
      requests.push(req.url!);
      const rel = decodeURIComponent(req.url!.replace(/^\/models\//, ''));
      try {
        res.end(await readFile(path.join(root, rel)));
      } catch {
        res.statusCode = 404;
        res.end();
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const addr = server.address() as { port: number };
    base = `http://127.0.0.1:${addr.port}/models`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('downloads once into the cache dir, then loads from the cache without the network', async () => {
    const cacheDir = path.join(root, 'cache');
    const a = await loadKerasModel(`${base}/good/`, { cacheDir });
    expect(a.numClasses).toBe(TINY_CLASSES);
    expect(requests[0]).toBe('/models/good/model.json');
    expect(requests.slice(1).sort()).toEqual(['/models/good/group1-shard1of3', '/models/good/group1-shard2of3', '/models/good/group1-shard3of3']);
    requests.length = 0;
    const b = await loadKerasModel(`${base}/good/model.json`, { cacheDir });
    expect(requests).toEqual([]);
    expect(b.source).toBe(`${base}/good/model.json`);
    expect(Array.from(b.weights.get('predictions/bias')!.data)).toEqual(Array.from(a.weights.get('predictions/bias')!.data));
  });

  it('maps 404s and escaping shard URLs to codes and leaves no partial cache', async () => {
    const cacheDir = path.join(root, 'cache2');
    expect(await codeOf(loadKerasModel(`${base}/absent/`, { cacheDir }))).toBe('MODEL_NOT_FOUND');
    await variant('url-escape', (j) => (j.weightsManifest[0].paths = ['../good/group1-shard1of3']));
    expect(await codeOf(loadKerasModel(`${base}/url-escape/`, { cacheDir }))).toBe('SHARD_PATH_ESCAPE');
    expect(await codeOf(loadKerasModel(`${base}/missing/`, { cacheDir }))).toBe('SHARD_MISSING');
    expect(await codeOf(loadKerasModel('http://127.0.0.1:1/x/', { cacheDir: path.join(root, 'cache3') }))).toBe('FETCH_FAILED');
  });

  it('resolves model.json and shard URLs like tfjs does', () => {
    expect(modelJsonUrl('https://h/m').href).toBe('https://h/m/model.json');
    expect(modelJsonUrl('https://h/m/').href).toBe('https://h/m/model.json');
    expect(modelJsonUrl('https://h/m/other.json').href).toBe('https://h/m/other.json');
    expect(shardUrl(new URL('https://h/m/model.json'), 'group1-shard1of1').href).toBe('https://h/m/group1-shard1of1');
    expect(() => shardUrl(new URL('https://h/m/model.json'), '//evil/x')).toThrow(KerasModelsError);
  });
});
