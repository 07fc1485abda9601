import { existsSync, readdirSync, rmSync, writeFileSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { needs } from '@oidstream/test-needs';
import { enqueueShards, findRedisServer, mergeParts, openQueue, planRun, runStatus, startLocalRedis } from '@oidstream/scale-out';
import type { LocalRedis } from '@oidstream/scale-out';
import { makeShardFixture } from './scale-out-fixture.js';
import type { Fixture } from './scale-out-fixture.js';
import { processShard } from '@oidstream/scale-out';
import { BUILT, WorkerProc, byChipId, cli, readAll } from './scale-out-harness.js';

const redisMissing = !findRedisServer();
const reason = redisMissing ? 'redis-server not installed (apt-get install -y redis-server)' : !BUILT ? 'pipeline not built (npx nx run pipeline:build)' : '';

// fast failure detection for the fault tests: a dead worker's shard is free again after ~2 s
const FAST = ['--lock-duration', '2000', '--stalled-interval', '1000', '--exit-when-idle', '500'];

describe.skipIf(needs(reason, !reason))(`scale-out on BullMQ with a real Redis${reason ? ` (skipped: ${reason})` : ''}`, () => {
  let redis: LocalRedis;
  let tmp: string;
  let fx: Fixture;
  let reference: Array<Record<string, unknown>>;
  const workers: WorkerProc[] = [];
  let queueNo = 0;

  beforeAll(async () => {
    redis = await startLocalRedis();
    tmp = await mkdtemp(path.join(os.tmpdir(), 'oidstream-scale-'));
    fx = await makeShardFixture(path.join(tmp, 'data'), { images: 24, rowGroupRows: 4, orphans: 1 });
    // the single-machine reference: the chips command (the stage `run` uses), from the same build the workers run
    const single = await cli(['chips', '--boxes', fx.boxes, '--images', fx.images, '--out', path.join(tmp, 'single')]);
    expect(single.code, single.stderr).toBe(0);
    reference = byChipId(await readAll(path.join(tmp, 'single', 'chips.parquet')));
    expect(reference.length).toBeGreaterThan(40);
  });
  afterEach(async () => {
    for (const w of workers.splice(0)) w.kill9();
  });
  afterAll(async () => {
    await redis?.dispose();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  function worker(queue: string, extra: string[] = []): WorkerProc {
    const w = new WorkerProc(['--redis', redis.url, '--queue', queue, ...extra]);
    workers.push(w);
    return w;
  }
  /** enqueue in this process (the CLI path is covered by the first and last tests) */
  async function enqueueHere(out: string, queue: string, shards: number) {
    const planned = await planRun({ out, boxes: fx.boxes, images: [fx.images], mode: 'redis', queue, shards });
    const q = openQueue(redis.url, queue);
    try {
      return await enqueueShards(q, planned.jobs);
    } finally {
      await q.close();
    }
  }
  async function status(out: string, queue: string) {
    const q = openQueue(redis.url, queue);
    try {
      return await runStatus(out, q);
    } finally {
      await q.close();
    }
  }
  async function enqueue(out: string, queue: string, extra: string[] = []) {
    const r = await cli(['enqueue', '--boxes', fx.boxes, '--images', fx.images, '--out', out, '--redis', redis.url, '--queue', queue, '--json', ...extra]);
    expect(r.stderr + r.stdout).not.toContain('Error');
    expect(r.code).toBe(0);
    return JSON.parse(r.stdout) as { shards: number; images: number; added: number; planId: string };
  }

  it('two workers process every shard; the merged result equals a single-machine run row for row', async () => {
    const out = path.join(tmp, 'two');
    const queue = `q${queueNo++}`;
    const plan = await enqueue(out, queue, ['--shards', '5']);
    expect(plan).toMatchObject({ shards: 5, images: 24, added: 5 });
    expect(existsSync(path.join(out, 'boxes.parquet'))).toBe(true); // the selection is copied in, for `report`
    // enqueueing the same plan again adds nothing (stable job ids)
    expect(await enqueueHere(out, queue, 5)).toEqual({ added: 0, retried: 0, kept: 5 });

    const [a, b] = [worker(queue, ['--exit-when-idle', '500']), worker(queue, ['--exit-when-idle', '500'])];
    expect(await a.exited, a.stderr).toBe(0);
    expect(await b.exited, b.stderr).toBe(0);
    // both took part (they start together; each shard's first run in a worker includes its child's start-up)
    expect(a.events.some((e) => e.event === 'completed') && b.events.some((e) => e.event === 'completed')).toBe(true);
    const done = [...a.events, ...b.events].filter((e) => e.event === 'completed');
    expect(done.map((e) => e.shard).sort()).toEqual(['00000', '00001', '00002', '00003', '00004']);
    for (const e of done) expect(e.result.ms.total).toBeGreaterThan(0);

    const st = await cli(['status', '--out', out, '--redis', redis.url, '--json']);
    expect(JSON.parse(st.stdout).counts).toMatchObject({ done: 5, failed: 0, running: 0 });
    expect(JSON.parse(st.stdout).images).toEqual({ total: 24, done: 24 });

    // the parts directory is one dataset: DuckDB reads it as such
    const { DuckDBInstance } = await import('@duckdb/node-api');
    const db = await DuckDBInstance.create(':memory:');
    const con = await db.connect();
    const res = await con.runAndReadAll(`SELECT count(*)::INT AS n, count(DISTINCT chip_id)::INT AS d FROM read_parquet('${path.join(out, 'parts', '*.parquet')}')`);
    expect(res.getRowObjects()[0]).toEqual({ n: reference.length, d: reference.length });
    con.closeSync();

    const merged = await cli(['merge', '--out', out, '--json']);
    expect(merged.code).toBe(0);
    expect(JSON.parse(merged.stdout)).toMatchObject({ rows: reference.length });
    expect(byChipId(await readAll(path.join(out, 'chips.parquet')))).toEqual(reference);
    // the orphan box (image absent) is reported, as the chips stage does
    expect(readFileSync(path.join(out, 'errors.jsonl'), 'utf8')).toContain('UNKNOWN_IMAGE');
  });

  it('enqueue again re-runs a shard whose part was lost; a replaced plan\'s job never overwrites the new plan', async () => {
    const out = path.join(tmp, 'again');
    const queue = `q${queueNo++}`;
    expect(await enqueueHere(out, queue, 2)).toEqual({ added: 2, retried: 0, kept: 0 });
    expect(await worker(queue, ['--exit-when-idle', '500']).exited).toBe(0);
    rmSync(path.join(out, 'parts', 'part-00001.parquet'));
    expect((await status(out, queue)).counts).toMatchObject({ done: 1, unknown: 1 });
    expect(await enqueueHere(out, queue, 2)).toEqual({ added: 1, retried: 0, kept: 1 });
    expect(await worker(queue, ['--exit-when-idle', '500']).exited).toBe(0);
    expect((await status(out, queue)).counts).toMatchObject({ done: 2 });

    const old = await planRun({ out, boxes: fx.boxes, images: [fx.images], mode: 'redis', queue, shards: 2 });
    const replaced = await planRun({ out, boxes: fx.boxes, images: [fx.images], mode: 'redis', queue, shards: 3, force: true });
    expect(replaced.replaced?.planId).toBe(old.plan.planId);
    await expect(processShard(old.jobs[0])).rejects.toMatchObject({ code: 'PLAN_MISMATCH' });
    expect(existsSync(path.join(out, 'parts', 'part-00000.parquet'))).toBe(false); // --force cleared the old parts
  });

  it('kill -9 of a worker mid-shard: the shard is retried elsewhere and every chip is there exactly once', async () => {
    const out = path.join(tmp, 'kill');
    const queue = `q${queueNo++}`;
    await enqueueHere(out, queue, 3);
    const victim = worker(queue, FAST);
    // mid-shard = its part is being written (temp file open), not yet renamed
    const parts = path.join(out, 'parts');
    const until = Date.now() + 30_000;
    let tmpSeen = '';
    while (!tmpSeen && Date.now() < until) {
      tmpSeen = existsSync(parts) ? readdirSync(parts).find((f) => f.includes('.parquet.tmp-')) ?? '' : '';
      if (!tmpSeen) await new Promise((r) => setTimeout(r, 5));
    }
    expect(tmpSeen).not.toBe('');
    victim.kill9();
    await victim.exited;
    const killedShard = tmpSeen.slice('part-'.length, 'part-'.length + 5);
    expect(existsSync(path.join(parts, '_meta', `part-${killedShard}.json`))).toBe(false);

    const rescuer = worker(queue, FAST);
    expect(await rescuer.exited, rescuer.stderr).toBe(0);
    const meta = JSON.parse(readFileSync(path.join(parts, '_meta', `part-${killedShard}.json`), 'utf8'));
    expect(meta.worker).toContain(String(rescuer.child.pid));
    await mergeParts(out);
    const rows = await readAll(path.join(out, 'chips.parquet'));
    expect(new Set(rows.map((r) => r.chip_id)).size).toBe(rows.length);
    expect(byChipId(rows)).toEqual(reference);
    // merge removed the dead attempt's temp file: the directory holds parts only
    expect(readdirSync(parts).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  it('Redis restarts mid-run: workers reconnect and finish', async () => {
    const out = path.join(tmp, 'restart');
    const queue = `q${queueNo++}`;
    await enqueueHere(out, queue, 8);
    const a = worker(queue, ['--exit-when-idle', '500']);
    const b = worker(queue, ['--exit-when-idle', '500']);
    // down while a shard is in flight: its completion and the other shards wait for Redis to come back
    await a.waitFor((e) => e.event === 'started');
    await b.waitFor((e) => e.event === 'ready');
    await redis.stop({ save: true }); // SHUTDOWN SAVE: the queue survives, as with any persistent Redis
    const downAt = Date.now();
    await new Promise((r) => setTimeout(r, 1500));
    await redis.start();
    expect(await a.exited, a.stderr).toBe(0);
    expect(await b.exited, b.stderr).toBe(0);
    const events = [...a.events, ...b.events];
    expect(events.some((e) => e.event === 'redis-error')).toBe(true);
    const doneAfter = events.filter((e) => e.event === 'completed' && Date.parse(e.at) > downAt + 1500);
    expect(doneAfter.length).toBeGreaterThan(0);
    expect((await status(out, queue)).counts.done).toBe(8);
    await mergeParts(out);
    expect(byChipId(await readAll(path.join(out, 'chips.parquet')))).toEqual(reference);
  });

  it('a poisoned shard (corrupt Parquet) fails alone with its reason; the others complete', async () => {
    const out = path.join(tmp, 'poison');
    const queue = `q${queueNo++}`;
    // a second image file that will be corrupted after planning
    const bad = path.join(tmp, 'data', 'images-bad.parquet');
    const good = await makeShardFixture(path.join(tmp, 'data-b'), { images: 6, rowGroupRows: 3, idPrefix: 'bad' });
    writeFileSync(bad, readFileSync(good.images));
    // one selection over both files: concatenate the boxes
    const { writeParquet } = await import('@oidstream/parquet-io');
    const { BOX_COLUMNS } = await import('./scale-out-fixture.js');
    const boxes = path.join(tmp, 'data', 'boxes-both.parquet');
    await writeParquet(boxes, BOX_COLUMNS, [...(await readAll(fx.boxes)), ...(await readAll(good.boxes))]);
    const r = await cli(['enqueue', '--boxes', boxes, '--images', fx.images, '--images', bad, '--out', out, '--redis', redis.url, '--queue', queue,
      '--images-per-shard', '6', '--attempts', '2', '--backoff', '100', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ shards: 5, images: 30 });
    // corrupt the file on the shared filesystem (same size, garbage bytes)
    writeFileSync(bad, Buffer.alloc(statSync(bad).size, 0x5a));

    const w = worker(queue, ['--exit-when-idle', '500']);
    expect(await w.exited, w.stderr).toBe(2); // SHARDS_FAILED
    expect(w.stderr).toContain('SHARDS_FAILED');
    const failed = w.events.filter((e) => e.event === 'failed');
    expect(failed.map((e) => e.shard)).toEqual(['00004', '00004']);
    expect(failed[1]).toMatchObject({ attempt: 2, willRetry: false });
    expect(failed[1].reason).toMatch(/not a readable Parquet file/);

    const st = await status(out, queue);
    expect(st.counts).toMatchObject({ done: 4, failed: 1 });
    expect(st.shards[4]).toMatchObject({ id: '00004', state: 'failed', attempts: 2 });
    expect(st.shards[4].reason).toContain('images-bad.parquet');
    const merge = await cli(['merge', '--out', out]);
    expect(merge.code).toBe(2);
    expect(merge.stderr).toMatch(/1 of 5 shards are not complete: 00004 .*\[PARTS_MISSING\]/);
  });
});
