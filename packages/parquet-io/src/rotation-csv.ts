import { createReadStream } from 'node:fs';
import { parse } from 'csv-parse';
import { ParquetIoError } from './errors.js';
import { isValidImageId } from './image-bytes.js';

export interface RotationInfo {
  subset: string | null;
  rotation: number | null;
}

/**
 * Read OID's `*-images-with-rotation.csv` (ImageID, Subset, …, Rotation; columns mapped by header) into a map.
 * An empty Rotation is null (unknown), as in OID. Only ImageIDs in `wanted` are kept when it is given.
 */
export async function readRotationCsv(filePath: string, wanted?: ReadonlySet<string>): Promise<Map<string, RotationInfo>> {
  const out = new Map<string, RotationInfo>();
  let header: string[] | undefined;
  let idCol = -1;
  let subsetCol = -1;
  let rotCol = -1;
  try {
    const parser = parse({ bom: true, relax_column_count: true, skip_empty_lines: true });
    // pipe() does not forward read errors: a missing file would be an unhandled 'error' event that ends the process.
    createReadStream(filePath).on('error', (err) => parser.destroy(err)).pipe(parser);
    for await (const record of parser as AsyncIterable<string[]>) {
      if (!header) {
        header = record.map((h) => h.trim());
        idCol = header.indexOf('ImageID');
        subsetCol = header.indexOf('Subset');
        rotCol = header.indexOf('Rotation');
        if (idCol < 0 || rotCol < 0) {
          throw new ParquetIoError('BAD_ROTATION_CSV', `${filePath}: header needs ImageID and Rotation columns (got ${header.slice(0, 6).join(',')}…)`);
        }
        continue;
      }
      const id = record[idCol];
      if (!isValidImageId(id) || (wanted && !wanted.has(id))) continue;
      const raw = (record[rotCol] ?? '').trim();
      const rotation = raw === '' ? null : Number(raw);
      out.set(id, {
        subset: subsetCol >= 0 && record[subsetCol] ? record[subsetCol] : null,
        rotation: rotation === null || Number.isFinite(rotation) ? rotation : null,
      });
    }
  } catch (err) {
    if (err instanceof ParquetIoError) throw err;
    throw new ParquetIoError('BAD_ROTATION_CSV', `cannot read rotation CSV ${filePath}: ${(err as Error).message}`, { cause: err });
  }
  if (!header) throw new ParquetIoError('BAD_ROTATION_CSV', `${filePath} is empty`);
  return out;
}

/** Several rotation CSVs (OID ships one per split) into one map; a later file's row for the same ImageID wins. */
export async function readRotationCsvs(files: string | readonly string[], wanted?: ReadonlySet<string>): Promise<Map<string, RotationInfo>> {
  const list = typeof files === 'string' ? [files] : files;
  const out = new Map<string, RotationInfo>();
  for (const f of list) for (const [id, info] of await readRotationCsv(f, wanted)) out.set(id, info);
  return out;
}
