import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { createOnnxRunner, createRunner, loadKerasModel, resNet50 } from '@oidstream/keras-models';
import { BIG_CATS } from '@oidstream/oid-labels';
import { StageClock, type BenchMeasure } from './bench-measure.js';
import { annotationFiles, bareSharpLoop, duckdbSelect } from './bench-peers.js';
import { chipsStage, classifyStage, packStage, selectStage } from '@oidstream/pipeline';
import { writeReport } from '@oidstream/report';

/** One measurement, run in a child process of its own so that its peak RSS (and its load) is its own. */
export type BenchTask =
  | { kind: 'select' | 'duckdb'; data: string; out: string }
  | { kind: 'pack'; data: string; out: string }
  | { kind: 'chips'; out: string; chipFiles?: boolean; to?: string }
  | { kind: 'sharp-loop'; data: string; out: string }
  | { kind: 'classify'; out: string; model: string }
  | { kind: 'predict-loop'; out: string; model: string; images: number }
  | { kind: 'report'; out: string }
  | { kind: 'run'; data: string; out: string; model?: string }
  | { kind: 'resnet50-b1'; images: number; threads: number };

const BATCH = 16;

/**
 * The bare model loop: the same backend, threads and sessions as classify and run (two worker sessions of one
 * thread each here: 2–5 % faster than one two-thread session on the calling thread), a batch in flight per session,
 * preprocessed random batches of 16, no decode, no Parquet.
 */
async function predictLoop(model: string, images: number): Promise<BenchMeasure> {
  const t0 = performance.now();
  const loaded = await loadKerasModel(model);
  const runner = await createRunner(loaded);
  const [h, w] = runner.inputSize;
  const per = BATCH * h * w * 3;
  const batches = [0, 1].map(() => new Float32Array(per).map(() => Math.random() * 2 - 1));
  const lanes = (count: number) => {
    let next = 0;
    return Promise.all(batches.map(async (batch) => {
      for (let done = next; done < count; done = next) {
        const n = Math.min(BATCH, count - done);
        next += n;
        await runner.predict(n === BATCH ? batch : batch.subarray(0, n * h * w * 3), n);
      }
    }));
  };
  await lanes(2 * BATCH); // warm-up: a batch per session
  const loadMs = performance.now() - t0;
  const t = performance.now();
  await lanes(images);
  const ms = performance.now() - t;
  await runner.dispose();
  return { units: images, unit: 'images', ms, loadMs, note: `${runner.backend} backend, 2 batches of ${BATCH} in flight, random input, after 2 warm-up batches` };
}

/** Issue 11's batch-1 case: ResNet50 (Keras architecture, its own random initial weights) on our ONNX runner, one image a call. */
async function resnet50Batch1(images: number, threads: number): Promise<BenchMeasure> {
  const t0 = performance.now();
  const runner = await createOnnxRunner({ model: resNet50() }, { threads, sessionThread: 'caller' }); // one session on the calling thread, as PyTorch's loop
  const [h, w] = runner.inputSize;
  const x = new Float32Array(h * w * 3).map(() => Math.random() * 255 - 128); // caffe-preprocessed range
  for (let i = 0; i < 3; i++) await runner.predict(x, 1); // warm-up
  const loadMs = performance.now() - t0;
  const t = performance.now();
  for (let i = 0; i < images; i++) await runner.predict(x, 1);
  const ms = performance.now() - t;
  await runner.dispose();
  return { units: images, unit: 'images', ms, loadMs, note: `ResNet50 (random weights), ${runner.backend} backend, batch 1, ${threads} threads, after 3 warm-up runs` };
}

/** Child side: do the task; time only the work after load and warm-up, and report the load on its own. */
export async function runBenchTask(task: BenchTask): Promise<BenchMeasure> {
  const t0 = performance.now();
  switch (task.kind) {
    case 'select': {
      const { bytes } = await annotationFiles(task.data);
      const t = performance.now();
      const r = await selectStage({ data: task.data, out: task.out });
      return { units: r.boxes, unit: 'boxes', ms: performance.now() - t, bytes, outputRows: r.boxes };
    }
    case 'duckdb':
      return duckdbSelect(task.data, BIG_CATS.map((c) => c.LabelName), 0.99, path.join(task.out, 'duckdb-boxes.parquet'));
    case 'pack': {
      const r = await packStage({ images: path.join(task.data, 'images'), out: path.join(task.out, 'images.parquet') });
      return { units: r.packed, unit: 'images', ms: performance.now() - t0, bytes: r.bytes };
    }
    case 'chips': {
      const clock = new StageClock('chips', 8);
      const r = await chipsStage({ boxes: path.join(task.out, 'boxes.parquet'), images: path.join(task.out, 'images.parquet'), out: task.to ?? task.out, progress: clock.progress, chipFiles: task.chipFiles });
      return { ...clock.measure('chips'), outputRows: r.chips };
    }
    case 'sharp-loop':
      return bareSharpLoop(path.join(task.out, 'boxes.parquet'), path.join(task.data, 'images'));
    case 'classify': {
      const clock = new StageClock('classify', BATCH);
      const r = await classifyStage({ chips: path.join(task.out, 'chips.parquet'), models: [{ name: 'mobilenet', source: task.model }], out: task.out, batchSize: BATCH, progress: clock.progress });
      return { ...clock.measure('chips'), outputRows: r.rows, note: `${r.models[0]?.backend ?? '?'} backend; ${clock.measure('chips').note ?? ''}` };
    }
    case 'predict-loop':
      return predictLoop(task.model, task.images);
    case 'run': {
      // the whole `oidstream run`; its chips + classify pass timed in steady state (StageClock.steady), after the
      // warm-up of the first 2 batches (as the bare loop's 2 warm-up batches); the whole pass is in the note
      const { runPipeline } = await import('@oidstream/pipeline');
      const clock = new StageClock('chips', 2 * BATCH);
      await runPipeline({ data: task.data, out: task.out, force: true, ...(task.model ? { models: [`mobilenet=${task.model}`] } : {}), progress: clock.sink });
      const record = JSON.parse(await readFile(path.join(task.out, 'run.json'), 'utf8')) as { stages?: { name: string; ms?: number; counts?: { modelLoadMs?: number; chips?: number } }[] };
      const chips = record.stages?.find((st) => st.name === 'chips');
      if (chips?.counts?.chips === undefined) throw new Error('run recorded no chips stage');
      const load = chips.counts.modelLoadMs ?? 0;
      const whole = { units: clock.doneAtEnd, ms: (chips.ms ?? 0) - load };
      const m = (task.model ? clock.steady('chips') : undefined) ?? { ...whole, unit: 'chips', note: 'the whole pass (too short for a steady window)' };
      return { ...m, whole, loadMs: performance.now() - t0 - m.ms, note: `${m.note}; whole pass ${whole.ms} ms after ${load} ms of model loading` };
    }
    case 'resnet50-b1':
      return resnet50Batch1(task.images, task.threads);
    case 'report': {
      const r = await writeReport(task.out);
      return { units: r.charts.length / 2, unit: 'charts', ms: performance.now() - t0 };
    }
  }
}

/** Child entry: `oidstream bench --child <task json>` prints `{…measure, maxRssKb}` as its last line. */
export async function benchChild(taskJson: string): Promise<void> {
  const m = await runBenchTask(JSON.parse(taskJson) as BenchTask);
  process.stdout.write(JSON.stringify({ ...m, maxRssKb: process.resourceUsage().maxRSS }) + '\n');
}
