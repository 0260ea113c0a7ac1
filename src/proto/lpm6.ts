/**
 * IPv6 longest-prefix match fit for 1,000,000 prefixes: one open-addressing hash table keyed
 * by (prefix, length), and bitmaps of the prefix lengths present: for every /32 that holds
 * longer prefixes, a 96-bit map of lengths 33..128 under it (in a small hash of its own);
 * for every /16 a map of lengths 17..32; one list of lengths 0..16. A lookup reads its
 * /32's map, then probes only the lengths present under its /32 and /16, longest first,
 * and stops at the first hit. Insert and remove are O(1) and may run between any two
 * lookups; the table holds at most `maxPrefixes` prefixes (an insert beyond that is
 * refused and counted, the table never grows past it).
 *
 * Why not a trie (DIR-24-8 as IPv4 does, or a multibit trie): 128-bit keys with 1M
 * prefixes spread over a /3 make strided tries explode (each /48 costs up to five 256-entry
 * nodes with 8-bit strides: gigabytes for random /48s), and path-compressed tries cost a
 * pointer chase per level in JS. A hash costs one probe (one cache miss) per length tried,
 * and the bitmaps keep that to the few lengths really present under the address: a /32
 * holds one ISP's /48s, /56s and /64s, not the 27 lengths of the whole IPv6 DFZ (/48 ≈ half,
 * /32, /44, /40, /36, /29 most of the rest). A slot is 32 bytes (key, length and value
 * together: one miss per probe) at ≤ 50 % load: 64 MB at 1M prefixes, plus the /32 maps
 * (16 bytes a slot) and 256 KB of /16 maps.
 */

/** Largest value `insert` accepts. */
export const LPM6_MAX_VALUE = 0x7fffffff;
/** Default bound on the prefixes one table holds. */
export const LPM6_DEFAULT_MAX = 1 << 21;

/** MASK[len * 4 + w]: the mask of 32-bit word w for a /len. */
const MASK = new Int32Array(129 * 4);
for (let len = 0; len <= 128; len++) {
  for (let w = 0; w < 4; w++) {
    const bits = Math.max(0, Math.min(32, len - 32 * w));
    MASK[len * 4 + w] = bits === 0 ? 0 : bits === 32 ? -1 : (0xffffffff << (32 - bits)) | 0;
  }
}

/** Lengths 0..16 match across /16 boundaries, so they sit in one global list. */
const SHORT = 16;
/** Words per /32 map slot: the /32, then lengths 33..64, 65..96, 97..128 (bit len - 1 - 32·w). */
const M32 = 4;

const hash32 = (k: number): number => {
  const h = Math.imul(k ^ (k >>> 16), 0x45d9f3b);
  return h ^ (h >>> 16);
};
/** Words per slot (32 bytes: a slot never straddles a 64-byte cache line). */
const SLOT = 8;
const LEN = 4;
const VAL = 5;

const word = (a: Uint8Array, o: number): number => (a[o]! << 24) | (a[o + 1]! << 16) | (a[o + 2]! << 8) | a[o + 3]!;

function hash(m0: number, m1: number, m2: number, m3: number, len: number): number {
  let h = Math.imul(m0 ^ (len << 24), 0x9e3779b1);
  h = Math.imul(h ^ (h >>> 15) ^ m1, 0x85ebca77);
  h = Math.imul(h ^ (h >>> 13) ^ m2, 0xc2b2ae3d);
  h = Math.imul(h ^ (h >>> 16) ^ m3, 0x27d4eb2f);
  return h ^ (h >>> 15);
}

export interface Lpm6Stats {
  readonly prefixes: number;
  readonly slots: number;
  /** Distinct prefix lengths present. */
  readonly lengths: number;
  readonly bytes: number;
}

