import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
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


/** The image that the split fixture knows only from a machine label (a real Lion photo with a box). */
export const MACHINE_ONLY = { ImageID: '02e52a44aa81ab2c', LabelName: '/m/096mb', Confidence: '0.995' };

/**
 * The real derived big-cat rows spread over OID split files, with machine-generated labels: `MACHINE_ONLY`'s human
 * label becomes a machine label at 0.995, and every other image gets a machine label of its class at 0.3. `layout`
 * decides each image's split from its position; `reverse` writes every file's rows in reverse order.
 */
export function realSplitDataDir(dir: string, { layout = (i: number) => ['train', 'validation', 'test'][i % 3], reverse = false } = {}): string {
  const read = (f: string): string[][] => readFileSync(path.join(realOid, 'annotations', f), 'utf8').trim().split(/\r?\n/).map((l) => l.split(','));
  const [labelHeader, ...labels] = read('derived-annotations-human-imagelabels-boxable.csv');
  const [boxHeader, ...boxes] = read('derived-annotations-bbox.csv');
  const ids = [...new Set(labels.map((r) => r[0]))].sort();
  const splitOf = new Map(ids.map((id, i) => [id, layout(i)]));
  const files = new Map<string, string[][]>();
  const put = (name: string, header: string[], row: string[]): void => {
    if (!files.has(name)) files.set(name, [header]);
    files.get(name)!.push(row);
  };
  for (const r of labels) {
    const split = splitOf.get(r[0])!;
    if (r[0] === MACHINE_ONLY.ImageID) put(`${split}-annotations-machine-imagelabels.csv`, labelHeader, [r[0], 'machine', r[2], MACHINE_ONLY.Confidence]);
    else {
      put(`${split}-annotations-human-imagelabels-boxable.csv`, labelHeader, r);
      put(`${split}-annotations-machine-imagelabels.csv`, labelHeader, [r[0], 'machine', r[2], '0.3']);
    }
  }
  for (const r of boxes) put(`${splitOf.get(r[0])}-annotations-bbox.csv`, boxHeader, r);
  const annotations: Record<string, string> = {};
  for (const [name, [header, ...rows]] of files) annotations[name] = [header, ...(reverse ? rows.reverse() : rows)].map((r) => r.join(',')).join('\n') + '\n';
  return realDataDir(dir, annotations);
}
