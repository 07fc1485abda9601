import { createReadStream, existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { scanCsv } from '@oidstream/oid-join';
import { DownloadError } from './errors.js';
import type { ImageMeta } from './plan.js';

/** OID's names: `validation-images-with-rotation.csv`, v5/v6 `train-images-boxable-with-rotation.csv`. */
const META_FILE = /^(train|validation|test|[a-z0-9_]+?)-images(?:-boxable)?-with-rotation\.csv$/;

/** The images-with-rotation CSVs of a data dir (annotations/ first, then metadata/, then the dir itself). */
export async function findImageMetaFiles(dataDir: string): Promise<string[]> {
  const found: string[] = [];
  for (const dir of [path.join(dataDir, 'annotations'), path.join(dataDir, 'metadata'), dataDir]) {
    if (!existsSync(dir)) continue;
    for (const name of (await readdir(dir)).sort()) if (META_FILE.test(name)) found.push(path.join(dir, name));
  }
  return found;
}

function idOf(line: string): string {
  const comma = line.indexOf(',');
  return comma < 0 ? line : line.slice(0, comma);
}

/**
 * Rows of images-with-rotation CSVs for the wanted ImageIDs only: oid-join's scanner drops unwanted lines at the byte
 * level before parsing, so the scan costs little more than reading the file. Columns are mapped by header.
 */
export async function readImageMeta(files: readonly string[], wanted: ReadonlySet<string>): Promise<Map<string, ImageMeta>> {
  const out = new Map<string, ImageMeta>();
  if (wanted.size === 0) return out;
  for (const file of files) {
    const fileSplit = META_FILE.exec(path.basename(file))?.[1] ?? null;
    try {
      for await (const { fields, header } of scanCsv(file, { where: { ImageID: wanted } })) {
        const id = fields[header.indexOf('ImageID')];
        if (out.has(id)) continue;
        const get = (name: string): string | null => {
          const i = header.indexOf(name);
          const v = i < 0 ? undefined : fields[i];
          return v === undefined || v === '' ? null : v;
        };
        const rotation = get('Rotation');
        out.set(id, {
          ImageID: id,
          Subset: get('Subset') ?? fileSplit,
          OriginalURL: get('OriginalURL'),
          Thumbnail300KURL: get('Thumbnail300KURL'),
          OriginalMD5: get('OriginalMD5'),
          License: get('License'),
          Author: get('Author'),
          Rotation: rotation === null || Number.isNaN(Number(rotation)) ? null : Number(rotation),
        });
      }
    } catch (err) {
      if ((err as { code?: unknown }).code === 'MISSING_COLUMN') throw new DownloadError('BAD_CSV', (err as Error).message, { cause: err });
      throw err;
    }
  }
  return out;
}

const ANNOTATION_FILE = /^(train|validation|test|[a-z0-9_]+?)-annotations-(?:human-imagelabels(?:-boxable)?|bbox)\.csv$/;

/**
 * The split of ImageIDs that no images-with-rotation CSV names, from the annotation file they appear in
 * (`<split>-annotations-*.csv`). Stops reading as soon as every ID is placed.
 */
export async function findSubsetsInAnnotations(dataDir: string, ids: ReadonlySet<string>): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const dir = path.join(dataDir, 'annotations');
  if (ids.size === 0 || !existsSync(dir)) return out;
  // Image-level label files are several times smaller than box files: read them first.
  const names = (await readdir(dir)).filter((n) => ANNOTATION_FILE.test(n)).sort((a, b) => Number(a.includes('bbox')) - Number(b.includes('bbox')) || a.localeCompare(b));
  for (const name of names) {
    const split = ANNOTATION_FILE.exec(name)![1];
    const lines = createInterface({ input: createReadStream(path.join(dir, name), 'utf8'), crlfDelay: Infinity });
    for await (const line of lines) {
      const id = idOf(line);
      if (ids.has(id) && !out.has(id)) {
        out.set(id, split);
        if (out.size === ids.size) {
          lines.close();
          return out;
        }
      }
    }
  }
  return out;
}
