/**
 * A minimal IPv4 host, sans-IO: one interface (Ethernet with ARP, or point-to-point),
 * a default gateway, ICMP echo (answers pings; a ping client that reports RTT), a UDP
 * echo server and a UDP client, and ICMP errors reported as events (enough for ping and
 * traceroute). It is the server behind the router and the IP stack of an emulated home.
 * Same surface as the router: `handle(ifIndex, frame, now)`, `handleTimeout(now)`,
 * `pollTransmit()`, `pollEvent()`, `nextTimeout()`. A port bound with `bindUdp` hands its
 * datagrams to a sink during `handle` instead of as events (a box's L2TP, on its data path).
 * With `address6` it is dual-stack: NDP on Ethernet (src/proto/ndp-cache.ts, a link-local
 * address from the MAC), ICMPv6 echo answered and sent (`ping6`), ICMPv6 errors as events.
 */
import { Outbox } from '../proto/outbox.js';
import { ArpCache, type ArpEntryView, type ArpOptions } from '../proto/arp-cache.js';
import { parseArp } from '../wire/arp.js';
import { keptBytes, setU16, setU32, u16, u32 } from '../wire/bytes.js';
import { internetChecksum } from '../wire/checksum.js';
import { EtherType, macEquals, putMac } from '../wire/ethernet.js';
import { F as ICMP, ICMP_HEADER_LENGTH, IcmpType, parseIcmp, parseQuotedIpv4, UnreachCode, type QuotedIpv4 } from '../wire/icmp.js';
import { fragmentIpv4, IpProtocol, Ipv4Flag, prefixMask } from '../wire/ipv4.js';
import { arpFrame, echoPacket, icmpPacket, udpHeadersInto, udpInPlace, udpPacket } from '../wire/packets.js';
import { UDP_HEADER_LENGTH, udpChecksumOk, udpLengthAt } from '../wire/udp.js';
import { eui64LinkLocal, type Transmit } from './router.js';
import { NdpCache, ALL_NODES, multicastMac, type NdpEntryView, type NdpOptions } from '../proto/ndp-cache.js';
import { Icmpv6Type, icmpv6ChecksumOk, isIcmpv6Error, parseIcmpv6 } from '../wire/icmpv6.js';
import { ipv6ToString, NextHeader, walkIpv6 } from '../wire/ipv6.js';
import { icmpv6Packet, ndpPacket } from '../wire/ipv6-packets.js';
import { parseNdp } from '../wire/ndp.js';

const ETH = 14;
/** Octets in front of a UDP payload that `sendUdpFrame` writes: Ethernet, IPv4 (no options), UDP. */
export const UDP_FRAME_HEADROOM = ETH + 20 + 8;
/** RFC 862 echo on port 7 unless configured otherwise (shared: it is never modified). */
const DEFAULT_ECHO_PORTS: ReadonlySet<number> = new Set([7]);

/**
 * The ARP queue of an infrastructure link (the sse's and the LNS's carrier and RADIUS sides):
 * a handful of next hops and bursts of thousands of sessions (a mass dial is one RADIUS
 * request per home toward one server), so packets may wait by the thousand while the first
 * resolution runs — bounded still, and counted beyond (`drops.arpQueueFull`).
 */
export const INFRA_ARP = { queuePerHop: 4096, queueGlobal: 16_384 } as const;

export interface HostConfig {
  readonly name: string;
  /** Default 'ethernet'. */
  readonly kind?: 'ethernet' | 'p2p';
  /** Required on Ethernet. */
  readonly mac?: Uint8Array;
  readonly address: number;
  /** Default 24 on Ethernet, 32 on p2p. */
  readonly prefixLength?: number;
  /** Where off-link packets go (Ethernet). On p2p everything goes to the peer. */
  readonly gateway?: number;
  /** IP MTU, default 1500. */
  readonly mtu?: number;
  /** UDP ports answered by the echo server (RFC 862). Default [7]. */
  readonly udpEchoPorts?: readonly number[];
  readonly arp?: Partial<ArpOptions>;
  /** TTL of packets sent, default 64. */
  readonly ttl?: number;
  /** IPv6 address (global); absent = IPv4 only. */
  readonly address6?: Uint8Array;
  /** Default 64. */
  readonly prefixLength6?: number;
  /** Where off-link IPv6 packets go (Ethernet). */
  readonly gateway6?: Uint8Array;
  readonly ndp?: Partial<NdpOptions>;
}

/**
 * Where a port's datagrams go as they arrive, instead of `udp` events (`bindUdp`): a box's
 * own protocol on a fixed port (L2TP on the sse and the LNS), so that the data path passes no
 * event per packet. Called during `handle` with the received frame and where the payload is
 * in it, b[offset, offset + length): no view made per datagram.
 */
