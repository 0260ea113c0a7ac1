/**
 * A learning switch's MAC table: 48-bit addresses to ports, open addressing with linear
 * probing over typed arrays. A `Map<number, …>` keyed by the 48-bit address as one number
 * would box that number (it is beyond V8's small integers) on every lookup; here the
 * address is two int32 halves, read from the frame, and a lookup allocates nothing.
 * Bounded: beyond `limit` entries a new address is not learnt (counted in `refused`); its
 * frames are flooded, as a real switch with a full table floods them.
 */
export class MacTable<V extends object> {
  private hi: Int32Array;
  private lo: Int32Array;
  private val: (V | undefined)[];
  private mask: number;
  private count = 0;
  /** Addresses not learnt because the table held `limit` entries. */
  refused = 0;

  constructor(readonly limit = 1 << 21) {
    const cap = 64;
    this.hi = new Int32Array(cap);
    this.lo = new Int32Array(cap);
    this.val = new Array<V | undefined>(cap).fill(undefined);
    this.mask = cap - 1;
  }

  get size(): number {
    return this.count;
  }

  /** The port that owns the address at `b[o..o+6]`, or undefined. */
  getAt(b: Uint8Array, o: number): V | undefined {
    return this.val[this.slot((b[o]! << 8) | b[o + 1]!, (b[o + 2]! << 24) | (b[o + 3]! << 16) | (b[o + 4]! << 8) | b[o + 5]!)];
  }

  /**
   * Learns that the address at `b[o..o+6]` is behind `v`. Returns the port it was behind
   * before (undefined when new), or false when the table is full and it was not learnt.
   */
  setAt(b: Uint8Array, o: number, v: V): V | undefined | false {
    const h = (b[o]! << 8) | b[o + 1]!;
    const l = (b[o + 2]! << 24) | (b[o + 3]! << 16) | (b[o + 4]! << 8) | b[o + 5]!;
    let i = this.slot(h, l);
    if (this.val[i] === undefined) {
      if (this.count >= this.limit) {
        this.refused++;
        return false;
      }
      if ((this.count + 1) * 2 > this.val.length) {
        this.grow();
        i = this.slot(h, l);
      }
      this.count++;
      this.hi[i] = h;
      this.lo[i] = l;
    }
    const before = this.val[i];
    this.val[i] = v;
    return before;
  }

  /** Forgets every address behind `v`. */
  deleteValue(v: V): void {
    for (let i = 0; i <= this.mask; ) {
      if (this.val[i] === v) this.removeSlot(i); // the slot may now hold a shifted entry: look again
      else i++;
    }
  }

  /** Where the address (h, l) starts probing. */
  private home(h: number, l: number): number {
    return (Math.imul(l ^ (h << 13) ^ (l >>> 16), 0x9e3779b1) >>> 8) & this.mask;
  }

  private slot(h: number, l: number): number {
    const m = this.mask;
    let i = this.home(h, l);
    for (;;) {
      if (this.val[i] === undefined || (this.lo[i] === l && this.hi[i] === h)) return i;
      i = (i + 1) & m;
    }
  }

  /** Backward-shift deletion: the entries after `i` that probed past it move up. */
  private removeSlot(i: number): void {
    const m = this.mask;
    const val = this.val;
    val[i] = undefined;
    this.count--;
    for (let j = (i + 1) & m; val[j] !== undefined; j = (j + 1) & m) {
      const home = this.home(this.hi[j]!, this.lo[j]!);
      // j's entry may fill the hole at i when its home slot is not in (i, j] (cyclically).
      const stays = i <= j ? home > i && home <= j : home > i || home <= j;
      if (stays) continue;
      this.hi[i] = this.hi[j]!;
      this.lo[i] = this.lo[j]!;
      val[i] = val[j];
      val[j] = undefined;
      i = j;
    }
  }

  private grow(): void {
    const { hi, lo, val } = this;
    const cap = val.length * 2;
    this.hi = new Int32Array(cap);
    this.lo = new Int32Array(cap);
    this.val = new Array<V | undefined>(cap).fill(undefined);
    this.mask = cap - 1;
    for (let i = 0; i < val.length; i++) {
      const v = val[i];
      if (v === undefined) continue;
      const k = this.slot(hi[i]!, lo[i]!);
      this.hi[k] = hi[i]!;
      this.lo[k] = lo[i]!;
      this.val[k] = v;
    }
  }
}
