import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readdir, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import sharp from 'sharp';
import writeFileAtomic from 'write-file-atomic';
import { parquetInfo, readParquetRows } from '@oidstream/parquet-io';
import { BIG_CATS } from '@oidstream/oid-labels';
import { cpuTimes, median, perSecond, rate, stealPct, type BenchMeasure, type BenchRow } from './bench-measure.js';
import { COMMAND_NAMES } from '@oidstream/pipeline';
import { annotationFiles, duckdbCommandScript, duckdbSelectSql, pilCrop, pythonHas, pytorchBaseline, torchPredict, torchResnet50Batch1 } from './bench-peers.js';
import { formatRatios, issue11Ratios, spread, type BenchRatio } from './bench-ratios.js';
import type { BenchTask } from './bench-tasks.js';
import { BenchError } from './errors.js';

export { benchChild } from './bench-tasks.js';

const exec = promisify(execFile);
const BIN = oidstreamBin();
const PEER_IMAGES = 256;
/** Images of the ResNet50 batch-1 loop (one call each), ours and PyTorch's. */
const RESNET_IMAGES = 32;

/** The `oidstream` CLI of the installed @oidstream/pipeline (its package.json `bin`), run with this node. */
function oidstreamBin(): string {
  const pkgJson = createRequire(import.meta.url).resolve('@oidstream/pipeline/package.json');
  const { bin } = JSON.parse(readFileSync(pkgJson, 'utf8')) as { bin: { oidstream: string } };
  return path.resolve(path.dirname(pkgJson), bin.oidstream);
}

type Measured = BenchMeasure & { maxRssKb?: number; wallMs: number };

/** Run a task in `node <cli> bench --child <json>` and read its one-line JSON answer; the wall time is the parent's. */
async function inChild(task: BenchTask): Promise<Measured> {
  const t0 = performance.now();
  const { stdout } = await exec(process.execPath, [BIN, 'bench', '--child', JSON.stringify(task)], { timeout: 3_600_000, maxBuffer: 64 << 20 });
  return { ...(JSON.parse(stdout.trim().split('\n').pop()!) as BenchMeasure & { maxRssKb: number }), wallMs: performance.now() - t0 };
}

/** A whole command's wall time (process start included): nothing measured inside. */
async function wall(cmd: string, args: string[], units: number, unit: string): Promise<Measured> {
  const t0 = performance.now();
  await exec(cmd, args, { timeout: 3_600_000, maxBuffer: 64 << 20 });
  const ms = performance.now() - t0;
  return { units, unit, ms, wallMs: ms };
}

export interface BenchOptions {
  /** Images at the small scale; the large scale is 4×. Default 200. */
  scale?: number;
  /** Generate data at exactly these scales instead (e.g. [400, 4000] for issue 11's RSS check); overrides `scale`. */
  scales?: number[];
  /** Only these stages (help, resnet50, select, pack, chips, classify, run, report); chips and later need pack's output. Default all. */
  stages?: string[];
  /** Runs per figure; each figure is their median. Default 3. */
  reps?: number;
  /** Model for classify (default ../shared/models/mobilenet_v1_0.75_224 when present; else classify is not measured). */
  model?: string;
  /** Re-encode the generated images at OID's usual size (long side 1024, JPEG q90). Default true. */
  realSize?: boolean;
  /** Real photos (a folder of .jpg, e.g. ../shared/oid-real/images) that replace the generator's images, cycled. */
  photos?: string;
  /** Measure on this OID data dir (annotations/, images/) at one scale instead of generated data at two. */
  data?: string;
  /** Where the generated data and outputs go; kept when given. Default a temp dir, removed at the end. */
  workDir?: string;
  /** Write the result as JSON here (atomically). */
  jsonFile?: string;
  log?: (line: string) => void;
}

export interface BenchResult {
  date: string;
  machine: { cpus: number; model: string; memGb: number; node: string; platform: string };
  reps: number;
  rows: BenchRow[];
  ratios: Record<number, BenchRatio[]>;
  slowest: string;
}

export const BENCH_STAGES = ['help', 'resnet50', 'select', 'pack', 'chips', 'classify', 'run', 'report'];

/** A kept work dir already holds this scale's data (with --stages, so that one stage is measured again on the same data). */
async function generated(data: string, images: number): Promise<boolean> {
  const files = await readdir(path.join(data, 'images')).catch(() => [] as string[]);
  return files.filter((f) => f.endsWith('.jpg')).length === images;
}

