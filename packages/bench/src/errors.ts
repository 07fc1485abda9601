/** Stable codes for mistakes a user can fix (the CLI prints them as one line). */
export type BenchErrorCode = 'BAD_OPTION';

export class BenchError extends Error {
  readonly code: BenchErrorCode;
  constructor(code: BenchErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'BenchError';
    this.code = code;
  }
}
