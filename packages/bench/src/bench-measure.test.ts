import { describe, expect, it } from 'vitest';
import { cpuTimes, median, StageClock, stealPct, type BenchRow } from './bench-measure.js';
import { formatRatios, issue11Ratios } from './bench-ratios.js';
import { CUT_DONE_NOTE } from '@oidstream/pipeline';

const row = (stage: string, who: string, units: number, ms: number, extra: Partial<BenchRow> = {}): BenchRow => ({ scale: 10, stage, who, units, unit: 'x', ms, ...extra });

describe('bench measures', () => {
  it('times a stage after its load and warm-up, from its own progress events', async () => {
    const clock = new StageClock('chips', 3);
    await new Promise((r) => setTimeout(r, 30)); // "load"
    const stage = clock.progress.stage('chips', 'boxes');
    for (let i = 0; i < 3; i++) stage.add(1); // warm-up
    await new Promise((r) => setTimeout(r, 40));
    for (let i = 0; i < 7; i++) stage.add(1);
    stage.end();
    const m = clock.measure('chips');
    expect(m.units).toBe(7);
    expect(m.loadMs).toBeGreaterThanOrEqual(25);
    expect(m.ms).toBeGreaterThanOrEqual(35);
    expect(m.ms).toBeLessThan(m.loadMs! + 1000);
  });

  it("times run's steady state: from the warm-up to the last box cut (the pipeline full), not its drain", async () => {
    const clock = new StageClock('chips', 2);
    const stage = clock.progress.stage('chips', 'boxes');
    stage.add(2); // warm-up
    await new Promise((r) => setTimeout(r, 30));
    stage.add(5);
    stage.note(CUT_DONE_NOTE);
    await new Promise((r) => setTimeout(r, 60)); // the drain: chips cut before the window, classified now
    stage.add(3);
    stage.end();
    const m = clock.steady('chips')!;
    expect([m.units, m.ms >= 25 && m.ms < 55, clock.doneAtEnd]).toEqual([5, true, 10]);
    expect(new StageClock('chips', 2).steady('chips')).toBeUndefined();
  });

  it('median of odd and even counts', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });

  it('gives issue 11 ratios: ours ÷ peer, with the run composite 1/(1/PIL2 + 1/bare)', () => {
    const rows = [
      row('chips', 'oidstream', 100, 1000), row('chips', 'PIL pool of 2', 200, 1000),
      row('classify', 'oidstream', 70, 1000), row('classify', 'bare predict loop', 300, 1000), row('classify', 'PyTorch', 100, 1000),
      row('run', 'oidstream', 60, 1000, { whole: { units: 50, ms: 1000 } }),
      row('select', 'oidstream command', 5, 2000, { wallMs: 2000 }), row('select', 'DuckDB command', 5, 1000, { wallMs: 1000 }),
      { ...row('help', 'oidstream --help', 1, 500, { wallMs: 500 }), scale: 0 },
    ];
    const r = Object.fromEntries(issue11Ratios(rows, 10).map((x) => [x.what, x.ratio]));
    expect(r['chips stage']).toBeCloseTo(0.5, 10);
    expect(r['classify stage']).toBeCloseTo(70 / 300, 10);
    expect(r['run, chips + classify']).toBeCloseTo(60 / (1 / (1 / 200 + 1 / 300)), 10);
    expect(r['run, whole pass (fill and drain too)']).toBeCloseTo(50 / (1 / (1 / 200 + 1 / 300)), 10);
    expect(r['select, whole command']).toBeCloseTo(0.5, 10);
    expect(r['`oidstream --help`']).toBeCloseTo(0.5, 10);
    expect(r['bare model loop vs PyTorch (MobileNet v1 α=0.75)']).toBeCloseTo(3, 10);
  });

  it('gives the scale-free lines (slowest command --help, ResNet50 at batch 1) and peak RSS of run within and across scales', () => {
    const rows = [
      { ...row('help', 'oidstream --help', 1, 200, { wallMs: 200 }), scale: 0 },
      { ...row('help', 'oidstream run --help', 1, 500, { wallMs: 500 }), scale: 0 },
      { ...row('help', 'oidstream chips --help', 1, 100, { wallMs: 100 }), scale: 0 },
      { ...row('resnet50-b1', 'oidstream onnx', 10, 800), scale: 0 },
      { ...row('resnet50-b1', 'PyTorch jit.freeze', 10, 600), scale: 0 },
      row('run', 'oidstream', 60, 1000, { maxRssMb: 600 }),
      { ...row('run', 'oidstream', 600, 10_000, { maxRssMb: 720 }), scale: 100 },
    ];
    const small = issue11Ratios(rows, 10, 10);
    const large = Object.fromEntries(issue11Ratios(rows, 100, 10).map((x) => [x.what, x]));
    expect(small.map((x) => x.what)).not.toContain('peak RSS of run, 10 ÷ 10 images');
    expect(large['`oidstream --help`']?.ratio).toBeCloseTo(250 / 200, 10);
    expect(large['`oidstream <command> --help`, slowest: run']?.ratio).toBeCloseTo(0.5, 10);
    expect(large['ResNet50 at batch 1 vs PyTorch jit.freeze']?.ratio).toBeCloseTo(60 / 80, 10);
    expect(large['peak RSS of run at 100 images']?.ratio).toBeCloseTo(1024 / 720, 10);
    expect(large['peak RSS of run, 100 ÷ 10 images']).toMatchObject({ ratio: 1.2, target: 1.1, atMost: true });
    expect(formatRatios(Object.values(large)).find((l) => l.includes('100 ÷ 10'))).toContain('(target ≤ 1.1)');
  });
});

describe('steal', () => {
  it('is the share of all CPU time the hypervisor took between two /proc/stat readings', () => {
    expect(stealPct({ steal: 50, total: 1000 }, { steal: 80, total: 1200 })).toBe(15);
    expect(stealPct(undefined, { steal: 1, total: 2 })).toBeUndefined();
    expect(stealPct({ steal: 1, total: 2 }, { steal: 1, total: 2 })).toBeUndefined();
    const now = cpuTimes();
    if (process.platform === 'linux') expect(now!.total).toBeGreaterThan(now!.steal);
    else expect(now).toBeUndefined();
  });
});
