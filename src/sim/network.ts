/**
 * The pseudo FLET'S network in one process: every box of a topology, built by the one
 * assembler (src/config/assemble.ts), each driven by the one driver loop
 * (src/roles/box.ts) on one clock (virtual by default), its ports attached to in-memory
 * segments (src/sim/link.ts).
 *
 *   homes ─access─ sse ─carrier─ nte-x ─core─ router ─server─ server
 *                                  └─radius-x─ isp-radius-x
 *
 * Segments: `access` (subscriber ports isolated from each other), `carrier` (sse and every
 * LNS), `radius-<isp>` (an LNS and its RADIUS server), `core` (every LNS and the router),
 * `server`. A real RADIUS server in place of an embedded one is a relay box whose datagrams
 * the caller carries (`relay` option; src/io/radius-relay-udp.ts does it over UDP).
 * Nothing the network produces over time is kept: events, accounting records and frames go
 * to the caller's sinks as they happen (src/sim/stream.ts writes them to files); `events`
 * and `accounting` hold only the last `keep` of each, for tests.
 */
import { VirtualClock } from './clock.js';
import { Recent, type NetworkSinks } from './stream.js';
import { Segment, type Port, type Impairments } from './link.js';
import { PcapngWriter, LinkType } from '../wire/pcap.js';
import { macToString } from '../wire/bytes.js';
import type { Topology, Isp, Redial } from '../config/topology.js';
import { Driver, type Box, type Clock } from '../roles/box.js';
import type { Home, HomeEvent } from '../roles/home.js';
import type { Sse, SseEvent } from '../roles/sse.js';
import type { Nte, NteEvent } from '../roles/nte.js';
import type { Router } from '../roles/router.js';
import type { Host, HostEvent } from '../roles/host.js';
import type { RouterBox } from '../roles/router-box.js';
import type { ServerBox } from '../roles/server.js';
import type { AccountingLine } from '../roles/radius-server.js';
import type { RadiusBox, RadiusBoxEvent } from '../roles/radius-box.js';
import type { RadiusRelay, RelayCarrier, RelayDatagram, RelayLink } from '../roles/radius-relay.js';
import { pppoeClientConfig } from '../proto/pppoe-client.js';
import type { Counters } from '../proto/ppp-common.js';
import type { AccountingJournal, AccountingSpool } from '../proto/radius-client.js';
import { ispPlan, type IspPlan } from '../config/derive.js';
import { assembleHome, build, homeMac, sites, type AnyBox, type Site } from '../config/assemble.js';
import { radiusPacket, textAttr, ipv4Attr, RadiusCode, A } from '../wire/radius.js';
import { signPacket } from '../wire/radius-crypto.js';
import { encode } from '../wire/result.js';


export interface NetworkOptions {
  readonly clock?: Clock;
  /** Record every link into an in-memory pcapng writer per link (`captures`; for short runs and tests). */
  readonly capture?: boolean;
  /** Where events, accounting records and captured frames go as they happen. */
  readonly sinks?: NetworkSinks<NetEvent>;
  /** How many of the latest events and accounting records `events` / `accounting` keep (default 0). */
  readonly keep?: number;
  /**
   * An LNS's write-ahead accounting spool (a file: src/io/radius-spool.ts, opened by the
   * caller). It is committed before any event leaves the network, so what an event reports
   * is on disk.
   */
  readonly accountingSpool?: (nte: string) => NetworkSpool | undefined;
  /** Home-side PPP timers (ms); defaults are pppd's. */
  readonly homeEchoIntervalMs?: number;
  /** How relay boxes reach a real RADIUS server (needed when the topology names one). */
  readonly relay?: RelayCarrier;
}

/** A write-ahead accounting spool as the network uses it. */
export type NetworkSpool = AccountingJournal & AccountingSpool & { commit(): void };

