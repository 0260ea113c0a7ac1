/**
 * The wall clock for drivers on real interfaces and real time: `now()` is
 * `performance.timeOrigin + performance.now()` in ms; timers are Node timers.
 */
import type { Clock, TimerId } from '../roles/box.js';

/** The wall clock: `now()` is `performance.timeOrigin + performance.now()` in ms. */
export class WallClock implements Clock {
  /** Live timers: the handle given out is Node's own. */
  private readonly timers = new Set<NodeJS.Timeout>();

  now(): number {
    return performance.timeOrigin + performance.now();
  }

  setTimer(at: number, cb: () => void): TimerId {
    const h: NodeJS.Timeout = setTimeout(() => {
      this.timers.delete(h);
      cb();
    }, Math.max(0, at - this.now()));
    this.timers.add(h);
    return h;
  }

  cancel(id: TimerId): void {
    const h = id as NodeJS.Timeout;
    if (this.timers.delete(h)) clearTimeout(h);
  }

  /** Cancels every timer (for shutdown). */
  cancelAll(): void {
    for (const h of this.timers) clearTimeout(h);
    this.timers.clear();
  }
}
