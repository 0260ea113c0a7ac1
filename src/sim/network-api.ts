/**
 * The in-process network as the HTTP API's target (src/config/api-types.ts): the views of
 * every box, each home's ladder across every link (src/config/observe.ts), the exporter with
 * its setup and RADIUS histograms, and the actions (home down/up, link impairments, box
 * stop/start, Disconnect-Request). Built right after the network, before any frame moves,
 * so that the ladders and histograms see everything.
 */
import { ApiError, apiIpv6, type ApiBox, type ApiEvent, type ApiSession, type ApiTopology, type Impairments } from '../config/api-types.js';
import { FrameObserver, type LadderView } from '../config/observe.js';
import { Exporter } from '../config/metrics.js';
import { sites } from '../config/assemble.js';
import { ipv4ToString, macToString } from '../wire/bytes.js';
import type { Network, NetEvent } from './network.js';
import { networkMetricsSource } from './metrics.js';

export class NetworkApi {
  readonly observer: FrameObserver;
  readonly exporter: Exporter;
  private readonly listeners = new Set<(e: ApiEvent) => void>();
  private readonly since = new Map<string, number>();

  constructor(readonly net: Network, opts: { ladderCap?: number } = {}) {
    this.exporter = new Exporter(networkMetricsSource(net));
    this.observer = new FrameObserver(net.topology, {
      ...(opts.ladderCap !== undefined ? { cap: opts.ladderCap } : {}),
      onSetup: (_home, s) => this.exporter.observeSetup(s),
      onRadiusRtt: (server, s) => this.exporter.observeRadiusRtt(server, s),
    });
    const sse = net.topology.sse.name;
    const access = new Set(net.topology.sse.accessPorts);
    for (const [name, s] of net.segments) {
      s.observe((frame, from, at) => {
        const to = frame.length >= 6 ? (net.macOwner.get(macToString(frame.subarray(0, 6))) ?? (access.has(name) ? sse : 'broadcast')) : 'broadcast';
        this.observer.frame(name, frame, from, to, at);
      });
    }
    net.onEvent((e) => this.event(e));
  }

  private event(e: NetEvent): void {
    if (e.kind === 'home') {
      if (e.event.type === 'online') {
        this.observer.online(e.box, e.at);
        this.since.set(e.box, e.at);
      }
      if (e.event.type === 'offline' || e.event.type === 'discovery-failed' || e.event.type === 'auth-failed') {
        this.observer.offline(e.box);
        this.since.delete(e.box);
      }
    }
    const out: ApiEvent = { box: e.box, at: e.at, kind: e.kind, event: e.event };
    for (const l of this.listeners) l(out);
  }

  sessions(): ApiSession[] {
    const net = this.net;
    const now = net.clock.now();
    const relaying = new Map(net.sse.relaying().map((r) => [r.user, r]));
    const lnsSessions = new Map<string, { lns: string; tunnelId: number; sessionId: number; address?: string; ipv6?: unknown }>();
    const octets = new Map<string, { rx: number; tx: number }>();
    for (const b of net.isps) {
      if (net.stopped.has(b.isp.lns.name)) continue;
      for (const s of (b.nte.show('sessions', now) as { user: string; tunnelId: number; sessionId: number; address?: string; ipv6?: unknown }[]) ?? []) lnsSessions.set(s.user, { lns: b.isp.lns.name, ...s });
      const ifs = (b.nte.show('interfaces', now) as { router?: { peer?: string; rxBytes: number; txBytes: number }[] } | undefined)?.router ?? [];
      for (const i of ifs) if (i.peer) octets.set(i.peer, { rx: i.rxBytes, tx: i.txBytes });
    }
    return net.homes.map((h) => {
      const name = h.cfg.name;
      const user = h.cfg.user;
      const l = lnsSessions.get(user);
      const r = relaying.get(user);
      const online = h.isOnline && !net.stopped.has(name);
      const ip = online ? (l?.address ?? null) : null;
      const o = ip ? octets.get(ip) : undefined;
      const at = this.since.get(name);
      return {
        home: name,
        user,
        state: online ? 'online' : net.held.has(name) ? 'down' : net.stopped.has(name) ? 'stopped' : h.pppoeState,
        ip: online && h.address ? ipv4ToString(h.address) : null,
        lns: l?.lns ?? r?.lns ?? null,
        pppoeSessionId: h.pppoeState === 'session' ? h.sessionId : null,
        tunnelId: l?.tunnelId ?? null,
        sessionId: l?.sessionId ?? null,
        since: online && at !== undefined ? new Date(at).toISOString() : null,
        octetsIn: o?.rx ?? null,
        octetsOut: o?.tx ?? null,
        // The home's own view (its SLAAC address), the LNS's where the home has none to give.
        ipv6: online ? (apiIpv6(h.ipv6?.isUp ? h.ipv6.showSession() : undefined) ?? apiIpv6(l?.ipv6)) : null,
      };
    });
  }

