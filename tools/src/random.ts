/** Seeded PRNG (mulberry32): the generator's output depends on the seed only. */
export class Rng {
  private state: number;
  constructor(seed: number) {
    // murmur3 finaliser: nearby seeds (image 1, 2, 3 …) start far apart.
    let h = seed >>> 0;
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
    this.state = (h ^ (h >>> 16)) >>> 0;
  }
  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) | 0;
    let t = Math.imul(this.state ^ (this.state >>> 15), 1 | this.state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** Integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  /** 16 lowercase hex digits, the shape of an OID ImageID. */
  hex16(): string {
    const a = Math.floor(this.next() * 0x100000000).toString(16).padStart(8, '0');
    const b = Math.floor(this.next() * 0x100000000).toString(16).padStart(8, '0');
    return a + b;
  }
}
