/**
 * Many machines' timers behind one `nextTimeout()`: a min-heap of (time, item) with lazy
 * invalidation. `schedule` after touching an item; `due(now)` yields the items whose
 * time has come (an item may come out more than once: an extra timeout is harmless).
 */
export class TimerQueue<T> {
  private at: number[] = [];
  private items: T[] = [];
  private readonly when = new Map<T, number>();

  /** Records `t` as the item's next timeout (undefined: none). */
  schedule(item: T, t: number | undefined): void {
    if (t === undefined) {
      this.when.delete(item);
      return;
    }
    if (this.when.get(item) === t) return;
    this.when.set(item, t);
    this.push(t, item);
  }

  remove(item: T): void {
    this.when.delete(item);
  }

  peek(): number | undefined {
    while (this.at.length) {
      const item = this.items[0]!;
      if (this.when.get(item) === this.at[0]) return this.at[0];
      this.pop();
    }
    return undefined;
  }

  /** Removes and returns every item due at `now`. */
  due(now: number): T[] {
    const out: T[] = [];
    for (let t = this.peek(); t !== undefined && t <= now; t = this.peek()) {
      const item = this.pop();
      this.when.delete(item);
      out.push(item);
    }
    return out;
  }

  get size(): number {
    return this.when.size;
  }

  private push(t: number, item: T): void {
    const a = this.at;
    const it = this.items;
    let i = a.length;
    a.push(t);
    it.push(item);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (a[p]! <= t) break;
      a[i] = a[p]!;
      it[i] = it[p]!;
      i = p;
    }
    a[i] = t;
    it[i] = item;
  }

  private pop(): T {
    const a = this.at;
    const it = this.items;
    const top = it[0]!;
    const lt = a.pop()!;
    const li = it.pop()!;
    const n = a.length;
    if (n) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        const c = r < n && a[r]! < a[l]! ? r : l;
        if (a[c]! >= lt) break;
        a[i] = a[c]!;
        it[i] = it[c]!;
        i = c;
      }
      a[i] = lt;
      it[i] = li;
    }
    return top;
  }
}
