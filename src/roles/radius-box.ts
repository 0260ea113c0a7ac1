/**
 * The embedded RADIUS server as a box on an Ethernet link: its IP stack (ARP, UDP 1812 and
 * 1813) and the server core. Answers to our RFC 5176 requests (sent from UDP 3799) come
 * out as `dae-reply` events. Sans-IO like every role: frames in, frames out.
 */
import { Host, INFRA_ARP } from './host.js';
import { RadiusServer, type RadiusServerEvent } from './radius-server.js';
import type { RadiusServerConfig } from './radius-server-config.js';
import { ipv4FromString, ipv4ToString } from '../wire/bytes.js';

import { DAE_PORT } from './nte.js';
import { earliest } from '../proto/timers.js';
import { BoxOutput, type Box, type View } from './box.js';

export type RadiusBoxEvent = RadiusServerEvent | { readonly type: 'dae-reply'; readonly code: number; readonly identifier: number };

export class RadiusBox<P extends string = string> extends BoxOutput<P, RadiusBoxEvent> implements Box<P, RadiusBoxEvent> {
  readonly kind = 'radius';
  readonly ports: readonly P[];
  readonly server: RadiusServer;
  readonly host: Host;

  /** The server on its one port `port` (the ISP's `radius` link, or the carrier link for the carrier RADIUS). */
  constructor(readonly name: string, readonly port: P, mac: Uint8Array, address: number, cfg: RadiusServerConfig, now: number) {
    super(1 << 16);
    this.ports = [port];
    this.server = new RadiusServer(cfg, { logAuth: true });
    // A server answers a mass dial: hundreds of Accepts toward one NAS while the first ARP for
    // it runs (a host learns no neighbour from a request), so its queue is an infrastructure one.
    this.host = new Host({ name, mac, address, prefixLength: 24, arp: INFRA_ARP }, now);
    this.host.listenUdp(1812);
    this.host.listenUdp(1813);
  }

  handleFrame(_port: P, frame: Uint8Array, now: number): void {
    this.host.handle(0, frame, now);
    this.pump(now);
  }

  handleTimeout(now: number): void {
    this.server.handleTimeout(now);
    this.host.handleTimeout(now);
    this.pump(now);
  }

  nextTimeout(): number | undefined {
    return earliest(this.server.nextTimeout(), this.host.nextTimeout());
  }

  show(view: View, now: number): unknown {
    if (view === 'arp') return this.host.showArp(now);
    if (view === 'counters') return { host: this.host.counters, server: this.server.counters };
    return undefined;
  }

  /** Sends an RFC 5176 request (already signed) to a NAS from UDP 3799. */
  sendDae(nas: number, bytes: Uint8Array, now: number): void {
    this.host.listenUdp(DAE_PORT);
    this.host.sendUdp(nas, DAE_PORT, DAE_PORT, bytes, now);
    this.pump(now);
  }

  private pump(now: number): void {
    const { host, server } = this;
    for (let busy = true; busy; ) {
      busy = false;
      for (let e = host.pollEvent(); e; e = host.pollEvent()) {
        busy = true;
        if (e.kind !== 'udp') continue;
        if (e.dstPort === DAE_PORT) this.events.push({ type: 'dae-reply', code: e.payload[0] ?? 0, identifier: e.payload[1] ?? 0 });
        else server.handle({ service: e.dstPort === 1813 ? 'acct' : 'auth', address: ipv4ToString(e.from), port: e.srcPort, bytes: e.payload }, now);
      }
      for (let x = server.pollTransmit(); x; x = server.pollTransmit()) {
        busy = true;
        host.sendUdp(ipv4FromString(x.address), x.service === 'acct' ? 1813 : 1812, x.port, x.bytes, now);
      }
      for (let e = server.pollEvent(); e; e = server.pollEvent()) this.events.push(e);
      for (let f = host.pollFrame(); f; f = host.pollFrame()) {
        busy = true;
        this.tx.push({ port: this.port, frame: f });
      }
    }
  }
}
