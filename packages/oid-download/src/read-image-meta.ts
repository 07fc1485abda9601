import { createReadStream, existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { hasOpenQuote, splitCsvRecord } from './csv-record.js';
import { PipelineError } from './errors.js';
import type { ImageMeta } from './download-plan.js';

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

/** Lines of a CSV, a quoted field spanning lines joined back into its record. */
async function* records(file: string): AsyncGenerator<string> {
  const lines = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
  let pending: string | undefined;
  for await (const line of lines) {
    if (pending !== undefined) {
      pending += '\n' + line;
      if (!hasOpenQuote(pending)) {
        yield pending;
        pending = undefined;
      }
      continue;
    }
    // Pre-filter relies on whole records; only a line with an odd quote count can open a multi-line field.
    if (line.includes('"') && hasOpenQuote(line)) pending = line;
    else yield line;
  }
  if (pending !== undefined) yield pending;
}

function idOf(line: string): string {
  const comma = line.indexOf(',');
  return comma < 0 ? line : line.slice(0, comma);
}

/**
 * Rows of images-with-rotation CSVs for the wanted ImageIDs only: the ImageID before the first comma is checked
 * before a line is split, so the scan costs little more than reading the file. Columns are mapped by header.
 */
export async function readImageMeta(files: readonly string[], wanted: ReadonlySet<string>): Promise<Map<string, ImageMeta>> {
  const out = new Map<string, ImageMeta>();
  for (const file of files) {
    const fileSplit = META_FILE.exec(path.basename(file))?.[1] ?? null;
    let header: Map<string, number> | undefined;
    for await (const record of records(file)) {
      if (!header) {
        const names = splitCsvRecord(record.replace(/^\uFEFF/, ''));
        header = new Map(names.map((n, i) => [n.trim(), i]));
        if (!header.has('ImageID')) throw new PipelineError('BAD_CSV', `${file}: no ImageID column in header`);
        continue;
      }
      const id = idOf(record);
      if (!wanted.has(id) || out.has(id)) continue;
      const f = splitCsvRecord(record);
      const get = (name: string): string | null => {
        const i = header!.get(name);
        const v = i === undefined ? undefined : f[i];
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
