/**
 * One `pseudonet up` box (a `BoxProcess` or the home emulator) as the HTTP API's target
 * (src/config/api-types.ts): its views, the ladders of the homes whose frames cross it,
 * the exporter, and the actions it can do (a home's down/up, an LNS's Disconnect-Request
 * from its embedded RADIUS). Actions on other boxes or on real links are refused with 409.
 *
 * Made before the box, because the box's first frames go out while it is being built:
 * pass `tap` and `event` to the box's options, then `attach(box)`.
 */
import { ApiError, apiIpv6, type ApiEvent, type ApiSession, type ApiTopology, type Impairments } from '../config/api-types.js';
import { FrameObserver, type LadderView } from '../config/observe.js';
import { Exporter, byState } from '../config/metrics.js';
import { sites, homeMac } from '../config/assemble.js';
import type { Topology } from '../config/topology.js';
import { ipv4ToString, macToString } from '../wire/bytes.js';
import { BoxProcess, type BoxEvent, type RunningBox } from './box.js';
import { HomesBox } from './homes.js';

type Row = Record<string, unknown>;

export class BoxApi {
  readonly observer: FrameObserver;
  readonly exporter: Exporter;
  private box: RunningBox | undefined;
  private readonly listeners = new Set<(e: ApiEvent) => void>();
  private readonly macOwner = new Map<string, string>();
  private readonly homeByUser: Map<string, string>;
  private readonly homeByMac = new Map<string, string>();
  private readonly since = new Map<string, number>();
  private readonly isHome: boolean;
  private homeMacKnown = false;

  constructor(readonly topology: Topology, readonly name: string) {
    for (const s of sites(topology)) for (const m of Object.values(s.macs)) this.macOwner.set(macToString(m), s.name);
    topology.homes.forEach((h, k) => this.homeByMac.set(macToString(homeMac(k + 1)), h.name));
    this.homeByUser = new Map(topology.homes.map((h) => [h.user, h.name]));
    this.isHome = topology.homes.some((h) => h.name === name);
    this.exporter = new Exporter({
      boxCounters: () => this.boxCounters(),
      sessionsByState: () => this.sessionsByState(),
      tunnelsByState: () => byState(this.name, this.box?.show('tunnels')),
    });
    this.observer = new FrameObserver(topology, {
      onSetup: (_h, s) => this.exporter.observeSetup(s),
      onRadiusRtt: (server, s) => this.exporter.observeRadiusRtt(server, s),
    });
  }

  /** The box's frame tap: every frame crossing it goes to the ladders. */
  readonly tap = (port: string, frame: Uint8Array, dir: 'in' | 'out', at: number): void => {
    if (frame.length < 12) return;
    // A home box sends with its interface's MAC: the first frame it sends says which.
    if (this.isHome && !this.homeMacKnown && dir === 'out') {
      this.homeMacKnown = true;
      this.observer.setHomeMac(this.name, macToString(frame.subarray(6, 12)));
    }
    const peerMac = macToString(frame.subarray(dir === 'in' ? 6 : 0, dir === 'in' ? 12 : 6));
    // The emulator's side of a frame is the home its MAC names.
    const self = this.name === 'homes' ? (this.homeByMac.get(macToString(frame.subarray(dir === 'in' ? 0 : 6, dir === 'in' ? 6 : 12))) ?? 'homes') : this.name;
    const peer = (frame[dir === 'in' ? 6 : 0]! & 1) ? (port === 'access' && this.name !== this.topology.sse.name ? this.topology.sse.name : 'broadcast') : (this.macOwner.get(peerMac) ?? (port === 'access' && this.name !== this.topology.sse.name ? this.topology.sse.name : peerMac));
    if (dir === 'in') this.observer.frame(port, frame, peer, self, at);
    else this.observer.frame(port, frame, self, peer, at);
  };