export class Lpm6 {
  readonly maxPrefixes: number;
  /** Inserts refused because the table held `maxPrefixes`. */
  refused = 0;
  private cap: number;
  private mask: number;
  /** SLOT words per slot: the four key words, len + 1 (0 = empty), the value. */
  private t: Int32Array;
  private count = 0;
  /** Per /16: bit `len - 17` for lengths 17..32 present under it. */
  private readonly bm16 = new Int32Array(65536);
  /** /32 maps: open addressing, M32 words a slot; a slot is in use while any length bit is set. */
  private m32: Int32Array = new Int32Array(64 * M32);
  private m32Mask = 63;
  private m32Used = 0;
  /** (prefix of the /16 or /32, len) → prefixes of that length under it (the maps' reference counts). */
  private readonly refs = new Map<number, number>();
  /** Prefixes per length, 0..128. */
  private readonly perLength = new Uint32Array(129);
  /** Lengths 0..16 present, longest first. */
  private short: number[] = [];

  constructor(o: { maxPrefixes?: number; initialSlots?: number } = {}) {
    this.maxPrefixes = o.maxPrefixes ?? LPM6_DEFAULT_MAX;
    let cap = 64;
    while (cap < (o.initialSlots ?? 64)) cap *= 2;
    this.cap = cap;
    this.mask = cap - 1;
    this.t = new Int32Array(cap * SLOT);
  }

  get size(): number {
    return this.count;
  }

  /** The value of the longest prefix covering the address at a[o, o+16), or -1. */
  lookup(a: Uint8Array, o = 0): number {
    const w0 = word(a, o);
    const w1 = word(a, o + 4);
    const w2 = word(a, o + 8);
    const w3 = word(a, o + 12);
    // Lengths 128..33 present under this /32, longest first: highest set bit of each word.
    if (this.m32Used !== 0) {
      const e = this.find32(w0);
      if (e >= 0) {
        const m = this.m32;
        for (let wi = 3; wi >= 1; wi--) {
          let bits = m[e + wi]!;
          while (bits !== 0) {
            const bit = 31 - Math.clz32(bits);
            bits &= ~(1 << bit);
            const len = wi * 32 + bit + 1;
            const v = this.find(w0, w1 & MASK[len * 4 + 1]!, w2 & MASK[len * 4 + 2]!, w3 & MASK[len * 4 + 3]!, len);
            if (v >= 0) return v;
          }
        }
      }
    }
    // Lengths 32..17 under this /16.
    let bits = this.bm16[w0 >>> 16]!;
    while (bits !== 0) {
      const bit = 31 - Math.clz32(bits);
      bits &= ~(1 << bit);
      const len = bit + 17;
      const v = this.find(w0 & MASK[len * 4]!, 0, 0, 0, len);
      if (v >= 0) return v;
    }
    const short = this.short;
    for (let i = 0; i < short.length; i++) {
      const len = short[i]!;
      const v = this.find(w0 & MASK[len * 4]!, 0, 0, 0, len);
      if (v >= 0) return v;
    }
    return -1;
  }

  /** The value stored for exactly prefix/len, or -1. */
  get(prefix: Uint8Array, len: number): number {
    if (!(len >= 0 && len <= 128)) return -1;
    return this.find(word(prefix, 0) & MASK[len * 4]!, word(prefix, 4) & MASK[len * 4 + 1]!, word(prefix, 8) & MASK[len * 4 + 2]!, word(prefix, 12) & MASK[len * 4 + 3]!, len);
  }

  /**
   * Adds or replaces prefix/len → value; host bits of `prefix` are ignored. Returns false
   * (and counts `refused`) when the table is full and prefix/len is new.
   */
  insert(prefix: Uint8Array, len: number, value: number): boolean {
    if (!(len >= 0 && len <= 128) || !(value >= 0 && value <= LPM6_MAX_VALUE) || prefix.length < 16) throw new RangeError(`lpm6: bad prefix length ${len} or value ${value}`);
    const m0 = word(prefix, 0) & MASK[len * 4]!;
    const m1 = word(prefix, 4) & MASK[len * 4 + 1]!;
    const m2 = word(prefix, 8) & MASK[len * 4 + 2]!;
    const m3 = word(prefix, 12) & MASK[len * 4 + 3]!;
    const at = this.slot(m0, m1, m2, m3, len);
    const t = this.t;
    if (t[at + LEN] !== 0) {
      t[at + VAL] = value;
      return true;
    }
    if (this.count >= this.maxPrefixes) {
      this.refused++;
      return false;
    }
    t[at] = m0;
    t[at + 1] = m1;
    t[at + 2] = m2;
    t[at + 3] = m3;
    t[at + LEN] = len + 1;
    t[at + VAL] = value;
    this.count++;
    this.account(m0, len, 1);
    if (this.count * 2 > this.cap) this.resize(this.cap * 2);
    return true;
  }

