/**
 * What a topology means for each box: addresses the topology leaves implicit and the role
 * configurations. One place, used by the in-process network (src/sim/network.ts) and by
 * one-box-per-process runs (src/io/box.ts), so both build the same boxes.
 */
import { ipv4FromString, ipv4ToString, textBytes } from '../wire/bytes.js';
import { L2TP_PORT } from '../wire/l2tp.js';
import { radiusServerConfigSchema, type RadiusServerConfig } from '../roles/radius-server-config.js';
import { parseCidr, prefixMask } from '../wire/ipv4.js';
import { pppoeAcConfig } from '../proto/pppoe-ac.js';
import type { Topology } from './topology.js';
import type { SseConfig, LnsEntry } from '../roles/sse.js';
import type { NteConfig } from '../roles/nte.js';
import type { Router } from '../roles/router.js';
import { ipv6PrefixFromString } from '../proto/prefix-pool6.js';
import { ipv6FromString } from '../wire/ipv6.js';

/** Shared secret between the sse and an embedded carrier RADIUS. */
export const CARRIER_RADIUS_SECRET = 'carrier-radius';
/** Prefix length of the carrier, RADIUS and core links. */
export const LINK_PREFIX = 24;
/** Prefix length of the IPv6 core and server links. */
export const LINK_PREFIX6 = 64;

/** `a` + `n` as 128-bit numbers (an address `n` further on its prefix). */
export function ipv6Add(a: Uint8Array, n: number): Uint8Array {
  const out = new Uint8Array(a);
  let carry = n;
  for (let i = 15; i >= 0 && carry > 0; i--) {
    const v = out[i]! + (carry & 0xff);
    out[i] = v & 0xff;
    carry = Math.floor(carry / 256) + (v >> 8);
  }
  return out;
}

/** An IPv6 prefix's text ("2001:db8::/32") as bytes and length. */
export function parseCidr6(s: string): { prefix: Uint8Array; length: number } {
  const i = s.lastIndexOf('/');
  return { prefix: ipv6FromString(s.slice(0, i)), length: Number(s.slice(i + 1)) };
}

export interface IspPlan {
  /** The pool's network and prefix length. */
  readonly net: number;
  readonly prefixLength: number;
  /** Addresses handed to subscribers: [first, last] (the gateway and broadcast left out). */
  readonly pool: readonly [number, number];
  readonly gateway: number;
  /** The LNS on the carrier link, on its RADIUS link, on the core link; the RADIUS server. */
  readonly carrier: number;
  readonly radiusNte: number;
  readonly radiusServer: number;
  readonly core: number;
  /** The LNS on the IPv6 core /64 (router.ispSide6 + 1 + i), when the router has `ispSide6`. */
  readonly core6: Uint8Array | undefined;
  readonly radiusSecret: string;
}

/** The addresses of ISP `i`: LNS core = router ispSide + 1 + i, RADIUS link 172.16.i.0/24 (.1 LNS, .2 server). */
export function ispPlan(t: Topology, i: number): IspPlan {
  const isp = t.isps[i]!;
  const [poolNet, prefixLength] = parseCidr(isp.pool);
  const net = (poolNet & prefixMask(prefixLength)) >>> 0;
  const last = (net | (~prefixMask(prefixLength) >>> 0)) >>> 0;
  const gateway = ipv4FromString(isp.gateway);
  const first = gateway === net + 1 ? net + 2 : net + 1;
  return {
    net, prefixLength, pool: [first, last - 1], gateway,
    carrier: ipv4FromString(isp.lns.address),
    radiusNte: ipv4FromString(`172.16.${i}.1`),
    radiusServer: ipv4FromString(`172.16.${i}.2`),
    core: (ipv4FromString(t.router.ispSide) + 1 + i) >>> 0,
    core6: t.router.ispSide6 === undefined ? undefined : ipv6Add(ipv6FromString(t.router.ispSide6), 1 + i),
    radiusSecret: typeof isp.radius === 'string' ? `radius-${isp.name}` : isp.radius.secret,
  };
}

