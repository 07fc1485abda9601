import { createReadStream, existsSync } from 'node:fs';
import { createInterface } from 'node:readline';

/** One line of errors.jsonl. Stages write at least ImageID and a reason; the rest is kept as given. */
export interface ErrorRecord {
  stage?: string;
  ImageID?: string;
  reason?: string;
  message?: string;
  code?: string;
  [key: string]: unknown;
}

export interface ErrorSummary {
  total: number;
  byReason: { reason: string; count: number }[];
  /** The first records, for the report's table. */
  sample: ErrorRecord[];
}

export function reasonOf(e: ErrorRecord): string {
  return String(e.code ?? e.reason ?? e.message ?? 'unknown');
}

/** Streams errors.jsonl: counts by reason, keeps the first `keep` records. Unparseable lines count as such. */
export async function summarizeErrors(file: string, keep = 25): Promise<ErrorSummary> {
  const summary: ErrorSummary = { total: 0, byReason: [], sample: [] };
  if (!existsSync(file)) return summary;
  const counts = new Map<string, number>();
  const lines = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
  for await (const line of lines) {
    if (line.trim() === '') continue;
    let rec: ErrorRecord;
    try {
      rec = JSON.parse(line) as ErrorRecord;
    } catch {
      rec = { reason: 'unparseable errors.jsonl line', message: line.slice(0, 200) };
    }
    summary.total++;
    const r = reasonOf(rec);
    counts.set(r, (counts.get(r) ?? 0) + 1);
    if (summary.sample.length < keep) summary.sample.push(rec);
  }
  summary.byReason = [...counts].map(([reason, count]) => ({ reason, count })).sort((a, b) => b.count - a.count);
  return summary;
}