/** ../shared beside the repository (this file is in packages/bench/{src,dist}), or beside the working directory. */
function defaultModel(): string | undefined {
  const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
  const candidates = [process.env.OIDSTREAM_SHARED, path.resolve(repo, '../shared'), path.resolve(process.cwd(), '../shared')];
  return candidates.map((s) => s && path.join(s, 'models', 'mobilenet_v1_0.75_224')).find((d): d is string => !!d && existsSync(path.join(d, 'model.json')));
}

/** Data for one scale, made by the repo's own generator (tools/gen-oid), optionally at real-photo size or with real photos. */
async function generate(out: string, images: number, realSize: boolean, photos?: string[]): Promise<void> {
  let gen: typeof import('@oidstream/tools');
  try {
    gen = await import('@oidstream/tools');
  } catch {
    throw new BenchError('BAD_OPTION', 'bench generates its data with @oidstream/tools (the repo\'s gen-oid): run it from the oidstream repository');
  }
  await gen.generateOid({ out, images, force: true });
  if (!realSize && !photos) return;
  const dir = path.join(out, 'images');
  const files = (await readdir(dir)).filter((f) => f.endsWith('.jpg')).sort();
  let next = 0;
  const worker = async () => {
    while (next < files.length) {
      const i = next++;
      const file = path.join(dir, files[i]);
      if (photos) await copyFile(photos[i % photos.length], `${file}.tmp`);
      else await writeFile(`${file}.tmp`, await sharp(file).resize(1024, 1024, { fit: 'inside' }).jpeg({ quality: 90 }).toBuffer());
      await rename(`${file}.tmp`, file);
    }
  };
  await Promise.all(Array.from({ length: 4 }, worker));
}

/** The photos of `dir` (sorted), re-encoded once into `cache` at long side 1024, q90 (with `realSize`). */
async function photoSources(dir: string, cache: string, realSize: boolean): Promise<string[]> {
  const names = (await readdir(dir).catch(() => [] as string[])).filter((f) => /\.jpe?g$/i.test(f)).sort();
  if (names.length === 0) throw new BenchError('BAD_OPTION', `--photos ${dir} holds no .jpg photos`);
  if (!realSize) return names.map((f) => path.join(dir, f));
  await mkdir(cache, { recursive: true });
  for (const f of names) await sharp(path.join(dir, f)).resize(1024, 1024, { fit: 'inside' }).jpeg({ quality: 90 }).toFile(path.join(cache, f));
  return names.map((f) => path.join(cache, f));
}

async function boxesCsv(out: string): Promise<string> {
  const file = path.join(out, 'boxes.csv');
  const lines = ['ImageID,XMin,XMax,YMin,YMax'];
  for await (const r of readParquetRows(path.join(out, 'boxes.parquet'), { columns: ['ImageID', 'XMin', 'XMax', 'YMin', 'YMax'] })) {
    lines.push([r.ImageID, r.XMin, r.XMax, r.YMin, r.YMax].join(','));
  }
  await writeFile(file, lines.join('\n') + '\n');
  return file;
}

interface Planned {
  scale: number;
  stage: string;
  who: string;
  measure: () => Promise<Measured>;
  reps: number;
  runs: (Measured & { load: number; steal?: number })[];
}

class Recorder {
  readonly rows: BenchRow[] = [];
  private planned: Planned[] = [];
  constructor(private readonly reps: number, private readonly log: (l: string) => void) {}

  /** Queues a figure: `measure` runs `reps` times when `flush` is called, and the median-rate run is recorded. */
  plan(scale: number, stage: string, who: string, measure: () => Promise<Measured>, reps = this.reps): void {
    this.planned.push({ scale, stage, who, measure, reps, runs: [] });
  }

  /**
   * Runs the queued figures in rounds, one run of each per round (load average noted before each), so that a machine
   * that slows down for a while (a shared host) slows ours and the peers alike; then records them in queue order.
   */
  async flush(): Promise<BenchRow[]> {
    const todo = this.planned;
    this.planned = [];
    while (todo.some((p) => p.runs.length < p.reps)) {
      for (const p of todo) {
        if (p.runs.length >= p.reps) continue;
        const [load, before] = [os.loadavg()[0], cpuTimes()];
        p.runs.push({ ...(await p.measure()), load, steal: stealPct(before, cpuTimes()) });
      }
    }
    return todo.map((p) => this.record(p));
  }

