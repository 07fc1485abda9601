/** Stable error codes of @oidstream/oid-join. */
export type OidJoinErrorCode =
  | 'MISSING_FILE' | 'MISSING_COLUMN' | 'EMPTY_FILE' | 'BAD_OPTIONS' | 'GROUP_KEY_REAPPEARED' | 'DATA_DIR_INVALID' | 'UNKNOWN_SPLIT';

export class OidJoinError extends Error {
  readonly code: OidJoinErrorCode;
  constructor(code: OidJoinErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'OidJoinError';
    this.code = code;
  }
}
