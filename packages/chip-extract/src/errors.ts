/** Thrown for caller mistakes (bad options); bad input data never throws, it becomes a ChipError record. */
export class ChipExtractError extends Error {
  readonly code: 'BAD_OPTIONS' | 'UNSAFE_PATH';
  constructor(code: 'BAD_OPTIONS' | 'UNSAFE_PATH', message: string) {
    super(message);
    this.name = 'ChipExtractError';
    this.code = code;
  }
}

/** Reasons a box yields an error record instead of a chip. */
export type ChipErrorCode =
  | 'BAD_IMAGE_ID' // ImageID is not 16 hex digits: never looked up, never used in a path
  | 'UNKNOWN_IMAGE' // no image row for the ImageID
  | 'BAD_IMAGE' // bytes missing or undecodable (truncated, not an image, …)
  | 'BAD_ROTATION' // OID Rotation other than 0/90/180/270
  | 'BAD_BOX' // coordinates missing, NaN or inverted
  | 'EMPTY_BOX' // zero width or height
  | 'BOX_OUTSIDE_IMAGE' // nothing left after clamping to the image
  | 'BOX_TOO_SMALL' // smaller than options.minBoxSize pixels
  | 'ENCODE_FAILED';
