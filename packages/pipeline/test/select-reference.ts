import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';

/**
 * An independent reference for `select`, in DuckDB SQL over the same CSVs: its own class resolution (class
 * descriptions read by DuckDB, a small walker over the hierarchy JSON), its own file discovery, then labels →
 * selected ImageIDs → boxes of those classes on them, with the same box filters. Nothing here calls our selection
 * code, so a class dropped or a row lost on our side shows up as a difference. Shared by the select tests.
 */
export interface ReferenceOptions {
  classes?: string;
  under?: string;
  minConfidence?: number;
  excludeGroupOf?: boolean;
  excludeDepiction?: boolean;
  excludeOccluded?: boolean;
  excludeTruncated?: boolean;
  excludeInside?: boolean;
  minBoxSize?: number;
}
export interface RefClass {
  LabelName: string;
  DisplayName: string;
}
interface HierarchyNode {
  LabelName: string;
  Subcategory?: HierarchyNode[];
  Part?: HierarchyNode[];
}

/** The default selection, written out here rather than imported: the six big cats by MID. */
export const BIG_CAT_MIDS = ['/m/07dm6', '/m/096mb', '/m/0cd4d', '/m/0c29q', '/m/0449p', '/m/04g2r'];

const q = (x: string): string => `'${x.replace(/'/g, "''")}'`;
const list = (xs: readonly string[]): string => `[${xs.map(q).join(',')}]`;
const inList = (xs: readonly string[]): string => `(${xs.map(q).join(',')})`;

async function withDuckDb<T>(fn: (run: (sql: string) => Promise<unknown[][]>) => Promise<T>): Promise<T> {
  const db = await DuckDBInstance.create(':memory:');
  const con = await db.connect();
  try {
    return await fn(async (sql) => (await con.runAndReadAll(sql)).getRows() as unknown[][]);
  } finally {
    con.closeSync();
    db.closeSync();
  }
}

/** <data>/annotations: the human label files (boxable, else the full list for that split) and the box files. */
export function referenceFiles(data: string): { labels: string[]; boxes: string[]; metadata: string } {
  const dir = path.join(data, 'annotations');
  const names = readdirSync(dir).sort();
  const boxable = '-annotations-human-imagelabels-boxable.csv';
  const all = '-annotations-human-imagelabels.csv';
  const splits = new Set(names.filter((n) => n.endsWith(boxable)).map((n) => n.slice(0, -boxable.length)));
  const labels = names.filter((n) => n.endsWith(boxable) || (n.endsWith(all) && !splits.has(n.slice(0, -all.length))));
  const boxes = names.filter((n) => n.endsWith('-annotations-bbox.csv'));
  return { labels: labels.map((n) => path.join(dir, n)), boxes: boxes.map((n) => path.join(dir, n)), metadata: path.join(data, 'metadata') };
}

/** Every Subcategory descendant of `mid`, wherever it sits in the DAG (the node itself excluded), depth first. */
function descendants(root: HierarchyNode, mid: string): string[] {
  const out: string[] = [];
  const collect = (n: HierarchyNode): void => {
    for (const c of n.Subcategory ?? []) {
      out.push(c.LabelName);
      collect(c);
    }
  };
  const find = (n: HierarchyNode): void => {
    if (n.LabelName === mid) collect(n);
    for (const c of [...(n.Subcategory ?? []), ...(n.Part ?? [])]) find(c);
  };
  find(root);
  return [...new Set(out)];
}

/** Resolves --classes / --under (names or MIDs; exact name, else case-insensitive) against the metadata files. */
export async function referenceClasses(data: string, o: ReferenceOptions): Promise<RefClass[]> {
  const metadata = path.join(data, 'metadata');
  const candidates = readdirSync(metadata).filter((n) => /^(oidv\d+-)?class-descriptions(-boxable)?\.csv$/.test(n));
  const classFile = candidates.includes('class-descriptions-boxable.csv') ? 'class-descriptions-boxable.csv' : candidates.sort()[0];
  const rows = await withDuckDb((run) =>
    run(`SELECT column0, column1 FROM read_csv(${q(path.join(metadata, classFile))}, header = false, auto_detect = false, strict_mode = false, delim = ',', quote = '"', escape = '"', columns = {'column0': 'VARCHAR', 'column1': 'VARCHAR'})`),
  );
  const all: RefClass[] = rows.map(([m, n]) => ({ LabelName: String(m), DisplayName: String(n) }));
  const byMid = new Map(all.map((c) => [c.LabelName, c]));
  const one = (name: string): RefClass => {
    const hit = byMid.get(name) ?? [all.filter((c) => c.DisplayName === name), all.filter((c) => c.DisplayName.toLowerCase() === name.toLowerCase())].find((h) => h.length === 1)?.[0];
    if (!hit) throw new Error(`reference: no single class named ${name}`);
    return hit;
  };
  const split = (s?: string): string[] => (s ?? '').split(',').map((x) => x.trim()).filter(Boolean);
  if (!o.classes && !o.under) return BIG_CAT_MIDS.map((m) => byMid.get(m) ?? { LabelName: m, DisplayName: m });
  const mids = split(o.classes).map((n) => one(n).LabelName);
  if (o.under) {
    const root = JSON.parse(readFileSync(path.join(metadata, 'bbox_labels_600_hierarchy.json'), 'utf8')) as HierarchyNode;
    for (const parent of split(o.under)) mids.push(...descendants(root, one(parent).LabelName));
  }
  return [...new Set(mids)].map((m) => byMid.get(m) ?? { LabelName: m, DisplayName: m });
}

