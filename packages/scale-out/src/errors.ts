/** Stable error codes of @oidstream/scale-out. */
export type ScaleOutErrorCode =
  | 'BAD_REDIS_URL' // not a redis:// or rediss:// URL, or its CA file cannot be read
  | 'REDIS_UNREACHABLE' // connection refused, DNS, TLS, or a dropped connection
  | 'REDIS_TIMEOUT' // Redis accepted the connection but did not answer in time
  | 'REDIS_AUTH' // wrong user or password
  | 'REDIS_SERVER_MISSING' // startLocalRedis: no redis-server binary
  | 'BAD_SHARD' // a malformed --shard i/N or shard size
  | 'BAD_OPTION' // an option out of range
  | 'NO_IMAGES' // no image files to shard
  | 'NO_PLAN' // OUT has no shard plan
  | 'PLAN_MISMATCH' // a job of a replaced plan
  | 'PARTS_MISSING' // merge before every shard is done
  | 'PART_SCHEMA_MISMATCH' // parts with different columns
  | 'SHARDS_FAILED' // shards failed after all attempts
  | 'SHARD_INPUT_CORRUPT'; // a shard's image rows or files cannot be read: the shard fails, never a silent gap

export class ScaleOutError extends Error {
  readonly code: ScaleOutErrorCode;
  constructor(code: ScaleOutErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ScaleOutError';
    this.code = code;
  }
}