export interface UdpSink {
  udp(from: number, srcPort: number, dstPort: number, b: Uint8Array, offset: number, length: number, now: number): void;
}

export type HostEvent =
  | { readonly kind: 'echo-reply'; readonly from: number; readonly identifier: number; readonly sequence: number; readonly rtt: number; readonly ttl: number; readonly bytes: number }
  | { readonly kind: 'icmp-error'; readonly from: number; readonly type: number; readonly code: number; readonly nextHopMtu: number; readonly quoted: QuotedIpv4 }
  | { readonly kind: 'udp'; readonly from: number; readonly srcPort: number; readonly dstPort: number; readonly payload: Uint8Array }
  | { readonly kind: 'arp-failed'; readonly ip: number; readonly packets: number }
  | { readonly kind: 'echo-reply6'; readonly from: string; readonly identifier: number; readonly sequence: number; readonly rtt: number; readonly hopLimit: number; readonly bytes: number }
  | { readonly kind: 'icmp6-error'; readonly from: string; readonly type: number; readonly code: number }
  | { readonly kind: 'ndp-failed'; readonly ip: string; readonly packets: number };

export interface HostCounters {
  rxFrames: number;
  txFrames: number;
  echoRequestsAnswered: number;
  echoRepliesReceived: number;
  udpEchoed: number;
  udpReceived: number;
  icmpErrorsReceived: number;
  drops: {
    otherHost: number;
    ethertype: number;
    malformed: number;
    checksum: number;
    notForUs: number;
    /** No reassembly in this minimal host: fragments are counted and dropped. */
    fragment: number;
    portUnreachable: number;
    arpFailed: number;
    arpQueueFull: number;
    unsupported: number;
    /** Frames refused because the transmit queue was full (a bound, never unbounded growth). */
    txQueueFull: number;
    ndpFailed: number;
    ndpQueueFull: number;
  };
}

export interface PingOptions {
  readonly identifier?: number;
  readonly sequence: number;
  /** ICMP data bytes, default 56 (ping's default). */
  readonly size?: number;
  readonly ttl?: number;
  /** Set DF (path MTU probing). */
  readonly df?: boolean;
}

const NO_MAC = new Uint8Array(6);

/** The echo data pattern 00 01 02 … of a size, made once: a ping copies it into its packet. */
const pingPatterns = new Map<number, Uint8Array>();
function pingData(size: number): Uint8Array {
  let d = pingPatterns.get(size);
  if (!d) {
    d = new Uint8Array(size);
    for (let i = 0; i < size; i++) d[i] = i & 0xff;
    if (pingPatterns.size < 16) pingPatterns.set(size, d);
  }
  return d;
}
/** What only an Ethernet or an IPv6 host needs: a point-to-point IPv4 host (a home's stack, one of thousands) has none. */
interface HostExtra {
  readonly mac: Uint8Array;
  readonly arp: ArpCache | undefined;
  readonly address6: Uint8Array | undefined;
  readonly linkLocal6: Uint8Array | undefined;
  readonly ndp: NdpCache | undefined;
  readonly prefix6: number;
  readonly gateway6: Uint8Array | undefined;
}

/** The settings that do not depend on the address: one object for every host that has the same (never written). */
interface HostShape {
  readonly eth: boolean;
  readonly mask: number;
  readonly mtu: number;
  readonly ttl: number;
  readonly echoPorts: ReadonlySet<number>;
}
const SHAPES = new Map<string, HostShape>();
function hostShape(eth: boolean, prefixLength: number, mtu: number, ttl: number, echoPorts: readonly number[] | undefined): HostShape {
  const make = (): HostShape => Object.freeze({ eth, mask: prefixMask(prefixLength), mtu, ttl, echoPorts: echoPorts ? new Set(echoPorts) : DEFAULT_ECHO_PORTS });
  if (echoPorts) return make();
  const key = `${eth}/${prefixLength}/${mtu}/${ttl}`;
  let s = SHAPES.get(key);
  if (!s) {
    s = make();
    if (SHAPES.size < 64) SHAPES.set(key, s);
  }
  return s;
}

function newCounters(): HostCounters {
  return {
    rxFrames: 0, txFrames: 0, echoRequestsAnswered: 0, echoRepliesReceived: 0, udpEchoed: 0, udpReceived: 0, icmpErrorsReceived: 0,
    drops: { otherHost: 0, ethertype: 0, malformed: 0, checksum: 0, notForUs: 0, fragment: 0, portUnreachable: 0, arpFailed: 0, arpQueueFull: 0, unsupported: 0, txQueueFull: 0, ndpFailed: 0, ndpQueueFull: 0 },
  };
}

