/**
 * At most N images per class, chosen by the seed alone: each class keeps the N images with the smallest rank, where
 * rank = hash(seed, ImageID) (ties broken by ImageID). The result depends only on the set of (class, image) pairs
 * offered, not on their order, so file order and split layout do not change it. Memory: N entries per class. Pure.
 */
export class PerClassSample {
  private readonly heaps = new Map<string, RankHeap>();

  constructor(
    readonly maxPerClass: number,
    readonly seed: number,
  ) {}

  offer(labelName: string, imageId: string): void {
    let heap = this.heaps.get(labelName);
    if (!heap) this.heaps.set(labelName, (heap = new RankHeap(this.maxPerClass)));
    heap.offer(imageRank(this.seed, imageId), imageId);
  }

  /** Images kept for a class. */
  images(labelName: string): string[] {
    return this.heaps.get(labelName)?.ids() ?? [];
  }

  /** True when the class had more than N distinct images. */
  limited(labelName: string): boolean {
    return this.heaps.get(labelName)?.overflowed ?? false;
  }

  /** Union of the images kept for every class. */
  selected(): Set<string> {
    const out = new Set<string>();
    for (const heap of this.heaps.values()) for (const id of heap.ids()) out.add(id);
    return out;
  }
}

/** A 53-bit rank of an ImageID under a seed: two 32-bit murmur3-style lanes over the UTF-16 code units. */
export function imageRank(seed: number, imageId: string): number {
  let h1 = (seed ^ 0x9e3779b9) | 0;
  let h2 = (Math.imul(seed, 0x85ebca6b) ^ 0x27d4eb2f) | 0;
  for (let i = 0; i < imageId.length; i++) {
    const k = Math.imul(imageId.charCodeAt(i), 0xcc9e2d51);
    h1 = Math.imul((h1 ^ k) << 13 | (h1 ^ k) >>> 19, 5) + 0xe6546b64;
    h2 = Math.imul(h2 ^ Math.imul(k, 0x1b873593), 0x5bd1e995);
    h2 ^= h2 >>> 15;
  }
  h1 = fmix(h1 ^ imageId.length);
  h2 = fmix(h2 ^ h1);
  return (h1 >>> 0) * 0x200000 + (h2 >>> 11);
}

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/** A bounded max-heap of (rank, id): keeps the `capacity` smallest, one entry per id. */
class RankHeap {
  private readonly ranks: number[] = [];
  private readonly keys: string[] = [];
  private readonly members = new Set<string>();
  overflowed = false;

  constructor(private readonly capacity: number) {}

  ids(): string[] {
    return [...this.keys];
  }

  offer(rank: number, id: string): void {
    if (this.members.has(id)) return;
    if (this.keys.length < this.capacity) {
      this.ranks.push(rank);
      this.keys.push(id);
      this.members.add(id);
      this.up(this.keys.length - 1);
      return;
    }
    this.overflowed = true;
    if (this.capacity === 0 || !this.less(rank, id, 0)) return;
    this.members.delete(this.keys[0]);
    this.ranks[0] = rank;
    this.keys[0] = id;
    this.members.add(id);
    this.down(0);
  }

  /** (rank, id) orders before entry i. */
  private less(rank: number, id: string, i: number): boolean {
    return rank < this.ranks[i] || (rank === this.ranks[i] && id < this.keys[i]);
  }

  private swap(i: number, j: number): void {
    [this.ranks[i], this.ranks[j]] = [this.ranks[j], this.ranks[i]];
    [this.keys[i], this.keys[j]] = [this.keys[j], this.keys[i]];
  }

  private up(i: number): void {
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(this.ranks[p], this.keys[p], i)) return;
      this.swap(i, p);
      i = p;
    }
  }

  private down(i: number): void {
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let top = i;
      if (l < this.keys.length && this.less(this.ranks[top], this.keys[top], l)) top = l;
      if (r < this.keys.length && this.less(this.ranks[top], this.keys[top], r)) top = r;
      if (top === i) return;
      this.swap(i, top);
      i = top;
    }
  }
}
