/**
 * A real RADIUS server (FreeRADIUS) in place of the embedded one: a box at the server's
 * in-network address whose IP stack takes UDP 1812/1813 and hands each datagram out as a
 * `relay-out` event; the driver's owner sends it to the real server and gives the answer
 * back with `relayIn`. The shared secret covers the bytes, not the addresses, so the RADIUS
 * exchange stays end to end. The box owns no socket: real I/O does the sending.
 */
import { Host } from './host.js';
import { BoxOutput, type Box, type View } from './box.js';

export const RADIUS_AUTH_PORT = 1812;
export const RADIUS_ACCT_PORT = 1813;

export interface RelayDatagram {
  readonly type: 'relay-out';
  /** The NAS that sent it (in-network address and port). */
  readonly from: number;
  readonly fromPort: number;
  readonly service: 'auth' | 'acct';
  readonly payload: Uint8Array;
}

/** What carries relay datagrams to the real server: `send` each one; answers come back through `answer`. */
export interface RelayLink {
  send(d: RelayDatagram): void;
  close(): void;
}
export type RelayCarrier = (answer: (d: RelayDatagram, payload: Uint8Array) => void, server: { readonly address: string; readonly authPort: number; readonly acctPort: number }) => RelayLink;

export class RadiusRelay<P extends string = string> extends BoxOutput<P, RelayDatagram> implements Box<P, RelayDatagram> {
  readonly kind = 'radius-relay';
  readonly ports: readonly P[];
  readonly host: Host;

  constructor(readonly name: string, readonly port: P, mac: Uint8Array, address: number, now: number) {
    super(1 << 16);
    this.ports = [port];
    this.host = new Host({ name, mac, address, prefixLength: 24 }, now);
    this.host.listenUdp(RADIUS_AUTH_PORT);
    this.host.listenUdp(RADIUS_ACCT_PORT);
  }

  handleFrame(_port: P, frame: Uint8Array, now: number): void {
    this.host.handle(0, frame, now);
    this.pump();
  }

  handleTimeout(now: number): void {
    this.host.handleTimeout(now);
    this.pump();
  }

  nextTimeout(): number | undefined {
    return this.host.nextTimeout();
  }

  /** The real server's answer to a datagram of `to`:`toPort` for `service`. */
  relayIn(to: number, toPort: number, service: 'auth' | 'acct', payload: Uint8Array, now: number): void {
    this.host.sendUdp(to, service === 'acct' ? RADIUS_ACCT_PORT : RADIUS_AUTH_PORT, toPort, payload, now);
    this.pump();
  }

  show(view: View, now: number): unknown {
    if (view === 'arp') return this.host.showArp(now);
    if (view === 'counters') return { host: this.host.counters };
    return undefined;
  }

  private pump(): void {
    for (let e = this.host.pollEvent(); e; e = this.host.pollEvent()) {
      if (e.kind === 'udp') this.events.push({ type: 'relay-out', from: e.from, fromPort: e.srcPort, service: e.dstPort === RADIUS_ACCT_PORT ? 'acct' : 'auth', payload: e.payload });
    }
    for (let f = this.host.pollFrame(); f; f = this.host.pollFrame()) this.tx.push({ port: this.port, frame: f });
  }
}
