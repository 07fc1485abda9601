/**
 * Benchmark (not a test): distributed runs on this machine with 1 and 2 `oidstream worker`s, and the per-shard
 * overhead. Run from packages/pipeline after a build: `npx tsx bench/scale-out.ts [--images 400] [--model]`.
 *
 * Data: a generated OID data dir (tools/gen-oid) packed into images.parquet. For each configuration the run is
 * enqueued afresh and k worker processes are started; throughput is measured from the first shard start to the last
 * shard finish (BullMQ's own timestamps, so worker process start-up is left out) and, separately, as the wall time
 * of the whole worker processes. Per-shard overhead = extra time per extra shard when the same images are cut into
 * many small shards instead of a few big ones (queue round trip, job hand-over to the sandbox child, part + marker
 * writes, boxes lookup), measured with one worker.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { enqueueShards, mergeParts, openQueue, runStatus, startLocalRedis } from '@oidstream/scale-out';
import { generateOid } from '@oidstream/tools';
import { packImages } from '@oidstream/parquet-io';
import { setupShardedRun } from '../src/shard-setup.js';

const { values } = parseArgs({
  options: {
    images: { type: 'string', default: '400' },
    model: { type: 'boolean', default: false },
    'big-shard': { type: 'string', default: '50' },
    'small-shard': { type: 'string', default: '2' },
    /** inference threads per worker child (default: all cores); 1 shows how workers add up when each has a core */
    threads: { type: 'string' },
  },
});
const pkg = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bin = path.join(pkg, 'bin', 'oidstream.js');
const shared = process.env.OIDSTREAM_SHARED ?? path.resolve(pkg, '../../../shared');
const mobilenet = path.join(shared, 'models', 'mobilenet_v1_0.75_224');
const models = values.model ? [`mobilenet=${mobilenet}`] : [];
if (values.model && !existsSync(path.join(mobilenet, 'model.json'))) throw new Error(`--model needs ${mobilenet}`);

function runWorkers(url: string, k: number): Promise<number> {
  const t0 = performance.now();
  return Promise.all(
    Array.from({ length: k }, () => new Promise<void>((resolve, reject) => {
      const child = spawn(process.execPath, [bin, 'worker', '--redis', url, '--exit-when-idle', '300'], { stdio: ['ignore', 'ignore', 'ignore'] });
      child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`worker exited ${code}`))));
    })),
  ).then(() => performance.now() - t0);
}

const tmp = await mkdtemp(path.join(os.tmpdir(), 'oidstream-bench-scale-'));
const redis = await startLocalRedis();
try {
  const data = path.join(tmp, 'data');
  const gen = await generateOid({ out: data, images: Number(values.images) });
  // images.parquet in the data dir: the shards are row ranges of it (the usual layout at scale)
  await packImages({ imagesDir: path.join(data, 'images'), out: path.join(data, 'images.parquet'), write: { rowGroupRows: 64 } });
  await rm(path.join(data, 'images'), { recursive: true });
  process.stderr.write(`data: ${gen.images} generated images, ${gen.boxRows} box rows; models: ${models.join(', ') || 'none (chips only)'}; threads per worker: ${values.threads ?? 'all cores'}\n`);

  const results: Array<Record<string, unknown>> = [];
  async function measure(name: string, workers: number, imagesPerShard: number) {
    const out = path.join(tmp, name);
    const planned = await setupShardedRun({ data, out, models, probeNetwork: false, threads: values.threads ? Number(values.threads) : undefined }, { mode: 'redis', selectOut: out, imagesPerShard, queue: 'oidstream' });
    const q = openQueue(redis.url);
    await enqueueShards(q, planned.jobs);
    const wallMs = await runWorkers(redis.url, workers);
    const st = await runStatus(out, q);
    await q.close();
    if (st.counts.done !== st.shards.length) throw new Error(`${name}: ${JSON.stringify(st.counts)}`);
    const merged = await mergeParts(out, { list: true });
    const busyMs = st.wallMs ?? wallMs;
    const r = {
      name, workers, shards: st.shards.length, images: st.images.total, chips: st.chips,
      queueWallS: +(busyMs / 1000).toFixed(2), processWallS: +(wallMs / 1000).toFixed(2),
      imagesPerS: +(st.images.total / (busyMs / 1000)).toFixed(1), chipsPerS: +(st.chips / (busyMs / 1000)).toFixed(1),
      shardMedianS: +(st.shardMs.median / 1000).toFixed(3), shardSumS: +(st.shardMs.sum / 1000).toFixed(2), parts: merged.parts.length,
    };
    results.push(r);
    process.stderr.write(JSON.stringify(r) + '\n');
    return r;
  }
  const big = Number(values['big-shard']);
  const small = Number(values['small-shard']);
  await measure('warm-up', 1, big); // page cache, first child start
  const one = await measure('1 worker', 1, big);
  const two = await measure('2 workers', 2, big);
  const many = await measure(`1 worker, ${small}-image shards`, 1, small);
  const perShardMs = ((many.queueWallS as number) - (one.queueWallS as number)) * 1000 / ((many.shards as number) - (one.shards as number));
  console.log('\nconfiguration                      shards  images   chips  wall(s)  images/s  chips/s  shard median(s)');
  for (const r of results.slice(1)) {
    console.log(`${String(r.name).padEnd(34)} ${String(r.shards).padStart(6)} ${String(r.images).padStart(7)} ${String(r.chips).padStart(7)} ${String(r.queueWallS).padStart(8)} ${String(r.imagesPerS).padStart(9)} ${String(r.chipsPerS).padStart(8)} ${String(r.shardMedianS).padStart(16)}`);
  }
  console.log(`\nspeed-up 2 workers vs 1: ${((one.queueWallS as number) / (two.queueWallS as number)).toFixed(2)}× (${os.availableParallelism()} cores)`);
  console.log(`per-shard overhead: ${perShardMs.toFixed(0)} ms (${many.shards} shards of ${small} images vs ${one.shards} of ${big}, 1 worker)`);
  console.log(`worker process start-up + idle exit (process wall − queue wall, 1 worker): ${((one.processWallS as number) - (one.queueWallS as number)).toFixed(2)} s`);
} finally {
  await redis.dispose();
  await rm(tmp, { recursive: true, force: true });
}
