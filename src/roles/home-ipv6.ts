/**
 * The IPv6 side of the home, on its PPP link once IPV6CP is up: SLAAC (src/proto/slaac.ts)
 * for the WAN address, the DHCPv6 client (src/proto/dhcpv6-client.ts) for a delegated
 * prefix whose first /64 becomes the LAN prefix, ICMPv6 echo both ways (ping6 from the
 * home, answers to ping6 of its own addresses). Bare IPv6 packets in with `handle`, out
 * with `pollTransmit`; the home puts them in PPP protocol 0x0057. Bounded and counted.
 */
import { bytesEqual, keptBytes, u16 } from '../wire/bytes.js';
import { ipv6UpperChecksum } from '../wire/checksum.js';
import { DHCPV6_CLIENT_PORT, DHCPV6_SERVER_PORT } from '../wire/dhcpv6.js';
import { icmpv6ChecksumOk, Icmpv6Type, parseIcmpv6 } from '../wire/icmpv6.js';
import { ipv6ToString, ipv6UpperLayer, NextHeader, parseIpv6, isIpv6Multicast } from '../wire/ipv6.js';
import { icmpv6Packet, udp6Packet } from '../wire/ipv6-packets.js';
import { parseUdp, F as UDP } from '../wire/udp.js';
import { Slaac, type SlaacEvent } from '../proto/slaac.js';
import { Dhcpv6Client, ALL_DHCP_RELAY_AGENTS_AND_SERVERS, type Dhcpv6ClientEvent, type DelegatedPrefix } from '../proto/dhcpv6-client.js';
import { count, type Counters } from '../proto/ppp-common.js';
import { earliest } from '../proto/timers.js';
import type { Ipv6cpNegotiated } from '../proto/ipv6cp.js';

