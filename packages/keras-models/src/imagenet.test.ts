import { createServer } from 'node:http';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { needs } from '@oidstream/test-needs';
import { CLASS_INDEX_URL, classIndexCandidates, decodeTopK, loadClassIndex, parseClassIndex } from './imagenet.js';
import { syntheticClassIndex } from '../test/tiny-model.js';

const shared = process.env.OIDSTREAM_SHARED ?? path.resolve(import.meta.dirname, '../../../../shared');

describe('decodeTopK', () => {
  const index = parseClassIndex(syntheticClassIndex(50));
  it('matches a full sort, highest first, ties by lower index', () => {
    let seed = 7;
    const rnd = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    for (let trial = 0; trial < 50; trial++) {
      const probs = Float32Array.from({ length: 50 }, () => Math.round(rnd() * 20) / 20);
      const want = [...probs.keys()].sort((a, b) => probs[b] - probs[a] || a - b).slice(0, 5);
      const got = decodeTopK(probs, index, 5);
      expect(got.map((p) => p.wnid)).toEqual(want.map((i) => index[i][0]));
      expect(got.map((p) => p.score)).toEqual(want.map((i) => probs[i]));
    }
  });
  it('gives wnid, label, score and handles k beyond the class count', () => {
    const probs = new Float32Array(50);
    probs[42] = 0.9;
    probs[3] = 0.1;
    expect(decodeTopK(probs, index, 2)).toEqual([
      { wnid: 'n00000042', label: 'class_42', score: Math.fround(0.9) },
      { wnid: 'n00000003', label: 'class_3', score: Math.fround(0.1) },
    ]);
    expect(decodeTopK(probs, index, 500)).toHaveLength(50);
    expect(() => decodeTopK(new Float32Array(10), index)).toThrow(/10 classes/);
  });
});

describe('parseClassIndex', () => {
  it('reads Keras layout and rejects others', () => {
    expect(parseClassIndex({ '1': ['b', 'B'], '0': ['a', 'A'] })).toEqual([['a', 'A'], ['b', 'B']]);
    for (const bad of [[], {}, { '0': ['a'] }, { '1': ['a', 'A'] }, { x: ['a', 'A'] }, 'text']) {
      expect(() => parseClassIndex(bad)).toThrow(expect.objectContaining({ code: 'BAD_CLASS_INDEX' }));
    }
  });
  it.skipIf(needs('../shared/models', existsSync(path.join(shared, 'models'))))('reads the real Keras file, duplicates kept (needs ../shared/models)', async () => {
    const index = await loadClassIndex({ path: path.join(shared, 'models', 'imagenet_class_index.json') });
    expect(index).toHaveLength(1000);
    expect(index[0]).toEqual(['n01440764', 'tench']);
    expect(index[999]).toEqual(['n15075141', 'toilet_tissue']);
    expect(index[134][1]).toBe('crane');
    expect(index[517][1]).toBe('crane');
    expect(index[291]).toEqual(['n02129165', 'lion']);
  });
});

describe('loadClassIndex lookup (explicit → beside the model → ../ → ~/.keras/models → download)', () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'keras-index-'));
  });
  afterAll(() => rm(root, { recursive: true, force: true }));
  const write = async (file: string, n: number) => {
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, JSON.stringify(syntheticClassIndex(n)));
  };

  it('tries the places in Keras order', async () => {
    const modelDir = path.join(root, 'models', 'm1');
    const keras = path.join(root, 'keras');
    expect(classIndexCandidates({ modelDir, kerasCacheDir: keras })).toEqual([
      path.join(modelDir, 'imagenet_class_index.json'),
      path.join(root, 'models', 'imagenet_class_index.json'),
      path.join(keras, 'imagenet_class_index.json'),
    ]);
    await write(path.join(keras, 'imagenet_class_index.json'), 3);
    expect(await loadClassIndex({ modelDir, kerasCacheDir: keras, download: false })).toHaveLength(3);
    await write(path.join(root, 'models', 'imagenet_class_index.json'), 4);
    expect(await loadClassIndex({ modelDir: path.join(root, 'models', 'm2'), kerasCacheDir: keras, download: false })).toHaveLength(4);
    await write(path.join(root, 'models', 'm3', 'imagenet_class_index.json'), 5);
    expect(await loadClassIndex({ modelDir: path.join(root, 'models', 'm3'), kerasCacheDir: keras, download: false })).toHaveLength(5);
    await write(path.join(root, 'explicit.json'), 6);
    expect(await loadClassIndex({ path: path.join(root, 'explicit.json'), modelDir: path.join(root, 'models', 'm3') })).toHaveLength(6);
    await expect(loadClassIndex({ path: path.join(root, 'absent.json') })).rejects.toMatchObject({ code: 'CLASS_INDEX_NOT_FOUND' });
    await expect(loadClassIndex({ modelDir: path.join(root, 'x', 'y'), kerasCacheDir: path.join(root, 'empty'), download: false })).rejects.toMatchObject({
      code: 'CLASS_INDEX_NOT_FOUND',
    });
  });

  it('downloads the hosted file into the Keras cache when nothing is found, once', async () => {
    const urls: string[] = [];
    const server = createServer((req, res) => {
      urls.push(req.url!);
      res.end(JSON.stringify(syntheticClassIndex(7)));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    // The real URL's path, served locally: the fetch override only redirects the host.
    const localFetch: typeof fetch = (input) => fetch(String(input).replace('https://storage.googleapis.com', `http://127.0.0.1:${port}`));
    try {
      const keras = path.join(root, 'keras-dl');
      const index = await loadClassIndex({ modelDir: path.join(root, 'nowhere'), kerasCacheDir: keras, fetch: localFetch });
      expect(index).toHaveLength(7);
      expect(urls).toEqual([new URL(CLASS_INDEX_URL).pathname]);
      expect(JSON.parse(await readFile(path.join(keras, 'imagenet_class_index.json'), 'utf8'))['6']).toEqual(['n00000006', 'class_6']);
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
    const failing: typeof fetch = async () => {
      throw new Error('offline');
    };
    await expect(loadClassIndex({ modelDir: path.join(root, 'nowhere2'), kerasCacheDir: path.join(root, 'k2'), fetch: failing })).rejects.toMatchObject({
      code: 'CLASS_INDEX_NOT_FOUND',
    });
  });
});
