/** Stable codes: the CLI prints `oidstream: <message> [CODE]`. Add codes, never rename them. */
export type KerasModelsErrorCode =
  | 'MODEL_NOT_FOUND' // no model.json / .h5 at the given path or URL
  | 'FETCH_FAILED' // http(s) download failed (network error, HTTP status)
  | 'FETCH_TIMEOUT' // no response headers in time, or the body stalled / trickled past its time limit
  | 'FETCH_TOO_LARGE' // a downloaded body over the size cap (maxBytes)
  | 'BAD_MANIFEST' // model.json is not a tfjs layers model / malformed weightsManifest
  | 'SHARD_PATH_ESCAPE' // a shard path points outside the model directory (or URL prefix)
  | 'SHARD_MISSING' // a shard listed in the manifest is absent
  | 'SHARD_SIZE_MISMATCH' // shard bytes ≠ what the manifest's shapes/dtypes need
  | 'NAN_WEIGHTS' // a weight holds NaN or ±Infinity
  | 'BAD_WEIGHTS' // weights do not fit the architecture (names/shapes)
  | 'UNSUPPORTED_LAYER' // a backend cannot run a layer of this model
  | 'BACKEND_UNAVAILABLE' // the requested backend can't load on this machine
  | 'BAD_IMAGE' // bytes that do not decode as an image
  | 'NO_IMAGE' // a record without image bytes (field missing, not bytes, or empty)
  | 'IMAGE_TOO_LARGE' // an image with more pixels than maxPixels (refused before decoding)
  | 'CLASS_INDEX_NOT_FOUND' // imagenet_class_index.json neither beside the model, in ~/.keras/models, nor downloadable
  | 'BAD_CLASS_INDEX' // class index JSON is malformed
  | 'BAD_OPTION' // an option value is out of range / unknown
  | 'BAD_INPUT'; // a record/batch of the wrong shape

export class KerasModelsError extends Error {
  readonly code: KerasModelsErrorCode;
  constructor(code: KerasModelsErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'KerasModelsError';
    this.code = code;
  }
}
