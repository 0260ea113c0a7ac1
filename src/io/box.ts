/**
 * One box of a topology on the wall clock, its ports on real Ethernet interfaces
 * (`pseudonet up FILE --box NAME`). The same role code as the in-process network; this
 * file only opens the attachments, builds the role with the interfaces' own MACs and the
 * topology's addresses (derived as src/sim/network.ts derives them), and drives it:
 * after every input batch it drains the role's output and re-arms one timer at
 * `nextTimeout()` (the `kick` pattern). `show()` answers the control endpoint;
 * `shutdown()` tears sessions down the way the protocols want before the process exits.
 */
import { addPoolRoutes, ispPlan, ispRadiusConfig, nteConfig, sseConfig } from '../sim/derive.js';
import { RadiusBox } from '../roles/radius-box.js';
import { WallClock, type Clock, type TimerId } from '../sim/clock.js';
import { Segment } from './link.js';
import { AfPacket } from './afpacket.js';
import type { Topology } from '../sim/topology.js';
import { ipv4FromString, ipv4ToString, textBytes, macToString } from '../wire/bytes.js';
import { Home } from '../roles/home.js';
import { Sse } from '../roles/sse.js';
import { Nte } from '../roles/nte.js';
import { Router } from '../roles/router.js';
import { Host } from '../roles/host.js';
import { RadiusServer } from '../roles/radius-server.js';
import { pppoeClientConfig } from '../proto/pppoe-client.js';
import { labMac } from '../roles/framing.js';

/** An Ethernet port the box sends on (an AF_PACKET attachment, or an in-memory link in tests). */
export interface EtherPort {
  readonly mac: Uint8Array;
  send(frame: Uint8Array): void;
  close(): void;
  readonly counters?: object;
  kernelStats?(): { drops: number };
}

/** Opens interface `ifname`; frames go to `onFrame`, and `onBatch` runs after each batch. */
export type PortOpener = (ifname: string, onFrame: (f: Uint8Array) => void, onBatch: () => void) => EtherPort;

export const openAfPacket: PortOpener = (ifname, onFrame, onBatch) => new AfPacket(ifname, onFrame, {}, onBatch);

export type BoxKind = 'sse' | 'nte' | 'router' | 'home' | 'server';

export const BOX_PORTS: Record<BoxKind, readonly string[]> = {
  sse: ['access', 'carrier'],
  nte: ['carrier', 'radius', 'core'],
  router: ['core', 'server'],
  home: ['access'],
  server: ['server'],
};

export interface BoxEvent {
  readonly box: string;
  readonly at: number;
  readonly kind: string;
  readonly event: unknown;
}

export interface BoxOptions {
  readonly clock?: Clock;
  readonly open?: PortOpener;
  /** Every role event, as it happens. */
  readonly onEvent?: (e: BoxEvent) => void;
  /** A home starts PPPoE discovery at once (default true). */
  readonly autoStart?: boolean;
}

/** Where a box is in the topology and which interfaces it runs on. */
export function locateBox(t: Topology, name: string): { kind: BoxKind; interfaces: Record<string, string>; isp?: number; home?: number } {
  const pick = (kind: BoxKind, ifs: Record<string, string> | undefined, extra: { isp?: number; home?: number } = {}): { kind: BoxKind; interfaces: Record<string, string>; isp?: number; home?: number } => {
    const interfaces = ifs ?? {};
    for (const p of Object.keys(interfaces)) if (!BOX_PORTS[kind].includes(p)) throw new Error(`box ${name}: no port "${p}" on a ${kind} (ports: ${BOX_PORTS[kind].join(', ')})`);
    return { kind, interfaces, ...extra };
  };
  if (t.sse.name === name) return pick('sse', t.sse.interfaces);
  if (t.router.name === name) return pick('router', t.router.interfaces);
  if (t.server.name === name) return pick('server', t.server.interfaces);
  const i = t.isps.findIndex((x) => x.lns.name === name);
  if (i >= 0) return pick('nte', t.isps[i]!.lns.interfaces, { isp: i });
  const h = t.homes.findIndex((x) => x.name === name);
  if (h >= 0) return pick('home', t.homes[h]!.interfaces, { home: h });
  const names = [t.sse.name, ...t.isps.map((x) => x.lns.name), t.router.name, t.server.name, ...t.homes.map((x) => x.name)];
  throw new Error(`no box named "${name}" in the topology (boxes: ${names.join(', ')})`);
}

