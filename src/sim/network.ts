/**
 * The pseudo FLET'S network in one process: builds every box of a topology, wires them
 * with in-memory segments, and drives them on one clock (virtual by default).
 *
 *   homes ─access─ sse ─carrier─ nte-x ─core─ router ─server─ server
 *                                  └─radius-x─ isp-radius-x
 *
 * Segments: `access` (subscriber ports isolated from each other), `carrier` (sse and every
 * LNS), `radius-<isp>` (an LNS and its RADIUS server), `core` (every LNS and the router),
 * `server`. Addresses the topology leaves implicit come from src/sim/derive.ts.
 */
import dgram from 'node:dgram';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { VirtualClock, type Clock, type TimerId } from './clock.js';
import { Segment, type Port } from '../io/link.js';
import { PcapngWriter, LinkType } from '../wire/pcap.js';
import { ipv4FromString, ipv4ToString, macToString } from '../wire/bytes.js';
import type { Topology, Isp } from './topology.js';
import { Home, type HomeEvent } from '../roles/home.js';
import { Sse, type SseEvent } from '../roles/sse.js';
import { Nte, type NteEvent } from '../roles/nte.js';
import { Router } from '../roles/router.js';
import { Host, type HostEvent } from '../roles/host.js';
import type { AccountingLine } from '../roles/radius-server.js';
import { pppoeClientConfig } from '../proto/pppoe-client.js';
import { labMac } from '../roles/framing.js';
import type { Counters } from '../proto/ppp-common.js';
import { LINK_PREFIX, addPoolRoutes, carrierRadiusConfig, ispPlan, ispRadiusConfig, nteConfig, sseConfig, type IspPlan } from './derive.js';
import { RadiusBox } from '../roles/radius-box.js';
import type { RadiusServerConfig } from '../roles/radius-server-config.js';
import { radiusPacket, textAttr, ipv4Attr, RadiusCode, A } from '../wire/radius.js';
import { signPacket } from '../wire/radius-crypto.js';
import { encode } from '../wire/result.js';

/** Role numbers in lab MACs (02:RR:...). */
const MAC_ROLE = { home: 0x10, sseAccess: 0x20, sseCarrier: 0x21, nteCarrier: 0x30, nteRadius: 0x31, nteCore: 0x32, radius: 0x40, router: 0x50, server: 0x60 } as const;

export interface NetworkOptions {
  readonly clock?: Clock;
  /** Record every link into a pcapng writer per link. */
  readonly capture?: boolean;
  /** Home-side PPP timers (ms); defaults are pppd's. */
  readonly homeEchoIntervalMs?: number;
}

export type NetEvent =
  | { readonly box: string; readonly at: number; readonly kind: 'home'; readonly event: HomeEvent }
  | { readonly box: string; readonly at: number; readonly kind: 'sse'; readonly event: SseEvent }
  | { readonly box: string; readonly at: number; readonly kind: 'nte'; readonly event: NteEvent }
  | { readonly box: string; readonly at: number; readonly kind: 'server'; readonly event: HostEvent }
  | { readonly box: string; readonly at: number; readonly kind: 'radius'; readonly event: { type: 'accounting'; line: AccountingLine } | { type: 'auth'; userName: string; accepted: boolean; reason: string } | { type: 'dae-reply'; code: number; identifier: number } };

interface Driven {
  readonly name: string;
  timer: TimerId | undefined;
  timerAt: number | undefined;
  handleTimeout(now: number): void;
  nextTimeout(): number | undefined;
  drain(): void;
}

export interface IspBoxes {
  readonly isp: Isp;
  readonly nte: Nte;
  /** The embedded RADIUS server (undefined when the ISP uses a real one). */
  readonly radiusBox: RadiusBox | undefined;
  readonly addresses: IspPlan;
}

export class Network {
  readonly clock: Clock;
  readonly segments = new Map<string, Segment>();
  readonly captures = new Map<string, PcapngWriter>();
  readonly homes: Home[] = [];
  readonly homeCounters: Counters = {};
  readonly sse: Sse;
  readonly isps: IspBoxes[] = [];
  readonly router: Router;
  readonly server: Host;
  readonly events: NetEvent[] = [];
  /** Every accounting record the embedded RADIUS servers logged, in order (a real server keeps its own). */
  readonly accounting: AccountingLine[] = [];
  /** Box name by MAC (for diagrams). */
  readonly macOwner = new Map<string, string>();
  private readonly driven = new Map<string, Driven>();
  private readonly listeners: ((e: NetEvent) => void)[] = [];
  private readonly gatewaySockets: Map<string, dgram.Socket>[] = [];