/** Echo requests we wait for at once; beyond, the oldest is forgotten (counted). */
export const MAX_PINGS6 = 1024;
const ALL_NODES = new Uint8Array([0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);

export interface HomeIpv6Options {
  /** Uniform [0, 1): the interface identifier, the first RS's delay, DHCPv6's RAND and transaction ids. Seeded in simulations. */
  readonly random: () => number;
  /** IA_PD's prefix-length hint (dhcpcd's `ia_pd 1/::/56`); undefined: none. */
  readonly prefixLengthHint?: number;
}

export type HomeIpv6Event =
  | { readonly kind: 'echo-reply'; readonly from: string; readonly identifier: number; readonly sequence: number; readonly rtt: number; readonly hopLimit: number; readonly bytes: number }
  /** The WAN address and the delegated prefix are known (what `home-ipv6-up` reports). */
  | { readonly kind: 'up'; readonly address: string; readonly delegatedPrefix: string; readonly lanPrefix: string; readonly wanPrefix: string | undefined }
  | { readonly kind: 'slaac'; readonly event: SlaacEvent }
  | { readonly kind: 'dhcpv6'; readonly event: Dhcpv6ClientEvent };

export class HomeIpv6 {
  readonly slaac: Slaac;
  readonly dhcp: Dhcpv6Client;
  readonly linkLocal: Uint8Array;
  readonly peerLinkLocal: Uint8Array | undefined;
  /** The delegated prefix in use and its first /64 (the LAN prefix: this home has no LAN port, it is recorded). */
  delegated: DelegatedPrefix | undefined;
  lanPrefix: Uint8Array | undefined;
  /** No SLAAC address came (an RA without an autonomous prefix, or none at all): the home sources from lanPrefix::1 (RFC 7084's unnumbered WAN). */
  private lanAddress: Uint8Array | undefined;
  private slaacSettled = false;
  private upReported = false;
  managed = false;
  other = false;
  private pings: Map<number, number> | undefined;
  private tx: Uint8Array[] | undefined;
  private events: HomeIpv6Event[] | undefined;

  constructor(readonly name: string, mac: Uint8Array, negotiated: Ipv6cpNegotiated, mtu: number, o: HomeIpv6Options, readonly counters: Counters, now: number) {
    // IPV6CP's link-locals, as its arrays; the identifier is our link-local's low 64 bits (SLAAC takes it from there).
    this.linkLocal = negotiated.localLinkLocal ?? new Uint8Array([0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    this.peerLinkLocal = negotiated.peerLinkLocal;
    this.slaac = new Slaac({ linkLocal: this.linkLocal, linkMtu: mtu, random: o.random, peerLinkLocal: this.peerLinkLocal }, counters);
    // IAID 1 for our one IA_PD, a DUID-LL from the home's MAC (RFC 8415 §11.4: the link-layer address of an interface that stays);
    // the MAC array itself (the home's, never written to), not a copy.
    this.dhcp = new Dhcpv6Client({ duid: { kind: 'll', hardwareType: 1, linkLayer: mac.length === 6 ? mac : keptBytes(mac.subarray(0, 6)) }, iaid: 1, random: o.random, prefixLengthHint: o.prefixLengthHint }, counters);
    this.slaac.start(now);
    // DHCPv6-PD starts with the link, not with the RA's M/O flags: those speak of addresses and other configuration on this link,
    // not of a prefix for the LAN, and an LNS that sends no RA still delegates. dhcpcd does the same with `ia_pd` configured.
    this.dhcp.start(now);
  }

  /** The address we send from: the SLAAC one, else the LAN fallback. */
  get address(): Uint8Array | undefined {
    return this.slaac.address ?? this.lanAddress;
  }

  private isOurs(a: Uint8Array): boolean {
    if (bytesEqual(a, this.linkLocal)) return true;
    if (this.lanAddress && bytesEqual(a, this.lanAddress)) return true;
    return this.slaac.addresses.some((x) => bytesEqual(x.address, a));
  }

  /** ICMPv6 echo request to `dst`; the reply comes back as an `echo-reply` event. False without an address. */
  ping6(dst: Uint8Array, sequence: number, now: number, size = 56, identifier = 0x6e6f): boolean {
    const src = this.address;
    if (!src) return false;
    const k = identifier * 0x10000 + (sequence & 0xffff);
    const pings = (this.pings ??= new Map());
    if (pings.size >= MAX_PINGS6 && !pings.has(k)) {
      // Full of requests never answered: the oldest is forgotten (its reply, if it comes, is counted unmatched).
      count(this.counters, 'home6.ping-forgotten');
      pings.delete(pings.keys().next().value!);
    }
    pings.set(k, now);
    const data = new Uint8Array(size).map((_, i) => i & 0xff);
    (this.tx ??= []).push(icmpv6Packet({ src, dst, hopLimit: this.slaac.hopLimit }, { kind: 'echo', type: Icmpv6Type.ECHO_REQUEST, code: 0, checksum: 0, identifier, sequence: sequence & 0xffff, data }));
    return true;
  }

  /** Gives the delegated prefix back (DHCPv6 Release) before the home hangs up. */
  release(now: number): boolean {
    const sent = this.dhcp.release(now);
    this.pump(now);
    return sent;
  }

  /** IPV6CP went down or the session ended. */
  stop(): void {
    this.slaac.stop();
    this.dhcp.stop();
    this.pings = undefined;
  }

  /** A bare IPv6 packet from the PPP link. */
  handle(packet: Uint8Array, now: number): void {
    const r = parseIpv6(packet);
    if (!r.ok) return this.drop(`malformed.${r.error.code}`);
    const ip = r.value;
    const multicast = isIpv6Multicast(ip.dst);
    // ff02::1 and our own addresses; the LAN prefix beyond our address has no port to go to.
    if (multicast ? !bytesEqual(ip.dst, ALL_NODES) : !this.isOurs(ip.dst)) {
      return this.drop(this.inLan(ip.dst) ? 'lan-no-port' : 'not-for-us');
    }
    const u = ipv6UpperLayer(ip);
    if (!u.ok) return this.drop(`malformed.${u.error.code}`);
    if (u.value.protocol === NextHeader.ICMPV6) this.icmp(ip, u.value.data, multicast, now);
    else if (u.value.protocol === NextHeader.UDP) this.udp(ip, u.value.data, now);
    else this.drop(`next-header-${u.value.protocol}`);
    this.pump(now);
  }

  private icmp(ip: { src: Uint8Array; dst: Uint8Array; hopLimit: number }, data: Uint8Array, multicast: boolean, now: number): void {
    const type = data[0];
    if (type === Icmpv6Type.ROUTER_ADVERTISEMENT) {
      this.slaac.handleRa(ip as Parameters<Slaac['handleRa']>[0], data, now);
      return;
    }
    if (!icmpv6ChecksumOk(ip.src, ip.dst, data)) return this.drop('icmpv6-checksum');
    const m = parseIcmpv6(data);
    if (!m.ok) return this.drop(`malformed.${m.error.code}`);
    const v = m.value;
    if (v.kind === 'echo' && v.type === Icmpv6Type.ECHO_REQUEST) {
      // RFC 4443 §4.2: the reply's source is the address the request was sent to (a multicast request: one of ours).
      const src = multicast ? (this.address ?? this.linkLocal) : ip.dst.slice();
      count(this.counters, 'home6.echo-answered');
      (this.tx ??= []).push(icmpv6Packet({ src, dst: ip.src.slice(), hopLimit: this.slaac.hopLimit }, { ...v, type: Icmpv6Type.ECHO_REPLY, checksum: 0, data: v.data.slice() }));
    } else if (v.kind === 'echo' && v.type === Icmpv6Type.ECHO_REPLY) {
      const k = v.identifier * 0x10000 + v.sequence;
      const sent = this.pings?.get(k);
      if (sent === undefined) return this.drop('echo-reply-unmatched');
      this.pings!.delete(k);
      (this.events ??= []).push({ kind: 'echo-reply', from: ipv6ToString(ip.src), identifier: v.identifier, sequence: v.sequence, rtt: now - sent, hopLimit: ip.hopLimit, bytes: v.data.length });
    } else count(this.counters, `home6.icmpv6-ignored-${type}`);
  }

  private udp(ip: { src: Uint8Array; dst: Uint8Array }, data: Uint8Array, now: number): void {
    const u = parseUdp(data);
    if (!u.ok) return this.drop(`malformed.${u.error.code}`);
    const len = u16(data, UDP.LENGTH);
    // RFC 8200 §8.1: the UDP checksum is mandatory over IPv6 (zero is wrong); a computed zero travels as 0xffff.
    let c = ipv6UpperChecksum(ip.src, ip.dst, NextHeader.UDP, data, 0, len, UDP.CHECKSUM);
    if (c === 0) c = 0xffff;
    if (u.value.checksum !== c) return this.drop('udp-checksum');
    if (u.value.dstPort === DHCPV6_CLIENT_PORT && u.value.srcPort === DHCPV6_SERVER_PORT) this.dhcp.handle(u.value.payload, now);
    else this.drop(`udp-port-${u.value.dstPort}`);
  }

  private inLan(a: Uint8Array): boolean {
    const d = this.delegated;
    if (!d) return false;
    const bits = d.length;
    for (let i = 0; i < 16 && i * 8 < bits; i++) {
      const m = bits - i * 8 >= 8 ? 0xff : (0xff << (8 - (bits - i * 8))) & 0xff;
      if ((a[i]! & m) !== (d.prefix[i]! & m)) return false;
    }
    return true;
  }

  private drop(reason: string): void {
    count(this.counters, `home6.drop.${reason}`);
  }

  nextTimeout(): number | undefined {
    return earliest(this.slaac.nextTimeout(), this.dhcp.nextTimeout());
  }

  handleTimeout(now: number): void {
    this.slaac.handleTimeout(now);
    this.dhcp.handleTimeout(now);
    this.pump(now);
  }

  /** Moves the parts' output out and their events into ours. */
  pump(now: number): void {
    for (let p = this.slaac.pollTransmit(); p; p = this.slaac.pollTransmit()) (this.tx ??= []).push(p);
    for (let m = this.dhcp.pollTransmit(); m; m = this.dhcp.pollTransmit()) {
      // RFC 8415 §13: from our link-local to All_DHCP_Relay_Agents_and_Servers, link scope.
      (this.tx ??= []).push(udp6Packet({ src: this.linkLocal, dst: ALL_DHCP_RELAY_AGENTS_AND_SERVERS, hopLimit: 1 }, DHCPV6_CLIENT_PORT, DHCPV6_SERVER_PORT, m));
    }
    for (let e = this.slaac.pollEvent(); e; e = this.slaac.pollEvent()) {
      if (e.type === 'ra') {
        this.managed = e.managed;
        this.other = e.other;
        this.slaacSettled = true;
      } else if (e.type === 'no-router') this.slaacSettled = true;
      (this.events ??= []).push({ kind: 'slaac', event: e });
    }
    for (let e = this.dhcp.pollEvent(); e; e = this.dhcp.pollEvent()) {
      if (e.type === 'bound' || e.type === 'renewed') this.takePrefix(e.lease.prefixes[0]);
      else if (e.type === 'lost' || e.type === 'released') this.takePrefix(undefined);
      (this.events ??= []).push({ kind: 'dhcpv6', event: e });
    }
    this.checkUp();
  }

  private takePrefix(p: DelegatedPrefix | undefined): void {
    this.delegated = p;
    if (!p || p.length > 64) {
      if (p) count(this.counters, 'home6.delegated-longer-than-64');
      this.lanPrefix = this.lanAddress = undefined;
      this.upReported = false;
      return;
    }
    const lan = new Uint8Array(16);
    lan.set(p.prefix.subarray(0, 8));
    // For the lease's life: the delegated prefix's own array when its low 64 bits are zero (they
    // are the same octets), else a slab copy.
    this.lanPrefix = p.prefix.length === 16 && bytesEqual(lan, p.prefix) ? p.prefix : keptBytes(lan);
  }

  /** `up` once: a delegated prefix, and SLAAC's address (or SLAAC settled without one: then lanPrefix::1). */
  private checkUp(): void {
    if (this.upReported || !this.lanPrefix || !this.delegated) return;
    if (!this.slaac.address) {
      if (!this.slaacSettled) return;
      const a = this.lanPrefix.slice();
      a[15] = 1;
      this.lanAddress = keptBytes(a);
    }
    this.upReported = true;
    const wan = this.slaac.addresses[0]?.prefix;
    (this.events ??= []).push({ kind: 'up', address: ipv6ToString(this.address!), delegatedPrefix: `${ipv6ToString(this.delegated.prefix)}/${this.delegated.length}`, lanPrefix: `${ipv6ToString(this.lanPrefix)}/64`, wanPrefix: wan ? `${ipv6ToString(wan)}/64` : undefined });
  }

  get isUp(): boolean {
    return this.upReported;
  }

  pollTransmit(): Uint8Array | undefined {
    // A drained queue is let go: an idle machine holds no array.
    const q = this.tx;
    if (q === undefined) return undefined;
    const x = q.shift();
    if (q.length === 0) this.tx = undefined;
    return x;
  }

  pollEvent(): HomeIpv6Event | undefined {
    // A drained queue is let go: an idle machine holds no array.
    const q = this.events;
    if (q === undefined) return undefined;
    const x = q.shift();
    if (q.length === 0) this.events = undefined;
    return x;
  }

  /** The `ipv6` part of `show sessions`. */
  showSession(): Record<string, unknown> {
    const wan = this.slaac.addresses[0]?.prefix;
    return {
      wanPrefix: wan ? `${ipv6ToString(wan)}/64` : undefined,
      delegatedPrefix: this.delegated ? `${ipv6ToString(this.delegated.prefix)}/${this.delegated.length}` : undefined,
      address: this.address ? ipv6ToString(this.address) : undefined,
      lanPrefix: this.lanPrefix ? `${ipv6ToString(this.lanPrefix)}/64` : undefined,
      lanPort: 'none: the emulated home has no LAN port; the LAN /64 is recorded, not routed',
    };
  }

  /** `show interfaces`: the PPP link's IPv6 state. */
  showInterface(now: number): Record<string, unknown> {
    return {
      linkLocal: ipv6ToString(this.linkLocal),
      peerLinkLocal: this.peerLinkLocal ? ipv6ToString(this.peerLinkLocal) : undefined,
      slaac: this.slaac.show(now),
      raFlags: { managed: this.managed, other: this.other },
      dhcpv6: this.dhcp.show(now),
      ...this.showSession(),
    };
  }
}
