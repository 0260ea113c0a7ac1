/**
 * The server behind the router as a box: one Ethernet port, a host IP stack that answers
 * ping and UDP echo (RFC 862) and can ping others; with an IPv6 address also ping6 both ways.
 */
import { Host, type HostConfig, type HostEvent } from './host.js';
import type { Box, Transmit, View } from './box.js';

export type ServerPortName = 'server';

export class ServerBox implements Box<ServerPortName, HostEvent> {
  readonly kind = 'server';
  readonly ports: readonly ServerPortName[] = ['server'];
  readonly host: Host;

  constructor(config: HostConfig, now: number) {
    this.host = new Host(config, now);
  }

  get name(): string {
    return this.host.name;
  }

  handleFrame(_port: ServerPortName, frame: Uint8Array, now: number): void {
    this.host.handle(0, frame, now);
  }

  handleTimeout(now: number): void {
    this.host.handleTimeout(now);
  }

  nextTimeout(): number | undefined {
    return this.host.nextTimeout();
  }

  pollTransmit(): Transmit<ServerPortName> | undefined {
    const frame = this.host.pollFrame();
    return frame && { port: 'server', frame };
  }

  pollEvent(): HostEvent | undefined {
    return this.host.pollEvent();
  }

  ping(dst: number, sequence: number, now: number, size = 56): void {
    this.host.ping(dst, { sequence, size }, now);
  }

  /** ICMPv6 echo; false when the server has no IPv6 address. The reply is an `echo-reply6` event. */
  ping6(dst: Uint8Array, sequence: number, now: number, size = 56): boolean {
    return this.host.ping6(dst, { sequence, size }, now);
  }

  show(view: View, now: number): unknown {
    if (view === 'arp') return this.host.showArp(now);
    if (view === 'counters') return { server: this.host.counters };
    return undefined;
  }
}
