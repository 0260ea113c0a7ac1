/**
 * One binary min-heap of items keyed by (time, sequence): earlier first, and at equal times
 * the one pushed first. Parallel arrays, sift with a hole: no object or array allocated per
 * operation. The virtual clock and the timer queue both stand on it.
 */
export class MinHeap<T> {
  private readonly at: number[] = [];
  private readonly seq: number[] = [];
  private readonly items: T[] = [];
  private nextSeq = 0;

  get size(): number {
    return this.at.length;
  }

  /** Adds `item` at time `t`; returns its sequence number (unique, rising: the tie-break at equal times). */
  push(t: number, item: T): number {
    const a = this.at;
    const q = this.seq;
    const it = this.items;
    const s = this.nextSeq++;
    let i = a.length;
    a.push(t);
    q.push(s);
    it.push(item);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (a[p]! < t || (a[p] === t && q[p]! < s)) break;
      a[i] = a[p]!;
      q[i] = q[p]!;
      it[i] = it[p]!;
      i = p;
    }
    a[i] = t;
    q[i] = s;
    it[i] = item;
    return s;
  }

  /** Time of the first item, or undefined. */
  peekTime(): number | undefined {
    return this.at[0];
  }

  peekItem(): T | undefined {
    return this.items[0];
  }

  /** Sequence number of the first item (as `push` returned it), or undefined. */
  peekSeq(): number | undefined {
    return this.seq[0];
  }

  pop(): T | undefined {
    const a = this.at;
    const q = this.seq;
    const it = this.items;
    if (a.length === 0) return undefined;
    const top = it[0]!;
    const lt = a.pop()!;
    const ls = q.pop()!;
    const li = it.pop()!;
    const n = a.length;
    if (n) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        const c = r < n && (a[r]! < a[l]! || (a[r] === a[l] && q[r]! < q[l]!)) ? r : l;
        if (a[c]! > lt || (a[c] === lt && q[c]! > ls)) break;
        a[i] = a[c]!;
        q[i] = q[c]!;
        it[i] = it[c]!;
        i = c;
      }
      a[i] = lt;
      q[i] = ls;
      it[i] = li;
    }
    return top;
  }

  /** Keeps only the items `keep` accepts; their order (time, then first pushed) and sequence numbers are kept. */
  filter(keep: (item: T, seq: number, t: number) => boolean): void {
    const live: { t: number; s: number; item: T }[] = [];
    for (let i = 0; i < this.at.length; i++) if (keep(this.items[i]!, this.seq[i]!, this.at[i]!)) live.push({ t: this.at[i]!, s: this.seq[i]!, item: this.items[i]! });
    // Sorted by (time, sequence) is a valid heap.
    live.sort((x, y) => x.t - y.t || x.s - y.s);
    this.at.length = 0;
    this.seq.length = 0;
    this.items.length = 0;
    for (const x of live) {
      this.at.push(x.t);
      this.seq.push(x.s);
      this.items.push(x.item);
    }
  }
}
