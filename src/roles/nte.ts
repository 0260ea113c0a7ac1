/**
 * The ISP's nte: an L2TP Network Server (LNS). It takes calls from the carrier's LAC,
 * accepts the proxied LCP when acceptable (or renegotiates, by policy or necessity),
 * checks the proxied CHAP — or authenticates in-band itself — with RADIUS, gives the
 * address with IPCP (Framed-IP-Address from RADIUS, or the ISP's pool) and DNS, sends
 * accounting Start / Interim / Stop, puts a /32 per subscriber into its router (each
 * session is a point-to-point interface), and ends sessions on Disconnect-Request and at
 * the Session-Timeout and Idle-Timeout any RADIUS server gives (RFC 2865 §5.27, §5.28).
 * For an ISP with IPv6 it also runs IPV6CP, sends Router Advertisements with the session's
 * /64 and answers Router Solicitations (src/proto/ra.ts), and delegates one prefix per
 * session with DHCPv6 (src/proto/dhcpv6-server.ts), both prefixes from RADIUS or its own
 * pools (src/proto/prefix-pool6.ts), never one to two live sessions.
 * Sans-IO: ports 'carrier' (L2TP over UDP 1701), 'radius' (RADIUS client and RFC 5176
 * server) and 'core' (the router's uplink), all Ethernet frames.
 */
import { L2tpNode, encodeTransmit, type L2tpConfig } from '../proto/l2tp.js';
import { PppLink, pppLinkConfig, type PppLinkConfig } from '../proto/ppp-link.js';
import { authenticatorConfig } from '../proto/ppp-auth.js';
import { ipcpConfig } from '../proto/ipcp.js';
import { encodePppMessage, type Counters } from '../proto/ppp-common.js';
import type { FsmConfig } from '../proto/ppp-fsm.js';
import { RadiusClient, accessRequestProblem, type RadiusClientConfig, type AccountingRecord, type AccessAuth, type AccessRequestInput } from '../proto/radius-client.js';
import { MAX_VALUE_LENGTH } from '../wire/radius.js';
import { DynamicAuthorizationServer, type DaeConfig, type SessionSelector } from '../proto/radius-dae.js';
import { AcctStatusType, AcctTerminateCause, ErrorCause } from '../wire/radius-dictionary.js';
import { CdnResult, L2TP_PORT, Q931_NORMAL_CLEARING } from '../wire/l2tp.js';
import { PppProtocol } from '../wire/ppp.js';
import { u16, textBytes, bytesText, ipv4ToString, keptBytes, macToString } from '../wire/bytes.js';
import { macFromKey } from '../proto/pppoe-ac.js';
import { Router } from './router.js';
import { earliest } from '../proto/timers.js';
import { DirtySet } from '../proto/dirty-set.js';
import { BoxOutput, type Box, type Transmit, type View } from './box.js';
import { Host, INFRA_ARP, UDP_FRAME_HEADROOM } from './host.js';
import { TimerQueue } from '../proto/timer-queue.js';
import { proxyValuesFrom } from './proxy.js';
import { l2tpUdpSink } from './framing.js';
import type { UdpEndpoint } from './sse.js';
import { ipv6cpConfig, type Ipv6cpNegotiated } from '../proto/ipv6cp.js';
import { PrefixPool6, prefixKey, ipv6PrefixToString, type Ipv6Prefix } from '../proto/prefix-pool6.js';
import { RouterAdvertiser, raConfig, type RaConfig } from '../proto/ra.js';
import { mulberry32 } from '../proto/seeded.js';
import { Dhcpv6Server, dhcpv6ServerConfig, type Dhcpv6ServerConfig } from '../proto/dhcpv6-server.js';
import { dhcpv6, duidLl, DHCPV6_CLIENT_PORT, DHCPV6_SERVER_PORT } from '../wire/dhcpv6.js';
import { parseIpv6, ipv6UpperLayer, ipv6ToString, linkLocalAddress, isExtensionHeader, NextHeader } from '../wire/ipv6.js';
import { ipv6UpperChecksum } from '../wire/checksum.js';
import { Icmpv6Type } from '../wire/icmpv6.js';
import { parseUdp } from '../wire/udp.js';
import { ndpPacket, udp6Packet } from '../wire/ipv6-packets.js';
import { encodeInCell, packetBuffer, widen } from '../wire/packet-buffer.js';
import { A, ipv6PrefixValue, type RadiusAttribute } from '../wire/radius.js';
import type { AccessReply } from '../proto/radius-attributes.js';

export const DAE_PORT = 3799;
/** The RADIUS client's source ports: socket i uses RADIUS_SOURCE_PORT + i. */
export const RADIUS_SOURCE_PORT = 50000;

export interface NteConfig {
  readonly name: string;
  readonly carrierMac: Uint8Array;
  readonly carrierAddress: number;
  readonly carrierPrefixLength: number;
  readonly radiusMac: Uint8Array;
  readonly radiusAddress: number;
  readonly radiusPrefixLength: number;
  readonly coreMac: Uint8Array;
  readonly coreAddress: number;
  readonly corePrefixLength: number;
  /** Default route of the ISP network (the core router). */
  readonly coreGateway: number;
  /** IPv6 on the core link (its /64, default 64) and the IPv6 default route; absent = IPv4 only there. */
  readonly coreAddress6?: Uint8Array;
  readonly corePrefixLength6?: number;
  readonly coreGateway6?: Uint8Array;
  readonly hostName: string;
  /** LACs we accept: Host Name → tunnel secret. */
  readonly lacs: ReadonlyMap<string, Uint8Array>;
  readonly lcpPolicy: 'accept-proxy' | 'renegotiate';
  readonly mru: number;
  /** Our IPCP address (the subscribers' gateway). */
  readonly gateway: number;
  readonly dns: readonly number[];
  /** Address pool for users RADIUS gives no Framed-IP-Address: [first, last]. */
  readonly pool: readonly [number, number];
  /** The pool's prefix: an unreachable route, so an address no session holds is answered, not sent back to the core. */
  readonly poolPrefix?: { readonly prefix: number; readonly length: number };
  readonly radius: RadiusClientConfig;
  readonly dae?: DaeConfig;
  /** Interim-Update interval (ms) when RADIUS gives none; 0 = none. */
  readonly interimMs?: number;
  readonly fsm?: FsmConfig;
  readonly l2tp?: Partial<L2tpConfig<UdpEndpoint>>;
  /** LCP Echo-Request interval toward each subscriber (ms), 0 = off (default). */
  readonly echoIntervalMs?: number;
  /** Unanswered Echo-Requests that end a session (default 3, pppd's lcp-echo-failure). */
  readonly echoFailure?: number;
  /** CHAP Success / PAP Ack message (the home sees it, so it shows who authenticated). */
  readonly successMessage?: string;
  /** IPv6 for the ISP's subscribers (absent: IPV6CP is Protocol-Rejected, IPv4 only). */
  readonly ipv6?: NteIpv6Config;
}

export interface NteIpv6Config {
  /** Where each session's /64 comes from when RADIUS gives no Framed-IPv6-Prefix. */
  readonly wanPrefixPool: Ipv6Prefix;
  /** Where each session's delegated prefix (of `pdLength`) comes from without Delegated-IPv6-Prefix. */
  readonly pdPool: Ipv6Prefix;
  readonly pdLength: number;
  /** RDNSS (RFC 8106) and DHCPv6 DNS servers (RFC 3646). */
  readonly dns: readonly Uint8Array[];
  /** Users' fixed prefixes: never leased from a pool. */
  readonly reserved?: readonly Ipv6Prefix[];
  readonly ra?: Partial<RaConfig>;
  readonly dhcpv6?: Partial<Omit<Dhcpv6ServerConfig, 'dns'>>;
}

/** All_DHCP_Relay_Agents_and_Servers (RFC 8415 §7.1). */
const ALL_DHCP_SERVERS = Uint8Array.of(0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 2);
/** Our link-local when the peer rejected the Interface-Identifier option (RFC 5072 §4.1 leaves us without one). */
const FALLBACK_IDENTIFIER = Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 1);
const FALLBACK_LINK_LOCAL = linkLocalAddress(FALLBACK_IDENTIFIER);

type State = 'lcp' | 'auth' | 'radius' | 'network' | 'up' | 'closing';

/** No Class attribute: one empty list for every session that got none. */
const NO_CLASS: Uint8Array[] = Object.freeze([]) as unknown as Uint8Array[];

