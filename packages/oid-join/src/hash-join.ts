import type { Transform } from 'node:stream';
import { OidJoinError } from './errors.js';
import { type KeySpec, type Operator, type Source, applyOperator, checkSource, keyFunction, operatorTransform } from './operator.js';

export interface HashJoinOptions<L, R, K, O> {
  /** Key of a probe (streamed, large) row. */
  probeKey: KeySpec<L, K>;
  /** Key of a build (small, held in memory) row. */
  buildKey: KeySpec<R, K>;
  /** Combine a probe row with a matching build row (or `undefined` for a left join without match). Default: spread both. */
  merge?: (probe: L, build: R | undefined) => O;
  /** 'inner' (default) drops probe rows without a match; 'left' keeps them with `build` undefined. */
  type?: 'inner' | 'left';
}

/** Build side index: key → rows, in input order. */
export type BuildIndex<K, R> = Map<K, R[]>;

export async function buildIndex<R, K>(rows: Source<R>, key: KeySpec<R, K>): Promise<BuildIndex<K, R>> {
  const f = keyFunction(key);
  checkSource(rows, 'the build side');
  const index: BuildIndex<K, R> = new Map();
  for await (const row of rows) {
    const k = f(row);
    const list = index.get(k);
    if (list) list.push(row);
    else index.set(k, [row]);
  }
  return index;
}

function defaultMerge<L, R, O>(probe: L, build: R | undefined): O {
  return { ...(probe as object), ...(build as object | undefined) } as O;
}

/** Core: probe each streamed row against the in-memory build index; one output per match. */
export function hashJoinOperator<L, R, K, O = L & R>(index: BuildIndex<K, R>, options: HashJoinOptions<L, R, K, O>): Operator<L, O> {
  const key = keyFunction(options.probeKey);
  const merge = options.merge ?? defaultMerge<L, R, O>;
  const type = options.type ?? 'inner';
  if (type !== 'inner' && type !== 'left') throw new OidJoinError('BAD_OPTIONS', `hashJoin type ${JSON.stringify(type)}: use 'inner' or 'left'`);
  const left = type === 'left';
  return {
    push(row, emit) {
      const matches = index.get(key(row));
      if (matches) for (const m of matches) emit(merge(row, m));
      else if (left) emit(merge(row, undefined));
    },
  };
}

/** Stream `probe` through a hash join against `build` (read fully first: keep it the small side). */
export async function* hashJoin<L, R, K, O = L & R>(probe: Source<L>, build: Source<R> | BuildIndex<K, R>, options: HashJoinOptions<L, R, K, O>): AsyncGenerator<O> {
  const index = build instanceof Map ? build : await buildIndex(build, options.buildKey);
  yield* applyOperator(probe, hashJoinOperator(index, options));
}

/** Transform face; the build side is loaded before the first row passes. */
export function hashJoinTransform<L, R, K, O = L & R>(build: Source<R> | BuildIndex<K, R>, options: HashJoinOptions<L, R, K, O>): Transform {
  return operatorTransform(async () => hashJoinOperator(build instanceof Map ? build : await buildIndex(build, options.buildKey), options));
}
