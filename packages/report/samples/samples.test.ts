import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeRunDirFixture } from '../test/run-dir-fixture.js';
import { main } from './report-run.js';

const dir = await mkdtemp(path.join(os.tmpdir(), 'oidstream-report-sample-'));
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('samples/report-run.ts', () => {
  it('writes the report of a run directory and gives its figures', async () => {
    const expected = await writeRunDirFixture(dir);
    const r = await main(dir);
    expect(existsSync(r.html)).toBe(true);
    expect(r.charts.length).toBe(8);
    expect(r.data.classes?.map((c) => c.DisplayName)).toEqual(['Tiger', 'Lion', 'Leopard']);
    expect(r.data.models[0]!.top1).toBeCloseTo(expected.top1, 10);
  });
});