export class Host {
  readonly address: number;
  /** The directed broadcast of the subnet, 0 on /31 and /32 (RFC 3021: no broadcast there). */
  private readonly subnetBroadcast: number;
  private readonly gateway: number;
  private readonly s: HostShape;
  private readonly x: HostExtra | undefined;
  /** Made on first use (a frame in or out, or a read): all zero until then, as they would read. */
  private c: HostCounters | undefined;
  // Queues and tables exist only while they hold something (the queues from their first use): a home's stack is one of thousands.
  /** Ports that take datagrams: to a sink (`bindUdp`), or as events (null). One lookup per datagram. */
  private listening: Map<number, UdpSink | null> | undefined;
  private pings: PingsInFlight | undefined;
  private pings6: PingsInFlight | undefined;
  // Bounded (a pump moves them out after every input).
  private tx: Outbox<Uint8Array> | undefined;
  private events: Outbox<HostEvent> | undefined;
  private ipId = 1;
  /** The configuration's name (the rest is taken in when made: a home's stack keeps no configuration object). */
  readonly name: string;

  constructor(config: HostConfig, now: number) {
    this.name = config.name;
    const eth = (config.kind ?? 'ethernet') === 'ethernet';
    if (eth && !config.mac) throw new Error(`host ${config.name}: an Ethernet host needs a MAC`);
    const prefixLength = config.prefixLength ?? (eth ? 24 : 32);
    this.address = config.address;
    this.s = hostShape(eth, prefixLength, config.mtu ?? 1500, config.ttl ?? 64, config.udpEchoPorts);
    this.subnetBroadcast = prefixLength >= 31 ? 0 : (this.address | ~this.s.mask) >>> 0;
    this.gateway = config.gateway ?? 0;
    this.c = undefined;
    this.listening = undefined;
    this.pings = undefined;
    this.pings6 = undefined;
    this.tx = undefined;
    this.events = undefined;
    if (!eth && !config.mac && !config.address6) {
      this.x = undefined;
      return;
    }
    // Our copy (the caller's may change); a point-to-point host has no MAC: one shared zero MAC, never written.
    const mac = config.mac ? keptBytes(config.mac) : NO_MAC;
    const address6 = config.address6 && new Uint8Array(config.address6);
    const linkLocal6 = eth && address6 ? eui64LinkLocal(mac) : undefined;
    this.x = {
      mac,
      arp: eth ? new ArpCache(config.arp) : undefined,
      address6,
      linkLocal6,
      ndp: linkLocal6 ? new NdpCache({ isRouter: false, ...config.ndp }) : undefined,
      prefix6: config.prefixLength6 ?? 64,
      gateway6: config.gateway6 && new Uint8Array(config.gateway6),
    };
    if (this.x.arp) {
      this.x.arp.addInterface(0, mac, this.address, config.prefixLength ?? 24, now);
      this.drainArp(now);
    }
    this.x.ndp?.addInterface(0, mac, linkLocal6!, [address6!]);
  }

  get counters(): HostCounters {
    return (this.c ??= newCounters());
  }

  /** Ethernet only: a point-to-point host has no link addresses to resolve. */
  get arp(): ArpCache | undefined {
    return this.x?.arp;
  }

  get address6(): Uint8Array | undefined {
    return this.x?.address6;
  }

  /** fe80:: + modified EUI-64 of the MAC, on Ethernet with IPv6. */
  get linkLocal6(): Uint8Array | undefined {
    return this.x?.linkLocal6;
  }

  /** NDP, on Ethernet with IPv6. */
  get ndp(): NdpCache | undefined {
    return this.x?.ndp;
  }

  private get eth(): boolean {
    return this.s.eth;
  }

  private get mac(): Uint8Array {
    return this.x?.mac ?? NO_MAC;
  }

  /** Sends an ICMPv6 Echo Request; the reply comes back as an `echo-reply6` event with its RTT. False without IPv6. */
  ping6(dst: Uint8Array, o: PingOptions, now: number): boolean {
    if (!this.address6) return false;
    const identifier = o.identifier ?? 0x5053;
    const data = pingData(o.size ?? 56);
    (this.pings6 ??= new PingsInFlight()).set(identifier, o.sequence, now);
    const src = dst[0] === 0xfe && (dst[1]! & 0xc0) === 0x80 && this.linkLocal6 ? this.linkLocal6 : this.address6;
    this.send6(icmpv6Packet({ src, dst, hopLimit: o.ttl ?? this.s.ttl }, { kind: 'echo', type: Icmpv6Type.ECHO_REQUEST, code: 0, checksum: 0, identifier, sequence: o.sequence, data }, ETH), now);
    return true;
  }

