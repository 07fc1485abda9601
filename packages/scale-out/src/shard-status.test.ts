import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import writeFileAtomic from 'write-file-atomic';
import { partMetaPath, partPath, planRecord, writePlan } from './shard-files.js';
import type { ShardResult } from './shard-job.js';
import { planShards } from './shard-plan.js';
import { formatStatus, runStatus } from './shard-status.js';

describe('status of a sharded run from its files', () => {
  let out: string;
  beforeAll(async () => {
    out = await mkdtemp(path.join(os.tmpdir(), 'oidstream-status-'));
    const places = Array.from({ length: 9 }, (_, i) => ({ file: 0, row: i, imageId: `id${i}` }));
    const shards = planShards(['/d/images.parquet'], places, { shards: 3 });
    await writePlan(out, planRecord({ planId: 'p1', out, boxes: path.join(out, 'boxes.parquet'), mode: 'static', models: [] }, shards));
    const done = (id: string, chips: number, ms: number): ShardResult => ({
      shard: id, planId: 'p1', images: 3, chips, errors: 0, bytes: 100, part: partPath(out, id), worker: 'host:1', attempt: 1, finishedAt: '',
      ms: { models: 0, boxes: 1, read: 2, chips: 3, classify: 0, write: 4, total: ms },
    });
    await mkdir(path.dirname(partMetaPath(out, '00000')), { recursive: true });
    for (const [id, chips, ms] of [['00000', 5, 1200], ['00002', 4, 800]] as const) {
      await writeFileAtomic(partPath(out, id), 'x');
      await writeFileAtomic(partMetaPath(out, id), JSON.stringify(done(id, chips, ms)));
    }
    // a marker of another plan does not count
    await writeFileAtomic(partPath(out, '00001'), 'x');
    await writeFileAtomic(partMetaPath(out, '00001'), JSON.stringify({ ...done('00001', 9, 1), planId: 'old' }));
  });
  afterAll(async () => {
    await rm(out, { recursive: true, force: true });
  });

  it('counts done shards by their markers of this plan, with timings', async () => {
    const st = await runStatus(out);
    expect(st.counts).toMatchObject({ done: 2, waiting: 1 });
    expect(st.images).toEqual({ total: 9, done: 6 });
    expect(st.chips).toBe(9);
    expect(st.shardMs).toEqual({ sum: 2000, median: 1200 });
    const text = formatStatus(st);
    expect(text.split('\n')[0]).toBe(`${out}: 3 shards — 2 done, 0 running, 1 waiting, 0 retrying, 0 failed`);
    expect(text).toContain('images 6/9, chips 9; shard time median 1.20 s, sum 2.0 s');
    expect(text).toMatch(/part-00001 {2}waiting {1,}3 images {2}attempts 0/);
    expect(text).not.toContain('part-00000'); // finished shards only with --all
    expect(formatStatus(st, { all: true })).toContain('part-00000  done');
  });
});