  constructor(
    readonly topology: Topology,
    readonly options: NetworkOptions = {},
  ) {
    const t = topology;
    const clock = (this.clock = options.clock ?? new VirtualClock(Date.UTC(2026, 0, 1)));
    const now = clock.now();
    const seg = (name: string): Segment => {
      let s = this.segments.get(name);
      if (!s) {
        s = new Segment(name, clock, { ...(t.links[name] ?? {}), seed: t.seed * 1000 + this.segments.size });
        this.segments.set(name, s);
        if (options.capture) {
          const w = new PcapngWriter();
          s.tap(w, w.addInterface(LinkType.ETHERNET, name));
          this.captures.set(name, w);
        }
      }
      return s;
    };
    const own = (mac: Uint8Array, box: string): Uint8Array => {
      this.macOwner.set(macToString(mac), box);
      return mac;
    };

    // ---- the carrier's sse
    this.sse = new Sse(sseConfig(t, { access: own(labMac(MAC_ROLE.sseAccess, 1), t.sse.name), carrier: own(labMac(MAC_ROLE.sseCarrier, 1), t.sse.name) }), now);
    if (t.sse.lnsLookup === 'radius') {
      const addr = ipv4FromString(t.sse.carrierRadiusAddress);
      const mac = own(labMac(MAC_ROLE.radius, 0xff), 'carrier-radius');
      if (t.sse.carrierRadius === 'embedded') {
        const cfg = carrierRadiusConfig(t);
        this.embeddedRadius('carrier-radius', seg('carrier'), mac, addr, cfg);
      } else this.radiusGateway('carrier-radius', seg('carrier'), mac, addr, t.sse.carrierRadius);
    }
    this.wire(t.sse.name, this.sse, [['access', seg('access')], ['carrier', seg('carrier')]], () => this.sse.pollTransmit(), (e) => this.emit({ box: t.sse.name, at: clock.now(), kind: 'sse', event: e as SseEvent }), () => this.sse.pollEvent());

    // ---- the core router and the server
    this.router = new Router();
    const rCore = this.router.addInterface({ kind: 'ethernet', name: 'core', mac: own(labMac(MAC_ROLE.router, 1), t.router.name), address: ipv4FromString(t.router.ispSide), prefixLength: LINK_PREFIX }, now);
    const rServer = this.router.addInterface({ kind: 'ethernet', name: 'server', mac: own(labMac(MAC_ROLE.router, 2), t.router.name), address: ipv4FromString(t.router.serverSide), prefixLength: t.server.prefix }, now);
    this.server = new Host({ name: t.server.name, mac: own(labMac(MAC_ROLE.server, 1), t.server.name), address: ipv4FromString(t.server.address), prefixLength: t.server.prefix, gateway: ipv4FromString(t.server.gateway), udpEchoPorts: [7] }, now);

    // ---- one LNS (+ its RADIUS) per ISP
    t.isps.forEach((isp, i) => {
      const a = ispPlan(t, i);
      const nteName = isp.lns.name;
      // A real RADIUS server is reached through a gateway box at the same in-network address.
      const macs = { carrier: own(labMac(MAC_ROLE.nteCarrier, i + 1), nteName), radius: own(labMac(MAC_ROLE.nteRadius, i + 1), nteName), core: own(labMac(MAC_ROLE.nteCore, i + 1), nteName) };
      const nte = new Nte(nteConfig(t, i, macs, { address: ipv4ToString(a.radiusServer) }), now);
      this.wire(nteName, nte, [['carrier', seg('carrier')], ['radius', seg(`radius-${isp.name}`)], ['core', seg('core')]], () => nte.pollTransmit(), (e) => this.emit({ box: nteName, at: clock.now(), kind: 'nte', event: e as NteEvent }), () => nte.pollEvent());

      const rname = `${isp.name}-radius`;
      const rmac = own(labMac(MAC_ROLE.radius, i + 1), rname);
      let radiusBox: RadiusBox | undefined;
      if (isp.radius === 'embedded') radiusBox = this.embeddedRadius(rname, seg(`radius-${isp.name}`), rmac, a.radiusServer, ispRadiusConfig(t, i));
      else this.radiusGateway(rname, seg(`radius-${isp.name}`), rmac, a.radiusServer, isp.radius);
      this.isps.push({ isp, nte, radiusBox, addresses: a });
    });
    addPoolRoutes(this.router, t);

    // ---- router and server wiring
    {
      const ports = new Map<number, Port>();
      const router = this.router;
      const d = this.drive({
        name: t.router.name,
        handleTimeout: (n) => router.handleTimeout(n),
        nextTimeout: () => router.nextTimeout(),
        drain: () => {
          for (let x = router.pollTransmit(); x; x = router.pollTransmit()) ports.get(x.ifIndex)?.send(x.frame);
        },
      });
      ports.set(rCore, seg('core').attach(t.router.name, (f) => { router.handle(rCore, f, clock.now()); this.kick(d); }));
      ports.set(rServer, seg('server').attach(t.router.name, (f) => { router.handle(rServer, f, clock.now()); this.kick(d); }));
      const server = this.server;
      const sname = t.server.name;
      const ds = this.drive({
        name: sname,
        handleTimeout: (n) => server.handleTimeout(n),
        nextTimeout: () => server.nextTimeout(),
        drain: () => {
          for (let x = server.pollTransmit(); x; x = server.pollTransmit()) sport.send(x.frame);
          for (let e = server.pollEvent(); e; e = server.pollEvent()) this.emit({ box: sname, at: clock.now(), kind: 'server', event: e });
        },
      });
      const sport = seg('server').attach(sname, (f) => { server.handle(0, f, clock.now()); this.kick(ds); });
    }

    // ---- homes
    const pppoe = pppoeClientConfig({});
    t.homes.forEach((h, i) => this.addHome(h.name, h.user, h.password, h.auth, i + 1, pppoe));
  }

