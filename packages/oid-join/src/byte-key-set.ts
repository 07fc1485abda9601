/**
 * A set of strings that answers "is bytes[start, end) one of them?" without creating a string: the pre-filter asks
 * this once or twice for every CSV line. Keys are compared as UTF-8 bytes. Open addressing over an Int32Array.
 */
export class ByteKeySet {
  readonly size: number;
  private readonly pool: Buffer;
  private readonly offsets: Int32Array;
  private readonly lengths: Int32Array;
  private readonly table: Int32Array;
  private readonly mask: number;
  /** lengthSeen[n] = 1 if some key is n bytes long (n < 256); longer keys skip this shortcut. */
  private readonly lengthSeen = new Uint8Array(257);

  private readonly strings: Set<string>;

  constructor(keys: Iterable<string>) {
    this.strings = new Set(keys);
    const unique = [...this.strings].map((k) => Buffer.from(k, 'utf8'));
    this.size = unique.length;
    this.pool = Buffer.concat(unique);
    this.offsets = new Int32Array(unique.length);
    this.lengths = new Int32Array(unique.length);
    let capacity = 8;
    while (capacity < unique.length * 2) capacity *= 2;
    this.table = new Int32Array(capacity);
    this.mask = capacity - 1;
    let at = 0;
    unique.forEach((k, i) => {
      this.offsets[i] = at;
      this.lengths[i] = k.length;
      at += k.length;
      this.lengthSeen[Math.min(k.length, 256)] = 1;
      let slot = hashBytes(this.pool, this.offsets[i], at) & this.mask;
      while (this.table[slot] !== 0) slot = (slot + 1) & this.mask;
      this.table[slot] = i + 1;
    });
  }

  has(bytes: Uint8Array, start: number, end: number): boolean {
    return this.indexOf(bytes, start, end) >= 0;
  }

  /** Position of bytes[start, end) in `keys()` order, or -1. */
  indexOf(bytes: Uint8Array, start: number, end: number): number {
    const len = end - start;
    if (this.lengthSeen[len < 256 ? len : 256] === 0) return -1;
    let slot = hashBytes(bytes, start, end) & this.mask;
    for (;;) {
      const entry = this.table[slot];
      if (entry === 0) return -1;
      const i = entry - 1;
      if (this.lengths[i] === len) {
        const off = this.offsets[i];
        let j = 0;
        while (j < len && this.pool[off + j] === bytes[start + j]) j++;
        if (j === len) return i;
      }
      slot = (slot + 1) & this.mask;
    }
  }

  /** The same test for a string (the exact check after parsing). */
  hasString(key: string): boolean {
    return this.strings.has(key);
  }

  keys(): IterableIterator<string> {
    return this.strings.values();
  }
}

/** FNV-1a, 32 bit. */
function hashBytes(bytes: Uint8Array, start: number, end: number): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) h = Math.imul(h ^ bytes[i], 0x01000193);
  return h >>> 0;
}