  /** One figure, measured now. */
  async add(scale: number, stage: string, who: string, measure: () => Promise<Measured>, reps = this.reps): Promise<BenchRow> {
    this.plan(scale, stage, who, measure, reps);
    return (await this.flush())[0];
  }

  private record({ scale, stage, who, runs, reps }: Planned): BenchRow {
    const rates = runs.map((m) => perSecond(m));
    const mid = runs[rates.indexOf([...rates].sort((a, b) => a - b)[Math.floor((rates.length - 1) / 2)])];
    const rss = runs.filter((m) => m.maxRssKb !== undefined).map((m) => m.maxRssKb! / 1024);
    const { load: _load, maxRssKb: _rss, steal: _steal, ...m } = mid;
    const steal = runs.map((r) => r.steal).filter((x): x is number => x !== undefined);
    const row: BenchRow = {
      scale, stage, who, ...m, units: mid.units, ms: mid.ms, runs: reps, rates, loadAvg: runs.map((r) => r.load), wallMs: median(runs.map((r) => r.wallMs)),
      ...(rss.length ? { maxRssMb: median(rss) } : {}),
      ...(steal.length ? { stealPct: steal } : {}),
    };
    this.rows.push(row);
    const load = row.loadMs !== undefined ? `load ${(row.loadMs / 1000).toFixed(2)} s` : '';
    const peak = row.maxRssMb !== undefined ? `peak RSS ${row.maxRssMb.toFixed(0)} MB` : '';
    this.log(`  ${stage.padEnd(11)} ${who.padEnd(26)} ${rate(row).padEnd(26)} ${(row.ms / 1000).toFixed(2).padStart(7)} s  ${load.padEnd(14)} ${peak.padEnd(17)} ${row.units} ${row.unit} ${spread(rates)}${steal.some((x) => x >= 5) ? ` [steal ${steal.join('/')} %]` : ''}${row.note ? ` — ${row.note}` : ''}`);
    return row;
  }

  skip(scale: number, stage: string, who: string, why: string): void {
    this.rows.push({ scale, stage, who, units: 0, unit: '', ms: 0, skipped: why });
    this.log(`  ${stage.padEnd(11)} ${who.padEnd(26)} skipped: ${why}`);
  }
}

/** select: ours and DuckDB, in process (load apart) and as whole commands; both write the joined rows, counts compared. */
async function benchSelect(rec: Recorder, scale: number, data: string, out: string, log: (l: string) => void): Promise<void> {
  const ours = await rec.add(scale, 'select', 'oidstream', () => inChild({ kind: 'select', data, out }));
  const duck = await rec.add(scale, 'select', 'DuckDB read_csv', () => inChild({ kind: 'duckdb', data, out }));
  log(`  select   rows written: oidstream ${ours.outputRows}, DuckDB ${duck.outputRows}${ours.outputRows === duck.outputRows ? ' (equal)' : ' — DIFFERENT'}`);
  const { labels, boxes } = await annotationFiles(data);
  const sql = duckdbSelectSql(data, labels, boxes, BIG_CATS.map((c) => c.LabelName), 0.99, path.join(out, 'duckdb-cmd.parquet'));
  const n = ours.outputRows ?? 0;
  await rec.add(scale, 'select', 'oidstream command', () => wall(process.execPath, [BIN, 'select', '--data', data, '--out', path.join(out, 'select-cmd')], n, 'boxes'));
  await rec.add(scale, 'select', 'DuckDB command', () => wall(process.execPath, ['--input-type=module', '-e', duckdbCommandScript(sql)], n, 'boxes'));
}

/**
 * A new folder under `parent` for one run's outputs, as a user's first run writes into; the parents are removed when
 * every scale is done. Emptying one folder between runs instead made each run pay for the last one's deletions: ext4
 * without a journal skips inodes freed in the last 60 s when it allocates (recently_deleted: 22 % of the chips stage's
 * main thread in perf), so the deletions also wait until no scale's rounds follow; and replacing files flushes them at
 * once (auto_da_alloc).
 */
async function freshDir(parent: string, prefix: string): Promise<string> {
  await mkdir(parent, { recursive: true });
  return mkdtemp(path.join(parent, `${prefix}-`));
}

