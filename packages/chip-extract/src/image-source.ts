import { ParquetIoError, parquetInfo, readParquetRowsByKey } from '@oidstream/parquet-io';
import type { KeyedReadStats } from '@oidstream/parquet-io';
import type { ImageRow } from './records.js';

/** Where image bytes come from: rows for a set of ImageIDs, in any order; ids it lacks are simply absent. */
export interface ImageSource {
  fetch(ids: ReadonlySet<string>): AsyncIterable<ImageRow>;
  /** ImageIDs whose rows could not be read (e.g. a corrupt page), with the reason; filled during fetch. */
  readonly unreadable?: Map<string, string>;
}

export interface ParquetImageSource extends ImageSource {
  readonly unreadable: Map<string, string>;
  /** Totals over all fetches: bytes read vs file size. */
  readonly stats: { bytesRead: number; fileBytes: number; keyColumnBytes: number; matchedRows: number };
}

/** Images from an images.parquet (ImageID, Rotation, image): reads the ImageID column, then only matching rows. */
export function parquetImageSource(filePath: string): ParquetImageSource {
  const unreadable = new Map<string, string>();
  const stats = { bytesRead: 0, fileBytes: 0, keyColumnBytes: 0, matchedRows: 0 };
  let columns: string[] | undefined;
  return {
    unreadable,
    stats,
    async *fetch(ids: ReadonlySet<string>) {
      if (!columns) {
        const info = await parquetInfo(filePath);
        for (const need of ['ImageID', 'image']) {
          if (!info.columns.includes(need)) {
            throw new ParquetIoError('UNKNOWN_COLUMN', `${filePath} has no ${need} column: is it an images.parquet from \`oidstream pack\`?`);
          }
        }
        // Rotation is optional: without it every image counts as upright
        columns = ['ImageID', 'image', ...(info.columns.includes('Rotation') ? ['Rotation'] : [])];
      }
      const read = readParquetRowsByKey(filePath, 'ImageID', ids, {
        columns,
        onRangeError: (err, keys) => {
          for (const k of keys) unreadable.set(k, err.message);
        },
      });
      let last: KeyedReadStats | undefined;
      try {
        for await (const row of read) yield row as ImageRow;
      } finally {
        last = read.stats;
        stats.bytesRead += last.bytesRead;
        stats.fileBytes = last.fileBytes;
        stats.keyColumnBytes += last.keyColumnBytes;
        stats.matchedRows += last.matchedRows;
      }
    },
  };
}

/** Images held in memory (tests, or images produced upstream in the same process). */
export function memoryImageSource(rows: Iterable<ImageRow>): ImageSource {
  const byId = new Map<string, ImageRow>();
  for (const r of rows) if (!byId.has(r.ImageID)) byId.set(r.ImageID, r);
  return {
    async *fetch(ids: ReadonlySet<string>) {
      for (const id of ids) {
        const row = byId.get(id);
        if (row) yield row;
      }
    },
  };
}
