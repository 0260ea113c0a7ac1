/**
 * Wires sans-IO IP roles (router, host) onto in-memory segments on the virtual clock:
 * frames from a segment go to `handle`, `pollTransmit` goes to the segment, and the
 * role's `nextTimeout` becomes a clock timer. Received frames are copied first, as a NIC
 * gives each receiver its own buffer (a Segment hands every port the same bytes, and the
 * router rewrites frames in place).
 */
import { VirtualClock, type TimerId } from '../../src/sim/clock.js';
import { Segment, type Impairments, type Port } from '../../src/sim/link.js';
import { PcapngWriter, LinkType } from '../../src/wire/pcap.js';
import { Router, type InterfaceConfig, type RouterOptions } from '../../src/roles/router.js';
import { Host, type HostConfig, type HostEvent } from '../../src/roles/host.js';

export interface SansIoNode {
  handle(ifIndex: number, frame: Uint8Array, now: number): void;
  handleTimeout(now: number): void;
  pollTransmit(): { ifIndex: number; frame: Uint8Array } | undefined;
  nextTimeout(): number | undefined;
}

export class Attachment {
  private readonly ports: Port[] = [];
  private timerAt: number | undefined;
  private timerId: TimerId | undefined;

  constructor(private readonly clock: VirtualClock, readonly node: SansIoNode) {}

  attach(ifIndex: number, seg: Segment, name: string): void {
    this.ports[ifIndex] = seg.attach(name, (frame) => {
      this.node.handle(ifIndex, new Uint8Array(frame), this.clock.now());
      this.pump();
    });
  }

  detach(ifIndex: number): void {
    this.ports[ifIndex]?.detach();
  }

  /** Sends everything the node has to send and re-arms its timer. Call after driving the node directly. */
  pump(): void {
    for (let t = this.node.pollTransmit(); t; t = this.node.pollTransmit()) this.ports[t.ifIndex]?.send(t.frame);
    const at = this.node.nextTimeout();
    if (at === this.timerAt) return;
    if (this.timerAt !== undefined && this.timerId !== undefined) this.clock.cancel(this.timerId);
    this.timerAt = at;
    if (at !== undefined) {
      this.timerId = this.clock.setTimer(at, () => {
        this.timerAt = undefined;
        this.node.handleTimeout(this.clock.now());
        this.pump();
      });
    }
  }
}

/** A small IP network on the virtual clock, every segment tapped into one pcapng. */
export class IpNet {
  readonly clock = new VirtualClock();
  readonly pcap = new PcapngWriter();
  readonly segments = new Map<string, Segment>();
  readonly attachments = new Map<string, Attachment>();
  readonly events = new Map<string, HostEvent[]>();

  segment(name: string, impairments: Impairments = {}, linkType: number = LinkType.ETHERNET): Segment {
    const s = new Segment(name, this.clock, impairments);
    s.tap(this.pcap, this.pcap.addInterface(linkType, name));
    this.segments.set(name, s);
    return s;
  }

  router(name: string, ifaces: [InterfaceConfig, Segment][], options: RouterOptions = {}): Router {
    const r = new Router(options);
    const a = new Attachment(this.clock, r);
    this.attachments.set(name, a);
    for (const [c, seg] of ifaces) a.attach(r.addInterface(c, this.clock.now()), seg, `${name}.${c.name}`);
    a.pump();
    return r;
  }

  host(config: HostConfig, seg: Segment): Host {
    const h = new Host(config, this.clock.now());
    const a = new Attachment(this.clock, {
      handle: (i, f, now) => h.handle(i, f, now),
      handleTimeout: (now) => h.handleTimeout(now),
      pollTransmit: () => h.pollTransmit(),
      nextTimeout: () => h.nextTimeout(),
    });
    this.attachments.set(config.name, a);
    this.events.set(config.name, []);
    a.attach(0, seg, config.name);
    // Collect events as they happen.
    const orig = a.pump.bind(a);
    a.pump = () => {
      orig();
      for (let e = h.pollEvent(); e; e = h.pollEvent()) this.events.get(config.name)!.push(e);
    };
    a.pump();
    return h;
  }

  /** Runs `fn` against a node now, then lets it send. */
  act(name: string, fn: (now: number) => void): void {
    fn(this.clock.now());
    this.attachments.get(name)!.pump();
  }

  run(ms: number): void {
    this.clock.runUntil(this.clock.now() + ms);
  }

  take(host: string): HostEvent[] {
    const ev = this.events.get(host)!;
    return ev.splice(0, ev.length);
  }
}
