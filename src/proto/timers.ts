/**
 * Named timers of one machine (`retransmit`, `echo`, `interim`...): set, clear, and the next
 * timeout as the minimum of what is set. `earliest()` is the same minimum over the deadlines
 * of the parts a box is composed of. An extra timeout call is always harmless: a machine
 * asks `isDue(name, now)` and acts only on what has come due.
 */
export class TimerTable<K extends string> {
  // A plain object, not a Map: a machine has one or two names, and a Map costs ~180 bytes per
  // machine even when empty. Cleared names are set to undefined (never deleted), so the
  // object keeps one shape.
  private readonly at: Partial<Record<K, number>> = {};

  /** Arms `name` at absolute time `t` (ms); undefined clears it. */
  set(name: K, t: number | undefined): void {
    this.at[name] = t;
  }

  clear(name: K): void {
    if (this.at[name] !== undefined) this.at[name] = undefined;
  }

  get(name: K): number | undefined {
    return this.at[name];
  }

  /** True when `name` is armed and its time has come; the timer is cleared. */
  take(name: K, now: number): boolean {
    const t = this.at[name];
    if (t === undefined || t > now) return false;
    this.at[name] = undefined;
    return true;
  }

  next(): number | undefined {
    let t: number | undefined;
    for (const k in this.at) {
      const x = this.at[k];
      if (x !== undefined && (t === undefined || x < t)) t = x;
    }
    return t;
  }
}

/** The earliest of up to eight deadlines (undefined ones are not set); fixed arity so a hot `nextTimeout()` allocates nothing. */
export function earliest(a: number | undefined, b: number | undefined, c?: number, d?: number, e?: number, f?: number, g?: number, h?: number): number | undefined {
  let t = a;
  if (b !== undefined && (t === undefined || b < t)) t = b;
  if (c !== undefined && (t === undefined || c < t)) t = c;
  if (d !== undefined && (t === undefined || d < t)) t = d;
  if (e !== undefined && (t === undefined || e < t)) t = e;
  if (f !== undefined && (t === undefined || f < t)) t = f;
  if (g !== undefined && (t === undefined || g < t)) t = g;
  if (h !== undefined && (t === undefined || h < t)) t = h;
  return t;
}
