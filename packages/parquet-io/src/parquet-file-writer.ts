import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { ParquetWriter } from 'hyparquet-writer';
import type { ColumnSource } from 'hyparquet-writer';
import { coerceValue, estimateSize, schemaFromColumns, validateColumns } from './column-spec.js';
import type { ColumnSpec } from './column-spec.js';
import { ParquetIoError } from './errors.js';
import { FileSink } from './file-sink.js';
import { parquetInfo } from './read-rows.js';
import { restoreWriterState, saveWriterState, type WriterCheckpoint } from './writer-checkpoint.js';
import { WRITE_DEFAULTS } from './options.js';
import type { WriteOptions } from './options.js';

/**
 * Row-at-a-time Parquet writer. Rows are buffered per column and written as a row group when the group
 * reaches `rowGroupRows` rows or `rowGroupBytes` estimated bytes. Bytes go to `<path>.tmp-<random>`,
 * renamed to `path` only by `finish()`, so a crash never leaves a truncated file under the final name.
 */
export class ParquetFileWriter {
  readonly path: string;
  readonly tempPath: string;
  readonly columns: readonly ColumnSpec[];
  private readonly sink: FileSink;
  private readonly writer: ParquetWriter;
  private readonly opts: Required<Omit<WriteOptions, 'metadata'>>;
  private buffers: unknown[][];
  private bufferedRows = 0;
  private bufferedBytes = 0;
  private totalRows = 0;
  private state: 'open' | 'finished' | 'aborted' = 'open';

