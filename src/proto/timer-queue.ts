/**
 * Many machines' timers behind one `nextTimeout()`: a min-heap of (time, item) with lazy
 * invalidation. `schedule` after touching an item; `due(now)` yields the items whose
 * time has come (an item may come out more than once: an extra timeout is harmless).
 * A slot left behind (its item removed or moved) stays until it reaches the front, unless
 * such slots come to outnumber the live ones: then the heap is rebuilt without them (a mass
 * set-up leaves one per session, due only at its hand-off deadline a minute on).
 */
import { MinHeap } from './heap.js';

export class TimerQueue<T> {
  private readonly heap = new MinHeap<T>();
  private readonly when = new Map<T, number>();

  /** Records `t` as the item's next timeout (undefined: none). */
  schedule(item: T, t: number | undefined): void {
    if (t === undefined) return this.remove(item);
    if (this.when.get(item) === t) return;
    this.when.set(item, t);
    this.heap.push(t, item);
    this.compact();
  }

  remove(item: T): void {
    if (this.when.delete(item)) this.compact();
  }

  /** Rebuilds the heap without its dead slots once they outnumber the live ones (and 1024). */
  private compact(): void {
    const slots = this.heap.size;
    if (slots > 1024 && slots > 2 * this.when.size) this.heap.filter(this.isLive);
  }

  private readonly isLive = (item: T, _seq: number, t: number): boolean => this.when.get(item) === t;

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
