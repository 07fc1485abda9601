import { parse } from 'csv-parse/sync';
import { OidJoinError } from './errors.js';

/** A CSV header: names in file order and their positions. */
export class CsvHeader {
  readonly names: readonly string[];
  private readonly positions = new Map<string, number>();
  constructor(names: readonly string[]) {
    this.names = names.map((n) => n.trim());
    this.names.forEach((n, i) => {
      if (!this.positions.has(n)) this.positions.set(n, i);
    });
  }
  /** Position of a column, or -1. */
  indexOf(name: string): number {
    return this.positions.get(name) ?? -1;
  }
  /** Position of a column that must exist (`MISSING_COLUMN` otherwise). */
  require(name: string, file = 'CSV'): number {
    const i = this.indexOf(name);
    if (i < 0) throw new OidJoinError('MISSING_COLUMN', `${file}: header has no ${name} column (header: ${clip(this.names.join(','))})`);
    return i;
  }
  /** Fields to an object keyed by header name (header-driven column mapping). */
  toObject(fields: readonly string[]): Record<string, string> {
    const o: Record<string, string> = {};
    for (let i = 0; i < this.names.length; i++) o[this.names[i]] = fields[i] ?? '';
    return o;
  }
}

/** The header line of a CSV file (a BOM is dropped). */
export function readHeader(line: Buffer, file: string): CsvHeader {
  let text = line.toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const rows = parse(text, { relax_column_count: true, relax_quotes: true }) as string[][];
  if (rows.length === 0 || rows[0].every((f) => f.trim() === '')) throw new OidJoinError('EMPTY_FILE', `${file}: empty header line`);
  return new CsvHeader(rows[0]);
}

/** At most ~200 characters of a line in a message: a 50 MB single-line file must not land on stderr whole. */
export function clip(text: string, max = 200): string {
  return text.length <= max ? text : `${text.slice(0, max)}… (${text.length} characters)`;
}
