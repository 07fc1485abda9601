import { DuckDBInstance } from '@duckdb/node-api';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { SelectedBox } from '../src/boxes-schema.js';
import { findOidFiles, splitOfFile } from '../src/find-oid-files.js';
import type { SelectBoxesOptions } from '../src/select-options.js';

/**
 * An independent reference for the selection, in DuckDB SQL over the same CSVs: labels → selected ImageIDs → boxes
 * of the chosen classes on them, with the same box filters, splits and label sources (no per-class limit). Shared by
 * the selection tests here and the select stage tests of pipeline (not a test file itself).
 */
const list = (xs: readonly string[]): string => `[${xs.map((x) => `'${x.replace(/'/g, "''")}'`).join(',')}]`;
const inList = (xs: readonly string[]): string => `(${xs.map((x) => `'${x.replace(/'/g, "''")}'`).join(',')})`;
const q = (x: string): string => `'${x.replace(/'/g, "''")}'`;
const COLS = 'ImageID, Source, LabelName, Confidence, XMin, XMax, YMin, YMax, IsOccluded, IsTruncated, IsGroupOf, IsDepiction, IsInside, DisplayName';

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

/** The label and box files the reference reads for these options (by file name: split and source). */
async function referenceFiles(data: string, o: Pick<SelectBoxesOptions, 'splits' | 'labels'>): Promise<{ metadata: string; labels: string[]; boxes: string[] }> {
  const f = await findOidFiles(data);
  const inSplits = (file: string): boolean => !o.splits || o.splits.includes(splitOfFile(file)!);
  const labels = [...(o.labels === 'machine' ? [] : f.humanLabels), ...(o.labels === 'machine' || o.labels === 'all' ? f.machineLabels : [])];
  return { metadata: f.metadata, labels: labels.filter(inSplits), boxes: f.boxes.filter(inSplits) };
}

function refTableSql(files: { labels: string[]; boxes: string[] }, names: string, mids: readonly string[], o: SelectBoxesOptions): string {
  const f: string[] = [];
  if (o.excludeGroupOf) f.push('IsGroupOf <> 1');
  if (o.excludeDepiction) f.push('IsDepiction <> 1');
  if (o.excludeOccluded) f.push('IsOccluded <> 1');
  if (o.excludeTruncated) f.push('IsTruncated <> 1');
  if (o.excludeInside) f.push('IsInside <> 1');
  if (o.minBoxSize) f.push(`XMax - XMin >= ${o.minBoxSize} AND YMax - YMin >= ${o.minBoxSize}`);
  return `CREATE TABLE ref AS
    WITH cls(LabelName, DisplayName) AS (VALUES ${names}),
    sel AS (
      SELECT DISTINCT ImageID FROM read_csv(${list(files.labels)}, header = true, union_by_name = true, all_varchar = true)
      WHERE LabelName IN ${inList(mids)} AND CAST(Confidence AS DOUBLE) > ${o.minConfidence ?? 0.99}
    ),
    b AS (
      SELECT ImageID, Source, LabelName, CAST(Confidence AS DOUBLE) AS Confidence,
        CAST(XMin AS DOUBLE) AS XMin, CAST(XMax AS DOUBLE) AS XMax, CAST(YMin AS DOUBLE) AS YMin, CAST(YMax AS DOUBLE) AS YMax,
        CAST(IsOccluded AS INTEGER) AS IsOccluded, CAST(IsTruncated AS INTEGER) AS IsTruncated, CAST(IsGroupOf AS INTEGER) AS IsGroupOf,
        CAST(IsDepiction AS INTEGER) AS IsDepiction, CAST(IsInside AS INTEGER) AS IsInside
      FROM read_csv(${list(files.boxes)}, header = true, union_by_name = true, all_varchar = true)
    )
    SELECT b.*, cls.DisplayName FROM b JOIN cls USING (LabelName)
    WHERE b.ImageID IN (SELECT ImageID FROM sel) ${f.length ? 'AND ' + f.join(' AND ') : ''}`;
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
export async function referenceClasses(data: string, o: Pick<SelectBoxesOptions, 'classes' | 'under'>): Promise<RefClass[]> {
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
  const split = (s?: string | readonly string[]): string[] => (typeof s === 'string' ? s.split(',') : [...(s ?? [])]).map((x) => x.trim()).filter(Boolean);
  if (!o.classes && !o.under) return BIG_CAT_MIDS.map((m) => byMid.get(m) ?? { LabelName: m, DisplayName: m });
  const mids = split(o.classes).map((n) => one(n).LabelName);
  if (o.under) {
    const root = JSON.parse(readFileSync(path.join(metadata, 'bbox_labels_600_hierarchy.json'), 'utf8')) as HierarchyNode;
    for (const parent of split(o.under)) mids.push(...descendants(root, one(parent).LabelName));
  }
  return [...new Set(mids)].map((m) => byMid.get(m) ?? { LabelName: m, DisplayName: m });
}

/** One comparable text per row (multiset compare in JS; -1 flags of absent columns read as NULL → -1). */
const rowKey = (r: readonly unknown[]): string => r.map((v) => (v === null ? '-1' : String(v))).join('|');

function multisetDiff(a: string[], b: string[]): number {
  const counts = new Map<string, number>();
  for (const k of b) counts.set(k, (counts.get(k) ?? 0) + 1);
  let only = 0;
  for (const k of a) {
    const c = counts.get(k) ?? 0;
    if (c > 0) counts.set(k, c - 1);
    else only++;
  }
  return only;
}

/**
 * Our rows (records from `selectBoxes`, or a boxes.parquet file) against the SQL reference, as multisets.
 * `schema` is the Parquet file's DuckDB schema (empty for records).
 */
export async function compareWithDuckDb(
  data: string,
  ours: string | readonly SelectedBox[],
  o: SelectBoxesOptions,
): Promise<{ classes: RefClass[]; schema: string[]; ours: number; reference: number; onlyOurs: number; onlyReference: number }> {
  const files = await referenceFiles(data, o);
  // the classes come from the reference's own resolution, never from our output
  const classes = await referenceClasses(data, o);
  const mids = classes.map((c) => c.LabelName);
  const names = classes.map((c) => `(${q(c.LabelName)}, ${q(c.DisplayName)})`).join(',');
  return withDuckDb(async (run) => {
    await run(refTableSql(files, names, mids, o));
    const reference = (await run(`SELECT ${COLS} FROM ref`)).map(rowKey);
    let schema: string[] = [];
    let mine: string[];
    if (typeof ours === 'string') {
      await run(`CREATE VIEW ours AS SELECT * FROM read_parquet('${ours}')`);
      schema = (await run(`DESCRIBE ours`)).map((r) => `${r[0]} ${r[1]}`);
      mine = (await run(`SELECT ${COLS} FROM ours`)).map(rowKey);
    } else {
      mine = ours.map((b) => rowKey(COLS.split(', ').map((c) => b[c as keyof SelectedBox])));
    }
    return { classes, schema, ours: mine.length, reference: reference.length, onlyOurs: multisetDiff(mine, reference), onlyReference: multisetDiff(reference, mine) };
  });
}

/** Per class: positive rows (Confidence > threshold), negative rows (= 0), distinct positive images; '*' = all images. */
export async function duckDbSummary(
  data: string,
  minConfidence: number,
  o: Pick<SelectBoxesOptions, 'splits' | 'labels' | 'classes' | 'under'> = {},
): Promise<Map<string, { pos: number; neg: number; images: number }>> {
  const files = await referenceFiles(data, o);
  const mids = (await referenceClasses(data, o)).map((c) => c.LabelName);
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
