import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { type ClassCatalog, parseClassDescriptions } from './class-descriptions.js';
import { type ClassHierarchy, parseHierarchy } from './hierarchy.js';
import { OidLabelsError } from './errors.js';

/** Class-description file names looked for in a metadata dir, in this order. */
export const CLASS_FILE_NAMES = ['class-descriptions-boxable.csv', 'oidv6-class-descriptions.csv', 'class-descriptions.csv'] as const;
export const HIERARCHY_FILE_NAME = 'bbox_labels_600_hierarchy.json';

export interface Metadata {
  catalog: ClassCatalog;
  /** Undefined when the dir has no hierarchy file. */
  hierarchy?: ClassHierarchy;
  classFile: string;
  hierarchyFile?: string;
}

/** Read a class-description CSV from disk (any variant). */
export function readClassDescriptions(file: string): ClassCatalog {
  return parseClassDescriptions(readExisting(file), { source: file });
}

/** Read `bbox_labels_600_hierarchy.json` from disk. */
export function readHierarchy(file: string): ClassHierarchy {
  return parseHierarchy(readExisting(file), { source: file });
}

/**
 * Load OID metadata from a dir (the first of CLASS_FILE_NAMES present + the hierarchy if present), or from a
 * class-description CSV path (the hierarchy is then looked for beside it).
 */
export function loadMetadata(location: string): Metadata {
  if (!existsSync(location)) throw new OidLabelsError('MISSING_FILE', `${location}: no such file or directory`);
  let dir = location;
  let classFile: string | undefined;
  if (statSync(location).isFile()) {
    classFile = location;
    dir = path.dirname(location);
  } else {
    classFile = CLASS_FILE_NAMES.map((n) => path.join(dir, n)).find((f) => existsSync(f));
    if (!classFile) throw new OidLabelsError('MISSING_FILE', `${dir}: no class-description file (${CLASS_FILE_NAMES.join(', ')})`);
  }
  const hierarchyFile = path.join(dir, HIERARCHY_FILE_NAME);
  const hasHierarchy = existsSync(hierarchyFile);
  return {
    catalog: readClassDescriptions(classFile),
    hierarchy: hasHierarchy ? readHierarchy(hierarchyFile) : undefined,
    classFile,
    hierarchyFile: hasHierarchy ? hierarchyFile : undefined,
  };
}

function readExisting(file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new OidLabelsError('MISSING_FILE', `${file}: no such file`, undefined, { cause: err });
    throw err;
  }
}
