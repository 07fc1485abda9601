/** Stable codes for mistakes a user can fix; the oidstream CLI prints them as one line (`oidstream: <message> [CODE]`). */
export type ReportErrorCode =
  | 'RUN_DIR_MISSING' // the run directory does not exist
  | 'REPORT_INPUT_MISSING'; // it holds none of the stage outputs a report is made from

export class ReportError extends Error {
  readonly code: ReportErrorCode;
  constructor(code: ReportErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ReportError';
    this.code = code;
  }
}
