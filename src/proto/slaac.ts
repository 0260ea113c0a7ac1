/**
 * IPv6 stateless address autoconfiguration (RFC 4862) on one point-to-point link, the host
 * side of RFC 4861: Router Solicitations (§6.3.7), Router Advertisements accepted only after
 * the §6.1.2 validity checks, Prefix Information with the A flag → an address from the /64
 * and our interface identifier with the §5.5.3 lifetime rules, the default router, the MTU
 * option and RDNSS (RFC 8106). Every table is bounded and counted. Sans-IO: RS packets out
 * with `pollTransmit` (bare IPv6), RAs in with `handleRa`; time is `now` in ms.
 */
import { bytesEqual, keptBytes } from '../wire/bytes.js';
import { icmpv6ChecksumOk, Icmpv6Type } from '../wire/icmpv6.js';
import { IPV6_MIN_MTU, ipv6ToString, type Ipv6Packet } from '../wire/ipv6.js';
import { ndpPacket } from '../wire/ipv6-packets.js';
import { NDP_INFINITY, parseNdp, PrefixFlag, RaFlag, type RouterAdvertisement } from '../wire/ndp.js';
import { count, type Counters } from './ppp-common.js';
import { earliest } from './timers.js';
import { Outbox } from './outbox.js';
import { sharedBytes } from './shared-bytes.js';

/** RFC 4861 §10 host constants. */
export const MAX_RTR_SOLICITATION_DELAY_MS = 1000;
export const RTR_SOLICITATION_INTERVAL_MS = 4000;
export const MAX_RTR_SOLICITATIONS = 3;
/** RFC 4862 §5.5.3 e): a valid lifetime below two hours is not shortened by an unauthenticated RA. */
export const TWO_HOURS_MS = 2 * 3600 * 1000;
/** RFC 8106 §5.3.1: a host keeps at least three RDNSS addresses; we keep exactly that many. */
export const MAX_RDNSS = 3;
/** Autoconfigured addresses per link (one /64 per RA prefix is what an LNS sends; a few to spare). */
export const MAX_SLAAC_ADDRESSES = 4;

const ALL_ROUTERS = new Uint8Array([0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]);
/** NDP RA header before the options (RFC 4861 §4.2): type, code, checksum, 12 octets of fields. */
const RA_MIN_LENGTH = 16;

export interface SlaacConfig {
  /** Our 64-bit interface identifier (IPV6CP's, RFC 5072 §5); undefined: linkLocal's low 64 bits. */
  readonly interfaceId?: Uint8Array;
  /** fe80::/64 + the identifier: the source of our RS (§6.3.7 "the IP source address ... of the interface"). */
  readonly linkLocal: Uint8Array;
  /** The link MTU: an RA's MTU option above it is ignored (§6.3.4). */
  readonly linkMtu: number;
  /** Uniform [0, 1) source for the first RS's delay (seeded in simulations). */
  readonly random: () => number;
  readonly maxRtrSolicitations?: number;
  readonly rtrSolicitationIntervalMs?: number;
  readonly maxRtrSolicitationDelayMs?: number;
  /** The peer's link-local, when known (IPV6CP): the router an RA names is kept as this very array when it is that address. */
  readonly peerLinkLocal?: Uint8Array;
}

export interface SlaacAddress {
  readonly address: Uint8Array;
  /** The /64 it was formed from (a new array each read: the address holds its octets). */
  readonly prefix: Uint8Array;
  /** undefined: infinite. */
  preferredUntil: number | undefined;
  validUntil: number | undefined;
}

/** An address formed from a prefix: only the address is kept, the prefix is its high 64 bits. */
class FormedAddress implements SlaacAddress {
  constructor(
    readonly address: Uint8Array,
    public preferredUntil: number | undefined,
    public validUntil: number | undefined,
  ) {}

  get prefix(): Uint8Array {
    const p = new Uint8Array(16);
    p.set(this.address.subarray(0, 8));
    return p;
  }

  /** Formed from this /64 (the first 8 octets of `prefix`)? */
  from(prefix: Uint8Array): boolean {
    for (let i = 0; i < 8; i++) if (this.address[i] !== prefix[i]) return false;
    return true;
  }
}

