/** Stable codes for mistakes a user can fix; the CLI prints them as one line (`oidstream: <message> [CODE]`). */
export type PipelineErrorCode =
  // run, report
  | 'RUN_DIR_MISSING'
  | 'RUN_ARGS_MISMATCH'
  | 'BAD_OPTION' // a flag value out of range or malformed
  | 'DATA_DIR_INVALID'
  | 'NO_MODEL'
  | 'REPORT_INPUT_MISSING'
  | 'OUT_NOT_WRITABLE' // --out cannot be created or written (permission, read-only file system)
  | 'RESUME_FAILED' // a checkpointed output's temp file is gone: the stage starts over
  | 'CHROMIUM_MISSING'
  // scale-out
  | 'BAD_REDIS_URL'
  | 'REDIS_UNREACHABLE'
  | 'BAD_SHARD'
  | 'NO_PLAN'
  | 'PLAN_MISMATCH'
  | 'PARTS_MISSING'
  | 'PART_SCHEMA_MISMATCH'
  | 'SHARDS_FAILED'
  | 'NO_IMAGES'
  | 'SHARD_INPUT_CORRUPT'
  | 'REDIS_SERVER_MISSING';

export class PipelineError extends Error {
  readonly code: PipelineErrorCode;
  constructor(code: PipelineErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PipelineError';
    this.code = code;
  }
}
