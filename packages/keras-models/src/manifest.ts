import { KerasModelsError } from './errors.js';
import type { KerasModelTopology, NamedWeight } from './backend.js';

/** A weight entry of a tfjs weightsManifest group (model.json), including optional quantization. */
export interface ManifestWeight {
  name: string;
  shape: number[];
  dtype: 'float32' | 'int32' | 'bool';
  quantization?: { dtype: 'uint8' | 'uint16' | 'float16'; scale?: number; min?: number };
}
export interface ManifestGroup {
  paths: string[];
  weights: ManifestWeight[];
}
/** A validated model.json. */
export interface ModelManifest {
  /** The raw `modelTopology` object, as tfjs wants it. */
  modelTopology: Record<string, unknown>;
  /** The Keras model config (`modelTopology.model_config` for Keras-exported files, else `modelTopology`). */
  topology: KerasModelTopology;
  groups: ManifestGroup[];
  format?: string;
}

const DTYPE_BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, uint8: 1, uint16: 2, float16: 2 };

function bad(message: string): never {
  throw new KerasModelsError('BAD_MANIFEST', message);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * A shard path must be a plain relative path that stays inside the model directory: no scheme, no absolute path,
 * no backslashes, no `..` segment that climbs out. A manifest is untrusted input (it may come from any URL).
 */
export function checkShardPath(path: string): string {
  if (typeof path !== 'string' || path.length === 0) bad('weightsManifest has an empty shard path');
  const escape = (why: string): never => {
    throw new KerasModelsError('SHARD_PATH_ESCAPE', `shard path ${JSON.stringify(path)} ${why}`);
  };
  if (/^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(path)) escape('has a scheme; shard paths must be relative to the model');
  if (path.startsWith('/') || path.startsWith('\\')) escape('is absolute; shard paths must be relative to the model');
  if (path.includes('\\')) escape('contains a backslash');
  if (path.includes('\0')) escape('contains a NUL byte');
  let depth = 0;
  for (const seg of path.split('/')) {
    if (seg === '..') depth--;
    else if (seg !== '.' && seg !== '') depth++;
    if (depth < 0) escape('escapes the model directory');
  }
  let decoded = path;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    escape('is not a valid URL path');
  }
  if (decoded !== path) checkShardPath(decoded); // `%2e%2e/` must not sneak past the check over URLs
  return path;
}

/** Bytes one weight occupies in its shard group. */
export function weightByteLength(w: ManifestWeight): number {
  const n = w.shape.reduce((a, b) => a * b, 1);
  return n * DTYPE_BYTES[w.quantization ? w.quantization.dtype : w.dtype];
}

function checkWeight(w: unknown, where: string): ManifestWeight {
  if (!isObject(w)) bad(`${where} is not an object`);
  if (typeof w.name !== 'string' || !w.name) bad(`${where} has no name`);
  if (!Array.isArray(w.shape) || !w.shape.every((d) => Number.isInteger(d) && (d as number) >= 0))
    bad(`weight ${w.name} has a bad shape ${JSON.stringify(w.shape)}`);
  if (w.dtype !== 'float32' && w.dtype !== 'int32' && w.dtype !== 'bool')
    bad(`weight ${w.name} has unsupported dtype ${JSON.stringify(w.dtype)}`);
  if (w.quantization !== undefined) {
    const q = w.quantization;
    if (!isObject(q) || !['uint8', 'uint16', 'float16'].includes(q.dtype as string))
      bad(`weight ${w.name} has unsupported quantization ${JSON.stringify(q)}`);
    if (q.dtype !== 'float16' && (typeof q.scale !== 'number' || typeof q.min !== 'number'))
      bad(`weight ${w.name}: quantization needs numeric scale and min`);
  }
  return w as unknown as ManifestWeight;
}