async function benchChips(rec: Recorder, scale: number, data: string, out: string, hasPil: boolean): Promise<void> {
  rec.plan(scale, 'chips', 'oidstream', async () => inChild({ kind: 'chips', out, to: await freshDir(path.join(out, 'fresh'), 'chips') }));
  // the PIL peer keeps its chips in memory: this is our like-for-like figure (chips.parquet, no chips/ folder)
  rec.plan(scale, 'chips', 'oidstream, no chip files', () => inChild({ kind: 'chips', out, chipFiles: false }));
  rec.plan(scale, 'chips', 'bare sharp loop', () => inChild({ kind: 'sharp-loop', data, out }));
  if (!hasPil) return rec.skip(scale, 'chips', 'PIL', 'no PIL in /usr/bin/python3 (apt-get install python3-pil)');
  const csv = await boxesCsv(out);
  for (const procs of [1, 2]) {
    rec.plan(scale, 'chips', procs === 1 ? 'PIL 1 process' : 'PIL pool of 2', async () => {
      const t0 = performance.now();
      const r = await pilCrop(csv, path.join(data, 'images'), procs);
      return { ...r, wallMs: performance.now() - t0 };
    });
  }
}

async function benchClassify(rec: Recorder, scale: number, out: string, model: string, hasTorch: boolean): Promise<void> {
  rec.plan(scale, 'classify', 'oidstream', () => inChild({ kind: 'classify', out, model }));
  // Peers measure a per-image rate: a sample of at most PEER_IMAGES images is enough (chips.parquet is made in round 1).
  const sample = async () => Math.min((await parquetInfo(path.join(out, 'chips.parquet'))).rows, PEER_IMAGES);
  rec.plan(scale, 'classify', 'bare predict loop', async () => inChild({ kind: 'predict-loop', out, model, images: await sample() }));
  if (!hasTorch) return rec.skip(scale, 'classify', 'PyTorch', 'no torch/torchvision in /usr/bin/python3 (apt-get install python3-torch python3-torchvision)');
  if (!pytorchBaseline()) return rec.skip(scale, 'classify', 'PyTorch', 'packages/keras-models/bench/pytorch_baseline.py not found');
  rec.plan(scale, 'classify', 'PyTorch', async () => {
    const t0 = performance.now();
    const r = await torchPredict(await sample(), os.availableParallelism());
    return { ...r, wallMs: performance.now() - t0 };
  });
}

/** `oidstream --help` and every `oidstream <command> --help`, whole processes. */
async function benchHelp(rec: Recorder): Promise<void> {
  for (const name of ['', ...COMMAND_NAMES]) {
    const args = name ? [name, '--help'] : ['--help'];
    await rec.add(0, 'help', `oidstream ${args.join(' ')}`, () => wall(process.execPath, [BIN, ...args], 1, 'runs'));
  }
}

/** ResNet50 at batch 1: our ONNX runner and PyTorch jit.freeze, the same threads (all cores), scale-free. */
async function benchResnet(rec: Recorder, hasTorchvision: boolean): Promise<void> {
  const threads = os.availableParallelism();
  await rec.add(0, 'resnet50-b1', 'oidstream onnx', () => inChild({ kind: 'resnet50-b1', images: RESNET_IMAGES, threads }));
  if (!hasTorchvision) return rec.skip(0, 'resnet50-b1', 'PyTorch jit.freeze', 'no torch/torchvision in /usr/bin/python3 (apt-get install python3-torch python3-torchvision)');
  await rec.add(0, 'resnet50-b1', 'PyTorch jit.freeze', async () => {
    const t0 = performance.now();
    const r = await torchResnet50Batch1(RESNET_IMAGES, threads);
    return { ...r, wallMs: performance.now() - t0 };
  });
}

