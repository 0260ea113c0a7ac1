/**
 * The one assembler: any box of a topology, built with its addresses, MACs and derived
 * configuration (src/config/derive.ts). The in-process network builds every box with it,
 * `pseudonet up --box NAME` one, the home emulator its homes — so all three run the same
 * boxes. `sites()` says where each box is: the link each of its ports is on (the in-memory
 * switch's segment names, which are the topology's `links` keys) and the real interfaces
 * the topology names for it.
 */
import { ipv4FromString, ipv4ToString } from '../wire/bytes.js';
import { pppoeClientConfig, type PppoeClientConfig } from '../proto/pppoe-client.js';
import { labMac } from '../roles/framing.js';
import type { Box, BoxKind } from '../roles/box.js';
import { Home, type RedialConfig } from '../roles/home.js';
import type { HomeIpv6Options } from '../roles/home-ipv6.js';
import { mulberry32 } from '../proto/seeded.js';
import { Sse } from '../roles/sse.js';
import { Nte } from '../roles/nte.js';
import { RouterBox } from '../roles/router-box.js';
import { ServerBox } from '../roles/server.js';
import { RadiusBox } from '../roles/radius-box.js';
import { RadiusRelay } from '../roles/radius-relay.js';
import type { Counters } from '../proto/ppp-common.js';
import type { AccountingJournal, AccountingSpool } from '../proto/radius-client.js';
import { ipv6FromString } from '../wire/ipv6.js';
import { LINK_PREFIX, LINK_PREFIX6, addPoolRoutes, carrierRadiusConfig, ispPlan, ispRadiusConfig, nteConfig, sseConfig } from './derive.js';
import { REDIAL_DEFAULTS, type Redial, type Topology } from './topology.js';

/** Role numbers in lab MACs (02:RR:II:II:II:II). */
export const MAC_ROLE = { home: 0x10, sseAccess: 0x20, sseCarrier: 0x21, nteCarrier: 0x30, nteRadius: 0x31, nteCore: 0x32, radius: 0x40, router: 0x50, server: 0x60 } as const;

/** The name of the carrier's RADIUS box (with `sse.lnsLookup: radius`). */
export const CARRIER_RADIUS_BOX = 'carrier-radius';

/** The ports of each kind of box a topology names. */
export const BOX_PORTS = {
  home: ['access'],
  sse: ['access', 'carrier'], // and access-N with sse.accessPorts
  nte: ['carrier', 'radius', 'core'],
  router: ['core', 'server'],
  server: ['server'],
  radius: ['radius'],
} as const satisfies Partial<Record<BoxKind, readonly string[]>>;

/** Any box of a topology: narrow by `kind`; drive it as a `Box` as it is. */
export type AnyBox = (Home | Sse | Nte | RouterBox | ServerBox | RadiusBox | RadiusRelay) & Box<string, unknown>;

/** Where a box is: its kind, the link each port is on, the real interfaces the topology gives it. */
export interface Site {
  readonly name: string;
  readonly kind: BoxKind;
  /** Port → link (segment) name. */
  readonly links: Readonly<Record<string, string>>;
  /** Port → MAC (the lab MAC the in-process network uses). */
  readonly macs: Readonly<Record<string, Uint8Array>>;
  /** Port → Linux interface name, as far as the topology says. */
  readonly interfaces: Readonly<Record<string, string>>;
  /** Index of the ISP (nte and ISP RADIUS) or of the home (1-based). */
  readonly isp?: number;
  readonly home?: number;
}

/** The MAC of home `index` (1-based): 02:10:II:II:II:II, the same in process and in the home emulator. */
export function homeMac(index: number): Uint8Array {
  return labMac(MAC_ROLE.home, index);
}

