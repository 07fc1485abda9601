/** Stable codes for scale-out mistakes a user can fix (bad Redis URL, missing parts, failed shards …). */
export type ScaleOutErrorCode =
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

export class ScaleOutError extends Error {
  readonly code: ScaleOutErrorCode;
  constructor(code: ScaleOutErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ScaleOutError';
    this.code = code;
  }
}
