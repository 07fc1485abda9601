import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { readParquetRows } from '@oidstream/parquet-io';
import { ScaleOutError } from './errors.js';
import { partsDir, planPath, planRecord, readPlan, writePlan } from './shard-files.js';
import type { ShardPlanRecord } from './shard-files.js';
import type { ShardChipOptions, ShardJob } from './shard-job.js';
import { locateImages, planId, planShards } from './shard-plan.js';
import type { ShardPlanOptions } from './shard-plan.js';

export interface PlanRunOptions extends ShardPlanOptions {
  /** Run directory shared by all workers (made absolute). */
  out: string;
  /** The selection (boxes.parquet). */
  boxes: string;
  /** Image Parquet files (ImageID, Rotation, image) or images/ folders, in the order their rows are processed. */
  images: string[];
  /** OID rotation CSVs, for images/ folders. */
  rotationCsvs?: string[];
  chip?: ShardChipOptions;
  batchSize?: number;
  threads?: number;
  /** `name=source` model specs; none → chips only. */
  models?: string[];
  backend?: string;
  chipFiles?: boolean;
  mode: ShardPlanRecord['mode'];
  queue?: string;
  /** Replace an existing plan of a different run in OUT (redis mode: its parts are deleted; static mode: merge drops them). */
  force?: boolean;
}

export interface PlannedRun {
  plan: ShardPlanRecord;
  jobs: ShardJob[];
  /** True when OUT already held this very plan (a re-enqueue or another shard process). */
  reused: boolean;
  /** The plan this one replaced (with force). */
  replaced?: ShardPlanRecord;
  /** Selected images that no image file holds: their boxes become UNKNOWN_IMAGE errors (in shard 0). */
  missingImages: number;
}

/**
 * Plan a sharded run: read the selected ImageIDs, place them in the image files (ImageID column only), split them
 * into balanced contiguous shards and describe each as a job. The same inputs give the same plan and plan id.
 */
export async function planRun(options: PlanRunOptions): Promise<PlannedRun> {
  const out = path.resolve(options.out);
  const boxes = path.resolve(options.boxes);
  const images = options.images.map((f) => path.resolve(f));
  if (!images.length) throw new ScaleOutError('NO_IMAGES', 'no image Parquet files to shard');
  for (const f of [boxes, ...images]) if (!existsSync(f)) throw new ScaleOutError('NO_IMAGES', `${f} does not exist`);

  // selected ImageIDs in boxes.parquet order of first appearance
  const selected = new Set<string>();
  for await (const r of readParquetRows(boxes, { columns: ['ImageID'] })) if (typeof r.ImageID === 'string') selected.add(r.ImageID);
  const places = await locateImages(images, selected, { rotationCsvs: options.rotationCsvs });
  const placed = new Set(places.map((p) => p.imageId));
  const missing = [...selected].filter((id) => !placed.has(id));
  const shards = planShards(images, places, options);

  const models = options.models ?? [];
  const chipFiles = options.chipFiles ?? true;
  const chip = Object.fromEntries(Object.entries(options.chip ?? {}).filter(([, v]) => v !== undefined)) as ShardChipOptions;
  // the boxes path is left out: in shard mode every process selects into its own folder, yet they must agree
  const id = planId(out, shards, { models, backend: options.backend ?? 'auto', chipFiles, chip, batchSize: options.batchSize ?? null, threads: options.threads ?? null, missing });
  const jobs: ShardJob[] = shards.map((s) => ({
    version: 1,
    planId: id,
    out,
    boxes,
    shard: { index: s.index, count: shards.length, id: s.id },
    segments: s.segments,
    models,
    chipFiles,
    chip,
    backend: options.backend ?? 'auto',
    ...(options.batchSize ? { batchSize: options.batchSize } : {}),
    ...(options.threads ? { threads: options.threads } : {}),
    ...(s.index === 0 && missing.length ? { imagesWithoutRows: missing } : {}),
  }));

  let reused = false;
  let replaced: ShardPlanRecord | undefined;
  if (existsSync(planPath(out))) {
    const old = await readPlan(out);
    if (old.planId === id) reused = true;
    else if (!options.force) {
      throw new ScaleOutError(
        'PLAN_MISMATCH',
        `${out} already holds another sharded run (plan ${old.planId}, ${old.shards.length} shards): use another --out, or --force to replace it`,
      );
    } else {
      replaced = old;
      if (options.mode === 'redis') await rm(partsDir(out), { recursive: true, force: true });
    }
    // static mode: the other shard processes are writing into parts/ right now; merge drops stale parts
  }
  const planBoxes = options.mode === 'static' ? path.join(out, 'boxes.parquet') : boxes; // where shard processes publish it
  const plan = planRecord({ planId: id, out, boxes: planBoxes, mode: options.mode, queue: options.queue, models }, shards);
  if (!reused) await writePlan(out, plan);
  return { plan: reused ? await readPlan(out) : plan, jobs, reused, missingImages: missing.length, ...(replaced ? { replaced } : {}) };
}
