import type { ParquetWriter } from 'hyparquet-writer';

/**
 * Where a Parquet file under construction stood after its last complete row group: the bytes on disk and the
 * writer's footer state (row groups, page indexes). JSON-safe, so a caller can keep it in its own ledger; with it,
 * `ParquetFileWriter.resume` truncates the temp file to `bytes` and goes on writing after a crash.
 */
export interface WriterCheckpoint {
  tempPath: string;
  bytes: number;
  rows: number;
  /** Tagged JSON of hyparquet-writer's row_groups / num_rows / pendingIndexes (bigints and byte arrays kept). */
  state: unknown;
}

type WriterState = Pick<ParquetWriter, 'row_groups' | 'num_rows' | 'pendingIndexes'>;

// bigints and byte arrays have no JSON form: tag them
function toTagged(value: unknown): unknown {
  if (typeof value === 'bigint') return { $bigint: value.toString() };
  if (value instanceof Uint8Array) return { $bytes: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64') };
  if (Array.isArray(value)) return value.map(toTagged);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = toTagged(v);
    return out;
  }
  return value;
}

function fromTagged(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(fromTagged);
  if (value && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    if (typeof o.$bigint === 'string') return BigInt(o.$bigint);
    if (typeof o.$bytes === 'string') return new Uint8Array(Buffer.from(o.$bytes, 'base64'));
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(o)) out[k] = fromTagged(v);
    return out;
  }
  return value;
}

/** Serialise the footer state; each page index names its column chunk by [row group, column] (identity matters). */
export function saveWriterState(w: WriterState): unknown {
  const where = new Map<unknown, [number, number]>();
  w.row_groups.forEach((g, gi) => g.columns.forEach((c, ci) => where.set(c, [gi, ci])));
  const indexes = w.pendingIndexes.map(({ chunk, ...rest }) => ({ ...rest, chunk: where.get(chunk) }));
  return toTagged({ row_groups: w.row_groups, num_rows: w.num_rows, pendingIndexes: indexes });
}

export function restoreWriterState(w: WriterState, state: unknown): void {
  const s = fromTagged(state) as { row_groups: WriterState['row_groups']; num_rows: bigint; pendingIndexes: Array<Record<string, unknown> & { chunk: [number, number] }> };
  w.row_groups = s.row_groups;
  w.num_rows = s.num_rows;
  w.pendingIndexes = s.pendingIndexes.map(({ chunk, ...rest }) => ({ ...rest, chunk: s.row_groups[chunk[0]].columns[chunk[1]] })) as WriterState['pendingIndexes'];
}
