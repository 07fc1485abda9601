import { describe, expect, it } from 'vitest';
import { PerClassSample, imageRank } from './per-class-sample.js';

/** Deterministic shuffle (LCG) so the test is the same on every run. */
function shuffled<T>(xs: readonly T[], seed: number): T[] {
  const out = [...xs];
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

describe('PerClassSample', () => {
  const pairs: [string, string][] = [];
  for (let i = 0; i < 2000; i++) pairs.push([`/m/c${i % 7}`, (i * 2654435761 >>> 0).toString(16).padStart(16, '0')]);
  // Repeats (an image labelled twice, e.g. in two files) must not take two places.
  pairs.push(...pairs.slice(0, 300));

  it('keeps, per class, the N images of smallest rank under the seed, whatever the order of the offers', () => {
    const sample = (seed: number, order: number) => {
      const s = new PerClassSample(5, seed);
      for (const [c, id] of shuffled(pairs, order)) s.offer(c, id);
      return s;
    };
    const a = sample(1, 1);
    for (let c = 0; c < 7; c++) {
      const mid = `/m/c${c}`;
      const expected = [...new Set(pairs.filter((p) => p[0] === mid).map((p) => p[1]))]
        .sort((x, y) => imageRank(1, x) - imageRank(1, y) || (x < y ? -1 : 1))
        .slice(0, 5);
      expect(a.images(mid).sort()).toEqual(expected.sort());
      expect(a.limited(mid)).toBe(true);
      expect(sample(1, 99).images(mid).sort()).toEqual(expected);
    }
    expect([...a.selected()].sort()).toEqual([...sample(1, 7).selected()].sort());
    expect([...sample(2, 1).selected()].sort()).not.toEqual([...a.selected()].sort());
  });

  it('a class with at most N images keeps them all and is not limited', () => {
    const s = new PerClassSample(3, 0);
    for (const id of ['b', 'a', 'b', 'c']) s.offer('/m/x', id);
    expect(s.images('/m/x').sort()).toEqual(['a', 'b', 'c']);
    expect(s.limited('/m/x')).toBe(false);
    s.offer('/m/x', 'd');
    expect(s.images('/m/x')).toHaveLength(3);
    expect(s.limited('/m/x')).toBe(true);
  });

  it('ranks are 53-bit, seed-dependent and stable', () => {
    expect(imageRank(0, '000002b66c9c498e')).toBe(imageRank(0, '000002b66c9c498e'));
    expect(imageRank(0, '000002b66c9c498e')).not.toBe(imageRank(1, '000002b66c9c498e'));
    const ranks = Array.from({ length: 1000 }, (_, i) => imageRank(3, i.toString(16)));
    expect(new Set(ranks).size).toBe(1000);
    expect(ranks.every((r) => Number.isSafeInteger(r) && r >= 0)).toBe(true);
    expect(Math.max(...ranks)).toBeGreaterThan(2 ** 50);
  });
});
