import type * as tf from './tfjs.js';
import type { PreprocessMode } from './options.js';

/** Inference engines a model can run on. `auto` tries them fastest first: onnx → tfjs-node → wasm. */
export type BackendName = 'onnx' | 'tfjs-node' | 'wasm';
export type BackendChoice = BackendName | 'auto';
export const BACKEND_ORDER: readonly BackendName[] = ['onnx', 'tfjs-node', 'wasm'];

/** One loaded model on one backend. Backends own their threads; callers may keep several predict() calls in flight. */
export interface ModelRunner {
  readonly backend: BackendName;
  /** [height, width] of the model input. */
  readonly inputSize: [number, number];
  readonly numClasses: number;
  /**
   * Set when the runner applies Keras `preprocess_input` of this mode itself (RunnerOptions.preprocessing, onnx):
   * predict() then takes raw RGB pixels 0–255 as floats.
   */
  readonly inputPreprocessing?: PreprocessMode;
  /** NHWC float32 batch already preprocessed (raw pixels with inputPreprocessing), n images → n×numClasses probabilities */
  predict(batch: Float32Array, n: number): Promise<Float32Array>;
  dispose(): Promise<void>;
}

/** A Keras layer as stored in model.json (`modelTopology.model_config.config.layers[i]` or `modelTopology.config.layers[i]`). */
export interface KerasLayerJson {
  class_name: string;
  name?: string;
  config: Record<string, unknown> & { name: string };
  inbound_nodes: unknown[];
}

/** The Keras functional/sequential model config, unwrapped from the tfjs `modelTopology` envelope. */
export interface KerasModelTopology {
  class_name: string;
  config: {
    name?: string;
    layers: KerasLayerJson[];
    input_layers?: unknown[];
    output_layers?: unknown[];
  } & Record<string, unknown>;
  keras_version?: string;
  backend?: string;
}

/** One weight tensor, dequantized to float32, by its Keras name (e.g. `conv1/kernel`, `conv1_bn/moving_mean`). */
export interface NamedWeight {
  name: string;
  shape: number[];
  data: Float32Array;
}

/** What loadKerasModel returns: the tfjs model, its topology and weights (for graph compilers), and the raw artifacts. */
export interface LoadedKerasModel {
  model: tf.LayersModel;
  topology: KerasModelTopology;
  weights: Map<string, NamedWeight>;
  /** model.json + concatenated weight bytes, validated; what worker threads rebuild the model from. */
  artifacts: tf.io.ModelArtifacts;
  /** Where it came from (directory, URL, or .h5 path) — for messages. */
  source: string;
  /** Directory of model.json (or of the .h5 file): where imagenet_class_index.json is looked up beside the model. */
  dir?: string;
  inputSize: [number, number];
  numClasses: number;
}

/** Options every runner factory accepts. */
export interface RunnerOptions {
  /** Threads (onnx intraOpNumThreads) or worker threads (wasm). Default: os.availableParallelism(). */
  threads?: number;
  /** Called with one-line notes (e.g. why a backend was skipped). */
  onWarning?: (message: string) => void;
  /**
   * onnx: where the session runs. 'worker' (default): its own thread, so the caller's event loop (decodes, reads,
   * writes) goes on during a batch. 'caller': this thread, blocked per batch (a bare inference loop has nothing else to do).
   */
  sessionThread?: 'worker' | 'caller';
  /**
   * onnx, in workers: sessions that run batches at once, `threads` split among them. Default min(2, threads): on few
   * cores, two one-thread sessions burn less CPU than one two-thread session, whose threads wait for each other while
   * the caller cuts and decodes beside them. Each session holds its own copy of the weights.
   */
  sessions?: number;
  /**
   * onnx: apply Keras `preprocess_input` of this mode inside the model (vectorised, on the session's threads), so
   * callers pass raw pixels and skip a JS pass per image; the runner says so in `inputPreprocessing`. Other
   * backends ignore it. Default none.
   */
  preprocessing?: PreprocessMode;
}

/**
 * Contract for the ONNX backend module `./onnx-backend.js` (looked up by dynamic import, so the package works
 * before/without it): `export function createOnnxRunner(loaded: LoadedKerasModel, options: RunnerOptions): Promise<ModelRunner>`.
 * It throws a KerasModelsError with code `UNSUPPORTED_LAYER` when the graph can't be compiled; auto then falls back.
 */
export type CreateRunner = (loaded: LoadedKerasModel, options: RunnerOptions) => Promise<ModelRunner>;
