/**
 * The virtual clock: a timer heap that runs hours of protocol time in seconds. Protocol
 * machines never read time themselves; the driver gives them `now` (milliseconds) from a
 * `Clock` (src/roles/box.ts) — this one, or the wall clock of src/io/wall-clock.ts.
 */

import type { Clock, TimerId } from '../roles/box.js';
import { MinHeap } from '../proto/heap.js';

export type { Clock, TimerId };

interface Entry {
  readonly at: number;
  readonly id: TimerId;
  cb: (() => void) | undefined;
}

/** Timers on one min-heap keyed on (at, order set): FIFO at equal times. Cancelled entries are dropped lazily. */
export class VirtualClock implements Clock {
  private t: number;
  private readonly heap = new MinHeap<Entry>();
  private readonly byId = new Map<TimerId, Entry>();
  private nextId = 1;
  /** Cancelled entries still in the heap. */
  private cancelled = 0;
  /** Timer callbacks run so far. */
  eventsRun = 0;

  constructor(start = 0) {
    this.t = start;
  }

  now(): number {
    return this.t;
  }

  setTimer(at: number, cb: () => void): TimerId {
    const id = this.nextId++;
    const e: Entry = { at: Math.max(at, this.t), id, cb };
    this.byId.set(id, e);
    this.heap.push(e.at, e);
    return id;
  }

  cancel(id: TimerId): void {
    const e = this.byId.get(id);
    if (e) {
      e.cb = undefined;
      this.byId.delete(id);
      // Cancelled entries leave the heap lazily; when they outnumber the live ones, rebuild it
      // so that re-armed timers do not pile up.
      if (++this.cancelled > 1024 && this.cancelled > this.byId.size) {
        this.heap.filter((x) => x.cb !== undefined);
        this.cancelled = 0;
      }
    }
  }

  /** Number of live timers. */
  get pending(): number {
    return this.byId.size;
  }

  /** Time of the next live timer, or undefined. */
  peek(): number | undefined {
    for (let e = this.heap.peekItem(); e && e.cb === undefined; e = this.heap.peekItem()) {
      this.heap.pop();
      if (this.cancelled > 0) this.cancelled--;
    }
    return this.heap.peekTime();
  }

  /** Runs timers in time order up to and including `until`, then sets the clock to `until`. */
  runUntil(until: number): void {
    for (;;) {
      const next = this.peek();
      if (next === undefined || next > until) break;
      this.step();
    }
    if (until > this.t) this.t = until;
  }

  /** Runs timers until none is left or `maxEvents` have run. Returns the number run. */
  run(maxEvents = Infinity): number {
    let n = 0;
    while (n < maxEvents && this.peek() !== undefined) {
      this.step();
      n++;
    }
    return n;
  }

  /** Runs until `predicate()` holds (checked after every timer) or time passes `deadline`. Returns whether it held. */
  runUntilTrue(predicate: () => boolean, deadline: number): boolean {
    if (predicate()) return true;
    for (;;) {
      const next = this.peek();
      if (next === undefined || next > deadline) {
        if (deadline > this.t) this.t = deadline;
        return predicate();
      }
      this.step();
      if (predicate()) return true;
    }
  }

  private step(): void {
    const e = this.heap.pop()!;
    this.t = e.at;
    const cb = e.cb;
    if (!cb) return;
    this.byId.delete(e.id);
    this.eventsRun++;
    cb();
  }
}
