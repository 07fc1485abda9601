import type { ShardSegment } from './shard-plan.js';

/** Chip cutting options carried to the processor untouched (a subset of chip-extract's ChipOptions). */
export interface ShardChipOptions {
  quality?: number;
  padding?: number;
  square?: boolean;
  maxSide?: number;
  minBoxSize?: number;
}

/** What a worker needs to process one shard; travels as BullMQ job data (plain JSON). */
export interface ShardJob {
  version: 1;
  planId: string;
  /** Absolute run directory, shared by every worker (NFS, a bucket mount …). */
  out: string;
  /** Absolute path of the selection (boxes.parquet) the plan was made from. */
  boxes: string;
  shard: { index: number; count: number; id: string };
  segments: ShardSegment[];
  /** `name=source` model specs as given to enqueue; empty → chips only. */
  models: string[];
  /** Write one JPEG per chip under OUT/chips/ as well (as the chips command does). */
  chipFiles: boolean;
  /** Selected images no image file holds (shard 0 only): their boxes are reported as UNKNOWN_IMAGE, as in a single run. */
  imagesWithoutRows?: string[];
  /** Chip cutting options (quality, padding, square, maxSide, minBoxSize), as for the chips stage. */
  chip?: ShardChipOptions;
  /** Inference backend for classify (`auto`, `onnx`, `wasm`, `tfjs-node`). */
  backend?: string;
  /** Images per predict() call and backend threads, as for the classify stage. */
  batchSize?: number;
  threads?: number;
}

/**
 * Per-shard timings in ms. `models`: loading models (once per worker child, 0 afterwards); `read` is time spent
 * waiting for image bytes, `chips` the rest of cutting (the two overlap: up to 4 images are cut while reading on).
 */
export interface ShardTimings {
  models: number;
  boxes: number;
  read: number;
  chips: number;
  classify: number;
  write: number;
  total: number;
}

/** What a finished shard reports (BullMQ return value, and `parts/_meta/part-<id>.json`). */
export interface ShardResult {
  shard: string;
  planId: string;
  images: number;
  chips: number;
  /** Boxes that gave no chip (bad image, box too small …), listed in `_errors/part-<id>.jsonl`. */
  errors: number;
  bytes: number;
  part: string;
  ms: ShardTimings;
  worker: string;
  attempt: number;
  finishedAt: string;
}
