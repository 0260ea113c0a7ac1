/**
 * IPv4 longest-prefix match, DIR-24-8 (Gupta, Lin, McKeown, "Routing lookups in hardware
 * at memory access speeds", 1998; the layout DPDK's rte_lpm uses): a 2^24-entry table
 * indexed by the top 24 bits, and 256-entry groups for the /25–/32 under a /24. A lookup
 * is one or two typed-array reads. Every entry carries the prefix length that wrote it, so
 * add and remove are incremental (no rebuild) and can run between any two lookups.
 * Values are small integers (route ids, < 2^24 - 1); the caller keeps what they mean.
 * The 64 MB tbl24 is sized to what it holds: it starts as 4,096 chunks of 4,096 entries,
 * each one value until a route splits it (a small network's router holds a few chunks,
 * tens of KB), and becomes the flat table once more than `FLAT_AT` chunks are split, so a
 * full table looks up exactly as plain DIR-24-8 does.
 */

const EXT = 0x40000000; // entry points to a tbl8 group
const VALUE_MASK = 0x00ffffff; // value + 1, or group index
const DEPTH_SHIFT = 24;
/** Largest value `insert` accepts. */
export const LPM_MAX_VALUE = VALUE_MASK - 1;

function maskOf(len: number): number {
  return len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
}

const depthOf = (e: number): number => (e >>> DEPTH_SHIFT) & 0x3f;

const CHUNK_BITS = 12;
const CHUNK = 1 << CHUNK_BITS; // tbl24 entries per chunk (16 KB)
const CHUNK_MASK = CHUNK - 1;
const DIR = 1 << (24 - CHUNK_BITS);
/** Split chunks (16 KB each) beyond which the flat 64 MB tbl24 is cheaper than the directory's extra read. */
export const FLAT_AT = 512;

export interface LpmStats {
  readonly routes: number;
  readonly tbl8Groups: number;
  readonly tbl8Capacity: number;
  /** Bytes held by the typed arrays (tables and the exact-match index). */
  readonly bytes: number;
}

export class Lpm {
  /** The flat tbl24 once it pays for itself; until then `dir` + `pool`. */
  private flat: Int32Array | null = null;
  /** Per chunk of tbl24: ≥ 0 the one entry of the whole chunk, < 0 `~base` of its entries in `pool`. */
  private dir: Int32Array = new Int32Array(DIR);
  private pool: Int32Array = new Int32Array(CHUNK * 4);
  private chunks = 0;
  private tbl8: Int32Array;
  private tbl8Used = 0; // groups handed out (high-water mark)
  private free8: number[] = [];
  private groups = 0;
  private readonly exact: PrefixIndex;

  constructor(initialGroups = 16) {
    this.tbl8 = new Int32Array(256 * Math.max(1, initialGroups));
    this.exact = new PrefixIndex(1024);
  }

  /** Number of prefixes held. */
  get size(): number {
    return this.exact.size;
  }

  /** The value of the longest prefix covering `addr`, or -1. */
  lookup(addr: number): number {
    const flat = this.flat;
    let e: number;
    if (flat !== null) e = flat[addr >>> 8]!;
    else {
      const d = this.dir[addr >>> 20]!;
      e = d >= 0 ? d : this.pool[~d + ((addr >>> 8) & CHUNK_MASK)]!;
    }
    if ((e & EXT) !== 0) e = this.tbl8[((e & VALUE_MASK) << 8) | (addr & 0xff)]!;
    return (e & VALUE_MASK) - 1;
  }

  /** The value stored for exactly prefix/len, or -1. */
  get(prefix: number, len: number): number {
    return this.exact.get((prefix & maskOf(len)) >>> 0, len);
  }

  /** Adds or replaces prefix/len → value. Host bits of `prefix` are ignored. */
  insert(prefix: number, len: number, value: number): void {
    if (!(len >= 0 && len <= 32) || !(value >= 0 && value <= LPM_MAX_VALUE)) throw new RangeError(`lpm: bad prefix length ${len} or value ${value}`);
    const p = (prefix & maskOf(len)) >>> 0;
    this.exact.set(p, len, value);
    this.write(p, len, (len << DEPTH_SHIFT) | (value + 1), false);
    if (this.flat === null && this.chunks > FLAT_AT) this.flatten();
  }

  /** Removes prefix/len; addresses it covered fall back to the next shorter prefix. Returns whether it existed. */
  remove(prefix: number, len: number): boolean {
    const p = (prefix & maskOf(len)) >>> 0;
    if (!this.exact.delete(p, len)) return false;
    let parent = 0;
    for (let l = len - 1; l >= 0; l--) {
      const v = this.exact.get((p & maskOf(l)) >>> 0, l);
      if (v >= 0) {
        parent = (l << DEPTH_SHIFT) | (v + 1);
        break;
      }
    }
    this.write(p, len, parent, true);
    return true;
  }