  /** Sends an ICMP echo request; the reply comes back as an `echo-reply` event with its RTT. */
  ping(dst: number, o: PingOptions, now: number): void {
    const identifier = o.identifier ?? 0x5053;
    const data = pingData(o.size ?? 56);
    (this.pings ??= new PingsInFlight()).set(identifier, o.sequence, now);
    this.send(echoPacket(this.address, dst, o.ttl ?? this.s.ttl, this.nextId(), o.df ? Ipv4Flag.DF : 0, IcmpType.ECHO_REQUEST, identifier, o.sequence, data, ETH), dst, now);
  }

  /**
   * Sends a UDP datagram and listens on `srcPort` for what comes back (`udp` events). With
   * `inPlace` the caller hands over the packet `payload` is part of (a relay's received frame):
   * the headers go into the octets in front of it when they are its own (src/wire/packet-buffer.ts),
   * and are overwritten; otherwise, and always without `inPlace`, the payload is copied once.
   * True when the datagram went out without a copy.
   */
  sendUdp(dst: number, srcPort: number, dstPort: number, payload: Uint8Array, now: number, o: { ttl?: number; df?: boolean; inPlace?: boolean } = {}): boolean {
    this.listen(srcPort);
    const ttl = o.ttl ?? this.s.ttl;
    const identification = this.nextId();
    const flags = o.df ? Ipv4Flag.DF : 0;
    const inPlace = o.inPlace ? udpInPlace(this.address, dst, ttl, identification, flags, srcPort, dstPort, payload, ETH) : undefined;
    this.send(inPlace ?? udpPacket({ src: this.address, dst, ttl, identification, flags }, srcPort, dstPort, payload, ETH), dst, now);
    return inPlace !== undefined;
  }

  /**
   * Sends the UDP datagram whose payload is `frame` from octet UDP_FRAME_HEADROOM on: the
   * Ethernet, IPv4 and UDP headers are written into the octets in front of it, which the
   * caller made room for (one view for the whole packet, no copy). Listens on `srcPort`.
   */
  sendUdpFrame(dst: number, srcPort: number, dstPort: number, frame: Uint8Array, now: number): void {
    this.listen(srcPort);
    udpHeadersInto(this.address, dst, this.s.ttl, this.nextId(), 0, srcPort, dstPort, frame, ETH);
    this.send(frame, dst, now);
  }

  /** Delivers UDP datagrams for `port` as events instead of answering port unreachable. */
  listenUdp(port: number): void {
    this.listen(port);
  }

  /** Hands the datagrams for `port` to `sink` as they arrive (counted in `udpReceived`), instead of as events. */
  bindUdp(port: number, sink: UdpSink): void {
    (this.listening ??= new Map()).set(port, sink);
  }

  private listen(port: number): void {
    const l = (this.listening ??= new Map());
    if (!l.has(port)) l.set(port, null);
  }

  handle(_ifIndex: number, frame: Uint8Array, now: number): void {
    const c = this.counters;
    c.rxFrames++;
    let o = 0;
    let l2group = false;
    if (this.eth) {
      if (frame.length < ETH) {
        c.drops.malformed++;
        return;
      }
      l2group = (frame[0]! & 1) !== 0;
      if (!l2group && !macEquals(frame, 0, this.mac)) {
        c.drops.otherHost++;
        return;
      }
      const type = u16(frame, 12);
      if (type === EtherType.IPV6) {
        this.ipv6(frame, ETH, l2group, now);
        this.drainNdp();
        return;
      }
      if (type === EtherType.ARP) {
        const p = parseArp(frame.subarray(ETH));
        if (p.ok) this.arp?.handle(0, p.value, now);
        else c.drops.malformed++;
        this.drainArp(now);
        return;
      }
      if (type !== EtherType.IPV4) {
        c.drops.ethertype++;
        return;
      }
      o = ETH;
    } else if (frame.length > 0 && frame[0]! >>> 4 === 6) {
      this.ipv6(frame, 0, false, now);
      return;
    }
    this.ipv4(frame, o, l2group, now);
    this.drainArp(now);
  }

  handleTimeout(now: number): void {
    this.arp?.handleTimeout(now);
    this.drainArp(now);
    this.ndp?.handleTimeout(now);
    this.drainNdp();
  }

  nextTimeout(): number | undefined {
    const a = this.arp?.nextTimeout();
    const n = this.ndp?.nextTimeout();
    return a === undefined ? n : n === undefined ? a : Math.min(a, n);
  }