export interface Driven {
  handleTimeout(now: number): void;
  nextTimeout(): number | undefined;
  drain(): void;
}

/** The kick pattern on a clock: after input, drain, then keep one timer at the next timeout. */
export class Driver {
  private timer: TimerId | undefined;
  private timerAt: number | undefined;
  stopped = false;
  constructor(
    private readonly clock: Clock,
    private readonly d: Driven,
  ) {}

  kick(): void {
    if (this.stopped) return;
    this.d.drain();
    const t = this.d.nextTimeout();
    if (t === this.timerAt) return;
    if (this.timer !== undefined) this.clock.cancel(this.timer);
    this.timer = undefined;
    this.timerAt = t;
    if (t === undefined) return;
    this.timer = this.clock.setTimer(t, () => {
      this.timer = undefined;
      this.timerAt = undefined;
      this.d.handleTimeout(this.clock.now());
      this.kick();
    });
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) this.clock.cancel(this.timer);
    this.timer = undefined;
    this.timerAt = undefined;
  }
}

/**
 * What `pseudonet up` runs and the control endpoint asks: a `Box` (one box of the topology)
 * or the home emulator (`HomesBox`, src/io/homes.ts).
 */
export interface RunningBox {
  readonly name: string;
  readonly kind: string;
  show(what: string): unknown;
  /** ICMP echo (from home `from` of an emulator); the RTT in ms, or undefined. */
  ping(dst: number, timeoutMs?: number, size?: number, from?: string): Promise<number | undefined>;
  shutdown(timeoutMs?: number): Promise<{ clean: boolean }>;
  close(): void;
}

interface SseSessionView { pppoeSessionId: number; mac: string; user: string; lns: string; tunnelId: number; sessionId: number; peerTunnelId: number; peerSessionId: number; since: number }

export class Box implements RunningBox {
  readonly name: string;
  readonly kind: BoxKind;
  readonly clock: Clock;
  readonly ports = new Map<string, EtherPort>();
  readonly interfaces: Record<string, string>;
  home: Home | undefined;
  sse: Sse | undefined;
  nte: Nte | undefined;
  router: Router | undefined;
  server: Host | undefined;
  /** The embedded RADIUS of an nte whose `radius` port is not on a real interface. */
  radius: RadiusServer | undefined;
  /** What happened, for `show events` (the last 1,000). */
  readonly events: BoxEvent[] = [];
  private readonly sseSessions = new Map<number, SseSessionView>();
  private readonly drivers: Driver[] = [];
  private driver!: Driver;
  private readonly pings = new Map<number, (rtt: number | undefined) => void>();
  private pingSeq = 0;
  private readonly opts: BoxOptions;

