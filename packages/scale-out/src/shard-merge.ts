import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import writeFileAtomic from 'write-file-atomic';
import path from 'node:path';
import { acquireOutputLock, outputLockPath, ParquetFileWriter, parquetColumns, readParquetRows } from '@oidstream/parquet-io';
import type { ColumnSpec } from '@oidstream/parquet-io';
import { ScaleOutError } from './errors.js';
import { listPartFiles, partErrorsPath, partPath, partsDir, readPartMeta, readPlan } from './shard-files.js';
import type { ShardResult } from './shard-job.js';

/** Prediction columns of a part: the keys and each model's `<model>_label|_wnid|_score|_top5`. */
export function predictionColumns(columns: readonly ColumnSpec[], modelNames: readonly string[]): ColumnSpec[] {
  if (!modelNames.length) return [];
  const keys = ['chip_id', 'ImageID', 'LabelName', 'DisplayName'];
  const suffixes = ['_label', '_wnid', '_score', '_top5'];
  // keras-models' predictionColumnSpecs, without loading an inference engine into the merge
  const modelCols = new Set([...modelNames.flatMap((m) => suffixes.map((s) => m + s)), 'classify_error']);
  return [...keys.map((k) => columns.find((c) => c.name === k)).filter((c): c is ColumnSpec => !!c), ...columns.filter((c) => modelCols.has(c.name))];
}

export interface MergeOptions {
  /** Only list the parts (the directory is already the dataset); do not write chips.parquet / predictions.parquet. */
  list?: boolean;
  /** Rows per row group of the merged files (default: parquet-io's, bounded by bytes). */
  rowGroupRows?: number;
  onProgress?: (done: { parts: number; rows: number }) => void;
  /** Take OUT's lock (`OUT/.oidstream.lock`, shared with `oidstream run`) while merging (default true). */
  lock?: boolean;
  /** Told when a dead process's lock is taken over (default: stderr). */
  onNote?: (message: string) => void;
}

export interface MergeResult {
  parts: Array<{ id: string; path: string; images: number; chips: number; bytes: number; ms: number }>;
  rows: number;
  /** DuckDB: `SELECT … FROM read_parquet('<glob>')`. */
  glob: string;
  chips?: string;
  predictions?: string;
  errors?: string;
  /** Sum of shard times (CPU-side work), for comparing with the wall clock. */
  shardMs: number;
}

/**
 * Check every shard of the plan is complete, then (unless `list`) stream the parts, in shard order, into
 * OUT/chips.parquet and OUT/predictions.parquet — the same files a single-machine run writes, so `report` works.
 */
export async function mergeParts(out: string, options: MergeOptions = {}): Promise<MergeResult> {
  const lock = options.lock === false ? undefined : await acquireOutputLock(outputLockPath(out, 'dir'), { command: 'merge', onNote: options.onNote });
  try {
    return await mergeUnlocked(out, options);
  } finally {
    await lock?.release();
  }
}

async function mergeUnlocked(out: string, options: MergeOptions): Promise<MergeResult> {
  const plan = await readPlan(out);
  const metas: ShardResult[] = [];
  const missing: string[] = [];
  for (const s of plan.shards) {
    const meta = await readPartMeta(out, s.id);
    if (meta && meta.planId === plan.planId) metas.push(meta);
    else missing.push(s.id);
  }
  if (missing.length) {
    const shown = missing.slice(0, 10).join(', ') + (missing.length > 10 ? ` … (${missing.length} in all)` : '');
    throw new ScaleOutError('PARTS_MISSING', `${missing.length} of ${plan.shards.length} shards are not complete: ${shown} (see "oidstream status --out ${out}")`);
  }
  // parts of an older, larger plan would be read as part of the directory dataset
  const expected = new Set(plan.shards.map((s) => partPath(out, s.id)));
  for (const f of listPartFiles(out)) if (!expected.has(f)) rmSync(f, { force: true });
  for (const f of readdirSync(partsDir(out))) if (/^part-\d+\.parquet\.tmp-/.test(f)) rmSync(path.join(partsDir(out), f), { force: true });

  const result: MergeResult = {
    parts: metas.map((m) => ({ id: m.shard, path: partPath(out, m.shard), images: m.images, chips: m.chips, bytes: m.bytes, ms: m.ms.total })),
    rows: metas.reduce((n, m) => n + m.chips, 0),
    glob: path.join(partsDir(out), '*.parquet'),
    shardMs: metas.reduce((n, m) => n + m.ms.total, 0),
  };
  if (options.list) return result;

  const columns = await parquetColumns(result.parts[0].path);
  const modelNames = plan.models.map((m) => m.split('=')[0]);
  const predCols = predictionColumns(columns, modelNames);
  const predOnly = new Set(predCols.map((c) => c.name).filter((n) => !['chip_id', 'ImageID', 'LabelName', 'DisplayName'].includes(n)));
  const chipCols = columns.filter((c) => !predOnly.has(c.name));
  const writeOpts = options.rowGroupRows ? { rowGroupRows: options.rowGroupRows } : {};
  const chipsOut = ParquetFileWriter.open(path.join(out, 'chips.parquet'), chipCols, writeOpts);
  const predOut = predCols.length ? ParquetFileWriter.open(path.join(out, 'predictions.parquet'), predCols, writeOpts) : undefined;
  const want = JSON.stringify(columns);
  let rows = 0;
  try {
    for (let i = 0; i < result.parts.length; i++) {
      const part = result.parts[i];
      if (JSON.stringify(await parquetColumns(part.path)) !== want) {
        throw new ScaleOutError('PART_SCHEMA_MISMATCH', `${part.path} has other columns than ${result.parts[0].path}`);
      }
      for await (const row of readParquetRows(part.path)) {
        chipsOut.write(row);
        predOut?.write(row);
        rows++;
      }
      options.onProgress?.({ parts: i + 1, rows });
    }
    chipsOut.finish();
    predOut?.finish();
  } catch (err) {
    chipsOut.abort();
    predOut?.abort();
    throw err;
  }
  // boxes that gave no chip, as the chips stage reports them in a single run
  const errorLines = result.parts.map((p) => (existsSync(partErrorsPath(out, p.id)) ? readFileSync(partErrorsPath(out, p.id), 'utf8') : '')).join('');
  await writeFileAtomic(path.join(out, 'errors.jsonl'), errorLines);
  result.errors = path.join(out, 'errors.jsonl');
  result.rows = rows;
  result.chips = path.join(out, 'chips.parquet');
  if (predOut) result.predictions = path.join(out, 'predictions.parquet');
  return result;
}