  private constructor(filePath: string, columns: readonly ColumnSpec[], options: WriteOptions, from?: WriterCheckpoint) {
    validateColumns(columns);
    this.opts = {
      rowGroupRows: options.rowGroupRows ?? WRITE_DEFAULTS.rowGroupRows,
      rowGroupBytes: options.rowGroupBytes ?? WRITE_DEFAULTS.rowGroupBytes,
      pageSize: options.pageSize ?? WRITE_DEFAULTS.pageSize,
      codec: options.codec ?? (WRITE_DEFAULTS.codec as 'SNAPPY'),
      binaryCodec: options.binaryCodec ?? (WRITE_DEFAULTS.binaryCodec as 'UNCOMPRESSED'),
    };
    if (!(this.opts.rowGroupRows >= 1) || !(this.opts.rowGroupBytes >= 1) || !(this.opts.pageSize >= 1)) {
      throw new ParquetIoError('BAD_OPTIONS', 'rowGroupRows, rowGroupBytes and pageSize must be positive');
    }
    this.path = path.resolve(filePath);
    this.columns = columns.map((c) => ({ ...c }));
    mkdirSync(path.dirname(this.path), { recursive: true });
    this.tempPath = from?.tempPath ?? `${this.path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
    this.sink = new FileSink(this.tempPath, from?.bytes);
    const kvMetadata = options.metadata
      ? Object.entries(options.metadata).map(([key, value]) => ({ key, value }))
      : undefined;
    this.writer = new ParquetWriter({
      writer: this.sink,
      schema: schemaFromColumns(this.columns),
      codec: this.opts.codec,
      kvMetadata,
      createdBy: 'oidstream parquet-io',
    });
    this.buffers = this.columns.map(() => []);
    if (from) {
      this.sink.rewind();
      restoreWriterState(this.writer, from.state);
      this.totalRows = from.rows;
    }
  }

  /** Open a writer on a temp file beside `path` (parent directories are created). Synchronous. */
  static open(filePath: string, columns: readonly ColumnSpec[], options: WriteOptions = {}): ParquetFileWriter {
    return new ParquetFileWriter(filePath, columns, options);
  }

  /**
   * Go on with a file that a crashed process checkpointed: its temp file is truncated to the checkpoint and the
   * rows after it are gone. Throws WRITER_CLOSED when the temp file is missing or shorter than the checkpoint.
   */
  static resume(filePath: string, columns: readonly ColumnSpec[], checkpoint: WriterCheckpoint, options: WriteOptions = {}): ParquetFileWriter {
    let size = -1;
    try {
      size = statSync(checkpoint.tempPath).size;
    } catch {
      // missing: refused below
    }
    if (size < checkpoint.bytes) throw new ParquetIoError('WRITER_CLOSED', `cannot resume ${filePath}: ${checkpoint.tempPath} is missing or shorter than its checkpoint`);
    return new ParquetFileWriter(filePath, columns, options, checkpoint);
  }

  /**
   * Finish a checkpointed file whose process died after its last rows: a temp file still there is resumed and
   * finished; a final file with the checkpoint's rows is one whose rename happened just before the crash, and is
   * kept. Anything else throws WRITER_CLOSED.
   */
  static async finishFrom(filePath: string, columns: readonly ColumnSpec[], checkpoint: WriterCheckpoint, options: WriteOptions = {}): Promise<{ rows: number }> {
    if (existsSync(checkpoint.tempPath)) return ParquetFileWriter.resume(filePath, columns, checkpoint, options).finish();
    const rows = await parquetInfo(filePath).then((i) => i.rows, () => -1);
    if (rows !== checkpoint.rows || statSync(filePath).size <= checkpoint.bytes) {
      throw new ParquetIoError('WRITER_CLOSED', `cannot finish ${filePath}: ${checkpoint.tempPath} is gone and ${filePath} is not the file it became`);
    }
    return { rows };
  }

  /**
   * Close the current row group and sync the file: the returned checkpoint (JSON-safe) lets `resume` continue
   * from exactly here. Costs a row group boundary, so call it at the end of a unit of work, not per row.
   */
  checkpoint(): WriterCheckpoint {
    if (this.state !== 'open') throw new ParquetIoError('WRITER_CLOSED', `writer for ${this.path} is ${this.state}`);
    this.flushGroup();
    this.sink.sync();
    return { tempPath: this.tempPath, bytes: this.sink.written, rows: this.totalRows, state: saveWriterState(this.writer) };
  }

  /** Rows written so far (buffered included). */
  get rows(): number {
    return this.totalRows;
  }

  /**
   * Append one row (missing keys are null). Values are validated against the column spec: a bad
   * value throws a coded ParquetIoError and the row is not added.
   */
  write(row: object): void {
    if (this.state !== 'open') throw new ParquetIoError('WRITER_CLOSED', `writer for ${this.path} is ${this.state}`);
    const values = new Array<unknown>(this.columns.length);
    let bytes = 0;
    for (let i = 0; i < this.columns.length; i++) {
      const v = coerceValue(this.columns[i], (row as Record<string, unknown>)[this.columns[i].name]);
      values[i] = v;
      bytes += estimateSize(v);
    }
    for (let i = 0; i < values.length; i++) this.buffers[i].push(values[i]);
    this.bufferedRows++;
    this.bufferedBytes += bytes;
    this.totalRows++;
    if (this.bufferedRows >= this.opts.rowGroupRows || this.bufferedBytes >= this.opts.rowGroupBytes) {
      this.flushGroup();
    }
  }

  /** Write buffered rows as one row group now. */
  flushGroup(): void {
    if (this.bufferedRows === 0) return;
    const columnData: ColumnSource[] = this.columns.map((c, i) => ({
      name: c.name,
      data: this.buffers[i] as ColumnSource['data'],
      codec: c.type === 'BYTE_ARRAY' ? this.opts.binaryCodec : this.opts.codec,
      // binary payloads (images, chips) are unique: skip hashing them for a dictionary that would not pay off,
      // and keep each value in its own data page range for key-selective reads
      encoding: c.type === 'BYTE_ARRAY' ? 'PLAIN' : undefined,
      // min/max of image bytes is meaningless and costs a copy
      statistics: c.type !== 'BYTE_ARRAY',
    }));
    try {
      this.writer.write({ columnData, rowGroupSize: this.bufferedRows, pageSize: this.opts.pageSize });
    } catch (err) {
      this.abort();
      throw new ParquetIoError('BAD_VALUE', `writing row group to ${this.path} failed: ${(err as Error).message}`, { cause: err });
    }
    this.buffers = this.columns.map(() => []);
    this.bufferedRows = 0;
    this.bufferedBytes = 0;
  }

  /** Write the last row group and footer, then rename the temp file to its final name. */
  finish(): { rows: number; bytes: number } {
    if (this.state !== 'open') throw new ParquetIoError('WRITER_CLOSED', `writer for ${this.path} is ${this.state}`);
    this.flushGroup();
    this.writer.finish();
    this.state = 'finished';
    try {
      renameSync(this.tempPath, this.path);
    } catch (err) {
      rmSync(this.tempPath, { force: true }); // e.g. the path is a directory: say so, leave nothing behind
      const why = (err as NodeJS.ErrnoException).code === 'EISDIR' ? 'it is a directory' : (err as Error).message;
      throw new ParquetIoError('OUT_NOT_WRITABLE', `cannot write ${this.path}: ${why}`, { cause: err });
    }
    return { rows: this.totalRows, bytes: this.sink.written };
  }

  /** Drop everything: close and delete the temp file. The final path is never touched. Idempotent. */
  abort(): void {
    if (this.state !== 'open') return;
    this.state = 'aborted';
    this.sink.close();
    rmSync(this.tempPath, { force: true });
  }
}
