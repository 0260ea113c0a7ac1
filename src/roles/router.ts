/**
 * The IPv4 router (RFC 1812), sans-IO. Frames go in with `handle(ifIndex, frame, now)`
 * and come out of `pollTransmit()`; timers are `nextTimeout()` / `handleTimeout(now)`.
 * Interfaces are Ethernet (ARP-resolved next hops, frames with an Ethernet II header) or
 * point-to-point (PPP sessions, tunnels: bare IPv4 packets, no link addresses), so the LNS
 * can plug each subscriber in as one p2p interface with its /32.
 *
 * The forwarding path does not copy: it checks the header, decrements TTL with RFC 1624,
 * clamps a SYN's MSS and rewrites the Ethernet addresses in the frame it was given, and
 * hands that same buffer (or a subarray) out. `handle` therefore takes ownership of the
 * frame: the caller must not reuse its bytes. The one copy is p2p → Ethernet, which needs
 * 14 bytes in front of the packet. Everything else (ICMP, ARP, fragments) is built fresh.
 * A route of kind 'unreachable' (an LNS's pools) is never forwarded along: its packets get
 * Destination Unreachable (IPv4 Host Unreachable, IPv6 Address Unreachable).
 *
 * IPv6 (RFC 8200) runs beside it on the same interfaces: EtherType 0x86dd on Ethernet, the
 * version nibble on p2p. Hop Limit is decremented in place (IPv6 has no header checksum); a
 * packet too big for the next link gets ICMPv6 Packet Too Big, never fragmentation (§5);
 * link-local sources and destinations are never forwarded (RFC 4291 §2.5.6); ICMPv6 errors
 * follow RFC 4443 §2.4 (not about errors, multicast or unspecified sources; a token bucket
 * of their own). Ethernet next hops are resolved by NDP (src/proto/ndp-cache.ts); routes
 * are an `Lpm6` (src/proto/lpm6.ts) of route ids.
 */
import { ArpCache, type ArpEntryView, type ArpOptions, type ArpCounters } from '../proto/arp-cache.js';
import { NO_INTERFACE, RouteKindCode, RouteTable, type RouteKind, type RouteView } from '../proto/routes.js';
import { parseArp } from '../wire/arp.js';
import { ipv4ToString, macToString, u16, u32 } from '../wire/bytes.js';
import { internetChecksum } from '../wire/checksum.js';
import { EtherType, isTpid, macEquals } from '../wire/ethernet.js';
import { IcmpType, isIcmpError, parseIcmp, TimeExceededCode, UnreachCode, type IcmpMessage } from '../wire/icmp.js';
import { fragmentIpv4, IpProtocol, prefixMask, ttlDecrement } from '../wire/ipv4.js';
import { arpFrame, icmpPacket } from '../wire/packets.js';
import { clampMss, TcpFlag } from '../wire/tcp.js';
import { NdpCache, type NdpCounters, type NdpEntryView, type NdpOptions } from '../proto/ndp-cache.js';
import { RouteTable6 } from '../proto/routes6.js';
import { Icmpv6TimeExceededCode, Icmpv6Type, Icmpv6UnreachCode, icmpv6ChecksumOk, ICMPV6_MAX_QUOTE, isIcmpv6Error, parseIcmpv6, type Icmpv6Message } from '../wire/icmpv6.js';
import { ipv6ToString, NextHeader, walkIpv6 } from '../wire/ipv6.js';
import { icmpv6Packet, ndpPacket } from '../wire/ipv6-packets.js';
import { parseNdp } from '../wire/ndp.js';
import { packetBuffer, widenAt } from '../wire/packet-buffer.js';

const ETH = 14;
/** RFC 1812 §4.3.2.3: an ICMP error holds as much of the datagram as fits in 576 octets. */
const ICMP_ERROR_MAX = 576;

export interface EthernetInterfaceConfig {
  readonly kind: 'ethernet';
  readonly name: string;
  readonly mac: Uint8Array;
  readonly address: number;
  readonly prefixLength: number;
  /** IP MTU, default 1500. */
  readonly mtu?: number;
  /** Clamp the MSS of TCP SYNs crossing this interface: true = MTU − 40, or a value. Default false. */
  readonly mssClamp?: boolean | number;
  /** Start down (no routes, no ARP) until `setUp`. Default false. */
  readonly down?: boolean;
  /** An IPv6 address (and its prefix length, default 64): as `setAddress6`. */
  readonly address6?: Uint8Array;
  readonly prefixLength6?: number;
}

export interface PointToPointInterfaceConfig {
  readonly kind: 'p2p';
  /** Absent: named by `nameInterfaces` when shown (a subscriber's interface keeps no string of its own). */
  readonly name?: string;
  /** Our address on the link; absent = unnumbered (ICMP from it uses the router's first address). */
  readonly address?: number;
  /** The far end: a connected /32 to it is installed. */
  readonly peer?: number;
  /** A connected prefix on the link (numbered links), with `address`. */
  readonly prefixLength?: number;
  /** IP MTU, default 1500 (1454 for a FLET'S PPPoE session). */
  readonly mtu?: number;
  /** PPP-facing: clamp SYN MSS to MTU − 40 by default. */
  readonly mssClamp?: boolean | number;
  readonly down?: boolean;
}

export type InterfaceConfig = EthernetInterfaceConfig | PointToPointInterfaceConfig;

export interface RouterOptions {
  readonly arp?: Partial<ArpOptions>;
  /** ICMP error token bucket (RFC 1812 §4.3.2.8). Default 1000/s, burst 50. */
  readonly icmpRate?: { readonly perSecond: number; readonly burst: number };
  /** TTL of packets the router originates. Default 64. */
  readonly ttl?: number;
  readonly ndp?: Partial<NdpOptions>;
  /** ICMPv6 error token bucket (RFC 4443 §2.4 (f)). Default as `icmpRate`. */
  readonly icmp6Rate?: { readonly perSecond: number; readonly burst: number };
  /** Hop Limit of IPv6 packets the router originates. Default 64. */
  readonly hopLimit?: number;
  /** Bound on the IPv6 routes (the LPM's size). Default 2,097,152. */
  readonly maxRoutes6?: number;
}

export interface Router6Drops {
  /** Shorter than an IPv6 header. */
  truncated: number;
  /** Payload Length beyond the bytes received. */
  payloadLength: number;
  /** Multicast, loopback or (when forwarding) unspecified source (RFC 4291 §2.5.2, §2.7). */
  martianSource: number;
  /** Unspecified or loopback destination. */
  martianDestination: number;
  /** A link-local source or destination: never forwarded (RFC 4291 §2.5.6). */
  linkLocal: number;
  /** A multicast destination that is not ours, or unicast inside a link-layer multicast. */
  notForwardable: number;
  hopLimitExceeded: number;
  noRoute: number;
  /** The longest match was an unreachable route (an LNS pool prefix no session holds): Address Unreachable. */
  unreachableRoute: number;
  /** Bigger than the next link's MTU: Packet Too Big, no fragmentation (RFC 8200 §5). */
  tooBig: number;
  /** Could not wait for NDP: a bound was hit (details in `ndp.drops`). */
  ndpQueueFull: number;
  /** Waited for NDP, which failed. */
  ndpFailed: number;
  /** An NDP message that did not parse. */
  ndpMalformed: number;
  /** Extension headers of a packet for us that did not walk. */
  extensionHeaders: number;
  /** A fragment for the router itself (no reassembly). */
  localFragment: number;
  /** For us, a protocol or message the router does not serve. */
  localUnsupported: number;
  icmpMalformed: number;
  icmpChecksum: number;
  /** A packet the router originated had no route. */
  noRouteLocal: number;
  /** A packet the router originated was bigger than its link's MTU. */
  localTooBig: number;
}

export interface Router6Counters {
  forwarded: number;
  localIn: number;
  localOut: number;
  /** p2p → Ethernet forwards, which copy the packet to make room for the Ethernet header. */
  headroomCopies: number;
  /** Echo Replies to the router's own ping6. */
  echoRepliesReceived: number;
  icmpOut: { echoReply: number; timeExceeded: number; noRoute: number; beyondScope: number; addressUnreachable: number; portUnreachable: number; packetTooBig: number };
  /** ICMPv6 errors not sent, by the RFC 4443 §2.4 (e) rules or the (f) rate limit. */
  icmpSuppressed: { aboutIcmpError: number; multicast: number; badSource: number; rateLimited: number };
  drops: Router6Drops;
}

