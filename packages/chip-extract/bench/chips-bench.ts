/**
 * chips/s and peak RSS of `oidstream chips` vs a bare sharp loop vs the seed's PIL crop, at 1k and 10k images.
 * Run from the repo root:  npx tsx packages/chip-extract/bench/chips-bench.ts [1000,10000] [resize-px]
 * (resize-px, e.g. 1024: scale the photos to OID's usual download size first).
 * Not a test: prints a table, asserts nothing. Data is made in $TMPDIR/oidstream-chips-bench (kept for reruns).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { prepare } from './prepare.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '../../..');
const shared = process.env.OIDSTREAM_SHARED ?? path.resolve(repoRoot, '../shared');
const root = path.join(tmpdir(), 'oidstream-chips-bench');
const sizes = (process.argv[2] ?? '1000,10000').split(',').map(Number);
const resize = Number(process.argv[3] ?? 0);
const tsx = path.join(repoRoot, 'node_modules/.bin/tsx');

function python(): string | undefined {
  for (const p of ['/usr/bin/python3', 'python3']) {
    try {
      execFileSync(p, ['-c', 'import PIL'], { stdio: 'ignore' });
      return p;
    } catch {
      // try the next one
    }
  }
  return undefined;
}

/** Run a child under /usr/bin/time -v: its JSON line plus peak RSS (MB). */
function measure(cmd: string, args: string[], env: Record<string, string> = {}): { chips: number; seconds: number; rssMB: number; cpuSeconds: number } {
  const r = spawnSync('/usr/bin/time', ['-v', cmd, ...args], { encoding: 'utf8', env: { ...process.env, ...env }, maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed:\n${r.stderr.slice(-2000)}`);
  const line = r.stdout.trim().split('\n').pop()!;
  const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr);
  const user = /User time \(seconds\): ([\d.]+)/.exec(r.stderr);
  const sys = /System time \(seconds\): ([\d.]+)/.exec(r.stderr);
  const parsed = JSON.parse(line) as { chips: number; seconds: number };
  // CPU seconds (user + sys, whole process incl. startup) are steadier than wall time on a shared machine
  return { ...parsed, rssMB: rss ? Number(rss[1]) / 1024 : NaN, cpuSeconds: Number(user?.[1] ?? NaN) + Number(sys?.[1] ?? NaN) };
}

// run against the TypeScript sources of the workspace packages, not a possibly stale dist/
if (!(process.env.NODE_OPTIONS ?? '').includes('@oidstream/source')) {
  const r = spawnSync(tsx, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --conditions=@oidstream/source`.trim() },
  });
  process.exit(r.status ?? 1);
}

const py = python();
const os = await import('node:os');
console.log(`chips bench — ${new Date().toISOString()}, node ${process.versions.node}, cores: ${os.cpus().length}, load ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
const rows: string[] = [];
for (const n of sizes) {
  const data = await prepare(shared, root, n, resize);
  console.log(`\n${n} images${resize ? ` (photos scaled to ${resize} px)` : ''}, ${data.boxes} boxes${data.packSeconds ? `; pack took ${data.packSeconds.toFixed(1)} s (${(n / data.packSeconds).toFixed(0)} img/s)` : ''}`);
  const out = path.join(data.dir, 'out');
  if (existsSync(out)) rmSync(out, { recursive: true, force: true });
  const variants: Array<[string, () => { chips: number; seconds: number; rssMB: number; cpuSeconds: number }]> = [
    ['oidstream chips (parquet in/out + files)', () => measure(tsx, [path.join(here, 'variant-chips.ts'), data.boxesParquet, data.imagesParquet, out], { NODE_OPTIONS: '--conditions=@oidstream/source' })],
    ['bare sharp loop, 4 in flight', () => measure(tsx, [path.join(here, 'variant-sharp.ts'), data.imagesDir, data.boxesJson, '4'])],
    ['bare sharp loop, 1 in flight', () => measure(tsx, [path.join(here, 'variant-sharp.ts'), data.imagesDir, data.boxesJson, '1'])],
  ];
  if (py) {
    variants.push(['PIL crop (seed UDF), 1 process', () => measure(py, [path.join(here, 'pil_crop.py'), data.imagesDir, data.boxesJson, '1'])]);
    variants.push(['PIL crop (seed UDF), 2 processes', () => measure(py, [path.join(here, 'pil_crop.py'), data.imagesDir, data.boxesJson, '2'])]);
  } else {
    console.log('python3 with PIL not found: PIL rows skipped (apt-get install python3-pil)');
  }
  for (const [name, run] of variants) {
    const r = run();
    const line =
      `${String(n).padStart(6)} | ${name.padEnd(42)} | ${String(r.chips).padStart(6)} chips | ${(r.chips / r.seconds).toFixed(1).padStart(7)} chips/s | ` +
      `${((1000 * r.cpuSeconds) / r.chips).toFixed(1).padStart(6)} CPU ms/chip | peak RSS ${r.rssMB.toFixed(0).padStart(5)} MB`;
    console.log(line);
    rows.push(line);
  }
}
console.log('\nsummary\n' + rows.join('\n'));
