/** Stable codes: NOT_BUILT and UNSUPPORTED mean "use another decoder"; the others describe the input. */
export type JpegCropErrorCode =
  | 'NOT_BUILT' // the native binding did not build or load on this machine
  | 'UNSUPPORTED' // CMYK/YCCK, or an ICC profile that needs colour management
  | 'BAD_JPEG' // not a JPEG, truncated or corrupt (libjpeg warnings count as errors)
  | 'BAD_REGION' // a region outside the image, or not whole pixels
  | 'TOO_MANY_PIXELS' // width × height above options.maxPixels
  | 'BAD_OPTIONS'
  | 'ENCODE_FAILED'
  | 'OUT_OF_MEMORY'
  | 'WRITE_FAILED' // options.files: a chip file could not be written (message: path and reason)
  | 'CANCELLED'; // the work was cancelled before it ran (process exit)

export class JpegCropError extends Error {
  readonly code: JpegCropErrorCode;
  constructor(code: JpegCropErrorCode, message: string) {
    super(message);
    this.name = 'JpegCropError';
    this.code = code;
  }
}