  /** The box's event callback. */
  readonly event = (e: BoxEvent): void => {
    const ev = e.event as { type?: string };
    const home = e.kind === 'home' ? (this.name === 'homes' ? e.box : this.name) : undefined;
    if (home && ev.type === 'online') {
      this.observer.online(home, e.at);
      this.since.set(home, e.at);
    }
    if (home && (ev.type === 'offline' || ev.type === 'discovery-failed' || ev.type === 'auth-failed')) {
      this.observer.offline(home);
      this.since.delete(home);
    }
    const out: ApiEvent = { box: e.box, at: e.at, kind: e.kind, event: e.event };
    for (const l of this.listeners) l(out);
  };

  attach(box: RunningBox): void {
    this.box = box;
  }

  private get running(): RunningBox {
    if (!this.box) throw new ApiError(503, 'box: not running yet');
    return this.box;
  }

  private *boxCounters(): Iterable<{ box: string; counters: unknown }> {
    const b = this.box;
    if (!b) return;
    yield { box: b.name, counters: b.show('counters') };
    if (b instanceof BoxProcess && b.radius) yield { box: b.radius.name, counters: b.radius.show('counters', b.clock.now()) };
  }

  private *sessionsByState(): Iterable<{ box: string; state: string; value: number }> {
    const b = this.box;
    if (!b) return;
    if (b instanceof BoxProcess && b.box.kind === 'sse') yield* Object.entries(b.box.sessionsByState()).map(([state, value]) => ({ box: b.name, state, value }));
    else yield* byState(b.name, this.sessions());
  }

  sessions(): ApiSession[] {
    const b = this.running;
    const row = (o: Partial<ApiSession> & { home: string; user: string; state: string }): ApiSession => ({ ip: null, lns: null, pppoeSessionId: null, tunnelId: null, sessionId: null, since: null, octetsIn: null, octetsOut: null, ipv6: null, ...o });
    const since = (home: string): string | null => {
      const at = this.since.get(home);
      return at === undefined ? null : new Date(at).toISOString();
    };
    if (b instanceof HomesBox) {
      return b.members.map((m) => {
        const on = m.home.isOnline;
        return row({ home: m.name, user: m.home.cfg.user, state: on ? 'online' : b.held.has(m.name) ? 'down' : m.home.pppoeState, ip: on ? ipv4ToString(m.home.address) : null, pppoeSessionId: m.home.pppoeState === 'session' ? m.home.sessionId : null, since: on ? since(m.name) : null, ipv6: on && m.home.ipv6?.isUp ? apiIpv6(m.home.ipv6.showSession()) : null });
      });
    }
    if (!(b instanceof BoxProcess)) return [];
    const box = b.box;
    if (box.kind === 'home') {
      const on = box.isOnline;
      return [row({ home: b.name, user: box.cfg.user, state: on ? 'online' : b.held ? 'down' : box.pppoeState, ip: on ? ipv4ToString(box.address) : null, pppoeSessionId: box.pppoeState === 'session' ? box.sessionId : null, since: on ? since(b.name) : null, ipv6: on && box.ipv6?.isUp ? apiIpv6(box.ipv6.showSession()) : null })];
    }
    if (box.kind === 'sse') {
      return box.relaying().map((r) => row({ home: this.homeByMac.get(r.mac) ?? r.mac, user: r.user, state: 'online', lns: r.lns, pppoeSessionId: r.pppoeSessionId, tunnelId: r.peerTunnelId, sessionId: r.peerSessionId, since: new Date(r.since).toISOString() }));
    }
    if (box.kind === 'nte') {
      const now = b.clock.now();
      const octets = new Map<string, { rx: number; tx: number }>();
      for (const i of ((box.show('interfaces', now) as { router?: { peer?: string; rxBytes: number; txBytes: number }[] } | undefined)?.router ?? [])) if (i.peer) octets.set(i.peer, { rx: i.rxBytes, tx: i.txBytes });
      return ((box.show('sessions', now) as Row[] | undefined) ?? []).map((s) => {
        const user = String(s.user ?? '');
        const ip = typeof s.address === 'string' ? s.address : null;
        const o = ip ? octets.get(ip) : undefined;
        return row({ home: this.homeByUser.get(user) ?? user, user, state: s.state === 'up' ? 'online' : String(s.state), ip, lns: b.name, tunnelId: Number(s.tunnelId), sessionId: Number(s.sessionId), octetsIn: o?.rx ?? null, octetsOut: o?.tx ?? null, ipv6: apiIpv6(s.ipv6) });
      });
    }
    return [];
  }

