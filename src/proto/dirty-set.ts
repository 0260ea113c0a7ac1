/**
 * The set of sessions a box must look at on its next pump (output to send, events to read,
 * a timer to re-arm). `take()` hands over the members so far in a set of their own, so that
 * sessions marked while those are serviced wait for the next round; `done()` gives the set
 * back to be reused — no array copy per pump. A pump that re-enters while a set is out gets
 * a fresh one.
 */
export class DirtySet<T> {
  private live = new Set<T>();
  private spare: Set<T> | undefined = new Set<T>();

  get size(): number {
    return this.live.size;
  }

  add(x: T): void {
    this.live.add(x);
  }

  delete(x: T): void {
    this.live.delete(x);
  }

  take(): Set<T> {
    const list = this.live;
    this.live = this.spare ?? new Set();
    this.spare = undefined;
    return list;
  }

  done(list: Set<T>): void {
    list.clear();
    this.spare = list;
  }
}
