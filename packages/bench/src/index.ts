// `oidstream bench`: every stage beside its peers, each measurement in a child process of its own
export { runBench, benchChild } from './bench.js';
export type { BenchOptions, BenchResult } from './bench.js';
export { runBenchTask } from './bench-tasks.js';
export type { BenchTask } from './bench-tasks.js';
export { StageClock, median, perSecond, rate } from './bench-measure.js';
export type { BenchMeasure, BenchRow } from './bench-measure.js';
export { issue11Ratios, formatRatios } from './bench-ratios.js';
export type { BenchRatio } from './bench-ratios.js';
export { BenchError } from './errors.js';
export type { BenchErrorCode } from './errors.js';