/** A Calling Number that is a MAC in its usual text (what an sse sends) as its 48-bit value; other text as it is. */
function packCallingNumber(n: string | undefined): string | number | undefined {
  return n !== undefined && MAC_TEXT.test(n) ? parseInt(n.replaceAll(':', ''), 16) : n;
}

/** The Calling Number's text, as it came (a packed MAC written back the way MAC_TEXT reads it). */
function callingNumberText(c: string | number | undefined): string | undefined {
  return typeof c === 'number' ? macToString(macFromKey(c, CALLING_MAC)) : c;
}

const MAC_TEXT = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;
/** Scratch octets for callingNumberText. */
const CALLING_MAC = new Uint8Array(6);

/**
 * A session with the fields every session sets (so that they are in-object, one shape for
 * all); the rarer ones (timeouts, IPv6, the end) are added when set. Every field costs a
 * pointer in every session, so fields few sessions use are not in the literal.
 */
function newNteSession(call: number, tunnelId: number, sessionId: number, link: PppLink, callingNumber: string | undefined, calledNumber: string | undefined, acctSeq: number): NteSession {
  return {
    call, tunnelId, sessionId, link, calling: packCallingNumber(callingNumber), calledNumber, state: 'lcp', proxyTaken: false,
    user: undefined, radiusToken: undefined, address: undefined, fromPool: undefined, dns: undefined, class: undefined,
    acctSeq, inOctets: 0, outOctets: 0, inPackets: 0, outPackets: 0,
    // Set by every session that comes up (its interface, its times): in-object, not in a property array.
    ifIndex: undefined, startedAt: undefined, lastDataAt: undefined, interimMs: undefined, nextInterimAt: undefined,
  };
}

export interface NteSession {
  readonly call: number;
  readonly tunnelId: number;
  readonly sessionId: number;
  readonly link: PppLink;
  /**
   * The call's Calling and Called Numbers (L2TP ICRQ), for RADIUS Calling-/Called-Station-Id;
   * a Calling Number in MAC text is kept as its value (`callingNumberText` gives the text back).
   */
  readonly calling: string | number | undefined;
  readonly calledNumber: string | undefined;
  state: State;
  proxyTaken: boolean;
  user?: string;
  radiusToken?: number;
  address?: number;
  fromPool?: boolean;
  dns?: number[];
  ifIndex?: number;
  /** This LNS's number for the session: its Acct-Session-Id is made from it when needed (Nte.acctSessionId), not kept as a string. */
  readonly acctSeq: number;
  startedAt?: number;
  interimMs?: number;
  nextInterimAt?: number;
  /** RFC 2865 §5.27 Session-Timeout, counted from IPCP up: the session ends at `endAt`. */
  sessionTimeoutMs?: number;
  endAt?: number;
  /** RFC 2865 §5.28 Idle-Timeout: no IPv4 packet either way for this long ends the session. */
  idleTimeoutMs?: number;
  lastDataAt?: number;
  class?: Uint8Array[];
  inOctets: number;
  outOctets: number;
  inPackets: number;
  outPackets: number;
  ended?: boolean;
  peerTerminated?: boolean;
  /** Why we are ending it ourselves (stopAll), for the Accounting-Stop. */
  localCause?: number;
  /** The /64 of the subscriber link, advertised in RAs (RADIUS Framed-IPv6-Prefix or the pool); routed toward `ifIndex` by `subscriberRoutes6`. */
  wanPrefix6?: { prefix: Uint8Array; length: number };
  /** The prefix DHCPv6 delegates to the home (RADIUS Delegated-IPv6-Prefix or the pool). */
  delegatedPrefix6?: { prefix: Uint8Array; length: number };
  /** The home's link-local (fe80:: + its IPV6CP identifier), once IPV6CP is up. */
  peerLinkLocal6?: Uint8Array;
  /** Ours on this link: the source of RAs and DHCPv6 replies. */
  localLinkLocal6?: Uint8Array;
  /** The home's global address in the /64, learnt from its packets (RFC 6911 Framed-IPv6-Address). */
  address6?: Uint8Array;
  wanFromPool6?: boolean;
  pdFromPool6?: boolean;
  ra?: RouterAdvertiser;
  /** IPV6CP is up (RAs and DHCPv6 served). */
  ipv6Up?: boolean;
  /** IPv6 share of the totals above (the totals, and so Acct-*-Octets, count both families). */
  in6Octets?: number;
  out6Octets?: number;
  in6Packets?: number;
  out6Packets?: number;
}

export type NteEvent =
  | { readonly type: 'online'; readonly user: string; readonly address: number; readonly dns: number[]; readonly tunnelId: number; readonly sessionId: number; readonly proxyTaken: boolean; readonly acctSessionId: string }
  | { readonly type: 'auth-rejected'; readonly user: string; readonly reason: string }
  | { readonly type: 'session-ended'; readonly user?: string; readonly tunnelId: number; readonly sessionId: number; readonly cause: number; readonly reason: string }
  | { readonly type: 'ipv6-up'; readonly user: string; readonly acctSessionId: string; readonly wanPrefix?: string; readonly delegatedPrefix?: string }
  | { readonly type: 'accounting'; readonly record: AccountingRecord; readonly server: string }
  | { readonly type: 'warning'; readonly message: string };

export type NtePortName = 'carrier' | 'radius' | 'core';
export const NTE_PORTS: readonly NtePortName[] = ['carrier', 'radius', 'core'];
export type NtePort = Transmit<NtePortName>;

export class Nte extends BoxOutput<NtePortName, NteEvent> implements Box<NtePortName, NteEvent> {
  readonly kind = 'nte';
  readonly ports = NTE_PORTS;
  readonly l2tp: L2tpNode<UdpEndpoint, NteSession>;
  readonly carrier: Host;
  readonly mgmt: Host;
  readonly router: Router;
  readonly radius: RadiusClient;
  readonly dae: DynamicAuthorizationServer | undefined;
  readonly counters: Counters = {};
  readonly coreIf: number;
  private readonly linkConfig: PppLinkConfig;
  /** Sessions not yet ended. Each is its L2TP session's owner (`l2tp.owners()`): no table here. */
  private live = 0;
  /** Sessions by their router interface (ifIndexes are small and given again: an array, not a Map entry each). */
  private readonly byIf: (NteSession | undefined)[] = [];
  private readonly byToken = new Map<number, NteSession>();
  private readonly dirty = new DirtySet<NteSession>();
  private readonly timers = new TimerQueue<NteSession>();
  private readonly poolUsed = new Set<number>();
  /** The session each subscriber address is routed to: one address, one session. */
  private readonly addressOwner = new Map<number, NteSession>();
  private poolNext: number;
  private acctSeq = 0;
  /** The DNS list sessions got last: sessions given the same servers share one frozen list. */
  private lastDns: number[] = Object.freeze([]) as unknown as number[];
  private lastCalledNumber: string | undefined;
  private readonly wanPool6: PrefixPool6 | undefined;
  private readonly pdPool6: PrefixPool6 | undefined;
  /** The session each IPv6 prefix (WAN or delegated) belongs to: one prefix, one live session. */
  private readonly prefixOwner6 = new Map<string, NteSession>();
  private readonly raCfg: RaConfig | undefined;
  readonly dhcpv6: Dhcpv6Server<NteSession> | undefined;

