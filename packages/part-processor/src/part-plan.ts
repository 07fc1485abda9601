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
