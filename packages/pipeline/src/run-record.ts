import { writeFileAtomic } from './atomic-write.js';
import type { RunRecord, StageRecord, StageStatus } from '@oidstream/report';
import { collectVersions } from './versions.js';

// run.json's types and reader live in @oidstream/report (it reads run directories); the writer is here.
export { readRunRecord } from '@oidstream/report';
export type { ClassificationStatus, RunRecord, StageRecord, StageStatus } from '@oidstream/report';

/** Keeps run.json current: rewritten atomically on every stage change, so a killed run still shows how far it got. */
export class RunRecorder {
  readonly record: RunRecord;
  private readonly t0 = performance.now();
  private rssTimer?: NodeJS.Timeout;
  private readonly stageT0 = new Map<StageRecord, number>();

  constructor(readonly file: string, args: Record<string, unknown>, previous?: RunRecord) {
    this.record = {
      tool: 'oidstream',
      status: 'running',
      startedAt: new Date().toISOString(),
      args,
      versions: collectVersions(),
      models: [],
      classification: { status: 'pending' },
      stages: [],
      counts: {},
      errors: { total: 0, byStage: {} },
      peakRssBytes: process.memoryUsage().rss,
      // a resumed run whose classify parts are all reused loads no model: the backend is the earlier run's
      ...(previous?.backend ? { backend: previous.backend } : {}),
      ...(previous?.slowest ? { slowest: previous.slowest } : {}),
      ...(previous?.int8 ? { int8: previous.int8 } : {}),
      resumes: previous ? previous.resumes + (previous.status === 'done' ? 0 : 1) : 0,
    };
    // RSS is sampled while the run is alive; the unref'd timer never keeps the process up.
    this.rssTimer = setInterval(() => this.sampleRss(), 250);
    this.rssTimer.unref();
  }

  sampleRss(): void {
    const rss = process.memoryUsage().rss;
    if (rss > this.record.peakRssBytes) this.record.peakRssBytes = rss;
  }

  async stageStart(name: string): Promise<StageRecord> {
    const stage: StageRecord = { name, status: 'running', startedAt: new Date().toISOString(), ms: 0, counts: {} };
    this.record.stages = this.record.stages.filter((s) => s.name !== name);
    this.record.stages.push(stage);
    this.stageT0.set(stage, performance.now());
    await this.save();
    return stage;
  }

  async stageEnd(stage: StageRecord, status: StageStatus, counts: Record<string, number> = {}, note?: string): Promise<void> {
    stage.status = status;
    stage.ms = Math.round(performance.now() - (this.stageT0.get(stage) ?? performance.now()));
    stage.counts = { ...stage.counts, ...counts };
    if (note) stage.note = note;
    this.sampleRss();
    await this.save();
  }

  addErrors(stage: string, n: number): void {
    if (n <= 0) return;
    this.record.errors.total += n;
    this.record.errors.byStage[stage] = (this.record.errors.byStage[stage] ?? 0) + n;
  }

  async finish(status: 'done' | 'failed', failure?: string): Promise<void> {
    if (this.rssTimer) clearInterval(this.rssTimer);
    this.sampleRss();
    this.record.status = status;
    this.record.finishedAt = new Date().toISOString();
    this.record.ms = Math.round(performance.now() - this.t0);
    if (failure) this.record.failure = failure;
    await this.save();
  }

  async save(): Promise<void> {
    await writeFileAtomic(this.file, JSON.stringify(this.record, null, 2) + '\n');
  }
}
