import path from 'node:path';

/** A slice of a stage's input: rows [rowStart, rowEnd) of the input file. */
export interface PartRange {
  index: number;
  count: number;
  rowStart: number;
  rowEnd: number;
  /** ledger key, e.g. `00003-of-00012` */
  key: string;
}

/** Fixed-size row ranges: the same input and size always give the same parts, so a rerun finds its finished ones. */
export function planParts(rows: number, rowsPerPart: number): PartRange[] {
  const count = Math.max(1, Math.ceil(rows / rowsPerPart));
  return Array.from({ length: count }, (_, index) => ({
    index,
    count,
    rowStart: index * rowsPerPart,
    rowEnd: Math.min(rows, (index + 1) * rowsPerPart),
    key: `${String(index).padStart(5, '0')}-of-${String(count).padStart(5, '0')}`,
  }));
}

/** Where a stage keeps its finished parts until they are merged: OUT/.oidstream/parts/<stage>/part-<key><ext>. */
export function partFile(out: string, stage: string, part: PartRange, ext: string): string {
  return path.join(out, '.oidstream', 'parts', stage, `part-${part.key}${ext}`);
}