  tunnels(): unknown {
    return this.running.show('tunnels') ?? [];
  }

  routes(): unknown {
    return this.running.show('routes') ?? [];
  }

  arp(): unknown {
    return this.running.show('arp') ?? [];
  }

  counters(): unknown {
    return Object.fromEntries([...this.boxCounters()].map((x) => [x.box, x.counters]));
  }

  boxes(): ApiTopology {
    const b = this.running;
    const here = new Set([b.name, ...(b instanceof BoxProcess && b.radius ? [b.radius.name] : [])]);
    const all = sites(this.topology);
    const boxes = all
      .filter((s) => b.name !== 'homes' || s.kind !== 'home')
      .map((s) => ({ name: s.name, kind: s.kind, state: here.has(s.name) ? 'running' : 'elsewhere', ports: { ...s.links }, sessions: here.has(s.name) && s.name === b.name ? this.sessions().filter((x) => x.state === 'online').length : 0 }));
    if (b.name === 'homes') boxes.push({ name: 'homes', kind: 'homes', state: 'running', ports: { access: 'access' }, sessions: this.sessions().filter((x) => x.state === 'online').length });
    const links = [...new Set(all.flatMap((s) => Object.values(s.links)))].map((name) => ({ name, impairments: {}, counters: null }));
    return { name: this.topology.name, scope: 'box', boxes, links };
  }

  sequence(home: string, after: number): LadderView | undefined {
    return this.observer.ladder(home, after);
  }

  onEvent(f: (e: ApiEvent) => void): () => void {
    this.listeners.add(f);
    return () => this.listeners.delete(f);
  }

  private call(field: string, f: (() => void) | undefined, what: string): void {
    if (!f) throw new ApiError(409, `${field}: box ${this.name} (a ${this.running.kind}) cannot ${what}`, field);
    try {
      f();
    } catch (e) {
      throw new ApiError(/no home named/.test((e as Error).message) ? 404 : 409, `${field}: ${(e as Error).message}`, field);
    }
  }

  homeDown(home: string): void {
    const b = this.running;
    this.call('home', b.homeDown ? () => b.homeDown!(home) : undefined, 'hang a home up');
  }

  homeUp(home: string): void {
    const b = this.running;
    this.call('home', b.homeUp ? () => b.homeUp!(home) : undefined, 'dial a home');
  }

  impair(link: string, _imp: Impairments): void {
    throw new ApiError(409, `link: ${link} is a real link here (pseudonet up); impair it with tc netem on its interface`, 'link');
  }

  boxStop(box: string): void {
    throw new ApiError(409, `box: pseudonet up runs one box per process; stop ${box} by signalling its process (SIGTERM)`, 'box');
  }

  boxStart(box: string): void {
    throw new ApiError(409, `box: pseudonet up runs one box per process; start ${box} with pseudonet up --box ${box}`, 'box');
  }

  disconnect(home: string): void {
    const b = this.running;
    const h = this.topology.homes.find((x) => x.name === home);
    if (!h) throw new ApiError(404, `home: no home named "${home}" in the topology`, 'home');
    this.call('home', b instanceof BoxProcess && b.radius ? () => b.disconnectRequest(h.user) : undefined, "send a Disconnect-Request (only an LNS box with its ISP's embedded RADIUS can)");
  }

  metrics(): Promise<string> {
    return this.exporter.metrics();
  }
}
