/** Stable error codes of @oidstream/oid-labels. */
export type OidLabelsErrorCode =
  | 'UNKNOWN_CLASS'
  | 'AMBIGUOUS_CLASS'
  | 'EMPTY_SELECTION'
  | 'BAD_CLASS_FILE'
  | 'BAD_HIERARCHY'
  | 'NOT_IN_HIERARCHY'
  | 'MISSING_HIERARCHY'
  | 'MISSING_FILE'
  | 'MISSING_COLUMN'
  | 'BAD_OPTIONS';

export class OidLabelsError extends Error {
  readonly code: OidLabelsErrorCode;
  /** Extra machine-readable detail, e.g. the candidate MIDs of an ambiguous name or the suggestions for an unknown one. */
  readonly details?: Record<string, unknown>;
  constructor(code: OidLabelsErrorCode, message: string, details?: Record<string, unknown>, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'OidLabelsError';
    this.code = code;
    if (details) this.details = details;
  }
}
