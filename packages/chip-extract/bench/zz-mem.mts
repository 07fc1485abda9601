const t = setInterval(() => {
  const m = process.memoryUsage();
  console.error(`rss ${(m.rss / 1e6).toFixed(0)} heap ${(m.heapUsed / 1e6).toFixed(0)}/${(m.heapTotal / 1e6).toFixed(0)} ext ${(m.external / 1e6).toFixed(0)} ab ${(m.arrayBuffers / 1e6).toFixed(0)}`);
}, 1000);
t.unref();
await import('./variant-chips.ts');
