import { createReadStream, existsSync } from 'node:fs';
import { ParquetFileWriter, readParquetRows, type ColumnSpec } from '@oidstream/parquet-io';
import { writeAtomic } from './atomic-write.js';

/**
 * Concatenate Parquet part files (same columns) into one file, row group by row group: memory stays at one row
 * group whatever the total. The output appears under its final name only when complete.
 */
export async function mergeParquetParts(parts: readonly string[], out: string, columns: readonly ColumnSpec[]): Promise<{ rows: number; bytes: number }> {
  const writer = ParquetFileWriter.open(out, columns);
  try {
    for (const part of parts) {
      for await (const row of readParquetRows(part, { columns: columns.map((c) => c.name) })) writer.write(row);
    }
    return writer.finish();
  } catch (err) {
    writer.abort();
    throw err;
  }
}

/** Concatenate text files (errors.jsonl parts) into `out`, atomically; missing parts count as empty. */
export async function mergeTextParts(parts: readonly string[], out: string): Promise<number> {
  let bytes = 0;
  await writeAtomic(out, async (fh) => {
    for (const part of parts) {
      if (!existsSync(part)) continue;
      for await (const chunk of createReadStream(part)) {
        await fh.write(chunk as Buffer);
        bytes += (chunk as Buffer).length;
      }
    }
  });
  return bytes;
}
