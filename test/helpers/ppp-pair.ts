/**
 * Two PPP links wired back to back on the virtual clock. Every message goes through the real
 * codecs (encoded, then parsed by the receiver's handleFrame); a test can drop or rewrite
 * messages and reads a trace of everything sent and every link event.
 */
import type { VirtualClock, TimerId } from '../../src/sim/clock.js';
import { encodePppMessage, type PppMessage } from '../../src/proto/ppp-common.js';
import type { PppLink, PppLinkEvent } from '../../src/proto/ppp-link.js';
import { u16 } from '../../src/wire/bytes.js';

export type Side = 'a' | 'b';

export interface Sent {
  readonly at: number;
  readonly from: Side;
  readonly m: PppMessage;
  /** Whether it was dropped on the way. */
  readonly dropped: boolean;
}

export class Pair {
  readonly trace: Sent[] = [];
  readonly events: { at: number; side: Side; e: PppLinkEvent }[] = [];
  /** Return true to lose the message. */
  drop: (m: PppMessage, from: Side, index: number) => boolean = () => false;
  /** Set to cut the wire both ways. */
  cut = false;
  private armed: Record<Side, { at: number; id: TimerId | undefined }> = { a: { at: Infinity, id: undefined }, b: { at: Infinity, id: undefined } };

  constructor(
    readonly clock: VirtualClock,
    readonly a: PppLink,
    readonly b: PppLink,
    readonly delay = 1,
  ) {}

  link(s: Side): PppLink {
    return s === 'a' ? this.a : this.b;
  }

  start(): void {
    const now = this.clock.now();
    this.a.start(now);
    this.b.start(now);
    this.pump('a');
    this.pump('b');
  }

  /** Sends what `s` has queued, records its events, re-arms its timer. */
  pump(s: Side): void {
    const l = this.link(s);
    const other: Side = s === 'a' ? 'b' : 'a';
    const now = this.clock.now();
    for (let m = l.pollTransmit(); m; m = l.pollTransmit()) {
      const dropped = this.cut || this.drop(m, s, this.trace.length);
      this.trace.push({ at: now, from: s, m, dropped });
      if (dropped) continue;
      const bytes = encodePppMessage(m);
      this.clock.setTimer(now + this.delay, () => this.deliver(other, bytes));
    }
    for (let e = l.pollEvent(); e; e = l.pollEvent()) this.events.push({ at: now, side: s, e });
    const next = l.nextTimeout();
    const a = this.armed[s];
    if (next !== undefined && next < a.at) {
      if (a.at !== Infinity && a.id !== undefined) this.clock.cancel(a.id);
      a.at = next;
      a.id = this.clock.setTimer(next, () => {
        a.at = Infinity;
        l.handleTimeout(this.clock.now());
        this.pump(s);
      });
    }
  }

  /** Delivers raw PPP frame bytes (protocol + information) to `s`. */
  deliver(s: Side, bytes: Uint8Array): void {
    this.link(s).handleFrame(u16(bytes, 0), bytes.subarray(2), this.clock.now());
    this.pump(s);
  }

  /** Messages sent by `s` (not dropped), as "PROTO kind" strings. */
  kinds(s?: Side): string[] {
    return this.trace.filter((x) => !s || x.from === s).map((x) => `${x.from}:${label(x.m)}${x.dropped ? '(lost)' : ''}`);
  }

  eventTypes(s: Side): string[] {
    return this.events.filter((x) => x.side === s).map((x) => x.e.type);
  }
}

export function label(m: PppMessage): string {
  const name = { 0xc021: 'LCP', 0x8021: 'IPCP', 0x8057: 'IPV6CP', 0xc223: 'CHAP', 0xc023: 'PAP' }[m.protocol];
  return `${name} ${m.packet.kind}`;
}