  constructor(readonly cfg: NteConfig, now: number) {
    super(1 << 20);
    this.l2tp = new L2tpNode<UdpEndpoint, NteSession>({
      role: 'lns',
      hostName: cfg.hostName,
      vendorName: 'pseudonet',
      endpointKey: (e) => `${e.address}:${e.port}`,
      sourceKey: (e) => String(e.address), // per-source admission limits: a flooder varies the port
      authorize: (host) => {
        const secret = cfg.lacs.get(host);
        return secret ? { secret } : undefined;
      },
      ...cfg.l2tp,
    });
    this.carrier = new Host({ name: `${cfg.name}-carrier`, mac: cfg.carrierMac, address: cfg.carrierAddress, prefixLength: cfg.carrierPrefixLength, arp: INFRA_ARP }, now);
    // L2TP straight from the carrier stack to the node, and its data straight to the session: no event per packet.
    this.carrier.bindUdp(L2TP_PORT, l2tpUdpSink(this.l2tp));
    this.l2tp.setDataSink({
      l2tpData: (_session, s, b, o, len, at) => {
        if (!s || s.ended) return this.count('data.drop.no-session');
        this.fromSubscriber(s, b, o, len, at);
      },
    });
    this.mgmt = new Host({ name: `${cfg.name}-radius`, mac: cfg.radiusMac, address: cfg.radiusAddress, prefixLength: cfg.radiusPrefixLength, arp: INFRA_ARP }, now);
    for (let i = 0; i < (cfg.radius.maxSockets ?? 4); i++) this.mgmt.listenUdp(RADIUS_SOURCE_PORT + i);
    this.mgmt.listenUdp(DAE_PORT);
    this.router = new Router();
    // A session's interface is named from its ids when shown, not by a string it keeps.
    this.router.nameInterfaces((i) => {
      const s = this.byIf[i];
      return s && `l2tp-${s.tunnelId}-${s.sessionId}`;
    });
    this.coreIf = this.router.addInterface({ kind: 'ethernet', name: 'core', mac: cfg.coreMac, address: cfg.coreAddress, prefixLength: cfg.corePrefixLength, ...(cfg.coreAddress6 ? { address6: cfg.coreAddress6, prefixLength6: cfg.corePrefixLength6 ?? 64 } : {}) }, now);
    this.router.addRoute({ prefix: 0, prefixLength: 0, nextHop: cfg.coreGateway, kind: 'static' });
    if (cfg.coreAddress6 && cfg.coreGateway6) this.router.addRoute6({ prefix: new Uint8Array(16), prefixLength: 0, nextHop: cfg.coreGateway6, kind: 'static' });
    // The core routes the whole pools here and our default route points back: without these a
    // packet to an address no session holds would loop until its TTL / Hop Limit ran out.
    if (cfg.poolPrefix) this.router.addRoute({ prefix: cfg.poolPrefix.prefix, prefixLength: cfg.poolPrefix.length, kind: 'unreachable' });
    for (const p of cfg.ipv6 ? [cfg.ipv6.wanPrefixPool, cfg.ipv6.pdPool] : []) this.router.addRoute6({ prefix: p.prefix, prefixLength: p.length, kind: 'unreachable' });
    this.radius = new RadiusClient(cfg.radius);
    this.dae = cfg.dae ? new DynamicAuthorizationServer(cfg.dae) : undefined;
    this.poolNext = cfg.pool[0];
    this.linkConfig = pppLinkConfig({
      lcp: { mru: cfg.mru, authenticate: ['chap-md5', 'pap'], authenticateWith: [], pppoe: false, echoIntervalMs: cfg.echoIntervalMs ?? 0, ...(cfg.echoFailure ? { echoFailure: cfg.echoFailure } : {}), ...(cfg.fsm ? { fsm: cfg.fsm } : {}) },
      authenticator: authenticatorConfig({ name: cfg.hostName, verify: 'external', ...(cfg.successMessage ? { successMessage: textBytes(cfg.successMessage) } : {}) }),
      ipcp: ipcpConfig({ localAddress: cfg.gateway, dns: cfg.dns, ...(cfg.fsm ? { fsm: cfg.fsm } : {}) }),
      ...(cfg.ipv6 ? { ipv6cp: ipv6cpConfig({ ...(cfg.fsm ? { fsm: cfg.fsm } : {}) }) } : {}),
      counters: this.counters,
    });
    const v6 = cfg.ipv6;
    if (v6) {
      this.wanPool6 = new PrefixPool6(v6.wanPrefixPool, 64);
      this.pdPool6 = new PrefixPool6(v6.pdPool, v6.pdLength);
      for (const r of v6.reserved ?? []) {
        this.wanPool6.reserve(r);
        this.pdPool6.reserve(r);
      }
      // RA jitter is not a secret: seeded by the box name, so a simulated run repeats.
      let seed = 0x9e3779b9;
      for (const ch of cfg.name) seed = Math.imul(seed ^ ch.charCodeAt(0), 0x01000193) >>> 0;
      this.raCfg = raConfig({ random: mulberry32(seed), ...v6.ra });
      this.dhcpv6 = new Dhcpv6Server(dhcpv6ServerConfig({ serverDuid: duidLl(cfg.coreMac), ...v6.dhcpv6, dns: v6.dns }), this.counters);
    }
  }

  get name(): string {
    return this.cfg.name;
  }

  show(view: View, now: number): unknown {
    switch (view) {
      case 'sessions':
        return this.listSessions();
      case 'tunnels':
        return this.l2tp.tunnelInfo();
      case 'routes':
        return this.router.showRoutes();
      case 'arp':
        return { core: this.router.showArp(now), carrier: this.carrier.showArp(now), radius: this.mgmt.showArp(now) };
      case 'interfaces':
        return { router: this.router.showInterfaces() };
      case 'counters':
        return { nte: this.counters, ...(this.wanPool6 && this.pdPool6 ? { pool6: { wan: { ...this.wanPool6.counters, inUse: this.wanPool6.inUse, size: this.wanPool6.size }, pd: { ...this.pdPool6.counters, inUse: this.pdPool6.inUse, size: this.pdPool6.size } } } : {}), l2tp: this.l2tp.counters, router: this.router.showCounters(), radius: this.radius.counters, radiusBacklog: this.radius.accountingBacklog, outbox: { refused: this.outputRefused } };
      default:
        return undefined;
    }
  }

  private sharedDns(dns: readonly number[]): number[] {
    const last = this.lastDns;
    if (dns.length !== last.length || dns.some((a, i) => a !== last[i])) this.lastDns = Object.freeze([...dns]) as number[];
    return this.lastDns;
  }

  private count(k: string): void {
    this.counters[k] = (this.counters[k] ?? 0) + 1;
  }

  /** RFC 2866 Acct-Session-Id: this LNS's name, the L2TP tunnel and session ids, and its session number (unique while the LNS runs). */
  acctSessionId(s: NteSession): string {
    return `${this.cfg.name}-${s.tunnelId.toString(16).padStart(4, '0')}${s.sessionId.toString(16).padStart(4, '0')}-${s.acctSeq.toString(16)}`;
  }

  /**
   * The numbers an Acct-Session-Id of ours is made from, or undefined for text that is not one
   * (a Disconnect-Request then compares numbers, not a text made for every session it passes).
   */
  private acctSessionNumbers(id: string): { tunnelId: number; sessionId: number; acctSeq: number } | undefined {
    const name = this.cfg.name;
    if (id.length < name.length + 11 || !id.startsWith(name) || id[name.length] !== '-' || id[name.length + 9] !== '-') return undefined;
    const ids = id.slice(name.length + 1, name.length + 9);
    const seq = id.slice(name.length + 10);
    if (!/^[0-9a-f]{8}$/.test(ids) || !/^[0-9a-f]{1,13}$/.test(seq)) return undefined;
    return { tunnelId: parseInt(ids.slice(0, 4), 16), sessionId: parseInt(ids.slice(4), 16), acctSeq: parseInt(seq, 16) };
  }

  /** Live sessions, for `show sessions` and tests. */
  listSessions(): { user?: string; state: string; address?: string; tunnelId: number; sessionId: number; proxyTaken: boolean; acctSessionId: string; ipv6?: { wanPrefix?: string; delegatedPrefix?: string; address?: string; inOctets: number; outOctets: number } }[] {
    return [...this.sessions()].map((s) => ({
      ...(s.user !== undefined ? { user: s.user } : {}),
      state: s.state,
      ...(s.address !== undefined ? { address: ipv4ToString(s.address) } : {}),
      tunnelId: s.tunnelId,
      sessionId: s.sessionId,
      proxyTaken: s.proxyTaken,
      acctSessionId: this.acctSessionId(s),
      ...(s.ipv6Up ? { ipv6: {
        ...(s.wanPrefix6 ? { wanPrefix: ipv6PrefixToString(s.wanPrefix6) } : {}),
        ...(s.delegatedPrefix6 ? { delegatedPrefix: ipv6PrefixToString(s.delegatedPrefix6) } : {}),
        ...(s.address6 ? { address: ipv6ToString(s.address6) } : {}),
        inOctets: s.in6Octets ?? 0, outOctets: s.out6Octets ?? 0,
      } } : {}),
    }));
  }

  /** Every session not yet ended (an ended one's L2TP session may linger until its CDN is sent). */
  private *sessions(): IterableIterator<NteSession> {
    for (const s of this.l2tp.owners()) if (!s.ended) yield s;
  }

