import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { createRunner, loadKerasModel } from '@oidstream/keras-models';
import { parquetInfo, readParquetRows } from '@oidstream/parquet-io';
import { BIG_CATS } from '@oidstream/oid-labels';
import { bareSharpLoop, duckdbScan, pilCrop, pythonHas, torchPredict, annotationFiles } from './bench-peers.js';
import { rate, type BenchMeasure, type BenchRow } from './bench-measure.js';
import { PipelineError } from './errors.js';
import { writeReport } from './report.js';
import { chipsStage } from './stages/chips.js';
import { classifyStage } from './stages/classify.js';
import { packStage } from './stages/pack.js';
import { selectStage } from './stages/select.js';

const exec = promisify(execFile);
const PEER_IMAGES = 256;

/** One measurement, run in a child process of its own so its peak RSS is its own. */
export type BenchTask =
  | { kind: 'select' | 'duckdb'; data: string; out: string }
  | { kind: 'pack'; data: string; out: string }
  | { kind: 'chips'; out: string }
  | { kind: 'sharp-loop'; data: string; out: string }
  | { kind: 'classify'; out: string; model: string }
  | { kind: 'predict-loop'; out: string; model: string; images: number }
  | { kind: 'report'; out: string };

/** Child side: do the task, return the measure. */
export async function runBenchTask(task: BenchTask): Promise<BenchMeasure> {
  const t0 = performance.now();
  const since = (units: number, unit: string, bytes?: number): BenchMeasure => ({ units, unit, ms: performance.now() - t0, ...(bytes ? { bytes } : {}) });
  switch (task.kind) {
    case 'select': {
      const { bytes } = await annotationFiles(task.data);
      const t = performance.now();
      const r = await selectStage({ data: task.data, out: task.out });
      return { units: r.boxes, unit: 'boxes', ms: performance.now() - t, bytes };
    }
    case 'duckdb':
      return duckdbScan(task.data, BIG_CATS.map((c) => c.LabelName), 0.99);
    case 'pack': {
      const r = await packStage({ images: path.join(task.data, 'images'), out: path.join(task.out, 'images.parquet') });
      return since(r.packed, 'images', r.bytes);
    }
    case 'chips': {
      const r = await chipsStage({ boxes: path.join(task.out, 'boxes.parquet'), images: path.join(task.out, 'images.parquet'), out: task.out });
      return since(r.chips, 'chips');
    }
    case 'sharp-loop':
      return bareSharpLoop(path.join(task.out, 'boxes.parquet'), path.join(task.data, 'images'));
    case 'classify': {
      const r = await classifyStage({ chips: path.join(task.out, 'chips.parquet'), models: [{ name: 'mobilenet', source: task.model }], out: task.out });
      return since(r.rows, 'chips');
    }
    case 'predict-loop': {
      // The bare loop: the same backend, preprocessed random batches of 16, no decode, no Parquet.
      const loaded = await loadKerasModel(task.model);
      const runner = await createRunner(loaded, {});
      const [h, w] = runner.inputSize;
      const batch = new Float32Array(16 * h * w * 3).map(() => Math.random() * 2 - 1);
      await runner.predict(batch, 16);
      const t = performance.now();
      for (let done = 0; done < task.images; done += 16) {
        const n = Math.min(16, task.images - done);
        await runner.predict(n === 16 ? batch : batch.subarray(0, n * h * w * 3), n);
      }
      const ms = performance.now() - t;
      await runner.dispose();
      return { units: task.images, unit: 'images', ms, note: `${runner.backend} backend, batch 16, random input` };
    }
    case 'report': {
      const r = await writeReport(task.out);
      return since(r.charts.length / 2, 'charts');
    }
  }
}

/** Parent side: run a task in `node <cli> bench --child <json>` and read its one-line JSON answer. */
async function inChild(task: BenchTask): Promise<BenchMeasure & { maxRssMb: number }> {
  const cli = process.argv[1];
  const { stdout } = await exec(process.execPath, [...process.execArgv, cli, 'bench', '--child', JSON.stringify(task)], { timeout: 3_600_000, maxBuffer: 16 << 20 });
  const line = stdout.trim().split('\n').pop()!;
  const r = JSON.parse(line) as BenchMeasure & { maxRssKb: number };
  return { ...r, maxRssMb: r.maxRssKb / 1024 };
}

export interface BenchOptions {
  /** Images at the small scale; the large scale is 4×. Default 200. */
  scale?: number;
  /** Model for classify (default ../shared/models/mobilenet_v1_0.75_224 when present; else classify is not measured). */
  model?: string;
  workDir?: string;
  log?: (line: string) => void;
}

function defaultModel(): string | undefined {
  const shared = process.env.OIDSTREAM_SHARED ?? path.resolve(process.cwd(), '../shared');
  const dir = path.join(shared, 'models', 'mobilenet_v1_0.75_224');
  return existsSync(path.join(dir, 'model.json')) ? dir : undefined;
}

