import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from './bench-once.js';

const work = await mkdtemp(path.join(os.tmpdir(), 'oidstream-bench-sample-'));
afterAll(() => rm(work, { recursive: true, force: true }));

describe('samples/bench-once.ts', () => {
  it('measures every stage once on test-data/oid, our select and DuckDB writing the same rows', async () => {
    const r = await main(undefined, work);
    const row = (stage: string, who: string) => r.rows.find((x) => x.stage === stage && x.who === who);
    for (const stage of ['select', 'pack', 'chips', 'run', 'report']) {
      expect(row(stage, 'oidstream')?.units, stage).toBeGreaterThan(0);
      expect(row(stage, 'oidstream')?.maxRssMb, stage).toBeGreaterThan(0);
    }
    expect(row('select', 'DuckDB read_csv')?.outputRows).toBe(row('select', 'oidstream')?.outputRows);
    expect(row('chips', 'bare sharp loop')?.units).toBeGreaterThan(0);
    expect(row('help', 'oidstream --help')?.wallMs).toBeGreaterThan(0);
    expect(Object.keys(r.ratios)).toEqual(['40']);
  }, 600_000);
});