/** Validate a parsed model.json (tfjs layers format). Pure: no I/O. */
export function parseModelJson(json: unknown): ModelManifest {
  if (!isObject(json)) bad('model.json is not a JSON object');
  const modelTopology = json.modelTopology;
  if (!isObject(modelTopology)) bad('model.json has no modelTopology (is it a tfjs layers model?)');
  if (json.format !== undefined && json.format !== 'layers-model')
    bad(`model.json format is ${JSON.stringify(json.format)}, expected "layers-model" (a tfjs graph model is not a Keras model)`);
  const inner = isObject(modelTopology.model_config) ? modelTopology.model_config : modelTopology;
  if (typeof inner.class_name !== 'string' || !isObject(inner.config)) bad('modelTopology has no Keras class_name/config');
  const config = inner.config as Record<string, unknown>;
  if (!Array.isArray(config.layers) || config.layers.length === 0) bad('modelTopology has no layers');
  for (const l of config.layers) {
    if (!isObject(l) || typeof l.class_name !== 'string' || !isObject(l.config)) bad('modelTopology has a malformed layer');
  }
  const topology: KerasModelTopology = {
    class_name: inner.class_name as string,
    config: config as KerasModelTopology['config'],
    keras_version: typeof modelTopology.keras_version === 'string' ? modelTopology.keras_version : undefined,
    backend: typeof modelTopology.backend === 'string' ? modelTopology.backend : undefined,
  };
  const manifest = json.weightsManifest;
  if (!Array.isArray(manifest)) bad('model.json has no weightsManifest array');
  const names = new Set<string>();
  const groups: ManifestGroup[] = manifest.map((g, gi) => {
    if (!isObject(g) || !Array.isArray(g.paths) || !Array.isArray(g.weights)) bad(`weightsManifest[${gi}] needs paths and weights arrays`);
    const paths = g.paths.map((p) => checkShardPath(p as string));
    const weights = g.weights.map((w, wi) => checkWeight(w, `weightsManifest[${gi}].weights[${wi}]`));
    for (const w of weights) {
      if (names.has(w.name)) bad(`weight ${w.name} appears twice in weightsManifest`);
      names.add(w.name);
    }
    if (weights.length > 0 && paths.length === 0) bad(`weightsManifest[${gi}] lists weights but no shard paths`);
    return { paths, weights };
  });
  return { modelTopology, topology, groups, format: json.format as string | undefined };
}

/** Bytes the shards of a group must add up to. */
export function groupByteLength(group: ManifestGroup): number {
  return group.weights.reduce((s, w) => s + weightByteLength(w), 0);
}

/** Check the byte count of every group's shards against its weight specs. `shardBytes[g][p]` = bytes of shard p of group g. */
export function checkGroupSizes(groups: ManifestGroup[], shardBytes: number[][]): void {
  groups.forEach((g, gi) => {
    const got = shardBytes[gi].reduce((a, b) => a + b, 0);
    const want = groupByteLength(g);
    if (got !== want) {
      throw new KerasModelsError(
        'SHARD_SIZE_MISMATCH',
        `weight group ${gi} (${g.paths.join(', ')}) has ${got} bytes, the manifest needs ${want} for ${g.weights.map((w) => w.name).join(', ')}`,
      );
    }
  });
}

function float16ToFloat32(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? NaN : s * Infinity;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}

/**
 * Decode every weight to float32 (dequantizing) and reject NaN/±Infinity. `groupData[g]` = concatenated shard
 * bytes of group g (sizes already checked). Returns weights in manifest order.
 */
export function decodeWeights(groups: ManifestGroup[], groupData: Uint8Array[]): Map<string, NamedWeight> {
  const out = new Map<string, NamedWeight>();
  groups.forEach((g, gi) => {
    const bytes = groupData[gi];
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    let off = 0;
    for (const w of g.weights) {
      const n = w.shape.reduce((a, b) => a * b, 1);
      const data = new Float32Array(n);
      const q = w.quantization;
      if (!q && w.dtype === 'float32') {
        for (let i = 0; i < n; i++) data[i] = view.getFloat32(off + 4 * i, true);
      } else if (!q && w.dtype === 'int32') {
        for (let i = 0; i < n; i++) data[i] = view.getInt32(off + 4 * i, true);
      } else if (!q && w.dtype === 'bool') {
        for (let i = 0; i < n; i++) data[i] = bytes[off + i] ? 1 : 0;
      } else if (q?.dtype === 'float16') {
        for (let i = 0; i < n; i++) data[i] = float16ToFloat32(view.getUint16(off + 2 * i, true));
      } else if (q?.dtype === 'uint8') {
        for (let i = 0; i < n; i++) data[i] = bytes[off + i] * q.scale! + q.min!;
      } else if (q?.dtype === 'uint16') {
        for (let i = 0; i < n; i++) data[i] = view.getUint16(off + 2 * i, true) * q.scale! + q.min!;
      }
      for (let i = 0; i < n; i++) {
        if (!Number.isFinite(data[i])) {
          throw new KerasModelsError('NAN_WEIGHTS', `weight ${w.name} holds ${data[i]} at index ${i}: the weight file is corrupt`);
        }
      }
      off += weightByteLength(w);
      out.set(w.name, { name: w.name, shape: w.shape.slice(), data });
    }
  });
  return out;
}
