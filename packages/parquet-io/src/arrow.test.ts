import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Table, tableFromArrays } from 'apache-arrow';
import { afterAll, describe, expect, it } from 'vitest';
import { collect } from '../test/collect.js';
import { readParquetBatches, recordBatchToRows, rowsToRecordBatch, writeParquetBatches } from '@oidstream/parquet-io/arrow';
import { readParquetRows, writeParquet } from './index.js';
import type { ColumnSpec } from './index.js';

const dir = mkdtempSync(path.join(tmpdir(), 'pqarrow-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const columns: ColumnSpec[] = [
  { name: 'ImageID', type: 'STRING' },
  { name: 'XMin', type: 'DOUBLE' },
  { name: 'IsOccluded', type: 'INT32' },
  { name: 'n64', type: 'INT64' },
  { name: 'ok', type: 'BOOLEAN' },
  { name: 'chip', type: 'BYTE_ARRAY' },
];
const rows = Array.from({ length: 250 }, (_, i) => ({
  ImageID: i % 10 === 0 ? null : `img${i}`,
  XMin: i % 7 === 0 ? null : i / 250,
  IsOccluded: i % 3 === 0 ? -1 : i % 2,
  n64: BigInt(i) << 40n,
  ok: i % 5 === 0,
  chip: i % 11 === 0 ? null : Uint8Array.of(i & 255, 1, 2),
}));

describe('Arrow interop', () => {
  it('rows → RecordBatch → rows keeps values and nulls', () => {
    const batch = rowsToRecordBatch(rows, columns);
    expect(batch.numRows).toBe(250);
    expect(batch.getChild('XMin')!.nullCount).toBe(rows.filter((r) => r.XMin === null).length);
    const back = [...recordBatchToRows(batch)];
    expect(back[0]).toEqual({ ...rows[0] });
    expect(back[13]).toEqual(rows[13]);
    expect(back.map((r) => r.ImageID)).toEqual(rows.map((r) => r.ImageID));
    expect(back.map((r) => r.IsOccluded)).toEqual(rows.map((r) => r.IsOccluded));
  });

  it('Parquet → RecordBatch per row group, and RecordBatches → Parquet', async () => {
    const file = path.join(dir, 'a.parquet');
    await writeParquet(file, columns, rows, { rowGroupRows: 100 });
    const batches = await collect(readParquetBatches(file));
    expect(batches.map((b) => b.numRows)).toEqual([100, 100, 50]);
    const table = new Table(batches);
    expect(table.getChild('ImageID')!.toArray()).toEqual(rows.map((r) => r.ImageID));
    expect([...recordBatchToRows(batches[1])][5]).toEqual(rows[105]);

    const slice = await collect(readParquetBatches(file, { columns: ['XMin'], rowStart: 95, rowEnd: 105 }));
    expect(slice.map((b) => b.numRows)).toEqual([5, 5]);

    const out = path.join(dir, 'b.parquet');
    const res = await writeParquetBatches(out, batches);
    expect(res.rows).toBe(250);
    const again = await collect(readParquetRows(out));
    expect(again).toEqual(rows.map((r) => ({ ...r })));
  });

  it('writes a table built by apache-arrow itself', async () => {
    const t = tableFromArrays({ a: Float64Array.from([1, 2, 3]), s: ['x', 'y', 'z'] });
    const out = path.join(dir, 'c.parquet');
    await writeParquetBatches(out, t.batches);
    expect(await collect(readParquetRows(out))).toEqual([
      { a: 1, s: 'x' },
      { a: 2, s: 'y' },
      { a: 3, s: 'z' },
    ]);
  });
});
