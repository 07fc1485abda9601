/** Stable codes for mistakes a user can fix; the CLI prints them as one line (`oidstream: <message> [CODE]`). */
export type PipelineErrorCode =
  // run (the report's RUN_DIR_MISSING, REPORT_INPUT_MISSING are @oidstream/report's ReportError)
  | 'RUN_ARGS_MISMATCH'
  | 'BAD_OPTION' // a flag value out of range or malformed
  | 'DATA_DIR_INVALID'
  | 'NO_MODEL'
  | 'OUT_NOT_WRITABLE' // --out cannot be created or written (permission, read-only file system)
  | 'RESUME_FAILED' // a checkpointed output's temp file is gone: the stage starts over
  // scale-out (the queue, plan and merge codes are @oidstream/scale-out's ScaleOutError)
  | 'BAD_SHARD'
  | 'SHARDS_FAILED'
  | 'SHARD_INPUT_CORRUPT';

export class PipelineError extends Error {
  readonly code: PipelineErrorCode;
  constructor(code: PipelineErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PipelineError';
    this.code = code;
  }
}
