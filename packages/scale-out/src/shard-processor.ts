import { mkdir, readFile } from 'node:fs/promises';
import os from 'node:os';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parquetImageSource } from '@oidstream/chip-extract';
import type { BoxRow, ImageRow, ImageSource } from '@oidstream/chip-extract';
import type { BackendChoice, ClassifierModel } from '@oidstream/keras-models';

// keras-models (an inference engine) is loaded only by shards that classify
import { ParquetFileWriter, parquetColumns, readParquetRowsByKey, sniffImageFormat } from '@oidstream/parquet-io';
import type { ColumnSpec } from '@oidstream/parquet-io';
import { processPart, type PartOutputs } from '@oidstream/part-processor';
import { CHIP_COLUMNS } from '@oidstream/chip-extract';
import writeFileAtomic from 'write-file-atomic';
import { ScaleOutError } from './errors.js';
import { checkCurrentPlan, partErrorsPath, partMetaPath, partPath } from './shard-files.js';
import type { ShardJob, ShardResult, ShardTimings } from './shard-job.js';
import type { ShardSegment } from './shard-plan.js';
import { sandboxedShardProcessor, type ShardContext } from './shard-worker.js';

/**
 * The per-shard work of workers and `run --shard i/N` (the ShardProcessor contract: `(job, ctx) => Promise<ShardResult>`):
 * the shard's boxes and images through part-processor's one chips→classify pass. The module's default export is the
 * same work for BullMQ's sandboxed (forked) workers: `processorFile()` gives its compiled path.
 */

/** Part columns: every chips.parquet column, then each model's prediction columns (the keys are already there). */
export async function partColumns(boxesPath: string, modelNames: readonly string[]): Promise<ColumnSpec[]> {
  const boxCols = await parquetColumns(boxesPath);
  const keys = new Set(['chip_id', 'ImageID', 'LabelName', 'DisplayName']);
  const modelCols = modelNames.length ? (await import('@oidstream/keras-models')).predictionColumnSpecs([...modelNames]).filter((c) => !keys.has(c.name)) : [];
  return [...boxCols, ...CHIP_COLUMNS, ...modelCols];
}

// A worker child keeps its models loaded between shards: loading (and compiling for ONNX) is per process, not per shard.
const models = new Map<string, Promise<ClassifierModel>>();
function model(name: string, source: string, job: ShardJob): Promise<ClassifierModel> {
  const key = `${name}=${source}@${job.backend ?? 'auto'}/${job.threads ?? ''}`;
  let m = models.get(key);
  if (!m) {
    // imported here: chips-only shards never load an inference engine
    m = import('@oidstream/keras-models').then((k) => k.openClassifier({ name, source, backend: (job.backend ?? 'auto') as BackendChoice, threads: job.threads }));
    m.catch(() => models.delete(key));
    models.set(key, m);
  }
  return m;
}

/** Images of one shard: its segments' rows, read by key; a row that cannot be read fails the shard (never a silent gap). */
function shardImageSource(job: ShardJob, timings: ShardTimings): ImageSource {
  return {
    async *fetch(ids: ReadonlySet<string>) {
      for (const seg of job.segments) {
        const wanted = new Set(seg.imageIds.filter((id) => ids.has(id)));
        if (!wanted.size) continue;
        if (seg.files) {
          yield* folderImages(seg, wanted, timings);
          continue;
        }
        const source = parquetImageSource(seg.path);
        const it = source.fetch(wanted)[Symbol.asyncIterator]();
        for (;;) {
          const t = performance.now();
          const next = await it.next();
          timings.read += performance.now() - t;
          if (next.done) break;
          yield next.value as ImageRow;
        }
        if (source.unreadable.size) {
          const [id, why] = source.unreadable.entries().next().value as [string, string];
          throw new ScaleOutError('SHARD_INPUT_CORRUPT', `${seg.path}: ${source.unreadable.size} image row(s) unreadable (first ${id}: ${why})`);
        }
      }
    },
  };
}

/**
 * Images of a folder segment, read file by file as `pack` would: bytes that are no image are left out (their boxes
 * become UNKNOWN_IMAGE, as after pack skipped them). A file that cannot be read fails the shard.
 */
async function* folderImages(seg: ShardSegment, wanted: ReadonlySet<string>, timings: ShardTimings): AsyncGenerator<ImageRow> {
  for (let i = 0; i < seg.imageIds.length; i++) {
    const id = seg.imageIds[i];
    if (!wanted.has(id)) continue;
    const t = performance.now();
    let bytes: Buffer;
    try {
      bytes = await readFile(path.join(seg.path, seg.files![i]));
    } catch (err) {
      throw new ScaleOutError('SHARD_INPUT_CORRUPT', `cannot read ${path.join(seg.path, seg.files![i])}: ${(err as Error).message}`, { cause: err });
    }
    timings.read += performance.now() - t;
    if (!sniffImageFormat(bytes)) continue;
    yield { ImageID: id, Rotation: seg.rotations?.[i] ?? null, image: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) };
  }
}

export interface ShardWorkOptions {
  attempt?: number;
  /** Who ran it, for status (default host:pid). */
  worker?: string;
}

/**
 * Process one shard: its boxes (read by ImageID from boxes.parquet) → chips → predictions, written to
 * `parts/part-<id>.parquet` atomically, then `_meta/part-<id>.json` (the "done" mark). Re-running a shard rewrites
 * the same files with the same rows: a retry after a crash never duplicates a chip.
 */
