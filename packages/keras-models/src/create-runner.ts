import { BACKEND_ORDER, type BackendChoice, type BackendName, type CreateRunner, type LoadedKerasModel, type ModelRunner, type RunnerOptions } from './backend.js';
import { KerasModelsError } from './errors.js';
import { createTfjsNodeRunner } from './tfjs-node-backend.js';
import { createWasmRunner } from './wasm-backend.js';

export interface CreateRunnerOptions extends RunnerOptions {
  /** Default 'auto': onnx → tfjs-node → wasm, the first that loads this model. */
  backend?: BackendChoice;
}

async function onnxFactory(): Promise<CreateRunner> {
  const spec = './onnx-backend.js'; // the Keras→ONNX compiler lives beside this file; looked up lazily
  let mod: { createOnnxRunner?: CreateRunner };
  try {
    mod = await import(spec);
  } catch (err) {
    throw new KerasModelsError('BACKEND_UNAVAILABLE', `the onnx backend is not part of this build (${(err as Error).message.split('\n')[0]})`, {
      cause: err,
    });
  }
  if (typeof mod.createOnnxRunner !== 'function') throw new KerasModelsError('BACKEND_UNAVAILABLE', 'onnx-backend exports no createOnnxRunner');
  return mod.createOnnxRunner;
}

const FACTORIES: Record<BackendName, () => Promise<CreateRunner>> = {
  onnx: onnxFactory,
  'tfjs-node': async () => createTfjsNodeRunner,
  wasm: async () => createWasmRunner,
};

/** The backend option, default 'auto'; an unknown name is `BAD_OPTION`. */
export function checkBackendChoice(backend: BackendChoice | undefined): BackendChoice {
  const choice = backend ?? 'auto';
  if (choice !== 'auto' && !BACKEND_ORDER.includes(choice)) {
    throw new KerasModelsError('BAD_OPTION', `unknown backend ${JSON.stringify(choice)} (use auto, ${BACKEND_ORDER.join(', ')})`);
  }
  return choice;
}

/** Start a runner for a loaded model on the chosen backend; `auto` falls back (with a warning) until one loads. */
export async function createRunner(loaded: LoadedKerasModel, options: CreateRunnerOptions = {}): Promise<ModelRunner> {
  const choice = checkBackendChoice(options.backend);
  if (choice !== 'auto') return (await FACTORIES[choice]())(loaded, options);
  const reasons: string[] = [];
  for (const name of BACKEND_ORDER) {
    try {
      return await (await FACTORIES[name]())(loaded, options);
    } catch (err) {
      const reason = `${name}: ${(err as Error).message}`;
      reasons.push(reason);
      options.onWarning?.(`backend ${reason} — trying the next one`);
    }
  }
  throw new KerasModelsError('BACKEND_UNAVAILABLE', `no backend could run ${loaded.source}: ${reasons.join('; ')}`);
}
