/** Stable codes of `oidstream download` user errors (the CLI prints them as one line and exits 2). */
export type DownloadErrorCode =
  | 'BAD_OPTION' // a flag value out of range or malformed
  | 'BAD_SOURCE' // --source is not s3|original|thumbnail
  | 'NO_URL' // --source original/thumbnail but no images-with-rotation CSV row gives the URL
  | 'BAD_CSV' // an images-with-rotation CSV lacks a required column
  | 'UNREACHABLE'; // every request so far failed to connect: wrong --base-url or no network

export class DownloadError extends Error {
  readonly code: DownloadErrorCode;
  constructor(code: DownloadErrorCode, message: string) {
    super(message);
    this.name = 'DownloadError';
    this.code = code;
  }
}
