import { existsSync } from 'node:fs';
import { mkdir, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { Ledger } from './ledger.js';
import { fingerprintInputs } from './run/input-fingerprint.js';
import { Progress, type ProgressSink, type StageProgress } from './progress.js';
import { readRunRecord, RunRecorder, type StageStatus } from './run-record.js';
import { RUN_FILES, runPath } from '@oidstream/report';

/** What a stage body returns: its committed outputs (relative to OUT), counts for run.json, a note. */
export interface StageOutcome {
  outputs: string[];
  counts?: Record<string, number>;
  note?: string;
  /** 'skipped' when the stage had nothing to do (e.g. no model); default 'done'. */
  status?: Extract<StageStatus, 'done' | 'skipped'>;
}

/**
 * Shared state of one `run`: the output dir, its ledger (resume), run.json and progress. `stage()` wraps each
 * named stage: reuse it when the ledger holds it intact, otherwise run it, record it, and forget later stages.
 */
export class RunContext {
  private constructor(
    readonly out: string,
    readonly ledger: Ledger,
    readonly recorder: RunRecorder,
    readonly progress: Progress,
    readonly order: readonly string[],
    private readonly onNote: (message: string) => void,
  ) {}

  static async open(
    out: string, args: Record<string, unknown>, keyArgs: Record<string, unknown>, order: readonly string[], sink: ProgressSink, force: boolean,
    onNote: (message: string) => void,
  ): Promise<RunContext> {
    if (force) {
      // Start over: only what a run writes is removed, never other files a user keeps in OUT.
      for (const f of ['boxes', 'labelsSummary', 'images', 'chips', 'chipsDir', 'predictions', 'errors', 'runJson', 'report', 'reportAssets', 'work'] as const) {
        await rm(runPath(out, f), { recursive: true, force: true });
      }
    }
    await mkdir(path.join(out, RUN_FILES.work), { recursive: true });
    const ledger = await Ledger.open(out, runPath(out, 'ledger'), keyArgs, force);
    if (ledger.resumed) await sweepTempFiles(out, checkpointedFiles(ledger.data.checkpoints));
    const previous = ledger.resumed ? await readRunRecord(runPath(out, 'runJson')).catch(() => undefined) : undefined;
    const recorder = new RunRecorder(runPath(out, 'runJson'), args, previous);
    await recorder.save();
    return new RunContext(out, ledger, recorder, new Progress(sink), order, onNote);
  }

  /**
   * Run (or reuse) one named stage. `key`: what else its output depends on (reused only when it matches). `inputs`:
   * files and folders it reads from outside OUT; when they changed since it ran, it and the stages after it run again.
   */
  async stage(name: string, unit: string, body: (progress: StageProgress) => Promise<StageOutcome>, key?: string, inputs: readonly string[] = []): Promise<StageOutcome> {
    const rec = await this.recorder.stageStart(name);
    const fingerprint = inputs.length ? await fingerprintInputs(inputs) : undefined;
    const recorded = this.ledger.data.stages[name];
    if (recorded && recorded.inputs !== fingerprint) {
      this.onNote(`${name}: its input files changed since the last run (${inputs.join(', ')}): recomputing ${name} and the stages after it`);
    }
    const done = recorded?.inputs === fingerprint ? await this.ledger.finished(name, key) : undefined;
    if (done) {
      const progress = this.progress.stage(name, unit);
      progress.set(done.counts[unit] ?? Object.values(done.counts)[0] ?? 0);
      progress.end('reused', 'finished in an earlier run');
      await this.recorder.stageEnd(rec, 'reused', done.counts, done.note ?? 'finished in an earlier run');
      rec.ms = done.ms;
      await this.recorder.save();
      return { outputs: Object.keys(done.outputs), counts: done.counts, note: done.note };
    }
    // Its inputs may have changed: whatever came after it is stale.
    await this.ledger.invalidateFrom(this.order, name);
    const progress = this.progress.stage(name, unit);
    const t0 = performance.now();
    try {
      const outcome = await body(progress);
      progress.end(outcome.status ?? 'done', outcome.note);
      // A skipped stage (no model, images.parquet given) is not recorded: a rerun decides again (a model may be there now).
      if ((outcome.status ?? 'done') === 'done') await this.ledger.markStage(name, outcome.outputs, performance.now() - t0, outcome.counts ?? {}, outcome.note, key, fingerprint);
      await this.recorder.stageEnd(rec, outcome.status ?? 'done', outcome.counts ?? {}, outcome.note);
      Object.assign(this.recorder.record.counts, outcome.counts ?? {});
      return outcome;
    } catch (err) {
      progress.end('failed', err instanceof Error ? err.message : String(err));
      await this.recorder.stageEnd(rec, 'failed', {}, err instanceof Error ? err.message : String(err));
      throw err;
    }
  }

  /** For reused stages: their counts still go into run.json. */
  noteCounts(counts: Record<string, number> | undefined): void {
    Object.assign(this.recorder.record.counts, counts ?? {});
  }
}

/** The temp files a stage's checkpoint goes on with (every `tempPath` in it). */
function checkpointedFiles(value: unknown, into = new Set<string>()): Set<string> {
  if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === 'tempPath' && typeof v === 'string') into.add(path.resolve(v));
      else checkpointedFiles(v, into);
    }
  }
  return into;
}

/** Temp files of writes a kill interrupted (`<name>.tmp-…`) that no checkpoint resumes: never final outputs. */
async function sweepTempFiles(out: string, keep: ReadonlySet<string>): Promise<void> {
  const walk = async (dir: string, depth: number): Promise<void> => {
    if (!existsSync(dir) || depth > 3) return;
    for (const e of await readdir(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) await walk(p, depth + 1);
      else if (/\.tmp-[0-9a-z-]+$/i.test(e.name) && !keep.has(path.resolve(p))) await rm(p, { force: true });
    }
  };
  await walk(out, 0);
}