  constructor(readonly topology: Topology, name: string, opts: BoxOptions = {}) {
    const t = topology;
    const where = locateBox(t, name);
    this.name = name;
    this.kind = where.kind;
    this.interfaces = where.interfaces;
    this.opts = opts;
    const clock = (this.clock = opts.clock ?? new WallClock());
    const open = opts.open ?? openAfPacket;
    const now = clock.now();
    const missing = BOX_PORTS[this.kind].filter((p) => !this.interfaces[p] && !(this.kind === 'nte' && p === 'radius' && t.isps[where.isp!]!.radius === 'embedded'));
    if (missing.length) throw new Error(`box ${name}: give an interface for port${missing.length > 1 ? 's' : ''} ${missing.join(', ')} (topology: interfaces: { ${missing.map((p) => `${p}: IFNAME`).join(', ')} })`);

    // Open every attachment first (an error leaves nothing open), then build the role with their MACs.
    let deliver: (port: string, f: Uint8Array) => void = () => {};
    try {
      for (const [port, ifname] of Object.entries(this.interfaces)) {
        this.ports.set(port, open(ifname, (f) => deliver(port, f), () => this.driver.kick()));
      }
    } catch (e) {
      for (const p of this.ports.values()) p.close();
      throw e;
    }
    const mac = (port: string): Uint8Array => this.ports.get(port)?.mac ?? labMac(0x31, (where.isp ?? 0) + 1);
    const send = (port: string, f: Uint8Array): void => this.ports.get(port)?.send(f);
    const emit = (kind: string, event: unknown): void => this.emit(kind, event);

    const coreAddr = ipv4FromString(t.router.ispSide);
    switch (this.kind) {
      case 'home': {
        const h = t.homes[where.home!]!;
        const home = (this.home = new Home({ name, mac: mac('access'), user: h.user, password: h.password, auth: h.auth, mru: t.sse.mru }, pppoeClientConfig({})));
        deliver = (_p, f) => home.handleFrame(f, clock.now());
        this.driver = this.drive({
          handleTimeout: (n) => home.handleTimeout(n),
          nextTimeout: () => home.nextTimeout(),
          drain: () => {
            for (let f = home.pollTransmit(); f; f = home.pollTransmit()) send('access', f);
            for (let e = home.pollEvent(); e; e = home.pollEvent()) {
              if (e.type === 'ip' && e.event.kind === 'echo-reply') this.pings.get(e.event.sequence)?.(e.event.rtt);
              emit('home', e);
            }
          },
        });
        if (opts.autoStart ?? true) this.act((n) => home.start(n));
        break;
      }
      case 'sse': {
        const sse = (this.sse = new Sse({ ...sseConfig(t, { access: mac('access'), carrier: mac('carrier') }), name }, now));
        deliver = (p, f) => sse.handleFrame(p as 'access' | 'carrier', f, clock.now());
        this.driver = this.drive({
          handleTimeout: (n) => sse.handleTimeout(n),
          nextTimeout: () => sse.nextTimeout(),
          drain: () => {
            for (let x = sse.pollTransmit(); x; x = sse.pollTransmit()) send(x.port, x.frame);
            for (let e = sse.pollEvent(); e; e = sse.pollEvent()) {
              if (e.type === 'relaying') this.sseSessions.set(e.pppoeSessionId, { ...e, since: clock.now() });
              else if (e.type === 'session-ended') this.sseSessions.delete(e.pppoeSessionId);
              emit('sse', e);
            }
          },
        });
        break;
      }
      case 'router': {
        const router = (this.router = new Router());
        const rCore = router.addInterface({ kind: 'ethernet', name: 'core', mac: mac('core'), address: coreAddr, prefixLength: 24 }, now);
        const rServer = router.addInterface({ kind: 'ethernet', name: 'server', mac: mac('server'), address: ipv4FromString(t.router.serverSide), prefixLength: t.server.prefix }, now);
        addPoolRoutes(router, t);
        const byIf = new Map([[rCore, 'core'], [rServer, 'server']]);
        deliver = (p, f) => router.handle(p === 'core' ? rCore : rServer, f, clock.now());
        this.driver = this.drive({
          handleTimeout: (n) => router.handleTimeout(n),
          nextTimeout: () => router.nextTimeout(),
          drain: () => {
            for (let x = router.pollTransmit(); x; x = router.pollTransmit()) send(byIf.get(x.ifIndex)!, x.frame);
          },
        });
        break;
      }
      case 'server': {
        const server = (this.server = new Host({ name, mac: mac('server'), address: ipv4FromString(t.server.address), prefixLength: t.server.prefix, gateway: ipv4FromString(t.server.gateway), udpEchoPorts: [7] }, now));
        deliver = (_p, f) => server.handle(0, f, clock.now());
        this.driver = this.drive({
          handleTimeout: (n) => server.handleTimeout(n),
          nextTimeout: () => server.nextTimeout(),
          drain: () => {
            for (let x = server.pollTransmit(); x; x = server.pollTransmit()) send('server', x.frame);
            for (let e = server.pollEvent(); e; e = server.pollEvent()) {
              if (e.kind === 'echo-reply') this.pings.get(e.sequence)?.(e.rtt);
              emit('server', e);
            }
          },
        });
        break;
      }
      case 'nte': {
        const i = where.isp!;
        const isp = t.isps[i]!;
        // A real RADIUS server is talked to at its own address and ports; the embedded one runs in this process.
        const external = typeof isp.radius === 'string' ? undefined : isp.radius;
        const plan = ispPlan(t, i);
        const radius = external ? { address: external.address, authPort: external.authPort, acctPort: external.acctPort } : { address: ipv4ToString(plan.radiusServer) };
        const nte = (this.nte = new Nte({ ...nteConfig(t, i, { carrier: mac('carrier'), radius: mac('radius'), core: mac('core') }, radius), name }, now));
        deliver = (p, f) => nte.handleFrame(p as 'carrier' | 'radius' | 'core', f, clock.now());
        let radiusLink: ((f: Uint8Array) => void) | undefined;
        this.driver = this.drive({
          handleTimeout: (n) => nte.handleTimeout(n),
          nextTimeout: () => nte.nextTimeout(),
          drain: () => {
            for (let x = nte.pollTransmit(); x; x = nte.pollTransmit()) {
              if (x.port === 'radius' && radiusLink) radiusLink(x.frame);
              else send(x.port, x.frame);
            }
            for (let e = nte.pollEvent(); e; e = nte.pollEvent()) emit('nte', e);
          },
        });
        if (!this.ports.has('radius')) radiusLink = this.embeddedRadius(t, i, name, (f) => { nte.handleFrame('radius', f, clock.now()); this.driver.kick(); });
        break;
      }
    }
    this.driver.kick();
  }

