import { existsSync } from 'node:fs';
import { mkdir, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { ParquetFileWriter, readParquetRows, removeStaleTemps } from '@oidstream/parquet-io';
import type { ColumnSpec } from '@oidstream/parquet-io';

/** images.parquet as `download` writes it: the pack contract plus attribution (OID images are CC BY 2.0). */
export const DOWNLOAD_COLUMNS: readonly ColumnSpec[] = [
  { name: 'ImageID', type: 'STRING', nullable: false },
  { name: 'Subset', type: 'STRING' },
  { name: 'Rotation', type: 'DOUBLE' },
  { name: 'image', type: 'BYTE_ARRAY', nullable: false },
  { name: 'License', type: 'STRING' },
  { name: 'Author', type: 'STRING' },
  { name: 'OriginalURL', type: 'STRING' },
];

export interface ImageRow {
  ImageID: string;
  Subset: string | null;
  Rotation: number | null;
  image: Uint8Array;
  License: string | null;
  Author: string | null;
  OriginalURL: string | null;
}

const PART = /^part-(\d{6})\.parquet$/;

/** Where a download keeps committed part files until it merges them into `out`. */
export function partsDirOf(out: string): string {
  return `${out}.parts`;
}

/**
 * The resume state of a download, and its output. Every fetched row goes to two writers: a part file (written under a
 * temp name and renamed when complete, so a kill -9 leaves only whole parts: the resume unit) and the final file's
 * temp (renamed to `out` by `finish`). A rerun first copies the earlier `out` and committed parts into the new output,
 * so no merge pass is needed at the end. Rows of an interrupted part are simply fetched again.
 */
export class PartStore {
  readonly out: string;
  readonly dir: string;
  private nextSeq = 0;
  private writer: ParquetFileWriter | undefined;
  private output: ParquetFileWriter | undefined;
  private readonly inOutput = new Set<string>();
  private rowsInPart = 0;
  private bytesInPart = 0;
  /** Parts committed by this process (in order). */
  readonly committed: string[] = [];

  constructor(out: string, private readonly limits: { partBytes: number; partRows: number }) {
    this.out = path.resolve(out);
    this.dir = partsDirOf(this.out);
  }

  /** Committed part files, oldest first. */
  async parts(): Promise<string[]> {
    if (!existsSync(this.dir)) return [];
    return (await readdir(this.dir)).filter((n) => PART.test(n)).sort().map((n) => path.join(this.dir, n));
  }

  /**
   * Clears a killed run's temp files and returns the ImageIDs already stored (final file + parts).
   * A part that cannot be read is deleted: its images are fetched again.
   */
  async open(): Promise<Set<string>> {
    await mkdir(this.dir, { recursive: true });
    await removeStaleTemps(this.dir, 'part-');
    await removeStaleTemps(path.dirname(this.out), path.basename(this.out) + '.tmp-');
    const have = new Set<string>();
    const sources = existsSync(this.out) ? [this.out] : [];
    for (const part of await this.parts()) {
      const seq = Number(PART.exec(path.basename(part))![1]);
      this.nextSeq = Math.max(this.nextSeq, seq + 1);
      sources.push(part);
    }
    for (const file of sources) {
      try {
        const ids: string[] = [];
        for await (const row of readParquetRows(file, { columns: ['ImageID'] })) ids.push(String(row.ImageID));
        for (const id of ids) have.add(id);
      } catch (err) {
        if (file === this.out) throw err; // never silently drop the user's finished file
        await rm(file, { force: true });
      }
    }
    return have;
  }

  /** True when `out` already holds everything (no parts to fold in): nothing to rewrite if nothing is fetched. */
  async upToDate(): Promise<boolean> {
    return existsSync(this.out) && (await this.parts()).length === 0;
  }

  /**
   * Starts the new output: the earlier `out` and the committed parts are copied into it (each ImageID once), one row
   * group at a time, so memory stays at about one part whatever the total size. Returns the rows copied.
   */
  async beginOutput(options: { rowGroupBytes: number }): Promise<number> {
    const sources = [...(existsSync(this.out) ? [this.out] : []), ...(await this.parts())];
    this.output = ParquetFileWriter.open(this.out, DOWNLOAD_COLUMNS, { rowGroupBytes: options.rowGroupBytes });
    for (const file of sources) {
      for await (const row of readParquetRows(file)) {
        const id = String(row.ImageID);
        if (this.inOutput.has(id)) continue;
        this.inOutput.add(id);
        this.output.write(row);
      }
    }
    return this.inOutput.size;
  }

  /** Stores one fetched row: into the output, and into the current part (committed at the byte or row limit). */
  add(row: ImageRow): void {
    if (!this.writer) {
      const name = `part-${String(this.nextSeq++).padStart(6, '0')}.parquet`;
      // One row group per part: the part limits are the row group limits.
      this.writer = ParquetFileWriter.open(path.join(this.dir, name), DOWNLOAD_COLUMNS, {
        rowGroupBytes: this.limits.partBytes + 1,
        rowGroupRows: this.limits.partRows + 1,
      });
    }
    // Both writers buffer the same row object and image bytes: no copy.
    this.writer.write(row as unknown as Record<string, unknown>);
    if (this.output && !this.inOutput.has(row.ImageID)) {
      this.inOutput.add(row.ImageID);
      this.output.write(row as unknown as Record<string, unknown>);
    }
    this.rowsInPart++;
    this.bytesInPart += row.image.byteLength;
    if (this.bytesInPart >= this.limits.partBytes || this.rowsInPart >= this.limits.partRows) this.commit();
  }

  /** Makes buffered rows durable as one more part file. */
  commit(): void {
    if (!this.writer) return;
    const writer = this.writer;
    this.writer = undefined;
    this.rowsInPart = 0;
    this.bytesInPart = 0;
    writer.finish();
    this.committed.push(writer.path);
  }

  /** On failure: commits what was fetched (kept for the next run) and drops the unfinished output. */
  interrupt(): void {
    try {
      this.commit();
    } catch {
      this.writer?.abort();
      this.writer = undefined;
    }
    this.output?.abort();
    this.output = undefined;
  }

  /**
   * Renames the finished output to `out`, then removes the parts. A kill between the two leaves parts whose rows are
   * all in `out`: the next run folds them in again without duplicates.
   */
  async finish(): Promise<{ rows: number; bytes: number }> {
    if (!this.output) throw new Error('PartStore.finish() before beginOutput()');
    const result = this.output.finish();
    this.output = undefined;
    this.writer?.abort(); // its rows are in `out` now
    this.writer = undefined;
    await rm(this.dir, { recursive: true, force: true });
    return result;
  }

  /** Nothing to write: drops the (empty) parts directory. */
  async close(): Promise<void> {
    this.writer?.abort();
    this.writer = undefined;
    await rm(this.dir, { recursive: true, force: true });
  }
}