  pollTransmit(): Transmit | undefined {
    const frame = this.tx?.shift();
    return frame && { ifIndex: 0, frame };
  }

  /** The next frame to send, without a Transmit around it (a host has one interface): what the boxes built on a host poll. */
  pollFrame(): Uint8Array | undefined {
    return this.tx?.shift();
  }

  pollEvent(): HostEvent | undefined {
    return this.events?.shift();
  }

  /** Neighbours: ARP entries, then NDP entries. */
  showArp(now: number): (ArpEntryView | NdpEntryView)[] {
    return [...(this.arp?.show(now) ?? []), ...(this.ndp?.show(now) ?? [])];
  }

  // ---- IPv6 ------------------------------------------------------------------------------

  private ipv6(b: Uint8Array, o: number, l2group: boolean, now: number): void {
    const c = this.counters;
    const me = this.address6;
    if (!me) return void c.drops.ethertype++;
    const avail = b.length - o;
    if (avail < 40 || b[o]! >>> 4 !== 6) return void c.drops.malformed++;
    const total = 40 + u16(b, o + 4);
    if (total > avail) return void c.drops.malformed++;
    const src = b.subarray(o + 8, o + 24);
    const dst = b.subarray(o + 24, o + 40);
    const multicast = dst[0] === 0xff;
    const ll = this.linkLocal6;
    const forUs = multicast
      ? same(dst, ALL_NODES) || (dst[1] === 2 && dst[11] === 1 && dst[12] === 0xff && ((dst[13] === me[13] && dst[14] === me[14] && dst[15] === me[15]) || (ll !== undefined && dst[13] === ll[13] && dst[14] === ll[14] && dst[15] === ll[15])))
      : same(dst, me) || (ll !== undefined && same(dst, ll));
    if (!forUs) return void c.drops.notForUs++;
    const payload = b.subarray(o + 40, o + total);
    const w = walkIpv6(b[o + 6]!, payload);
    if (!w.ok) return void c.drops.malformed++;
    if (w.value.fragment) return void c.drops.fragment++;
    if (w.value.protocol !== NextHeader.ICMPV6) return void c.drops.unsupported++;
    const body = payload.subarray(w.value.offset);
    if (body.length < 4) return void c.drops.malformed++;
    if (!icmpv6ChecksumOk(src, dst, body)) return void c.drops.checksum++;
    const type = body[0]!;
    if (type === Icmpv6Type.NEIGHBOR_SOLICITATION || type === Icmpv6Type.NEIGHBOR_ADVERTISEMENT) {
      if (!this.ndp || o !== ETH) return void c.drops.unsupported++;
      const m = parseNdp(body);
      if (!m.ok) return void c.drops.malformed++;
      const ip = { src, dst, hopLimit: b[o + 7]!, length: body.length, ethSrc: b.subarray(6, 12) };
      if (m.value.kind === 'ns') this.ndp.handleNs(0, ip, m.value, now);
      else if (m.value.kind === 'na') this.ndp.handleNa(0, ip, m.value, now);
      return;
    }
    const m = parseIcmpv6(body);
    if (!m.ok) return void c.drops.malformed++;
    const v = m.value;
    if (v.kind === 'echo' && v.type === Icmpv6Type.ECHO_REQUEST) {
      if (multicast || l2group) return;
      c.echoRequestsAnswered++;
      this.send6(icmpv6Packet({ src: new Uint8Array(dst), dst: new Uint8Array(src), hopLimit: this.s.ttl }, { ...v, type: Icmpv6Type.ECHO_REPLY, checksum: 0 }, ETH), now);
    } else if (v.kind === 'echo' && v.type === Icmpv6Type.ECHO_REPLY) {
      const sent = this.pings6?.take(v.identifier, v.sequence);
      if (sent === undefined) return;
      if (this.pings6!.size === 0) this.pings6 = undefined;
      c.echoRepliesReceived++;
      this.emit({ kind: 'echo-reply6', from: ipv6ToString(src), identifier: v.identifier, sequence: v.sequence, rtt: now - sent, hopLimit: b[o + 7]!, bytes: body.length });
    } else if (isIcmpv6Error(type)) {
      c.icmpErrorsReceived++;
      this.emit({ kind: 'icmp6-error', from: ipv6ToString(src), type, code: body[1]! });
    }
  }