/** Every box of the topology, in build order (the sse first, homes last). */
export function sites(t: Topology): Site[] {
  const out: Site[] = [];
  // One MAC on every access port, as a BNG has on its VLANs: each port is its own broadcast domain.
  const sseAccessMac = labMac(MAC_ROLE.sseAccess, 1);
  const access = t.sse.accessPorts;
  out.push({
    name: t.sse.name,
    kind: 'sse',
    links: { ...Object.fromEntries(access.map((p) => [p, p])), carrier: 'carrier' },
    macs: { ...Object.fromEntries(access.map((p) => [p, sseAccessMac])), carrier: labMac(MAC_ROLE.sseCarrier, 1) },
    interfaces: t.sse.interfaces ?? {},
  });
  if (t.sse.lnsLookup === 'radius') out.push({ name: CARRIER_RADIUS_BOX, kind: t.sse.carrierRadius === 'embedded' ? 'radius' : 'radius-relay', links: { carrier: 'carrier' }, macs: { carrier: labMac(MAC_ROLE.radius, 0xff) }, interfaces: {} });
  out.push({ name: t.router.name, kind: 'router', links: { core: 'core', server: 'server' }, macs: { core: labMac(MAC_ROLE.router, 1), server: labMac(MAC_ROLE.router, 2) }, interfaces: t.router.interfaces ?? {} });
  out.push({ name: t.server.name, kind: 'server', links: { server: 'server' }, macs: { server: labMac(MAC_ROLE.server, 1) }, interfaces: t.server.interfaces ?? {} });
  t.isps.forEach((isp, i) => {
    const radiusLink = `radius-${isp.name}`;
    out.push({ name: isp.lns.name, kind: 'nte', links: { carrier: 'carrier', radius: radiusLink, core: 'core' }, macs: { carrier: labMac(MAC_ROLE.nteCarrier, i + 1), radius: labMac(MAC_ROLE.nteRadius, i + 1), core: labMac(MAC_ROLE.nteCore, i + 1) }, interfaces: isp.lns.interfaces ?? {}, isp: i });
    out.push({ name: `${isp.name}-radius`, kind: isp.radius === 'embedded' ? 'radius' : 'radius-relay', links: { radius: radiusLink }, macs: { radius: labMac(MAC_ROLE.radius, i + 1) }, interfaces: {}, isp: i });
  });
  t.homes.forEach((h, k) => out.push({ name: h.name, kind: 'home', links: { access: h.access ?? access[0]! }, macs: { access: homeMac(k + 1) }, interfaces: h.interfaces ?? {}, home: k + 1 }));
  return out;
}

/** The site of box `name`; a clear error naming the boxes there are when there is none. */
export function locate(t: Topology, name: string): Site {
  const all = sites(t);
  const s = all.find((x) => x.name === name);
  if (!s) throw new Error(`no box named "${name}" in the topology (boxes: ${all.map((x) => x.name).join(', ')})`);
  for (const p of Object.keys(s.interfaces)) if (!(p in s.links)) throw new Error(`box ${name}: no port "${p}" on a ${s.kind} (ports: ${Object.keys(s.links).join(', ')})`);
  return s;
}

export interface AssembleOptions {
  readonly now: number;
  /** A port's MAC when it is not the lab MAC (a real interface's own). */
  readonly mac?: (port: string) => Uint8Array | undefined;
  /**
   * How an LNS reaches an ISP's real RADIUS server: `relay` (in process: a relay box at the
   * in-network address, default) or `direct` (one box per process: the server's own address and ports).
   */
  readonly externalRadius?: 'relay' | 'direct';
  /** Home LCP Echo-Request interval (ms); default pppd's 30 s. */
  readonly homeEchoIntervalMs?: number;
  /** Counters shared by many homes (the load generator, the home emulator). */
  readonly homeCounters?: Counters;
  readonly pppoe?: PppoeClientConfig;
  /** An LNS's write-ahead accounting spool (src/io/radius-spool.ts `FileSpool`): its journal and its overflow. */
  readonly accountingSpool?: (box: string) => (AccountingJournal & AccountingSpool) | undefined;
}

/** Builds box `name` of topology `t`. */
export function assemble(t: Topology, name: string, o: AssembleOptions): AnyBox {
  return build(t, locate(t, name), o);
}

/** Builds a box from its site. */
export function build(t: Topology, site: Site, o: AssembleOptions): AnyBox {
  const mac = (port: string): Uint8Array => o.mac?.(port) ?? site.macs[port]!;
  const now = o.now;
  switch (site.kind) {
    case 'sse':
      return new Sse(sseConfig(t, { access: mac(t.sse.accessPorts[0]!), carrier: mac('carrier') }), now);
    case 'router': {
      const v6 = (a: string | undefined): { address6?: Uint8Array; prefixLength6?: number } => (a === undefined ? {} : { address6: ipv6FromString(a), prefixLength6: LINK_PREFIX6 });
      const r = new RouterBox(site.name, { core: { mac: mac('core'), address: ipv4FromString(t.router.ispSide), prefixLength: LINK_PREFIX, ...v6(t.router.ispSide6) }, server: { mac: mac('server'), address: ipv4FromString(t.router.serverSide), prefixLength: t.server.prefix, ...v6(t.router.serverSide6) } }, now);
      addPoolRoutes(r.router, t);
      return r;
    }
    case 'server':
      const v6 = t.server.address6 === undefined ? {} : { address6: ipv6FromString(t.server.address6), prefixLength6: LINK_PREFIX6, ...(t.router.serverSide6 ? { gateway6: ipv6FromString(t.router.serverSide6) } : {}) };
      return new ServerBox({ name: site.name, mac: mac('server'), address: ipv4FromString(t.server.address), prefixLength: t.server.prefix, gateway: ipv4FromString(t.server.gateway), udpEchoPorts: [7], ...v6 }, now);
    case 'nte': {
      const i = site.isp!;
      const isp = t.isps[i]!;
      const external = typeof isp.radius === 'string' ? undefined : isp.radius;
      const radius = external && o.externalRadius === 'direct' ? { address: external.address, authPort: external.authPort, acctPort: external.acctPort } : { address: ipv4ToString(ispPlan(t, i).radiusServer) };
      const cfg = nteConfig(t, i, { carrier: mac('carrier'), radius: mac('radius'), core: mac('core') }, radius);
      const spool = o.accountingSpool?.(site.name);
      return new Nte(spool ? { ...cfg, radius: { ...cfg.radius, spool, journal: spool } } : cfg, now);
    }
    case 'radius':
    case 'radius-relay': {
      const carrier = site.isp === undefined;
      const port = carrier ? 'carrier' : 'radius';
      const address = carrier ? ipv4FromString(t.sse.carrierRadiusAddress) : ispPlan(t, site.isp!).radiusServer;
      if (site.kind === 'radius-relay') return new RadiusRelay(site.name, port, mac(port), address, now);
      return new RadiusBox(site.name, port, mac(port), address, carrier ? carrierRadiusConfig(t) : ispRadiusConfig(t, site.isp!), now);
    }
    case 'home': {
      const h = t.homes[site.home! - 1]!;
      return assembleHome(t, { name: h.name, user: h.user, password: h.password, auth: h.auth, redial: h.redial, ipv6: h.ipv6 }, mac('access'), o);
    }
    default:
      throw new Error(`box ${site.name}: a ${site.kind} is not built from a topology`);
  }
}

