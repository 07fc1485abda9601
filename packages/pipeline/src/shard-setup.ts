import { copyFile, rename, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { findOidFiles } from '@oidstream/oid-join';
import { chooseModels } from './model-choice.js';
import type { ModelChoice } from './model-choice.js';
import { planRun } from '@oidstream/scale-out';
import type { PlannedRun, ShardPlanRecord } from '@oidstream/scale-out';
import type { RunOptions } from './run.js';
import { selectStage, type SelectionOptions } from './stages/select.js';

/**
 * The options of a sharded run: the same names (and meaning) as `oidstream run`'s RunOptions, so the run command
 * can hand its options object over unchanged.
 */
export type ShardRunOptions = Pick<RunOptions,
  | 'data' | 'out' | 'models' | keyof SelectionOptions | 'quality' | 'padding' | 'square' | 'maxSide' | 'minChipSize' | 'chipFiles'
  | 'backend' | 'batchSize' | 'threads' | 'resize' | 'precision' | 'force' | 'probeNetwork' | 'onWarning'>;

export interface ShardSetup {
  mode: ShardPlanRecord['mode'];
  /** Where the select stage writes boxes.parquet + labels-summary.json. */
  selectOut: string;
  shards?: number;
  imagesPerShard?: number;
  queue?: string;
}

export interface ShardedRun extends PlannedRun {
  /** Set when no model can be had: shards are chips only (as `run` skips classify). */
  classification?: ModelChoice['skipped'];
  boxes: string;
  summary: string;
}

/**
 * Select once (as `run` does, same options), choose the models (as `run` does), and plan the shards over the data
 * dir's images.parquet — or its images/ folder directly, read by the workers file by file (no pack pass).
 */
export async function setupShardedRun(o: ShardRunOptions, how: ShardSetup): Promise<ShardedRun> {
  const out = path.resolve(o.out);
  const layout = await findOidFiles(o.data, { requireMetadata: true, requireImages: true });
  const choice = await chooseModels(o.models ?? [], { probeNetwork: o.probeNetwork });
  const selected = await selectStage({
    data: o.data, out: how.selectOut, classes: o.classes, under: o.under, minConfidence: o.minConfidence,
    excludeGroupOf: o.excludeGroupOf, excludeDepiction: o.excludeDepiction, excludeOccluded: o.excludeOccluded,
    excludeTruncated: o.excludeTruncated, excludeInside: o.excludeInside, minBoxSize: o.minBoxSize,
    maxPerClass: o.maxPerClass, seed: o.seed, splits: o.splits, labels: o.labels,
  });
  const planned = await planRun({
    out,
    boxes: selected.boxesPath,
    images: [layout.imagesParquet ?? layout.imagesFolder!],
    rotationCsvs: layout.imagesParquet ? [] : layout.rotation,
    models: choice.models.map((m) => `${m.name}=${m.source}`),
    backend: o.backend,
    batchSize: o.batchSize,
    threads: o.threads,
    chipFiles: o.chipFiles,
    chip: { quality: o.quality, padding: o.padding, square: o.square, maxSide: o.maxSide, minBoxSize: o.minChipSize },
    mode: how.mode,
    queue: how.queue,
    shards: how.shards,
    imagesPerShard: how.imagesPerShard,
    force: o.force,
  });
  return { ...planned, classification: choice.skipped, boxes: selected.boxesPath, summary: selected.summaryPath };
}

/** Copy a file into place under a temp name + rename, unless it is there already (shard processes race for it). */
export async function publishOnce(from: string, to: string): Promise<void> {
  if (existsSync(to)) return;
  const tmp = `${to}.tmp-${process.pid}-${Date.now()}`;
  try {
    await copyFile(from, tmp);
    await rename(tmp, to);
  } finally {
    await rm(tmp, { force: true });
  }
}
