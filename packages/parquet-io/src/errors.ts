/** Stable error codes of @oidstream/parquet-io. */
export type ParquetIoErrorCode =
  | 'BAD_COLUMN_SPEC'
  | 'BAD_VALUE'
  | 'NULL_IN_REQUIRED'
  | 'WRITER_CLOSED'
  | 'BAD_OPTIONS'
  | 'NOT_PARQUET'
  | 'UNKNOWN_COLUMN'
  | 'READ_FAILED'
  | 'NO_IMAGES_DIR'
  | 'BAD_ROTATION_CSV'
  | 'LOCKED' // another live process writes the same output
  | 'OUT_NOT_WRITABLE'; // the output path cannot take the file (a directory, no permission)

export class ParquetIoError extends Error {
  readonly code: ParquetIoErrorCode;
  constructor(code: ParquetIoErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ParquetIoError';
    this.code = code;
  }
}
