import {
  Binary,
  Bool,
  Float32,
  Float64,
  Int32,
  Int64,
  RecordBatch,
  Type,
  Utf8,
  makeData,
  makeVector,
} from 'apache-arrow';
import type { Data, DataType, Vector } from 'apache-arrow';
import { parquetRead } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import type { ColumnSpec, ColumnType } from './column-spec.js';
import { coerceValue, validateColumns } from './column-spec.js';
import { ParquetIoError } from './errors.js';
import type { ReadOptions, WriteOptions } from './options.js';
import { ParquetFileWriter } from './parquet-file-writer.js';
import { checkColumns, openParquet } from './parquet-source.js';
import { rowGroupRanges } from './read-rows.js';

const encoder = new TextEncoder();

/** Validity bitmap (Arrow: bit set = valid) and null count; undefined bitmap when nothing is null. */
function validity(values: ArrayLike<unknown>): { nullBitmap?: Uint8Array; nullCount: number } {
  let nullCount = 0;
  for (let i = 0; i < values.length; i++) if (values[i] === null || values[i] === undefined) nullCount++;
  if (nullCount === 0) return { nullCount };
  const nullBitmap = new Uint8Array((values.length + 7) >> 3);
  for (let i = 0; i < values.length; i++) {
    if (values[i] !== null && values[i] !== undefined) nullBitmap[i >> 3] |= 1 << (i & 7);
  }
  return { nullBitmap, nullCount };
}

/** One Arrow vector from plain column values, filling typed arrays directly (no builders: ~2.5× faster). */
export function columnToVector(type: ColumnType, values: ArrayLike<unknown>): Vector {
  const length = values.length;
  const { nullBitmap, nullCount } = validity(values);
  switch (type) {
    case 'DOUBLE':
    case 'FLOAT': {
      const data = type === 'DOUBLE' ? new Float64Array(length) : new Float32Array(length);
      for (let i = 0; i < length; i++) data[i] = (values[i] as number | null) ?? 0;
      const t = type === 'DOUBLE' ? new Float64() : new Float32();
      return makeVector(makeData({ type: t as Float64, length, nullCount, nullBitmap, data: data as Float64Array }));
    }
    case 'INT32': {
      const data = new Int32Array(length);
      for (let i = 0; i < length; i++) data[i] = (values[i] as number | null) ?? 0;
      return makeVector(makeData({ type: new Int32(), length, nullCount, nullBitmap, data }));
    }
    case 'INT64': {
      const data = new BigInt64Array(length);
      for (let i = 0; i < length; i++) data[i] = BigInt((values[i] as bigint | number | null) ?? 0);
      return makeVector(makeData({ type: new Int64(), length, nullCount, nullBitmap, data }));
    }
    case 'BOOLEAN': {
      const data = new Uint8Array((length + 7) >> 3);
      for (let i = 0; i < length; i++) if (values[i] === true) data[i >> 3] |= 1 << (i & 7);
      return makeVector(makeData({ type: new Bool(), length, nullCount, nullBitmap, data }));
    }
    case 'STRING':
    case 'BYTE_ARRAY': {
      const parts: Uint8Array[] = new Array(length);
      const valueOffsets = new Int32Array(length + 1);
      let total = 0;
      for (let i = 0; i < length; i++) {
        const v = values[i];
        const bytes = v === null || v === undefined ? new Uint8Array(0) : typeof v === 'string' ? encoder.encode(v) : (v as Uint8Array);
        parts[i] = bytes;
        total += bytes.byteLength;
        valueOffsets[i + 1] = total;
      }
      const data = new Uint8Array(total);
      for (let i = 0; i < length; i++) data.set(parts[i], valueOffsets[i]);
      return type === 'STRING'
        ? makeVector(makeData({ type: new Utf8(), length, nullCount, nullBitmap, valueOffsets, data }))
        : makeVector(makeData({ type: new Binary(), length, nullCount, nullBitmap, valueOffsets, data }));
    }
  }
}

/** Build a RecordBatch from row objects with a column spec (values validated like the writer does). */
export function rowsToRecordBatch(rows: readonly Record<string, unknown>[], columns: readonly ColumnSpec[]): RecordBatch {
  validateColumns(columns);
  const vectors: Record<string, Data> = {};
  for (const c of columns) {
    const values = rows.map((r) => coerceValue(c, r[c.name]));
    vectors[c.name] = columnToVector(c.type, values).data[0];
  }
  return new RecordBatch(vectors);
}

/** The column spec matching an Arrow field type (dictionary-encoded strings map to STRING). */
export function columnTypeOfArrow(type: DataType): ColumnType {
  switch (type.typeId) {
    case Type.Utf8:
    case Type.LargeUtf8:
      return 'STRING';
    case Type.Binary:
    case Type.LargeBinary:
      return 'BYTE_ARRAY';
    case Type.Bool:
      return 'BOOLEAN';
    case Type.Float: {
      return (type as Float32 | Float64).precision === 2 ? 'DOUBLE' : 'FLOAT';
    }
    case Type.Int: {
      const t = type as Int32 | Int64;
      if (t.bitWidth === 64) return 'INT64';
      if (t.bitWidth <= 32 && (t.isSigned || t.bitWidth < 32)) return 'INT32';
      break;
    }
    case Type.Dictionary: {
      const inner = columnTypeOfArrow((type as unknown as { dictionary: DataType }).dictionary);
      if (inner === 'STRING') return inner;
      break;
    }
  }
  throw new ParquetIoError('BAD_COLUMN_SPEC', `Arrow type ${String(type)} has no Parquet mapping here`);
}

