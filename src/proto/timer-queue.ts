/**
 * Many machines' timers behind one `nextTimeout()`: a min-heap of (time, item) with lazy
 * invalidation. `schedule` after touching an item; `due(now)` yields the items whose
 * time has come (an item may come out more than once: an extra timeout is harmless).
 */
import { MinHeap } from './heap.js';

export class TimerQueue<T> {
  private readonly heap = new MinHeap<T>();
  private readonly when = new Map<T, number>();

  /** Records `t` as the item's next timeout (undefined: none). */
  schedule(item: T, t: number | undefined): void {
    if (t === undefined) {
      this.when.delete(item);
      return;
    }
    if (this.when.get(item) === t) return;
    this.when.set(item, t);
    this.heap.push(t, item);
  }

  remove(item: T): void {
    this.when.delete(item);
  }

  peek(): number | undefined {
    for (let t = this.heap.peekTime(); t !== undefined; t = this.heap.peekTime()) {
      if (this.when.get(this.heap.peekItem()!) === t) return t;
      this.heap.pop();
    }
    return undefined;
  }

  /** Removes and returns every item due at `now`. */
  due(now: number): T[] {
    const out: T[] = [];
    for (let t = this.peek(); t !== undefined && t <= now; t = this.peek()) {
      const item = this.heap.pop()!;
      this.when.delete(item);
      out.push(item);
    }
    return out;
  }

  get size(): number {
    return this.when.size;
  }
}