export type NetEvent =
  | { readonly box: string; readonly at: number; readonly kind: 'home'; readonly event: HomeEvent }
  | { readonly box: string; readonly at: number; readonly kind: 'sse'; readonly event: SseEvent }
  | { readonly box: string; readonly at: number; readonly kind: 'nte'; readonly event: NteEvent }
  | { readonly box: string; readonly at: number; readonly kind: 'server'; readonly event: HostEvent }
  | { readonly box: string; readonly at: number; readonly kind: 'radius'; readonly event: RadiusBoxEvent };

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
  /** The boxes by role; a box stopped and started again (`stopBox` / `startBox`) is a new object here. */
  sse: Sse;
  readonly isps: IspBoxes[] = [];
  router: Router;
  server: Host;
  /** Boxes whose driver is stopped and whose ports are detached (`stopBox`). */
  readonly stopped = new Set<string>();
  /** Homes held down (`homeDown`): hung up, and hung up again should they dial, until `homeUp`. */
  readonly held = new Set<string>();
  /** The last `keep` events (a bounded ring; the full stream goes to `sinks.events`). */
  readonly events: Recent<NetEvent>;
  /** The last `keep` accounting records the embedded RADIUS servers logged (a real server keeps its own). */
  readonly accounting: Recent<AccountingLine>;
  /**
   * Box name by MAC (for diagrams and the API's ladders). Built on first use, from every box
   * of the topology: a string key per home is not worth keeping for runs that never ask.
   */
  get macOwner(): Map<string, string> {
    if (!this.macOwners) {
      this.macOwners = new Map();
      for (const site of sites(this.topology)) for (const port of Object.keys(site.links)) this.macOwners.set(macToString(site.macs[port]!), site.name);
    }
    return this.macOwners;
  }
  private macOwners: Map<string, string> | undefined;
  /** Every box by name, with its driver. */
  readonly drivers = new Map<string, Driver<string, unknown, Port>>();
  private readonly listeners: ((e: NetEvent) => void)[] = [];
  private readonly relays = new Map<string, RelayLink>();
  private readonly pppoe = pppoeClientConfig({});
  /** Each LNS's write-ahead accounting spool, by box name. */
  private readonly spools = new Map<string, NetworkSpool>();

  constructor(
    readonly topology: Topology,
    readonly options: NetworkOptions = {},
  ) {
    const t = topology;
    this.clock = options.clock ?? new VirtualClock(Date.UTC(2026, 0, 1));
    this.events = new Recent(options.keep ?? 0);
    this.accounting = new Recent(options.keep ?? 0);
    const now = this.clock.now();
    const boxes = new Map<string, AnyBox>();
    for (const site of sites(t)) {
      const box = site.kind === 'home' ? this.newHome(site.name, t.homes[site.home! - 1]!, site.home!) : build(t, site, { now, accountingSpool: (n) => this.spool(n) });
      boxes.set(site.name, box);
      this.place(site, box);
    }
    this.sse = boxes.get(t.sse.name) as Sse;
    this.router = (boxes.get(t.router.name) as RouterBox).router;
    this.server = (boxes.get(t.server.name) as ServerBox).host;
    t.isps.forEach((isp, i) => {
      const rb = boxes.get(`${isp.name}-radius`);
      this.isps.push({ isp, nte: boxes.get(isp.lns.name) as Nte, radiusBox: rb?.kind === 'radius' ? (rb as RadiusBox) : undefined, addresses: ispPlan(t, i) });
    });
  }

  private spool(nte: string): NetworkSpool | undefined {
    const s = this.options.accountingSpool?.(nte);
    if (s) this.spools.set(nte, s);
    return s;
  }

  private newHome(name: string, h: { user: string; password: string; auth: 'chap' | 'pap'; redial?: Redial }, index: number): Home {
    const home = assembleHome(this.topology, { name, ...h }, homeMac(index), { homeEchoIntervalMs: this.options.homeEchoIntervalMs ?? 30_000, homeCounters: this.homeCounters, pppoe: this.pppoe });
    this.homes.push(home);
    return home;
  }

  /** Attaches a box's ports to their segments and starts its driver. */
  private place(site: Site, box: AnyBox): void {
    const d = new Driver<string, unknown, Port>(this.clock, box as Box<string, unknown>, this.onBoxEvent);
    this.drivers.set(site.name, d);
    // The driver keeps the ports (no list per box here: a million homes, a million lists).
    for (const [port, link] of Object.entries(site.links)) d.attach(port, this.segment(link).attachReceiver(site.name, d, port, { isolated: site.kind === 'home' }));
    if (box.kind === 'radius-relay') this.carry(site, box, d);
    // The first kick waits for the clock, so that every box is attached before any frame
    // moves: one timer for all the boxes placed in this instant (a million homes, one timer).
    if (this.placed.push(d) === 1) this.clock.setTimer(this.clock.now(), this.kickPlaced);
  }

  private placed: Driver<string, unknown>[] = [];
  private readonly kickPlaced = (): void => {
    const ds = this.placed;
    this.placed = [];
    for (const d of ds) d.kick();
  };

  /** A relay box's datagrams go to the real server named in the topology, through the caller's carrier. */
  private carry(site: Site, relay: RadiusRelay, d: Driver<string, unknown>): void {
    const isp = site.isp === undefined ? undefined : this.topology.isps[site.isp]!;
    const real = isp ? isp.radius : this.topology.sse.carrierRadius;
    if (typeof real === 'string') return;
    if (!this.options.relay) throw new Error(`box ${site.name}: the topology names a real RADIUS server (${real.address}); that needs the wall clock and a UDP relay (pseudonet run --realtime)`);
    this.relays.set(site.name, this.options.relay((x, payload) => d.act((now) => relay.relayIn(x.from, x.fromPort, x.service, payload, now)), real));
  }

  private segment(name: string): Segment {
    let s = this.segments.get(name);
    if (!s) {
      const t = this.topology;
      s = new Segment(name, this.clock, { ...(t.links[name] ?? {}), seed: t.seed * 1000 + this.segments.size });
      this.segments.set(name, s);
      const sink = this.options.sinks?.capture?.(name);
      if (sink) s.tap(sink.writer, sink.interfaceId);
      else if (this.options.capture) {
        const w = new PcapngWriter();
        s.tap(w, w.addInterface(LinkType.ETHERNET, name));
        this.captures.set(name, w);
      }
    }
    return s;
  }

  /** The one event listener of every driver (a closure per box would cost ~300 bytes per home). */
  private readonly onBoxEvent = (event: unknown, at: number, box: Box<string, unknown>): void => this.boxEvent(box as AnyBox, event, at);

  private boxEvent(box: AnyBox, event: unknown, at: number): void {
    if (box.kind === 'radius-relay') return this.relays.get(box.name)?.send(event as RelayDatagram);
    if (box.kind === 'router') return;
    if (box.kind === 'home' && this.held.has(box.name) && (event as HomeEvent).type === 'pppoe-up') {
      // Held down: whatever made it dial, it hangs up at once.
      const home = box;
      this.clock.setTimer(this.clock.now(), () => this.act(home.name, (now) => home.padt(now, 'held down')));
    }
    this.emit({ box: box.name, at, kind: box.kind, event } as NetEvent);
  }

  /** Stops every driver and the relays' carriers. */
  close(): void {
    for (const d of this.drivers.values()) d.stop();
    for (const r of this.relays.values()) r.close();
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

  /**
   * A home hangs up (LCP Terminate-Request, then PADT; a PADT at once while it is still in
   * discovery) and stays down — should it dial again, it hangs up at once — until `homeUp`.
   */
  homeDown(name: string): void {
    const home = this.homes.find((h) => h.cfg.name === name);
    if (!home) throw new Error(`no home named "${name}"`);
    this.held.add(name);
    if (home.pppoeState === 'session') this.act(name, (now) => (home.isOnline ? home.disconnect(now) : home.padt(now, 'held down')));
  }

  /** A held-down home dials again (PPPoE discovery from PADI). */
  homeUp(name: string): void {
    const home = this.homes.find((h) => h.cfg.name === name);
    if (!home) throw new Error(`no home named "${name}"`);
    this.held.delete(name);
    if (home.pppoeState !== 'session' && home.pppoeState !== 'padi-sent' && home.pppoeState !== 'padr-sent') this.act(name, (now) => home.start(now));
  }

  /** Sets a link's impairments (replacing the ones it had; its PRNG goes on). */
  impair(link: string, impairments: Omit<Impairments, 'seed'>): void {
    const s = this.segments.get(link);
    if (!s) throw new Error(`no link named "${link}"`);
    s.impairments = { ...impairments, seed: s.impairments.seed ?? 1 };
  }

  /**
   * A box goes away: its driver stops (no timer, no input, nothing sent) and its ports leave
   * their links, as when its process dies. Its peers find out the way the protocols say.
   */
  stopBox(name: string): void {
    const d = this.drivers.get(name);
    if (!d) throw new Error(`no box named "${name}"`);
    if (this.stopped.has(name)) return;
    d.stop();
    for (const p of d.links()) p.detach();
    this.relays.get(name)?.close();
    this.relays.delete(name);
    // Like a process killed: what its spool had not committed is gone; a restart opens the file anew.
    this.spools.delete(name);
    this.stopped.add(name);
  }

  /** A stopped box comes back: built anew by the assembler (fresh state, as after a restart) and attached again. */
  startBox(name: string): void {
    if (!this.stopped.has(name)) return;
    const site = sites(this.topology).find((s) => s.name === name)!;
    const box = site.kind === 'home' ? this.homes.find((h) => h.cfg.name === name)! : build(this.topology, site, { now: this.clock.now(), accountingSpool: (n) => this.spool(n) });
    this.stopped.delete(name);
    if (box.kind === 'sse') this.sse = box;
    else if (box.kind === 'router') this.router = box.router;
    else if (box.kind === 'server') this.server = box.host;
    else if (site.isp !== undefined) {
      const old = this.isps[site.isp]!;
      this.isps[site.isp] = box.kind === 'nte' ? { ...old, nte: box } : { ...old, radiusBox: box.kind === 'radius' ? box : undefined };
    }
    this.place(site, box);
  }

  /** Runs `f` on a box and then moves its output (for commands from outside: start, ping...). */
  act(box: string, f: (now: number) => void): void {
    const d = this.drivers.get(box);
    if (d) d.act(f);
    else f(this.clock.now());
  }

  onEvent(f: (e: NetEvent) => void): void {
    this.listeners.push(f);
  }

  private emit(e: NetEvent): void {
    // Write-ahead: the accounting behind what this event reports reaches the disk first.
    for (const s of this.spools.values()) s.commit();
    const sinks = this.options.sinks;
    if (e.kind === 'radius' && e.event.type === 'accounting') {
      // The line is made only for whoever keeps it (it is made when first read).
      if (this.accounting.capacity > 0 || sinks?.accounting) {
        const line = e.event.line;
        this.accounting.push(line);
        sinks?.accounting?.(line);
      } else this.accounting.skip();
    }
    this.events.push(e);
    sinks?.events?.(e);
    for (const l of this.listeners) l(e);
  }
}
