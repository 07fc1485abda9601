import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { readParquetRows } from '@oidstream/parquet-io';
import { DownloadError } from './errors.js';
import type { ImageRef } from './plan.js';

/**
 * ImageIDs from a text file: one per line, optionally `ImageID,Subset` or `Subset/ImageID`
 * (the form of OID's own downloader lists). Blank lines and `#` comments are skipped.
 */
export async function readIdList(file: string): Promise<ImageRef[]> {
  if (!existsSync(file)) throw new DownloadError('BAD_OPTION', `--ids ${file} does not exist`);
  const refs: ImageRef[] = [];
  for (const raw of (await readFile(file, 'utf8')).split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || /^imageid\b/i.test(line)) continue;
    const slash = line.indexOf('/');
    const comma = line.indexOf(',');
    if (slash > 0) refs.push({ ImageID: line.slice(slash + 1), Subset: line.slice(0, slash) });
    else if (comma > 0) refs.push({ ImageID: line.slice(0, comma), Subset: line.slice(comma + 1) || null });
    else refs.push({ ImageID: line });
  }
  return refs;
}

/** Distinct ImageIDs of a boxes.parquet (select output), in file order; reads only the ImageID column. */
export async function* imageRefsFromBoxes(file: string): AsyncGenerator<ImageRef> {
  if (!existsSync(file)) throw new DownloadError('BAD_OPTION', `--boxes ${file} does not exist`);
  const seen = new Set<string>();
  for await (const row of readParquetRows(file, { columns: ['ImageID'] })) {
    const id = String(row.ImageID);
    if (seen.has(id)) continue;
    seen.add(id);
    yield { ImageID: id };
  }
}
