/** Stable codes for mistakes a user can fix; the CLI prints them as one line. */
export type PipelineErrorCode =
  | 'RUN_DIR_MISSING'
  | 'RUN_ARGS_MISMATCH'
  | 'BAD_OPTION'
  | 'DATA_DIR_INVALID'
  | 'NO_MODEL'
  | 'REPORT_INPUT_MISSING'
  | 'CHROMIUM_MISSING';

export class PipelineError extends Error {
  readonly code: PipelineErrorCode;
  constructor(code: PipelineErrorCode, message: string) {
    super(message);
    this.name = 'PipelineError';
    this.code = code;
  }
}