  get sessionCount(): number {
    return this.live;
  }

  handleFrame(port: NtePortName, frame: Uint8Array, now: number): void {
    if (port === 'carrier') this.carrier.handle(0, frame, now);
    else if (port === 'radius') this.mgmt.handle(0, frame, now);
    else {
      // From the core only the router moves (to the core, or to a subscriber through the
      // carrier stack): its output and the carrier stack's, and no pump pass over the rest.
      this.router.handle(this.coreIf, frame, now);
      this.moveRouter(now);
      this.moveCarrier();
      return;
    }
    this.pump(now);
  }

  /** The carrier stack's frames to the carrier port. */
  private moveCarrier(): void {
    for (let f = this.carrier.pollFrame(); f; f = this.carrier.pollFrame()) this.tx.push({ port: 'carrier', frame: f });
  }

  /** The router's packets: to the core port, or to their subscriber's call. */
  private moveRouter(now: number): void {
    for (let t = this.router.pollTransmit(); t; t = this.router.pollTransmit()) {
      if (t.ifIndex === this.coreIf) this.tx.push({ port: 'core', frame: t.frame });
      else this.toSubscriber(t.ifIndex, t.frame, now);
    }
  }

  /** Ends a session from the LNS side: LCP Terminate, CDN, Accounting-Stop with `cause`. */
  disconnect(s: NteSession, now: number, cause: number = AcctTerminateCause.ADMIN_RESET, reason = 'Administrative disconnect'): void {
    if (s.ended) return;
    s.link.close(now, reason);
    this.dirty.add(s);
    this.end(s, now, cause, reason, true);
    this.pump(now);
  }

  /**
   * Stops every tunnel (StopCCN), ending every session (for shutdown and tests). `cause` is
   * their Acct-Terminate-Cause: NAS-Reboot by default (the LNS is going away, RFC 2866 §5.10).
   */
  stopAll(now: number, cause: number = AcctTerminateCause.NAS_REBOOT): void {
    for (const s of this.sessions()) s.localCause ??= cause;
    for (const t of this.l2tp.tunnelInfo()) this.l2tp.closeTunnel(t.tunnelId, now);
    this.pump(now);
  }

  handleTimeout(now: number): void {
    this.l2tp.handleTimeout(now);
    this.radius.handleTimeout(now);
    this.dae?.handleTimeout(now);
    this.carrier.handleTimeout(now);
    this.mgmt.handleTimeout(now);
    this.router.handleTimeout(now);
    for (const s of this.timers.due(now)) {
      s.link.handleTimeout(now);
      s.ra?.handleTimeout(now);
      if (s.state === 'up' && this.sessionLimitReached(s, now)) continue;
      if (s.nextInterimAt !== undefined && s.nextInterimAt <= now && s.state === 'up') {
        this.account(s, AcctStatusType.INTERIM_UPDATE, now);
        s.nextInterimAt = now + s.interimMs!;
      }
      this.dirty.add(s);
    }
    this.pump(now);
  }

  nextTimeout(): number | undefined {
    return earliest(this.l2tp.nextTimeout(), this.radius.nextTimeout(), this.dae?.nextTimeout(), this.carrier.nextTimeout(), this.mgmt.nextTimeout(), this.router.nextTimeout(), this.timers.peek());
  }

  /**
   * Moves work between the parts until a pass finds none. A step sets `busy` only when what it
   * does can give work to a step earlier in the pass; output for a later step (a datagram to
   * the carrier or RADIUS stack, a frame to a port) is taken in the same pass, so that a routed
   * packet costs one pass, not a second one that finds nothing.
   */
  private pump(now: number): void {
    for (let busy = true; busy; ) {
      busy = false;
      for (let e = this.l2tp.pollEvent(); e; e = this.l2tp.pollEvent()) {
        busy = true;
        this.l2tpEvent(e, now);
      }
      if (this.dirty.size) {
        const list = this.dirty.take();
        for (const s of list) {
          busy = this.serviceLink(s, now) || busy;
          if (s.ended) {
            this.timers.remove(s);
            continue;
          }
          this.timers.schedule(s, earliest(s.link.nextTimeout(), s.nextInterimAt, this.sessionLimitAt(s), s.ra?.nextTimeout()));
        }
        this.dirty.done(list);
      }
      for (let t = this.l2tp.pollTransmit(); t; t = this.l2tp.pollTransmit()) this.carrier.sendUdp(t.to.address, L2TP_PORT, t.to.port, encodeTransmit(t), now, { inPlace: true });
      for (let e = this.radius.pollEvent(); e; e = this.radius.pollEvent()) {
        busy = true;
        this.radiusEvent(e, now);
      }
      for (let t = this.radius.pollTransmit(); t; t = this.radius.pollTransmit()) this.mgmt.sendUdp(t.address, RADIUS_SOURCE_PORT + t.socket, t.port, t.bytes, now);
      if (this.dae) {
        for (let e = this.dae.pollEvent(); e; e = this.dae.pollEvent()) {
          busy = true;
          this.daeEvent(e, now);
        }
        for (let t = this.dae.pollTransmit(); t; t = this.dae.pollTransmit()) this.mgmt.sendUdp(t.address, DAE_PORT, t.port, t.bytes, now);
      }
      if (this.dhcpv6) busy = this.serviceDhcpv6(this.dhcpv6, now) || busy;
      // A packet to a subscriber goes to the carrier stack, whose frames are taken below.
      this.moveRouter(now);
      // The carrier stack's events are only its ICMP errors and ARP failures (L2TP goes straight to the node).
      while (this.carrier.pollEvent());
      for (let e = this.mgmt.pollEvent(); e; e = this.mgmt.pollEvent()) {
        if (e.kind !== 'udp') continue;
        busy = true;
        if (e.dstPort === DAE_PORT) this.dae?.handle({ address: e.from, port: e.srcPort, bytes: e.payload }, now);
        else this.radius.handle({ socket: e.dstPort - RADIUS_SOURCE_PORT, address: e.from, port: e.srcPort, bytes: e.payload }, now);
      }
      this.moveCarrier();
      for (let f = this.mgmt.pollFrame(); f; f = this.mgmt.pollFrame()) this.tx.push({ port: 'radius', frame: f });
    }
  }

  private l2tpEvent(e: NonNullable<ReturnType<L2tpNode<UdpEndpoint, NteSession>['pollEvent']>>, now: number): void {
    switch (e.type) {
      case 'session-up': {
        const link = new PppLink(this.linkConfig);
        // Joined, not concatenated: one flat string for the session's life instead of a tree of five.
        // The Called Number is the LAC's name, the same for its every call: one string for all.
        const called = e.info.calledNumber;
        if (called !== undefined && called !== this.lastCalledNumber) this.lastCalledNumber = called;
        const s = newNteSession(e.session, e.tunnelId, e.sessionId, link, e.info.callingNumber, called === undefined ? undefined : this.lastCalledNumber, ++this.acctSeq);
        this.l2tp.setOwner(e.session, s);
        this.live++;
        this.count('sessions.opened');
        const proxy = e.info.proxyLcp || e.info.proxyAuth ? proxyValuesFrom(e.info.proxyLcp, e.info.proxyAuth) : undefined;
        if (proxy && this.cfg.lcpPolicy === 'accept-proxy') {
          s.proxyTaken = link.startWithProxy(proxy, now);
          this.count(s.proxyTaken ? 'proxy.accepted' : 'proxy.renegotiated');
        } else {
          this.count(proxy ? 'proxy.renegotiated-by-policy' : 'proxy.none');
          link.start(now);
        }
        this.dirty.add(s);
        return;
      }
      case 'session-down': {
        const s = e.owner;
        if (!s || s.ended) return;
        s.link.lowerDown(now, e.reason);
        this.end(s, now, l2tpTerminateCause(s, e), e.result?.message ?? e.reason, false);
        return;
      }
      default:
        return;
    }
  }

