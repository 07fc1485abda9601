/** One timed piece of work: how many units in how long (and over how many input bytes, for scans). */
export interface BenchMeasure {
  units: number;
  unit: string;
  ms: number;
  bytes?: number;
  note?: string;
}

export interface BenchRow extends BenchMeasure {
  scale: number;
  stage: string;
  who: string;
  /** peak RSS of the process that did the work (each measure runs in its own child process) */
  maxRssMb?: number;
  skipped?: string;
}

export function rate(m: BenchMeasure): string {
  if (m.ms <= 0) return '—';
  const perS = (m.units * 1000) / m.ms;
  const r = `${perS >= 100 ? perS.toFixed(0) : perS.toFixed(1)} ${m.unit}/s`;
  return m.bytes ? `${r}, ${((m.bytes / 2 ** 20) * 1000 / m.ms).toFixed(1)} MB/s` : r;
}
