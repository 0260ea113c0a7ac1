/**
 * A bounded FIFO for what a machine has to send or report: O(1) `push` and `shift` on a
 * ring that is taken on first use and given back whenever it drains, so an idle machine
 * (a home between pings) holds no queue. A push beyond the bound is refused and counted, never thrown.
 */
/**
 * Drained rings of the first size, kept for the next queue that needs one: a home's queue
 * fills and drains with every packet it sends, and a ring made afresh each time is garbage
 * by the next tick. Bounded: beyond it a drained ring goes to the collector.
 */
const SPARE: unknown[][] = [];
const SPARE_LIMIT = 4096;
const FIRST_SIZE = 8;

export class Outbox<T> {
  private ring: (T | undefined)[] | undefined;
  private head = 0;
  private size = 0;
  /** Items refused because the queue was full. */
  refused = 0;

  constructor(readonly limit = 65_536) {}

  get length(): number {
    return this.size;
  }

  /** Queues `item`; false (and counted) when the queue already holds `limit` items. */
  push(item: T): boolean {
    if (this.size >= this.limit) {
      this.refused++;
      return false;
    }
    let r = this.ring;
    if (!r) r = this.ring = (SPARE.pop() as (T | undefined)[] | undefined) ?? new Array<T | undefined>(FIRST_SIZE);
    else if (this.size === r.length) r = this.grow(r);
    r[(this.head + this.size) & (r.length - 1)] = item;
    this.size++;
    return true;
  }

  shift(): T | undefined {
    const r = this.ring;
    if (!r || this.size === 0) return undefined;
    const item = r[this.head];
    r[this.head] = undefined;
    this.head = (this.head + 1) & (r.length - 1);
    if (--this.size === 0) {
      this.head = 0;
      this.ring = undefined;
      // Every slot is undefined again (each shift cleared its own): the ring holds nothing.
      if (r.length === FIRST_SIZE && SPARE.length < SPARE_LIMIT) SPARE.push(r);
    }
    return item;
  }

  private grow(r: (T | undefined)[]): (T | undefined)[] {
    const n = new Array<T | undefined>(r.length * 2);
    for (let i = 0; i < this.size; i++) n[i] = r[(this.head + i) & (r.length - 1)];
    this.head = 0;
    return (this.ring = n);
  }
}