  /** A PPP frame from the subscriber (after the L2TP header), b[o, o + len): one view is made, of its information field. */
  private fromSubscriber(s: NteSession, b: Uint8Array, o: number, len: number, now: number): void {
    const end = o + len;
    if (len >= 2 && b[o] === 0xff && b[o + 1] === 0x03) o += 2;
    if (end - o < 2) return this.count('data.drop.short');
    let protocol: number;
    if (b[o]! & 1) {
      protocol = b[o]!; // PFC: a one-octet protocol field
      o += 1;
    } else {
      protocol = u16(b, o);
      o += 2;
    }
    const info = b.subarray(o, end);
    // RFC 2866 §5.10: a Terminate-Request from the subscriber is User-Request, even when the
    // LAC's CDN (after the home's PADT) arrives before our LCP has finished.
    if (protocol === PppProtocol.LCP && info[0] === 5 && s.state === 'up') s.peerTerminated = true;
    if (s.link.handleFrame(protocol, info, now)) {
      this.dirty.add(s); // the link took it (LCP, auth, an NCP): its output and timers move
    } else if (protocol === PppProtocol.IPV6 && this.fromSubscriber6(s, info, now)) {
      this.dirty.add(s); // an RS or a DHCPv6 message, answered here, before the router (issue 17 contract)
    } else if ((protocol === PppProtocol.IPV4 || protocol === PppProtocol.IPV6) && s.ifIndex !== undefined) {
      // IPv4, and IPv6 once IPV6CP is Opened (the link hands it back): the router takes both on
      // the session's p2p interface. The link's state did not move, so the session is not
      // serviced (no timer work per packet); the router's output is drained by the pump.
      s.inOctets += info.length;
      s.inPackets++;
      s.lastDataAt = now;
      this.router.handle(s.ifIndex, info, now);
    } else this.count('data.drop.not-routed');
  }

  /**
   * An IPv4 or IPv6 packet the router sends to a subscriber: PPP, L2TP, UDP, IPv4 and Ethernet
   * headers in front, in place (one view of the whole frame) when there is room.
   */
  private toSubscriber(ifIndex: number, packet: Uint8Array, now: number): void {
    const s = this.byIf[ifIndex];
    if (!s) return this.count('data.drop.no-interface');
    const hl = this.l2tp.dataHeaderLengthFor(s.call);
    const at = UDP_FRAME_HEADROOM; // the L2TP message starts here
    const need = at + hl + 4; // L2TP header, FF 03, protocol 0x0021 or 0x0057
    let buf = widen(packet, need);
    if (!buf) {
      this.count('data.copied-for-headroom');
      buf = packetBuffer(need + packet.length);
      buf.set(packet, need);
    }
    const p = at + hl;
    buf[p] = 0xff;
    buf[p + 1] = 0x03;
    buf[p + 2] = 0x00;
    buf[p + 3] = packet[0]! >>> 4 === 6 ? 0x57 : 0x21;
    if (this.l2tp.writeDataHeaderFor(s.call, buf, at, packet.length + 4) < 0) return this.count('data.drop.call-gone');
    this.countOut(s, packet.length, buf[p + 3] === 0x57);
    // The idle timer is not moved here (that would cost a heap update per packet): when it
    // fires early, sessionLimitReached sees this and it is scheduled again.
    s.lastDataAt = now;
    const peer = this.l2tp.tunnelPeer(s.tunnelId);
    if (!peer) return this.count('data.drop.no-tunnel');
    this.carrier.sendUdpFrame(peer.address, L2TP_PORT, peer.port, buf, now);
  }

  /**
   * Routes the session's WAN /64 and delegated prefix toward its p2p interface (`up`), or
   * takes them away: only routes that still point at this session's interface.
   */
  subscriberRoutes6(s: NteSession, up: boolean, _now: number): void {
    if (s.ifIndex === undefined) return;
    for (const p of [s.wanPrefix6, s.delegatedPrefix6]) {
      if (!p) continue;
      if (up) {
        if (!this.router.addRoute6({ prefix: p.prefix, prefixLength: p.length, ifIndex: s.ifIndex, kind: 'runtime' })) this.count('ipv6.route-refused');
      } else {
        const id = this.router.routes6.lpm.get(p.prefix, p.length);
        if (id >= 0 && this.router.routes6.ifIndex[id] === s.ifIndex) this.router.removeRoute6(p.prefix, p.length);
      }
    }
  }

  private serviceLink(s: NteSession, now: number): boolean {
    let busy = false;
    for (let t = s.ra?.pollTransmit(); t; t = s.ra?.pollTransmit()) {
      busy = true;
      this.sendIpv6(s, ndpPacket({ src: t.src, dst: t.dst, hopLimit: t.hopLimit }, t.message, 4));
    }
    for (let m = s.link.pollTransmit(); m; m = s.link.pollTransmit()) {
      busy = true;
      const buf = encodePppMessage(m, 2);
      buf[0] = 0xff;
      buf[1] = 0x03;
      this.l2tp.sendData(s.call, buf);
    }
    for (let e = s.link.pollEvent(); e; e = s.link.pollEvent()) {
      busy = true;
      switch (e.type) {
        case 'chap-response':
          this.askRadius(s, bytesText(e.name), { type: 'chap', id: e.identifier, challenge: e.challenge, response: e.response }, now);
          break;
        case 'pap-request':
          this.askRadius(s, bytesText(e.peerId), { type: 'pap', password: e.password }, now);
          break;
        case 'ipcp-up':
          this.online(s, now);
          break;
        case 'ipv6cp-up':
          this.ipv6Up(s, e.negotiated, now);
          break;
        case 'ipv6cp-down':
          this.ipv6Down(s, now);
          break;
        case 'finished':
          if (!s.ended) {
            // A subscriber that stopped answering LCP echo is gone: Lost-Carrier (RFC 2866 §5.10), as pppd and accel-ppp report it.
            const cause = e.reason === 'echo-timeout' ? AcctTerminateCause.LOST_CARRIER : s.state === 'up' ? AcctTerminateCause.USER_REQUEST : AcctTerminateCause.NAS_ERROR;
            this.end(s, now, cause, e.reason, true);
          }
          break;
        default:
          break;
      }
    }
    // IPCP gave up while IPV6CP holds the link (PPP keeps LCP open for the other NCP). This
    // LNS's sessions are IPv4 first — accounting, Session-Timeout and the interface come with
    // IPCP — so a link left without IPv4 ends, as it did before IPV6CP: otherwise a peer that
    // vanished between the two NCPs would hold its prefixes, unaccounted, for ever.
    const ipcp = s.link.ipcp;
    if (this.cfg.ipv6 && !s.ended && (s.state === 'network' || s.state === 'up') && ipcp && (ipcp.state === 2 || ipcp.state === 3) && s.link.ipv6cp?.opened) {
      this.count('sessions.ipcp-failed');
      this.end(s, now, AcctTerminateCause.NAS_ERROR, 'IPCP failed', true);
      busy = true;
    }
    return busy;
  }

  /** The peer's credentials (proxied or in-band) go to RADIUS; the answer decides in radiusEvent. */
  private askRadius(s: NteSession, user: string, auth: AccessAuth, now: number): void {
    // The authenticator decoded the same name: the session keeps that one string, not a second.
    const known = s.link.authenticator?.peerName;
    s.user = known === user ? known : user;
    // Service-Type Framed-User (2), Framed-Protocol PPP (1).
    const req: AccessRequestInput = { userName: user, auth, nasPort: s.call, nasPortId: `${s.tunnelId}/${s.sessionId}`, ...this.callingIds(s), serviceType: 2, framedProtocol: 1 };
    // The name, password and challenge are the subscriber's (or the LAC's proxy AVPs): one
    // that no RADIUS attribute can hold is refused in-band (CHAP Failure / PAP Nak).
    const problem = accessRequestProblem(req);
    if (problem) {
      this.count(`radius.refused.${problem}`);
      this.events.push({ type: 'auth-rejected', user, reason: problem });
      s.state = 'auth';
      s.link.authDecision(false, now, textBytes('Authentication failed'));
      this.dirty.add(s);
      return;
    }
    s.state = 'radius';
    s.radiusToken = this.radius.accessRequest(req, now);
    this.byToken.set(s.radiusToken, s);
  }

  /** Calling / Called Number AVPs (the LAC's text) as station ids; one a RADIUS attribute cannot hold is left out. */
  private callingIds(s: NteSession): { callingStationId?: string; calledStationId?: string } {
    const out: { callingStationId?: string; calledStationId?: string } = {};
    const calling = callingNumberText(s.calling);
    if (calling !== undefined && this.stationIdFits(calling)) out.callingStationId = calling;
    if (s.calledNumber !== undefined && this.stationIdFits(s.calledNumber)) out.calledStationId = s.calledNumber;
    return out;
  }

