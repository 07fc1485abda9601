import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { errorCodeOf } from '../test/error-code.js';
import { distinct, distinctTransform } from './distinct.js';
import { groupBy, groupByImage, groupByTransform } from './group-by.js';
import { hashJoin, hashJoinTransform } from './hash-join.js';
import { semiJoin, semiJoinTransform } from './semi-join.js';
import { union } from './union.js';
import type { Transform } from 'node:stream';

async function all<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}
async function viaStream<T>(rows: unknown[], t: Transform): Promise<T[]> {
  const out: T[] = [];
  await pipeline(Readable.from(rows), t, async function* (src) {
    for await (const x of src) out.push(x as T);
  });
  return out;
}

const boxes = [
  { ImageID: 'a', LabelName: '/m/cat', n: 1 },
  { ImageID: 'a', LabelName: '/m/dog', n: 2 },
  { ImageID: 'b', LabelName: '/m/cat', n: 3 },
  { ImageID: 'c', LabelName: '/m/cow', n: 4 },
];
const classes = [
  { LabelName: '/m/cat', DisplayName: 'Cat' },
  { LabelName: '/m/dog', DisplayName: 'Dog' },
  { LabelName: '/m/dog', DisplayName: 'Doggo' },
];

describe('operators: async-iterable and Transform faces agree', () => {
  it('semiJoin / anti-join', async () => {
    const keys = new Set(['a', 'c']);
    expect((await all(semiJoin(boxes, { key: 'ImageID', keys }))).map((b) => b.n)).toEqual([1, 2, 4]);
    expect((await all(semiJoin(boxes, { key: (b) => b.ImageID, keys, anti: true }))).map((b) => b.n)).toEqual([3]);
    expect((await viaStream<(typeof boxes)[0]>(boxes, semiJoinTransform({ key: 'ImageID', keys }))).map((b) => b.n)).toEqual([1, 2, 4]);
  });

  it('hashJoin inner and left, one output per build match', async () => {
    const inner = await all(hashJoin(boxes, classes, { probeKey: 'LabelName', buildKey: 'LabelName' }));
    expect(inner.map((r) => `${r.n}:${r.DisplayName}`)).toEqual(['1:Cat', '2:Dog', '2:Doggo', '3:Cat']);
    const left = await all(
      hashJoin(boxes, classes, { probeKey: 'LabelName', buildKey: 'LabelName', type: 'left', merge: (p, b) => `${p.n}:${b?.DisplayName ?? '-'}` }),
    );
    expect(left).toEqual(['1:Cat', '2:Dog', '2:Doggo', '3:Cat', '4:-']);
    const streamed = await viaStream<string>(boxes, hashJoinTransform((async function* () { yield* classes; })(), { probeKey: 'LabelName', buildKey: 'LabelName', merge: (p: (typeof boxes)[0], b) => `${p.n}:${b?.DisplayName}` }));
    expect(streamed).toEqual(['1:Cat', '2:Dog', '2:Doggo', '3:Cat']);
  });

  it('distinct by key and by value', async () => {
    expect((await all(distinct(boxes, { key: 'ImageID' }))).map((b) => b.n)).toEqual([1, 3, 4]);
    expect(await all(distinct(['x', 'y', 'x']))).toEqual(['x', 'y']);
    expect(await viaStream<string>(['x', 'y', 'x', 'z'], distinctTransform())).toEqual(['x', 'y', 'z']);
  });

  it('groupBy adjacent (streaming) and hash; a reappearing key is an error, not a silent split', async () => {
    expect((await all(groupByImage(boxes))).map((g) => [g.key, g.rows.length])).toEqual([['a', 2], ['b', 1], ['c', 1]]);
    const shuffled = [boxes[0], boxes[2], boxes[1]];
    await expect(all(groupByImage(shuffled))).rejects.toMatchObject({ code: 'GROUP_KEY_REAPPEARED' });
    expect((await all(groupBy(shuffled, { key: 'ImageID', mode: 'hash' }))).map((g) => [g.key, g.rows.length])).toEqual([['a', 2], ['b', 1]]);
    const streamed = await viaStream<{ key: string }>(boxes, groupByTransform({ key: 'ImageID' }));
    expect(streamed.map((g) => g.key)).toEqual(['a', 'b', 'c']);
    await expect(viaStream(shuffled, groupByTransform({ key: 'ImageID' }))).rejects.toMatchObject({ code: 'GROUP_KEY_REAPPEARED' });
  });

  it('union keeps every row of every source in order', async () => {
    expect(await all(union([1, 2], (async function* () { yield 3; })(), [1]))).toEqual([1, 2, 3, 1]);
  });
});

describe('user mistakes are coded errors (BAD_OPTIONS), not TypeErrors', () => {
  const rows = [{ ImageID: 'a' }];
  it.each([
    ['semiJoin without keys', () => semiJoin(rows, { key: 'ImageID' } as never)],
    ['semiJoin with an array of keys', () => semiJoin(rows, { key: 'ImageID', keys: ['a'] as never })],
    ['groupBy with an unknown mode', () => groupBy(rows, { key: 'ImageID', mode: 'sorted' as never })],
    ['groupBy without key', () => groupBy(rows, {} as never)],
    ['a source that is not iterable', () => distinct(undefined as never)],
    ['a union source that is not iterable', () => union(rows, 5 as never)],
    ['hashJoin without a build side', () => hashJoin(rows, undefined as never, { probeKey: 'ImageID', buildKey: 'ImageID' })],
    ['hashJoin with an unknown type', () => hashJoin(rows, rows, { probeKey: 'ImageID', buildKey: 'ImageID', type: 'outer' as never })],
  ])('%s', async (_name, run) => {
    expect(await errorCodeOf(run)).toBe('BAD_OPTIONS');
  });
});
