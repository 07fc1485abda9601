/** Stable error codes of @oidstream/oid-download. */
export type DownloadErrorCode =
  | 'BAD_OPTION' // an option value out of range or malformed
  | 'BAD_SOURCE' // source is not s3|original|thumbnail
  | 'NO_URL' // source original/thumbnail but no images-with-rotation CSV gives the URL
  | 'BAD_CSV' // an images-with-rotation CSV lacks a required column
  | 'BAD_ID_LIST' // the --ids file does not exist
  | 'UNREACHABLE' // every request so far failed to connect: wrong base URL or no network
  | 'NOTHING_STORED' // images were wanted but none could be stored
  | 'LOCKED'; // another live process holds the output's lock

export class DownloadError extends Error {
  readonly code: DownloadErrorCode;
  constructor(code: DownloadErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DownloadError';
    this.code = code;
  }
}
