/**
 * The one shape of every box, and the one loop that drives it.
 *
 * A box (home, sse, nte, router, server, RADIUS) is a sans-IO machine in the quinn-proto
 * style: frames in on a named port with `handleFrame(port, frame, now)`, time in with
 * `handleTimeout(now)`, frames out with `pollTransmit() → {port, frame}`, events out with
 * `pollEvent()`, its next deadline from `nextTimeout()`, and what `show` answers as values.
 * A box never reads a clock, opens a socket or reads a file.
 *
 * `Driver` is the loop around one box. Its only parameters are a `Clock` (virtual or wall)
 * and a `Link` per port (the in-memory switch, an AF_PACKET socket, a direct wire): after
 * input it moves the box's output to the links and its events to the listener, then keeps
 * exactly one timer armed at the box's next timeout. The in-process network and
 * `pseudonet up` drive boxes with this same loop.
 */

import { Outbox } from '../proto/outbox.js';

/** A timer's handle, for `cancel`: opaque (the clock's own record of the timer, no lookup table). */
export type TimerId = object;

/** Time for a driver: milliseconds, and timers at absolute times. */
export interface Clock {
  now(): number;
  /** Calls `cb` at absolute time `at` (ms). Earlier-registered timers at the same time run first. */
  setTimer(at: number, cb: () => void): TimerId;
  cancel(id: TimerId): void;
  /**
   * Optional, for one re-armed timer per target with nothing allocated: calls `target.onTimer()`
   * at `at`, replacing the time it was armed for. The virtual clock has it.
   */
  arm?(target: Armable, at: number): void;
  /** Optional, with `arm`: no call for `target`. */
  disarm?(target: Armable): void;
}

/** What `Clock.arm` calls: the clock keeps its bookkeeping in `armedSeq` (0: not armed; start it at 0, never write it). */
export interface Armable {
  armedSeq: number;
  onTimer(): void;
}

/** One frame a box wants sent, and on which of its ports. */
export interface Transmit<P extends string = string> {
  readonly port: P;
  readonly frame: Uint8Array;
}

export type BoxKind = 'home' | 'sse' | 'nte' | 'router' | 'server' | 'radius' | 'radius-relay' | 'homes';

/** The views every box answers (`pseudonet show`, the control socket). A box answers `undefined` for a view it has nothing for. */
export type View = 'sessions' | 'tunnels' | 'routes' | 'arp' | 'counters' | 'interfaces';
export const VIEWS: readonly View[] = ['sessions', 'tunnels', 'routes', 'arp', 'counters', 'interfaces'];

export interface Box<P extends string = string, E = unknown> {
  readonly name: string;
  readonly kind: BoxKind;
  readonly ports: readonly P[];
  handleFrame(port: P, frame: Uint8Array, now: number): void;
  handleTimeout(now: number): void;
  /** Absolute ms of the next deadline, or undefined. */
  nextTimeout(): number | undefined;
  pollTransmit(): Transmit<P> | undefined;
  pollEvent(): E | undefined;
  /** A view as a plain value (JSON-able). */
  show(view: View, now: number): unknown;
}

/**
 * The output half most boxes share: a bounded queue of frames to send and one of events, each
 * polled by the driver. A push beyond the bound is refused and counted (`outputRefused`).
 * A queue exists while it holds something: drained, it is let go (an idle box, a home online
 * and quiet, holds no queue object), and what it refused is carried over.
 */
export abstract class BoxOutput<P extends string, E> {
  private txq: Outbox<Transmit<P>> | undefined = undefined;
  private eventq: Outbox<E> | undefined = undefined;
  private refusedBefore = 0;

  constructor(private readonly limit: number) {}

  protected get tx(): Outbox<Transmit<P>> {
    return (this.txq ??= new Outbox(this.limit));
  }

  protected get events(): Outbox<E> {
    return (this.eventq ??= new Outbox(this.limit));
  }

  pollTransmit(): Transmit<P> | undefined {
    const q = this.txq;
    if (q === undefined) return undefined;
    const t = q.shift();
    if (q.length === 0) this.txq = this.letGo(q);
    return t;
  }

  pollEvent(): E | undefined {
    const q = this.eventq;
    if (q === undefined) return undefined;
    const e = q.shift();
    if (q.length === 0) this.eventq = this.letGo(q);
    return e;
  }

  /** A drained queue goes; what it refused stays counted. */
  private letGo(q: Outbox<unknown>): undefined {
    this.refusedBefore += q.refused;
    return undefined;
  }

  /** Frames and events refused because a queue was full. */
  get outputRefused(): number {
    return this.refusedBefore + (this.txq?.refused ?? 0) + (this.eventq?.refused ?? 0);
  }
}