  private stationIdFits(v: string): boolean {
    if (Buffer.byteLength(v, 'utf8') <= MAX_VALUE_LENGTH) return true;
    this.count('radius.station-id-omitted');
    return false;
  }

  private radiusEvent(e: NonNullable<ReturnType<RadiusClient['pollEvent']>>, now: number): void {
    switch (e.type) {
      case 'access-response': {
        const s = this.byToken.get(e.token);
        if (!s) return;
        this.byToken.delete(e.token);
        if (s.ended) return;
        this.dirty.add(s);
        if (!e.accepted) {
          this.count('radius.access-reject');
          this.events.push({ type: 'auth-rejected', user: s.user ?? '', reason: e.reply.replyMessage ?? 'Access-Reject' });
          s.state = 'auth';
          s.link.authDecision(false, now, textBytes(e.reply.replyMessage ?? 'Authentication failed'));
          return;
        }
        let addr = e.reply.framedIpAddress;
        if (addr === undefined || addr === 0xfffffffe || addr === 0xffffffff) {
          addr = this.allocate();
          if (addr === undefined) {
            this.count('pool.exhausted');
            s.link.authDecision(false, now, textBytes('No address available'));
            return;
          }
          s.fromPool = true;
        }
        const owner = this.addressOwner.get(addr);
        if (owner && owner !== s) {
          // An address another session holds (a RADIUS answer, or a pool that overlaps the server's): taking it would steal that session's route.
          this.count('radius.address-in-use');
          if (s.fromPool) this.poolUsed.delete(addr);
          s.fromPool = false;
          s.link.authDecision(false, now, textBytes('Address in use'));
          return;
        }
        this.addressOwner.set(addr, s);
        s.address = addr;
        s.dns = this.sharedDns(e.reply.dns.length ? e.reply.dns : this.cfg.dns);
        s.class = e.reply.class.length ? e.reply.class : NO_CLASS;
        const interim = e.reply.acctInterimInterval !== undefined ? e.reply.acctInterimInterval * 1000 : this.cfg.interimMs ?? 0;
        if (interim > 0) s.interimMs = interim;
        // 0 would mean "end at once"; no server means that, so it is taken as no limit.
        if (e.reply.sessionTimeout) s.sessionTimeoutMs = e.reply.sessionTimeout * 1000;
        if (e.reply.idleTimeout) s.idleTimeoutMs = e.reply.idleTimeout * 1000;
        s.link.ipcp!.setPeerAddress(addr);
        this.assignIpv6(s, e.reply);
        s.state = 'network';
        s.link.authDecision(true, now);
        return;
      }
      case 'access-timeout': {
        const s = this.byToken.get(e.token);
        if (!s) return;
        this.byToken.delete(e.token);
        this.count('radius.access-timeout');
        if (!s.ended) {
          s.link.authDecision(false, now, textBytes('Authentication server unreachable'));
          this.dirty.add(s);
        }
        return;
      }
      case 'accounting-acked':
        this.events.push({ type: 'accounting', record: e.record, server: e.server });
        return;
      case 'warning':
        this.events.push({ type: 'warning', message: e.message });
        return;
      default:
        return;
    }
  }

  private daeEvent(e: NonNullable<ReturnType<DynamicAuthorizationServer['pollEvent']>>, now: number): void {
    const s = this.find(e.session);
    if (!s) {
      this.dae!.respond(e.token, { ack: false, errorCause: ErrorCause.SESSION_CONTEXT_NOT_FOUND }, now);
      return;
    }
    if (e.type === 'coa-request') {
      this.dae!.respond(e.token, { ack: false, errorCause: ErrorCause.UNSUPPORTED_SERVICE }, now);
      return;
    }
    this.count('dae.disconnect');
    this.dae!.respond(e.token, { ack: true }, now);
    this.disconnect(s, now, AcctTerminateCause.ADMIN_RESET, 'Disconnect-Request');
  }

  private find(sel: SessionSelector): NteSession | undefined {
    if (sel.acctSessionId === undefined && sel.userName === undefined && sel.framedIpAddress === undefined) return undefined;
    const want = sel.acctSessionId === undefined ? undefined : this.acctSessionNumbers(sel.acctSessionId);
    if (sel.acctSessionId !== undefined && want === undefined) return undefined; // not an id this LNS gives
    for (const s of this.sessions()) {
      if (want && (s.acctSeq !== want.acctSeq || s.tunnelId !== want.tunnelId || s.sessionId !== want.sessionId)) continue;
      if (sel.userName !== undefined && sel.userName !== s.user) continue;
      if (sel.framedIpAddress !== undefined && sel.framedIpAddress !== s.address) continue;
      // The numbers matched: the text too (one string, for the one candidate).
      if (sel.acctSessionId !== undefined && sel.acctSessionId !== this.acctSessionId(s)) continue;
      return s;
    }
    return undefined;
  }

  private allocate(): number | undefined {
    const [first, last] = this.cfg.pool;
    const size = last - first + 1;
    for (let i = 0; i < size; i++) {
      const a = this.poolNext;
      this.poolNext = a >= last ? first : a + 1;
      if (!this.poolUsed.has(a) && !this.addressOwner.has(a) && a !== this.cfg.gateway) {
        this.poolUsed.add(a);
        return a;
      }
    }
    return undefined;
  }

  private online(s: NteSession, now: number): void {
    // IPCP renegotiated inside a live session (a Configure-Request in Opened, RFC 1661 §4.1):
    // the address is ours to give and stays the same, so the interface and the accounting do too.
    if (s.state === 'up') return this.count('ipcp.renegotiated');
    const addr = s.address!;
    s.ifIndex = this.router.addInterface({ kind: 'p2p', peer: addr, mtu: this.cfg.mru, mssClamp: true }, now);
    this.byIf[s.ifIndex] = s;
    // IPV6CP came up first: its routes wait for the interface.
    if (s.ipv6Up) this.subscriberRoutes6(s, true, now);
    s.state = 'up';
    s.startedAt = now;
    if (s.interimMs) s.nextInterimAt = now + s.interimMs;
    if (s.sessionTimeoutMs) s.endAt = now + s.sessionTimeoutMs;
    s.lastDataAt = now;
    this.count('sessions.up');
    this.account(s, AcctStatusType.START, now);
    this.events.push({ type: 'online', user: s.user ?? '', address: addr, dns: s.dns ?? [], tunnelId: s.tunnelId, sessionId: s.sessionId, proxyTaken: s.proxyTaken, acctSessionId: this.acctSessionId(s) });
  }

  /** The earlier of the session's Session-Timeout and Idle-Timeout deadlines. */
  private sessionLimitAt(s: NteSession): number | undefined {
    if (s.state !== 'up') return undefined;
    const idleAt = s.idleTimeoutMs !== undefined && s.lastDataAt !== undefined ? s.lastDataAt + s.idleTimeoutMs : undefined;
    if (s.endAt === undefined) return idleAt;
    return idleAt === undefined ? s.endAt : Math.min(s.endAt, idleAt);
  }

  /** Ends the session when a limit has come: Acct-Terminate-Cause Session-Timeout or Idle-Timeout (RFC 2866 §5.10). */
  private sessionLimitReached(s: NteSession, now: number): boolean {
    if (s.endAt !== undefined && s.endAt <= now) {
      this.count('sessions.session-timeout');
      this.disconnect(s, now, AcctTerminateCause.SESSION_TIMEOUT, 'Session-Timeout');
      return true;
    }
    if (s.idleTimeoutMs !== undefined && s.lastDataAt !== undefined && s.lastDataAt + s.idleTimeoutMs <= now) {
      this.count('sessions.idle-timeout');
      this.disconnect(s, now, AcctTerminateCause.IDLE_TIMEOUT, 'Idle-Timeout');
      return true;
    }
    return false;
  }

  // ---- IPv6 control plane (issue 17) --------------------------------------------------