/** The sse: the static domain → LNS table, and the carrier RADIUS when the topology asks for it. */
export function sseConfig(t: Topology, macs: { access: Uint8Array; carrier: Uint8Array }): SseConfig {
  const lns = new Map<string, LnsEntry>();
  for (const isp of t.isps) lns.set(isp.domain.toLowerCase(), { name: isp.lns.name, address: ipv4FromString(isp.lns.address), port: L2TP_PORT, secret: textBytes(isp.lns.tunnelSecret) });
  const real = typeof t.sse.carrierRadius === 'string' ? undefined : t.sse.carrierRadius;
  return {
    name: t.sse.name,
    accessMac: macs.access,
    accessPorts: t.sse.accessPorts,
    carrierMac: macs.carrier,
    carrierAddress: ipv4FromString(t.sse.address),
    carrierPrefixLength: LINK_PREFIX,
    ac: pppoeAcConfig({ acName: t.sse.acName, maxSessionsPerMac: 1 }),
    hostName: t.sse.hostName,
    mru: t.sse.mru,
    lns,
    proxyAvps: t.sse.proxyAvps,
    l2tp: { hideAvps: t.sse.hideAvps, maxSessionsPerTunnel: t.sse.l2tpMaxSessionsPerTunnel, reliable: { receiveWindow: t.sse.l2tpWindow, maxRetries: t.sse.l2tpMaxRetries } },
    auth: t.sse.auth,
    connectTimeoutMs: t.sse.lnsConnectTimeout * 1000,
    ...(t.sse.lnsLookup === 'radius'
      ? {
          carrierRadius: {
            servers: [{ name: 'carrier-radius', address: t.sse.carrierRadiusAddress, secret: textBytes(real ? real.secret : CARRIER_RADIUS_SECRET), ...(real ? { requireMessageAuthenticator: real.requireMessageAuthenticator } : {}) }],
            nasIdentifier: t.sse.name,
            nasIpAddress: ipv4FromString(t.sse.address),
          },
        }
      : {}),
  };
}

/**
 * The LNS of ISP `i`. `radius` is where its RADIUS server answers: the in-process network
 * always uses the in-network address (a gateway box relays to a real server); a box of
 * its own talks to the real server's address and ports.
 */
export function nteConfig(t: Topology, i: number, macs: { carrier: Uint8Array; radius: Uint8Array; core: Uint8Array }, radius: { address: string; authPort?: number; acctPort?: number }): NteConfig {
  const isp = t.isps[i]!;
  const p = ispPlan(t, i);
  const real = typeof isp.radius === 'string' ? undefined : isp.radius;
  const secret = textBytes(p.radiusSecret);
  return {
    name: isp.lns.name,
    carrierMac: macs.carrier,
    carrierAddress: p.carrier,
    carrierPrefixLength: LINK_PREFIX,
    radiusMac: macs.radius,
    radiusAddress: p.radiusNte,
    radiusPrefixLength: LINK_PREFIX,
    coreMac: macs.core,
    coreAddress: p.core,
    corePrefixLength: LINK_PREFIX,
    coreGateway: ipv4FromString(t.router.ispSide),
    ...(p.core6 ? { coreAddress6: p.core6, corePrefixLength6: LINK_PREFIX6, coreGateway6: ipv6FromString(t.router.ispSide6!) } : {}),
    hostName: isp.lns.hostName,
    lacs: isp.lns.refuseTunnels ? new Map() : new Map([[t.sse.hostName, textBytes(isp.lns.tunnelSecret)]]),
    lcpPolicy: isp.lcpPolicy,
    mru: t.sse.mru,
    gateway: p.gateway,
    dns: isp.dns.map(ipv4FromString),
    pool: p.pool,
    poolPrefix: { prefix: p.net, length: p.prefixLength },
    radius: {
      servers: [{ name: `${isp.name}-radius`, ...radius, secret, ...(real ? { requireMessageAuthenticator: real.requireMessageAuthenticator } : {}) }],
      nasIdentifier: isp.lns.name,
      nasIpAddress: p.radiusNte,
    },
    successMessage: `Welcome to ${isp.name} (${isp.lns.name})`,
    l2tp: { hideAvps: t.sse.hideAvps, reliable: { receiveWindow: t.sse.l2tpWindow } },
    ...(isp.lns.lcpEchoInterval ? { echoIntervalMs: isp.lns.lcpEchoInterval * 1000 } : {}),
    ...(isp.lns.lcpEchoFailure ? { echoFailure: isp.lns.lcpEchoFailure } : {}),
    dae: { clients: [{ address: radius.address, secret }], nasIdentifier: isp.lns.name },
    ...(isp.ipv6 ? {
      ipv6: {
        wanPrefixPool: ipv6PrefixFromString(isp.ipv6.wanPrefixPool),
        pdPool: ipv6PrefixFromString(isp.ipv6.pdPool),
        pdLength: isp.ipv6.pdLength,
        dns: isp.ipv6.dns.map(ipv6FromString),
        // Every user's fixed prefix, of any ISP: RADIUS gives them, the pools never do.
        reserved: t.isps.flatMap((x) => x.users.flatMap((u) => [u.ipv6Prefix, u.delegatedPrefix].filter((p): p is string => p !== undefined).map(ipv6PrefixFromString))),
      },
    } : {}),
  };
}