/** Where a port's frames go: a switch port, an AF_PACKET socket, another box. */
export interface Link {
  send(frame: Uint8Array): void;
}

function ignoreEvent(): void {}

/** The loop around one box: input, drain, one timer at the next timeout. */
export class Driver<P extends string = string, E = unknown, L extends Link = Link> implements Armable {
  /** The timer from `setTimer`, on a clock without `arm` (the wall clock). */
  private timer: TimerId | undefined;
  private timerAt: number | undefined;
  /** @internal The clock's, on a clock with `arm` (Armable). */
  armedSeq = 0;
  /** @internal The in-memory segments' (FrameReceiver): the batch of frames it was last listed in. */
  batchSeq = 0;
  // The first port's link in two fields (a home has one port; a lookup is one compare of
  // interned strings), the others in a Map made only for a box with more (an object keyed by
  // port name was a megamorphic keyed load on every frame: each box kind has its own ports).
  private port0: P | undefined;
  private link0: L | undefined;
  private more: Map<P, L> | undefined;
  private stopped = false;
  /** Frames the box sent on a port with no link (counted, never thrown). */
  unlinked = 0;
  /**
   * The timer callback on a clock without `arm`: one bound function per driver, made on the
   * first arm (no closure per arm). It, and the clock's `arm`, look `onTimer` up at each call,
   * so that a meter wrapping Driver.prototype (the load generator's time per box) sees timers too.
   */
  private fire: (() => void) | undefined = undefined;

  /** `onEvent` gets the box as its third argument, so one listener can serve every driver. */
  constructor(
    readonly clock: Clock,
    readonly box: Box<P, E>,
    private readonly onEvent: (e: E, at: number, box: Box<P, E>) => void = ignoreEvent,
  ) {}

  attach(port: P, link: L): void {
    if (this.port0 === undefined || this.port0 === port) {
      this.port0 = port;
      this.link0 = link;
    } else (this.more ??= new Map()).set(port, link);
  }

  /** Every port's link, as attached (the owner of the links need not keep its own list). */
  links(): L[] {
    const out: L[] = this.link0 === undefined ? [] : [this.link0];
    if (this.more !== undefined) out.push(...this.more.values());
    return out;
  }

  /** A frame arrived on `port`: the box takes it, then its output moves. */
  input(port: P, frame: Uint8Array): void {
    if (this.stopped) return;
    this.box.handleFrame(port, frame, this.clock.now());
    this.kick();
  }

  /** A frame of a batch: the caller calls `kick()` once after the batch. */
  receive(port: P, frame: Uint8Array): void {
    if (!this.stopped) this.box.handleFrame(port, frame, this.clock.now());
  }

  /** Runs a command on the box (start, ping, disconnect...), then moves its output. */
  act(f: (now: number) => void): void {
    if (this.stopped) return;
    f(this.clock.now());
    this.kick();
  }

  /** Sends what the box has to send, reports its events, and keeps its timer at its next timeout. */
  kick(): void {
    if (this.stopped) return;
    const box = this.box;
    for (let x = box.pollTransmit(); x; x = box.pollTransmit()) {
      const l = x.port === this.port0 ? this.link0 : this.more?.get(x.port);
      if (l) l.send(x.frame);
      else this.unlinked++;
    }
    for (let e = box.pollEvent(); e !== undefined; e = box.pollEvent()) this.onEvent(e, this.clock.now(), box);
    // Re-arm only for an earlier deadline. A later one (or none) leaves the armed timer: it
    // fires early, the box's extra handleTimeout is harmless by contract, and the kick after
    // it arms the real deadline. Boxes move their deadline on nearly every frame; this keeps
    // the clock's heap from churning with cancelled timers.
    const t = box.nextTimeout();
    if (t === undefined || (this.timerAt !== undefined && t >= this.timerAt)) return;
    this.timerAt = t;
    const clock = this.clock;
    if (clock.arm !== undefined) return clock.arm(this, t);
    if (this.timer !== undefined) clock.cancel(this.timer);
    this.timer = clock.setTimer(t, (this.fire ??= this.timerFired.bind(this)));
  }

  // A method, not a module function: bound, a function that the tsx loader has renamed
  // (Object.defineProperty 'name') takes V8's slow path and costs ~290 bytes per driver.
  private timerFired(): void {
    this.onTimer();
  }

  /** @internal The driver's timer fired (called through `fire`). */
  onTimer(): void {
    this.timer = undefined;
    this.timerAt = undefined;
    if (this.stopped) return;
    this.box.handleTimeout(this.clock.now());
    this.kick();
  }

  /** Stops the loop: no more input, no timer. */
  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) this.clock.cancel(this.timer);
    this.clock.disarm?.(this);
    this.timer = undefined;
    this.timerAt = undefined;
  }
}
