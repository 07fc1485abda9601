import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { counted, formatProgressLine, jsonLinesSink, Progress, type ProgressEvent } from './progress.js';

describe('progress', () => {
  it('emits start, throttled progress and end events with rate and ETA', async () => {
    const events: ProgressEvent[] = [];
    const progress = new Progress((e) => events.push(e), { intervalMs: 0 });
    const stage = progress.stage('chips', 'chips', 4);
    async function* items() {
      for (let i = 0; i < 4; i++) {
        await new Promise((r) => setTimeout(r, 5));
        yield i;
      }
    }
    const seen: number[] = [];
    for await (const x of counted(items(), stage)) seen.push(x);
    stage.end('done');
    expect(seen).toEqual([0, 1, 2, 3]);
    expect(events[0]).toMatchObject({ type: 'start', stage: 'chips', done: 0, total: 4 });
    expect(events.at(-1)).toMatchObject({ type: 'end', done: 4, status: 'done' });
    const mid = events.filter((e) => e.type === 'progress');
    expect(mid.length).toBe(4);
    expect(mid[1].rate).toBeGreaterThan(0);
    expect(mid[1].etaMs).toBeGreaterThanOrEqual(0);
    expect(formatProgressLine(mid[1])).toMatch(/^chips\s+\[#+-+\] 2\/4 chips .*ETA \d+s$/);
  });

  it('writes one parseable JSON line per event for --json', () => {
    const out = new PassThrough();
    const chunks: string[] = [];
    out.on('data', (c) => chunks.push(String(c)));
    const stage = new Progress(jsonLinesSink(out), { intervalMs: 1e9 }).stage('select', 'boxes');
    stage.add(10); // throttled away
    stage.end('done');
    const lines = chunks.join('').trim().split('\n').map((l) => JSON.parse(l) as { progress: ProgressEvent });
    expect(lines.map((l) => l.progress.type)).toEqual(['start', 'end']);
    expect(lines[1].progress.done).toBe(10);
  });
});
