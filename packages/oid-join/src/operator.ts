import { Transform, type TransformOptions } from 'node:stream';
import { OidJoinError } from './errors.js';

/**
 * The pure core of every join operator: push rows in, get rows out through `emit`; `flush` at end of input.
 * The async-iterable and Node `Transform` faces below drive the same object.
 */
export interface Operator<I, O> {
  push(row: I, emit: (out: O) => void): void;
  flush?(emit: (out: O) => void): void;
}

/** A key: a property name or a function of the row. */
export type KeySpec<T, K> = (T extends object ? keyof T & string : never) | ((row: T) => K);

export function keyFunction<T, K>(spec: KeySpec<T, K>): (row: T) => K {
  if (typeof spec === 'function') return spec;
  if (typeof spec !== 'string') throw new OidJoinError('BAD_OPTIONS', `a key must be a column name or a function of the row (got ${typeof spec})`);
  const name = spec as string;
  return (row: T) => (row as Record<string, unknown>)[name] as K;
}

export type Source<T> = Iterable<T> | AsyncIterable<T>;

export function checkSource(source: unknown, what = 'source'): void {
  const s = source as { [Symbol.iterator]?: unknown; [Symbol.asyncIterator]?: unknown } | null | undefined;
  if (typeof s?.[Symbol.iterator] !== 'function' && typeof s?.[Symbol.asyncIterator] !== 'function') {
    throw new OidJoinError('BAD_OPTIONS', `${what} must be an iterable or async iterable of rows (got ${s === null ? 'null' : typeof s})`);
  }
}

/** Async-iterable face: run `op` over `source`. */
export async function* applyOperator<I, O>(source: Source<I>, op: Operator<I, O>): AsyncGenerator<O> {
  checkSource(source);
  const out: O[] = [];
  const emit = (o: O): void => {
    out.push(o);
  };
  for await (const row of source) {
    op.push(row, emit);
    if (out.length) {
      yield* out;
      out.length = 0;
    }
  }
  op.flush?.(emit);
  yield* out;
}

/**
 * Node stream face: an object-mode Transform over `op`. `prepare` (optional) runs before the first row, e.g. to load
 * a hash join's build side.
 */
export function operatorTransform<I, O>(
  op: Operator<I, O> | (() => Promise<Operator<I, O>>),
  options: TransformOptions = {},
): Transform {
  let ready: Operator<I, O> | undefined = typeof op === 'function' ? undefined : op;
  return new Transform({
    ...options,
    objectMode: true,
    construct(callback) {
      if (ready) return callback();
      (op as () => Promise<Operator<I, O>>)().then(
        (o) => {
          ready = o;
          callback();
        },
        (err: Error) => callback(err),
      );
    },
    transform(row: I, _enc, callback) {
      try {
        ready!.push(row, (o) => this.push(o));
        callback();
      } catch (err) {
        callback(err as Error);
      }
    },
    flush(callback) {
      try {
        ready!.flush?.((o) => this.push(o));
        callback();
      } catch (err) {
        callback(err as Error);
      }
    },
  });
}
