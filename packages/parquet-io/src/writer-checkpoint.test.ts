import { mkdtempSync, readdirSync, statSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ParquetFileWriter, parquetInfo, readParquetRows, type ColumnSpec, type WriterCheckpoint } from './index.js';

const columns: ColumnSpec[] = [
  { name: 'id', type: 'STRING', nullable: false },
  { name: 'n', type: 'INT32' },
  { name: 'bytes', type: 'BYTE_ARRAY' },
];
const row = (i: number) => ({ id: `r${i}`, n: i, bytes: new Uint8Array([i % 256, 7]) });

async function rowsOf(file: string): Promise<unknown[]> {
  const out: unknown[] = [];
  for await (const r of readParquetRows(file)) out.push({ ...r, bytes: Array.from(r.bytes as Uint8Array) });
  return out;
}

describe('ParquetFileWriter checkpoint / resume', () => {
  it('a writer resumed from a checkpoint (JSON round trip) after more rows were lost gives the uninterrupted file', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'pq-ckpt-'));
    const whole = ParquetFileWriter.open(path.join(dir, 'whole.parquet'), columns, { pageSize: 64 });
    for (let i = 0; i < 300; i++) whole.write(row(i));
    whole.finish();

    const file = path.join(dir, 'resumed.parquet');
    const w = ParquetFileWriter.open(file, columns, { pageSize: 64 });
    for (let i = 0; i < 100; i++) w.write(row(i));
    w.checkpoint();
    for (let i = 100; i < 200; i++) w.write(row(i));
    const ckpt = JSON.parse(JSON.stringify(w.checkpoint())) as WriterCheckpoint;
    for (let i = 200; i < 250; i++) w.write(row(i)); // written after the checkpoint, then the process "dies"
    w.flushGroup();
    expect(statSync(ckpt.tempPath).size).toBeGreaterThan(ckpt.bytes);

    const r = ParquetFileWriter.resume(file, columns, ckpt, { pageSize: 64 });
    expect(r.rows).toBe(200);
    for (let i = 200; i < 300; i++) r.write(row(i));
    expect(r.finish().rows).toBe(300);
    expect((await parquetInfo(file)).rows).toBe(300);
    expect(await rowsOf(file)).toEqual(await rowsOf(path.join(dir, 'whole.parquet')));
  });

  it('refuses to resume when the temp file is gone', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'pq-ckpt-'));
    const ckpt: WriterCheckpoint = { tempPath: path.join(dir, 'nope.tmp'), bytes: 4, rows: 0, state: { row_groups: [], num_rows: { $bigint: '0' }, pendingIndexes: [] } };
    expect(() => ParquetFileWriter.resume(path.join(dir, 'x.parquet'), columns, ckpt)).toThrow(expect.objectContaining({ code: 'WRITER_CLOSED' }));
  });

  it('finishFrom: finishes a checkpointed temp file, accepts the file it was renamed to, refuses any other file', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'pq-ckpt-'));
    const file = path.join(dir, 'f.parquet');
    const w = ParquetFileWriter.open(file, columns);
    for (let i = 0; i < 50; i++) w.write(row(i));
    const ckpt = JSON.parse(JSON.stringify(w.checkpoint())) as WriterCheckpoint; // then the process "dies"
    expect(await ParquetFileWriter.finishFrom(file, columns, ckpt)).toEqual({ rows: 50, bytes: expect.any(Number) });
    expect((await parquetInfo(file)).rows).toBe(50);
    // killed after the rename: the temp file is gone, the final file has the checkpoint's rows
    expect((await ParquetFileWriter.finishFrom(file, columns, ckpt)).rows).toBe(50);
    // a file of other rows at the final name is not the one the checkpoint became
    const other = ParquetFileWriter.open(file, columns);
    for (let i = 0; i < 49; i++) other.write(row(i));
    other.finish();
    await expect(ParquetFileWriter.finishFrom(file, columns, ckpt)).rejects.toMatchObject({ code: 'WRITER_CLOSED' });
  });
});

describe('ParquetFileWriter finishing onto a directory', () => {
  it('is OUT_NOT_WRITABLE and leaves no temp file behind', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'pq-dir-'));
    const w = ParquetFileWriter.open(dir, columns);
    w.write(row(1));
    expect(() => w.finish()).toThrow(expect.objectContaining({ code: 'OUT_NOT_WRITABLE' }));
    expect(readdirSync(path.dirname(dir)).filter((f) => f.startsWith(`${path.basename(dir)}.tmp-`))).toEqual([]);
  });
});
