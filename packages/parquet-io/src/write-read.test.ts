import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { collect } from '../test/collect.js';
import { DuckDBInstance } from '@duckdb/node-api';
import { ParquetFileWriter, ParquetIoError, parquetInfo, readParquetRows, writeParquet } from './index.js';
import type { ColumnSpec } from './index.js';

const dir = mkdtempSync(path.join(tmpdir(), 'pqio-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const columns: ColumnSpec[] = [
  { name: 'ImageID', type: 'STRING', nullable: false },
  { name: 'Rotation', type: 'DOUBLE' },
  { name: 'n', type: 'INT32' },
  { name: 'big', type: 'INT64' },
  { name: 'flag', type: 'BOOLEAN' },
  { name: 'image', type: 'BYTE_ARRAY' },
];

function makeRow(i: number) {
  const bytes = new Uint8Array(100 + (i % 50));
  for (let k = 0; k < bytes.length; k++) bytes[k] = (i * 31 + k) & 255;
  return {
    ImageID: i.toString(16).padStart(16, '0'),
    Rotation: i % 3 === 0 ? null : i * 0.5,
    n: i - 500,
    big: BigInt(i) * 10_000_000_000n,
    flag: i % 2 === 0,
    image: bytes,
  };
}

describe('writeParquet + readParquetRows', () => {
  it('round-trips every type, with small row groups, and DuckDB reads the same values', async () => {
    const file = path.join(dir, 'sub', 'a.parquet');
    async function* rows() {
      for (let i = 0; i < 1000; i++) yield makeRow(i);
    }
    const res = await writeParquet(file, columns, rows(), { rowGroupRows: 300 });
    expect(res.rows).toBe(1000);
    expect(res.bytes).toBeGreaterThan(100_000);
    expect(readdirSync(path.dirname(file))).toEqual(['a.parquet']); // temp file renamed away
    const info = await parquetInfo(file);
    expect(info).toEqual({ rows: 1000, columns: columns.map((c) => c.name), rowGroups: 4 });

    const back = await collect(readParquetRows(file));
    expect(back.length).toBe(1000);
    for (const i of [0, 1, 299, 300, 999]) {
      const want = makeRow(i);
      expect(back[i].ImageID).toBe(want.ImageID);
      expect(back[i].Rotation).toBe(want.Rotation);
      expect(back[i].n).toBe(want.n);
      expect(back[i].big).toBe(want.big);
      expect(back[i].flag).toBe(want.flag);
      expect(back[i].image).toBeInstanceOf(Uint8Array);
      expect(Buffer.from(back[i].image as Uint8Array).equals(Buffer.from(want.image))).toBe(true);
    }

    const part = await collect(readParquetRows(file, { columns: ['ImageID'], rowStart: 295, rowEnd: 305 }));
    expect(part.map((r) => r.ImageID)).toEqual(Array.from({ length: 10 }, (_, k) => makeRow(295 + k).ImageID));
    expect(Object.keys(part[0])).toEqual(['ImageID']);

    const db = await DuckDBInstance.create(':memory:');
    const con = await db.connect();
    const reader = await con.runAndReadAll(
      `SELECT count(*)::INTEGER AS c, sum(n)::INTEGER AS s, count(Rotation)::INTEGER AS r, max(ImageID) AS m, md5(string_agg(image::VARCHAR, '' ORDER BY n)) AS h FROM read_parquet('${file}')`,
    );
    const [row] = reader.getRowObjects();
    expect(row.c).toBe(1000);
    expect(row.s).toBe(back.reduce((a, r) => a + (r.n as number), 0));
    expect(row.r).toBe(back.filter((r) => r.Rotation !== null).length);
    expect(row.m).toBe(makeRow(999).ImageID);
    const blob = await con.runAndReadAll(`SELECT image FROM read_parquet('${file}') WHERE n = 7`);
    const v = blob.getRowObjects()[0].image as { bytes: Uint8Array };
    expect(Buffer.from(v.bytes).equals(Buffer.from(makeRow(507).image))).toBe(true);
    con.closeSync();
  });

  it('bounds row groups by bytes', async () => {
    const file = path.join(dir, 'bytes.parquet');
    const rows = Array.from({ length: 40 }, (_, i) => ({ ImageID: String(i), image: new Uint8Array(100_000) }));
    await writeParquet(file, [{ name: 'ImageID', type: 'STRING' }, { name: 'image', type: 'BYTE_ARRAY' }], rows, {
      rowGroupBytes: 1_000_000,
    });
    expect((await parquetInfo(file)).rowGroups).toBe(4);
    // binary columns are stored PLAIN (no dictionary even for identical values): each value in its own page range
    expect(statSync(file).size).toBeGreaterThan(40 * 100_000);
  });

  it('ParquetFileWriter: abort leaves no file; bad values throw coded errors', async () => {
    const file = path.join(dir, 'aborted.parquet');
    const w = ParquetFileWriter.open(file, columns);
    w.write(makeRow(1));
    expect(() => w.write({ ...makeRow(2), n: 1.5 })).toThrow(ParquetIoError);
    expect(() => w.write({ ...makeRow(2), ImageID: null })).toThrowError(/not nullable/);
    w.abort();
    expect(existsSync(file)).toBe(false);
    expect(readdirSync(dir).filter((f) => f.startsWith('aborted'))).toEqual([]);
    expect(() => w.write(makeRow(3))).toThrowError(expect.objectContaining({ code: 'WRITER_CLOSED' }));
  });

  it('a failing row source leaves the previous file in place', async () => {
    const file = path.join(dir, 'keep.parquet');
    await writeParquet(file, [{ name: 'x', type: 'INT32' }], [{ x: 1 }]);
    async function* bad() {
      yield { x: 2 };
      throw new Error('source broke');
    }
    await expect(writeParquet(file, [{ name: 'x', type: 'INT32' }], bad())).rejects.toThrow('source broke');
    expect((await collect(readParquetRows(file))).map((r) => r.x)).toEqual([1]);
    expect(readdirSync(dir).filter((f) => f.startsWith('keep'))).toEqual(['keep.parquet']);
  });

  it('rejects malformed files and unknown columns with codes', async () => {
    const junk = path.join(dir, 'junk.parquet');
    writeFileSync(junk, 'PAR1 this is not parquet at all PAR1');
    await expect(collect(readParquetRows(junk))).rejects.toMatchObject({ code: 'NOT_PARQUET' });
    const file = path.join(dir, 'ok.parquet');
    await writeParquet(file, [{ name: 'x', type: 'INT32' }], [{ x: 1 }]);
    await expect(collect(readParquetRows(file, { columns: ['nope'] }))).rejects.toMatchObject({ code: 'UNKNOWN_COLUMN' });
    await expect(collect(readParquetRows(path.join(dir, 'missing.parquet')))).rejects.toMatchObject({ code: 'READ_FAILED' });
    await expect(collect(readParquetRows(file, { columns: 'x' as never }))).rejects.toMatchObject({ code: 'BAD_OPTIONS' });
    await expect(writeParquet(path.join(dir, 'no-rows.parquet'), [{ name: 'x', type: 'INT32' }], undefined as never)).rejects.toMatchObject({ code: 'BAD_OPTIONS' });
  });

  it('writes an empty file with the schema', async () => {
    const file = path.join(dir, 'empty.parquet');
    const res = await writeParquet(file, columns, []);
    expect(res.rows).toBe(0);
    expect(await parquetInfo(file)).toMatchObject({ rows: 0, columns: columns.map((c) => c.name) });
  });
});
