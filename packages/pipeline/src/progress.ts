/**
 * Progress of the run's stages. Stages (or wrappers around their streams) report counts to a StageProgress; a sink
 * renders them: bars on a TTY, one JSON line per event with --json, or a line per stage start/end otherwise.
 */

export type ProgressEventType = 'start' | 'progress' | 'end';

export interface ProgressEvent {
  type: ProgressEventType;
  stage: string;
  unit: string;
  done: number;
  total?: number;
  /** units per second since the stage started */
  rate: number;
  etaMs?: number;
  elapsedMs: number;
  /** on 'end': done | skipped | reused | failed */
  status?: string;
  note?: string;
}

export type ProgressSink = (event: ProgressEvent) => void;

export interface ProgressOptions {
  /** Minimum ms between two 'progress' events of one stage. Default 200. */
  intervalMs?: number;
}

export class StageProgress {
  private doneCount = 0;
  private totalCount?: number;
  private readonly t0 = performance.now();
  private lastEmit = 0;
  private ended = false;

  constructor(readonly stage: string, readonly unit: string, private readonly sink: ProgressSink, private readonly intervalMs: number, total?: number) {
    this.totalCount = total;
    this.emit('start');
  }

  get done(): number {
    return this.doneCount;
  }

  add(n = 1): void {
    this.doneCount += n;
    this.maybeEmit();
  }

  /** For stages that report absolute counts (e.g. a callback with rows written so far). */
  set(done: number, total?: number): void {
    this.doneCount = done;
    if (total !== undefined) this.totalCount = total;
    this.maybeEmit();
  }

  setTotal(total: number): void {
    this.totalCount = total;
  }

  /** A progress event now, with a note on where the stage is. */
  note(note: string): void {
    this.lastEmit = performance.now();
    this.emit('progress', undefined, note);
  }

  end(status = 'done', note?: string): void {
    if (this.ended) return;
    this.ended = true;
    this.emit('end', status, note);
  }

  private maybeEmit(): void {
    const now = performance.now();
    if (now - this.lastEmit < this.intervalMs) return;
    this.lastEmit = now;
    this.emit('progress');
  }

  private emit(type: ProgressEventType, status?: string, note?: string): void {
    const elapsedMs = performance.now() - this.t0;
    const rate = elapsedMs > 0 ? (this.doneCount * 1000) / elapsedMs : 0;
    const left = this.totalCount !== undefined ? this.totalCount - this.doneCount : undefined;
    const etaMs = left !== undefined && rate > 0 && type !== 'end' ? (Math.max(0, left) / rate) * 1000 : undefined;
    this.sink({
      type, stage: this.stage, unit: this.unit, done: this.doneCount, total: this.totalCount,
      rate: Math.round(rate * 10) / 10, etaMs: etaMs !== undefined ? Math.round(etaMs) : undefined, elapsedMs: Math.round(elapsedMs),
      ...(status ? { status } : {}), ...(note ? { note } : {}),
    });
  }
}

export class Progress {
  private readonly intervalMs: number;
  constructor(private readonly sink: ProgressSink, options: ProgressOptions = {}) {
    this.intervalMs = options.intervalMs ?? 200;
  }

  stage(name: string, unit: string, total?: number): StageProgress {
    return new StageProgress(name, unit, this.sink, this.intervalMs, total);
  }
}

/**
 * A Progress to hand to a stage function that reports on its own: its counts flow into `into` (the run's bar for
 * that stage); its own start/end events are dropped, the run emits those.
 */
export function forwardTo(into: StageProgress): Progress {
  return new Progress((e) => {
    if (e.type === 'progress') into.set(e.done, e.total);
  }, { intervalMs: 0 });
}

/**
 * The stage a step reports to: a new stage of a command's Progress, or the StageProgress a run already opened for it.
 */
export function stageOf(progress: Progress | StageProgress | undefined, name: string, unit: string, total?: number): StageProgress | undefined {
  if (progress instanceof Progress) return progress.stage(name, unit, total);
  if (total !== undefined) progress?.setTotal(total);
  return progress;
}

/** Passes an async iterable through, counting items (or `weigh(item)` units) on the stage's progress. */
export async function* counted<T>(source: AsyncIterable<T>, progress: StageProgress, weigh: (item: T) => number = () => 1): AsyncGenerator<T> {
  for await (const item of source) {
    progress.add(weigh(item));
    yield item;
  }
}

function fmtDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** One line of text for an event: `chips      [#####-----]  512/1024 chips  203.1/s  ETA 3s`. */
export function formatProgressLine(e: ProgressEvent, width = 24): string {
  const name = e.stage.padEnd(9);
  let bar: string;
  if (e.total !== undefined && e.total > 0) {
    const filled = Math.min(width, Math.round((e.done / e.total) * width));
    bar = `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${e.done}/${e.total} ${e.unit}`;
  } else {
    bar = `${e.done} ${e.unit}`;
  }
  const rate = e.rate > 0 && e.status !== 'reused' && e.status !== 'skipped' ? `  ${e.rate}/s` : '';
  const tail = e.type === 'end' ? `  ${e.status ?? 'done'} in ${fmtDuration(e.elapsedMs)}${e.note ? ` (${e.note})` : ''}` : e.etaMs !== undefined ? `  ETA ${fmtDuration(e.etaMs)}` : '';
  return `${name} ${bar}${rate}${tail}`;
}

/** One JSON line per event (for --json; a machine reads it). */
export function jsonLinesSink(stream: NodeJS.WritableStream = process.stdout): ProgressSink {
  return (e) => {
    stream.write(JSON.stringify({ progress: e }) + '\n');
  };
}

/** Not a TTY and no --json: a line when a stage starts and when it ends, nothing in between. */
export function plainSink(stream: NodeJS.WritableStream = process.stderr): ProgressSink {
  return (e) => {
    if (e.type === 'start') stream.write(`${e.stage}: started\n`);
    if (e.type === 'end') stream.write(`${formatProgressLine(e)}\n`);
  };
}

/** A bar per stage, redrawn in place: finished stages stay as lines above the current one. */
export function ttySink(stream: NodeJS.WriteStream = process.stderr): ProgressSink {
  let liveLine = false;
  return (e) => {
    const line = formatProgressLine(e);
    if (liveLine) stream.write('\r\x1b[2K');
    if (e.type === 'end') {
      stream.write(`${line}\n`);
      liveLine = false;
    } else {
      stream.write(line.slice(0, Math.max(20, (stream.columns ?? 100) - 1)));
      liveLine = true;
    }
  };
}

/** Picks the sink for a CLI command. */
export function cliProgressSink(json: boolean): ProgressSink {
  if (json) return jsonLinesSink(process.stdout);
  return process.stderr.isTTY ? ttySink(process.stderr) : plainSink(process.stderr);
}
