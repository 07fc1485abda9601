export * from './errors.js';
export * from './backend.js';
export { parseModelJson, checkShardPath, checkGroupSizes, decodeWeights, weightByteLength, groupByteLength } from './manifest.js';
export type { ModelManifest, ManifestGroup, ManifestWeight } from './manifest.js';
export { loadKerasModel, loadModelDir, cacheModelFromUrl, modelJsonUrl, shardUrl, LOAD_MODEL_DEFAULTS } from './load-model.js';
export type { LoadModelOptions } from './load-model.js';
export { httpStream, httpGetBytes, httpGetFile, HTTP_DEFAULTS } from './http-get.js';
export type { HttpOptions } from './http-get.js';
export { memoryHandler } from './tfjs-main.js';
export {
  preprocessPixels,
  decodeResize,
  decodeResizeMany,
  resizeNearest,
  preprocessResized,
  decodeForSizes,
  preprocessingFor,
  preprocessingForName,
  PREPROCESS_MODES,
  DECODE_DEFAULTS,
} from './preprocess.js';
export type { PreprocessMode, Interpolation, DecodeOptions, RgbImage } from './preprocess.js';
export {
  decodeTopK,
  parseClassIndex,
  loadClassIndex,
  classIndexCandidates,
  defaultKerasCacheDir,
  CLASS_INDEX_URL,
  CLASS_INDEX_FILE,
} from './imagenet.js';
export type { Prediction, ClassIndex, ClassIndexOptions } from './imagenet.js';
export { createRunner } from './create-runner.js';
export type { CreateRunnerOptions } from './create-runner.js';
export { createWasmRunner } from './wasm-backend.js';
export { createTfjsNodeRunner, loadTfjsNode } from './tfjs-node-backend.js';
export { openClassifier, closeClassifier, checkModelName, parseModelSpecs } from './classifier.js';
export type { ModelSpec, ClassifierModel, OpenClassifierOptions } from './classifier.js';
export { classifyBatch, predictionColumns, modelInputSizes, resolveClassifyOptions, CLASSIFY_DEFAULTS } from './classify-batch.js';
export type { ClassifyOptions, ResolvedClassifyOptions } from './classify-batch.js';
export { predictionColumnSpecs, modelColumnSpecs, PREDICTIONS_FILE, PREDICTION_KEY_COLUMNS, CLASSIFY_ERROR_COLUMN } from './predictions-schema.js';
export { ClassifyTransform, classifyRecords, classifyStream } from './classify-stream.js';
// Keras → ONNX compiler, ONNX Runtime backend, Keras architectures in code, Keras .h5 weights
export { compileKerasToOnnx } from './onnx-compile.js';
export type { OnnxCompileOptions, CompiledOnnxModel } from './onnx-compile.js';
export { encodeOnnxModel, decodeOnnxModel } from './onnx-proto.js';
export type { OnnxModel, OnnxGraph, OnnxNode, OnnxTensor, OnnxAttribute, OnnxValueInfo } from './onnx-proto.js';
export { createOnnxRunner, createOnnxRunnerFromCompiled } from './onnx-backend.js';
export type { OnnxRunnerOptions } from './onnx-backend.js';
export { mobileNetV1, MOBILENET_DEFAULTS, MOBILENET_ALPHAS } from './architectures/mobilenet.js';
export type { MobileNetOptions } from './architectures/mobilenet.js';
export { resNet50, RESNET50_DEFAULTS } from './architectures/resnet50.js';
export type { ResNet50Options } from './architectures/resnet50.js';
export { readKerasH5, writeKerasH5, assignH5Weights } from './h5-weights.js';
export type { KerasH5Contents, H5Weight, AssignH5Options, WriteKerasH5Options } from './h5-weights.js';
export { loadH5Model, detectH5Architecture, buildArchitecture } from './h5-loader.js';
export type { H5LoadOptions, H5Architecture } from './h5-loader.js';
// int8: QDQ compiler, static calibration, cached quantized models
export { compileKerasToOnnxInt8, quantizeWeights, activationParams } from './onnx-int8.js';
export type { Int8Plan, ActivationType, TensorRange } from './onnx-int8.js';
export { calibrationRanges, TensorStats, agreement, CALIBRATION_METHODS } from './int8-calibrate.js';
export type { CalibrationMethod, Agreement } from './int8-calibrate.js';
export { quantizeModel, cpuHasVnni, INT8_DEFAULTS } from './int8-model.js';
export type { Precision, WeightType, Int8Options, Int8Report } from './int8-model.js';
export { PRECISIONS } from './options.js';
export { calibrationSample } from './calibration-sample.js';
export type { CalibrationSampleOptions } from './calibration-sample.js';
