import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { parquetMetadataAsync, parquetSchema } from 'hyparquet';
import type { AsyncBuffer, FileMetaData } from 'hyparquet';
import { ParquetIoError } from './errors.js';

/** An open Parquet file: an AsyncBuffer over a file handle that counts the bytes it reads. */
export interface ParquetSource {
  readonly path: string;
  readonly file: AsyncBuffer;
  readonly metadata: FileMetaData;
  /** Bytes read from disk so far (footer included). */
  readonly bytesRead: number;
  /** Top-level column names in file order. */
  readonly columnNames: string[];
  close(): Promise<void>;
}

export async function openParquet(filePath: string): Promise<ParquetSource> {
  let handle: FileHandle;
  try {
    handle = await open(filePath, 'r');
  } catch (err) {
    throw new ParquetIoError('READ_FAILED', `cannot open ${filePath}: ${(err as Error).message}`, { cause: err });
  }
  let bytesRead = 0;
  try {
    const { size } = await handle.stat();
    const file: AsyncBuffer = {
      byteLength: size,
      async slice(start: number, end?: number): Promise<ArrayBuffer> {
        const stop = Math.min(end ?? size, size);
        const length = Math.max(0, stop - start);
        const buf = new Uint8Array(length);
        let got = 0;
        while (got < length) {
          const { bytesRead: n } = await handle.read(buf, got, length - got, start + got);
          if (n === 0) break;
          got += n;
        }
        bytesRead += got;
        return buf.buffer;
      },
    };
    let metadata: FileMetaData;
    try {
      if (size < 12) throw new Error(`file is ${size} bytes`);
      metadata = await parquetMetadataAsync(file);
    } catch (err) {
      throw new ParquetIoError('NOT_PARQUET', `${filePath} is not a readable Parquet file: ${(err as Error).message}`, { cause: err });
    }
    const columnNames = parquetSchema(metadata).children.map((c) => c.element.name);
    return {
      path: filePath,
      file,
      metadata,
      get bytesRead() {
        return bytesRead;
      },
      columnNames,
      close: () => handle.close(),
    };
  } catch (err) {
    await handle.close();
    throw err;
  }
}

export function checkColumns(source: ParquetSource, columns: readonly string[] | undefined): void {
  if (!columns) return;
  for (const c of columns) {
    if (!source.columnNames.includes(c)) {
      throw new ParquetIoError('UNKNOWN_COLUMN', `${source.path} has no column ${c} (has ${source.columnNames.join(', ')})`);
    }
  }
}