/** `oidstream bench`: every stage and its peers at two scales, each run in its own process, medians of `reps` runs. */
export async function runBench(options: BenchOptions = {}): Promise<BenchResult> {
  const small = options.scale ?? 200;
  if (options.scales && (options.scales.length === 0 || !options.scales.every((s) => Number.isInteger(s) && s > 0))) {
    throw new BenchError('BAD_OPTION', `scales must be positive whole numbers of images, got ${JSON.stringify(options.scales)}`);
  }
  const reps = options.reps ?? 3;
  const log = options.log ?? ((l: string) => process.stderr.write(l + '\n'));
  const model = options.model ?? defaultModel();
  const work = options.workDir ?? path.join(os.tmpdir(), `oidstream-bench-${process.pid}`);
  const [hasPil, hasTorch, hasTorchvision] = [await pythonHas('PIL'), await pythonHas('torch'), await pythonHas('torchvision')];
  const rec = new Recorder(reps, log);
  const stages = new Set(options.stages ?? BENCH_STAGES);
  for (const st of stages) if (!BENCH_STAGES.includes(st)) throw new BenchError('BAD_OPTION', `unknown stage ${st}: stages are ${BENCH_STAGES.join(', ')}`);
  const want = (st: string) => stages.has(st);
  const ratios: Record<number, BenchRatio[]> = {};
  let scales: number[] = [];
  const freshParents: string[] = []; // freshDir's, removed after the last scale
  try {
    if (want('help')) await benchHelp(rec);
    if (want('resnet50')) await benchResnet(rec, hasTorchvision);
    // real photos are re-encoded once for every scale
    const photos = options.photos && !options.data ? await photoSources(options.photos, path.join(work, 'photos'), options.realSize !== false) : undefined;
    scales = options.data ? [(await readdir(path.join(options.data, 'images'))).filter((f) => f.endsWith('.jpg')).length] : options.scales ?? [small, small * 4];
    for (const scale of scales) {
      const data = options.data ?? path.join(work, `data-${scale}`);
      const out = path.join(work, `out-${scale}`);
      await mkdir(out, { recursive: true });
      if (!options.data && !(options.stages && (await generated(data, scale)))) {
        log(`generating ${scale} images${options.photos ? ` (photos of ${options.photos}, cycled)` : ''}${options.realSize === false ? '' : ' (at long side 1024, q90)'} …`);
        await generate(data, scale, options.realSize !== false, photos);
      }
      log(`scale ${scale} images (median of ${reps} runs, chips/classify/run and their peers taken in turns; load average before each run in the JSON):`);
      if (want('select')) await benchSelect(rec, scale, data, out, log);
      if (want('pack')) await rec.add(scale, 'pack', 'oidstream', () => inChild({ kind: 'pack', data, out }), 1);
      if (want('chips')) await benchChips(rec, scale, data, out, hasPil);
      if (want('classify') && model) await benchClassify(rec, scale, out, model, hasTorch);
      else if (want('classify')) rec.skip(scale, 'classify', 'oidstream', 'no model (pass --model or provide ../shared/models)');
      // a first run's new OUT (see freshDir)
      const runs = path.join(work, `runs-${scale}`);
      if (want('run')) rec.plan(scale, 'run', 'oidstream', async () => inChild({ kind: 'run', data, out: await freshDir(runs, 'run'), ...(model ? { model } : {}) }));
      await rec.flush(); // chips, classify and run with their peers, in rounds
      freshParents.push(path.join(out, 'fresh'), runs);
      if (want('report')) await rec.add(scale, 'report', 'oidstream', () => inChild({ kind: 'report', out }), 1);
      ratios[scale] = issue11Ratios(rec.rows, scale, scales[0]);
      log(`ratios at ${scale} images (ours ÷ peer):`);
      for (const l of formatRatios(ratios[scale])) log(l);
    }
  } finally {
    await Promise.all(freshParents.map((d) => rm(d, { recursive: true, force: true })));
    if (!options.workDir) await rm(work, { recursive: true, force: true });
  }
  const big = scales[scales.length - 1];
  const ours = rec.rows.filter((r) => r.scale === big && r.who === 'oidstream' && !r.skipped && r.stage !== 'run');
  const slowest = [...ours].sort((a, b) => b.ms - a.ms)[0];
  const line = slowest ? `${slowest.stage} (${(slowest.ms / 1000).toFixed(1)} s at ${big} images)` : 'none';
  log(`slowest stage: ${line}`);
  const cpus = os.cpus();
  const result: BenchResult = {
    date: new Date().toISOString(),
    machine: { cpus: os.availableParallelism(), model: cpus[0]?.model ?? 'unknown', memGb: Math.round(os.totalmem() / 2 ** 30), node: process.version, platform: `${process.platform}-${process.arch}` },
    reps, rows: rec.rows, ratios, slowest: line,
  };
  if (options.jsonFile) await writeFileAtomic(options.jsonFile, JSON.stringify(result, null, 2) + '\n');
  return result;
}
