import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import writeFileAtomic from 'write-file-atomic';
import type { FetchFailureReason } from './fetch-image.js';

/** One line of download-errors.jsonl. `reason` is a stable code, `message` the details. */
export interface DownloadErrorRecord {
  stage: 'download';
  ImageID: string;
  reason: FetchFailureReason | 'NO_SUBSET' | 'NO_URL';
  message: string;
  url: string | null;
  status: number | null;
  attempts: number;
  /** True for failures a retry will not fix (404/403/410, other 4xx, too large, no URL): a rerun skips them. */
  permanent: boolean;
  time: string;
}

/** Records of a previous run; a line torn by a kill is skipped. */
export function readErrorLog(file: string): DownloadErrorRecord[] {
  if (!existsSync(file)) return [];
  const out: DownloadErrorRecord[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    try {
      const rec = JSON.parse(line) as DownloadErrorRecord;
      if (rec && typeof rec.ImageID === 'string' && typeof rec.reason === 'string') out.push(rec);
    } catch {
      // torn last line of a killed run
    }
  }
  return out;
}

/**
 * download-errors.jsonl: rewritten at the start of a run with the failures still standing, then appended one
 * synchronous line per failure, so a kill loses at most the line being written.
 */
export class DownloadErrorLog {
  count = 0;
  constructor(readonly file: string) {}

  async reset(keep: readonly DownloadErrorRecord[]): Promise<void> {
    await writeFileAtomic(this.file, keep.map((r) => JSON.stringify(r) + '\n').join(''));
    this.count = keep.length;
  }

  append(record: DownloadErrorRecord): void {
    appendFileSync(this.file, JSON.stringify(record) + '\n');
    this.count++;
  }
}
