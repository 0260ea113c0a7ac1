/**
 * The wall clock for drivers on real interfaces and real time: `now()` is
 * `performance.timeOrigin + performance.now()` in ms; timers are Node timers.
 */
import type { Clock, TimerId } from '../roles/box.js';

/** The wall clock: `now()` is `performance.timeOrigin + performance.now()` in ms. */
export class WallClock implements Clock {
  private timers = new Map<TimerId, NodeJS.Timeout>();
  private nextId = 1;

  now(): number {
    return performance.timeOrigin + performance.now();
  }

  setTimer(at: number, cb: () => void): TimerId {
    const id = this.nextId++;
    const h = setTimeout(() => {
      this.timers.delete(id);
      cb();
    }, Math.max(0, at - this.now()));
    this.timers.set(id, h);
    return id;
  }

  cancel(id: TimerId): void {
    const h = this.timers.get(id);
    if (h) {
      clearTimeout(h);
      this.timers.delete(id);
    }
  }

  /** Cancels every timer (for shutdown). */
  cancelAll(): void {
    for (const h of this.timers.values()) clearTimeout(h);
    this.timers.clear();
  }
}
