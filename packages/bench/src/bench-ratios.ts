import { median, perSecond, type BenchRow } from './bench-measure.js';

/**
 * One line of issue 11's table: our figure, the best peer's (or the limit), and ours ÷ peer: ≥ target is met, or
 * ≤ target when `atMost` (peak RSS growth from the small to the large scale).
 */
export interface BenchRatio {
  what: string;
  ours: string;
  peer: string;
  ratio: number;
  /** none: shown beside a figure that has one */
  target?: number;
  atMost?: boolean;
}

const GB_MB = 1024;

const fmt = (x: number, unit: string): string => `${x >= 100 ? x.toFixed(0) : x.toFixed(1)} ${unit}`;

function find(rows: readonly BenchRow[], scale: number, stage: string, who: string): BenchRow | undefined {
  return rows.find((r) => r.scale === scale && r.stage === stage && r.who === who && !r.skipped);
}

/**
 * Issue 11's table at one scale, from the bench rows (missing peers leave their line out); the scale-free lines
 * (`--help`, ResNet50 at batch 1) come with every scale, and peak RSS growth from scale `from` when it differs.
 */
export function issue11Ratios(rows: readonly BenchRow[], scale: number, from?: number): BenchRatio[] {
  const out: BenchRatio[] = [];
  const r = (stage: string, who: string) => find(rows, scale, stage, who);
  const chips = r('chips', 'oidstream');
  const pil2 = r('chips', 'PIL pool of 2');
  if (chips && pil2) out.push({ what: 'chips stage', ours: fmt(perSecond(chips), 'chips/s'), peer: `PIL crop, pool of 2: ${fmt(perSecond(pil2), 'chips/s')}`, ratio: perSecond(chips) / perSecond(pil2), target: 1 });
  // the same work as the peer, which writes no files: encoded chips (ours still into chips.parquet)
  const noFiles = r('chips', 'oidstream, no chip files');
  if (noFiles && pil2) out.push({ what: 'chips stage, no chip files', ours: fmt(perSecond(noFiles), 'chips/s'), peer: `PIL crop, pool of 2: ${fmt(perSecond(pil2), 'chips/s')}`, ratio: perSecond(noFiles) / perSecond(pil2), target: 1 });
  const cls = r('classify', 'oidstream');
  const bare = r('classify', 'bare predict loop');
  if (cls && bare) out.push({ what: 'classify stage', ours: fmt(perSecond(cls), 'chips/s'), peer: `bare model loop: ${fmt(perSecond(bare), 'img/s')}`, ratio: perSecond(cls) / perSecond(bare), target: 0.7 });
  const run = r('run', 'oidstream');
  if (run && pil2 && bare) {
    const limit = 1 / (1 / perSecond(pil2) + 1 / perSecond(bare));
    out.push({ what: 'run, chips + classify', ours: fmt(perSecond(run), 'chips/s'), peer: `1/(1/PIL2 + 1/bare) = ${fmt(limit, 'chips/s')}`, ratio: perSecond(run) / limit, target: 0.9 });
    if (run.whole) out.push({ what: 'run, whole pass (fill and drain too)', ours: fmt(perSecond(run.whole), 'chips/s'), peer: `1/(1/PIL2 + 1/bare) = ${fmt(limit, 'chips/s')}`, ratio: perSecond(run.whole) / limit });
  }
  const sel = r('select', 'oidstream command');
  const duck = r('select', 'DuckDB command');
  if (sel?.wallMs && duck?.wallMs) out.push({ what: 'select, whole command', ours: `${(sel.wallMs / 1000).toFixed(2)} s`, peer: `DuckDB read_csv → Parquet: ${(duck.wallMs / 1000).toFixed(2)} s`, ratio: duck.wallMs / sel.wallMs, target: 1 });
  out.push(...helpRatios(rows), ...resnetRatio(rows), ...rssRatios(rows, scale, from));
  const torch = r('classify', 'PyTorch');
  if (bare && torch) out.push({ what: 'bare model loop vs PyTorch (MobileNet v1 α=0.75)', ours: fmt(perSecond(bare), 'img/s'), peer: `PyTorch: ${fmt(perSecond(torch), 'img/s')}`, ratio: perSecond(bare) / perSecond(torch), target: 1 });
  return out;
}

/** ResNet50 at batch 1, ms/img: PyTorch jit.freeze ÷ ours (scale-free rows). */
function resnetRatio(rows: readonly BenchRow[]): BenchRatio[] {
  const ours = find(rows, 0, 'resnet50-b1', 'oidstream onnx');
  const torch = find(rows, 0, 'resnet50-b1', 'PyTorch jit.freeze');
  if (!ours || !torch) return [];
  const ms = (m: BenchRow) => m.ms / m.units;
  return [{ what: 'ResNet50 at batch 1 vs PyTorch jit.freeze', ours: `${ms(ours).toFixed(1)} ms/img`, peer: `PyTorch: ${ms(torch).toFixed(1)} ms/img`, ratio: ms(torch) / ms(ours), target: 1 }];
}

/** Peak RSS of `run` under 1 GB at this scale, and at most 1.1× the one at scale `from`. */
function rssRatios(rows: readonly BenchRow[], scale: number, from: number | undefined): BenchRatio[] {
  const rss = find(rows, scale, 'run', 'oidstream')?.maxRssMb;
  if (!rss) return [];
  const out: BenchRatio[] = [{ what: `peak RSS of run at ${scale} images`, ours: `${rss.toFixed(0)} MB`, peer: `limit ${GB_MB} MB`, ratio: GB_MB / rss, target: 1 }];
  const small = from !== undefined && from !== scale ? find(rows, from, 'run', 'oidstream')?.maxRssMb : undefined;
  if (small) out.push({ what: `peak RSS of run, ${scale} ÷ ${from} images`, ours: `${rss.toFixed(0)} MB`, peer: `${small.toFixed(0)} MB at ${from} images`, ratio: rss / small, target: 1.1, atMost: true });
  return out;
}

/** `oidstream --help`, and the slowest `oidstream <command> --help`, against issue 11's 0.25 s. */
function helpRatios(rows: readonly BenchRow[]): BenchRatio[] {
  const help = rows.filter((x) => x.stage === 'help' && !x.skipped && x.wallMs);
  const top = help.find((x) => x.who === 'oidstream --help');
  const slowest = help.filter((x) => x !== top).sort((a, b) => b.wallMs! - a.wallMs!)[0];
  const line = (what: string, x: BenchRow): BenchRatio => ({ what, ours: `${(x.wallMs! / 1000).toFixed(2)} s`, peer: 'target 0.25 s', ratio: 250 / x.wallMs!, target: 1 });
  return [
    ...(top ? [line('`oidstream --help`', top)] : []),
    ...(slowest ? [line(`\`oidstream <command> --help\`, slowest: ${slowest.who.split(' ')[1]}`, slowest)] : []),
  ];
}

export function formatRatios(ratios: readonly BenchRatio[]): string[] {
  return ratios.map((x) => `  ${x.what.padEnd(46)} ${x.ours.padEnd(14)} ${x.peer.padEnd(44)} ${x.ratio.toFixed(2)}×${x.target === undefined ? '' : ` (target ${x.atMost ? '≤' : '≥'} ${x.target})`}`);
}

/** Median over runs of a row's rate, and its spread, for the printed line. */
export function spread(rates: readonly number[]): string {
  if (rates.length < 2) return '';
  return `(runs ${rates.map((x) => x.toFixed(x >= 100 ? 0 : 1)).join(', ')}; median ${median(rates).toFixed(1)})`;
}
