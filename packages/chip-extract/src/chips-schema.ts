import type { ColumnSpec } from '@oidstream/parquet-io';
import { ChipExtractError } from './errors.js';
import type { ChipRecord } from './records.js';

/** The file chips are written to (DESIGN.md). */
export const CHIPS_FILE = 'chips.parquet';

/** Columns chips.parquet adds after the box columns. */
export const CHIP_COLUMNS: readonly ColumnSpec[] = [
  { name: 'chip_id', type: 'STRING', nullable: false },
  { name: 'chip', type: 'BYTE_ARRAY', nullable: false },
  { name: 'chip_width', type: 'INT32', nullable: false },
  { name: 'chip_height', type: 'INT32', nullable: false },
  { name: 'chip_path', type: 'STRING', nullable: false },
];

const BOX_KEYS = ['ImageID', 'XMin', 'XMax', 'YMin', 'YMax'];

/**
 * chips.parquet's columns for boxes with these columns: every box column, then CHIP_COLUMNS. Throws BAD_OPTIONS
 * when a box coordinate is missing or a box column would clash with a chip column.
 */
export function chipsColumns(boxColumns: readonly ColumnSpec[], source = 'the box rows'): ColumnSpec[] {
  for (const c of BOX_KEYS) {
    if (!boxColumns.some((b) => b.name === c)) throw new ChipExtractError('BAD_OPTIONS', `${source} has no ${c} column: is it a boxes.parquet from \`oidstream select\`?`);
  }
  // a column of the wrong type would fail once per box: refuse the file once instead
  for (const c of boxColumns) {
    const want = c.name === 'ImageID' ? ['STRING'] : BOX_KEYS.includes(c.name) ? ['DOUBLE', 'FLOAT'] : undefined;
    if (want && !want.includes(c.type)) throw new ChipExtractError('BAD_OPTIONS', `${source}: column ${c.name} is ${c.type}, expected ${want.join(' or ')}`);
  }
  const clash = boxColumns.find((b) => CHIP_COLUMNS.some((c) => c.name === b.name));
  if (clash) throw new ChipExtractError('BAD_OPTIONS', `${source} already has a ${clash.name} column`);
  return [...boxColumns, ...CHIP_COLUMNS];
}

/** A chip as a chips.parquet row: the box's columns, then the chip's. */
export function chipRow(c: ChipRecord): Record<string, unknown> {
  return { ...c.box, chip_id: c.chip_id, chip: c.chip, chip_width: c.chip_width, chip_height: c.chip_height, chip_path: c.chip_path };
}
