/**
 * Runs an L2tpNode on a Clock (virtual or wall): feeds datagrams in, encodes what it transmits,
 * keeps one timer at its nextTimeout(), and records its events. A stand-in for the generic
 * `Driven` adapter until src/proto/drive.ts exists.
 */
import type { Clock, TimerId } from '../../src/roles/box.js';
import { encodeTransmit, type L2tpEvent, type L2tpNode, type L2tpTransmit } from '../../src/proto/l2tp.js';

export class L2tpDriver<E> {
  readonly events: L2tpEvent<E>[] = [];
  private timer: TimerId | undefined;
  private timerAt: number | undefined;
  /** Called for every transmit before it is encoded and sent; return false to swallow it. */
  filter: ((t: L2tpTransmit<E>) => boolean) | undefined;
  onEvent: ((e: L2tpEvent<E>) => void) | undefined;

  constructor(
    readonly clock: Clock,
    readonly node: L2tpNode<E>,
    private readonly send: (to: E, bytes: Uint8Array) => void,
  ) {}

  input(from: E, bytes: Uint8Array): void {
    this.node.handle(from, bytes, this.clock.now());
    this.pump();
  }

  /** Drain transmits and events, and re-arm the timer. Call after any owner API call. */
  pump(): void {
    // Events first, so a filter sees the state the transmits come from.
    for (let e = this.node.pollEvent(); e; e = this.node.pollEvent()) {
      this.events.push(e);
      this.onEvent?.(e);
    }
    for (let t = this.node.pollTransmit(); t; t = this.node.pollTransmit()) {
      if (this.filter && !this.filter(t)) continue;
      this.send(t.to, encodeTransmit(t));
    }
    const at = this.node.nextTimeout();
    if (at === this.timerAt) return;
    if (this.timer !== undefined) this.clock.cancel(this.timer);
    this.timer = undefined;
    this.timerAt = at;
    if (at !== undefined) {
      this.timer = this.clock.setTimer(at, () => {
        this.timer = undefined;
        this.timerAt = undefined;
        this.node.handleTimeout(this.clock.now());
        this.pump();
      });
    }
  }

  of<T extends L2tpEvent<E>['type']>(type: T): Extract<L2tpEvent<E>, { type: T }>[] {
    return this.events.filter((e) => e.type === type) as Extract<L2tpEvent<E>, { type: T }>[];
  }

  stop(): void {
    if (this.timer !== undefined) this.clock.cancel(this.timer);
    this.timer = undefined;
    this.timerAt = undefined;
  }
}
