import type { Transform } from 'node:stream';
import { OidJoinError } from './errors.js';
import { type KeySpec, type Operator, type Source, applyOperator, keyFunction, operatorTransform } from './operator.js';

export interface SemiJoinOptions<T, K> {
  /** Key of each row. */
  key: KeySpec<T, K>;
  /** The other side's keys. */
  keys: { has(key: K): boolean };
  /** Keep rows whose key is NOT in `keys` (anti-join). Default false. */
  anti?: boolean;
}

/** Core: keep rows whose key is (or, anti, is not) in the key set. */
export function semiJoinOperator<T, K>(options: SemiJoinOptions<T, K>): Operator<T, T> {
  const key = keyFunction(options.key);
  if (typeof options.keys?.has !== 'function') throw new OidJoinError('BAD_OPTIONS', 'semiJoin needs keys: a Set (or anything with has(key)) of the other side\'s keys');
  const keep = !options.anti;
  return {
    push(row, emit) {
      if (options.keys.has(key(row)) === keep) emit(row);
    },
  };
}

export function semiJoin<T, K>(source: Source<T>, options: SemiJoinOptions<T, K>): AsyncGenerator<T> {
  return applyOperator(source, semiJoinOperator(options));
}

export function semiJoinTransform<T, K>(options: SemiJoinOptions<T, K>): Transform {
  return operatorTransform(semiJoinOperator(options));
}