  /** Adds a home on the access segment (the load generator adds thousands). */
  addHome(name: string, user: string, password: string, auth: 'chap' | 'pap', index = this.homes.length + 1, pppoe = pppoeClientConfig({})): Home {
    const mac = labMac(MAC_ROLE.home, index);
    this.macOwner.set(macToString(mac), name);
    const home = new Home({ name, mac, user, password, auth, echoIntervalMs: this.options.homeEchoIntervalMs ?? 30_000 }, pppoe, this.homeCounters);
    this.homes.push(home);
    const clock = this.clock;
    const d = this.drive({
      name,
      handleTimeout: (n) => home.handleTimeout(n),
      nextTimeout: () => home.nextTimeout(),
      drain: () => {
        for (let f = home.pollTransmit(); f; f = home.pollTransmit()) port.send(f);
        for (let e = home.pollEvent(); e; e = home.pollEvent()) this.emit({ box: name, at: clock.now(), kind: 'home', event: e });
      },
    });
    const port = this.segments.get('access')!.attach(name, (f) => { home.handleFrame(f, clock.now()); this.kick(d); }, { isolated: true });
    return home;
  }

  /** The embedded RADIUS server as a box on `s`. */
  private embeddedRadius(name: string, s: Segment, mac: Uint8Array, address: number, cfg: RadiusServerConfig): RadiusBox {
    const clock = this.clock;
    const box = new RadiusBox(name, mac, address, cfg, clock.now());
    const d = this.drive({
      name,
      handleTimeout: (n) => box.handleTimeout(n),
      nextTimeout: () => box.nextTimeout(),
      drain: () => {
        for (let f = box.pollTransmit(); f; f = box.pollTransmit()) port.send(f);
        for (let e = box.pollEvent(); e; e = box.pollEvent()) {
          this.emit({ box: name, at: clock.now(), kind: 'radius', event: e.type === 'accounting' ? { type: 'accounting', line: e.line } : e.type === 'auth' ? { type: 'auth', userName: e.userName, accepted: e.accepted, reason: e.reason } : e });
        }
      },
    });
    const port: Port = s.attach(name, (f) => {
      box.handleFrame(f, clock.now());
      this.kick(d);
    });
    return box;
  }

  /**
   * A real RADIUS server (FreeRADIUS) in place of the embedded one: a box at the server's
   * in-network address relays every datagram, unchanged, to the real server over UDP and the
   * answers back. The shared secret covers the bytes, not the addresses, so the RADIUS
   * exchange is end to end. Real sockets: run this network on the wall clock.
   */
  private radiusGateway(name: string, s: Segment, mac: Uint8Array, address: number, real: { address: string; authPort: number; acctPort: number }): void {
    const clock = this.clock;
    const host = new Host({ name, mac, address, prefixLength: 24 }, clock.now());
    host.listenUdp(1812);
    host.listenUdp(1813);
    const sockets = new Map<string, dgram.Socket>();
    const socketFor = (nteAddr: number, ntePort: number, service: number): dgram.Socket => {
      const key = `${nteAddr}:${ntePort}:${service}`;
      let sock = sockets.get(key);
      if (!sock) {
        sock = dgram.createSocket('udp4');
        sock.on('message', (msg) => {
          host.sendUdp(nteAddr, service, ntePort, new Uint8Array(msg.buffer, msg.byteOffset, msg.length), clock.now());
          this.kick(d);
        });
        sock.unref();
        sockets.set(key, sock);
      }
      return sock;
    };
    const d = this.drive({
      name,
      handleTimeout: (n) => host.handleTimeout(n),
      nextTimeout: () => host.nextTimeout(),
      drain: () => {
        for (let e = host.pollEvent(); e; e = host.pollEvent()) {
          if (e.kind !== 'udp') continue;
          const port = e.dstPort === 1813 ? real.acctPort : real.authPort;
          socketFor(e.from, e.srcPort, e.dstPort).send(e.payload, port, real.address);
        }
        for (let x = host.pollTransmit(); x; x = host.pollTransmit()) p.send(x.frame);
      },
    });
    const p = s.attach(name, (f) => {
      host.handle(0, f, clock.now());
      this.kick(d);
    });
    this.gatewaySockets.push(sockets);
  }

