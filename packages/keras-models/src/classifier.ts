import path from 'node:path';
import type { BackendChoice, LoadedKerasModel, ModelRunner } from './backend.js';
import { checkBackendChoice, createRunner } from './create-runner.js';
import { KerasModelsError } from './errors.js';
import { loadClassIndex, type ClassIndex, type ClassIndexOptions } from './imagenet.js';
import { quantizeModel, type Int8Options, type Int8Report } from './int8-model.js';
import { loadKerasModel, type LoadModelOptions } from './load-model.js';
import { createOnnxRunnerFromCompiled } from './onnx-backend.js';
import { checkModelName, PRECISIONS, PREPROCESS_MODES, type ModelSpec, type Precision, type PreprocessMode } from './options.js';
import { preprocessingFor } from './preprocess.js';

export { checkModelName, parseModelSpecs } from './options.js';
export type { ModelSpec };

/** A model ready to classify: runner + how to feed it + how to read its output. */
export interface ClassifierModel {
  /** Column prefix: `<name>_label`, `<name>_wnid`, `<name>_score`, `<name>_top5`. */
  name: string;
  runner: ModelRunner;
  preprocessing: PreprocessMode;
  classIndex: ClassIndex;
  /** The loaded Keras model (absent when the runner was made elsewhere). */
  loaded?: LoadedKerasModel;
  /** What the runner computes in: 'int8' only when the quantized model is in use (not after a fallback). */
  precision?: Precision;
  /** Calibration and agreement of an int8 request (also when it fell back to FP32). */
  int8?: Int8Report;
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
  /** 'int8': a statically calibrated QDQ model on ONNX Runtime (backend auto or onnx). Default 'fp32'. */
  precision?: Precision;
  /** Calibration images and settings for precision 'int8'. */
  int8?: Int8Options;
  onWarning?: (message: string) => void;
}

/** Load a model, pick its preprocessing and class index, and start it on a backend. */
export async function openClassifier(options: OpenClassifierOptions): Promise<ClassifierModel> {
  if (typeof options !== 'object' || options === null) throw new KerasModelsError('BAD_OPTION', 'openClassifier needs { name, source }');
  const name = checkModelName(options.name);
  checkBackendChoice(options.backend); // before a model download, not after
  if (options.preprocessing !== undefined && !PREPROCESS_MODES.includes(options.preprocessing)) {
    throw new KerasModelsError('BAD_OPTION', `unknown preprocessing ${JSON.stringify(options.preprocessing)} (use ${PREPROCESS_MODES.join(', ')})`);
  }
  checkPrecision(options);
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
      http: options.classIndex?.http ?? options.http,
      fetch: options.classIndex?.fetch ?? options.fetch,
    });
    if (classIndex.length !== loaded.numClasses) {
      throw new KerasModelsError('BAD_CLASS_INDEX', `model ${name} has ${loaded.numClasses} outputs but the class index has ${classIndex.length} classes`);
    }
    if ((options.precision ?? 'fp32') === 'int8') return { name, preprocessing, classIndex, loaded, ...(await int8Runner(loaded, preprocessing, options)) };
    const runner = await createRunner(loaded, { backend: options.backend, threads: options.threads, onWarning: options.onWarning, preprocessing });
    return { name, runner, preprocessing, classIndex, loaded, precision: 'fp32' };
  } catch (err) {
    loaded.model.dispose();
    throw err;
  }
}

function checkPrecision(options: OpenClassifierOptions): void {
  const precision = options.precision ?? 'fp32';
  if (!PRECISIONS.includes(precision)) throw new KerasModelsError('BAD_OPTION', `unknown precision ${JSON.stringify(precision)} (use ${PRECISIONS.join(', ')})`);
  if (precision === 'int8' && !['auto', 'onnx', undefined].includes(options.backend)) {
    throw new KerasModelsError('BAD_OPTION', `precision int8 runs on the onnx backend, not ${options.backend}`);
  }
  if (precision === 'int8' && !options.int8) throw new KerasModelsError('BAD_OPTION', 'precision int8 needs int8.images (calibration chips)');
}

/** The int8 runner (or FP32 on ONNX when the agreement is too low and fallback is set). */
async function int8Runner(loaded: LoadedKerasModel, mode: PreprocessMode, options: OpenClassifierOptions): Promise<Pick<ClassifierModel, 'runner' | 'precision' | 'int8'>> {
  const run = { threads: options.threads, onWarning: options.onWarning, onProgress: options.onProgress };
  const { compiled, report } = await quantizeModel(loaded, mode, options.int8!, run);
  if (report.fellBack) return { runner: await createRunner(loaded, { backend: 'onnx', threads: options.threads }), precision: 'fp32', int8: report };
  return { runner: await createOnnxRunnerFromCompiled(compiled, { threads: options.threads }), precision: 'int8', int8: report };
}

export async function closeClassifier(model: ClassifierModel): Promise<void> {
  await model.runner.dispose();
  model.loaded?.model.dispose();
}