export async function processShard(job: ShardJob, options: ShardWorkOptions = {}): Promise<ShardResult> {
  const t0 = performance.now();
  const ms: ShardTimings = { models: 0, boxes: 0, read: 0, chips: 0, classify: 0, write: 0, total: 0 };
  const specs = job.models.length ? (await import('@oidstream/keras-models')).parseModelSpecs(job.models) : [];
  const columns = await partColumns(job.boxes, specs.map((s) => s.name));
  let t = performance.now();
  const loaded = await Promise.all(specs.map((s) => model(s.name, s.source, job)));
  ms.models = performance.now() - t;
  const classifyRecords = loaded.length ? (await import('@oidstream/keras-models')).classifyRecords : undefined;

  const ids = [...job.segments.flatMap((s) => s.imageIds), ...(job.imagesWithoutRows ?? [])];
  t = performance.now();
  const boxesById = new Map<string, BoxRow[]>();
  for await (const row of readParquetRowsByKey(job.boxes, 'ImageID', new Set(ids))) {
    const id = row.ImageID as string;
    let list = boxesById.get(id);
    if (!list) boxesById.set(id, (list = []));
    list.push(row);
  }
  ms.boxes = performance.now() - t;

  await checkCurrentPlan(job);
  const writer = ParquetFileWriter.open(partPath(job.out, job.shard.id), columns);
  const outputs = new ShardPartOutputs(writer, job, loaded.length > 0);
  let chips = 0;
  try {
    t = performance.now();
    const readBefore = ms.read;
    // boxes of the shard's images in boxes.parquet order: chip_id numbering matches a single-machine run
    const boxes = ids.flatMap((id) => boxesById.get(id) ?? []);
    const classify = { inFlight: Math.max(2, job.threads ?? 2), ...(job.batchSize ? { batchSize: job.batchSize } : {}) };
    const counts = await processPart({ boxes, images: shardImageSource(job, ms), chip: job.chip ?? {}, models: loaded, classify }, outputs);
    ms.chips += performance.now() - t - (ms.read - readBefore); // cutting and classifying overlap: one figure
    chips = counts.chips;
    const errors = outputs.errorLines;
    t = performance.now();
    await mkdir(path.dirname(partErrorsPath(job.out, job.shard.id)), { recursive: true });
    await writeFileAtomic(partErrorsPath(job.out, job.shard.id), errors.length ? errors.join('\n') + '\n' : '');
    await checkCurrentPlan(job);
    const { bytes } = writer.finish(); // temp file → part-<id>.parquet
    ms.write += performance.now() - t;
    ms.total = performance.now() - t0;
    const result: ShardResult = {
      shard: job.shard.id,
      planId: job.planId,
      images: job.segments.reduce((n, s) => n + s.imageIds.length, 0),
      chips,
      errors: errors.length,
      bytes,
      part: partPath(job.out, job.shard.id),
      ms: Object.fromEntries(Object.entries(ms).map(([k, v]) => [k, Math.round(v)])) as unknown as ShardTimings,
      worker: options.worker ?? `${os.hostname()}:${process.pid}`,
      attempt: options.attempt ?? 1,
      finishedAt: new Date().toISOString(),
    };
    await mkdir(path.dirname(partMetaPath(job.out, job.shard.id)), { recursive: true });
    await writeFileAtomic(partMetaPath(job.out, job.shard.id), JSON.stringify(result, null, 2) + '\n');
    return result;
  } catch (err) {
    writer.abort();
    throw err;
  }
}

/**
 * A shard's part file holds each chip's columns and its predictions in one row: a chip waits here for its
 * predictions (a few batches at most), then the joined row is written. Error lines are kept for the part's errors file.
 */
class ShardPartOutputs implements PartOutputs {
  readonly errorLines: string[] = [];
  private readonly waiting = new Map<unknown, Record<string, unknown>>();
  readonly chips: PartOutputs['chips'];
  readonly predictions: PartOutputs['predictions'];
  readonly errors: PartOutputs['errors'] = { write: (record) => void this.errorLines.push(JSON.stringify(record)) };

  constructor(private readonly writer: ParquetFileWriter, private readonly job: ShardJob, classify: boolean) {
    this.chips = { write: (row) => (classify ? void this.waiting.set(row.chip_id, row) : writer.write(row)) };
    this.predictions = {
      write: (p) => {
        const chip = this.waiting.get(p.chip_id);
        this.waiting.delete(p.chip_id);
        this.writer.write({ ...chip, ...p });
      },
    };
  }

  get chipFileRoot(): string | undefined {
    return this.job.chipFiles ? this.job.out : undefined;
  }
}

/** The compiled processor module that `oidstream worker` hands to BullMQ (it forks .js files, not the .ts sources). */
export function processorFile(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  for (const candidate of [path.join(here, 'shard-processor.js'), path.join(here, '..', '..', 'dist', 'run', 'shard-processor.js')]) {
    if (existsSync(candidate)) return candidate;
  }
  throw new Error(`no compiled shard processor near ${here}: build the scale-out package first (npx nx run @oidstream/scale-out:build)`);
}

export default sandboxedShardProcessor((job: ShardJob, ctx: ShardContext) => processShard(job, ctx));
