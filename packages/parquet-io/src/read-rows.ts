import { parquetReadObjects } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import type { ColumnSpec, ColumnType } from './column-spec.js';
import { ParquetIoError } from './errors.js';
import type { ReadOptions } from './options.js';
import { checkColumns, openParquet } from './parquet-source.js';
import type { ParquetSource } from './parquet-source.js';

export type ParquetRow = Record<string, unknown>;

const SLICE_BYTES = 64 * 1024 * 1024;

/** Read rows [start, end) of one open source; hyparquet reads only the row groups (and pages) that overlap. */
export async function readRange(
  source: ParquetSource,
  start: number,
  end: number,
  columns: string[] | undefined,
): Promise<ParquetRow[]> {
  try {
    return (await parquetReadObjects({
      file: source.file,
      metadata: source.metadata,
      columns,
      rowStart: start,
      rowEnd: end,
      utf8: false,
      compressors,
      useOffsetIndex: true,
    })) as ParquetRow[];
  } catch (err) {
    throw new ParquetIoError('READ_FAILED', `reading rows ${start}-${end} of ${source.path} failed: ${(err as Error).message}`, { cause: err });
  }
}

/** Row-group boundaries [start, end) of a file. */
export function rowGroupRanges(source: ParquetSource): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  let start = 0;
  for (const g of source.metadata.row_groups) {
    const n = Number(g.num_rows);
    out.push([start, start + n]);
    start += n;
  }
  return out;
}

/**
 * Stream rows of a Parquet file, one row group at a time (never the whole file in memory).
 * Unannotated BYTE_ARRAY columns come back as Uint8Array, STRING as string, INT64 as bigint.
 */
export async function* readParquetRows(filePath: string, options: ReadOptions = {}): AsyncGenerator<ParquetRow> {
  const source = await openParquet(filePath);
  try {
    checkColumns(source, options.columns);
    const rowStart = options.rowStart ?? 0;
    const rowEnd = options.rowEnd ?? Infinity;
    const groups = source.metadata.row_groups;
    for (const [g, [gs, ge]] of rowGroupRanges(source).entries()) {
      const s = Math.max(gs, rowStart);
      const e = Math.min(ge, rowEnd);
      if (s >= e) continue;
      // a row group far bigger than ours (e.g. from another writer) is read in slices of ~SLICE_BYTES
      const slices = Math.max(1, Math.ceil(Number(groups[g].total_byte_size) / SLICE_BYTES));
      const step = Math.ceil((ge - gs) / slices);
      for (let a = s; a < e; a += step) {
        const rows = await readRange(source, a, Math.min(e, a + step), options.columns);
        for (const row of rows) yield row;
      }
    }
  } finally {
    await source.close();
  }
}

/** Number of rows and column names of a Parquet file, from its footer only. */
export async function parquetInfo(filePath: string): Promise<{ rows: number; columns: string[]; rowGroups: number }> {
  const source = await openParquet(filePath);
  try {
    return { rows: Number(source.metadata.num_rows), columns: source.columnNames, rowGroups: source.metadata.row_groups.length };
  } finally {
    await source.close();
  }
}

/** The column spec of an existing file (flat schemas of the supported types), e.g. to carry columns through a stage. */
export async function parquetColumns(filePath: string): Promise<ColumnSpec[]> {
  const source = await openParquet(filePath);
  try {
    return source.metadata.schema.slice(1).map((e) => {
      if (e.num_children) throw new ParquetIoError('BAD_COLUMN_SPEC', `${filePath}: nested column ${e.name} is not supported`);
      let type: ColumnType;
      if (e.type === 'BYTE_ARRAY') type = e.converted_type === 'UTF8' || e.logical_type?.type === 'STRING' ? 'STRING' : 'BYTE_ARRAY';
      else if (e.type === 'DOUBLE' || e.type === 'FLOAT' || e.type === 'INT32' || e.type === 'INT64' || e.type === 'BOOLEAN') type = e.type;
      else throw new ParquetIoError('BAD_COLUMN_SPEC', `${filePath}: column ${e.name} has unsupported type ${String(e.type)}`);
      return { name: e.name, type, nullable: e.repetition_type !== 'REQUIRED' };
    });
  } finally {
    await source.close();
  }
}
