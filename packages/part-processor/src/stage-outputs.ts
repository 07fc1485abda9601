import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { ParquetFileWriter, type ColumnSpec, type WriterCheckpoint } from '@oidstream/parquet-io';
import { ErrorLines, type ErrorLinesCheckpoint } from './error-lines.js';

/** What the chips→classify processor writes: each is optional but the errors log. */
export interface StageOutputsSpec {
  /** Output folder: files are named for DESIGN.md (chips.parquet, predictions.parquet, errors.jsonl, chips/). */
  out: string;
  chips?: { file: string; columns: readonly ColumnSpec[] } | undefined;
  predictions?: { file: string; columns: readonly ColumnSpec[] } | undefined;
  errors: { file: string; stages: readonly string[] };
  /** Also write one JPEG per chip under `out` (chip_path). */
  chipFiles?: boolean | undefined;
}

/**
 * 4 MiB row groups: each is encoded on the main thread, so the last one delays the end of the stage (11 MB took
 * 130 ms after the last chip); smaller ones are encoded while inference runs. Also keeps buffers and later reads small.
 */
const WRITE = { rowGroupBytes: 4 << 20 };

export interface StageOutputsCheckpoint {
  chips?: WriterCheckpoint | undefined;
  predictions?: WriterCheckpoint | undefined;
  errors: ErrorLinesCheckpoint;
}

/**
 * The files one pass of the processor writes, each under a temp name until `commit`. `checkpoint` makes everything
 * so far durable and returns a JSON-safe mark; `open(spec, mark)` after a crash goes on from it. So each chip's bytes
 * are written once to chips.parquet (and once to its chip file), whatever the number of resumes.
 */
export class StageOutputs {
  private constructor(
    readonly spec: StageOutputsSpec,
    readonly chips: ParquetFileWriter | undefined,
    readonly predictions: ParquetFileWriter | undefined,
    readonly errors: ErrorLines,
  ) {}

  static open(spec: StageOutputsSpec, from?: StageOutputsCheckpoint): StageOutputs {
    mkdirSync(spec.out, { recursive: true });
    const open = (f: { file: string; columns: readonly ColumnSpec[] } | undefined, c: WriterCheckpoint | undefined) =>
      f && (c ? ParquetFileWriter.resume(f.file, f.columns, c, WRITE) : ParquetFileWriter.open(f.file, f.columns, WRITE));
    const opened: Array<{ abort(): void }> = [];
    try {
      const chips = open(spec.chips, from?.chips);
      if (chips) opened.push(chips);
      const predictions = open(spec.predictions, from?.predictions);
      if (predictions) opened.push(predictions);
      return new StageOutputs(spec, chips, predictions, ErrorLines.open(spec.errors.file, spec.errors.stages, from?.errors));
    } catch (err) {
      for (const w of opened) w.abort();
      throw err;
    }
  }

  /** Commit the outputs of a pass whose every part was checkpointed, when the process died while committing them. */
  static async finishFrom(spec: StageOutputsSpec, from: StageOutputsCheckpoint): Promise<void> {
    const finish = (f: { file: string; columns: readonly ColumnSpec[] } | undefined, c: WriterCheckpoint | undefined) =>
      f && c ? ParquetFileWriter.finishFrom(f.file, f.columns, c, WRITE) : undefined;
    await finish(spec.chips, from.chips);
    await finish(spec.predictions, from.predictions);
    await ErrorLines.finishFrom(spec.errors.file, spec.errors.stages, from.errors);
  }

  get chipFileRoot(): string | undefined {
    return this.spec.chipFiles ? this.spec.out : undefined;
  }

  checkpoint(): StageOutputsCheckpoint {
    return { chips: this.chips?.checkpoint(), predictions: this.predictions?.checkpoint(), errors: this.errors.checkpoint() };
  }

  /** Rename every output into place. */
  async commit(): Promise<{ chips?: number | undefined; predictions?: number | undefined; errors: number }> {
    const chips = this.chips?.finish().rows;
    const predictions = this.predictions?.finish().rows;
    await this.errors.commit();
    return { chips, predictions, errors: this.errors.count };
  }

  abort(): void {
    this.chips?.abort();
    this.predictions?.abort();
    this.errors.abort();
  }

  /** Relative output names for the ledger. */
  static files(spec: StageOutputsSpec): string[] {
    return [spec.chips?.file, spec.predictions?.file, spec.errors.file].filter((f): f is string => !!f).map((f) => path.relative(spec.out, f));
  }
}