  /**
   * The session's /64 and delegated prefix, decided with the Access-Accept as its IPv4
   * address is, so that Accounting-Start carries them: RADIUS's Framed-IPv6-Prefix (a /64)
   * and Delegated-IPv6-Prefix when it gives them and no other live session holds them, else
   * the pools'. Without a prefix the session still comes up (RAs link-local only, or
   * NoPrefixAvail): IPv6 is an addition, never a reason to refuse the subscriber.
   */
  private assignIpv6(s: NteSession, reply: AccessReply): void {
    if (!this.wanPool6 || !this.pdPool6) return;
    if (reply.badIpv6Prefixes) this.count('radius.ipv6-prefix-malformed');
    let wan = reply.framedIpv6Prefix;
    if (wan && wan.length !== 64) {
      // SLAAC needs a /64 (RFC 4862 §5.5.3 with RFC 4291 identifiers); the pool gives one instead.
      this.count('ipv6.radius-prefix-not-64');
      wan = undefined;
    }
    const w = this.takePrefix(s, this.wanPool6, wan, 'wan');
    if (w) {
      s.wanPrefix6 = w.prefix;
      s.wanFromPool6 = w.fromPool;
    }
    let pd = reply.delegatedIpv6Prefix;
    if (pd && pd.length > 64) {
      this.count('ipv6.radius-delegated-longer-than-64');
      pd = undefined;
    }
    const d = this.takePrefix(s, this.pdPool6, pd, 'pd');
    if (d) {
      s.delegatedPrefix6 = d.prefix;
      s.pdFromPool6 = d.fromPool;
    }
  }

  /** RADIUS's prefix when free (held in the pool too when it lies there), else one leased from the pool. */
  private takePrefix(s: NteSession, pool: PrefixPool6, given: Ipv6Prefix | undefined, what: 'wan' | 'pd'): { prefix: Ipv6Prefix; fromPool: boolean } | undefined {
    if (given) {
      const key = prefixKey(given);
      const owner = this.prefixOwner6.get(key);
      if (owner && owner !== s) this.count(`ipv6.${what}-prefix-in-use`);
      else {
        const fromPool = pool.leaseExact(given);
        this.prefixOwner6.set(key, s);
        return { prefix: given, fromPool };
      }
    }
    // A pool prefix may still be held by a session whose RADIUS gave it (leaseExact above
    // makes that impossible for prefixes in the pool); the owner map is the last word.
    for (let tries = 0; tries < 4; tries++) {
      const p = pool.lease();
      if (!p) {
        this.count(`ipv6.${what}-pool-exhausted`);
        return undefined;
      }
      const key = prefixKey(p);
      if (this.prefixOwner6.has(key)) {
        this.count(`ipv6.${what}-pool-prefix-held`);
        continue;
      }
      this.prefixOwner6.set(key, s);
      return { prefix: p, fromPool: true };
    }
    return undefined;
  }

  private assignFromPool(s: NteSession, what: 'wan' | 'pd'): void {
    const p = this.takePrefix(s, what === 'wan' ? this.wanPool6! : this.pdPool6!, undefined, what);
    if (!p) return;
    if (what === 'wan') {
      s.wanPrefix6 = p.prefix;
      s.wanFromPool6 = true;
    } else {
      s.delegatedPrefix6 = p.prefix;
      s.pdFromPool6 = true;
    }
  }

  /** Session end: both prefixes back (to the pool when they came from it), owners forgotten. */
  private freeIpv6(s: NteSession): void {
    const free = (p: Ipv6Prefix | undefined, fromPool: boolean | undefined, pool: PrefixPool6 | undefined) => {
      if (!p) return;
      const key = prefixKey(p);
      if (this.prefixOwner6.get(key) === s) this.prefixOwner6.delete(key);
      if (fromPool) pool?.release(p);
    };
    free(s.wanPrefix6, s.wanFromPool6, this.wanPool6);
    free(s.delegatedPrefix6, s.pdFromPool6, this.pdPool6);
    s.wanFromPool6 = false;
    s.pdFromPool6 = false;
  }

  /** IPV6CP Opened: RAs start on the link, the DHCPv6 server serves it, routes go in. */
  private ipv6Up(s: NteSession, n: Ipv6cpNegotiated, now: number): void {
    if (!this.raCfg || !this.dhcpv6 || s.ended) return;
    if (s.ipv6Up) return this.count('ipv6cp.renegotiated');
    // A pool that was empty at the Access-Accept may have a prefix now (another session ended).
    if (!s.wanPrefix6 && this.wanPool6) this.assignFromPool(s, 'wan');
    if (!s.delegatedPrefix6 && this.pdPool6) this.assignFromPool(s, 'pd');
    if (!n.localLinkLocal) this.count('ipv6cp.no-local-identifier');
    s.localLinkLocal6 = n.localLinkLocal ?? FALLBACK_LINK_LOCAL;
    if (n.peerLinkLocal) s.peerLinkLocal6 = n.peerLinkLocal;
    // Plain literals with every field (undefined when absent): a literal built from conditional
    // spreads gets a hidden class and a property array of its own, per session.
    s.ra = new RouterAdvertiser(this.raCfg, { source: s.localLinkLocal6, prefix: s.wanPrefix6, mtu: this.cfg.mru, dns: this.cfg.ipv6!.dns }, this.counters);
    s.ra.start(now);
    const wan = s.wanPrefix6;
    this.dhcpv6.openLink(s, { delegated: s.delegatedPrefix6, onLink: wan, address: wan ? dhcpv6Address(wan.prefix, n.peerIdentifier) : undefined });
    s.ipv6Up = true;
    this.count('ipv6.up');
    this.subscriberRoutes6(s, true, now);
    this.events.push({
      type: 'ipv6-up', user: s.user ?? '', acctSessionId: this.acctSessionId(s),
      ...(s.wanPrefix6 ? { wanPrefix: ipv6PrefixToString(s.wanPrefix6) } : {}),
      ...(s.delegatedPrefix6 ? { delegatedPrefix: ipv6PrefixToString(s.delegatedPrefix6) } : {}),
    });
    this.dirty.add(s);
  }

  /** IPV6CP down or the session ending: no more RAs or DHCPv6 on the link, routes out. The prefixes stay the session's until it ends. */
  private ipv6Down(s: NteSession, now: number): void {
    if (!s.ipv6Up) return;
    s.ipv6Up = false;
    s.ra?.stop();
    s.ra = undefined;
    this.dhcpv6?.closeLink(s);
    this.count('ipv6.down');
    this.subscriberRoutes6(s, false, now);
  }

  /**
   * An IPv6 packet from the subscriber: Router Solicitations and DHCPv6 (UDP 547 to
   * ff02::1:2 or our link-local) are ours and answered here; true when taken. Every IPv6
   * packet counts in the IPv6 share of the session's octets; the ones taken here also in the
   * totals (the data path counts the others).
   */
  private fromSubscriber6(s: NteSession, packet: Uint8Array, now: number): boolean {
    s.in6Octets = (s.in6Octets ?? 0) + packet.length;
    s.in6Packets = (s.in6Packets ?? 0) + 1;
    if (!this.intercept6(s, packet, now)) return false;
    // The data path counts the rest in the totals.
    s.inOctets += packet.length;
    s.inPackets++;
    return true;
  }

  private intercept6(s: NteSession, packet: Uint8Array, now: number): boolean {
    if (packet.length < 40 || packet[0]! >> 4 !== 6) return false;
    // The source (octets 8..23): the home's global address, once, from any packet of the /64.
    const wan = s.wanPrefix6;
    if (!s.address6 && wan && prefixMatches64(packet.subarray(8, 16), wan.prefix)) s.address6 = keptBytes(packet.subarray(8, 24));
    // Data packets (TCP, ...) cost one octet test here: only ICMPv6, UDP or an extension header can be ours.
    const nh = packet[6]!;
    if (nh !== NextHeader.ICMPV6 && nh !== NextHeader.UDP && !isExtensionHeader(nh)) return false;
    const ip = parseIpv6(packet);
    if (!ip.ok) return false;
    const { src, dst } = ip.value;
    const up = ipv6UpperLayer(ip.value);
    if (!up.ok || up.value.fragment) return false;
    const data = up.value.data;
    if (up.value.protocol === NextHeader.ICMPV6 && data[0] === Icmpv6Type.ROUTER_SOLICITATION) {
      if (!s.ra) this.count('ra.rs-drop.no-ipv6');
      else s.ra.handleSolicitation(src, dst, ip.value.hopLimit, data, now);
      this.dirty.add(s);
      return true;
    }
    if (up.value.protocol !== NextHeader.UDP || !this.dhcpv6) return false;
    const udp = parseUdp(data);
    if (!udp.ok || udp.value.dstPort !== DHCPV6_SERVER_PORT) return false;
    const multicast = bytesEqual16(dst, ALL_DHCP_SERVERS);
    if (!multicast && !(s.localLinkLocal6 && bytesEqual16(dst, s.localLinkLocal6))) return false;
    // RFC 8200 §8.1: the UDP checksum is mandatory over IPv6.
    let c = ipv6UpperChecksum(src, dst, NextHeader.UDP, data, 0, 8 + udp.value.payload.length, 6);
    if (c === 0) c = 0xffff;
    if (udp.value.checksum !== c) {
      this.count('dhcpv6.drop.udp-checksum');
      return true;
    }
    if (!s.ipv6Up) {
      this.count('dhcpv6.drop.no-ipv6');
      return true;
    }
    this.dhcpv6.handle(s, src, multicast, udp.value.payload, now);
    return true;
  }