  /** Sends an IPv6 packet built with 14 bytes of headroom: on-link or to the gateway, resolved by NDP. */
  private send6(pkt: Uint8Array, now: number): void {
    if (pkt.length - ETH > this.s.mtu) return void this.counters.drops.unsupported++;
    if (!this.eth) return this.push(pkt.subarray(ETH));
    const ndp = this.ndp!;
    putMac(pkt, 6, this.mac);
    pkt[12] = 0x86;
    pkt[13] = 0xdd;
    const d = ETH + 24;
    if (pkt[d] === 0xff) {
      pkt.set(multicastMac(pkt.subarray(d, d + 16)), 0);
      return this.push(pkt);
    }
    const linkLocal = pkt[d] === 0xfe && (pkt[d + 1]! & 0xc0) === 0x80;
    let onLink = linkLocal;
    if (!onLink) {
      onLink = true;
      const me = this.address6!;
      for (let i = 0; i < this.x!.prefix6; i++) if (((pkt[d + (i >> 3)]! ^ me[i >> 3]!) & (0x80 >> (i & 7))) !== 0) { onLink = false; break; }
    }
    let nh: Uint8Array = pkt;
    let no = d;
    if (!onLink) {
      if (!this.x!.gateway6) return void this.counters.drops.unsupported++;
      nh = this.x!.gateway6;
      no = 0;
    }
    const mac = ndp.lookup(0, nh, no, now);
    if (mac) {
      putMac(pkt, 0, mac);
      this.push(pkt);
    } else if (!ndp.enqueue(0, nh, no, pkt, now)) this.counters.drops.ndpQueueFull++;
    this.drainNdp();
  }

  private drainNdp(): void {
    const ndp = this.ndp;
    if (!ndp) return;
    for (let t = ndp.pollTransmit(); t; t = ndp.pollTransmit()) {
      const f = ndpPacket({ src: t.src, dst: t.dst }, t.message, ETH);
      f.set(t.dstMac, 0);
      f.set(this.mac, 6);
      f[12] = 0x86;
      f[13] = 0xdd;
      this.push(f);
    }
    for (let e = ndp.pollEvent(); e; e = ndp.pollEvent()) {
      if (e.kind === 'resolved') {
        for (const f of e.packets) {
          f.set(e.mac, 0);
          this.push(f);
        }
      } else {
        this.counters.drops.ndpFailed += e.packets.length;
        this.emit({ kind: 'ndp-failed', ip: ipv6ToString(e.ip), packets: e.packets.length });
      }
    }
  }

