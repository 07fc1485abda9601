/**
 * The option names and parsers a CLI needs to declare keras-models flags, without loading a backend, sharp or tfjs
 * (`@oidstream/keras-models/options`): `oidstream <command> --help` stays fast. index.ts re-exports all of it.
 */
import { KerasModelsError } from './errors.js';

export { BACKEND_ORDER } from './backend.js';
export type { BackendName, BackendChoice } from './backend.js';

/** Keras `preprocess_input` modes. */
export type PreprocessMode = 'tf' | 'caffe' | 'torch' | 'none';
export const PREPROCESS_MODES: readonly PreprocessMode[] = ['tf', 'caffe', 'torch', 'none'];

/** What a classifier computes in; 'int8' is a calibrated QDQ model on ONNX Runtime. */
export type Precision = 'fp32' | 'int8';
export const PRECISIONS: readonly Precision[] = ['fp32', 'int8'];

const NAME_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function checkModelName(name: string): string {
  if (typeof name !== 'string' || !NAME_RE.test(name)) {
    throw new KerasModelsError('BAD_OPTION', `model name ${JSON.stringify(name)} must be letters, digits and _ (it prefixes column names)`);
  }
  return name;
}

/** A model given as `name=source` (`--model mobilenet=./models/mobilenet`): the name prefixes its columns. */
export interface ModelSpec {
  name: string;
  source: string;
}

/** `name=source` values → specs; names are checked (they become column prefixes) and must be distinct. */
export function parseModelSpecs(values: readonly string[]): ModelSpec[] {
  const seen = new Set<string>();
  return values.map((v) => {
    const eq = v.indexOf('=');
    const name = eq > 0 ? v.slice(0, eq) : '';
    const source = eq > 0 ? v.slice(eq + 1) : '';
    if (!NAME_RE.test(name) || source === '') {
      throw new KerasModelsError('BAD_OPTION', `--model ${JSON.stringify(v)}: expected name=source, e.g. mobilenet=./models/mobilenet (name: letters, digits, _)`);
    }
    if (seen.has(name)) throw new KerasModelsError('BAD_OPTION', `--model ${name} given twice`);
    seen.add(name);
    return { name, source };
  });
}
