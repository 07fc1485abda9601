import { Readable, Writable } from 'node:stream';
import type { ColumnSpec } from './column-spec.js';
import type { ReadOptions, WriteOptions } from './options.js';
import { ParquetFileWriter } from './parquet-file-writer.js';
import { readParquetRowsByKey } from './read-by-key.js';
import type { KeyedReadOptions } from './read-by-key.js';
import { readParquetRows } from './read-rows.js';

/** Object-mode Readable of rows (a row group at a time underneath). */
export function parquetReadStream(filePath: string, options: ReadOptions = {}): Readable {
  return Readable.from(readParquetRows(filePath, options), { objectMode: true, highWaterMark: 64 });
}

/** Object-mode Readable of the rows whose `key` is in `keys` (selective read). */
export function parquetKeyedReadStream(filePath: string, key: string, keys: ReadonlySet<string>, options: KeyedReadOptions = {}): Readable {
  return Readable.from(readParquetRowsByKey(filePath, key, keys, options), { objectMode: true, highWaterMark: 16 });
}

/**
 * Object-mode Writable: each written row goes to a ParquetFileWriter; the file is renamed into place when the
 * stream finishes, and the temp file is removed if the stream is destroyed or a row is invalid.
 * The result ({ rows, bytes }) is emitted as the 'result' event before 'finish'.
 */
export function parquetWriteStream(filePath: string, columns: readonly ColumnSpec[], options: WriteOptions = {}): Writable {
  const writer = ParquetFileWriter.open(filePath, columns, options);
  return new Writable({
    objectMode: true,
    highWaterMark: 64,
    write(row: Record<string, unknown>, _enc, cb) {
      try {
        writer.write(row);
        cb();
      } catch (err) {
        cb(err as Error);
      }
    },
    final(cb) {
      try {
        const result = writer.finish();
        this.emit('result', result);
        cb();
      } catch (err) {
        cb(err as Error);
      }
    },
    destroy(err, cb) {
      writer.abort();
      cb(err);
    },
  });
}
