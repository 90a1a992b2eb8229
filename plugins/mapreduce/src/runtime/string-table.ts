// The mapper's combining table: string keys to values, open addressing with linear probing.
// A JS `Map` does two hash lookups for `set(k, f(get(k)))` and each costs a probe of its own; measured on word
// counts, `Map.set` on an existing key alone takes about as long as tokenizing the word. Here one probe finds the
// slot, the value is replaced in place, and the probe compares our own 32-bit hash before the strings.

/** A slot of a missing key is returned as `~slot` (negative), ready for `insertAt`. */
export class StringTable<V> {
  private keys: Array<string | undefined>;
  private hashes: Int32Array;
  private vals: Array<V | undefined>;
  private mask: number;
  private count = 0;
  /** The hash of the key `find` looked up last: `insertAt` (always right after a missed `find`) reuses it. */
  private lastHash = 0;
  /** Per table, so that no fixed set of keys collides in every run. */
  private readonly seed: number;

  constructor(capacity = 1024) {
    let cap = 16;
    while (cap < capacity * 2) cap *= 2;
    this.keys = new Array<string | undefined>(cap).fill(undefined);
    this.hashes = new Int32Array(cap);
    this.vals = new Array<V | undefined>(cap).fill(undefined);
    this.mask = cap - 1;
    this.seed = (Math.random() * 0x7fffffff) | 0;
  }

  get size(): number {
    return this.count;
  }

  private hash(key: string): number {
    let h = this.seed ^ 0x811c9dc5;
    for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
    return h ^ (h >>> 15);
  }

  /** The slot holding `key`, or `~slot` where it would go. */
  find(key: string): number {
    const h = (this.lastHash = this.hash(key));
    const { keys, hashes, mask } = this;
    let i = h & mask;
    for (;;) {
      const k = keys[i];
      if (k === undefined) return ~i;
      if (hashes[i] === h && k === key) return i;
      i = (i + 1) & mask;
    }
  }

  valueAt(slot: number): V {
    return this.vals[slot] as V;
  }

  setAt(slot: number, value: V): void {
    this.vals[slot] = value;
  }

  /** Inserts a missing key at the `~slot` that `find(key)` has just returned. */
  insertAt(missing: number, key: string, value: V): void {
    const slot = ~missing;
    this.keys[slot] = key;
    this.hashes[slot] = this.lastHash;
    this.vals[slot] = value;
    if (++this.count * 2 > this.keys.length) this.grow();
  }

  *entries(): IterableIterator<[string, V]> {
    const { keys, vals } = this;
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i];
      if (k !== undefined) yield [k, vals[i] as V];
    }
  }

  clear(): void {
    this.keys.fill(undefined);
    this.vals.fill(undefined);
    this.count = 0;
  }

  private grow(): void {
    const { keys, hashes, vals } = this;
    const cap = keys.length * 2;
    this.keys = new Array<string | undefined>(cap).fill(undefined);
    this.hashes = new Int32Array(cap);
    this.vals = new Array<V | undefined>(cap).fill(undefined);
    this.mask = cap - 1;
    for (let j = 0; j < keys.length; j++) {
      const k = keys[j];
      if (k === undefined) continue;
      const h = hashes[j]!;
      let i = h & this.mask;
      while (this.keys[i] !== undefined) i = (i + 1) & this.mask;
      this.keys[i] = k;
      this.hashes[i] = h;
      this.vals[i] = vals[j];
    }
  }
}
