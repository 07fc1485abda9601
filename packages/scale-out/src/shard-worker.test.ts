import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { needs } from '@oidstream/test-needs';
import { acquireOutputLock } from '@oidstream/parquet-io';
import { findRedisServer, startLocalRedis } from './redis-server.js';
import type { LocalRedis } from './redis-server.js';
import type { ShardJob, ShardResult } from './shard-job.js';
import { mergeParts } from './shard-merge.js';
import { shardId } from './shard-plan.js';
import { enqueueShards, openQueue, shardStates } from './shard-queue.js';
import { runWorker } from './shard-worker.js';
import type { ShardContext } from './shard-worker.js';

const reason = !findRedisServer() ? 'redis-server not installed (apt-get install -y redis-server)' : '';
const DIST = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'index.js');

function jobs(out: string, planId: string, n: number): ShardJob[] {
  return Array.from({ length: n }, (_, i) => ({
    version: 1, planId, out, boxes: path.join(out, 'boxes.parquet'), shard: { index: i, count: n, id: shardId(i) },
    segments: [{ path: `/images/part-${i}.parquet`, rowStart: i * 10, rowEnd: i * 10 + 10, imageIds: [] }], models: [], chipFiles: false,
  }) as unknown as ShardJob);
}

function result(job: ShardJob, ctx: ShardContext): ShardResult {
  return {
    shard: job.shard.id, planId: job.planId, images: 10, chips: job.shard.index, errors: 0, bytes: 0, part: '', worker: ctx.worker,
    attempt: ctx.attempt, finishedAt: new Date().toISOString(), ms: { models: 0, boxes: 0, read: 0, chips: 0, classify: 0, write: 0, total: 1 },
  };
}

describe.skipIf(needs(reason, !reason))(`workers run an injected per-shard processor against a real Redis${reason ? ` (skipped: ${reason})` : ''}`, () => {
  let redis: LocalRedis;
  let out: string;
  beforeAll(async () => {
    redis = await startLocalRedis();
    out = await mkdtemp(path.join(os.tmpdir(), 'oidstream-worker-'));
  });
  afterAll(async () => {
    await redis?.dispose();
    await rm(out, { recursive: true, force: true });
  });

  it('a function processor gets every shard once, with its job and context; results land in the queue', async () => {
    const queue = openQueue(redis.url, 'fn');
    const list = jobs(out, 'plan-fn', 4);
    expect(await enqueueShards(queue, list)).toEqual({ added: 4, retried: 0, kept: 0 });
    const seen: Array<[string, number]> = [];
    const done = await runWorker({
      url: redis.url, queue: 'fn', exitWhenIdle: true, idleMs: 300,
      processor: async (job, ctx) => {
        seen.push([job.shard.id, ctx.attempt]);
        expect(job.segments[0].rowStart).toBe(job.shard.index * 10);
        return result(job, ctx);
      },
    });
    expect(done).toEqual({ completed: 4, failed: 0 });
    expect(seen.map(([id]) => id).sort()).toEqual(['00000', '00001', '00002', '00003']);
    expect(seen.every(([, attempt]) => attempt === 1)).toBe(true);
    const states = await shardStates(queue, 'plan-fn', list.map((j) => j.shard.id));
    expect(states.map((s) => [s.state, s.result?.chips])).toEqual([['completed', 0], ['completed', 1], ['completed', 2], ['completed', 3]]);
    expect(states[0].result?.worker).toBe(`${os.hostname()}:${process.pid}`);
    await queue.close();
  });

  it('a failing shard is retried; PLAN_MISMATCH is never retried', async () => {
    const queue = openQueue(redis.url, 'fail');
    const list = jobs(out, 'plan-fail', 2);
    await enqueueShards(queue, list, { attempts: 3, backoffMs: 10 });
    const calls = new Map<string, number>();
    const done = await runWorker({
      url: redis.url, queue: 'fail', exitWhenIdle: true, idleMs: 500,
      processor: async (job, ctx) => {
        calls.set(job.shard.id, (calls.get(job.shard.id) ?? 0) + 1);
        if (job.shard.index === 0) throw Object.assign(new Error('plan replaced'), { code: 'PLAN_MISMATCH' });
        if (ctx.attempt < 2) throw new Error('transient');
        return result(job, ctx);
      },
    });
    expect(done).toEqual({ completed: 1, failed: 1 });
    expect(Object.fromEntries(calls)).toEqual({ '00000': 1, '00001': 2 });
    const states = await shardStates(queue, 'plan-fail', ['00000', '00001']);
    expect(states.map((s) => [s.state, s.attemptsMade])).toEqual([['failed', 1], ['completed', 2]]);
    expect(states[0].failedReason).toBe('plan replaced');
    await queue.close();
  });

  it.skipIf(needs('@oidstream/scale-out built (npx nx run @oidstream/scale-out:build)', existsSync(DIST)))('a processor module runs each shard in a forked child (BullMQ sandbox)', async () => {
    const module = path.join(out, 'processor.mjs');
    await writeFile(
      module,
      `import { sandboxedShardProcessor } from ${JSON.stringify(pathToFileURL(DIST).href)};\n` +
        `export default sandboxedShardProcessor(async (job, ctx) => ({ shard: job.shard.id, planId: job.planId, images: 1, chips: 1, errors: 0, bytes: 0, part: '', ` +
        `worker: ctx.worker + '/' + process.pid, attempt: ctx.attempt, finishedAt: '', ms: { models: 0, boxes: 0, read: 0, chips: 0, classify: 0, write: 0, total: 0 } }));\n`,
    );
    const queue = openQueue(redis.url, 'sandbox');
    await enqueueShards(queue, jobs(out, 'plan-sandbox', 2));
    const failures: string[] = [];
    const onEvent = (e: { event: string; reason?: string }) => void (e.event === 'failed' && failures.push(e.reason ?? ''));
    const done = await runWorker({ url: redis.url, queue: 'sandbox', exitWhenIdle: true, idleMs: 300, processor: module, onEvent });
    expect(failures).toEqual([]);
    expect(done).toEqual({ completed: 2, failed: 0 });
    const states = await shardStates(queue, 'plan-sandbox', ['00000', '00001']);
    for (const s of states) {
      const [worker, child] = s.result!.worker.split('/');
      expect(worker).toBe(`${os.hostname()}:${process.pid}`); // the parent is named, as status shows it
      expect(Number(child)).not.toBe(process.pid); // the work ran in a child process
    }
    await queue.close();
  });
});

describe('merge takes the run directory lock', () => {
  it('refuses at once while another live process holds OUT, naming it', async () => {
    const out = await mkdtemp(path.join(os.tmpdir(), 'oidstream-merge-lock-'));
    try {
      const held = await acquireOutputLock(path.join(out, '.oidstream.lock'), { command: 'run' });
      await expect(mergeParts(out)).rejects.toMatchObject({ code: 'LOCKED', message: expect.stringContaining(`run (pid ${process.pid}`) });
      await held.release();
      await expect(mergeParts(out)).rejects.toMatchObject({ code: 'NO_PLAN' }); // the lock is free: merge goes on to its checks
      expect(existsSync(path.join(out, '.oidstream.lock'))).toBe(false);
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });
});
