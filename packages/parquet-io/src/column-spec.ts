import type { SchemaElement } from 'hyparquet';
import { ParquetIoError } from './errors.js';

export type ColumnType = 'STRING' | 'DOUBLE' | 'FLOAT' | 'INT32' | 'INT64' | 'BOOLEAN' | 'BYTE_ARRAY';

/** One output column. `nullable` defaults to true (as in hyparquet-writer). */
export interface ColumnSpec {
  name: string;
  type: ColumnType;
  nullable?: boolean;
}

const TYPES: ReadonlySet<string> = new Set(['STRING', 'DOUBLE', 'FLOAT', 'INT32', 'INT64', 'BOOLEAN', 'BYTE_ARRAY']);

export function validateColumns(columns: readonly ColumnSpec[]): void {
  if (!Array.isArray(columns) || columns.length === 0) {
    throw new ParquetIoError('BAD_COLUMN_SPEC', 'at least one column is required');
  }
  const seen = new Set<string>();
  for (const c of columns) {
    if (!c || typeof c.name !== 'string' || c.name === '') {
      throw new ParquetIoError('BAD_COLUMN_SPEC', 'every column needs a non-empty name');
    }
    if (!TYPES.has(c.type)) {
      throw new ParquetIoError('BAD_COLUMN_SPEC', `column ${c.name}: unknown type ${String(c.type)}`);
    }
    if (seen.has(c.name)) throw new ParquetIoError('BAD_COLUMN_SPEC', `duplicate column ${c.name}`);
    seen.add(c.name);
  }
}

/** Parquet schema (root + one leaf per column) for a column spec. */
export function schemaFromColumns(columns: readonly ColumnSpec[]): SchemaElement[] {
  const schema: SchemaElement[] = [{ name: 'root', num_children: columns.length }];
  for (const c of columns) {
    const repetition_type = c.nullable === false ? 'REQUIRED' : 'OPTIONAL';
    if (c.type === 'STRING') {
      schema.push({ name: c.name, type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type });
    } else {
      schema.push({ name: c.name, type: c.type, repetition_type });
    }
  }
  return schema;
}

/** Coerce one row value to what hyparquet-writer expects for the column; throws coded errors. */
export function coerceValue(column: ColumnSpec, value: unknown): unknown {
  if (value === null || value === undefined) {
    if (column.nullable === false) {
      throw new ParquetIoError('NULL_IN_REQUIRED', `column ${column.name} is not nullable but got ${String(value)}`);
    }
    return null;
  }
  switch (column.type) {
    case 'STRING':
      if (typeof value === 'string') return value;
      break;
    case 'DOUBLE':
    case 'FLOAT':
      if (typeof value === 'number') return value;
      if (typeof value === 'bigint') return Number(value);
      break;
    case 'INT32':
      if (typeof value === 'number' && Number.isInteger(value) && value >= -2147483648 && value <= 2147483647) return value;
      if (typeof value === 'bigint' && value >= -2147483648n && value <= 2147483647n) return Number(value);
      break;
    case 'INT64':
      if (typeof value === 'bigint') return value;
      if (typeof value === 'number' && Number.isSafeInteger(value)) return BigInt(value);
      break;
    case 'BOOLEAN':
      if (typeof value === 'boolean') return value;
      break;
    case 'BYTE_ARRAY':
      if (value instanceof Uint8Array) return value;
      if (value instanceof ArrayBuffer) return new Uint8Array(value);
      break;
  }
  const shown = typeof value === 'string' ? JSON.stringify(value.slice(0, 40)) : typeof value;
  throw new ParquetIoError('BAD_VALUE', `column ${column.name} (${column.type}) cannot hold ${shown}`);
}

/** Rough encoded size of a value, used to bound row groups by bytes. */
export function estimateSize(value: unknown): number {
  if (value === null || value === undefined) return 1;
  if (typeof value === 'string') return value.length + 4;
  if (value instanceof Uint8Array) return value.byteLength + 4;
  return 8;
}
