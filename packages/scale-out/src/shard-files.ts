import { existsSync, readdirSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import { ScaleOutError } from './errors.js';
import type { ShardJob, ShardResult } from './shard-job.js';
import type { ShardSpec } from './shard-plan.js';

/**
 * Layout of a sharded run under OUT: `parts/part-<id>.parquet` is the dataset (DuckDB/Spark read the directory);
 * bookkeeping lives in names starting with `_`, which Spark and Hive skip and `parts/*.parquet` does not match.
 */
export const PARTS_DIR = 'parts';

export function partsDir(out: string): string {
  return path.join(out, PARTS_DIR);
}
export function partPath(out: string, id: string): string {
  return path.join(out, PARTS_DIR, `part-${id}.parquet`);
}
/** Written after the part is renamed into place: its presence means the shard is complete. */
export function partMetaPath(out: string, id: string): string {
  return path.join(out, PARTS_DIR, '_meta', `part-${id}.json`);
}
/** Boxes of the shard that gave no chip, one JSON object per line (merge concatenates them into errors.jsonl). */
export function partErrorsPath(out: string, id: string): string {
  return path.join(out, PARTS_DIR, '_errors', `part-${id}.jsonl`);
}
export function planPath(out: string): string {
  return path.join(out, PARTS_DIR, '_plan.json');
}

/** The plan as stored in `parts/_plan.json` (without the per-shard ImageID lists, which travel in the jobs). */
export interface ShardPlanRecord {
  version: 1;
  planId: string;
  out: string;
  boxes: string;
  createdAt: string;
  /** `redis` (enqueue + workers) or `static` (`run --shard i/N`). */
  mode: 'redis' | 'static';
  queue?: string;
  images: number;
  models: string[];
  shards: Array<{ index: number; id: string; images: number; segments: Array<{ path: string; rowStart: number; rowEnd: number; images: number }> }>;
}

export function planRecord(base: Omit<ShardPlanRecord, 'version' | 'createdAt' | 'images' | 'shards'>, shards: readonly ShardSpec[]): ShardPlanRecord {
  return {
    version: 1,
    ...base,
    createdAt: new Date().toISOString(),
    images: shards.reduce((n, s) => n + s.images, 0),
    shards: shards.map((s) => ({
      index: s.index,
      id: s.id,
      images: s.images,
      segments: s.segments.map((g) => ({ path: g.path, rowStart: g.rowStart, rowEnd: g.rowEnd, images: g.imageIds.length })),
    })),
  };
}

export async function writePlan(out: string, plan: ShardPlanRecord): Promise<void> {
  await mkdir(path.dirname(planPath(out)), { recursive: true });
  await writeFileAtomic(planPath(out), JSON.stringify(plan, null, 2) + '\n');
}

export async function readPlan(out: string): Promise<ShardPlanRecord> {
  const file = planPath(out);
  if (!existsSync(file)) {
    throw new ScaleOutError('NO_PLAN', `no shard plan at ${file} (run "oidstream enqueue" or "oidstream run --shard i/N" first)`);
  }
  return JSON.parse(await readFile(file, 'utf8')) as ShardPlanRecord;
}

export async function readPartMeta(out: string, id: string): Promise<ShardResult | undefined> {
  const file = partMetaPath(out, id);
  if (!existsSync(file) || !existsSync(partPath(out, id))) return undefined;
  try {
    return JSON.parse(await readFile(file, 'utf8')) as ShardResult;
  } catch {
    return undefined; // half-visible on some network filesystems: treat as not done yet
  }
}

/** part-*.parquet files in `parts/`, sorted by name (= shard order). */
export function listPartFiles(out: string): string[] {
  const dir = partsDir(out);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => /^part-\d+\.parquet$/.test(f))
    .sort()
    .map((f) => path.join(dir, f));
}

/**
 * A job of a plan that was replaced (enqueue --force with other options) must not overwrite the new plan's part
 * of the same number: processors call this before committing a part, and it fails for good (PLAN_MISMATCH).
 */
export async function checkCurrentPlan(job: Pick<ShardJob, 'out' | 'planId' | 'shard'>): Promise<void> {
  let current: string | undefined;
  try {
    current = (JSON.parse(await readFile(planPath(job.out), 'utf8')) as { planId?: string }).planId;
  } catch {
    current = undefined; // no plan file (a processor called directly): nothing to protect
  }
  if (current !== undefined && current !== job.planId) {
    throw new ScaleOutError('PLAN_MISMATCH', `shard ${job.shard.id} belongs to plan ${job.planId}, but ${job.out} now holds plan ${current}: not written`);
  }
}