  /** Removes prefix/len; addresses it covered fall back to the next shorter prefix. Returns whether it existed. */
  remove(prefix: Uint8Array, len: number): boolean {
    if (!(len >= 0 && len <= 128)) return false;
    const m0 = word(prefix, 0) & MASK[len * 4]!;
    const t = this.t;
    let i = this.slot(m0, word(prefix, 4) & MASK[len * 4 + 1]!, word(prefix, 8) & MASK[len * 4 + 2]!, word(prefix, 12) & MASK[len * 4 + 3]!, len) / SLOT;
    if (t[i * SLOT + LEN] === 0) return false;
    this.count--;
    this.account(m0, len, -1);
    // Backward-shift deletion (no tombstones): later slots of the run move up when their home allows.
    const mask = this.mask;
    let j = i;
    for (;;) {
      t[i * SLOT + LEN] = 0;
      for (;;) {
        j = (j + 1) & mask;
        const b = j * SLOT;
        if (t[b + LEN] === 0) return true;
        const home = hash(t[b]!, t[b + 1]!, t[b + 2]!, t[b + 3]!, t[b + LEN]! - 1) & mask;
        // Slot j may fill the hole at i unless its home lies cyclically in (i, j].
        if (i <= j ? home <= i || home > j : home <= i && home > j) break;
      }
      t.copyWithin(i * SLOT, j * SLOT, j * SLOT + SLOT);
      i = j;
    }
  }

  /** Every prefix as [prefix (16 bytes, fresh), len, value], in no particular order. */
  *entries(): IterableIterator<[Uint8Array, number, number]> {
    const t = this.t;
    for (let b = 0; b < t.length; b += SLOT) {
      if (t[b + LEN] === 0) continue;
      const p = new Uint8Array(16);
      const dv = new DataView(p.buffer);
      for (let w = 0; w < 4; w++) dv.setInt32(w * 4, t[b + w]!);
      yield [p, t[b + LEN]! - 1, t[b + VAL]!];
    }
  }

  stats(): Lpm6Stats {
    let lengths = 0;
    for (const n of this.perLength) if (n) lengths++;
    return { prefixes: this.count, slots: this.cap, lengths, bytes: this.t.byteLength + this.bm16.byteLength + this.m32.byteLength };
  }

  private find(m0: number, m1: number, m2: number, m3: number, len: number): number {
    const t = this.t;
    const mask = this.mask;
    const l1 = len + 1;
    for (let i = hash(m0, m1, m2, m3, len) & mask; ; i = (i + 1) & mask) {
      const b = i * SLOT;
      const l = t[b + LEN]!;
      if (l === 0) return -1;
      if (l === l1 && t[b] === m0 && t[b + 1] === m1 && t[b + 2] === m2 && t[b + 3] === m3) return t[b + VAL]!;
    }
  }

  /** The word offset of the slot holding the key, or of the empty slot where it would go. */
  private slot(m0: number, m1: number, m2: number, m3: number, len: number): number {
    const t = this.t;
    const mask = this.mask;
    const l1 = len + 1;
    for (let i = hash(m0, m1, m2, m3, len) & mask; ; i = (i + 1) & mask) {
      const b = i * SLOT;
      const l = t[b + LEN]!;
      if (l === 0) return b;
      if (l === l1 && t[b] === m0 && t[b + 1] === m1 && t[b + 2] === m2 && t[b + 3] === m3) return b;
    }
  }

