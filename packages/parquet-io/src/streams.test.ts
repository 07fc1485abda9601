import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { parquetKeyedReadStream, parquetReadStream, parquetWriteStream } from './index.js';

const dir = mkdtempSync(path.join(tmpdir(), 'pqstream-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const cols = [{ name: 'id', type: 'STRING' as const }, { name: 'v', type: 'INT32' as const }];

describe('Node stream faces', () => {
  it('pipes rows through a write stream and back', async () => {
    const file = path.join(dir, 's.parquet');
    const rows = Array.from({ length: 500 }, (_, i) => ({ id: `k${i}`, v: i }));
    await pipeline(Readable.from(rows), parquetWriteStream(file, cols, { rowGroupRows: 128 }));
    const back: unknown[] = [];
    for await (const r of parquetReadStream(file)) back.push(r);
    expect(back).toEqual(rows);
    const some: unknown[] = [];
    for await (const r of parquetKeyedReadStream(file, 'id', new Set(['k3', 'k300']))) some.push(r);
    expect(some).toEqual([rows[3], rows[300]]);
  });

  it('a failing pipeline leaves no file', async () => {
    const file = path.join(dir, 'f.parquet');
    await expect(pipeline(Readable.from([{ id: 'a', v: 1 }, { id: 'b', v: 'oops' }]), parquetWriteStream(file, cols))).rejects.toMatchObject({ code: 'BAD_VALUE' });
    expect(existsSync(file)).toBe(false);
    expect(readdirSync(dir).filter((f) => f.startsWith('f.parquet'))).toEqual([]);
  });
});