/**
 * The core router's route to every ISP's pool, through that ISP's LNS, and a /32 for each
 * fixed address of a user that the pool's prefix does not cover (the LNS puts the
 * subscriber's /32 on its session; the router has to know which LNS to send it to).
 */
export function addPoolRoutes(router: Router, t: Topology): void {
  t.isps.forEach((isp, i) => {
    const p = ispPlan(t, i);
    router.addRoute({ prefix: p.net, prefixLength: p.prefixLength, nextHop: p.core, kind: 'static' });
    const mask = prefixMask(p.prefixLength);
    for (const u of isp.users) {
      if (u.ip === undefined) continue;
      const a = ipv4FromString(u.ip);
      if (((a & mask) >>> 0) !== p.net) router.addRoute({ prefix: a, prefixLength: 32, nextHop: p.core, kind: 'static' });
    }
    // IPv6: the ISP's WAN /64 pool and delegated-prefix pool, and fixed user prefixes outside them, via its LNS's core address.
    if (!isp.ipv6 || !p.core6) return;
    const pools = [parseCidr6(isp.ipv6.wanPrefixPool), parseCidr6(isp.ipv6.pdPool)];
    for (const x of pools) router.addRoute6({ prefix: x.prefix, prefixLength: x.length, nextHop: p.core6, kind: 'static' });
    for (const u of isp.users) {
      for (const s of [u.ipv6Prefix, u.delegatedPrefix]) {
        if (s === undefined) continue;
        const x = parseCidr6(s);
        if (!pools.some((q) => q.length <= x.length && covers6(q.prefix, q.length, x.prefix))) router.addRoute6({ prefix: x.prefix, prefixLength: x.length, nextHop: p.core6, kind: 'static' });
      }
    }
  });
}

function covers6(p: Uint8Array, len: number, a: Uint8Array): boolean {
  for (let i = 0; i < len; i++) if (((p[i >> 3]! ^ a[i >> 3]!) & (0x80 >> (i & 7))) !== 0) return false;
  return true;
}

/**
 * The embedded RADIUS server of ISP `i`: its LNS as the client, the ISP's users (with their
 * session limits), the pool. The pool never hands out the gateway, a DNS address, a fixed
 * address of any user, or an address of another ISP's pool.
 */
export function ispRadiusConfig(t: Topology, i: number): RadiusServerConfig {
  const isp = t.isps[i]!;
  const p = ispPlan(t, i);
  const exclude = [
    isp.gateway,
    ...isp.dns,
    ...t.isps.flatMap((x) => x.users.flatMap((u) => (u.ip ? [u.ip] : []))),
    ...t.isps.flatMap((x, j) => (j === i ? [] : [x.pool])),
  ];
  return radiusServerConfigSchema.parse({
    clients: [{ name: isp.lns.name, address: ipv4ToString(p.radiusNte), secret: p.radiusSecret }],
    users: isp.users.map((u) => ({
      name: u.name,
      password: u.password,
      ...(u.ip ? { framedIp: u.ip } : { pool: isp.name }),
      ...(isp.ipv6 && u.ipv6Prefix ? { framedIpv6Prefix: u.ipv6Prefix } : {}),
      ...(isp.ipv6 && u.delegatedPrefix ? { delegatedIpv6Prefix: u.delegatedPrefix } : {}),
      dns: isp.dns,
      ...(u.sessionTimeout === undefined ? {} : { sessionTimeout: u.sessionTimeout }),
      ...(u.idleTimeout === undefined ? {} : { idleTimeout: u.idleTimeout }),
      ...(u.interimInterval === undefined ? {} : { interimInterval: u.interimInterval }),
    })),
    pools: { [isp.name]: { range: `${ipv4ToString(p.pool[0])}-${ipv4ToString(p.pool[1])}`, exclude: [...new Set(exclude)] } },
  });
}

/** The embedded carrier RADIUS: the sse as the client, one realm per ISP with its LNS (and alternates) by preference. */
export function carrierRadiusConfig(t: Topology): RadiusServerConfig {
  return radiusServerConfigSchema.parse({
    clients: [{ name: t.sse.name, address: t.sse.address, secret: CARRIER_RADIUS_SECRET }],
    realms: t.isps.map((isp) => ({
      domain: isp.domain,
      tunnels: [
        ...isp.alternateLns.map((x) => ({ type: 'L2TP', medium: 'IPv4', serverEndpoint: x.address, password: isp.lns.tunnelSecret, assignmentId: `${isp.name}-alt`, preference: x.preference })),
        { type: 'L2TP', medium: 'IPv4', serverEndpoint: isp.lns.address, password: isp.lns.tunnelSecret, assignmentId: isp.lns.name, preference: isp.lns.preference },
      ],
    })),
  });
}
