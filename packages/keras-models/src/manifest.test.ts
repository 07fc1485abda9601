import { describe, expect, it } from 'vitest';
import { KerasModelsError } from './errors.js';
import { checkGroupSizes, checkShardPath, decodeWeights, parseModelJson, type ManifestGroup } from './manifest.js';

const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(KerasModelsError);
    return (err as KerasModelsError).code;
  }
  return 'no error';
};

const topology = { class_name: 'Sequential', config: { name: 'm', layers: [{ class_name: 'Dense', config: { name: 'd', units: 2 } }] } };

describe('checkShardPath', () => {
  it('accepts plain relative paths, including ones that go down and back up inside the dir', () => {
    for (const p of ['group1-shard1of1', 'weights/a.bin', './a.bin', 'sub/../a.bin']) expect(checkShardPath(p)).toBe(p);
  });
  it.each([
    ['../secret', 'SHARD_PATH_ESCAPE'],
    ['a/../../b', 'SHARD_PATH_ESCAPE'],
    ['/etc/passwd', 'SHARD_PATH_ESCAPE'],
    ['file:///etc/passwd', 'SHARD_PATH_ESCAPE'],
    ['https://evil.example/w.bin', 'SHARD_PATH_ESCAPE'],
    ['..\\..\\w.bin', 'SHARD_PATH_ESCAPE'],
    ['%2e%2e/w.bin', 'SHARD_PATH_ESCAPE'],
    ['', 'BAD_MANIFEST'],
  ])('rejects %j with %s', (p, c) => {
    expect(code(() => checkShardPath(p))).toBe(c);
  });
});

describe('parseModelJson', () => {
  it('unwraps Keras-exported model_config and keeps the raw topology for tfjs', () => {
    const m = parseModelJson({
      modelTopology: { keras_version: '2.1.4-tf', backend: 'tensorflow', model_config: topology },
      weightsManifest: [{ paths: ['g1'], weights: [{ name: 'd/kernel', shape: [2, 2], dtype: 'float32' }] }],
    });
    expect(m.topology.class_name).toBe('Sequential');
    expect(m.topology.keras_version).toBe('2.1.4-tf');
    expect(m.groups[0].weights[0].name).toBe('d/kernel');
  });
  it.each([
    ['not an object', 42],
    ['no topology', { weightsManifest: [] }],
    ['graph model', { format: 'graph-model', modelTopology: topology, weightsManifest: [] }],
    ['no layers', { modelTopology: { class_name: 'Model', config: { layers: [] } }, weightsManifest: [] }],
    ['no manifest', { modelTopology: topology }],
    ['bad dtype', { modelTopology: topology, weightsManifest: [{ paths: ['g'], weights: [{ name: 'w', shape: [1], dtype: 'string' }] }] }],
    ['bad shape', { modelTopology: topology, weightsManifest: [{ paths: ['g'], weights: [{ name: 'w', shape: [-1], dtype: 'float32' }] }] }],
    ['duplicate weight', { modelTopology: topology, weightsManifest: [{ paths: ['g'], weights: [{ name: 'w', shape: [1], dtype: 'float32' }, { name: 'w', shape: [1], dtype: 'float32' }] }] }],
    ['weights without paths', { modelTopology: topology, weightsManifest: [{ paths: [], weights: [{ name: 'w', shape: [1], dtype: 'float32' }] }] }],
  ])('rejects %s as BAD_MANIFEST', (_why, json) => {
    expect(code(() => parseModelJson(json))).toBe('BAD_MANIFEST');
  });
  it('rejects an escaping shard path inside the manifest', () => {
    expect(code(() => parseModelJson({ modelTopology: topology, weightsManifest: [{ paths: ['../../x'], weights: [] }] }))).toBe('SHARD_PATH_ESCAPE');
  });
});

describe('sizes and values', () => {
  const group: ManifestGroup = {
    paths: ['a', 'b'],
    weights: [
      { name: 'k', shape: [2, 3], dtype: 'float32' },
      { name: 'q', shape: [4], dtype: 'float32', quantization: { dtype: 'uint8', scale: 0.5, min: -1 } },
    ],
  };
  it('sums shard sizes per group against shapes × dtype bytes', () => {
    expect(() => checkGroupSizes([group], [[16, 12]])).not.toThrow(); // 6×4 + 4×1
    expect(code(() => checkGroupSizes([group], [[16, 11]]))).toBe('SHARD_SIZE_MISMATCH');
    expect(code(() => checkGroupSizes([group], [[16, 13]]))).toBe('SHARD_SIZE_MISMATCH');
  });
  it('decodes float32 and dequantizes uint8', () => {
    const bytes = new Uint8Array(28);
    new Float32Array(bytes.buffer, 0, 6).set([1, 2, 3, 4, 5, 6]);
    bytes.set([0, 1, 2, 10], 24);
    const w = decodeWeights([group], [bytes]);
    expect([...w.get('k')!.data]).toEqual([1, 2, 3, 4, 5, 6]);
    expect(w.get('k')!.shape).toEqual([2, 3]);
    expect([...w.get('q')!.data]).toEqual([-1, -0.5, 0, 4]);
  });
  it.each([NaN, Infinity, -Infinity])('rejects a weight holding %s as NAN_WEIGHTS', (bad) => {
    const bytes = new Uint8Array(28);
    new Float32Array(bytes.buffer, 0, 6).set([1, 2, bad, 4, 5, 6]);
    expect(code(() => decodeWeights([group], [bytes]))).toBe('NAN_WEIGHTS');
  });
});
