/**
 * Memory over time of `oidstream chips` (the pipeline's chipsStage): one line per second on stderr
 * (RSS, JS heap, external and ArrayBuffer memory), to check that memory stays flat as images stream through.
 * Run from the repo root on data made by chips-bench.ts, e.g.
 *   D=/tmp/oidstream-chips-bench/n10000
 *   NODE_OPTIONS=--conditions=@oidstream/source npx tsx packages/chip-extract/bench/chips-memory.ts $D/boxes.parquet $D/images.parquet $D/out-mem
 * Prefix MALLOC_ARENA_MAX=2 to compare glibc arena settings.
 */
const timer = setInterval(() => {
  const m = process.memoryUsage();
  const mb = (v: number) => (v / 1e6).toFixed(0);
  process.stderr.write(`rss ${mb(m.rss)} MB  heap ${mb(m.heapUsed)}/${mb(m.heapTotal)} MB  external ${mb(m.external)} MB  arrayBuffers ${mb(m.arrayBuffers)} MB\n`);
}, 1000);
timer.unref();
await import('./variant-chips.js');
