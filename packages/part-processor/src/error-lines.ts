import { randomBytes } from 'node:crypto';
import { closeSync, createReadStream, existsSync, fsyncSync, ftruncateSync, openSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { PartProcessorError } from './errors.js';

/** Where an errors log under construction stood at its last checkpoint (JSON-safe, kept in the ledger). */
export interface ErrorLinesCheckpoint {
  tempPath: string;
  bytes: number;
  count: number;
}

/**
 * errors.jsonl of an output folder, written by some stages: their lines go to a temp file (checkpointed with the
 * Parquet outputs, so a resumed run continues it), and on commit the lines other stages wrote before are kept.
 */
export class ErrorLines {
  count: number;
  private bytes: number;
  private readonly fd: number;

  private constructor(readonly file: string, readonly stages: readonly string[], readonly tempPath: string, from?: ErrorLinesCheckpoint) {
    if (from) {
      if (!existsSync(from.tempPath) || statSync(from.tempPath).size < from.bytes) {
        throw new PartProcessorError('RESUME_FAILED', `cannot resume ${file}: ${from.tempPath} is missing or shorter than its checkpoint`);
      }
      this.fd = openSync(from.tempPath, 'r+');
      ftruncateSync(this.fd, from.bytes);
    } else {
      this.fd = openSync(tempPath, 'wx');
    }
    this.bytes = from?.bytes ?? 0;
    this.count = from?.count ?? 0;
  }

  /** Lines of `stages` go to `file` (replacing those stages' earlier lines there); `from` resumes a checkpoint. */
  static open(file: string, stages: readonly string[], from?: ErrorLinesCheckpoint): ErrorLines {
    return new ErrorLines(file, stages, from?.tempPath ?? `${file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`, from);
  }

  /** After a crash at commit: finish the temp file if it is still there, else the rename happened (the file is kept). */
  static async finishFrom(file: string, stages: readonly string[], from: ErrorLinesCheckpoint): Promise<void> {
    if (existsSync(from.tempPath)) return ErrorLines.open(file, stages, from).commit();
    if (!existsSync(file) || statSync(file).size < from.bytes) {
      throw new PartProcessorError('RESUME_FAILED', `cannot finish ${file}: ${from.tempPath} is gone and ${file} is not the file it became`);
    }
  }

  write(record: { stage: string } & Record<string, unknown>): void {
    const line = Buffer.from(JSON.stringify(record) + '\n');
    let pos = 0;
    while (pos < line.length) pos += writeSync(this.fd, line, pos, line.length - pos, this.bytes + pos);
    this.bytes += line.length;
    this.count++;
  }

  checkpoint(): ErrorLinesCheckpoint {
    fsyncSync(this.fd);
    return { tempPath: this.tempPath, bytes: this.bytes, count: this.count };
  }

  /** Append the other stages' lines of the current file, sync, and rename over it. */
  async commit(): Promise<void> {
    if (existsSync(this.file)) {
      for await (const line of createInterface({ input: createReadStream(this.file, 'utf8'), crlfDelay: Infinity })) {
        if (line.trim() && !this.stages.includes(stageOf(line))) {
          const buf = Buffer.from(line + '\n');
          writeSync(this.fd, buf, 0, buf.length, this.bytes);
          this.bytes += buf.length;
        }
      }
    }
    fsyncSync(this.fd);
    closeSync(this.fd);
    renameSync(this.tempPath, this.file);
  }

  abort(): void {
    try {
      closeSync(this.fd);
    } catch {
      // closed already
    }
    rmSync(this.tempPath, { force: true });
  }
}

function stageOf(line: string): string {
  try {
    return String((JSON.parse(line) as { stage?: unknown }).stage);
  } catch {
    return '';
  }
}