  private perBox(view: 'tunnels' | 'routes' | 'arp' | 'counters'): Record<string, unknown> {
    const now = this.net.clock.now();
    const out: Record<string, unknown> = {};
    for (const [name, d] of this.net.drivers) {
      if (this.net.stopped.has(name)) continue;
      const v = d.box.show(view, now);
      if (v !== undefined && !(Array.isArray(v) && v.length === 0)) out[name] = v;
    }
    return out;
  }

  tunnels(): unknown {
    return Object.entries(this.perBox('tunnels')).flatMap(([box, list]) => (list as object[]).map((t) => ({ box, ...t })));
  }

  routes(): unknown {
    return this.perBox('routes');
  }

  arp(): unknown {
    return this.perBox('arp');
  }

  counters(): unknown {
    return { ...this.perBox('counters'), homes: { home: this.net.homeCounters }, links: Object.fromEntries([...this.net.segments].map(([n, s]) => [n, s.counters])) };
  }

  boxes(): ApiTopology {
    const net = this.net;
    const now = net.clock.now();
    const boxes: ApiBox[] = sites(net.topology).map((site) => {
      const d = net.drivers.get(site.name);
      const stopped = net.stopped.has(site.name);
      let state = stopped ? 'stopped' : 'running';
      let sessions = 0;
      if (!stopped && d) {
        const b = d.box as { kind: string };
        if (site.kind === 'home') {
          const h = net.homes.find((x) => x.cfg.name === site.name)!;
          state = h.isOnline ? 'online' : net.held.has(site.name) ? 'down' : 'offline';
          sessions = h.isOnline ? 1 : 0;
        } else if (b.kind === 'sse') sessions = net.sse.relaying().length;
        else if (b.kind === 'nte') sessions = ((d.box.show('sessions', now) as unknown[]) ?? []).length;
      }
      return { name: site.name, kind: site.kind, state, ports: { ...site.links }, sessions };
    });
    const links = [...net.segments].map(([name, s]) => {
      const { seed: _seed, ...imp } = s.impairments;
      return { name, impairments: imp as Record<string, number>, counters: { ...s.counters } };
    });
    return { name: net.topology.name, scope: 'network', boxes, links };
  }

  sequence(home: string, after: number): LadderView | undefined {
    return this.observer.ladder(home, after);
  }

  onEvent(f: (e: ApiEvent) => void): () => void {
    this.listeners.add(f);
    return () => this.listeners.delete(f);
  }

  private home(name: string): void {
    if (!this.net.homes.some((h) => h.cfg.name === name)) throw new ApiError(404, `home: no home named "${name}" (homes: ${this.net.homes.map((h) => h.cfg.name).join(', ')})`, 'home');
  }

  homeDown(home: string): void {
    this.home(home);
    this.net.homeDown(home);
  }

  homeUp(home: string): void {
    this.home(home);
    if (this.net.stopped.has(home)) throw new ApiError(409, `home: ${home} is stopped (POST /api/boxes/${home}/start)`, 'home');
    this.net.homeUp(home);
  }

  impair(link: string, imp: Impairments): void {
    if (!this.net.segments.has(link)) throw new ApiError(404, `link: no link named "${link}" (links: ${[...this.net.segments.keys()].join(', ')})`, 'link');
    this.net.impair(link, imp);
  }

  private box(name: string): void {
    if (!this.net.drivers.has(name)) throw new ApiError(404, `box: no box named "${name}" (boxes: ${[...this.net.drivers.keys()].join(', ')})`, 'box');
    if (this.net.homes.some((h) => h.cfg.name === name)) throw new ApiError(409, `box: ${name} is a home: POST /api/homes/${name}/down or /up`, 'box');
  }

  boxStop(box: string): void {
    this.box(box);
    this.net.stopBox(box);
  }

  boxStart(box: string): void {
    this.box(box);
    this.net.startBox(box);
  }

  disconnect(home: string): void {
    this.home(home);
    const h = this.net.homes.find((x) => x.cfg.name === home)!;
    const isp = this.net.topology.isps.find((x) => h.cfg.user.endsWith(`@${x.domain}`));
    if (!isp) throw new ApiError(409, `home: ${home}'s user ${h.cfg.user} is in no ISP's domain`, 'home');
    if (isp.radius !== 'embedded') throw new ApiError(409, `home: ${isp.name} uses a real RADIUS server; send the Disconnect-Request from it (radclient ... disconnect)`, 'home');
    if (this.net.stopped.has(`${isp.name}-radius`)) throw new ApiError(409, `home: ${isp.name}-radius is stopped`, 'home');
    this.net.disconnectRequest(isp.name, h.cfg.user);
  }

  metrics(): Promise<string> {
    return this.exporter.metrics();
  }
}

