import { median, perSecond, type BenchRow } from './bench-measure.js';

/** One line of issue 11's table: our figure, the best peer's, and ours ÷ peer (≥ 1 means we are at least as fast). */
export interface BenchRatio {
  what: string;
  ours: string;
  peer: string;
  ratio: number;
  target: number;
}

const fmt = (x: number, unit: string): string => `${x >= 100 ? x.toFixed(0) : x.toFixed(1)} ${unit}`;

function find(rows: readonly BenchRow[], scale: number, stage: string, who: string): BenchRow | undefined {
  return rows.find((r) => r.scale === scale && r.stage === stage && r.who === who && !r.skipped);
}

/** Issue 11's table at one scale, from the bench rows (missing peers leave their line out). */
export function issue11Ratios(rows: readonly BenchRow[], scale: number): BenchRatio[] {
  const out: BenchRatio[] = [];
  const r = (stage: string, who: string) => find(rows, scale, stage, who);
  const chips = r('chips', 'oidstream');
  const pil2 = r('chips', 'PIL pool of 2');
  if (chips && pil2) out.push({ what: 'chips stage', ours: fmt(perSecond(chips), 'chips/s'), peer: `PIL crop, pool of 2: ${fmt(perSecond(pil2), 'chips/s')}`, ratio: perSecond(chips) / perSecond(pil2), target: 1 });
  const cls = r('classify', 'oidstream');
  const bare = r('classify', 'bare predict loop');
  if (cls && bare) out.push({ what: 'classify stage', ours: fmt(perSecond(cls), 'chips/s'), peer: `bare model loop: ${fmt(perSecond(bare), 'img/s')}`, ratio: perSecond(cls) / perSecond(bare), target: 0.7 });
  const run = r('run', 'oidstream');
  if (run && pil2 && bare) {
    const limit = 1 / (1 / perSecond(pil2) + 1 / perSecond(bare));
    out.push({ what: 'run, chips + classify', ours: fmt(perSecond(run), 'chips/s'), peer: `1/(1/PIL2 + 1/bare) = ${fmt(limit, 'chips/s')}`, ratio: perSecond(run) / limit, target: 0.9 });
  }
  const sel = r('select', 'oidstream command');
  const duck = r('select', 'DuckDB command');
  if (sel?.wallMs && duck?.wallMs) out.push({ what: 'select, whole command', ours: `${(sel.wallMs / 1000).toFixed(2)} s`, peer: `DuckDB read_csv → Parquet: ${(duck.wallMs / 1000).toFixed(2)} s`, ratio: duck.wallMs / sel.wallMs, target: 1 });
  const help = rows.find((x) => x.stage === 'help' && !x.skipped);
  if (help?.wallMs) out.push({ what: '`oidstream --help`', ours: `${(help.wallMs / 1000).toFixed(2)} s`, peer: 'target 0.25 s', ratio: 250 / help.wallMs, target: 1 });
  const torch = r('classify', 'PyTorch');
  if (bare && torch) out.push({ what: 'bare model loop vs PyTorch (MobileNet v1 α=0.75)', ours: fmt(perSecond(bare), 'img/s'), peer: `PyTorch: ${fmt(perSecond(torch), 'img/s')}`, ratio: perSecond(bare) / perSecond(torch), target: 1 });
  return out;
}

export function formatRatios(ratios: readonly BenchRatio[]): string[] {
  return ratios.map((x) => `  ${x.what.padEnd(46)} ${x.ours.padEnd(14)} ${x.peer.padEnd(44)} ${x.ratio.toFixed(2)}× (target ≥ ${x.target})`);
}

/** Median over runs of a row's rate, and its spread, for the printed line. */
export function spread(rates: readonly number[]): string {
  if (rates.length < 2) return '';
  return `(runs ${rates.map((x) => x.toFixed(x >= 100 ? 0 : 1)).join(', ')}; median ${median(rates).toFixed(1)})`;
}