/** Data for one scale, made by the repo's own generator (tools/gen-oid). */
async function generate(out: string, images: number): Promise<void> {
  let gen: typeof import('@oidstream/tools');
  try {
    gen = await import('@oidstream/tools');
  } catch {
    throw new PipelineError('BAD_OPTION', 'bench generates its data with @oidstream/tools (the repo\'s gen-oid): run it from the oidstream repository');
  }
  await gen.generateOid({ out, images, force: true });
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

/** `oidstream bench`: every stage and its peer at two scales, each in its own process (throughput + peak RSS). */
export async function runBench(options: BenchOptions = {}): Promise<{ rows: BenchRow[]; slowest: string }> {
  const small = options.scale ?? 200;
  const log = options.log ?? ((l: string) => process.stderr.write(l + '\n'));
  const model = options.model ?? defaultModel();
  const work = options.workDir ?? path.join(os.tmpdir(), `oidstream-bench-${process.pid}`);
  const hasPil = await pythonHas('PIL');
  const hasTorch = await pythonHas('torchvision');
  const rows: BenchRow[] = [];
  const add = (scale: number, stage: string, who: string, m: BenchMeasure & { maxRssMb?: number }) => {
    rows.push({ scale, stage, who, ...m });
    const rss = m.maxRssMb !== undefined ? `${m.maxRssMb.toFixed(0)} MB` : '—';
    log(`  ${stage.padEnd(8)} ${who.padEnd(22)} ${rate(m).padEnd(30)} ${(m.ms / 1000).toFixed(2).padStart(7)} s  peak RSS ${rss.padStart(7)}  ${m.units} ${m.unit}${m.note ? ` (${m.note})` : ''}`);
  };
  const skip = (scale: number, stage: string, who: string, why: string) => {
    rows.push({ scale, stage, who, units: 0, unit: '', ms: 0, skipped: why });
    log(`  ${stage.padEnd(8)} ${who.padEnd(22)} skipped: ${why}`);
  };
  try {
    for (const scale of [small, small * 4]) {
      const data = path.join(work, `data-${scale}`);
      const out = path.join(work, `out-${scale}`);
      await mkdir(out, { recursive: true });
      log(`generating ${scale} images …`);
      await generate(data, scale);
      log(`scale ${scale} images:`);
      add(scale, 'select', 'oidstream', await inChild({ kind: 'select', data, out }));
      add(scale, 'select', 'DuckDB read_csv', await inChild({ kind: 'duckdb', data, out }));
      add(scale, 'pack', 'oidstream', await inChild({ kind: 'pack', data, out }));
      add(scale, 'chips', 'oidstream', await inChild({ kind: 'chips', out }));
      add(scale, 'chips', 'bare sharp loop', await inChild({ kind: 'sharp-loop', data, out }));
      if (hasPil) {
        const r = await pilCrop(await boxesCsv(out), path.join(data, 'images'));
        add(scale, 'chips', 'Python PIL crop', { ...r, maxRssMb: r.maxRssKb / 1024 });
      } else skip(scale, 'chips', 'Python PIL crop', 'python3-pil not installed');
      if (model) {
        const chips = (await parquetInfo(path.join(out, 'chips.parquet'))).rows;
        add(scale, 'classify', 'oidstream', await inChild({ kind: 'classify', out, model }));
        // Peers measure a per-image rate: a sample of at most PEER_IMAGES images is enough (PyTorch runs ~4 img/s here).
        const sample = Math.min(chips, PEER_IMAGES);
        add(scale, 'classify', 'bare predict loop', await inChild({ kind: 'predict-loop', out, model, images: sample }));
        if (hasTorch) {
          const r = await torchPredict(sample, os.availableParallelism());
          add(scale, 'classify', 'PyTorch MobileNetV2', { ...r, unit: 'images', maxRssMb: r.maxRssKb / 1024, note: `random weights, ${os.availableParallelism()} threads, batch 16` });
        } else skip(scale, 'classify', 'PyTorch', 'python3-torch/torchvision not installed');
      } else skip(scale, 'classify', 'oidstream', 'no model (pass --model or provide ../shared/models)');
      add(scale, 'report', 'oidstream', await inChild({ kind: 'report', out }));
    }
  } finally {
    if (!options.workDir) await rm(work, { recursive: true, force: true });
  }
  const big = small * 4;
  const ours = rows.filter((r) => r.scale === big && r.who === 'oidstream' && !r.skipped);
  const slowest = ours.sort((a, b) => b.ms - a.ms)[0];
  const total = ours.reduce((s, r) => s + r.ms, 0);
  const line = slowest ? `${slowest.stage} (${(slowest.ms / 1000).toFixed(1)} s of ${(total / 1000).toFixed(1)} s at ${big} images)` : 'none';
  log(`slowest stage: ${line}`);
  return { rows, slowest: line };
}

/** Child entry: `oidstream bench --child <task json>` prints `{…measure, maxRssKb}`. */
export async function benchChild(taskJson: string): Promise<void> {
  const m = await runBenchTask(JSON.parse(taskJson) as BenchTask);
  process.stdout.write(JSON.stringify({ ...m, maxRssKb: process.resourceUsage().maxRSS }) + '\n');
}
