import type { Transform } from 'node:stream';
import { type KeySpec, type Operator, type Source, applyOperator, keyFunction, operatorTransform } from './operator.js';

export interface DistinctOptions<T, K> {
  /** What makes two rows the same. Default: the row itself (for strings/numbers). */
  key?: KeySpec<T, K>;
}

/** Core: first row of each key passes; memory grows with the number of distinct keys. */
export function distinctOperator<T, K = T>(options: DistinctOptions<T, K> = {}): Operator<T, T> {
  const key = options.key ? keyFunction(options.key) : (row: T) => row as unknown as K;
  const seen = new Set<K>();
  return {
    push(row, emit) {
      const k = key(row);
      if (seen.has(k)) return;
      seen.add(k);
      emit(row);
    },
  };
}

export function distinct<T, K = T>(source: Source<T>, options: DistinctOptions<T, K> = {}): AsyncGenerator<T> {
  return applyOperator(source, distinctOperator(options));
}

export function distinctTransform<T, K = T>(options: DistinctOptions<T, K> = {}): Transform {
  return operatorTransform(distinctOperator(options));
}
