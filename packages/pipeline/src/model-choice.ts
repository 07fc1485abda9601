import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { LOAD_MODEL_DEFAULTS, modelJsonUrl, parseModelSpecs, type ModelSpec } from '@oidstream/keras-models';

/** Keras MobileNet v1 1.0 in tfjs layers format, as hosted by the TensorFlow.js team. */
export const HOSTED_MOBILENET_URL = 'https://storage.googleapis.com/tfjs-models/tfjs/mobilenet_v1_1.0_224/model.json';

export const ADD_MODEL_HINT = 'To classify, add a model: oidstream run … --model mobilenet=<dir with model.json | https URL | .h5 file>';

export type { ModelSpec };

export interface ModelChoice {
  models: ModelSpec[];
  /** set when classification cannot run */
  skipped?: { reason: string; hint: string };
}

/** True when an http(s) URL answers within the timeout. */
export async function reachable(url: string, timeoutMs = 3000): Promise<boolean> {
  try {
    const res = await fetch(url, { method: 'HEAD', signal: AbortSignal.timeout(timeoutMs) });
    return res.ok;
  } catch {
    return false;
  }
}

/** True when keras-models' URL cache already holds the model (it then loads offline). Same key as its loader. */
export function cachedModelUrl(url: string, cacheDir: string = LOAD_MODEL_DEFAULTS.cacheDir): boolean {
  try {
    const key = createHash('sha256').update(modelJsonUrl(url).href).digest('hex').slice(0, 16);
    return existsSync(path.join(cacheDir, key, 'model.json'));
  } catch {
    return false;
  }
}

export interface ModelChoiceOptions {
  /** Probe the hosted MobileNet when no --model is given. Default true; OIDSTREAM_OFFLINE=1 turns it off. */
  probeNetwork?: boolean;
  hostedUrl?: string;
  /** keras-models' URL cache (default ~/.cache/oidstream/models). */
  cacheDir?: string;
}

/** The user's models; else the hosted MobileNet when it is cached or the network answers; else classification is skipped. */
export async function chooseModels(given: readonly string[], options: ModelChoiceOptions = {}): Promise<ModelChoice> {
  const models = parseModelSpecs(given);
  if (models.length) return { models };
  const url = options.hostedUrl ?? HOSTED_MOBILENET_URL;
  const probe = options.probeNetwork ?? process.env.OIDSTREAM_OFFLINE !== '1';
  if (cachedModelUrl(url, options.cacheDir) || (probe && (await reachable(url)))) return { models: [{ name: 'mobilenet', source: url }] };
  return {
    models: [],
    skipped: { reason: `no --model given and the hosted MobileNet (${url}) cannot be reached`, hint: ADD_MODEL_HINT },
  };
}