  /** DHCPv6 answers to their sessions' links (from our link-local there, to port 546); bindings counted. */
  private serviceDhcpv6(server: Dhcpv6Server<NteSession>, now: number): boolean {
    let busy = false;
    void now;
    for (let t = server.pollTransmit(); t; t = server.pollTransmit()) {
      busy = true;
      const s = t.link;
      if (s.ended || !s.localLinkLocal6) {
        this.count('dhcpv6.drop.session-gone');
        continue;
      }
      this.sendIpv6(s, udp6Packet({ src: s.localLinkLocal6, dst: t.dst }, DHCPV6_SERVER_PORT, DHCPV6_CLIENT_PORT, encodeInCell(dhcpv6, t.message), 4));
    }
    for (let e = server.pollEvent(); e; e = server.pollEvent()) {
      busy = true;
      this.count(`dhcpv6.event.${e.type}`);
      // RFC 6911 Framed-IPv6-Address: the address DHCPv6 gave, unless one was seen in use first.
      if (e.type === 'address-bound' && !e.link.address6) e.link.address6 = e.address;
    }
    return busy;
  }

  /** An IPv6 packet built with 4 octets of headroom, as a PPP frame (FF 03 00 57) on the session. */
  private sendIpv6(s: NteSession, buf: Uint8Array): void {
    buf[0] = 0xff;
    buf[1] = 0x03;
    buf[2] = 0x00;
    buf[3] = 0x57;
    this.countOut(s, buf.length - 4, true);
    this.l2tp.sendData(s.call, buf);
  }

  /** Octets toward the subscriber: both families in Acct-Output-* (RFC 2866), the IPv6 share apart for `show sessions`. */
  private countOut(s: NteSession, octets: number, ipv6: boolean): void {
    s.outOctets += octets;
    s.outPackets++;
    if (ipv6) {
      s.out6Octets = (s.out6Octets ?? 0) + octets;
      s.out6Packets = (s.out6Packets ?? 0) + 1;
    }
  }

  /**
   * RFC 3162 §2.3 Framed-IPv6-Prefix, RFC 4818 §3 Delegated-IPv6-Prefix ("MAY appear in an
   * Accounting-Request"), RFC 6911 §3.1 Framed-IPv6-Address once the home's address is known.
   */
  private accountingAttributes6(s: NteSession): { attributes?: RadiusAttribute[] } {
    const out: RadiusAttribute[] = [];
    if (s.wanPrefix6) out.push({ type: A.FRAMED_IPV6_PREFIX, data: ipv6PrefixValue(s.wanPrefix6.prefix, s.wanPrefix6.length) });
    if (s.delegatedPrefix6) out.push({ type: A.DELEGATED_IPV6_PREFIX, data: ipv6PrefixValue(s.delegatedPrefix6.prefix, s.delegatedPrefix6.length) });
    if (s.address6) out.push({ type: A.FRAMED_IPV6_ADDRESS, data: s.address6 });
    return out.length ? { attributes: out } : {};
  }

  private account(s: NteSession, statusType: number, now: number, cause?: number): void {
    const input: Parameters<RadiusClient['account']>[0] = {
      statusType,
      sessionId: this.acctSessionId(s),
      ...(s.user !== undefined ? { userName: s.user } : {}),
      nasPort: s.call,
      nasPortId: `${s.tunnelId}/${s.sessionId}`,
      ...this.callingIds(s),
      ...(s.address !== undefined ? { framedIpAddress: s.address } : {}),
      ...(s.class?.length ? { class: s.class } : {}),
      ...(statusType !== AcctStatusType.START
        ? { sessionTime: Math.floor((now - (s.startedAt ?? now)) / 1000), inputOctets: s.inOctets, outputOctets: s.outOctets, inputPackets: s.inPackets, outputPackets: s.outPackets }
        : {}),
      ...(cause !== undefined ? { terminateCause: cause } : {}),
      ...(this.accountingAttributes6(s)),
    };
    this.radius.account(input, now);
  }

  /** Ends a session once: CDN (when `cdn`), route and interface removed, address back to the pool, Accounting-Stop if it was up. */
  private end(s: NteSession, now: number, cause: number, reason: string, cdn: boolean): void {
    if (s.ended) return;
    s.ended = true;
    this.live--;
    this.timers.remove(s);
    if (s.radiusToken !== undefined) this.byToken.delete(s.radiusToken);
    if (cdn) this.l2tp.closeSession(s.call, now, { result: CdnResult.ADMINISTRATIVE, message: reason });
    if (s.ifIndex !== undefined) {
      this.router.removeInterface(s.ifIndex, now);
      this.byIf[s.ifIndex] = undefined;
    }
    if (s.state === 'up') this.account(s, AcctStatusType.STOP, now, cause);
    if (s.ipv6Up) this.ipv6Down(s, now);
    this.freeIpv6(s);
    if (s.fromPool && s.address !== undefined) this.poolUsed.delete(s.address);
    if (s.address !== undefined && this.addressOwner.get(s.address) === s) this.addressOwner.delete(s.address);
    s.state = 'closing';
    this.count('sessions.ended');
    const { tunnelId, sessionId, user } = s;
    this.events.push(user !== undefined ? { type: 'session-ended', tunnelId, sessionId, cause, reason, user } : { type: 'session-ended', tunnelId, sessionId, cause, reason });
  }
}

/**
 * The Acct-Terminate-Cause (RFC 2866 §5.10) of a call the L2TP layer ended. The LAC's CDN
 * says who ended it: a Q.931 "normal call clearing" cause is the home hanging up (PADT:
 * User-Request, as accel-ppp accounts a PADT), Result 3 the carrier's administrative
 * disconnect (Admin-Reset), Result 1 a lost line (Lost-Carrier). A StopCCN from the LAC with
 * the call still in it is Lost-Service; a tunnel that stopped answering is Lost-Carrier.
 */
function l2tpTerminateCause(s: NteSession, e: { readonly reason: string; readonly result?: { readonly result: number }; readonly cause?: { readonly cause: number } }): number {
  if (s.localCause !== undefined) return s.localCause;
  if (s.peerTerminated) return AcctTerminateCause.USER_REQUEST;
  if (e.reason === 'peer-cdn') {
    if (e.cause?.cause === Q931_NORMAL_CLEARING) return AcctTerminateCause.USER_REQUEST;
    if (e.result?.result === CdnResult.ADMINISTRATIVE) return AcctTerminateCause.ADMIN_RESET;
    if (e.result?.result === CdnResult.LOST_CARRIER) return AcctTerminateCause.LOST_CARRIER;
    return AcctTerminateCause.LOST_SERVICE;
  }
  if (e.reason === 'tunnel-peer-stopccn') return AcctTerminateCause.LOST_SERVICE;
  return AcctTerminateCause.LOST_CARRIER;
}

function bytesEqual16(a: Uint8Array, b: Uint8Array): boolean {
  for (let i = 0; i < 16; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The upper 64 bits of `a` are `prefix`'s (a /64). */
function prefixMatches64(a: Uint8Array, prefix: Uint8Array): boolean {
  for (let i = 0; i < 8; i++) if (a[i] !== prefix[i]) return false;
  return true;
}

/**
 * The one IA_NA address of a link: the /64 and the interface identifier ::1, or ::2 when the
 * home's IPV6CP identifier is ::1 (its SLAAC address would be the same).
 */
function dhcpv6Address(prefix: Uint8Array, peerIdentifier: Uint8Array | undefined): Uint8Array {
  const a = new Uint8Array(16);
  a.set(prefix.subarray(0, 8));
  const one = peerIdentifier !== undefined && peerIdentifier.every((b, i) => b === (i === 7 ? 1 : 0));
  a[15] = one ? 2 : 1;
  return keptBytes(a); // for the session's life: a slab copy
}
