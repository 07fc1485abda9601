import type { Transform } from 'node:stream';
import { OidJoinError } from './errors.js';
import { type KeySpec, type Operator, type Source, applyOperator, keyFunction, operatorTransform } from './operator.js';

export interface Group<K, T> {
  key: K;
  rows: T[];
}

export interface GroupByOptions<T, K> {
  key: KeySpec<T, K>;
  /**
   * 'adjacent' (default): rows of a key arrive together (OID files are sorted by ImageID; boxes.parquet keeps that),
   * so each group is emitted as soon as the key changes: flat memory. A key that comes back later is an error
   * (`GROUP_KEY_REAPPEARED`), never a silent split. 'hash': any order, all groups held until the end.
   */
  mode?: 'adjacent' | 'hash';
}

export function groupByOperator<T, K>(options: GroupByOptions<T, K>): Operator<T, Group<K, T>> {
  const key = keyFunction(options.key);
  const mode = options.mode ?? 'adjacent';
  if (mode !== 'adjacent' && mode !== 'hash') throw new OidJoinError('BAD_OPTIONS', `groupBy mode ${JSON.stringify(mode)}: use 'adjacent' or 'hash'`);
  if (mode === 'hash') {
    const groups = new Map<K, T[]>();
    return {
      push(row) {
        const k = key(row);
        const list = groups.get(k);
        if (list) list.push(row);
        else groups.set(k, [row]);
      },
      flush(emit) {
        for (const [k, rows] of groups) emit({ key: k, rows });
        groups.clear();
      },
    };
  }
  let current: Group<K, T> | undefined;
  const closed = new Set<K>();
  return {
    push(row, emit) {
      const k = key(row);
      if (current && current.key === k) {
        current.rows.push(row);
        return;
      }
      if (closed.has(k)) {
        throw new OidJoinError('GROUP_KEY_REAPPEARED', `group key ${String(k)} came back after other keys: the input is not grouped (use mode 'hash')`);
      }
      if (current) {
        closed.add(current.key);
        emit(current);
      }
      current = { key: k, rows: [row] };
    },
    flush(emit) {
      if (current) emit(current);
      current = undefined;
    },
  };
}

/** Group rows by key, e.g. boxes by ImageID so each image is decoded once. */
export function groupBy<T, K>(source: Source<T>, options: GroupByOptions<T, K>): AsyncGenerator<Group<K, T>> {
  return applyOperator(source, groupByOperator(options));
}

export function groupByTransform<T, K>(options: GroupByOptions<T, K>): Transform {
  return operatorTransform(groupByOperator(options));
}

/** Shorthand: group OID rows by their ImageID. */
export function groupByImage<T extends { ImageID: string }>(source: Source<T>, options: { mode?: 'adjacent' | 'hash' } = {}): AsyncGenerator<Group<string, T>> {
  return groupBy(source, { key: (r: T) => r.ImageID, mode: options.mode });
}