  /** The ISP's embedded RADIUS server, in this process, on an in-memory link to the nte's `radius` port. */
  private embeddedRadius(t: Topology, i: number, nteName: string, toNte: (f: Uint8Array) => void): (f: Uint8Array) => void {
    const clock = this.clock;
    const isp = t.isps[i]!;
    const seg = new Segment(`radius-${isp.name}`, clock, {});
    const box = new RadiusBox(`${isp.name}-radius`, labMac(0x40, i + 1), ispPlan(t, i).radiusServer, ispRadiusConfig(t, i), clock.now());
    this.radius = box.server;
    const d = this.drive({
      handleTimeout: (n) => box.handleTimeout(n),
      nextTimeout: () => box.nextTimeout(),
      drain: () => {
        for (let f = box.pollTransmit(); f; f = box.pollTransmit()) port.send(f);
        for (let e = box.pollEvent(); e; e = box.pollEvent()) this.emit('radius', e);
      },
    });
    const port = seg.attach('radius', (f) => {
      box.handleFrame(f, clock.now());
      d.kick();
    });
    const nteSide = seg.attach(nteName, (f) => toNte(f));
    d.kick();
    return (f) => nteSide.send(f);
  }

  private drive(d: Driven): Driver {
    const x = new Driver(this.clock, d);
    this.drivers.push(x);
    return x;
  }

  private emit(kind: string, event: unknown): void {
    const e: BoxEvent = { box: this.name, at: this.clock.now(), kind, event };
    this.events.push(e);
    if (this.events.length > 1000) this.events.splice(0, this.events.length - 1000);
    this.opts.onEvent?.(e);
  }

  /** Runs `f` on the role, then moves its output (commands from outside). */
  act(f: (now: number) => void): void {
    f(this.clock.now());
    this.driver.kick();
  }

  /** ICMP echo from a home or server box; resolves with the RTT (ms) or undefined after `timeoutMs`. */
  ping(dst: number, timeoutMs = 1000, size = 56): Promise<number | undefined> {
    const seq = (this.pingSeq = (this.pingSeq + 1) & 0xffff);
    return new Promise((resolve) => {
      const done = (rtt: number | undefined): void => {
        clearTimeout(timer);
        this.pings.delete(seq);
        resolve(rtt);
      };
      const timer = setTimeout(() => done(undefined), timeoutMs);
      this.pings.set(seq, done);
      if (this.home) {
        if (!this.home.isOnline) return done(undefined);
        this.act((n) => this.home!.ping(dst, seq, n, size));
      } else if (this.server) this.act((n) => this.server!.ping(dst, { sequence: seq, size }, n));
      else done(undefined);
    });
  }

