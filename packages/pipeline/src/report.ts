import type { ReportOptions, ReportResult } from '@oidstream/report';

/** `oidstream report`'s work, from @oidstream/report, loaded when a report is written (not when the CLI starts). */
export async function writeReport(runDir: string, options?: ReportOptions): Promise<ReportResult> {
  return (await import('@oidstream/report')).writeReport(runDir, options);
}