  /** Writes one `LINK.pcapng` per link and `accounting.jsonl` into `dir`; returns the paths. */
  writeFiles(dir: string): string[] {
    mkdirSync(dir, { recursive: true });
    const files: string[] = [];
    const write = (name: string, data: string | Uint8Array): void => {
      const p = path.join(dir, name);
      writeFileSync(p, data);
      files.push(p);
    };
    for (const [name, w] of this.captures) write(`${name}.pcapng`, w.bytes());
    write('accounting.jsonl', this.accounting.map((a) => JSON.stringify(a) + '\n').join(''));
    return files;
  }

  /** Closes the sockets of RADIUS gateways (wall-clock runs). */
  close(): void {
    for (const m of this.gatewaySockets) for (const s of m.values()) s.close();
  }

  /**
   * The ISP's RADIUS server sends an RFC 5176 Disconnect-Request for `user` to the LNS
   * (embedded RADIUS only). The answer comes back as a `dae-reply` event.
   */
  disconnectRequest(ispName: string, user: string, identifier = 1): void {
    const b = this.isps.find((x) => x.isp.name === ispName);
    const rb = b?.radiusBox;
    if (!b || !rb) throw new Error(`no embedded RADIUS for ${ispName}`);
    const packet = { code: RadiusCode.DISCONNECT_REQUEST, identifier, authenticator: new Uint8Array(16), attributes: [textAttr(A.USER_NAME, user), ipv4Attr(A.NAS_IP_ADDRESS, b.addresses.radiusNte)] };
    const bytes = encode(radiusPacket, packet);
    signPacket(bytes, b.addresses.radiusSecret);
    this.act(`${ispName}-radius`, (now) => rb.sendDae(b.addresses.radiusNte, bytes, now));
  }

  /** Runs `f` on a box and then moves its output (for commands from outside: start, ping...). */
  act(box: string, f: (now: number) => void): void {
    f(this.clock.now());
    const d = this.driven.get(box);
    if (d) this.kick(d);
  }

  onEvent(f: (e: NetEvent) => void): void {
    this.listeners.push(f);
  }

  private emit(e: NetEvent): void {
    if (e.kind === 'radius' && e.event.type === 'accounting') this.accounting.push(e.event.line);
    this.events.push(e);
    for (const l of this.listeners) l(e);
  }

  private wire<P extends string>(
    name: string,
    box: { handleFrame(port: P, frame: Uint8Array, now: number): void; handleTimeout(now: number): void; nextTimeout(): number | undefined },
    ports: [P, Segment][],
    poll: () => { port: P; frame: Uint8Array } | undefined,
    onEvent: (e: unknown) => void,
    pollEvent: () => unknown,
  ): void {
    const attached = new Map<P, Port>();
    const d = this.drive({
      name,
      handleTimeout: (n) => box.handleTimeout(n),
      nextTimeout: () => box.nextTimeout(),
      drain: () => {
        for (let x = poll(); x; x = poll()) attached.get(x.port)?.send(x.frame);
        for (let e = pollEvent(); e; e = pollEvent()) onEvent(e);
      },
    });
    for (const [p, s] of ports) attached.set(p, s.attach(name, (f) => { box.handleFrame(p, f, this.clock.now()); this.kick(d); }));
  }

  private drive(b: Omit<Driven, 'timer' | 'timerAt'>): Driven {
    const d: Driven = { ...b, timer: undefined, timerAt: undefined };
    this.driven.set(d.name, d);
    // The first kick waits for the clock, so that the caller can attach the box's ports first.
    this.clock.setTimer(this.clock.now(), () => this.kick(d));
    return d;
  }

  /** After input: send what the box has to send, then keep its timer armed at its next timeout. */
  private kick(d: Driven): void {
    d.drain();
    const t = d.nextTimeout();
    if (t === d.timerAt) return;
    if (d.timer !== undefined) this.clock.cancel(d.timer);
    d.timer = undefined;
    d.timerAt = t;
    if (t === undefined) return;
    d.timer = this.clock.setTimer(t, () => {
      d.timer = undefined;
      d.timerAt = undefined;
      d.handleTimeout(this.clock.now());
      this.kick(d);
    });
  }
}