export interface RouterDrops {
  /** Arrived on an interface that is down or gone. */
  ifaceDown: number;
  /** Ethernet unicast for another station. */
  otherHost: number;
  /** EtherType neither IPv4 nor ARP. */
  ethertype: number;
  /** 802.1Q-tagged frame (router interfaces are untagged). */
  vlan: number;
  /** Shorter than an Ethernet or IPv4 header. */
  truncated: number;
  ipv4Version: number;
  /** IHL below 5 or beyond the bytes received. */
  ipv4HeaderLength: number;
  /** Total Length below the header length. */
  ipv4TotalLength: number;
  /** Total Length beyond the bytes received. */
  ipv4Truncated: number;
  ipv4Checksum: number;
  /** Source 0/8, 127/8, multicast, limited broadcast (RFC 1812 §5.3.7). */
  martianSource: number;
  /** Destination 0/8 or 127/8. */
  martianDestination: number;
  /** Multicast, broadcast, or IPv4 unicast inside a link-layer broadcast (RFC 1812 §5.3.4). */
  notForwardable: number;
  ttlExceeded: number;
  noRoute: number;
  /** The longest match was an unreachable route (an LNS pool address no session holds): Host Unreachable. */
  unreachableRoute: number;
  /** Too big for the next hop with DF set. */
  fragNeeded: number;
  /** Could not wait for ARP: a queue bound was hit (details in `arp.drops`). */
  arpQueueFull: number;
  /** Waited for ARP, which failed. */
  arpFailed: number;
  arpMalformed: number;
  /** A fragment for the router itself (no reassembly). */
  localFragment: number;
  /** For the router, a protocol it does not serve (TCP, ...). */
  localUnsupported: number;
  icmpMalformed: number;
  icmpChecksum: number;
  /** A packet the router originated had no route. */
  noRouteLocal: number;
}

export interface RouterCounters {
  rxFrames: number;
  txFrames: number;
  forwarded: number;
  /** Packets for the router's own addresses. */
  localIn: number;
  /** Packets the router originated (ICMP). */
  localOut: number;
  packetsFragmented: number;
  fragmentsCreated: number;
  mssClamped: number;
  /** p2p → Ethernet forwards, which copy the packet to make room for the Ethernet header. */
  headroomCopies: number;
  icmpOut: { echoReply: number; timeExceeded: number; netUnreachable: number; hostUnreachable: number; fragNeeded: number; portUnreachable: number; protocolUnreachable: number };
  /** ICMP errors not sent, by the RFC 1812 §4.3.2.7 rule or the rate limit. */
  icmpSuppressed: { aboutIcmpError: number; nonFirstFragment: number; broadcast: number; badSource: number; rateLimited: number };
  drops: RouterDrops;
}

export interface InterfaceView {
  readonly ifIndex: number;
  readonly name: string;
  readonly kind: 'ethernet' | 'p2p';
  readonly mac: string | undefined;
  readonly address: string | undefined;
  readonly prefixLength: number | undefined;
  readonly peer: string | undefined;
  readonly mtu: number;
  readonly mssClamp: number | undefined;
  /** IPv6 address and its prefix length, and the link-local (Ethernet), when IPv6 is on. */
  readonly address6?: string;
  readonly prefixLength6?: number;
  readonly linkLocal6?: string;
  readonly up: boolean;
  readonly rxFrames: number;
  readonly txFrames: number;
  readonly rxBytes: number;
  readonly txBytes: number;
}

export interface RouteLine extends RouteView {
  readonly interface: string;
}

/** A frame to send on interface `ifIndex`. */
export interface Transmit {
  readonly ifIndex: number;
  readonly frame: Uint8Array;
}

/**
 * One interface. Its IPv4 addresses are held as signed 32-bit values: a field that ever holds
 * one of 2^31 or more (192.0.2.1) keeps every interface's value in a heap number box of its
 * own; the accessors give them unsigned. A subscriber's interface has no name of its own
 * unless given one: the router's namer names it when it is shown.
 */
class Iface {
  private readonly address32: number;
  private readonly peer32: number;
  addr6: Uint8Array | undefined = undefined;
  /** fe80::/64 + modified EUI-64 of the MAC (RFC 4291 §2.5.1), Ethernet only, once IPv6 is on. */
  ll6: Uint8Array | undefined = undefined;
  rxFrames = 0;
  txFrames = 0;
  rxBytes = 0;
  txBytes = 0;
  /**
   * The small settings in one integer (a subscriber interface per session): Ethernet (bit 0),
   * up (1), the IPv4 prefix length (2–7) and the IPv6 one (8–15).
   */
  private flags: number;
  /** The MTU (bits 0–15) and the MSS clamp (16–31, 0 = none) in one integer. */
  private readonly sizes: number;

  constructor(
    readonly index: number,
    readonly name: string | undefined,
    eth: boolean,
    readonly mac: Uint8Array,
    address: number, // 0 = none
    prefixLength: number,
    peer: number,
    mtu: number,
    /** MSS clamp value, 0 = none. */
    clamp: number,
  ) {
    this.address32 = address | 0;
    this.peer32 = peer | 0;
    this.flags = (eth ? 1 : 0) | ((prefixLength & 0x3f) << 2) | (128 << 8);
    this.sizes = (mtu & 0xffff) | ((clamp & 0xffff) << 16);
  }

  get address(): number {
    return this.address32 >>> 0;
  }

  get peer(): number {
    return this.peer32 >>> 0;
  }

  get eth(): boolean {
    return (this.flags & 1) !== 0;
  }

  get up(): boolean {
    return (this.flags & 2) !== 0;
  }
  set up(v: boolean) {
    this.flags = v ? this.flags | 2 : this.flags & ~2;
  }

  get prefixLength(): number {
    return (this.flags >> 2) & 0x3f;
  }

  get prefix6(): number {
    return (this.flags >> 8) & 0xff;
  }
  set prefix6(n: number) {
    this.flags = (this.flags & ~0xff00) | ((n & 0xff) << 8);
  }

  get mtu(): number {
    return this.sizes & 0xffff;
  }

  get clamp(): number {
    return this.sizes >>> 16;
  }
}

const NO_MAC = new Uint8Array(6);

function isMartianSource(a: number): boolean {
  const top = a >>> 24;
  return top === 0 || top === 127 || top >= 224;
}

const LINK_LOCAL = (a: Uint8Array, o: number): boolean => a[o] === 0xfe && (a[o + 1]! & 0xc0) === 0x80;
const isZero6 = (a: Uint8Array, o: number): boolean => {
  for (let i = 0; i < 16; i++) if (a[o + i] !== 0) return false;
  return true;
};
const isLoopback6 = (a: Uint8Array, o: number): boolean => {
  for (let i = 0; i < 15; i++) if (a[o + i] !== 0) return false;
  return a[o + 15] === 1;
};

/** The link-local address of a MAC: fe80::/64 + modified EUI-64 (RFC 4291 §2.5.1, App. A; RFC 2464 §4). */
export function eui64LinkLocal(mac: Uint8Array): Uint8Array {
  return new Uint8Array([0xfe, 0x80, 0, 0, 0, 0, 0, 0, mac[0]! ^ 0x02, mac[1]!, mac[2]!, 0xff, 0xfe, mac[3]!, mac[4]!, mac[5]!]);
}

