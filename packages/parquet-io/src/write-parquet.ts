import type { ColumnSpec } from './column-spec.js';
import { ParquetIoError } from './errors.js';
import type { WriteOptions } from './options.js';
import { ParquetFileWriter } from './parquet-file-writer.js';

/**
 * Write rows to `path` atomically (temp file + rename). Rows may be an iterable or an async iterable,
 * consumed one at a time; memory is bounded by one row group. Any record type works (e.g. oid-join's SelectedBox):
 * values are read by the column names.
 */
export async function writeParquet<T extends object>(
  filePath: string,
  columns: readonly ColumnSpec[],
  rows: Iterable<T> | AsyncIterable<T>,
  options: WriteOptions = {},
): Promise<{ rows: number; bytes: number }> {
  const r = rows as { [Symbol.iterator]?: unknown; [Symbol.asyncIterator]?: unknown } | null | undefined;
  if (typeof r?.[Symbol.iterator] !== 'function' && typeof r?.[Symbol.asyncIterator] !== 'function') {
    throw new ParquetIoError('BAD_OPTIONS', `rows must be an iterable or async iterable of row objects (got ${r === null ? 'null' : typeof r})`);
  }
  const writer = ParquetFileWriter.open(filePath, columns, options);
  try {
    for await (const row of rows) writer.write(row as Record<string, unknown>);
    return writer.finish();
  } catch (err) {
    writer.abort();
    throw err;
  }
}
