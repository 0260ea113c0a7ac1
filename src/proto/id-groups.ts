/**
 * Small groups of ids by key (the routes of each interface): a group of one is the id itself,
 * a group of two one number holding both, a Set only from three on. Subscriber interfaces
 * carry one route (IPv4) or two (IPv6: the /64 and the delegated prefix), and a Set costs
 * about 120 bytes.
 *
 * Keys are interface indexes: small, dense and given again. They index a Float64Array (8
 * bytes a key, where a Map entry costs about 30 and its number box 16), which grows for a key
 * only while it stays within a few times the groups held: a far or negative key, and every
 * group of three or more, lives in a Map instead.
 */

/** Ids below this pack two to a number (an exact double: 2 × 26 bits). */
const PAIR = 2 ** 26;
/** The array grows to hold a key below max(DENSE_MIN, DENSE_FACTOR × groups held). */
const DENSE_MIN = 1024;
const DENSE_FACTOR = 4;
/** In the array: no group. */
const NONE = NaN;
/** In the array: the group is a Set, in the map. */
const IN_MAP = Infinity;

/** A pair is a negative number: -1 - (a·2^26 + b). */
function pair(a: number, b: number): number {
  return -1 - (a * PAIR + b);
}

function first(p: number): number {
  return Math.floor((-1 - p) / PAIR);
}

function second(p: number): number {
  return (-1 - p) % PAIR;
}

export class IdGroups {
  private dense = new Float64Array(16).fill(NONE);
  private readonly sparse = new Map<number, number | Set<number>>();
  /** Keys with a group. */
  size = 0;

  has(key: number): boolean {
    return this.get(key) !== undefined;
  }

  add(key: number, id: number): void {
    const cur = this.get(key);
    if (cur === undefined) this.set(key, id);
    else if (typeof cur === 'number') {
      if (cur >= 0) {
        if (cur === id) return;
        this.set(key, cur < PAIR && id < PAIR ? pair(cur, id) : new Set([cur, id]));
      } else {
        const a = first(cur), b = second(cur);
        if (id !== a && id !== b) this.set(key, new Set([a, b, id]));
      }
    } else cur.add(id);
  }

  delete(key: number, id: number): void {
    const cur = this.get(key);
    if (cur === undefined) return;
    if (typeof cur === 'number') {
      if (cur >= 0) {
        if (cur === id) this.set(key, undefined);
        return;
      }
      const a = first(cur), b = second(cur);
      if (id === a) this.set(key, b);
      else if (id === b) this.set(key, a);
      return;
    }
    cur.delete(id);
    if (cur.size === 0) this.set(key, undefined);
  }

  /** The whole group of `key` goes. */
  clear(key: number): void {
    this.set(key, undefined);
  }

  /** The ids of `key`'s group (a copy: the group may change while they are used). */
  ids(key: number): number[] | undefined {
    const cur = this.get(key);
    if (cur === undefined) return undefined;
    if (typeof cur === 'number') return cur >= 0 ? [cur] : [first(cur), second(cur)];
    return [...cur];
  }

  private get(key: number): number | Set<number> | undefined {
    if (this.inArray(key)) {
      const v = this.dense[key]!;
      if (v !== v) return undefined; // NONE
      if (v !== IN_MAP) return v;
    }
    return this.sparse.get(key);
  }

  private set(key: number, v: number | Set<number> | undefined): void {
    const had = this.get(key) !== undefined;
    if (v !== undefined && key >= this.dense.length && Number.isInteger(key) && key < Math.max(DENSE_MIN, DENSE_FACTOR * (this.size + 1))) this.grow(key);
    if (this.inArray(key)) {
      if (typeof v === 'number' || v === undefined) {
        if (this.dense[key] === IN_MAP) this.sparse.delete(key);
        this.dense[key] = v ?? NONE;
      } else {
        this.dense[key] = IN_MAP;
        this.sparse.set(key, v);
      }
    } else if (v === undefined) this.sparse.delete(key);
    else this.sparse.set(key, v);
    this.size += (v !== undefined ? 1 : 0) - (had ? 1 : 0);
  }

  private inArray(key: number): boolean {
    return key >= 0 && key < this.dense.length && (key | 0) === key;
  }

  /** The array covers `key`; keys the map held that it now covers are marked as in the map. */
  private grow(key: number): void {
    let n = this.dense.length;
    while (n <= key) n *= 2;
    const grown = new Float64Array(n).fill(NONE);
    grown.set(this.dense);
    for (const k of this.sparse.keys()) if (k >= this.dense.length && k < n && Number.isInteger(k)) grown[k] = IN_MAP;
    this.dense = grown;
  }
}