export class Router {
  readonly routes = new RouteTable();
  readonly routes6: RouteTable6;
  readonly ndp: NdpCache;
  readonly counters6: Router6Counters = {
    forwarded: 0, localIn: 0, localOut: 0, headroomCopies: 0, echoRepliesReceived: 0,
    icmpOut: { echoReply: 0, timeExceeded: 0, noRoute: 0, beyondScope: 0, addressUnreachable: 0, portUnreachable: 0, packetTooBig: 0 },
    icmpSuppressed: { aboutIcmpError: 0, multicast: 0, badSource: 0, rateLimited: 0 },
    drops: {
      truncated: 0, payloadLength: 0, martianSource: 0, martianDestination: 0, linkLocal: 0, notForwardable: 0, hopLimitExceeded: 0, noRoute: 0, unreachableRoute: 0, tooBig: 0,
      ndpQueueFull: 0, ndpFailed: 0, ndpMalformed: 0, extensionHeaders: 0, localFragment: 0, localUnsupported: 0, icmpMalformed: 0, icmpChecksum: 0, noRouteLocal: 0, localTooBig: 0,
    },
  };
  readonly arp: ArpCache;
  readonly counters: RouterCounters = {
    rxFrames: 0, txFrames: 0, forwarded: 0, localIn: 0, localOut: 0, packetsFragmented: 0, fragmentsCreated: 0, mssClamped: 0, headroomCopies: 0,
    icmpOut: { echoReply: 0, timeExceeded: 0, netUnreachable: 0, hostUnreachable: 0, fragNeeded: 0, portUnreachable: 0, protocolUnreachable: 0 },
    icmpSuppressed: { aboutIcmpError: 0, nonFirstFragment: 0, broadcast: 0, badSource: 0, rateLimited: 0 },
    drops: {
      ifaceDown: 0, otherHost: 0, ethertype: 0, vlan: 0, truncated: 0, ipv4Version: 0, ipv4HeaderLength: 0, ipv4TotalLength: 0, ipv4Truncated: 0, ipv4Checksum: 0,
      martianSource: 0, martianDestination: 0, notForwardable: 0, ttlExceeded: 0, noRoute: 0, unreachableRoute: 0, fragNeeded: 0, arpQueueFull: 0, arpFailed: 0, arpMalformed: 0,
      localFragment: 0, localUnsupported: 0, icmpMalformed: 0, icmpChecksum: 0, noRouteLocal: 0,
    },
  };
  private readonly ifs: (Iface | undefined)[] = [];
  private namer: ((ifIndex: number) => string | undefined) | undefined;
  /** ifIndexes of removed interfaces, given again (a session's p2p interface per login must not grow the table for ever). */
  private readonly freeIfs: number[] = [];
  /**
   * Frames to send, as two parallel arrays read from txHead to txTail. Drained, the indexes go
   * back to 0 and the arrays keep their length: setting it to 0 let go of the backing stores,
   * and the next frame grew new ones (two allocations and a runtime call per forwarded frame).
   */
  private readonly txIf: number[] = [];
  private readonly txFrame: (Uint8Array | undefined)[] = [];
  private txHead = 0;
  private txTail = 0;
  private readonly ttl: number;
  private readonly icmpRate: number; // tokens per ms
  private readonly icmpBurst: number;
  private icmpTokens: number;
  private icmpRefillAt = 0;
  private ipId = 1;
  private lastNow = 0;
  private readonly hopLimit: number;
  private readonly icmp6Rate: number;
  private readonly icmp6Burst: number;
  private icmp6Tokens: number;
  private icmp6RefillAt = 0;

  constructor(options: RouterOptions = {}) {
    this.arp = new ArpCache(options.arp);
    this.ndp = new NdpCache(options.ndp);
    this.routes6 = new RouteTable6(options.maxRoutes6 === undefined ? {} : { maxRoutes: options.maxRoutes6 });
    this.hopLimit = options.hopLimit ?? 64;
    const r6 = options.icmp6Rate ?? options.icmpRate;
    this.icmp6Rate = (r6?.perSecond ?? 1000) / 1000;
    this.icmp6Burst = r6?.burst ?? 50;
    this.icmp6Tokens = this.icmp6Burst;
    this.ttl = options.ttl ?? 64;
    this.icmpRate = (options.icmpRate?.perSecond ?? 1000) / 1000;
    this.icmpBurst = options.icmpRate?.burst ?? 50;
    this.icmpTokens = this.icmpBurst;
  }

  // ---- configuration -------------------------------------------------------------

