import { findOidFiles, parseOidFileName, scanCsvFiles, splitOfFile } from '@oidstream/oid-join';
import type { ImageMeta } from './plan.js';

/**
 * Rows of images-with-rotation CSVs for the wanted ImageIDs only (oid-join's scan: lines whose ImageID is not wanted
 * are dropped before they are parsed). Columns are mapped by header; the first row of an ImageID wins.
 */
export async function readImageMeta(files: readonly string[], wanted: ReadonlySet<string>): Promise<Map<string, ImageMeta>> {
  const out = new Map<string, ImageMeta>();
  if (wanted.size === 0) return out;
  for await (const { file, fields, header } of scanCsvFiles(files, { where: { ImageID: wanted } })) {
    const id = fields[header.require('ImageID', file)];
    if (out.has(id)) continue;
    const get = (name: string): string | null => {
      const i = header.indexOf(name);
      const v = i < 0 ? undefined : fields[i];
      return v === undefined || v === '' ? null : v;
    };
    const rotation = get('Rotation');
    out.set(id, {
      ImageID: id,
      Subset: get('Subset') ?? parseOidFileName(file)?.split ?? null,
      OriginalURL: get('OriginalURL'),
      Thumbnail300KURL: get('Thumbnail300KURL'),
      OriginalMD5: get('OriginalMD5'),
      License: get('License'),
      Author: get('Author'),
      Rotation: rotation === null || Number.isNaN(Number(rotation)) ? null : Number(rotation),
    });
  }
  return out;
}

/**
 * The split of ImageIDs that no images-with-rotation CSV names, from the annotation file they appear in
 * (`<split>-annotations-*.csv`). Stops reading as soon as every ID is placed.
 */
export async function findSubsetsInAnnotations(dataDir: string, ids: ReadonlySet<string>): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  if (ids.size === 0) return out;
  const files = await findOidFiles(dataDir);
  // Image-level label files are several times smaller than box files: read them first.
  for await (const { file, fields, header } of scanCsvFiles([...files.humanLabels, ...files.boxes], { where: { ImageID: ids } })) {
    const id = fields[header.require('ImageID', file)];
    if (!out.has(id)) out.set(id, splitOfFile(file)!);
    if (out.size === ids.size) break;
  }
  return out;
}

/** The images-with-rotation CSVs of a data dir (every OID name for them: see oid-join's findOidFiles). */
export async function findImageMetaFiles(dataDir: string): Promise<string[]> {
  return (await findOidFiles(dataDir)).rotation;
}