export type SlaacEvent =
  /** A valid RA: its M and O flags say whether DHCPv6 is to be asked (RFC 4861 §4.2). */
  | { readonly type: 'ra'; readonly managed: boolean; readonly other: boolean; readonly router: Uint8Array }
  | { readonly type: 'address-added'; readonly address: Uint8Array; readonly prefix: Uint8Array }
  | { readonly type: 'address-removed'; readonly address: Uint8Array; readonly reason: 'valid-lifetime-expired' }
  | { readonly type: 'router'; readonly router: Uint8Array | undefined }
  /** MAX_RTR_SOLICITATIONS sent and RTR_SOLICITATION_INTERVAL waited with no RA: no router (§6.3.7). */
  | { readonly type: 'no-router' };

export class Slaac {
  addresses: FormedAddress[] = [];
  /** The RA's source while its Router Lifetime runs. */
  defaultRouter: Uint8Array | undefined;
  private routerUntil: number | undefined;
  /** CurHopLimit of the last RA that set one (0 = unspecified, §6.3.4). */
  hopLimit = 64;
  mtu: number;
  dns: { server: Uint8Array; until: number | undefined }[] = [];
  /** RS sent so far. */
  solicitations = 0;
  private rsAt: number | undefined;
  /** When we conclude no router answers (after the last RS). */
  private giveUpAt: number | undefined;
  private soliciting = false;
  /** A valid RA with a non-zero Router Lifetime was seen: no more RS (§6.3.7). */
  private routerSeen = false;
  private tx: Uint8Array[] | undefined;
  /** Events until polled: a ring given back when drained (an idle machine holds no queue). */
  private readonly events = new Outbox<SlaacEvent>(1024);
  private readonly maxRs: number;
  private readonly rsInterval: number;

  constructor(readonly cfg: SlaacConfig, readonly counters: Counters = {}) {
    this.mtu = cfg.linkMtu;
    this.maxRs = cfg.maxRtrSolicitations ?? MAX_RTR_SOLICITATIONS;
    this.rsInterval = cfg.rtrSolicitationIntervalMs ?? RTR_SOLICITATION_INTERVAL_MS;
  }

  /** The interface is up (IPV6CP opened): the first RS after a random delay in [0, MAX_RTR_SOLICITATION_DELAY]. */
  start(now: number): void {
    this.soliciting = true;
    this.solicitations = 0;
    this.rsAt = now + Math.floor(this.cfg.random() * (this.cfg.maxRtrSolicitationDelayMs ?? MAX_RTR_SOLICITATION_DELAY_MS));
  }

  /** The interface is going down: nothing more to send or expire. */
  stop(): void {
    this.soliciting = false;
    this.rsAt = undefined;
    this.giveUpAt = undefined;
  }

  /** The first global address (the one we source packets from). */
  get address(): Uint8Array | undefined {
    return this.addresses[0]?.address;
  }

  /**
   * An ICMPv6 message of type 134 in `ip` (`icmp` its bytes, from the walk past any
   * extension headers). Returns whether it was accepted.
   */
  handleRa(ip: Ipv6Packet, icmp: Uint8Array, now: number): boolean {
    // RFC 4861 §6.1.2: a node MUST silently discard any received Router Advertisement that fails these.
    if (!isLinkLocal(ip.src)) return this.drop('slaac.ra-source-not-link-local');
    if (ip.hopLimit !== 255) return this.drop('slaac.ra-hop-limit-not-255');
    if (!icmpv6ChecksumOk(ip.src, ip.dst, icmp)) return this.drop('slaac.ra-checksum');
    if (icmp.length < RA_MIN_LENGTH) return this.drop('slaac.ra-too-short');
    if (icmp[0] !== Icmpv6Type.ROUTER_ADVERTISEMENT) return this.drop('slaac.not-an-ra');
    if (icmp[1] !== 0) return this.drop('slaac.ra-code-not-0');
    // The codec fails on an option of length zero (§6.1.2 "all included options have a length that is greater than zero").
    const r = parseNdp(icmp);
    if (!r.ok) return this.drop(`slaac.ra-${r.error.code}`);
    if (r.value.kind !== 'ra') return this.drop('slaac.not-an-ra');
    this.process(r.value, ip.src, now);
    return true;
  }

