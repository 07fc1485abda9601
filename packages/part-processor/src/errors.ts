export type PartProcessorErrorCode =
  | 'RESUME_FAILED' // a checkpointed output's temp file is gone or shorter than its checkpoint: start the stage over
  | 'BAD_OPTIONS';

/** Typed error with a stable `code` (the CLI prints it as one line). */
export class PartProcessorError extends Error {
  readonly code: PartProcessorErrorCode;
  constructor(code: PartProcessorErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PartProcessorError';
    this.code = code;
  }
}
