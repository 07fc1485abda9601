import { removeStaleChipTemps } from '@oidstream/chip-extract';
import type { PartCounts } from './part-processor.js';
import { StageOutputs, type StageOutputsCheckpoint, type StageOutputsSpec } from './stage-outputs.js';

/** A partitioned stage under way: parts done, their times, and the durable state of its outputs after them. */
export interface StageCheckpoint {
  key?: string | undefined;
  partsDone: number;
  partMs: number[];
  counts: Record<string, number>;
  outputs: unknown;
}

/** Where checkpoints are kept between runs (pipeline's run ledger). */
export interface CheckpointStore {
  checkpoint(stage: string, key?: string): StageCheckpoint | undefined;
  saveCheckpoint(stage: string, checkpoint: StageCheckpoint | undefined): Promise<void>;
}

export interface RunInPartsOptions<P> {
  parts: readonly P[];
  outputs: StageOutputsSpec;
  process(part: P, outputs: StageOutputs): Promise<PartCounts>;
  /** With a store, the outputs are checkpointed after every part and a rerun goes on after the last one. */
  ledger?: CheckpointStore | undefined;
  stage: string;
  /** A checkpoint is reused only when made with the same key (classify: the models). */
  key?: string | undefined;
  /** Called for parts a resumed run skips, with their box count unknown: the caller moves its progress. */
  onSkipped?(part: P): void;
  onWarning?(message: string): void;
}

export interface RunInPartsResult extends PartCounts {
  parts: number;
  partsReused: number;
  partMs: number[];
  files: string[];
}

const ZERO: PartCounts = { boxes: 0, chips: 0, errors: 0, predictions: 0 };

/**
 * Run a stage's parts in order into one set of outputs. After each part the outputs are made durable and the ledger
 * records how far they got; a rerun resumes the temp files from there (or starts over if they are gone). The
 * outputs appear under their final names only when every part is done. The checkpoint after the last part stays
 * until the caller records the stage, so a crash between the renames and that record costs no part.
 */
export async function runInParts<P>(o: RunInPartsOptions<P>): Promise<RunInPartsResult> {
  let prev = o.ledger?.checkpoint(o.stage, o.key);
  const startOver = (err: unknown) => o.onWarning?.(`${o.stage}: cannot resume (${(err as Error).message}); starting the stage over`);
  if (prev?.partsDone === o.parts.length) {
    // every part was done: the process died while committing, before the caller recorded the stage
    try {
      await StageOutputs.finishFrom(o.outputs, prev.outputs as StageOutputsCheckpoint);
      for (const p of o.parts) o.onSkipped?.(p);
      return { ...(prev.counts as unknown as PartCounts), parts: o.parts.length, partsReused: o.parts.length, partMs: prev.partMs, files: StageOutputs.files(o.outputs) };
    } catch (err) {
      startOver(err);
      prev = undefined;
    }
  }
  let outputs: StageOutputs;
  let start = 0;
  let counts: Record<string, number> = { ...ZERO };
  let partMs: number[] = [];
  try {
    outputs = StageOutputs.open(o.outputs, prev?.outputs as StageOutputsCheckpoint | undefined);
    if (prev) ({ partsDone: start, counts, partMs } = prev);
  } catch (err) {
    if (!prev) throw err;
    startOver(err);
    outputs = StageOutputs.open(o.outputs);
  }
  try {
    if (o.outputs.chipFiles) await removeStaleChipTemps(o.outputs.out); // half-written chip files of a killed run
    for (let i = 0; i < start; i++) o.onSkipped?.(o.parts[i]);
    for (let i = start; i < o.parts.length; i++) {
      const t0 = performance.now();
      const c = await o.process(o.parts[i], outputs);
      for (const k of Object.keys(ZERO) as Array<keyof PartCounts>) counts[k] = (counts[k] ?? 0) + c[k];
      partMs = [...partMs, Math.round(performance.now() - t0)];
      if (o.ledger) {
        const checkpoint: StageCheckpoint = { key: o.key, partsDone: i + 1, partMs, counts, outputs: outputs.checkpoint() };
        await o.ledger.saveCheckpoint(o.stage, checkpoint);
      }
    }
    await outputs.commit();
  } catch (err) {
    // a failed part leaves the temp files for a rerun to resume; without a ledger nobody will
    if (!o.ledger) outputs.abort();
    throw err;
  }
  return { ...(counts as unknown as PartCounts), parts: o.parts.length, partsReused: start, partMs, files: StageOutputs.files(o.outputs) };
}
