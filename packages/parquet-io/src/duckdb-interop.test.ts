import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, describe, expect, it } from 'vitest';
import { collect } from '../test/collect.js';
import { parquetColumns, readParquetRows, readParquetRowsByKey } from './index.js';

const dir = mkdtempSync(path.join(tmpdir(), 'pqduck-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('files written by DuckDB', () => {
  it.each(['zstd', 'gzip', 'snappy', 'uncompressed'])('reads %s: strings, doubles, nulls, blobs as bytes, by key', async (codec) => {
    const file = path.join(dir, `${codec}.parquet`);
    const db = await DuckDBInstance.create(':memory:');
    const con = await db.connect();
    await con.run(
      `COPY (SELECT printf('%016x', i) AS ImageID, CASE WHEN i % 5 = 0 THEN NULL ELSE i / 4.0 END AS Rotation,
              ('\\xFF\\xD8\\xFF'::BLOB || encode(repeat('x', 100 + i % 7))) AS image, i::INTEGER AS n
            FROM range(3000) t(i))
       TO '${file}' (FORMAT parquet, COMPRESSION ${codec}, ROW_GROUP_SIZE 1000)`,
    );
    con.closeSync();
    expect(await parquetColumns(file)).toEqual([
      { name: 'ImageID', type: 'STRING', nullable: true },
      { name: 'Rotation', type: 'DOUBLE', nullable: true },
      { name: 'image', type: 'BYTE_ARRAY', nullable: true },
      { name: 'n', type: 'INT32', nullable: true },
    ]);
    const rows = await collect(readParquetRows(file));
    expect(rows).toHaveLength(3000);
    expect(rows[7]).toMatchObject({ ImageID: '0000000000000007', Rotation: 1.75, n: 7 });
    expect(rows[10].Rotation).toBeNull();
    const img = rows[7].image as Uint8Array;
    expect(img).toBeInstanceOf(Uint8Array);
    expect([...img.subarray(0, 3)]).toEqual([0xff, 0xd8, 0xff]);
    expect(img.length).toBe(3 + 100 + (7 % 7));
    const some = await collect(readParquetRowsByKey(file, 'ImageID', new Set(['0000000000000bb8', '00000000000009c4', '0000000000000001'])));
    expect(some.map((r) => r.n)).toEqual([1, 2500]);
  });
});
