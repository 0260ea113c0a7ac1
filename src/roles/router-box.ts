/**
 * The core router of a topology as a box: the Router engine (src/roles/router.ts) with one
 * named Ethernet interface per port (`core` toward the LNSs, `server` toward the server),
 * dual-stack when the interfaces are given IPv6 addresses. It can ping6 (`echo-reply6` events).
 */
import { Router, type EthernetInterfaceConfig } from './router.js';
import type { Box, Transmit, View } from './box.js';

export type RouterPortName = 'core' | 'server';
export const ROUTER_PORTS: readonly RouterPortName[] = ['core', 'server'];

export type RouterBoxEvent = { readonly kind: 'echo-reply6'; readonly from: string; readonly identifier: number; readonly sequence: number; readonly rtt: number };

export class RouterBox implements Box<RouterPortName, RouterBoxEvent> {
  readonly kind = 'router';
  readonly ports = ROUTER_PORTS;
  readonly router = new Router();
  private readonly ifIndex: Record<RouterPortName, number>;
  private readonly portOf = new Map<number, RouterPortName>();
  /** ping6 requests in flight: sequence → sent at (bounded by the 16-bit sequence space). */
  private readonly pings6 = new Map<number, number>();

  constructor(
    readonly name: string,
    interfaces: Record<RouterPortName, Omit<EthernetInterfaceConfig, 'kind' | 'name'>>,
    now: number,
  ) {
    const add = (p: RouterPortName): number => {
      const i = this.router.addInterface({ kind: 'ethernet', name: p, ...interfaces[p] }, now);
      this.portOf.set(i, p);
      return i;
    };
    this.ifIndex = { core: add('core'), server: add('server') };
  }

  handleFrame(port: RouterPortName, frame: Uint8Array, now: number): void {
    this.router.handle(this.ifIndex[port], frame, now);
  }

  handleTimeout(now: number): void {
    this.router.handleTimeout(now);
  }

  nextTimeout(): number | undefined {
    return this.router.nextTimeout();
  }

  pollTransmit(): Transmit<RouterPortName> | undefined {
    for (let x = this.router.pollTransmit(); x; x = this.router.pollTransmit()) {
      const port = this.portOf.get(x.ifIndex);
      if (port) return { port, frame: x.frame };
    }
    return undefined;
  }

  pollEvent(): RouterBoxEvent | undefined {
    for (let r = this.router.pollEchoReply6(); r; r = this.router.pollEchoReply6()) {
      const sent = this.pings6.get(r.sequence);
      if (r.identifier !== PING_ID || sent === undefined) continue;
      this.pings6.delete(r.sequence);
      return { kind: 'echo-reply6', from: r.from, identifier: r.identifier, sequence: r.sequence, rtt: r.at - sent };
    }
    return undefined;
  }

  /** ICMPv6 echo from the router; false when it has no IPv6 address or route toward `dst`. */
  ping6(dst: Uint8Array, sequence: number, now: number, size = 56): boolean {
    this.pings6.set(sequence & 0xffff, now);
    return this.router.ping6(dst, PING_ID, sequence & 0xffff, size, now);
  }

  show(view: View, now: number): unknown {
    switch (view) {
      case 'routes':
        return this.router.showRoutes();
      case 'arp':
        return this.router.showArp(now);
      case 'interfaces':
        return { router: this.router.showInterfaces() };
      case 'counters':
        return { router: this.router.showCounters() };
      default:
        return undefined;
    }
  }
}

const PING_ID = 0x7270;
