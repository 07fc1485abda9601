import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { needs } from '@oidstream/test-needs';
import { findRedisServer, mergeParts, runStatus, startLocalRedis } from '@oidstream/scale-out';
import type { LocalRedis } from '@oidstream/scale-out';
import { runShard } from '../src/shard-run.js';
import { BUILT, PKG, WorkerProc, cli, readAll } from './scale-out-harness.js';

const repo = path.resolve(PKG, '..', '..');
const data = path.join(repo, 'test-data', 'oid');
const shared = process.env.OIDSTREAM_SHARED ?? path.resolve(repo, '../shared');
const mobilenet = path.join(shared, 'models', 'mobilenet_v1_0.75_224');
const withModel = !needs('../shared/models (without it the sharded run is compared on chips only)', existsSync(path.join(mobilenet, 'model.json')));
const reason = !findRedisServer() ? 'redis-server not installed (apt-get install -y redis-server)' : !BUILT ? 'pipeline not built (npx nx run pipeline:build)' : !existsSync(data) ? 'test-data/oid missing' : '';
const offline = { OIDSTREAM_OFFLINE: '1' }; // no probing for the hosted MobileNet: same model choice on both sides

/** Every output a later step reads, in file order (binary as hex), to compare two runs exactly. */
async function outputs(out: string) {
  const hex = (rows: Record<string, unknown>[]) => rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v])));
  return {
    boxes: hex(await readAll(path.join(out, 'boxes.parquet'))),
    chips: hex(await readAll(path.join(out, 'chips.parquet'))),
    predictions: existsSync(path.join(out, 'predictions.parquet')) ? hex(await readAll(path.join(out, 'predictions.parquet'))) : null,
    errors: readFileSync(path.join(out, 'errors.jsonl'), 'utf8').split('\n').filter(Boolean).sort(),
  };
}

describe.skipIf(needs(reason, !reason))(`sharded runs equal a single-machine \`oidstream run\` on test-data/oid${reason ? ` (skipped: ${reason})` : ''}`, () => {
  let redis: LocalRedis;
  let tmp: string;
  let single: Awaited<ReturnType<typeof outputs>>;
  const workers: WorkerProc[] = [];
  const model = withModel ? ['--model', `mobilenet=${mobilenet}`] : [];

  beforeAll(async () => {
    redis = await startLocalRedis();
    tmp = await mkdtemp(path.join(os.tmpdir(), 'oidstream-scale-run-'));
    const r = await cli(['run', '--data', data, '--out', path.join(tmp, 'single'), ...model], offline);
    expect(r.code, r.stderr).toBe(0);
    single = await outputs(path.join(tmp, 'single'));
    expect(single.chips.length).toBeGreaterThan(10);
  });
  afterEach(() => {
    for (const w of workers.splice(0)) w.kill9();
  });
  afterAll(async () => {
    await redis?.dispose();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it(`enqueue --data + two workers + merge${withModel ? ' (with the real MobileNet α=0.75)' : ' (chips only: ../shared/models absent)'}`, async () => {
    const out = path.join(tmp, 'redis');
    const r = await cli(['enqueue', '--data', data, '--out', out, '--redis', redis.url, '--shards', '3', '--json', ...model], offline);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ shards: 3, added: 3, models: withModel ? [`mobilenet=${mobilenet}`] : [] });
    for (let i = 0; i < 2; i++) workers.push(new WorkerProc(['--redis', redis.url, '--exit-when-idle', '500']));
    expect(await Promise.all(workers.map((w) => w.exited)), workers.map((w) => w.stderr).join('\n')).toEqual([0, 0]);
    const m = await cli(['merge', '--out', out]);
    expect(m.code, m.stderr).toBe(0);
    const dist = await outputs(out);
    expect(dist.chips.length).toBe(single.chips.length);
    // same rows in the same order (shards are contiguous slices of the single run's image order)
    expect(dist).toEqual(single);
    if (withModel) expect(dist.predictions?.length).toBe(single.chips.length);
  });

  it('`oidstream run --shard i/3`: three processes at once, then `oidstream merge`', async () => {
    const out = path.join(tmp, 'cli-shards');
    const runs = await Promise.all([0, 1, 2].map((i) => cli(['run', '--data', data, '--out', out, '--shard', `${i}/3`, '--json'], offline)));
    for (const r of runs) expect(r.code, r.stderr).toBe(0);
    expect(runs.map((r) => JSON.parse(r.stdout).result.shard).sort()).toEqual(['00000', '00001', '00002']);
    const m = await cli(['merge', '--out', out, '--json']);
    expect(m.code, m.stderr).toBe(0);
    const dist = await outputs(out);
    expect({ ...dist, predictions: null }).toEqual({ ...single, predictions: null });
  });

  it('stateless shard mode: runShard i/3 for each i, in any order, then merge', async () => {
    const out = path.join(tmp, 'static');
    const o = { data, out, chipFiles: true, probeNetwork: false };
    const results = [];
    for (const index of [2, 0]) results.push(await runShard(o, { index, count: 3 }));
    // one index still missing: status says which, merge refuses
    const st = await runStatus(out);
    expect(st.counts).toMatchObject({ done: 2, waiting: 1 });
    expect(st.shards.find((s) => s.state !== 'done')?.id).toBe('00001');
    await expect(mergeParts(out)).rejects.toMatchObject({ code: 'PARTS_MISSING', message: expect.stringContaining('00001') });
    results.push(await runShard(o, { index: 1, count: 3 }));
    expect(results.map((r) => r.reused)).toEqual([false, false, false]);
    // an index run again (a batch scheduler retrying it) keeps its finished part
    expect((await runShard(o, { index: 1, count: 3 })).reused).toBe(true);
    const merged = await mergeParts(out);
    expect(merged.parts.map((p) => p.id)).toEqual(['00000', '00001', '00002']);
    const dist = await outputs(out);
    expect({ ...dist, predictions: null }).toEqual({ ...single, predictions: null });
  });
});
