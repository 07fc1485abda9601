import { Readable } from 'node:stream';
import { checkSource, type Source } from './operator.js';

/** Union all (bag semantics): every row of each source, sources in the order given. Combine with `distinct` for a set union. */
export async function* union<T>(...sources: Source<T>[]): AsyncGenerator<T> {
  sources.forEach((s, i) => checkSource(s, `union source ${i + 1}`));
  for (const s of sources) yield* s;
}

/** Stream face of `union`. */
export function unionStream<T>(...sources: Source<T>[]): Readable {
  return Readable.from(union(...sources), { objectMode: true });
}
