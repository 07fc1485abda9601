import { DuckDBInstance } from '@duckdb/node-api';
import { loadMetadata } from '@oidstream/oid-labels';
import { findDataFiles, type SelectOptions } from '../src/stages/select.js';

/**
 * An independent reference for `select`, in DuckDB SQL over the same CSVs: labels → selected ImageIDs → boxes of the
 * chosen classes on them, with the same box filters. Shared by the select tests (not a test file itself).
 */
const list = (xs: readonly string[]): string => `[${xs.map((x) => `'${x.replace(/'/g, "''")}'`).join(',')}]`;
const inList = (xs: readonly string[]): string => `(${xs.map((x) => `'${x.replace(/'/g, "''")}'`).join(',')})`;

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

export async function compareWithDuckDb(
  data: string,
  boxesParquet: string,
  mids: readonly string[],
  o: SelectOptions,
): Promise<{ schema: string[]; ours: number; reference: number; onlyOurs: number; onlyReference: number }> {
  const files = await findDataFiles(data);
  const { catalog } = loadMetadata(files.metadata);
  const names = mids.map((m) => `('${m}', '${(catalog.displayName(m) ?? m).replace(/'/g, "''")}')`).join(',');
  const f: string[] = [];
  if (o.excludeGroupOf) f.push('IsGroupOf <> 1');
  if (o.excludeDepiction) f.push('IsDepiction <> 1');
  if (o.excludeOccluded) f.push('IsOccluded <> 1');
  if (o.excludeTruncated) f.push('IsTruncated <> 1');
  if (o.excludeInside) f.push('IsInside <> 1');
  if (o.minBoxSize) f.push(`XMax - XMin >= ${o.minBoxSize} AND YMax - YMin >= ${o.minBoxSize}`);
  return withDuckDb(async (run) => {
    await run(`CREATE TABLE ref AS
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
      WHERE b.ImageID IN (SELECT ImageID FROM sel) ${f.length ? 'AND ' + f.join(' AND ') : ''}`);
    await run(`CREATE VIEW ours AS SELECT * FROM read_parquet('${boxesParquet}')`);
    const schema = (await run(`DESCRIBE ours`)).map((r) => `${r[0]} ${r[1]}`);
    const [[ours]] = await run(`SELECT count(*) FROM ours`);
    const [[reference]] = await run(`SELECT count(*) FROM ref`);
    const cols = 'ImageID, Source, LabelName, Confidence, XMin, XMax, YMin, YMax, IsOccluded, IsTruncated, IsGroupOf, IsDepiction, IsInside, DisplayName';
    const [[onlyOurs]] = await run(`SELECT count(*) FROM (SELECT ${cols} FROM ours EXCEPT ALL SELECT ${cols} FROM ref)`);
    const [[onlyReference]] = await run(`SELECT count(*) FROM (SELECT ${cols} FROM ref EXCEPT ALL SELECT ${cols} FROM ours)`);
    return { schema, ours: Number(ours), reference: Number(reference), onlyOurs: Number(onlyOurs), onlyReference: Number(onlyReference) };
  });
}

/** Per class: positive rows (Confidence > threshold), negative rows (= 0), distinct positive images; '*' = all images. */
export async function duckDbSummary(data: string, mids: readonly string[], minConfidence: number): Promise<Map<string, { pos: number; neg: number; images: number }>> {
  const files = await findDataFiles(data);
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
