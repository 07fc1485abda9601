import type { ByteKeySet } from './byte-key-set.js';
import type { KeptBatch } from './line-prefilter.js';
import type { CsvHeader, CsvRow } from './scan-csv.js';

/**
 * Rows of a quote-free batch of kept lines: each line split on commas (for quote-free CSV exactly what csv-parse
 * gives), checked exactly against `exact`. `lineBase` is added to the batch's line numbers.
 */
export function splitQuoteFreeBatch(batch: KeptBatch, file: string, header: CsvHeader, exact: readonly { index: number; set: ByteKeySet }[], lineBase = 0): CsvRow[] {
  const rows: CsvRow[] = [];
  const { data, offsets } = batch;
  const n = batch.lines.length;
  outer: for (let i = 0; i < n; i++) {
    // Decode line by line: fields then point into one short line, never into a whole batch of text.
    let end = i + 1 < n ? offsets[i + 1] : data.length;
    if (end > offsets[i] && data[end - 1] === 10) end--;
    if (end > offsets[i] && data[end - 1] === 13) end--;
    if (end === offsets[i]) continue; // blank line
    const record = data.toString('utf8', offsets[i], end).split(',');
    for (const w of exact) {
      const v = record[w.index];
      if (v === undefined || !w.set.hasString(v)) continue outer;
    }
    rows.push({ file, line: batch.lines[i] + lineBase, fields: record, header });
  }
  return rows;
}