/** Column spec for an Arrow RecordBatch schema. */
export function columnsOfRecordBatch(batch: RecordBatch): ColumnSpec[] {
  return batch.schema.fields.map((f) => ({ name: f.name, type: columnTypeOfArrow(f.type), nullable: f.nullable }));
}

/** Plain row objects from a RecordBatch (strings as string, binary as Uint8Array, Int64 as bigint). */
export function* recordBatchToRows(batch: RecordBatch): Generator<Record<string, unknown>> {
  const names = batch.schema.fields.map((f) => f.name);
  const vectors = names.map((_, i) => batch.getChildAt(i)!);
  for (let r = 0; r < batch.numRows; r++) {
    const row: Record<string, unknown> = {};
    for (let c = 0; c < names.length; c++) row[names[c]] = vectors[c].get(r) ?? null;
    yield row;
  }
}

/** Write RecordBatches to a Parquet file (schema from the first batch unless `columns` is given). */
export async function writeParquetBatches(
  filePath: string,
  batches: Iterable<RecordBatch> | AsyncIterable<RecordBatch>,
  options: WriteOptions & { columns?: ColumnSpec[] } = {},
): Promise<{ rows: number; bytes: number }> {
  let writer: ParquetFileWriter | undefined;
  try {
    for await (const batch of batches) {
      writer ??= ParquetFileWriter.open(filePath, options.columns ?? columnsOfRecordBatch(batch), options);
      for (const row of recordBatchToRows(batch)) writer.write(row);
    }
    if (!writer) {
      if (!options.columns) throw new ParquetIoError('BAD_OPTIONS', 'no batches and no columns: cannot infer a schema');
      writer = ParquetFileWriter.open(filePath, options.columns, options);
    }
    return writer.finish();
  } catch (err) {
    writer?.abort();
    throw err;
  }
}

function specOfElement(name: string, element: { type?: string; converted_type?: string; logical_type?: { type: string } }): ColumnType {
  const t = element.type;
  if (t === 'BYTE_ARRAY') return element.converted_type === 'UTF8' || element.logical_type?.type === 'STRING' ? 'STRING' : 'BYTE_ARRAY';
  if (t === 'DOUBLE' || t === 'FLOAT' || t === 'INT32' || t === 'INT64' || t === 'BOOLEAN') return t;
  throw new ParquetIoError('BAD_COLUMN_SPEC', `column ${name}: Parquet type ${String(t)} is not supported for Arrow reads`);
}

/** Read a Parquet file as Arrow RecordBatches, one per row group, going column by column (no row objects). */
export async function* readParquetBatches(filePath: string, options: ReadOptions = {}): AsyncGenerator<RecordBatch> {
  const source = await openParquet(filePath);
  try {
    checkColumns(source, options.columns);
    const names = options.columns ?? source.columnNames;
    const leafs = source.metadata.schema.slice(1);
    const types = names.map((n) => specOfElement(n, leafs.find((e) => e.name === n)!));
    const rowStart = options.rowStart ?? 0;
    const rowEnd = options.rowEnd ?? Infinity;
    for (const [gs, ge] of rowGroupRanges(source)) {
      const s = Math.max(gs, rowStart);
      const e = Math.min(ge, rowEnd);
      if (s >= e) continue;
      const chunks = new Map<string, Array<{ rowStart: number; data: ArrayLike<unknown> }>>();
      await parquetRead({
        file: source.file,
        metadata: source.metadata,
        columns: names,
        rowStart: s,
        rowEnd: e,
        utf8: false,
        compressors,
        onChunk: (chunk) => {
          const list = chunks.get(chunk.columnName) ?? [];
          list.push({ rowStart: chunk.rowStart, data: chunk.columnData as ArrayLike<unknown> });
          chunks.set(chunk.columnName, list);
        },
      }).catch((err: Error) => {
        throw new ParquetIoError('READ_FAILED', `reading ${filePath} failed: ${err.message}`, { cause: err });
      });
      const vectors: Record<string, Data> = {};
      names.forEach((name, i) => {
        // chunks may start before s (whole pages); keep rows [s, e)
        const values = new Array<unknown>(e - s);
        for (const { rowStart: cs, data } of chunks.get(name) ?? []) {
          for (let k = 0; k < data.length; k++) {
            const r = cs + k;
            if (r >= s && r < e) values[r - s] = data[k];
          }
        }
        vectors[name] = columnToVector(types[i], values).data[0];
      });
      yield new RecordBatch(vectors);
    }
  } finally {
    await source.close();
  }
}