  private ipv4(b: Uint8Array, o: number, l2group: boolean, now: number): void {
    const c = this.counters;
    const avail = b.length - o;
    if (avail < 20 || b[o]! >>> 4 !== 4) {
      c.drops.malformed++;
      return;
    }
    const hl = (b[o]! & 0x0f) << 2;
    const total = u16(b, o + 2);
    if (hl < 20 || hl > avail || total < hl || total > avail) {
      c.drops.malformed++;
      return;
    }
    if (internetChecksum(b, o, o + hl) !== 0) {
      c.drops.checksum++;
      return;
    }
    const src = u32(b, o + 12);
    const dst = u32(b, o + 16);
    const broadcast = dst === 0xffffffff || (this.subnetBroadcast !== 0 && dst === this.subnetBroadcast);
    if (dst !== this.address && !broadcast) {
      c.drops.notForUs++;
      return;
    }
    if ((u16(b, o + 6) & 0x3fff) !== 0) {
      c.drops.fragment++;
      return;
    }
    const proto = b[o + 9]!;
    if (proto === IpProtocol.ICMP) {
      const io = o + hl;
      if (total - hl < ICMP_HEADER_LENGTH) {
        c.drops.malformed++;
        return;
      }
      if (internetChecksum(b, io, o + total) !== 0) {
        c.drops.checksum++;
        return;
      }
      // Echo Request and Reply are read in place (type, identifier, sequence): only what is
      // built afresh or reported as an error is parsed into a message.
      const type = b[io + ICMP.TYPE]!;
      if (type === IcmpType.ECHO_REQUEST) {
        if (broadcast || l2group) return;
        c.echoRequestsAnswered++;
        // A unicast frame is the receiver's own (src/sim/link.ts; an AF_PACKET slot until the
        // batch is sent): the reply is the request turned round in place when the frame is just
        // Ethernet and a 20-octet header; otherwise it is built afresh.
        if (this.eth && o === ETH && hl === 20 && b.length === o + total) return this.echoReplyInPlace(b, src, now);
        this.send(echoPacket(this.address, src, this.s.ttl, this.nextId(), 0, IcmpType.ECHO_REPLY, u16(b, io + ICMP.ID), u16(b, io + ICMP.SEQ), b.subarray(io + ICMP.BODY, o + total), ETH), src, now);
      } else if (type === IcmpType.ECHO_REPLY) {
        const identifier = u16(b, io + ICMP.ID);
        const sequence = u16(b, io + ICMP.SEQ);
        const sent = this.pings?.take(identifier, sequence);
        if (sent === undefined) return;
        if (this.pings!.size === 0) this.pings = undefined;
        c.echoRepliesReceived++;
        this.emit({ kind: 'echo-reply', from: src, identifier, sequence, rtt: now - sent, ttl: b[o + 8]!, bytes: total - hl });
      } else if (type === IcmpType.DEST_UNREACHABLE || type === IcmpType.TIME_EXCEEDED) {
        const m = parseIcmp(b.subarray(io, o + total));
        const v = m.ok ? m.value : undefined;
        const q = v && (v.kind === 'dest-unreachable' || v.kind === 'time-exceeded') ? parseQuotedIpv4(v.original) : undefined;
        if (!v || !q?.ok) {
          c.drops.malformed++;
          return;
        }
        c.icmpErrorsReceived++;
        this.emit({ kind: 'icmp-error', from: src, type, code: v.code, nextHopMtu: v.kind === 'dest-unreachable' ? v.nextHopMtu : 0, quoted: q.value });
      }
      return;
    }
    if (proto === IpProtocol.UDP) {
      // Read in place: the header's fields and one view of the payload, no datagram object
      // (every L2TP and RADIUS datagram of a box comes this way).
      const u = o + hl;
      const len = udpLengthAt(b, u, total - hl);
      if (len < 0) {
        c.drops.malformed++;
        return;
      }
      if (!udpChecksumOk(src, dst, b, u, len)) {
        c.drops.checksum++;
        return;
      }
      const srcPort = u16(b, u);
      const dstPort = u16(b, u + 2);
      const po = u + UDP_HEADER_LENGTH;
      if (this.s.echoPorts.has(dstPort)) {
        if (broadcast) return;
        c.udpEchoed++;
        this.send(udpPacket({ src: this.address, dst: src, ttl: this.s.ttl, identification: this.nextId() }, dstPort, srcPort, b.subarray(po, u + len), ETH), src, now);
        return;
      }
      const sink = this.listening?.get(dstPort);
      if (sink !== undefined) {
        c.udpReceived++;
        if (sink) sink.udp(src, srcPort, dstPort, b, po, len - UDP_HEADER_LENGTH, now);
        else this.emit({ kind: 'udp', from: src, srcPort, dstPort, payload: b.subarray(po, u + len) });
      } else if (!broadcast) {
        c.drops.portUnreachable++;
        const original = b.subarray(o, o + Math.min(total, 548));
        this.send(icmpPacket({ src: this.address, dst: src, ttl: this.s.ttl, identification: this.nextId() }, { kind: 'dest-unreachable', code: UnreachCode.PORT, unused: 0, nextHopMtu: 0, original }, ETH), src, now);
      }
      return;
    }
    c.drops.unsupported++;
  }

  /**
   * The Echo Request in `frame` (Ethernet, then IPv4 with no options, then ICMP) made the
   * reply to `peer`: addresses swapped, our TTL and identification, no flags, Echo Reply, both
   * checksums again; the data is not copied.
   */
  private echoReplyInPlace(frame: Uint8Array, peer: number, now: number): void {
    const o = ETH;
    setU16(frame, o + 4, this.nextId());
    setU16(frame, o + 6, 0);
    frame[o + 8] = this.s.ttl;
    setU32(frame, o + 12, this.address);
    setU32(frame, o + 16, peer);
    setU16(frame, o + 10, 0);
    setU16(frame, o + 10, internetChecksum(frame, o, o + 20));
    frame[o + 20] = IcmpType.ECHO_REPLY;
    setU16(frame, o + 22, 0);
    setU16(frame, o + 22, internetChecksum(frame, o + 20, frame.length));
    this.send(frame, peer, now);
  }

  /** Sends an IPv4 packet built with 14 bytes of headroom: fragments it if needed, resolves the next hop. */
  private send(pkt: Uint8Array, dst: number, now: number): void {
    const total = pkt.length - ETH;
    if (total > this.s.mtu) {
      if ((pkt[ETH + 6]! & 0x40) !== 0) {
        // Our own DF packet does not fit our own link: as a kernel would, report it locally.
        const q = parseQuotedIpv4(pkt.subarray(ETH));
        if (q.ok) this.emit({ kind: 'icmp-error', from: this.address, type: IcmpType.DEST_UNREACHABLE, code: UnreachCode.FRAG_NEEDED, nextHopMtu: this.s.mtu, quoted: q.value });
        return;
      }
      for (const f of fragmentIpv4(pkt, ETH, this.s.mtu, ETH)) this.send(f, dst, now);
      return;
    }
    if (!this.eth) {
      this.push(pkt.subarray(ETH));
      return;
    }
    const onLink = ((dst ^ this.address) & this.s.mask) === 0 || dst === 0xffffffff;
    const nh = onLink ? dst : this.gateway;
    if (!nh) {
      this.counters.drops.unsupported++;
      return;
    }
    putMac(pkt, 6, this.mac);
    pkt[12] = 0x08;
    pkt[13] = 0x00;
    if (dst === 0xffffffff || (this.subnetBroadcast !== 0 && dst === this.subnetBroadcast)) {
      pkt.fill(0xff, 0, 6);
      this.push(pkt);
      return;
    }
    const arp = this.arp!;
    const mac = arp.lookup(0, nh, now);
    if (mac) {
      putMac(pkt, 0, mac);
      this.push(pkt);
    } else if (!arp.enqueue(0, nh, pkt, now)) {
      this.counters.drops.arpQueueFull++;
    }
    this.drainArp(now);
  }

