/**
 * The queue for what may grow long (a tunnel's backlog, a node's events when a whole tunnel
 * ends at once, a duplicate-detection window): push and shift in O(1), whatever the length;
 * it trims the consumed front once that is at least half of it. An Array's shift moves every
 * element after the first: a queue of n drained one by one costs n²/2 moves.
 */
export class Fifo<T> {
  private items: (T | undefined)[] = [];
  private head = 0;
  get length(): number {
    return this.items.length - this.head;
  }
  push(x: T): void {
    this.items.push(x);
  }
  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const x = this.items[this.head];
    this.items[this.head++] = undefined;
    if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return x;
  }
  clear(): void {
    this.items = [];
    this.head = 0;
  }
  peek(): T | undefined {
    return this.items[this.head];
  }
}
