/**
 * The core router of a topology as a box: the Router engine (src/roles/router.ts) with one
 * named Ethernet interface per port (`core` toward the LNSs, `server` toward the server).
 */
import { Router, type EthernetInterfaceConfig } from './router.js';
import type { Box, Transmit, View } from './box.js';

export type RouterPortName = 'core' | 'server';
export const ROUTER_PORTS: readonly RouterPortName[] = ['core', 'server'];

export class RouterBox implements Box<RouterPortName, never> {
  readonly kind = 'router';
  readonly ports = ROUTER_PORTS;
  readonly router = new Router();
  private readonly ifIndex: Record<RouterPortName, number>;
  private readonly portOf = new Map<number, RouterPortName>();

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

  pollEvent(): undefined {
    return undefined;
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
