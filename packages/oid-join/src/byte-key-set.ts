/**
 * A set of strings that answers "is bytes[start, end) one of them?" without creating a string: the pre-filter asks
 * this once or twice for every CSV line. Keys are compared as UTF-8 bytes. Open addressing over an Int32Array.
 */
export class ByteKeySet {
  readonly size: number;
  private readonly strings: Set<string>;
  // The byte table, built on the first byte-level question (a set only asked by string never needs it).
  private pool: Buffer = Buffer.alloc(0);
  private offsets = new Int32Array(0);
  private lengths = new Int32Array(0);
  private table = new Int32Array(0);
  private mask = 0;
  /** lengthSeen[n] = 1 if some key is n bytes long (n < 256); longer keys skip this shortcut. */
  private readonly lengthSeen = new Uint8Array(257);
  /** tails[(length & 15) << 8 | last byte] = 1 if some key ends so: most misses stop here, before any hashing. */
  private readonly tails = new Uint8Array(16 << 8);

  constructor(keys: Iterable<string>) {
    this.strings = new Set(keys);
    this.size = this.strings.size;
  }

  private build(): void {
    const n = this.size;
    let bytes = 0;
    for (const k of this.strings) bytes += Buffer.byteLength(k, 'utf8');
    this.pool = Buffer.allocUnsafe(bytes);
    this.offsets = new Int32Array(n);
    this.lengths = new Int32Array(n);
    let capacity = 8;
    while (capacity < n * 2) capacity *= 2;
    this.table = new Int32Array(capacity);
    this.mask = capacity - 1;
    let at = 0;
    let i = 0;
    for (const k of this.strings) {
      const len = this.pool.write(k, at, 'utf8');
      this.offsets[i] = at;
      this.lengths[i] = len;
      this.lengthSeen[Math.min(len, 256)] = 1;
      if (len > 0) this.tails[((len & 15) << 8) | this.pool[at + len - 1]] = 1;
      let slot = hashBytes(this.pool, at, at + len) & this.mask;
      while (this.table[slot] !== 0) slot = (slot + 1) & this.mask;
      this.table[slot] = ++i;
      at += len;
    }
  }

  has(bytes: Uint8Array, start: number, end: number): boolean {
    return this.indexOf(bytes, start, end) >= 0;
  }

  /** Position of bytes[start, end) in `keys()` order, or -1. */
  indexOf(bytes: Uint8Array, start: number, end: number): number {
    if (this.table.length === 0) this.build();
    const len = end - start;
    if (this.lengthSeen[len < 256 ? len : 256] === 0) return -1;
    if (len > 0 && this.tails[((len & 15) << 8) | bytes[end - 1]] === 0) return -1;
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