  /** Adds an interface and (unless `down`) brings it up. Returns its ifIndex. */
  addInterface(c: InterfaceConfig, now: number): number {
    const index = this.freeIfs.pop() ?? this.ifs.length;
    const eth = c.kind === 'ethernet';
    const mtu = c.mtu ?? 1500;
    if (!(mtu >= 68 && mtu <= 65535)) throw new RangeError(`interface ${c.name ?? `#${index}`}: MTU ${mtu} out of 68..65535`);
    const clampOpt = c.mssClamp ?? !eth;
    const clamp = clampOpt === true ? mtu - 40 : clampOpt === false ? 0 : clampOpt;
    if (!(Number.isInteger(clamp) && clamp >= 0 && clamp <= 65535)) throw new RangeError(`interface ${c.name ?? `#${index}`}: MSS clamp ${clamp} out of 0..65535`);
    const prefixLength = c.prefixLength ?? 32;
    if (!(Number.isInteger(prefixLength) && prefixLength >= 0 && prefixLength <= 32)) throw new RangeError(`interface ${c.name ?? `#${index}`}: prefix length ${prefixLength} out of 0..32`);
    this.ifs[index] = new Iface(index, c.name, eth, eth ? new Uint8Array(c.mac) : NO_MAC, c.address ?? 0, prefixLength, eth ? 0 : (c.peer ?? 0), mtu, clamp);
    if (c.kind === 'ethernet' && c.address6) this.setAddress6(index, c.address6, c.prefixLength6 ?? 64, now);
    if (!c.down) this.setUp(index, true, now);
    return index;
  }

  /** Brings an interface up (connected and local routes, gratuitous ARP) or down (routes, ARP entries and waiting packets go). */
  setUp(ifIndex: number, up: boolean, now: number): void {
    const f = this.iface(ifIndex);
    this.lastNow = now;
    if (f.up === up) return;
    f.up = up;
    if (!up) {
      this.routes.removeInterface(ifIndex);
      this.routes6.removeInterface(ifIndex);
      if (f.eth) {
        this.arp.removeInterface(ifIndex);
        this.drainArp(now);
        if (this.ndp.hasInterface(ifIndex)) {
          this.ndp.removeInterface(ifIndex);
          this.drainNdp(now);
        }
      }
      return;
    }
    this.up6(f);
    if (f.address) {
      this.routes.add({ prefix: f.address, prefixLength: 32, ifIndex, kind: 'local' });
      if (f.prefixLength < 32) this.routes.add({ prefix: f.address, prefixLength: f.prefixLength, ifIndex, kind: 'connected' });
    }
    if (f.peer) this.routes.add({ prefix: f.peer, prefixLength: 32, ifIndex, kind: 'connected' });
    if (f.eth) {
      this.arp.addInterface(ifIndex, f.mac, f.address, f.prefixLength, now);
      this.drainArp(now);
    }
  }

  /** Takes an interface away for good (a PPP session ending): routes through it go too. */
  removeInterface(ifIndex: number, now: number): void {
    this.setUp(ifIndex, false, now);
    this.routes.removeInterface(ifIndex);
    this.routes6.removeInterface(ifIndex);
    if (this.ifs[ifIndex] === undefined) return;
    this.ifs[ifIndex] = undefined;
    this.freeIfs.push(ifIndex);
  }

  /**
   * Adds a static or runtime route. `nextHop` omitted = the destination is on the link of
   * `ifIndex`; `ifIndex` omitted = the interface of the connected subnet holding `nextHop`.
   * Returns false when a connected or local route holds the prefix. Kind 'unreachable'
   * takes neither: a packet it matches gets Host Unreachable (see `ipv4`).
   */
  addRoute(r: { prefix: number; prefixLength: number; nextHop?: number; ifIndex?: number; kind?: 'static' | 'runtime' | 'unreachable' }): boolean {
    if (r.kind === 'unreachable') return this.routes.add({ prefix: r.prefix, prefixLength: r.prefixLength, ifIndex: NO_INTERFACE, kind: 'unreachable' });
    let ifIndex = r.ifIndex;
    if (ifIndex === undefined) {
      if (!r.nextHop) throw new Error('addRoute: give nextHop or ifIndex');
      const id = this.routes.lookup(r.nextHop);
      if (id < 0 || this.routes.kindCode[id] !== RouteKindCode.CONNECTED) throw new Error(`addRoute: next hop ${ipv4ToString(r.nextHop)} is not on a connected subnet`);
      ifIndex = this.routes.ifIndex[id]!;
    }
    this.iface(ifIndex);
    return this.routes.add({ prefix: r.prefix, prefixLength: r.prefixLength, nextHop: r.nextHop ?? 0, ifIndex, kind: r.kind ?? 'static' });
  }

  removeRoute(prefix: number, prefixLength: number): boolean {
    return this.routes.remove(prefix, prefixLength);
  }

  /**
   * Gives interface `ifIndex` its IPv6 address (replacing the one it had): a local /128 and
   * the connected prefix, and on Ethernet a link-local address and NDP. Takes a copy.
   */
  setAddress6(ifIndex: number, address: Uint8Array, prefixLength: number, now: number): void {
    const f = this.iface(ifIndex);
    if (!(prefixLength >= 0 && prefixLength <= 128) || address.length !== 16) throw new RangeError(`setAddress6: bad address or prefix length ${prefixLength}`);
    // RFC 8200 §5: every link IPv6 runs on carries 1280 octets.
    if (f.mtu < 1280) throw new RangeError(`setAddress6: interface ${this.interfaceName(f.index)} has MTU ${f.mtu}, below IPv6's 1280`);
    this.lastNow = now;
    if (f.addr6) {
      this.routes6.remove(f.addr6, 128, true);
      if (f.prefix6 < 128) this.routes6.remove(f.addr6, f.prefix6, true);
    }
    f.addr6 = new Uint8Array(address);
    f.prefix6 = prefixLength;
    if (f.eth) f.ll6 ??= eui64LinkLocal(f.mac);
    if (f.up) this.up6(f);
  }

  /**
   * Adds a static or runtime IPv6 route, as `addRoute`: `nextHop` omitted = on the link of
   * `ifIndex`; `ifIndex` omitted = the interface of the connected prefix holding `nextHop`.
   * False when a connected or local route holds the prefix, or the table is full. Kind
   * 'unreachable' takes neither: a packet it matches gets Address Unreachable (see `ipv6`).
   */
  addRoute6(r: { prefix: Uint8Array; prefixLength: number; nextHop?: Uint8Array; ifIndex?: number; kind?: 'static' | 'runtime' | 'unreachable' }): boolean {
    if (r.kind === 'unreachable') return this.routes6.add({ prefix: r.prefix, prefixLength: r.prefixLength, ifIndex: NO_INTERFACE, kind: 'unreachable' });
    let ifIndex = r.ifIndex;
    if (ifIndex === undefined) {
      if (!r.nextHop) throw new Error('addRoute6: give nextHop or ifIndex');
      const id = this.routes6.lookup(r.nextHop);
      if (id < 0 || this.routes6.kindCode[id] !== RouteKindCode.CONNECTED) throw new Error(`addRoute6: next hop ${ipv6ToString(r.nextHop)} is not on a connected prefix`);
      ifIndex = this.routes6.ifIndex[id]!;
    }
    this.iface(ifIndex);
    return this.routes6.add({ prefix: r.prefix, prefixLength: r.prefixLength, ...(r.nextHop ? { nextHop: r.nextHop } : {}), ifIndex, kind: r.kind ?? 'static' });
  }

  removeRoute6(prefix: Uint8Array, prefixLength: number): boolean {
    return this.routes6.remove(prefix, prefixLength);
  }

  /** An IPv6 address of the router (the first interface's with one), for pings it sends. */
  address6(): Uint8Array | undefined {
    for (const g of this.ifs) if (g?.addr6) return g.addr6;
    return undefined;
  }

  /** Sends an ICMPv6 Echo Request the router originates (ping6 from the router); replies come from `pollEchoReply6` and count in `counters6.echoRepliesReceived`. False without a source address or a route. */
  ping6(dst: Uint8Array, identifier: number, sequence: number, size: number, now: number): boolean {
    this.lastNow = now;
    const src = this.sourceFor6(dst);
    if (!src) return false;
    const data = new Uint8Array(size).map((_, i) => i & 0xff);
    const pkt = icmpv6Packet({ src, dst, hopLimit: this.hopLimit }, { kind: 'echo', type: Icmpv6Type.ECHO_REQUEST, code: 0, checksum: 0, identifier, sequence, data }, ETH);
    return this.originate6(pkt, undefined, now);
  }

  /** Echo Replies the router received (to its own ping6), oldest first; at most 1024 wait, later ones are only counted. */
  private readonly echoReplies6: { identifier: number; sequence: number; from: string; at: number }[] = [];
  pollEchoReply6(): { identifier: number; sequence: number; from: string; at: number } | undefined {
    return this.echoReplies6.shift();
  }

  /** Connected and local IPv6 routes of an interface that is (or comes) up, and NDP on Ethernet. */
  private up6(f: Iface): void {
    if (!f.addr6) return;
    this.routes6.add({ prefix: f.addr6, prefixLength: 128, ifIndex: f.index, kind: 'local' });
    if (f.prefix6 < 128) this.routes6.add({ prefix: f.addr6, prefixLength: f.prefix6, ifIndex: f.index, kind: 'connected' });
    if (f.ll6) {
      this.routes6.add({ prefix: f.ll6, prefixLength: 128, ifIndex: f.index, kind: 'local' });
      if (this.ndp.hasInterface(f.index)) this.ndp.setAddresses(f.index, [f.addr6]);
      else this.ndp.addInterface(f.index, f.mac, f.ll6, [f.addr6]);
    }
  }

  // ---- sans-IO surface -------------------------------------------------------------

  /** One frame received on `ifIndex` (Ethernet frame, or bare IPv4 packet on p2p). Takes ownership of its bytes. */
  handle(ifIndex: number, frame: Uint8Array, now: number): void {
    this.lastNow = now;
    const f = this.ifs[ifIndex];
    const c = this.counters;
    c.rxFrames++;
    if (f === undefined || !f.up) {
      c.drops.ifaceDown++;
      return;
    }
    f.rxFrames++;
    f.rxBytes += frame.length;
    if (!f.eth) {
      if (frame.length > 0 && frame[0]! >>> 4 === 6) this.ipv6(f, frame, 0, false, now);
      else this.ipv4(f, frame, 0, false, now);
      return;
    }
    if (frame.length < ETH) {
      c.drops.truncated++;
      return;
    }
    const group = (frame[0]! & 1) !== 0;
    if (!group && !macEquals(frame, 0, f.mac)) {
      c.drops.otherHost++;
      return;
    }
    const type = (frame[12]! << 8) | frame[13]!;
    if (type === EtherType.IPV4) this.ipv4(f, frame, ETH, group, now);
    // IPv6 on Ethernet only where it is configured (an address, so a link-local and NDP).
    else if (type === EtherType.IPV6 && f.ll6 !== undefined) this.ipv6(f, frame, ETH, group, now);
    else if (type === EtherType.ARP) this.arpIn(f, frame, now);
    else if (isTpid(type)) c.drops.vlan++;
    else c.drops.ethertype++;
  }

  handleTimeout(now: number): void {
    this.lastNow = now;
    this.arp.handleTimeout(now);
    this.drainArp(now);
    this.ndp.handleTimeout(now);
    this.drainNdp(now);
  }

  nextTimeout(): number | undefined {
    const a = this.arp.nextTimeout();
    const n = this.ndp.nextTimeout();
    return a === undefined ? n : n === undefined ? a : Math.min(a, n);
  }

  pollTransmit(): Transmit | undefined {
    const h = this.txHead;
    if (h >= this.txTail) return undefined;
    const t = { ifIndex: this.txIf[h]!, frame: this.txFrame[h]! };
    this.txFrame[h] = undefined; // the frame is the receiver's now
    if (h + 1 === this.txTail) {
      this.txHead = 0;
      this.txTail = 0;
    } else this.txHead = h + 1;
    return t;
  }

  // ---- show ------------------------------------------------------------------------

  /** Names the interfaces added without a name (an LNS: a session's interface from its tunnel and session ids). */
  nameInterfaces(namer: (ifIndex: number) => string | undefined): void {
    this.namer = namer;
  }

  /** An interface's name: its own, the namer's, or `#ifIndex`. */
  interfaceName(ifIndex: number): string {
    const f = this.ifs[ifIndex];
    return f?.name ?? this.namer?.(ifIndex) ?? `#${ifIndex}`;
  }

  /** IPv4 routes, then IPv6 routes; an unreachable route's interface is '-' (it has none). */
  showRoutes(): RouteLine[] {
    const name = (i: number): string => (i === NO_INTERFACE ? '-' : this.interfaceName(i));
    return [...this.routes.show().map((r) => ({ ...r, interface: name(r.ifIndex) })), ...this.routes6.show().map((r) => ({ ...r, interface: name(r.ifIndex) }))];
  }

  /** Neighbours: ARP entries, then NDP entries. */
  showArp(now = this.lastNow): ((ArpEntryView | NdpEntryView) & { interface: string })[] {
    const name = (i: number): string => this.interfaceName(i);
    return [...this.arp.show(now).map((e) => ({ ...e, interface: name(e.ifIndex) })), ...this.ndp.show(now).map((e) => ({ ...e, interface: name(e.ifIndex) }))];
  }

  showInterfaces(): InterfaceView[] {
    return this.ifs.filter((f): f is Iface => f !== undefined).map((f) => ({
      ifIndex: f.index,
      name: this.interfaceName(f.index),
      kind: f.eth ? 'ethernet' : 'p2p',
      mac: f.eth ? macToString(f.mac) : undefined,
      address: f.address ? ipv4ToString(f.address) : undefined,
      prefixLength: f.address ? f.prefixLength : undefined,
      peer: f.peer ? ipv4ToString(f.peer) : undefined,
      mtu: f.mtu,
      mssClamp: f.clamp || undefined,
      ...(f.addr6 ? { address6: ipv6ToString(f.addr6), prefixLength6: f.prefix6 } : {}),
      ...(f.ll6 ? { linkLocal6: ipv6ToString(f.ll6) } : {}),
      up: f.up,
      rxFrames: f.rxFrames,
      txFrames: f.txFrames,
      rxBytes: f.rxBytes,
      txBytes: f.txBytes,
    }));
  }

  /** Router, ARP, IPv6 and NDP counters together, as a copy. */
  showCounters(): RouterCounters & { arp: ArpCounters; ipv6: Router6Counters; ndp: NdpCounters } {
    return structuredClone({ ...this.counters, arp: this.arp.counters, ipv6: this.counters6, ndp: this.ndp.counters });
  }

  // ---- the forwarding path ------------------------------------------------------------

  private ipv4(inIf: Iface, buf: Uint8Array, o: number, l2group: boolean, now: number): void {
    const c = this.counters;
    const d = c.drops;
    const avail = buf.length - o;
    if (avail < 20) {
      d.truncated++;
      return;
    }
    const vi = buf[o]!;
    if (vi >>> 4 !== 4) {
      d.ipv4Version++;
      return;
    }
    const hl = (vi & 0x0f) << 2;
    if (hl < 20 || hl > avail) {
      d.ipv4HeaderLength++;
      return;
    }
    const total = (buf[o + 2]! << 8) | buf[o + 3]!;
    if (total < hl) {
      d.ipv4TotalLength++;
      return;
    }
    if (total > avail) {
      d.ipv4Truncated++;
      return;
    }
    if (internetChecksum(buf, o, o + hl) !== 0) {
      d.ipv4Checksum++;
      return;
    }
    const src = u32(buf, o + 12);
    if (isMartianSource(src)) {
      d.martianSource++;
      return;
    }
    const dst = u32(buf, o + 16);
    const routes = this.routes;
    const r = dst === 0xffffffff ? -1 : routes.lookup(dst);
    if (dst === 0xffffffff || (r >= 0 && routes.kindCode[r] === RouteKindCode.LOCAL)) {
      this.local(buf, o, hl, total, src, dst, l2group, now);
      return;
    }
    if (l2group || dst >>> 28 === 0xe) {
      d.notForwardable++;
      return;
    }
    const top = dst >>> 24;
    if (top === 0 || top === 127) {
      d.martianDestination++;
      return;
    }
    if (buf[o + 8]! <= 1) {
      d.ttlExceeded++;
      this.icmpError(buf, o, IcmpType.TIME_EXCEEDED, TimeExceededCode.TTL, 0, now);
      return;
    }
    if (r < 0) {
      d.noRoute++;
      this.icmpError(buf, o, IcmpType.DEST_UNREACHABLE, UnreachCode.NET, 0, now);
      return;
    }
    const outIf = this.ifs[routes.ifIndex[r]!];
    if (outIf === undefined || !outIf.up) {
      // An unreachable route has no interface, so it is found here, off the forwarding path.
      if (routes.kindCode[r] === RouteKindCode.UNREACHABLE) {
        // RFC 1812 §5.2.7.1: the last-hop router that "has ascertained that there is no path
        // to the destination host" MUST send Host Unreachable (code 1). The LNS is the last
        // hop for its pool, and no session holds this address.
        d.unreachableRoute++;
        this.icmpError(buf, o, IcmpType.DEST_UNREACHABLE, UnreachCode.HOST, 0, now);
        return;
      }
      d.ifaceDown++;
      this.icmpError(buf, o, IcmpType.DEST_UNREACHABLE, UnreachCode.NET, 0, now);
      return;
    }
    let nh = routes.nextHop[r]!;
    if (nh === 0) {
      // Directed broadcast to a connected subnet: not forwarded (RFC 2644).
      const len = routes.len[r]!;
      if (len < 31 && routes.kindCode[r] === RouteKindCode.CONNECTED && (dst | ~prefixMask(len)) >>> 0 === dst) {
        d.notForwardable++;
        return;
      }
      nh = dst;
    }
    if (total > outIf.mtu) {
      if ((buf[o + 6]! & 0x40) !== 0) {
        d.fragNeeded++;
        this.icmpError(buf, o, IcmpType.DEST_UNREACHABLE, UnreachCode.FRAG_NEEDED, outIf.mtu, now);
        return;
      }
      this.clamp(inIf, outIf, buf, o, hl, total);
      ttlDecrement(buf, o);
      c.forwarded++;
      this.fragment(outIf, nh, buf, o, now);
      return;
    }
    if (buf[o + 9] === IpProtocol.TCP) this.clamp(inIf, outIf, buf, o, hl, total);
    ttlDecrement(buf, o);
    c.forwarded++;
    this.output(outIf, nh, buf, o, total, now);
  }

  /** TCP SYN MSS clamp when either interface asks for it (first fragments only). */
  private clamp(inIf: Iface, outIf: Iface, buf: Uint8Array, o: number, hl: number, total: number): void {
    const a = inIf.clamp;
    const b = outIf.clamp;
    if (a === 0 && b === 0) return;
    if (buf[o + 9] !== IpProtocol.TCP || (u16(buf, o + 6) & 0x1fff) !== 0 || total - hl < 20) return;
    if ((buf[o + hl + 13]! & TcpFlag.SYN) === 0) return;
    const mss = a === 0 ? b : b === 0 ? a : Math.min(a, b);
    if (clampMss(buf, o + hl, mss, total - hl) > mss) this.counters.mssClamped++;
  }

  /** Sends the IPv4 packet at buf[o, o+total) out of `outIf` towards `nh`. */
  private output(outIf: Iface, nh: number, buf: Uint8Array, o: number, total: number, now: number): void {
    if (!outIf.eth) {
      this.tx(outIf, o === 0 && buf.length === total ? buf : buf.subarray(o, o + total));
      return;
    }
    let frame: Uint8Array | undefined;
    if (o === ETH) {
      frame = buf.length === ETH + total ? buf : buf.subarray(0, ETH + total);
    } else {
      // From a point-to-point interface: the Ethernet header in front, in the packet's own headroom when it has some.
      frame = widenAt(buf, o, total, ETH);
      if (!frame) {
        frame = packetBuffer(ETH + total);
        frame.set(buf.subarray(o, o + total), ETH);
        this.counters.headroomCopies++;
      }
    }
    const m = outIf.mac;
    frame[6] = m[0]!; frame[7] = m[1]!; frame[8] = m[2]!; frame[9] = m[3]!; frame[10] = m[4]!; frame[11] = m[5]!;
    frame[12] = 0x08;
    frame[13] = 0x00;
    const mac = this.arp.lookup(outIf.index, nh, now);
    if (mac !== undefined) {
      frame[0] = mac[0]!; frame[1] = mac[1]!; frame[2] = mac[2]!; frame[3] = mac[3]!; frame[4] = mac[4]!; frame[5] = mac[5]!;
      this.tx(outIf, frame);
    } else if (!this.arp.enqueue(outIf.index, nh, frame, now)) {
      this.counters.drops.arpQueueFull++;
    }
    this.drainArp(now);
  }

  private tx(f: Iface, frame: Uint8Array): void {
    f.txFrames++;
    f.txBytes += frame.length;
    this.counters.txFrames++;
    const i = this.txTail++;
    this.txIf[i] = f.index;
    this.txFrame[i] = frame;
  }

  /** RFC 791 fragmentation (`fragmentIpv4`), each fragment sent like a forwarded packet. */
  private fragment(outIf: Iface, nh: number, buf: Uint8Array, o: number, now: number): void {
    const frags = fragmentIpv4(buf, o, outIf.mtu, ETH);
    for (const f of frags) {
      this.counters.fragmentsCreated++;
      this.output(outIf, nh, f, ETH, f.length - ETH, now);
    }
    this.counters.packetsFragmented++;
  }

  // ---- the router's own traffic -------------------------------------------------------

  private local(buf: Uint8Array, o: number, hl: number, total: number, src: number, dst: number, l2group: boolean, now: number): void {
    const c = this.counters;
    c.localIn++;
    if ((u16(buf, o + 6) & 0x3fff) !== 0) {
      c.drops.localFragment++;
      return;
    }
    const proto = buf[o + 9]!;
    const broadcast = dst === 0xffffffff || l2group;
    if (proto === IpProtocol.ICMP) {
      const body = buf.subarray(o + hl, o + total);
      const m = parseIcmp(body);
      if (!m.ok) {
        c.drops.icmpMalformed++;
        return;
      }
      if (internetChecksum(body) !== 0) {
        c.drops.icmpChecksum++;
        return;
      }
      // Echo to a broadcast is not answered (no smurf amplifier, RFC 2644).
      if (m.value.kind === 'echo' && m.value.type === IcmpType.ECHO_REQUEST && !broadcast) {
        c.icmpOut.echoReply++;
        this.originate(dst, src, { ...m.value, type: IcmpType.ECHO_REPLY, checksum: undefined }, now);
      }
      return;
    }
    if (proto === IpProtocol.UDP && !broadcast) {
      // Nothing listens: port unreachable, which ends a UDP traceroute at the router.
      c.drops.localUnsupported++;
      this.icmpError(buf, o, IcmpType.DEST_UNREACHABLE, UnreachCode.PORT, 0, now, dst);
      return;
    }
    c.drops.localUnsupported++;
    if (proto !== IpProtocol.TCP && !broadcast) this.icmpError(buf, o, IcmpType.DEST_UNREACHABLE, UnreachCode.PROTOCOL, 0, now, dst);
  }

  /**
   * An ICMP error about the datagram at buf[o...] back to its source, unless RFC 1812
   * §4.3.2.7 forbids it (about an ICMP error, a non-first fragment, a broadcast or a bad
   * source) or the token bucket is empty. `from` defaults to the address of the interface
   * the error leaves by.
   */
  private icmpError(buf: Uint8Array, o: number, type: number, code: number, mtu: number, now: number, from?: number): void {
    const s = this.counters.icmpSuppressed;
    const hl = (buf[o]! & 0x0f) << 2;
    const total = u16(buf, o + 2);
    if ((u16(buf, o + 6) & 0x1fff) !== 0) {
      s.nonFirstFragment++;
      return;
    }
    if (buf[o + 9] === IpProtocol.ICMP && (total <= hl || isIcmpError(buf[o + hl]!))) {
      s.aboutIcmpError++;
      return;
    }
    const src = u32(buf, o + 12);
    const dst = u32(buf, o + 16);
    if (dst === 0xffffffff || dst >>> 28 === 0xe) {
      s.broadcast++;
      return;
    }
    const sr = this.routes.lookup(src);
    if (isMartianSource(src) || (sr >= 0 && this.routes.kindCode[sr] === RouteKindCode.LOCAL)) {
      s.badSource++;
      return;
    }
    if (!this.takeToken(now)) {
      s.rateLimited++;
      return;
    }
    const original = buf.subarray(o, o + Math.min(total, ICMP_ERROR_MAX - 28));
    let msg: IcmpMessage;
    const out = this.counters.icmpOut;
    if (type === IcmpType.TIME_EXCEEDED) {
      out.timeExceeded++;
      msg = { kind: 'time-exceeded', code, unused: 0, original };
    } else {
      if (code === UnreachCode.FRAG_NEEDED) out.fragNeeded++;
      else if (code === UnreachCode.HOST) out.hostUnreachable++;
      else if (code === UnreachCode.PORT) out.portUnreachable++;
      else if (code === UnreachCode.PROTOCOL) out.protocolUnreachable++;
      else out.netUnreachable++;
      msg = { kind: 'dest-unreachable', code, unused: 0, nextHopMtu: mtu, original };
    }
    this.originate(from ?? this.sourceFor(src), src, msg, now);
  }

  /** Sends an ICMP message the router originates, routed like any packet. */
  private originate(from: number, to: number, msg: IcmpMessage, now: number): void {
    const r = this.routes.lookup(to);
    const outIf = r >= 0 ? this.ifs[this.routes.ifIndex[r]!] : undefined;
    if (outIf === undefined || !outIf.up || this.routes.kindCode[r] === RouteKindCode.LOCAL) {
      this.counters.drops.noRouteLocal++;
      return;
    }
    const pkt = icmpPacket({ src: from, dst: to, ttl: this.ttl, identification: this.ipId = (this.ipId + 1) & 0xffff }, msg, ETH);
    this.counters.localOut++;
    const nh = this.routes.nextHop[r]! || to;
    const total = pkt.length - ETH;
    if (total > outIf.mtu) this.fragment(outIf, nh, pkt, ETH, now);
    else this.output(outIf, nh, pkt, ETH, total, now);
  }

  /** The address ICMP errors to `dst` come from: that of the interface they leave by, else our first. */
  private sourceFor(dst: number): number {
    const r = this.routes.lookup(dst);
    const f = r >= 0 ? this.ifs[this.routes.ifIndex[r]!] : undefined;
    if (f?.address) return f.address;
    for (const g of this.ifs) if (g?.address) return g.address;
    return 0;
  }

  private takeToken(now: number): boolean {
    const dt = now - this.icmpRefillAt;
    if (dt > 0) {
      this.icmpTokens = Math.min(this.icmpBurst, this.icmpTokens + dt * this.icmpRate);
      this.icmpRefillAt = now;
    }
    if (this.icmpTokens < 1) return false;
    this.icmpTokens -= 1;
    return true;
  }

  // ---- IPv6 --------------------------------------------------------------------------------

  private ipv6(inIf: Iface, buf: Uint8Array, o: number, l2group: boolean, now: number): void {
    const c = this.counters6;
    const d = c.drops;
    const avail = buf.length - o;
    if (avail < 40) return void d.truncated++;
    if (buf[o]! >>> 4 !== 6) return void this.counters.drops.ipv4Version++;
    const total = 40 + ((buf[o + 4]! << 8) | buf[o + 5]!);
    if (total > avail) return void d.payloadLength++;
    const s = o + 8;
    const t = o + 24;
    if (buf[s] === 0xff || isLoopback6(buf, s)) return void d.martianSource++;
    if (buf[t] === 0xff) {
      if (this.ourMulticast(inIf, buf, t)) this.local6(inIf, buf, o, total, true, now);
      else d.notForwardable++;
      return;
    }
    const routes = this.routes6;
    const r = routes.lookup(buf, t);
    if (r >= 0 && routes.kindCode[r] === RouteKindCode.LOCAL) {
      this.local6(inIf, buf, o, total, l2group, now);
      return;
    }
    if (l2group) return void d.notForwardable++;
    if (isZero6(buf, t) || isLoopback6(buf, t)) return void d.martianDestination++;
    if (isZero6(buf, s)) return void d.martianSource++;
    if (LINK_LOCAL(buf, t)) return void d.linkLocal++;
    if (LINK_LOCAL(buf, s)) {
      // RFC 4007 §9 / RFC 4443 §3.1: the destination is beyond the scope of the source.
      d.linkLocal++;
      this.icmp6Error(inIf, buf, o, Icmpv6Type.DEST_UNREACHABLE, Icmpv6UnreachCode.BEYOND_SCOPE, 0, now);
      return;
    }
    if (buf[o + 7]! <= 1) {
      d.hopLimitExceeded++;
      this.icmp6Error(inIf, buf, o, Icmpv6Type.TIME_EXCEEDED, Icmpv6TimeExceededCode.HOP_LIMIT, 0, now);
      return;
    }
    if (r < 0) {
      d.noRoute++;
      this.icmp6Error(inIf, buf, o, Icmpv6Type.DEST_UNREACHABLE, Icmpv6UnreachCode.NO_ROUTE, 0, now);
      return;
    }
    const outIf = this.ifs[routes.ifIndex[r]!];
    if (outIf === undefined || !outIf.up) {
      if (routes.kindCode[r] === RouteKindCode.UNREACHABLE) {
        // RFC 4443 §3.1: code 0 is for "lack of a matching entry in the forwarding node's
        // routing table" and "can occur only in nodes that do not hold a default route"; the
        // LNS holds ::/0 and this packet matched its pool entry. The failure to deliver to the
        // address is "any other reason": code 3, Address Unreachable (IPv4's Host Unreachable).
        d.unreachableRoute++;
        this.icmp6Error(inIf, buf, o, Icmpv6Type.DEST_UNREACHABLE, Icmpv6UnreachCode.ADDRESS, 0, now);
        return;
      }
      this.counters.drops.ifaceDown++;
      this.icmp6Error(inIf, buf, o, Icmpv6Type.DEST_UNREACHABLE, Icmpv6UnreachCode.NO_ROUTE, 0, now);
      return;
    }
    if (total > outIf.mtu) {
      d.tooBig++;
      this.icmp6Error(inIf, buf, o, Icmpv6Type.PACKET_TOO_BIG, 0, outIf.mtu, now);
      return;
    }
    buf[o + 7] = buf[o + 7]! - 1;
    c.forwarded++;
    if (routes.hasNextHop[r]) this.output6(outIf, routes.nextHop, r * 16, buf, o, total, now);
    else this.output6(outIf, buf, t, buf, o, total, now);
  }

  /** ff02::1, ff02::2, or the solicited-node address of one of the interface's addresses (RFC 4291 §2.7.1). */
  private ourMulticast(f: Iface, b: Uint8Array, t: number): boolean {
    if (b[t + 1] !== 0x02) return false;
    for (let i = 2; i < 11; i++) if (b[t + i] !== 0) return false;
    if (b[t + 11] === 0 && b[t + 12] === 0 && b[t + 13] === 0 && b[t + 14] === 0) return b[t + 15] === 1 || b[t + 15] === 2;
    if (b[t + 11] !== 1 || b[t + 12] !== 0xff) return false;
    const m = (a: Uint8Array | undefined): boolean => a !== undefined && a[13] === b[t + 13] && a[14] === b[t + 14] && a[15] === b[t + 15];
    return m(f.addr6) || m(f.ll6);
  }

  /** Sends the IPv6 packet at buf[o, o+total) out of `outIf` toward the neighbour at nh[no, no+16). */
  private output6(outIf: Iface, nh: Uint8Array, no: number, buf: Uint8Array, o: number, total: number, now: number): void {
    if (!outIf.eth) {
      this.tx(outIf, o === 0 && buf.length === total ? buf : buf.subarray(o, o + total));
      return;
    }
    let frame: Uint8Array | undefined;
    if (o === ETH) {
      frame = buf.length === ETH + total ? buf : buf.subarray(0, ETH + total);
    } else {
      frame = widenAt(buf, o, total, ETH);
      if (frame) {
        // The packet stays where it is: a neighbour address inside it is still at the same bytes.
        if (nh === buf) {
          nh = frame;
          no += ETH - o;
        }
      } else {
        // The neighbour's address may be in the packet itself: read it before the packet moves.
        if (nh === buf) {
          nh = buf.slice(no, no + 16);
          no = 0;
        }
        frame = packetBuffer(ETH + total);
        frame.set(buf.subarray(o, o + total), ETH);
        this.counters6.headroomCopies++;
      }
    }
    const m = outIf.mac;
    frame[6] = m[0]!; frame[7] = m[1]!; frame[8] = m[2]!; frame[9] = m[3]!; frame[10] = m[4]!; frame[11] = m[5]!;
    frame[12] = 0x86;
    frame[13] = 0xdd;
    const mac = this.ndp.lookup(outIf.index, nh, no, now);
    if (mac !== undefined) {
      frame[0] = mac[0]!; frame[1] = mac[1]!; frame[2] = mac[2]!; frame[3] = mac[3]!; frame[4] = mac[4]!; frame[5] = mac[5]!;
      this.tx(outIf, frame);
    } else if (!this.ndp.enqueue(outIf.index, nh, no, frame, now)) {
      this.counters6.drops.ndpQueueFull++;
    }
    this.drainNdp(now);
  }

  private local6(inIf: Iface, buf: Uint8Array, o: number, total: number, multicast: boolean, now: number): void {
    const c = this.counters6;
    const d = c.drops;
    c.localIn++;
    const payload = buf.subarray(o + 40, o + total);
    const w = walkIpv6(buf[o + 6]!, payload);
    if (!w.ok) return void d.extensionHeaders++;
    if (w.value.fragment) return void d.localFragment++;
    const src = buf.subarray(o + 8, o + 24);
    const dst = buf.subarray(o + 24, o + 40);
    const proto = w.value.protocol;
    if (proto === NextHeader.ICMPV6) {
      const body = payload.subarray(w.value.offset);
      if (body.length < 4) return void d.icmpMalformed++;
      if (!icmpv6ChecksumOk(src, dst, body)) return void d.icmpChecksum++;
      const type = body[0]!;
      if (type === Icmpv6Type.NEIGHBOR_SOLICITATION || type === Icmpv6Type.NEIGHBOR_ADVERTISEMENT) {
        if (!inIf.eth || o !== ETH || !this.ndp.hasInterface(inIf.index)) return void d.localUnsupported++;
        const m = parseNdp(body);
        if (!m.ok) return void d.ndpMalformed++;
        const ip = { src, dst, hopLimit: buf[o + 7]!, length: body.length, ethSrc: buf.subarray(6, 12) };
        if (m.value.kind === 'ns') this.ndp.handleNs(inIf.index, ip, m.value, now);
        else if (m.value.kind === 'na') this.ndp.handleNa(inIf.index, ip, m.value, now);
        this.drainNdp(now);
        return;
      }
      if (type === Icmpv6Type.ECHO_REQUEST || type === Icmpv6Type.ECHO_REPLY) {
        const m = parseIcmpv6(body);
        if (!m.ok || m.value.kind !== 'echo') return void d.icmpMalformed++;
        if (type === Icmpv6Type.ECHO_REPLY) {
          c.echoRepliesReceived++;
          if (this.echoReplies6.length < 1024) this.echoReplies6.push({ identifier: m.value.identifier, sequence: m.value.sequence, from: ipv6ToString(src), at: now });
          return;
        }
        // Echo to a multicast group is not answered (no amplifier; RFC 4443 §4.1 makes it a SHOULD, not a MUST).
        if (multicast) return void d.localUnsupported++;
        c.icmpOut.echoReply++;
        const reply = icmpv6Packet({ src: new Uint8Array(dst), dst: new Uint8Array(src), hopLimit: this.hopLimit }, { ...m.value, type: Icmpv6Type.ECHO_REPLY, checksum: 0 }, ETH);
        this.originate6(reply, inIf, now);
        return;
      }
      d.localUnsupported++;
      return;
    }
    d.localUnsupported++;
    // Nothing listens: port unreachable ends a UDP traceroute at the router.
    if (proto === NextHeader.UDP && !multicast) this.icmp6Error(inIf, buf, o, Icmpv6Type.DEST_UNREACHABLE, Icmpv6UnreachCode.PORT, 0, now, buf.slice(o + 24, o + 40));
  }

  /**
   * An ICMPv6 error about the packet at buf[o...] back to its source, unless RFC 4443 §2.4 (e)
   * forbids it (about an ICMPv6 error or a Redirect, to a multicast address, from a source that
   * does not name one node) or the (f) token bucket is empty. The caller has already refused
   * link-layer multicast. `from` defaults to an address of the interface the error leaves by.
   */
  private icmp6Error(inIf: Iface, buf: Uint8Array, o: number, type: number, code: number, param: number, now: number, from?: Uint8Array): void {
    const s = this.counters6.icmpSuppressed;
    const total = 40 + ((buf[o + 4]! << 8) | buf[o + 5]!);
    if (buf[o + 24] === 0xff) return void s.multicast++;
    if (buf[o + 8] === 0xff || isZero6(buf, o + 8)) return void s.badSource++;
    const sr = this.routes6.lookup(buf, o + 8);
    if (sr >= 0 && this.routes6.kindCode[sr] === RouteKindCode.LOCAL) return void s.badSource++;
    const w = walkIpv6(buf[o + 6]!, buf.subarray(o + 40, o + total));
    if (w.ok && w.value.protocol === NextHeader.ICMPV6 && !(w.value.fragment && w.value.fragment.fragmentOffset !== 0)) {
      const at = o + 40 + w.value.offset;
      if (at >= o + total || isIcmpv6Error(buf[at]!) || buf[at] === Icmpv6Type.REDIRECT) return void s.aboutIcmpError++;
    }
    if (!this.takeToken6(now)) return void s.rateLimited++;
    const original = buf.subarray(o, o + Math.min(total, ICMPV6_MAX_QUOTE));
    const dst = buf.slice(o + 8, o + 24);
    const linkLocal = LINK_LOCAL(dst, 0);
    const src = from ?? (linkLocal ? inIf.ll6 : this.sourceFor6(dst));
    if (!src) return void this.counters6.drops.noRouteLocal++;
    const out = this.counters6.icmpOut;
    let msg: Icmpv6Message;
    if (type === Icmpv6Type.TIME_EXCEEDED) {
      out.timeExceeded++;
      msg = { kind: 'time-exceeded', code, checksum: 0, unused: 0, original };
    } else if (type === Icmpv6Type.PACKET_TOO_BIG) {
      out.packetTooBig++;
      msg = { kind: 'packet-too-big', code: 0, checksum: 0, mtu: param, original };
    } else {
      if (code === Icmpv6UnreachCode.BEYOND_SCOPE) out.beyondScope++;
      else if (code === Icmpv6UnreachCode.ADDRESS) out.addressUnreachable++;
      else if (code === Icmpv6UnreachCode.PORT) out.portUnreachable++;
      else out.noRoute++;
      msg = { kind: 'dest-unreachable', code, checksum: 0, unused: 0, original };
    }
    this.originate6(icmpv6Packet({ src, dst, hopLimit: this.hopLimit }, msg, ETH), inIf, now);
  }

  /**
   * Sends an IPv6 packet the router built (with 14 bytes of headroom), routed like any
   * packet; to a link-local destination it goes back out of `inIf`, the only link it means.
   */
  private originate6(pkt: Uint8Array, inIf: Iface | undefined, now: number): boolean {
    const d = this.counters6.drops;
    const t = ETH + 24;
    let outIf: Iface | undefined;
    let nh: Uint8Array = pkt;
    let no = t;
    if (LINK_LOCAL(pkt, t)) outIf = inIf;
    else {
      const r = this.routes6.lookup(pkt, t);
      if (r >= 0 && this.routes6.kindCode[r] !== RouteKindCode.LOCAL) {
        outIf = this.ifs[this.routes6.ifIndex[r]!];
        if (this.routes6.hasNextHop[r]) {
          nh = this.routes6.nextHop;
          no = r * 16;
        }
      }
    }
    if (outIf === undefined || !outIf.up) {
      d.noRouteLocal++;
      return false;
    }
    const total = pkt.length - ETH;
    if (total > outIf.mtu) {
      d.localTooBig++;
      return false;
    }
    this.counters6.localOut++;
    this.output6(outIf, nh, no, pkt, ETH, total, now);
    return true;
  }

  /** The address ICMPv6 to `dst` comes from: the global address of the interface it leaves by, else our first. */
  private sourceFor6(dst: Uint8Array): Uint8Array | undefined {
    const r = this.routes6.lookup(dst);
    const f = r >= 0 ? this.ifs[this.routes6.ifIndex[r]!] : undefined;
    return f?.addr6 ?? this.address6();
  }

  private takeToken6(now: number): boolean {
    const dt = now - this.icmp6RefillAt;
    if (dt > 0) {
      this.icmp6Tokens = Math.min(this.icmp6Burst, this.icmp6Tokens + dt * this.icmp6Rate);
      this.icmp6RefillAt = now;
    }
    if (this.icmp6Tokens < 1) return false;
    this.icmp6Tokens -= 1;
    return true;
  }

  /** Moves NDP's messages to the transmit queue, releases packets that waited, answers failures (RFC 4861 §7.2.2: address unreachable). */
  private drainNdp(now: number): void {
    const ndp = this.ndp;
    for (let t = ndp.pollTransmit(); t !== undefined; t = ndp.pollTransmit()) {
      const f = this.ifs[t.ifIndex];
      if (!f?.up) continue;
      const frame = ndpPacket({ src: t.src, dst: t.dst }, t.message, ETH);
      frame.set(t.dstMac, 0);
      frame.set(f.mac, 6);
      frame[12] = 0x86;
      frame[13] = 0xdd;
      this.tx(f, frame);
    }
    for (let e = ndp.pollEvent(); e !== undefined; e = ndp.pollEvent()) {
      const f = this.ifs[e.ifIndex];
      if (e.kind === 'resolved') {
        for (const fr of e.packets) {
          fr.set(e.mac, 0);
          if (f?.up) this.tx(f, fr);
        }
      } else {
        for (const fr of e.packets) {
          this.counters6.drops.ndpFailed++;
          // The packet's hop limit was already decremented; the quote shows it as forwarded.
          if (f) this.icmp6Error(f, fr, ETH, Icmpv6Type.DEST_UNREACHABLE, Icmpv6UnreachCode.ADDRESS, 0, now);
        }
      }
    }
  }

  // ---- ARP ------------------------------------------------------------------------------

  private arpIn(f: Iface, frame: Uint8Array, now: number): void {
    const p = parseArp(frame.subarray(ETH));
    if (!p.ok) {
      this.counters.drops.arpMalformed++;
      return;
    }
    this.arp.handle(f.index, p.value, now);
    this.drainArp(now);
  }

  /** Moves ARP's packets to the transmit queue, releases packets that waited, answers failures. */
  private drainArp(now: number): void {
    const arp = this.arp;
    for (let t = arp.pollTransmit(); t !== undefined; t = arp.pollTransmit()) {
      const f = this.ifs[t.ifIndex];
      if (f?.up) this.tx(f, arpFrame(t.packet, f.mac, t.dst));
    }
    for (let e = arp.pollEvent(); e !== undefined; e = arp.pollEvent()) {
      const f = this.ifs[e.ifIndex];
      if (e.kind === 'resolved') {
        for (const fr of e.packets) {
          fr.set(e.mac, 0);
          if (f?.up) this.tx(f, fr);
        }
      } else {
        // RFC 1812 §4.3.3.1 / the seed: every packet that waited gets host unreachable.
        for (const fr of e.packets) {
          this.counters.drops.arpFailed++;
          this.icmpError(fr, ETH, IcmpType.DEST_UNREACHABLE, UnreachCode.HOST, 0, now);
        }
      }
    }
  }

  private iface(ifIndex: number): Iface {
    const f = this.ifs[ifIndex];
    if (!f) throw new Error(`no interface ${ifIndex}`);
    return f;
  }
}

export type { RouteKind };