  private emit(e: HostEvent): void {
    (this.events ??= new Outbox<HostEvent>(1 << 16)).push(e);
  }

  private push(frame: Uint8Array): void {
    this.counters.txFrames++;
    if (!(this.tx ??= new Outbox<Uint8Array>(1 << 16)).push(frame)) this.counters.drops.txQueueFull++;
  }

  private drainArp(_now: number): void {
    const arp = this.arp;
    if (!arp) return;
    for (let t = arp.pollTransmit(); t; t = arp.pollTransmit()) this.push(arpFrame(t.packet, this.mac, t.dst));
    for (let e = arp.pollEvent(); e; e = arp.pollEvent()) {
      if (e.kind === 'resolved') {
        for (const f of e.packets) {
          f.set(e.mac, 0);
          this.push(f);
        }
      } else {
        this.counters.drops.arpFailed += e.packets.length;
        this.emit({ kind: 'arp-failed', ip: e.ip, packets: e.packets.length });
      }
    }
  }

  private nextId(): number {
    return (this.ipId = (this.ipId + 1) & 0xffff);
  }
}

function same(a: Uint8Array, b: Uint8Array): boolean {
  for (let i = 0; i < 16; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Echo Requests sent and not yet answered: identifier, then sequence, to the time sent. The
 * newest, the one a host mostly awaits (ping sends the next when the last is answered), in
 * three fields; older ones (an echo never answered among them) in two levels of small-integer
 * keys: one key of identifier × 65,536 + sequence is beyond V8's small integers and was boxed
 * on every lookup. Bounded: beyond PINGS_IN_FLIGHT the older of the one in fields and the
 * oldest of the first identifier is forgotten (its reply, if it ever comes, is not reported).
 */
class PingsInFlight {
  private id0 = -1;
  private seq0 = 0;
  private at0 = 0;
  private byId: Map<number, Map<number, number>> | undefined;
  size = 0;

  set(identifier: number, sequence: number, at: number): void {
    if (identifier === this.id0 && sequence === this.seq0) {
      this.at0 = at;
      return;
    }
    const again = this.byId?.get(identifier);
    if (again?.has(sequence)) {
      again.set(sequence, at);
      return;
    }
    // The newest echo takes the fields: the one it displaces (most often one never answered)
    // moves to the maps, so a single lost echo does not send every later one there.
    if (this.id0 >= 0) this.keep(this.id0, this.seq0, this.at0);
    this.id0 = identifier;
    this.seq0 = sequence;
    this.at0 = at;
    if (++this.size > PINGS_IN_FLIGHT) this.forgetOldest();
  }

  private keep(identifier: number, sequence: number, at: number): void {
    const byId = (this.byId ??= new Map());
    let m = byId.get(identifier);
    if (!m) byId.set(identifier, (m = new Map()));
    m.set(sequence, at);
  }

  /** The time the echo was sent, forgetting it; undefined when it was not (or no longer) awaited. */
  take(identifier: number, sequence: number): number | undefined {
    if (identifier === this.id0 && sequence === this.seq0) {
      this.id0 = -1;
      this.size--;
      return this.at0;
    }
    const m = this.byId?.get(identifier);
    const at = m?.get(sequence);
    if (at === undefined) return undefined;
    m!.delete(sequence);
    if (m!.size === 0) this.byId!.delete(identifier);
    this.size--;
    return at;
  }

  private forgetOldest(): void {
    const [id, m] = this.byId!.entries().next().value!;
    const [sequence, at] = m.entries().next().value!;
    if (this.id0 >= 0 && this.at0 <= at) {
      this.id0 = -1;
      this.size--;
    } else this.take(id, sequence);
  }
}

/** Echo Requests one host awaits at most (ping's own sequence space is 65,536). */
const PINGS_IN_FLIGHT = 4096;
