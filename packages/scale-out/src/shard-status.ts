import type { Queue } from 'bullmq';
import { readPartMeta, readPlan } from './shard-files.js';
import type { ShardPlanRecord } from './shard-files.js';
import type { ShardResult } from './shard-job.js';
import { shardStates } from './shard-queue.js';

export type ShardState = 'done' | 'running' | 'waiting' | 'retrying' | 'failed' | 'unknown';

export interface ShardStatusRow {
  id: string;
  images: number;
  state: ShardState;
  attempts: number;
  chips?: number;
  ms?: number;
  worker?: string;
  reason?: string;
  /** ms since the running attempt started */
  runningMs?: number;
}

export interface RunStatus {
  out: string;
  planId: string;
  mode: ShardPlanRecord['mode'];
  shards: ShardStatusRow[];
  counts: Record<ShardState, number>;
  images: { total: number; done: number };
  chips: number;
  /** Sum of finished shards' processing times, and their median. */
  shardMs: { sum: number; median: number };
  /** Wall clock from the first shard start to the last finish so far. */
  wallMs?: number;
  /** Redis could not be asked: states come from the part files only. */
  redisNote?: string;
}

/**
 * Progress of a sharded run: part files on the shared filesystem say which shards are done (that is the truth
 * `merge` uses); the queue, when reachable, adds running / waiting / failed states with reasons and attempts.
 */
export async function runStatus(out: string, queue?: Queue, redisNote?: string): Promise<RunStatus> {
  const plan = await readPlan(out);
  const metas = new Map<string, ShardResult>();
  for (const s of plan.shards) {
    const m = await readPartMeta(out, s.id);
    if (m && m.planId === plan.planId) metas.set(s.id, m);
  }
  let states: Awaited<ReturnType<typeof shardStates>> | undefined;
  let note = redisNote;
  if (queue && plan.mode === 'redis') {
    try {
      states = await shardStates(queue, plan.planId, plan.shards.map((s) => s.id));
    } catch (err) {
      note = `queue not readable (${(err as Error).message}): states from part files only`;
    }
  }
  const now = Date.now();
  let firstStart = Infinity;
  let lastFinish = 0;
  const rows: ShardStatusRow[] = plan.shards.map((s, i) => {
    const meta = metas.get(s.id);
    const q = states?.[i];
    if (q?.startedAt) firstStart = Math.min(firstStart, q.startedAt);
    if (q?.finishedAt) lastFinish = Math.max(lastFinish, q.finishedAt);
    const row: ShardStatusRow = { id: s.id, images: s.images, state: 'unknown', attempts: q?.attemptsMade ?? (meta ? meta.attempt : 0) };
    if (meta) Object.assign(row, { state: 'done', chips: meta.chips, ms: meta.ms.total, worker: meta.worker });
    else if (q) {
      if (q.state === 'active') Object.assign(row, { state: 'running', runningMs: q.startedAt ? now - q.startedAt : undefined });
      else if (q.state === 'failed') Object.assign(row, { state: 'failed', reason: q.failedReason });
      else if (q.state === 'delayed') Object.assign(row, { state: 'retrying', reason: q.failedReason });
      else if (q.state === 'waiting' || q.state === 'prioritized' || q.state === 'waiting-children') row.state = 'waiting';
      else if (q.state === 'completed') row.state = 'unknown'; // done in Redis but its part is not visible here
    } else if (!queue && plan.mode === 'static') row.state = 'waiting';
    return row;
  });
  const counts = { done: 0, running: 0, waiting: 0, retrying: 0, failed: 0, unknown: 0 } as Record<ShardState, number>;
  for (const r of rows) counts[r.state]++;
  const times = rows.filter((r) => r.ms !== undefined).map((r) => r.ms!).sort((a, b) => a - b);
  return {
    out,
    planId: plan.planId,
    mode: plan.mode,
    shards: rows,
    counts,
    images: { total: plan.images, done: rows.filter((r) => r.state === 'done').reduce((n, r) => n + r.images, 0) },
    chips: rows.reduce((n, r) => n + (r.chips ?? 0), 0),
    shardMs: { sum: times.reduce((a, b) => a + b, 0), median: times.length ? times[Math.floor(times.length / 2)] : 0 },
    wallMs: lastFinish > 0 && firstStart < Infinity ? lastFinish - firstStart : undefined,
    redisNote: note,
  };
}

/** Human-readable status: a summary line, then one line per shard that is not done (and the slowest done ones). */
export function formatStatus(st: RunStatus, options: { all?: boolean } = {}): string {
  const c = st.counts;
  const lines = [
    `${st.out}: ${st.shards.length} shards — ${c.done} done, ${c.running} running, ${c.waiting} waiting, ${c.retrying} retrying, ${c.failed} failed${c.unknown ? `, ${c.unknown} unknown` : ''}`,
    `images ${st.images.done}/${st.images.total}, chips ${st.chips}; shard time median ${(st.shardMs.median / 1000).toFixed(2)} s, sum ${(st.shardMs.sum / 1000).toFixed(1)} s${st.wallMs ? `, wall ${(st.wallMs / 1000).toFixed(1)} s` : ''}`,
  ];
  if (st.redisNote) lines.push(`note: ${st.redisNote}`);
  for (const r of st.shards) {
    if (r.state === 'done' && !options.all) continue;
    const extra =
      r.state === 'done' ? `${r.chips} chips, ${((r.ms ?? 0) / 1000).toFixed(2)} s on ${r.worker}` :
      r.state === 'running' ? `for ${(((r.runningMs ?? 0)) / 1000).toFixed(0)} s` :
      r.reason ? r.reason : '';
    lines.push(`  part-${r.id}  ${r.state.padEnd(8)} ${String(r.images).padStart(6)} images  attempts ${r.attempts}  ${extra}`.trimEnd());
  }
  if (c.done === st.shards.length) lines.push(`all shards done: "oidstream merge --out ${st.out}"`);
  return lines.join('\n');
}