  private account(m0: number, len: number, d: 1 | -1): void {
    const before = this.perLength[len]!;
    this.perLength[len] = before + d;
    if (len <= SHORT) {
      if (before === 0 || before + d === 0) {
        this.short = [];
        for (let l = SHORT; l >= 0; l--) if (this.perLength[l]) this.short.push(l);
      }
      return;
    }
    // Reference-count keys: a /16 or a /32 (as an unsigned number) times 256, plus the length.
    const k = (len <= 32 ? m0 >>> 16 : m0 >>> 0) * 256 + len;
    const had = this.refs.get(k) ?? 0;
    const n = had + d;
    if (n === 0) this.refs.delete(k);
    else this.refs.set(k, n);
    if (had !== 0 && n !== 0) return;
    if (len <= 32) {
      const top = m0 >>> 16;
      const bit = 1 << (len - 17);
      this.bm16[top] = n === 0 ? this.bm16[top]! & ~bit : this.bm16[top]! | bit;
      return;
    }
    const w = (len - 1) >>> 5;
    const bit = 1 << ((len - 1) & 31);
    if (n !== 0) {
      let e = this.find32(m0);
      if (e < 0) {
        if ((this.m32Used + 1) * 2 > this.m32Mask + 1) this.resize32((this.m32Mask + 1) * 2);
        e = this.slot32(m0);
        this.m32[e] = m0;
        this.m32Used++;
      }
      this.m32[e + w] = this.m32[e + w]! | bit;
      return;
    }
    const e = this.find32(m0)!;
    const m = this.m32;
    m[e + w] = m[e + w]! & ~bit;
    if ((m[e + 1]! | m[e + 2]! | m[e + 3]!) !== 0) return;
    // The /32 holds no longer prefix any more: backward-shift deletion of its slot.
    this.m32Used--;
    const mask = this.m32Mask;
    let i = e / M32;
    let j = i;
    for (;;) {
      for (;;) {
        j = (j + 1) & mask;
        const b = j * M32;
        if ((m[b + 1]! | m[b + 2]! | m[b + 3]!) === 0) return;
        const home = hash32(m[b]!) & mask;
        if (i <= j ? home <= i || home > j : home <= i && home > j) break;
      }
      m.copyWithin(i * M32, j * M32, j * M32 + M32);
      m[j * M32 + 1] = m[j * M32 + 2] = m[j * M32 + 3] = 0;
      i = j;
    }
  }

  /** The word offset of the /32 map of `top`, or -1. */
  private find32(top: number): number {
    const m = this.m32;
    const mask = this.m32Mask;
    for (let i = hash32(top) & mask; ; i = (i + 1) & mask) {
      const b = i * M32;
      if ((m[b + 1]! | m[b + 2]! | m[b + 3]!) === 0) return -1;
      if (m[b] === top) return b;
    }
  }

  /** The word offset of a free /32 map slot for `top` (the caller knows it is absent). */
  private slot32(top: number): number {
    const m = this.m32;
    const mask = this.m32Mask;
    for (let i = hash32(top) & mask; ; i = (i + 1) & mask) {
      const b = i * M32;
      if ((m[b + 1]! | m[b + 2]! | m[b + 3]!) === 0) return b;
    }
  }

  private resize32(slots: number): void {
    const old = this.m32;
    this.m32 = new Int32Array(slots * M32);
    this.m32Mask = slots - 1;
    for (let b = 0; b < old.length; b += M32) {
      if ((old[b + 1]! | old[b + 2]! | old[b + 3]!) === 0) continue;
      this.m32.set(old.subarray(b, b + M32), this.slot32(old[b]!));
    }
  }

  private resize(cap: number): void {
    const old = this.t;
    this.cap = cap;
    this.mask = cap - 1;
    this.t = new Int32Array(cap * SLOT);
    for (let b = 0; b < old.length; b += SLOT) {
      const l = old[b + LEN]!;
      if (l === 0) continue;
      const at = this.slot(old[b]!, old[b + 1]!, old[b + 2]!, old[b + 3]!, l - 1);
      this.t.set(old.subarray(b, b + SLOT), at);
    }
  }
}