  /** Every prefix as [prefix, len, value], in no particular order. */
  *entries(): IterableIterator<[number, number, number]> {
    yield* this.exact.entries();
  }

  stats(): LpmStats {
    const t24 = this.flat ? this.flat.byteLength : this.dir.byteLength + this.pool.byteLength;
    return { routes: this.size, tbl8Groups: this.groups, tbl8Capacity: this.tbl8.length >>> 8, bytes: t24 + this.tbl8.byteLength + this.exact.bytes };
  }

  /** Whether tbl24 is the flat 2^24 table (false while it is chunked). */
  get isFlat(): boolean {
    return this.flat !== null;
  }

  private get24(i: number): number {
    if (this.flat !== null) return this.flat[i]!;
    const d = this.dir[i >>> CHUNK_BITS]!;
    return d >= 0 ? d : this.pool[~d + (i & CHUNK_MASK)]!;
  }

  private set24(i: number, v: number): void {
    if (this.flat !== null) {
      this.flat[i] = v;
      return;
    }
    const c = i >>> CHUNK_BITS;
    if (this.dir[c]! === v) return;
    if (this.dir[c]! >= 0) this.split(c);
    this.pool[~this.dir[c]! + (i & CHUNK_MASK)] = v;
  }

  /** Gives chunk `c` entries of its own, all equal to its one value so far. */
  private split(c: number): void {
    const d = this.dir[c]!;
    const base = this.chunks * CHUNK;
    if (base + CHUNK > this.pool.length) {
      const bigger = new Int32Array(this.pool.length * 2);
      bigger.set(this.pool);
      this.pool = bigger;
    }
    this.pool.fill(d, base, base + CHUNK);
    this.dir[c] = ~base;
    this.chunks++;
  }

  /** The chunked tbl24 becomes the flat one (once, when it holds routes all over the space). */
  private flatten(): void {
    const flat = new Int32Array(1 << 24);
    for (let c = 0; c < DIR; c++) {
      const d = this.dir[c]!;
      if (d >= 0) flat.fill(d, c << CHUNK_BITS, (c + 1) << CHUNK_BITS);
      else flat.set(this.pool.subarray(~d, ~d + CHUNK), c << CHUNK_BITS);
    }
    this.flat = flat;
    this.dir = new Int32Array(0);
    this.pool = new Int32Array(0);
  }

  /**
   * Writes `entry` over the range of p/len. Insert (`removing` false) overwrites entries
   * whose depth is ≤ len (a longer prefix underneath stays); remove overwrites exactly the
   * entries of depth len (those are this prefix's, same-length prefixes never overlap).
   */
  private write(p: number, len: number, entry: number, removing: boolean): void {
    if (len <= 24) {
      const start = p >>> 8;
      const end = start + (1 << (24 - len));
      if (this.flat !== null) return this.writeRange(this.flat, start, end, 0, len, entry, removing);
      for (let c = start >>> CHUNK_BITS; c << CHUNK_BITS < end; c++) {
        const lo = Math.max(start, c << CHUNK_BITS);
        const hi = Math.min(end, (c + 1) << CHUNK_BITS);
        const d = this.dir[c]!;
        if (d >= 0) {
          // One value for the whole chunk (never a group: a group belongs to one /24).
          if (!(removing ? d !== 0 && depthOf(d) === len : depthOf(d) <= len)) continue;
          if (hi - lo === CHUNK) {
            this.dir[c] = entry;
            continue;
          }
          this.split(c);
        }
        const base = ~this.dir[c]!;
        this.writeRange(this.pool, lo, hi, base - (c << CHUNK_BITS), len, entry, removing);
      }
      return;
    }
    const i = p >>> 8;
    let e = this.get24(i);
    if ((e & EXT) === 0) {
      if (removing) return; // cannot happen: a /25+ always lives in a group
      const g = this.allocGroup();
      this.tbl8.fill(e, g << 8, (g << 8) + 256);
      e = EXT | g;
      this.set24(i, e);
    }
    const base = (e & VALUE_MASK) << 8;
    this.writeGroup(base, p & 0xff, 1 << (32 - len), len, entry, removing);
    if (removing) this.maybeCollapse(i, base);
  }

  /** tbl24 entries [start, end) held in `t` at index i + `shift`. */
  private writeRange(t: Int32Array, start: number, end: number, shift: number, len: number, entry: number, removing: boolean): void {
    for (let i = start; i < end; i++) {
      const e = t[i + shift]!;
      if ((e & EXT) !== 0) {
        this.writeGroup((e & VALUE_MASK) << 8, 0, 256, len, entry, removing);
      } else if (removing ? e !== 0 && depthOf(e) === len : depthOf(e) <= len) {
        t[i + shift] = entry;
      }
    }
  }

