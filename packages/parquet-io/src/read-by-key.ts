import { ParquetIoError } from './errors.js';
import { checkColumns, openParquet } from './parquet-source.js';
import { readRange, rowGroupRanges } from './read-rows.js';
import type { ParquetRow } from './read-rows.js';

export interface KeyedReadOptions {
  /** Columns to return (default: all). The key column is always included. */
  columns?: string[];
  /** Merge two matching row runs when fewer than this many rows lie between them (default 0: only adjacent rows). */
  maxGapRows?: number;
  /** Split runs of matching rows into reads of at most this many rows (default 64): bounds memory for wide rows. */
  maxRunRows?: number;
  /**
   * Called when the rows of a matching range cannot be read (e.g. a corrupt page), with the keys in it;
   * the range is then skipped and reading goes on. Without it the error is thrown.
   */
  onRangeError?: (error: Error, keys: string[]) => void;
}

export interface KeyedReadStats {
  /** Size of the file. */
  fileBytes: number;
  /** Bytes read from disk in total (footer, key column, offset indexes, selected pages). */
  bytesRead: number;
  /** Bytes read while scanning the key column. */
  keyColumnBytes: number;
  /** Rows in the file. */
  totalRows: number;
  /** Rows whose key was in the set. */
  matchedRows: number;
  /** Keys of the set that were found at least once. */
  found: Set<string>;
}

/**
 * Rows whose `key` column value is in `keys`, in file order, reading the key column first and then only the
 * row ranges (pages, via the offset index) that hold matching rows. `stats` fills in as the iteration runs
 * and is complete once it ends.
 */
export class KeyedRead implements AsyncIterable<ParquetRow> {
  readonly stats: KeyedReadStats = {
    fileBytes: 0,
    bytesRead: 0,
    keyColumnBytes: 0,
    totalRows: 0,
    matchedRows: 0,
    found: new Set(),
  };

  constructor(
    readonly path: string,
    readonly key: string,
    readonly keys: ReadonlySet<string>,
    readonly options: KeyedReadOptions = {},
  ) {
    if (typeof key !== 'string' || !(keys instanceof Set)) {
      throw new ParquetIoError('BAD_OPTIONS', 'readParquetRowsByKey needs a key column name and a Set of keys');
    }
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<ParquetRow> {
    const source = await openParquet(this.path);
    const stats = this.stats;
    try {
      checkColumns(source, [this.key]);
      checkColumns(source, this.options.columns);
      stats.fileBytes = source.file.byteLength;
      stats.totalRows = Number(source.metadata.num_rows);
      const wanted = (this.options.columns ?? source.columnNames).filter((c) => c !== this.key);
      const outputOrder = this.options.columns ?? source.columnNames;
      const maxGap = this.options.maxGapRows ?? 0;
      const maxRun = Math.max(1, this.options.maxRunRows ?? 64);
      for (const [gs, ge] of rowGroupRanges(source)) {
        if (gs === ge || this.keys.size === 0) continue;
        const before = source.bytesRead;
        const keyRows = await readRange(source, gs, ge, [this.key]);
        stats.keyColumnBytes += source.bytesRead - before;
        // runs of matching rows: [start, end) absolute row numbers
        const runs: Array<[number, number]> = [];
        for (let i = 0; i < keyRows.length; i++) {
          const k = keyRows[i][this.key];
          if (typeof k !== 'string' || !this.keys.has(k)) continue;
          const r = gs + i;
          const last = runs[runs.length - 1];
          if (last && r - last[1] <= maxGap && r + 1 - last[0] <= maxRun) last[1] = r + 1;
          else runs.push([r, r + 1]);
        }
        for (const [s, e] of runs) {
          let rows: Array<ParquetRow | undefined>;
          try {
            rows = wanted.length ? await readRange(source, s, e, wanted) : Array.from({ length: e - s }, (): ParquetRow => ({}));
          } catch (err) {
            if (!this.options.onRangeError) throw err;
            // retry row by row so one corrupt page costs only the rows in it
            rows = [];
            for (let r = s; r < e; r++) {
              const k = keyRows[r - gs][this.key] as string;
              if (!this.keys.has(k)) {
                rows.push(undefined);
                continue;
              }
              try {
                rows.push((await readRange(source, r, r + 1, wanted))[0]);
              } catch (rowErr) {
                this.options.onRangeError(rowErr as Error, [k]);
                rows.push(undefined);
              }
            }
          }
          for (let i = 0; i < rows.length; i++) {
            const k = keyRows[s - gs + i][this.key] as string;
            const got = rows[i];
            if (!this.keys.has(k) || !got) continue; // inside a merged gap, or unreadable
            const row: ParquetRow = {};
            for (const c of outputOrder) row[c] = c === this.key ? k : got[c];
            stats.matchedRows++;
            stats.found.add(k);
            stats.bytesRead = source.bytesRead;
            yield row;
          }
        }
      }
    } finally {
      stats.bytesRead = source.bytesRead;
      await source.close();
    }
  }
}

/**
 * Selective read by key: `for await (const row of readParquetRowsByKey('images.parquet', 'ImageID', ids))`.
 * The returned object also carries `stats` (bytes read vs file size, matched rows, keys found).
 */
export function readParquetRowsByKey(
  filePath: string,
  key: string,
  keys: ReadonlySet<string>,
  options: KeyedReadOptions = {},
): KeyedRead {
  return new KeyedRead(filePath, key, keys, options);
}