  private process(ra: RouterAdvertisement, src: Uint8Array, now: number): void {
    count(this.counters, 'slaac.ra-accepted');
    // §6.3.4: a non-zero Cur Hop Limit is taken; the Router Lifetime names (or removes) the default router.
    if (ra.curHopLimit !== 0) this.hopLimit = ra.curHopLimit;
    if (ra.routerLifetime !== 0) {
      const changed = !this.defaultRouter || !bytesEqual(this.defaultRouter, src);
      // Kept while it stays the router: a slab copy when it changes, nothing per periodic RA.
      if (changed) {
        const peer = this.cfg.peerLinkLocal;
        this.defaultRouter = peer !== undefined && bytesEqual(peer, src) ? peer : keptBytes(src);
      }
      this.routerUntil = now + ra.routerLifetime * 1000;
      if (changed) this.events.push({ type: 'router', router: this.defaultRouter });
      if (!this.routerSeen) {
        // §6.3.7: after a valid RA with a non-zero Router Lifetime the host MUST desist from sending RS.
        this.routerSeen = true;
        this.rsAt = undefined;
        this.giveUpAt = undefined;
      }
    } else if (this.defaultRouter && bytesEqual(this.defaultRouter, src)) this.removeRouter();
    for (const o of ra.options) {
      if (o.kind === 'prefix') this.prefix(o, now);
      else if (o.kind === 'mtu') {
        // §6.3.4: "hosts SHOULD copy the option's value ... if the value is greater than or equal to the minimum link MTU [1280] and does not exceed the maximum LinkMTU value".
        if (o.mtu >= IPV6_MIN_MTU && o.mtu <= this.cfg.linkMtu) this.mtu = o.mtu;
        else count(this.counters, 'slaac.mtu-out-of-range');
      } else if (o.kind === 'rdnss') this.rdnss(o.lifetime, o.servers, now);
    }
    this.events.push({ type: 'ra', managed: (ra.flags & RaFlag.MANAGED) !== 0, other: (ra.flags & RaFlag.OTHER) !== 0, router: src.slice() });
  }

  /** RFC 4862 §5.5.3 a)–e). */
  private prefix(o: { prefixLength: number; flags: number; validLifetime: number; preferredLifetime: number; prefix: Uint8Array }, now: number): void {
    if ((o.flags & PrefixFlag.AUTONOMOUS) === 0) return; // a) on-link information only: not ours to autoconfigure
    if (isLinkLocal(o.prefix)) return this.ignore('slaac.prefix-link-local'); // b)
    if (o.preferredLifetime > o.validLifetime) return this.ignore('slaac.prefix-preferred-above-valid'); // c)
    // §5.5.3 d): the prefix length plus the identifier's (64 bits, RFC 5072 / RFC 4291) must be 128.
    if (o.prefixLength !== 64) return this.ignore('slaac.prefix-length-not-64');
    const existing = this.addresses.find((a) => a.from(o.prefix));
    const until = (s: number): number | undefined => (s === NDP_INFINITY ? undefined : now + s * 1000);
    if (!existing) {
      if (o.validLifetime === 0) return;
      if (this.addresses.length >= MAX_SLAAC_ADDRESSES) return this.ignore('slaac.address-table-full');
      const formed = new Uint8Array(16);
      formed.set(o.prefix.subarray(0, 8));
      formed.set((this.cfg.interfaceId ?? this.cfg.linkLocal.subarray(8)).subarray(0, 8), 8);
      const address = keptBytes(formed);
      // No DAD (DupAddrDetectTransmits 0, §5.4): on a PPP link the only other node is the peer, and IPV6CP made our identifier differ from its (RFC 5072 §4.1).
      // A new array of exact length (an address is formed once or twice per session; a pushed-to
      // array, and one built by spreading into a literal, holds 17 slots; concat does not).
      const a = new FormedAddress(address, until(o.preferredLifetime), until(o.validLifetime));
      this.addresses = this.addresses.concat([a]);
      count(this.counters, 'slaac.address-formed');
      this.events.push({ type: 'address-added', address, prefix: a.prefix });
      return;
    }
    // e) the preferred lifetime is reset; the valid one with the two-hour rule against a spoofed short lifetime.
    existing.preferredUntil = until(o.preferredLifetime);
    const remaining = existing.validUntil === undefined ? Infinity : existing.validUntil - now;
    const received = o.validLifetime === NDP_INFINITY ? Infinity : o.validLifetime * 1000;
    if (received > TWO_HOURS_MS || received > remaining) existing.validUntil = until(o.validLifetime);
    else if (remaining <= TWO_HOURS_MS) count(this.counters, 'slaac.valid-lifetime-kept');
    else existing.validUntil = now + TWO_HOURS_MS;
  }