  private writeGroup(base: number, from: number, count: number, len: number, entry: number, removing: boolean): void {
    const t8 = this.tbl8;
    const end = base + from + count;
    for (let j = base + from; j < end; j++) {
      const e = t8[j]!;
      if (removing ? e !== 0 && depthOf(e) === len : depthOf(e) <= len) t8[j] = entry;
    }
  }

  /** When no /25+ is left in a group, its 256 entries are equal: put that entry back in tbl24. */
  private maybeCollapse(i: number, base: number): void {
    const t8 = this.tbl8;
    for (let j = base; j < base + 256; j++) if (depthOf(t8[j]!) > 24) return;
    this.set24(i, t8[base]!);
    this.free8.push(base >>> 8);
    this.groups--;
  }

  private allocGroup(): number {
    this.groups++;
    const g = this.free8.pop();
    if (g !== undefined) return g;
    if (this.tbl8Used << 8 >= this.tbl8.length) {
      if (this.tbl8Used >= 1 << 22) throw new RangeError('lpm: tbl8 groups exhausted');
      const bigger = new Int32Array(this.tbl8.length * 2);
      bigger.set(this.tbl8);
      this.tbl8 = bigger;
    }
    return this.tbl8Used++;
  }
}

/**
 * Exact (prefix, length) → value index: open addressing with linear probing and
 * backward-shift deletion over typed arrays (compact at a million prefixes).
 */
class PrefixIndex {
  private keys: Int32Array;
  private lens: Int8Array; // -1 = empty
  private vals: Int32Array;
  private mask: number;
  size = 0;

  constructor(capacity: number) {
    const cap = 1 << Math.ceil(Math.log2(Math.max(16, capacity)));
    this.keys = new Int32Array(cap);
    this.lens = new Int8Array(cap).fill(-1);
    this.vals = new Int32Array(cap);
    this.mask = cap - 1;
  }

  get bytes(): number {
    return this.keys.byteLength + this.lens.byteLength + this.vals.byteLength;
  }

  private home(p: number, len: number): number {
    let h = Math.imul(p ^ Math.imul(len + 1, 0x9e3779b1), 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
    return h & this.mask;
  }

  private find(p: number, len: number): number {
    const k = p | 0;
    for (let i = this.home(p, len); ; i = (i + 1) & this.mask) {
      const l = this.lens[i]!;
      if (l < 0) return -1 - i;
      if (l === len && this.keys[i] === k) return i;
    }
  }

  get(p: number, len: number): number {
    const i = this.find(p, len);
    return i >= 0 ? this.vals[i]! : -1;
  }

  set(p: number, len: number, v: number): void {
    let i = this.find(p, len);
    if (i >= 0) {
      this.vals[i] = v;
      return;
    }
    if ((this.size + 1) * 2 > this.mask + 1) {
      this.grow();
      i = this.find(p, len);
    }
    i = -1 - i;
    this.keys[i] = p | 0;
    this.lens[i] = len;
    this.vals[i] = v;
    this.size++;
  }

  delete(p: number, len: number): boolean {
    let i = this.find(p, len);
    if (i < 0) return false;
    const m = this.mask;
    // Backward-shift: pull later members of the probe run into the hole.
    for (let j = (i + 1) & m; this.lens[j]! >= 0; j = (j + 1) & m) {
      const k = this.home(this.keys[j]! >>> 0, this.lens[j]!);
      const stays = i <= j ? i < k && k <= j : i < k || k <= j;
      if (stays) continue;
      this.keys[i] = this.keys[j]!;
      this.lens[i] = this.lens[j]!;
      this.vals[i] = this.vals[j]!;
      i = j;
    }
    this.lens[i] = -1;
    this.size--;
    return true;
  }

  *entries(): IterableIterator<[number, number, number]> {
    for (let i = 0; i <= this.mask; i++) if (this.lens[i]! >= 0) yield [this.keys[i]! >>> 0, this.lens[i]!, this.vals[i]!];
  }

  private grow(): void {
    const { keys, lens, vals } = this;
    const cap = (this.mask + 1) * 2;
    this.keys = new Int32Array(cap);
    this.lens = new Int8Array(cap).fill(-1);
    this.vals = new Int32Array(cap);
    this.mask = cap - 1;
    this.size = 0;
    for (let i = 0; i < lens.length; i++) if (lens[i]! >= 0) this.set(keys[i]! >>> 0, lens[i]!, vals[i]!);
  }
}
