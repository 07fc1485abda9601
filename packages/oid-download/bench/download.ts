/**
 * Benchmark (not a test): `oidstream download` against a local HTTP server on 127.0.0.1.
 * Run from packages/pipeline: `npx tsx bench/download.ts [--sizes 1000,10000] [--concurrency 8] [--delay-ms 0]`.
 * The server serves a pool of distinct JPEGs under N ImageIDs (S3 layout); each download runs in a child process
 * whose peak RSS (VmHWM) is reported, so memory can be compared across sizes (it should stay flat).
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startFaultServer } from '../test/fault-server.js';
import { fakeImageId, makeJpegs } from '../test/make-images.js';

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '1000,10000' },
    concurrency: { type: 'string', default: '8' },
    'delay-ms': { type: 'string', default: '0' },
    pool: { type: 'string', default: '48' },
  },
});
const sizes = values.sizes!.split(',').map(Number);
const pkgDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

// A pool of realistic photos-sized JPEGs (OID's S3 copies are ~1024 px on the long side, 100-400 KB).
const pool: Uint8Array[] = [];
const poolSize = Number(values.pool);
for (let i = 0; i < poolSize; i++) {
  const w = 640 + ((i * 97) % 5) * 96; // 640 … 1024
  const h = Math.round((w * 3) / 4);
  pool.push([...(await makeJpegs(1, { width: w, height: h, noise: true, seed: `bench-${i}` })).values()][0]);
}
const poolMean = pool.reduce((n, b) => n + b.byteLength, 0) / pool.length;
const maxN = Math.max(...sizes);
const ids = Array.from({ length: maxN }, (_, i) => fakeImageId(`bench-id-${i}`));
// Every image unique (as real photos are): the pool image plus its ImageID after the JPEG end marker (decoders ignore
// trailing bytes), made per request so the server does not hold N images.
const index = new Map(ids.map((id, i) => [`/train/${id}.jpg`, i]));
const files = {
  get(urlPath: string): Uint8Array | undefined {
    const i = index.get(urlPath);
    if (i === undefined) return undefined;
    const base = pool[i % pool.length];
    const out = new Uint8Array(base.byteLength + 16);
    out.set(base);
    out.set(new TextEncoder().encode(ids[i]), base.byteLength);
    return out;
  },
};
const server = await startFaultServer({ files, delayMs: Number(values['delay-ms']) || undefined });
const traces: string[] = [];
/** About ten evenly spaced [images done → RSS] points of a trace. */
function sampleTrace(trace: Array<[number, number]>): string {
  const step = Math.max(1, Math.floor(trace.length / 10));
  return trace.filter((_, i) => i % step === 0 || i === trace.length - 1).map(([k, mib]) => `${k}→${mib}`).join(', ');
}
const tmp = await mkdtemp(path.join(os.tmpdir(), 'oid-download-bench-'));

console.log(`node ${process.version}, ${os.cpus().length} cores, load average ${os.loadavg()[0].toFixed(1)} (shared machine: compare ratios); pool of ${pool.length} JPEGs, mean ${(poolMean / 1024).toFixed(0)} KiB; concurrency ${values.concurrency}; server delay ${values['delay-ms']} ms`);
console.log('| images | MiB | fetch s | images/s (fetch) | MiB/s | total s (incl. finish) | images/s (total) | peak RSS MiB |');
console.log('|---|---|---|---|---|---|---|---|');
try {
  for (const n of sizes) {
    const out = path.join(tmp, `n${n}`, 'images.parquet');
    const images = ids.slice(0, n).map((ImageID) => ({ ImageID, Subset: 'train' }));
    const optionsFile = path.join(tmp, `n${n}.json`);
    await writeFile(optionsFile, JSON.stringify({ images, out, baseUrl: server.baseUrl, concurrency: Number(values.concurrency) }));
    // Async spawn: the server lives in this process and must keep answering.
    const child = spawn(process.execPath, ['--conditions=@oidstream/source', '--import', 'tsx', path.join(pkgDir, 'bench', 'download-run.ts'), optionsFile], {
      cwd: pkgDir,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const status = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    if (status !== 0) throw new Error(`bench child failed: ${stderr}`);
    const r = JSON.parse(stdout.trim().split('\n').at(-1)!) as { summary: { fetched: number; bytes: number; failed: number }; totalMs: number; fetchMs: number; peakRss: number; rssTrace: Array<[number, number]> };
    if (r.summary.fetched !== n || r.summary.failed !== 0) throw new Error(`expected ${n} images, got ${JSON.stringify(r.summary)}`);
    const mib = r.summary.bytes / 2 ** 20;
    const fileMib = (await stat(out)).size / 2 ** 20;
    console.log(
      `| ${n} | ${mib.toFixed(0)} (file ${fileMib.toFixed(0)}) | ${(r.fetchMs / 1000).toFixed(1)} | ${((n * 1000) / r.fetchMs).toFixed(0)} | ${(mib / (r.fetchMs / 1000)).toFixed(0)} | ${(r.totalMs / 1000).toFixed(1)} | ${((n * 1000) / r.totalMs).toFixed(0)} | ${(r.peakRss / 2 ** 20).toFixed(0)} |`,
    );
    traces.push(`${n} images — RSS MiB after k images: ${sampleTrace(r.rssTrace)}`);
    await rm(path.dirname(out), { recursive: true, force: true });
  }
  for (const t of traces) console.log(t);
  console.log(`load average at the end: ${os.loadavg()[0].toFixed(1)}`);
} finally {
  await server.close();
  await rm(tmp, { recursive: true, force: true });
}
