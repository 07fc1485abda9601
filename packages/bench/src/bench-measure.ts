import { readFileSync } from 'node:fs';
import { CUT_DONE_NOTE, Progress, type ProgressSink } from '@oidstream/pipeline';

/**
 * One timed piece of work: `units` in `ms`, timed after load and warm-up; `loadMs` is the load (imports excluded:
 * model load + compile, process pool, database instance) reported on its own; `bytes` for scans.
 */
export interface BenchMeasure {
  units: number;
  unit: string;
  ms: number;
  loadMs?: number;
  bytes?: number;
  note?: string;
  /** rows the work wrote, to compare sides that should produce the same output */
  outputRows?: number;
  /** run: its whole chips + classify pass (pipeline fill and drain included, model load not), beside the steady figure */
  whole?: { units: number; ms: number };
}

export interface BenchRow extends BenchMeasure {
  scale: number;
  stage: string;
  who: string;
  /** runs behind the median */
  runs?: number;
  /** every run's units/s, in order */
  rates?: number[];
  /** 1-minute load average at the start of each run */
  loadAvg?: number[];
  /** % of the machine's CPU time the hypervisor gave to others (steal, /proc/stat) during each run; Linux only */
  stealPct?: number[];
  /** wall time of the whole child process (start, imports, load, work), median */
  wallMs?: number;
  /** peak RSS of the process that did the work (each run is a child process of its own), median */
  maxRssMb?: number;
  skipped?: string;
}

/** The CPU times of /proc/stat's first line (user … steal), or undefined off Linux. */
export function cpuTimes(): { steal: number; total: number } | undefined {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1, 9).map(Number);
    return { steal: f[7], total: f.reduce((a, b) => a + b, 0) };
  } catch {
    return undefined;
  }
}

/** Steal between two cpuTimes() readings, in % of all CPU time. */
export function stealPct(a: ReturnType<typeof cpuTimes>, b: ReturnType<typeof cpuTimes>): number | undefined {
  return a && b && b.total > a.total ? Math.round((1000 * (b.steal - a.steal)) / (b.total - a.total)) / 10 : undefined;
}

export function perSecond(m: Pick<BenchMeasure, 'units' | 'ms'>): number {
  return m.ms > 0 ? (m.units * 1000) / m.ms : 0;
}

export function rate(m: BenchMeasure): string {
  if (m.ms <= 0) return '—';
  const perS = perSecond(m);
  const r = `${perS >= 100 ? perS.toFixed(0) : perS.toFixed(1)} ${m.unit}/s`;
  return m.bytes ? `${r}, ${((m.bytes / 2 ** 20) * 1000 / m.ms).toFixed(1)} MB/s` : r;
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/**
 * A Progress that timestamps a stage: when it starts (its models/inputs are loaded), when `warmUnits` are done (the
 * warm-up: first batch, first images), and when it ends. `measure()` gives the steady rate after warm-up.
 */
export class StageClock {
  private t0 = performance.now();
  private started?: number;
  private warm?: { t: number; done: number };
  private ended?: { t: number; done: number };
  private cutDone?: { t: number; done: number };
  /** For a whole run (runPipeline's `progress`): events of other stages are ignored. */
  readonly sink: ProgressSink = (e) => {
    if (e.stage !== this.stageName) return;
    const t = performance.now();
    if (e.type === 'start') this.started = t;
    if (e.done >= this.warmUnits && !this.warm && e.type !== 'end') this.warm = { t, done: e.done };
    if (e.type === 'end') this.ended = { t, done: e.done };
    if (e.note === CUT_DONE_NOTE) this.cutDone = { t, done: e.done };
  };
  /** For a stage function (chipsStage, classifyStage). */
  readonly progress = new Progress(this.sink, { intervalMs: 0 });

  constructor(private readonly stageName: string, private readonly warmUnits: number) {}

  /** Units done when the stage ended. */
  get doneAtEnd(): number {
    return this.ended?.done ?? 0;
  }

  reset(): void {
    this.t0 = performance.now();
  }

  /**
   * Run's chips + classify pass in steady state: from the warm-up (2 batches classified; the pipeline is full, ~96
   * chips cut ahead) to the last box cut. In between, chips are cut and classified at one pace; after it only chips
   * cut before the window are left to classify (counting them would credit cutting that was never timed).
   * Undefined when the pass is too short to have such a window.
   */
  steady(unit: string): BenchMeasure | undefined {
    const { warm, cutDone: last } = this;
    if (!this.started || !warm || !last || last.done <= warm.done) return undefined;
    return { units: last.done - warm.done, unit, ms: last.t - warm.t, loadMs: this.started - this.t0, note: `steady: from ${warm.done} to ${last.done} ${unit} done (the last box cut)` };
  }

  measure(unit: string): BenchMeasure {
    if (!this.started || !this.ended) throw new Error(`stage ${this.stageName} reported no start/end`);
    const loadMs = this.started - this.t0;
    if (!this.warm || this.ended.done <= this.warm.done) {
      // too little work for a warm-up: the whole stage after load
      return { units: this.ended.done, unit, ms: this.ended.t - this.started, loadMs, note: 'no warm-up (too few units)' };
    }
    return { units: this.ended.done - this.warm.done, unit, ms: this.ended.t - this.warm.t, loadMs, note: `after ${this.warm.done} warm-up ${unit}` };
  }
}