/** A home of `t` (or a generated one) with MAC `mac`; `redial` absent = the topology default (on). */
export function assembleHome(t: Topology, h: { name: string; user: string; password: string; auth: 'chap' | 'pap'; redial?: Redial; ipv6?: boolean }, mac: Uint8Array, o: Omit<AssembleOptions, 'now' | 'mac'>): Home {
  const redial = redialConfig(h.redial ?? { ...REDIAL_DEFAULTS }, t.seed, mac);
  const ipv6 = homeIpv6Config(t, h, mac);
  // One literal with every field (absent ones undefined): in-object properties, no property array per home.
  return new Home({ name: h.name, user: h.user, password: h.password, auth: h.auth, mru: t.sse.mru, echoIntervalMs: o.homeEchoIntervalMs ?? 30_000, redial, ipv6 }, mac, o.pppoe ?? pppoeClientConfig({}), o.homeCounters ?? {});
}

/**
 * Dual stack when the home's `ipv6` is on (the default) and its user's ISP has `ipv6`; the
 * source of its IPv6 randomness (interface identifier, RS delay, DHCPv6 RAND and transaction
 * ids) seeded by the topology seed and the MAC, apart from the redial jitter's.
 */
export function homeIpv6Config(t: Topology, h: { user: string; ipv6?: boolean }, mac: Uint8Array): HomeIpv6Options | undefined {
  if (h.ipv6 === false) return undefined;
  const isp = t.isps.find((i) => h.user.endsWith(`@${i.domain}`));
  if (!isp?.ipv6) return undefined;
  const low = ((mac[2]! << 24) | (mac[3]! << 16) | (mac[4]! << 8) | mac[5]!) >>> 0;
  return new SeededIpv6Options((Math.imul(t.seed ^ 0x6a09e667, 0x85ebca6b) ^ low) >>> 0, isp.ipv6.pdLength);
}

/**
 * A seeded source made on its first draw (a home's first dial): the same sequence as one made
 * with the home, and a home that never dials holds only the seed.
 */
class LazySeeded {
  #seed: number;
  #random: (() => number) | undefined = undefined;

  constructor(seed: number) {
    // As a signed 32-bit value: a small integer in the field, where an unsigned one above 2^31
    // would be a boxed number a home (mulberry32 takes the same 32 bits either way).
    this.#seed = seed | 0;
  }

  get random(): () => number {
    return (this.#random ??= mulberry32(this.#seed));
  }
}

/** A home's IPv6 options, its source seeded lazily (LazySeeded). */
class SeededIpv6Options extends LazySeeded implements HomeIpv6Options {
  constructor(seed: number, readonly prefixLengthHint: number | undefined) {
    super(seed);
  }
}

/** pppd's persist settings of one home, its jitter source made on the first redial (as above: same sequence, only a seed until then). */
class SeededRedial extends LazySeeded implements RedialConfig {
  constructor(readonly holdoffMs: number, readonly maxHoldoffMs: number, readonly maxfail: number, seed: number) {
    super(seed);
  }
}

/** Topology seconds → the home's ms; the jitter source is seeded by the topology seed and the home's MAC (same home, same waits). */
export function redialConfig(r: Redial, seed: number, mac: Uint8Array): RedialConfig | undefined {
  if (r === false) return undefined;
  const low = ((mac[2]! << 24) | (mac[3]! << 16) | (mac[4]! << 8) | mac[5]!) >>> 0;
  return new SeededRedial(r.holdoff * 1000, r.maxHoldoff * 1000, r.maxfail, (Math.imul(seed, 0x9e3779b1) ^ low) >>> 0);
}
