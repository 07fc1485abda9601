import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from './atomic-write.js';
import type { CheckpointStore, StageCheckpoint } from '@oidstream/part-processor';
import { PipelineError } from './errors.js';

/**
 * The stage ledger (OUT/.oidstream/ledger.json) makes `run` resumable. Every stage output is committed atomically
 * (temp name + rename) and only then recorded here with its size; a rerun reuses a stage (or a part of one) only if
 * the ledger says it finished AND its files are still there with that size. Anything else is redone.
 */
export interface LedgerEntry {
  finishedAt: string;
  ms: number;
  /** output file (relative to OUT) → size in bytes */
  outputs: Record<string, number>;
  counts: Record<string, number>;
  note?: string;
  /** What else the output depends on beyond the run's arguments (classify: the models actually used). */
  key?: string;
  /** Fingerprint of the input files the stage read (size + mtime), when it reads any from outside OUT. */
  inputs?: string;
}

export interface LedgerFile {
  version: 1;
  argsKey: string;
  args: Record<string, unknown>;
  stages: Record<string, LedgerEntry>;
  /** stages under way: how far their outputs got (see runInParts) */
  checkpoints: Record<string, StageCheckpoint>;
}



/** Key of the arguments that change outputs (order-insensitive). */
export function argsKey(args: Record<string, unknown>): string {
  const canonical = JSON.stringify(args, Object.keys(args).sort());
  return createHash('sha256').update(canonical).digest('hex').slice(0, 16);
}

function describeDiff(a: Record<string, unknown>, b: Record<string, unknown>): string {
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  return keys
    .filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k]))
    .map((k) => `${k}: ${JSON.stringify(a[k] ?? null)} → ${JSON.stringify(b[k] ?? null)}`)
    .join('; ');
}

export class Ledger implements CheckpointStore {
  private constructor(readonly file: string, readonly out: string, readonly data: LedgerFile, readonly resumed: boolean) {}

  /**
   * Opens OUT's ledger for these arguments: a new one, or the existing one when the arguments match.
   * A ledger made with other arguments is a coded error unless `force` (then it starts over).
   */
  static async open(out: string, file: string, args: Record<string, unknown>, force: boolean): Promise<Ledger> {
    const key = argsKey(args);
    if (!force && existsSync(file)) {
      const prev = JSON.parse(await readFile(file, 'utf8')) as LedgerFile;
      // Nothing written yet (e.g. the last try stopped at a mistyped class name): other arguments simply start over.
      const wroteSomething = Object.values(prev.stages).some((e) => Object.keys(e.outputs).length > 0) || Object.keys(prev.checkpoints ?? {}).length > 0;
      if (prev.argsKey !== key && !wroteSomething) force = true;
      else if (prev.argsKey !== key) {
        throw new PipelineError('RUN_ARGS_MISMATCH', `${out} holds a run made with other arguments (${describeDiff(prev.args, args)}); rerun with the same arguments to resume, add --force to start over, or choose another --out`);
      }
      if (!force) {
        prev.checkpoints ??= {};
        return new Ledger(file, out, prev, true);
      }
    }
    const ledger = new Ledger(file, out, { version: 1, argsKey: key, args, stages: {}, checkpoints: {} }, false);
    await ledger.save();
    return ledger;
  }

  private async outputsIntact(entry: LedgerEntry): Promise<boolean> {
    for (const [rel, size] of Object.entries(entry.outputs)) {
      const s = await stat(path.join(this.out, rel)).catch(() => undefined);
      if (!s || s.size !== size) return false;
    }
    return true;
  }

  /** The entry of a finished stage whose outputs are intact (and made with the same `key`), else undefined. */
  async finished(stage: string, key?: string): Promise<LedgerEntry | undefined> {
    const e = this.data.stages[stage];
    return e && e.key === key && (await this.outputsIntact(e)) ? e : undefined;
  }

  /** How far a partitioned stage got with the same `key`, if it was under way. */
  checkpoint(stage: string, key?: string): StageCheckpoint | undefined {
    const c = this.data.checkpoints[stage];
    return c && c.key === key ? c : undefined;
  }

  async saveCheckpoint(stage: string, checkpoint: StageCheckpoint | undefined): Promise<void> {
    if (checkpoint) this.data.checkpoints[stage] = checkpoint;
    else delete this.data.checkpoints[stage];
    await this.save();
  }

  private async entry(outputs: string[], ms: number, counts: Record<string, number>, note?: string, key?: string): Promise<LedgerEntry> {
    const sizes: Record<string, number> = {};
    for (const rel of outputs) sizes[rel] = (await stat(path.join(this.out, rel))).size;
    return { finishedAt: new Date().toISOString(), ms: Math.round(ms), outputs: sizes, counts, ...(note ? { note } : {}), ...(key !== undefined ? { key } : {}) };
  }

  async markStage(stage: string, outputs: string[], ms: number, counts: Record<string, number> = {}, note?: string, key?: string, inputs?: string): Promise<void> {
    this.data.stages[stage] = { ...(await this.entry(outputs, ms, counts, note, key)), ...(inputs ? { inputs } : {}) };
    delete this.data.checkpoints[stage]; // its outputs are complete
    await this.save();
  }

  /**
   * A stage is about to run: forget its own record and everything recorded for the stages after it (their inputs
   * will change). Its own checkpoint stays: its inputs are unchanged, or an earlier stage's run dropped it.
   */
  async invalidateFrom(order: readonly string[], stage: string): Promise<void> {
    delete this.data.stages[stage];
    for (const s of order.slice(order.indexOf(stage) + 1)) {
      delete this.data.stages[s];
      delete this.data.checkpoints[s];
    }
    await this.save();
  }

  async save(): Promise<void> {
    await writeFileAtomic(this.file, JSON.stringify(this.data, null, 2) + '\n');
  }
}
