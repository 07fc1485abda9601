import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
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

const TAIL_BYTES = 64 * 1024;
const CACHE_SLICE_MAX = 64 * 1024;
const CACHE_TOTAL_MAX = 4 * 1024 * 1024;

export async function openParquet(filePath: string): Promise<ParquetSource> {
  // Synchronous reads on purpose: image pipelines keep libuv's threadpool busy with sharp, and async reads would
  // queue behind it; a read from the page cache costs the main thread far less than that wait.
  let fd: number;
  try {
    fd = openSync(filePath, 'r');
  } catch (err) {
    throw new ParquetIoError('READ_FAILED', `cannot open ${filePath}: ${(err as Error).message}`, { cause: err });
  }
  let bytesRead = 0;
  // Small slices (offset indexes, pages of thin columns) are requested again by every narrowed read of a
  // row group; a small LRU keeps them from being read from disk more than once.
  const cache = new Map<string, ArrayBuffer>();
  let cacheBytes = 0;
  let tail: ArrayBuffer | undefined;
  let tailStart = 0;
  try {
    const { size } = fstatSync(fd);
    const file: AsyncBuffer = {
      byteLength: size,
      async slice(start: number, end?: number): Promise<ArrayBuffer> {
        const stop = Math.min(end ?? size, size);
        const cacheKey = `${start}:${stop}`;
        if (tail && start >= tailStart && stop <= size) return tail.slice(start - tailStart, stop - tailStart);
        const hit = cache.get(cacheKey);
        if (hit) {
          cache.delete(cacheKey); // refresh LRU position
          cache.set(cacheKey, hit);
          return hit.slice(0);
        }
        const length = Math.max(0, stop - start);
        const buf = new Uint8Array(length);
        let got = 0;
        while (got < length) {
          const n = readSync(fd, buf, got, length - got, start + got);
          if (n === 0) break;
          got += n;
        }
        bytesRead += got;
        if (length <= CACHE_SLICE_MAX) {
          cache.set(cacheKey, buf.buffer.slice(0));
          cacheBytes += length;
          for (const [k, v] of cache) {
            if (cacheBytes <= CACHE_TOTAL_MAX) break;
            cache.delete(k);
            cacheBytes -= v.byteLength;
          }
        }
        return buf.buffer;
      },
    };
    let metadata: FileMetaData;
    try {
      if (size < 12) throw new Error(`file is ${size} bytes`);
      // The footer and, usually, the page indexes before it: read once, serve later slices from memory.
      tailStart = Math.max(0, size - TAIL_BYTES);
      tail = await file.slice(tailStart, size);
      metadata = await parquetMetadataAsync(file, { initialFetchSize: TAIL_BYTES });
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
      close: async () => closeSync(fd),
    };
  } catch (err) {
    closeSync(fd);
    throw err;
  }
}

export function checkColumns(source: ParquetSource, columns: readonly string[] | undefined): void {
  if (!columns) return;
  // A lone string would be read as one column per character.
  if (!Array.isArray(columns)) throw new ParquetIoError('BAD_OPTIONS', `columns must be an array of column names (got ${JSON.stringify(columns)})`);
  for (const c of columns) {
    if (!source.columnNames.includes(c)) {
      throw new ParquetIoError('UNKNOWN_COLUMN', `${source.path} has no column ${c} (has ${source.columnNames.join(', ')})`);
    }
  }
}
