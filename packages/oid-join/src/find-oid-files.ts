import { existsSync, statSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { OidJoinError } from './errors.js';

/** The files of an OID data dir (DESIGN.md layout), each list sorted by file name. */
export interface OidFiles {
  data: string;
  /** `metadata/`: class descriptions and hierarchy. */
  metadata: string;
  /** `annotations/`. */
  annotations: string;
  /** Split names found in any annotation or rotation file name, sorted. */
  splits: string[];
  /** Human-verified image labels: `<split>-annotations-human-imagelabels-boxable.csv`, else `…-imagelabels.csv`. */
  humanLabels: string[];
  /** Machine-generated image labels: `<split>-annotations-machine-imagelabels.csv`. */
  machineLabels: string[];
  /** Boxes: `<split>-annotations-bbox.csv`. */
  boxes: string[];
  /** Image metadata with Rotation: `<split>-images-with-rotation.csv`, v6 `train-images-boxable-with-rotation.csv`, … */
  rotation: string[];
  /** `images.parquet` when the data dir has one. */
  imagesParquet?: string;
  /** `images/` when the data dir has it (and no images.parquet). */
  imagesFolder?: string;
}

export type OidFileKind = 'humanLabels' | 'humanLabelsAll' | 'machineLabels' | 'boxes' | 'rotation';

/**
 * OID's own names, v4–v7: an optional `oidv6-`/`oidv7-` prefix, the split, then the kind. v6 train rotation is
 * `train-images-boxable-with-rotation.csv` (and `oidv6-train-images-with-labels-with-rotation.csv`).
 */
const OID_FILE =
  /^(?:oidv\d+-)?([a-z0-9_]+?)-(annotations-human-imagelabels-boxable|annotations-human-imagelabels|annotations-machine-imagelabels|annotations-bbox|images(?:-boxable)?(?:-with-labels)?-with-rotation)\.csv$/;

const KINDS: Record<string, OidFileKind> = {
  'annotations-human-imagelabels-boxable': 'humanLabels',
  'annotations-human-imagelabels': 'humanLabelsAll',
  'annotations-machine-imagelabels': 'machineLabels',
  'annotations-bbox': 'boxes',
};

/** OID v7 calls the validation split `val`. */
const SPLIT_ALIASES: Record<string, string> = { val: 'validation' };

/** Split and kind of an OID file name (`train`, `boxes` for `oidv6-train-annotations-bbox.csv`), or undefined. */
export function parseOidFileName(file: string): { split: string; kind: OidFileKind } | undefined {
  const m = OID_FILE.exec(path.basename(file));
  if (!m) return undefined;
  return { split: SPLIT_ALIASES[m[1]] ?? m[1], kind: KINDS[m[2]] ?? 'rotation' };
}

/** The split of an OID file (from its name), or undefined. */
export function splitOfFile(file: string): string | undefined {
  return parseOidFileName(file)?.split;
}

/**
 * Find the files of an OID data dir. Checks only what every use needs (the dir and `annotations/`): which
 * metadata/label/box/image files a command needs is for that command to check (`selectBoxes` checks its own). Rotation CSVs are looked for in
 * `annotations/`, then `metadata/`, then the dir itself. Throws `DATA_DIR_INVALID` (also without `metadata/` when
 * `requireMetadata` [false], and without images.parquet or images/ when `requireImages` [false]).
 */
export async function findOidFiles(dataDir: string, { requireMetadata = false, requireImages = false } = {}): Promise<OidFiles> {
  if (!dataDir || !existsSync(dataDir) || !statSync(dataDir).isDirectory()) {
    throw new OidJoinError('DATA_DIR_INVALID', `--data ${dataDir} is not a directory`);
  }
  const data = dataDir;
  const metadata = path.join(data, 'metadata');
  const annotations = path.join(data, 'annotations');
  if (requireMetadata && !existsSync(metadata)) throw new OidJoinError('DATA_DIR_INVALID', `${data} has no metadata/ (class descriptions, hierarchy)`);
  if (!existsSync(annotations)) throw new OidJoinError('DATA_DIR_INVALID', `${data} has no annotations/ (labels, boxes)`);

  const byKind: Record<OidFileKind, string[]> = { humanLabels: [], humanLabelsAll: [], machineLabels: [], boxes: [], rotation: [] };
  const splits = new Set<string>();
  const kindSplits = { humanLabels: new Set<string>() };
  for (const dir of [annotations, metadata, data]) {
    if (!existsSync(dir)) continue;
    for (const name of (await readdir(dir)).sort()) {
      const parsed = parseOidFileName(name);
      // Annotation files live in annotations/ only; rotation CSVs may sit beside the metadata or the dir.
      if (!parsed || (dir !== annotations && parsed.kind !== 'rotation')) continue;
      splits.add(parsed.split);
      byKind[parsed.kind].push(path.join(dir, name));
      if (parsed.kind === 'humanLabels') kindSplits.humanLabels.add(parsed.split);
    }
  }
  // A split's boxable label file is what select wants; the full one only stands in for a split without it.
  const humanLabels = [...byKind.humanLabels, ...byKind.humanLabelsAll.filter((f) => !kindSplits.humanLabels.has(splitOfFile(f)!))].sort(byName);
  const imagesParquet = path.join(data, 'images.parquet');
  const imagesFolder = path.join(data, 'images');
  const images = existsSync(imagesParquet) ? { imagesParquet } : existsSync(imagesFolder) && statSync(imagesFolder).isDirectory() ? { imagesFolder } : undefined;
  if (requireImages && !images) throw new OidJoinError('DATA_DIR_INVALID', `${data} has neither images.parquet nor an images/ folder`);
  return {
    data, metadata, annotations, splits: [...splits].sort(), humanLabels,
    machineLabels: byKind.machineLabels, boxes: byKind.boxes, rotation: byKind.rotation, ...images,
  };
}

function byName(a: string, b: string): number {
  const x = path.basename(a);
  const y = path.basename(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Keep the files of these splits; an unknown split is `UNKNOWN_SPLIT`, naming the splits present. */
export function filesOfSplits(files: readonly string[], splits: readonly string[] | undefined, present: readonly string[]): string[] {
  if (!splits) return [...files];
  const unknown = splits.filter((s) => !present.includes(s));
  if (unknown.length > 0) {
    throw new OidJoinError('UNKNOWN_SPLIT', `unknown split ${unknown.map((s) => JSON.stringify(s)).join(', ')}: the data dir has ${present.join(', ') || 'no splits'}`);
  }
  const wanted = new Set(splits);
  return files.filter((f) => wanted.has(splitOfFile(f)!));
}
