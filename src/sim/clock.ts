/**
 * The virtual clock: a timer heap that runs hours of protocol time in seconds. Protocol
 * machines never read time themselves; the driver gives them `now` (milliseconds) from a
 * `Clock` (src/roles/box.ts) — this one, or the wall clock of src/io/wall-clock.ts.
 */

import type { Armable, Clock, TimerId } from '../roles/box.js';
import { MinHeap } from '../proto/heap.js';

export type { Armable, Clock, TimerId };

/** A timer's handle: its callback, cleared when it fires or is cancelled. Its time is the heap's (no boxed number each). */
interface Entry {
  cb: (() => void) | undefined;
}

/**
 * Timers on one min-heap keyed on (at, order set): FIFO at equal times. A timer's handle is
 * its heap entry, so cancelling needs no table of live timers; cancelled entries are dropped
 * lazily. An `Armable` (a driver) is its own entry: `arm` records in it the sequence number of
 * its one live heap slot, so re-arming makes the old slot stale and allocates nothing, and
 * thousands of homes' drivers hold no handle object or bound callback each.
 */
export class VirtualClock implements Clock {
  private t: number;
  private readonly heap = new MinHeap<Entry | Armable>();
  /** Live timers. */
  private live = 0;
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
    const e: Entry = { cb };
    this.live++;
    this.heap.push(Math.max(at, this.t), e);
    return e;
  }

  cancel(id: TimerId): void {
    const e = id as Entry;
    if (e.cb === undefined) return; // fired or cancelled already
    e.cb = undefined;
    this.live--;
    this.stale();
  }

  /** Calls `target.onTimer()` at `at`, in place of the time it was armed for (if any). */
  arm(target: Armable, at: number): void {
    if (target.armedSeq === 0) this.live++;
    else this.stale(); // its slot in the heap is left behind
    target.armedSeq = this.heap.push(Math.max(at, this.t), target) + 1;
  }

  /** No call for `target` (armed or not). */
  disarm(target: Armable): void {
    if (target.armedSeq === 0) return;
    target.armedSeq = 0;
    this.live--;
    this.stale();
  }

  /**
   * One more dead slot in the heap. Dead slots leave lazily; when they outnumber the live
   * ones, the heap is rebuilt so that re-armed timers do not pile up.
   */
  private stale(): void {
    if (++this.cancelled > 1024 && this.cancelled > this.live) {
      this.heap.filter(isLive);
      this.cancelled = 0;
    }
  }

  /** Number of live timers. */
  get pending(): number {
    return this.live;
  }

  /** Time of the next live timer, or undefined. */
  peek(): number | undefined {
    for (let e = this.heap.peekItem(); e !== undefined && !isLive(e, this.heap.peekSeq()!); e = this.heap.peekItem()) {
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
    this.t = this.heap.peekTime()!;
    const seq = this.heap.peekSeq()!;
    const e = this.heap.pop()!;
    if ('armedSeq' in e) {
      if (e.armedSeq !== seq + 1) return; // re-armed or disarmed since
      e.armedSeq = 0; // a disarm from now on is a no-op
      this.live--;
      this.eventsRun++;
      e.onTimer();
      return;
    }
    const cb = e.cb;
    if (!cb) return;
    e.cb = undefined; // a cancel from now on is a no-op
    this.live--;
    this.eventsRun++;
    cb();
  }
}

/** A heap slot that will still fire: an entry not cancelled, or a target's current slot. */
function isLive(x: Entry | Armable, seq: number): boolean {
  return 'armedSeq' in x ? x.armedSeq === seq + 1 : x.cb !== undefined;
}
