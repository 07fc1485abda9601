// One benchmark download in its own process, so its peak RSS is the downloader's alone. Options: a JSON file named by argv[2].
import { readFileSync } from 'node:fs';
import { downloadImages } from '../src/download.js';
import type { DownloadOptions } from '../src/options.js';

function peakRssBytes(): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) * 1024 : process.memoryUsage().rss;
}

const options = JSON.parse(readFileSync(process.argv[2], 'utf8')) as DownloadOptions;
const t0 = performance.now();
let fetchEndMs = 0;
// RSS while fetching, to see whether it plateaus: [images done, rss MiB] once a second.
const rssTrace: Array<[number, number]> = [];
const summary = await downloadImages({
  ...options,
  onProgress: (e) => {
    if (e.phase === 'fetch') rssTrace.push([e.done, Math.round(process.memoryUsage().rss / 2 ** 20)]);
    if (e.phase === 'finish' && !fetchEndMs) fetchEndMs = performance.now() - t0;
  },
  progressIntervalMs: 1000,
});
const totalMs = performance.now() - t0;
process.stdout.write(JSON.stringify({ summary, totalMs, fetchMs: fetchEndMs, peakRss: peakRssBytes(), rssTrace }) + '\n');