export interface Comparison {
  classes: RefClass[];
  schema: string[];
  ours: number;
  reference: number;
  onlyOurs: number;
  onlyReference: number;
}

function boxFilters(o: ReferenceOptions): string[] {
  const f: string[] = [];
  if (o.excludeGroupOf) f.push('IsGroupOf <> 1');
  if (o.excludeDepiction) f.push('IsDepiction <> 1');
  if (o.excludeOccluded) f.push('IsOccluded <> 1');
  if (o.excludeTruncated) f.push('IsTruncated <> 1');
  if (o.excludeInside) f.push('IsInside <> 1');
  if (o.minBoxSize) f.push(`XMax - XMin >= ${o.minBoxSize} AND YMax - YMin >= ${o.minBoxSize}`);
  return f;
}

/** Our boxes.parquet against the reference's selection of the same data dir and options, row for row. */
export async function compareWithDuckDb(data: string, boxesParquet: string, o: ReferenceOptions): Promise<Comparison> {
  const files = referenceFiles(data);
  const classes = await referenceClasses(data, o);
  const names = classes.map((c) => `(${q(c.LabelName)}, ${q(c.DisplayName)})`).join(',');
  const f = boxFilters(o);
  return withDuckDb(async (run) => {
    await run(`CREATE TABLE ref AS
      WITH cls(LabelName, DisplayName) AS (VALUES ${names}),
      sel AS (
        SELECT DISTINCT ImageID FROM read_csv(${list(files.labels)}, header = true, union_by_name = true, all_varchar = true)
        WHERE LabelName IN (SELECT LabelName FROM cls) AND CAST(Confidence AS DOUBLE) > ${o.minConfidence ?? 0.99}
      ),
      b AS (
        SELECT ImageID, Source, LabelName, CAST(Confidence AS DOUBLE) AS Confidence,
          CAST(XMin AS DOUBLE) AS XMin, CAST(XMax AS DOUBLE) AS XMax, CAST(YMin AS DOUBLE) AS YMin, CAST(YMax AS DOUBLE) AS YMax,
          CAST(IsOccluded AS INTEGER) AS IsOccluded, CAST(IsTruncated AS INTEGER) AS IsTruncated, CAST(IsGroupOf AS INTEGER) AS IsGroupOf,
          CAST(IsDepiction AS INTEGER) AS IsDepiction, CAST(IsInside AS INTEGER) AS IsInside
        FROM read_csv(${list(files.boxes)}, header = true, union_by_name = true, all_varchar = true)
      )
      SELECT b.*, cls.DisplayName FROM b JOIN cls USING (LabelName)
      WHERE b.ImageID IN (SELECT ImageID FROM sel) ${f.length ? 'AND ' + f.join(' AND ') : ''}`);
    await run(`CREATE VIEW ours AS SELECT * FROM read_parquet(${q(boxesParquet)})`);
    const schema = (await run(`DESCRIBE ours`)).map((r) => `${r[0]} ${r[1]}`);
    const [[ours]] = await run(`SELECT count(*) FROM ours`);
    const [[reference]] = await run(`SELECT count(*) FROM ref`);
    const cols = 'ImageID, Source, LabelName, Confidence, XMin, XMax, YMin, YMax, IsOccluded, IsTruncated, IsGroupOf, IsDepiction, IsInside, DisplayName';
    const [[onlyOurs]] = await run(`SELECT count(*) FROM (SELECT ${cols} FROM ours EXCEPT ALL SELECT ${cols} FROM ref)`);
    const [[onlyReference]] = await run(`SELECT count(*) FROM (SELECT ${cols} FROM ref EXCEPT ALL SELECT ${cols} FROM ours)`);
    return { classes, schema, ours: Number(ours), reference: Number(reference), onlyOurs: Number(onlyOurs), onlyReference: Number(onlyReference) };
  });
}

/** Per class: positive rows (Confidence > threshold), negative rows (= 0), distinct positive images; '*' = all images. */
export async function duckDbSummary(data: string, mids: readonly string[], minConfidence: number): Promise<Map<string, { pos: number; neg: number; images: number }>> {
  const files = referenceFiles(data);
  return withDuckDb(async (run) => {
    const src = `(SELECT LabelName, ImageID, CAST(Confidence AS DOUBLE) AS c FROM read_csv(${list(files.labels)}, header = true, union_by_name = true, all_varchar = true) WHERE LabelName IN ${inList(mids)})`;
    const rows = await run(`SELECT LabelName, count(*) FILTER (WHERE c > ${minConfidence}), count(*) FILTER (WHERE c = 0),
      count(DISTINCT ImageID) FILTER (WHERE c > ${minConfidence}) FROM ${src} GROUP BY LabelName`);
    const out = new Map<string, { pos: number; neg: number; images: number }>(mids.map((m) => [m, { pos: 0, neg: 0, images: 0 }]));
    for (const [mid, pos, neg, images] of rows) out.set(String(mid), { pos: Number(pos), neg: Number(neg), images: Number(images) });
    const [[all]] = await run(`SELECT count(DISTINCT ImageID) FILTER (WHERE c > ${minConfidence}) FROM ${src}`);
    out.set('*', { pos: 0, neg: 0, images: Number(all) });
    return out;
  });
}