  /** RFC 8106 §5.3.1: servers with their lifetime; a zero lifetime removes them; at most MAX_RDNSS kept. */
  private rdnss(lifetime: number, servers: readonly Uint8Array[], now: number): void {
    for (const s of servers) {
      const i = this.dns.findIndex((d) => bytesEqual(d.server, s));
      if (lifetime === 0) {
        if (i >= 0) this.dns.splice(i, 1);
        continue;
      }
      const until = lifetime === NDP_INFINITY ? undefined : now + lifetime * 1000;
      if (i >= 0) this.dns[i]!.until = until;
      else if (this.dns.length < MAX_RDNSS) this.dns = this.dns.concat([{ server: sharedBytes(s), until }]);
      else count(this.counters, 'slaac.rdnss-table-full');
    }
  }

  private removeRouter(): void {
    this.defaultRouter = undefined;
    this.routerUntil = undefined;
    this.events.push({ type: 'router', router: undefined });
  }

  private drop(reason: string): false {
    count(this.counters, reason);
    return false;
  }

  private ignore(reason: string): void {
    count(this.counters, reason);
  }

  nextTimeout(): number | undefined {
    let t = earliest(this.rsAt, this.giveUpAt, this.routerUntil);
    for (const a of this.addresses) t = earliest(t, a.validUntil);
    for (const d of this.dns) t = earliest(t, d.until);
    return t;
  }

  handleTimeout(now: number): void {
    if (this.rsAt !== undefined && now >= this.rsAt) {
      this.rsAt = undefined;
      if (this.soliciting) {
        this.solicit();
        if (this.solicitations < this.maxRs) this.rsAt = now + this.rsInterval;
        else this.giveUpAt = now + this.rsInterval;
      }
    }
    if (this.giveUpAt !== undefined && now >= this.giveUpAt) {
      this.giveUpAt = undefined;
      this.soliciting = false;
      this.events.push({ type: 'no-router' });
    }
    if (this.routerUntil !== undefined && now >= this.routerUntil) this.removeRouter();
    for (let i = this.addresses.length - 1; i >= 0; i--) {
      const a = this.addresses[i]!;
      if (a.validUntil !== undefined && now >= a.validUntil) {
        this.addresses.splice(i, 1);
        this.events.push({ type: 'address-removed', address: a.address, reason: 'valid-lifetime-expired' });
      }
    }
    for (let i = this.dns.length - 1; i >= 0; i--) if (this.dns[i]!.until !== undefined && now >= this.dns[i]!.until!) this.dns.splice(i, 1);
  }

  /** §6.3.7: to all-routers from our link-local; no Source Link-Layer Address option (a PPP link has no link-layer address, RFC 5072 §5). */
  private solicit(): void {
    this.solicitations++;
    count(this.counters, 'slaac.rs-sent');
    (this.tx ??= []).push(ndpPacket({ src: this.cfg.linkLocal, dst: ALL_ROUTERS }, { kind: 'rs', code: 0, checksum: 0, reserved: 0, options: [] }));
  }

  pollTransmit(): Uint8Array | undefined {
    // A drained queue is let go: an idle machine holds no array.
    const q = this.tx;
    if (q === undefined) return undefined;
    const x = q.shift();
    if (q.length === 0) this.tx = undefined;
    return x;
  }

  pollEvent(): SlaacEvent | undefined {
    return this.events.shift();
  }

  show(now: number): unknown {
    const left = (t: number | undefined): number | 'infinite' => (t === undefined ? 'infinite' : Math.max(0, Math.round((t - now) / 1000)));
    return {
      addresses: this.addresses.map((a) => ({ address: ipv6ToString(a.address), prefix: `${ipv6ToString(a.prefix)}/64`, preferredLifetime: left(a.preferredUntil), validLifetime: left(a.validUntil) })),
      defaultRouter: this.defaultRouter ? ipv6ToString(this.defaultRouter) : undefined,
      routerLifetime: this.routerUntil === undefined ? undefined : left(this.routerUntil),
      mtu: this.mtu,
      hopLimit: this.hopLimit,
      dns: this.dns.map((d) => ipv6ToString(d.server)),
      solicitations: this.solicitations,
    };
  }
}

/** fe80::/10 (RFC 4291 §2.5.6). */
export function isLinkLocal(a: Uint8Array): boolean {
  return a[0] === 0xfe && (a[1]! & 0xc0) === 0x80;
}
