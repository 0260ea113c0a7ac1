/**
 * The virtual clock: a timer heap that runs hours of protocol time in seconds. Protocol
 * machines never read time themselves; the driver gives them `now` (milliseconds) from a
 * `Clock` (src/roles/box.ts) — this one, or the wall clock of src/io/wall-clock.ts.
 */

import type { Clock, TimerId } from '../roles/box.js';

export type { Clock, TimerId };

interface Entry {
  at: number;
  seq: number;
  id: TimerId;
  cb: (() => void) | undefined;
}

/** A binary min-heap keyed on (at, seq). Cancelled entries are dropped lazily. */
export class VirtualClock implements Clock {
  private t: number;
  private heap: Entry[] = [];
  private byId = new Map<TimerId, Entry>();
  private seq = 0;
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
    const e: Entry = { at: Math.max(at, this.t), seq: this.seq++, id, cb };
    this.byId.set(id, e);
    this.push(e);
    return id;
  }

  cancel(id: TimerId): void {
    const e = this.byId.get(id);
    if (e) {
      e.cb = undefined;
      this.byId.delete(id);
      // Cancelled entries leave the heap lazily; when they outnumber the live ones, rebuild it
      // so that re-armed timers (every box re-arms after every frame) do not pile up.
      if (++this.cancelled > 1024 && this.cancelled > this.byId.size) this.compact();
    }
  }

  private compact(): void {
    const live = this.heap.filter((x) => x.cb !== undefined);
    this.heap = [];
    this.cancelled = 0;
    for (const x of live) this.push(x);
  }

  /** Number of live timers. */
  get pending(): number {
    return this.byId.size;
  }

  /** Time of the next live timer, or undefined. */
  peek(): number | undefined {
    while (this.heap.length && this.heap[0]!.cb === undefined) {
      this.pop();
      if (this.cancelled > 0) this.cancelled--;
    }
    return this.heap[0]?.at;
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
    const e = this.pop()!;
    this.t = e.at;
    const cb = e.cb;
    if (!cb) return;
    this.byId.delete(e.id);
    this.eventsRun++;
    cb();
  }

  // Sift with a hole instead of swaps: no temporary arrays on the hottest path of the simulation.
  private push(e: Entry): void {
    const h = this.heap;
    let i = h.length;
    h.push(e);
    while (i > 0) {
      const p = (i - 1) >> 1;
      const q = h[p]!;
      if (!(e.at < q.at || (e.at === q.at && e.seq < q.seq))) break;
      h[i] = q;
      i = p;
    }
    h[i] = e;
  }

  private pop(): Entry | undefined {
    const h = this.heap;
    if (h.length === 0) return undefined;
    const top = h[0]!;
    const last = h.pop()!;
    const n = h.length;
    if (n) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        let m = l;
        let c = h[l]!;
        if (r < n) {
          const rc = h[r]!;
          if (rc.at < c.at || (rc.at === c.at && rc.seq < c.seq)) {
            m = r;
            c = rc;
          }
        }
        if (!(c.at < last.at || (c.at === last.at && c.seq < last.seq))) break;
        h[i] = c;
        i = m;
      }
      h[i] = last;
    }
    return top;
  }
}
