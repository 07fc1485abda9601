import { open as openFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import * as tf from './tfjs.js';
import { KerasModelsError } from './errors.js';

/**
 * Keras 2 HDF5 weights, the layout of `model.save_weights('x.h5')` (what ~/.keras/models holds) and of the
 * `model_weights` group of `model.save('x.h5')`:
 *   attrs layer_names = [every layer name]            (long lists split into layer_names0, layer_names1, …)
 *   /<layer>            attrs weight_names = ['<layer>/kernel:0', …] in the layer's weight order
 *   /<layer>/<layer>/kernel:0   the float32 dataset (the weight name is a path below the layer group)
 */
export interface H5Weight {
  /** Weight name as stored, without the `:0` suffix (e.g. `conv1/kernel`). */
  name: string;
  shape: number[];
  data: Float32Array;
}

export interface KerasH5Contents {
  /** Layer names in file order (layers without weights included). */
  layerNames: string[];
  /** Weights per layer name, in stored order. */
  layers: Map<string, H5Weight[]>;
  /** `model_config` of a full-model file (parsed JSON), absent for weights-only files. */
  modelConfig?: Record<string, unknown>;
  kerasVersion?: string;
  backend?: string;
}

type H5 = typeof import('h5wasm/node');
let h5Module: Promise<H5> | undefined;
async function h5wasm(): Promise<H5> {
  h5Module ??= import('h5wasm/node').then(async (m) => {
    await m.ready;
    return m;
  });
  return h5Module;
}

type HasAttrs = { attrs: Record<string, { value: unknown }> };

function asStrings(v: unknown): string[] {
  if (v === null || v === undefined) return [];
  if (typeof v === 'string') return [v];
  if (v instanceof Uint8Array) return [new TextDecoder().decode(v)];
  if (Array.isArray(v)) return v.flatMap(asStrings);
  return [String(v)];
}

/** Keras splits attributes over 64 KiB into `<name>0`, `<name>1`, … (save_attributes_to_hdf5_group). */
function stringListAttr(obj: HasAttrs, name: string): string[] | undefined {
  const attrs = obj.attrs;
  if (name in attrs) return asStrings(attrs[name].value);
  if (!(`${name}0` in attrs)) return undefined;
  const out: string[] = [];
  for (let i = 0; `${name}${i}` in attrs; i++) out.push(...asStrings(attrs[`${name}${i}`].value));
  return out;
}

function stringAttr(obj: HasAttrs, name: string): string | undefined {
  return name in obj.attrs ? asStrings(obj.attrs[name].value)[0] : undefined;
}

async function sniff(file: string): Promise<'hdf5' | 'zip' | 'other'> {
  const fh = await openFile(file, 'r').catch((err: NodeJS.ErrnoException) => {
    throw new KerasModelsError('MODEL_NOT_FOUND', `cannot open ${file} (${err.code ?? err.message})`);
  });
  try {
    const { buffer, bytesRead } = await fh.read(Buffer.alloc(8), 0, 8, 0);
    if (bytesRead >= 8 && buffer.subarray(0, 8).equals(Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'hdf5';
    if (bytesRead >= 4 && buffer.readUInt32LE(0) === 0x04034b50) return 'zip';
    return 'other';
  } finally {
    await fh.close();
  }
}

/** Reads every weight of a Keras 2 .h5 file (weights-only or full model). */
export async function readKerasH5(file: string): Promise<KerasH5Contents> {
  const kind = await sniff(file);
  if (kind === 'zip') {
    throw new KerasModelsError('BAD_WEIGHTS', `${file} is a Keras 3 .keras archive; save the model as HDF5 (model.save("model.h5") or save_weights("x.h5"))`);
  }
  if (kind !== 'hdf5') throw new KerasModelsError('BAD_WEIGHTS', `${file} is not an HDF5 file`);
  const h5 = await h5wasm();
  let f: InstanceType<H5['File']>;
  try {
    f = new h5.File(file, 'r');
  } catch (err) {
    throw new KerasModelsError('BAD_WEIGHTS', `h5wasm cannot open ${file}: ${(err as Error).message}`, { cause: err });
  }
  try {
    const configText = stringAttr(f, 'model_config');
    const weightsRoot = (f.get('model_weights') as unknown as (HasAttrs & InstanceType<H5['Group']>) | null) ?? f;
    const layerNames = stringListAttr(weightsRoot, 'layer_names');
    if (!layerNames) {
      const hint = f.get('layers') ? ' (this looks like a Keras 3 .weights.h5 file, which is not supported)' : '';
      throw new KerasModelsError('BAD_WEIGHTS', `${file} has no layer_names attribute: not a Keras HDF5 weights file${hint}`);
    }
    const layers = new Map<string, H5Weight[]>();
    for (const layerName of layerNames) {
      const group = weightsRoot.get(layerName) as unknown as (HasAttrs & InstanceType<H5['Group']>) | null;
      if (!group) throw new KerasModelsError('BAD_WEIGHTS', `${file}: layer group ${layerName} listed in layer_names is missing`);
      const weightNames = stringListAttr(group, 'weight_names') ?? [];
      const weights: H5Weight[] = [];
      for (const wn of weightNames) {
        const ds = group.get(wn) as InstanceType<H5['Dataset']> | null;
        if (!ds || !('shape' in ds)) throw new KerasModelsError('BAD_WEIGHTS', `${file}: dataset ${layerName}/${wn} is missing`);
        const value = ds.value;
        let data: Float32Array;
        if (value instanceof Float32Array) data = value;
        else if (value instanceof Float64Array) data = Float32Array.from(value);
        else throw new KerasModelsError('BAD_WEIGHTS', `${file}: ${layerName}/${wn} is not a numeric array (dtype ${JSON.stringify(ds.dtype)})`);
        weights.push({ name: wn.replace(/:\d+$/, ''), shape: ds.shape ?? [], data });
      }
      layers.set(layerName, weights);
    }
    let modelConfig: Record<string, unknown> | undefined;
    if (configText) {
      try {
        modelConfig = JSON.parse(configText) as Record<string, unknown>;
      } catch (err) {
        throw new KerasModelsError('BAD_WEIGHTS', `${file}: model_config is not JSON (${(err as Error).message})`);
      }
    }
    return { layerNames, layers, modelConfig, kerasVersion: stringAttr(f, 'keras_version'), backend: stringAttr(f, 'backend') };
  } finally {
    f.close();
  }
}

const suffix = (name: string): string => name.split('/').pop()!.replace(/:\d+$/, '');

export interface AssignH5Options {
  /** Fail when the file has weights for a layer the model lacks. Default false (Keras' by_name loading ignores them). */
  strict?: boolean;
}

/**
 * Sets the model's weights from the file, layer by layer by name (Keras `load_weights(by_name=True)` semantics, and
 * every weighted layer of the model must be present). Shapes are checked and NaN/Infinity rejected.
 */
export function assignH5Weights(model: tf.LayersModel, contents: KerasH5Contents, options: AssignH5Options = {}): { layers: number; weights: number } {
  let layerCount = 0;
  let weightCount = 0;
  const modelLayers = new Set(model.layers.map((l) => l.name));
  if (options.strict) {
    for (const [name, ws] of contents.layers) {
      if (ws.length > 0 && !modelLayers.has(name)) throw new KerasModelsError('BAD_WEIGHTS', `.h5 has weights for layer ${name}, which the model does not have`);
    }
  }
  // Check everything first, then assign: a bad file leaves the model untouched.
  const plan: Array<[tf.layers.Layer, H5Weight[]]> = [];
  for (const layer of model.layers) {
    const vars = layer.weights;
    if (vars.length === 0) continue;
    const stored = contents.layers.get(layer.name);
    if (!stored || stored.length === 0) {
      throw new KerasModelsError('BAD_WEIGHTS', `.h5 has no weights for layer ${layer.name} (${layer.getClassName()}); is it the right architecture?`);
    }
    if (stored.length !== vars.length) {
      throw new KerasModelsError('BAD_WEIGHTS', `layer ${layer.name}: .h5 has ${stored.length} weights, the model needs ${vars.length}`);
    }
    const bySuffix = new Map(stored.map((w) => [suffix(w.name), w]));
    const values = vars.map((v, i) => {
      // Match by weight name (kernel, bias, gamma, …); fall back to the stored order, which Keras keeps.
      const w = bySuffix.size === stored.length ? (bySuffix.get(suffix(v.originalName ?? v.name)) ?? stored[i]) : stored[i];
      const want = v.shape as number[];
      if (w.shape.length !== want.length || w.shape.some((d, j) => d !== want[j])) {
        throw new KerasModelsError('BAD_WEIGHTS', `layer ${layer.name}: weight ${w.name} has shape [${w.shape}], the model needs [${want}]`);
      }
      for (let j = 0; j < w.data.length; j++) {
        if (!Number.isFinite(w.data[j])) throw new KerasModelsError('NAN_WEIGHTS', `layer ${layer.name}: weight ${w.name} holds ${w.data[j]} at index ${j}`);
      }
      return w;
    });
    plan.push([layer, values]);
  }
  for (const [layer, values] of plan) {
    const tensors = values.map((w) => tf.tensor(w.data, w.shape, 'float32'));
    try {
      layer.setWeights(tensors);
    } finally {
      tf.dispose(tensors);
    }
    layerCount++;
    weightCount += values.length;
  }
  return { layers: layerCount, weights: weightCount };
}

export interface WriteKerasH5Options {
  /** Also store `model_config` (the Keras JSON) and nest weights under `model_weights`, like `model.save('x.h5')`. Default false (save_weights layout). */
  includeModelConfig?: boolean;
  kerasVersion?: string;
}

/** Writes a model's weights in the Keras 2 HDF5 layout (temp file + rename). */
export async function writeKerasH5(model: tf.LayersModel, file: string, options: WriteKerasH5Options = {}): Promise<{ layers: number; weights: number }> {
  const h5 = await h5wasm();
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  const f = new h5.File(tmp, 'w');
  let layers = 0;
  let weights = 0;
  try {
    const fixed = (names: string[]) => `S${Math.max(1, ...names.map((n) => Buffer.byteLength(n)))}`;
    f.create_attribute('keras_version', options.kerasVersion ?? '2.15.0');
    f.create_attribute('backend', 'tensorflow');
    let root: InstanceType<H5['Group']> = f;
    if (options.includeModelConfig) {
      f.create_attribute('model_config', JSON.stringify(model.toJSON(null, false)));
      root = f.create_group('model_weights');
      root.create_attribute('keras_version', options.kerasVersion ?? '2.15.0');
      root.create_attribute('backend', 'tensorflow');
    }
    const layerNames = model.layers.map((l) => l.name);
    root.create_attribute('layer_names', layerNames, [layerNames.length], fixed(layerNames));
    for (const layer of model.layers) {
      const g = root.create_group(layer.name);
      const names = layer.weights.map((v) => `${v.originalName ?? v.name}:0`);
      g.create_attribute('weight_names', names, [names.length], fixed(names));
      layer.weights.forEach((v, i) => {
        // The weight name is a path below the layer group: create its intermediate groups (h5wasm does not).
        const parts = names[i].split('/');
        let parent: InstanceType<H5['Group']> = g;
        for (const part of parts.slice(0, -1)) parent = (parent.get(part) as InstanceType<H5['Group']> | null) ?? parent.create_group(part);
        const data = v.read().dataSync() as Float32Array;
        parent.create_dataset({ name: parts[parts.length - 1], data: Float32Array.from(data), shape: v.shape as number[], dtype: '<f' });
        weights++;
      });
      if (layer.weights.length > 0) layers++;
    }
  } catch (err) {
    f.close();
    await rm(tmp, { force: true });
    throw err;
  }
  f.close();
  await rename(tmp, file);
  return { layers, weights };
}