  /** What the control endpoint answers: sessions, tunnels, routes, arp, counters, interfaces, events. */
  show(what: string): unknown {
    const now = this.clock.now();
    const ports = Object.fromEntries([...this.ports].map(([p, x]) => [p, { interface: this.interfaces[p], mac: macToString(x.mac), ...(x.counters ? { counters: x.counters } : {}), ...(x.kernelStats ? { kernel: x.kernelStats() } : {}) }]));
    switch (what) {
      case 'box':
        return { name: this.name, kind: this.kind, interfaces: this.interfaces, ports };
      case 'interfaces':
        return { ports, ...(this.router ? { router: this.router.showInterfaces() } : {}), ...(this.nte ? { router: this.nte.router.showInterfaces() } : {}) };
      case 'sessions':
        if (this.home) return [{ state: this.home.client.state, online: this.home.isOnline, sessionId: this.home.sessionId, address: this.home.address ? ipv4ToString(this.home.address) : undefined, dns: this.home.dns.map(ipv4ToString) }];
        if (this.sse) return { byState: this.sse.sessionsByState(), relaying: [...this.sseSessions.values()] };
        if (this.nte) return this.nte.listSessions();
        return [];
      case 'tunnels':
        return this.sse ? this.sse.l2tp.tunnelInfo() : this.nte ? this.nte.l2tp.tunnelInfo() : [];
      case 'routes':
        return this.router ? this.router.showRoutes() : this.nte ? this.nte.router.showRoutes() : [];
      case 'arp':
        if (this.router) return this.router.showArp(now);
        if (this.nte) return { core: this.nte.router.showArp(now), carrier: this.nte.carrier.showArp(now), radius: this.nte.mgmt.showArp(now) };
        if (this.sse) return { carrier: this.sse.carrier.showArp(now) };
        if (this.server) return this.server.showArp(now);
        return [];
      case 'counters':
        return {
          ports,
          ...(this.router ? { router: this.router.showCounters() } : {}),
          ...(this.sse ? { sse: this.sse.counters, l2tp: this.sse.l2tp.counters, carrier: this.sse.carrier.counters } : {}),
          ...(this.nte ? { nte: this.nte.counters, l2tp: this.nte.l2tp.counters, router: this.nte.router.showCounters(), radiusBacklog: this.nte.radius.accountingBacklog } : {}),
          ...(this.home ? { home: this.home.counters, host: this.home.host?.counters } : {}),
          ...(this.server ? { server: this.server.counters } : {}),
        };
      case 'events':
        return this.events.slice(-200);
      default:
        throw new Error(`unknown "${what}" (sessions, tunnels, routes, arp, counters, interfaces, events, box)`);
    }
  }

  /**
   * Ends everything the way the protocols want, then stops: a home sends LCP Terminate-Request
   * and PADT; the sse sends CDN per call and PADT per session, then StopCCN per tunnel; the nte
   * sends StopCCN per tunnel (every session's Accounting-Stop goes to RADIUS) and waits for the
   * RADIUS answers. Waits at most `timeoutMs` for the peers' acknowledgements.
   */
  async shutdown(timeoutMs = 5000): Promise<{ clean: boolean }> {
    const deadline = this.clock.now() + timeoutMs;
    const until = async (done: () => boolean): Promise<boolean> => {
      while (!done()) {
        if (this.clock.now() >= deadline) return false;
        await new Promise((r) => setTimeout(r, 20));
      }
      return true;
    };
    let clean = true;
    if (this.home) {
      const home = this.home;
      if (home.client.state === 'session') {
        this.act((n) => home.disconnect(n));
        clean = await until(() => home.client.state !== 'session');
        if (!clean) this.act((n) => home.padt(n, 'shutting down'));
      }
    }
    if (this.sse) {
      const sse = this.sse;
      for (const id of [...this.sseSessions.keys()]) this.act((n) => sse.disconnect(id, n, 'LAC shutting down'));
      // Let the CDNs be acknowledged, then stop the tunnels.
      await until(() => sse.l2tp.tunnelInfo().every((t) => t.outstanding === 0));
      for (const t of sse.l2tp.tunnelInfo()) this.act((n) => sse.l2tp.closeTunnel(t.tunnelId, n));
      this.act(() => {});
      clean = (await until(() => sse.l2tp.tunnelInfo().every((t) => t.state === 'closing' && t.outstanding === 0))) && clean;
    }
    if (this.nte) {
      const nte = this.nte;
      this.act((n) => nte.stopAll(n));
      clean = (await until(() => nte.sessionCount === 0 && nte.radius.accountingBacklog === 0 && nte.l2tp.tunnelInfo().every((t) => t.state === 'closing' && t.outstanding === 0))) && clean;
    }
    // The last frames leave with the microtask flush of each port.
    await new Promise((r) => setImmediate(r));
    this.close();
    return { clean };
  }

  close(): void {
    for (const d of this.drivers) d.stop();
    for (const p of this.ports.values()) p.close();
    if (this.clock instanceof WallClock) this.clock.cancelAll();
  }
}
