import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** ../shared/oid-real beside the repo (or $OIDSTREAM_SHARED/oid-real): real OID metadata and derived big-cat rows. */
const repoRoot = path.resolve(import.meta.dirname, '../../..');
const shared = process.env.OIDSTREAM_SHARED ?? path.resolve(repoRoot, '../shared');
export const realOid = path.join(shared, 'oid-real');

/** A data dir over the real derived annotations (named derived-*.csv; the layout wants <split>-annotations-*.csv). */
export function realDataDir(dir: string, annotations: Record<string, string>): string {
  mkdirSync(path.join(dir, 'annotations'), { recursive: true });
  symlinkSync(path.join(realOid, 'metadata'), path.join(dir, 'metadata'));
  for (const [name, target] of Object.entries(annotations)) {
    if (target.includes('\n') || target === '') writeFileSync(path.join(dir, 'annotations', name), target);
    else symlinkSync(target, path.join(dir, 'annotations', name));
  }
  return dir;
}

