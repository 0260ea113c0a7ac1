/**
 * Router Advertisements on one point-to-point subscriber link (RFC 4861 §6.2), sans-IO: from
 * the router's link-local address, the initial burst (§6.2.4), then one every
 * [MinRtrAdvInterval, MaxRtrAdvInterval], and the answer to a Router Solicitation that passes
 * the §6.1.1 checks, delayed and rate-limited as §6.2.6 says. The state is a handful of
 * numbers per link: however many solicitations arrive, at most one RA is pending.
 */
import { Icmpv6Type } from '../wire/icmpv6.js';
import { PrefixFlag, RaFlag, type NdpOption, type RouterAdvertisement } from '../wire/ndp.js';
import { parseNdp } from '../wire/ndp.js';
import { icmpv6ChecksumOk } from '../wire/icmpv6.js';
import type { Counters } from './ppp-common.js';

/** RFC 4861 §10, router constants (ms). */
export const MAX_INITIAL_RTR_ADVERT_INTERVAL = 16_000;
export const MAX_INITIAL_RTR_ADVERTISEMENTS = 3;
export const MIN_DELAY_BETWEEN_RAS = 3_000;
export const MAX_RA_DELAY_TIME = 500;

/** all-nodes multicast (RFC 4291 §2.7.1), where unsolicited RAs go (§6.2.4). */
export const ALL_NODES = Uint8Array.of(0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1);

export interface RaConfig {
  /** MaxRtrAdvInterval, ms (§6.2.1: 4..1800 s, default 600 s). */
  readonly maxInterval: number;
  /** MinRtrAdvInterval, ms (§6.2.1: 3 s .. 0.75 × max, default 0.33 × max). */
  readonly minInterval: number;
  /** AdvDefaultLifetime, s (default 3 × MaxRtrAdvInterval: we are the subscriber's default router). */
  readonly routerLifetime: number;
  /** AdvCurHopLimit (default 64, the IANA default hop limit). */
  readonly curHopLimit: number;
  /**
   * AdvManagedFlag / AdvOtherConfigFlag. Default M=0, O=1: the WAN address is SLAAC from the
   * /64, and DHCPv6 has other configuration (DNS) and the delegated prefix, which a
   * requesting router asks for whatever M says (RFC 7084 WPD-1/2).
   */
  readonly managed: boolean;
  readonly other: boolean;
  /** Prefix Information lifetimes, s (§6.2.1 defaults: 30 days valid, 7 days preferred). */
  readonly validLifetime: number;
  readonly preferredLifetime: number;
  /** RDNSS lifetime, s (RFC 8106 §5.1: at least 3 × MaxRtrAdvInterval by default). */
  readonly rdnssLifetime: number;
  /** A uniform random number in [0, 1) (injectable for tests). */
  readonly random: () => number;
}

export function raConfig(c: Partial<RaConfig> = {}): RaConfig {
  const maxInterval = c.maxInterval ?? 600_000;
  return {
    maxInterval,
    minInterval: c.minInterval ?? Math.max(3_000, Math.round(maxInterval * 0.33)),
    routerLifetime: c.routerLifetime ?? Math.min(9000, Math.round((3 * maxInterval) / 1000)),
    curHopLimit: 64,
    managed: false,
    other: true,
    validLifetime: 2_592_000,
    preferredLifetime: 604_800,
    rdnssLifetime: Math.round((3 * maxInterval) / 1000),
    random: Math.random,
    ...c,
  };
}

/** What one link advertises. */
export interface RaLink {
  /** Our link-local address (fe80:: + our IPV6CP identifier): the RA's source (§6.1.2). */
  readonly source: Uint8Array;
  /** The link's /64 (undefined: link-local only, no Prefix Information). */
  readonly prefix?: { readonly prefix: Uint8Array; readonly length: number };
  /** The link MTU (MTU option, §4.6.4). */
  readonly mtu: number;
  /** RDNSS servers (RFC 8106); none: no RDNSS option. */
  readonly dns: readonly Uint8Array[];
}

/** An RA to send: the IPv6 source and destination, and the message (checksum filled by the builder). */
export interface RaTransmit {
  readonly src: Uint8Array;
  readonly dst: Uint8Array;
  readonly hopLimit: 255;
  readonly message: RouterAdvertisement;
}

/** Why a received solicitation was dropped (RFC 4861 §6.1.1), counted as `ra.rs-drop.<reason>`. */
export type RsProblem = 'hop-limit' | 'code' | 'checksum' | 'short' | 'malformed' | 'not-rs' | 'sllao-from-unspecified';

/**
 * The §6.1.1 checks of a Router Solicitation in an IPv6 packet: hop limit 255, a valid
 * ICMPv6 checksum, code 0, ICMP length 8 or more, every option of positive length (the codec),
 * and no source link-layer address option when the source is the unspecified address.
 */
export function rsProblem(src: Uint8Array, dst: Uint8Array, hopLimit: number, icmp: Uint8Array): RsProblem | undefined {
  if (hopLimit !== 255) return 'hop-limit';
  if (icmp.length < 8) return 'short';
  if (!icmpv6ChecksumOk(src, dst, icmp)) return 'checksum';
  if (icmp[0] !== Icmpv6Type.ROUTER_SOLICITATION) return 'not-rs';
  if (icmp[1] !== 0) return 'code';
  const m = parseNdp(icmp);
  if (!m.ok) return 'malformed';
  if (m.value.kind !== 'rs') return 'not-rs';
  const unspecified = src.every((b) => b === 0);
  if (unspecified && m.value.options.some((o) => o.kind === 'source-lla')) return 'sllao-from-unspecified';
  return undefined;
}

/** The RA engine of one subscriber link. */
export class RouterAdvertiser {
  /** Unsolicited RAs sent so far (the burst counts the first MAX_INITIAL_RTR_ADVERTISEMENTS). */
  private sent = 0;
  private lastSentAt: number | undefined;
  /** When the next RA goes out (periodic or a solicited one moved earlier). */
  private nextAt: number | undefined;
  private pending = 0;
  private stopped = true;
  private out: RaTransmit | undefined;

  constructor(
    readonly cfg: RaConfig,
    private link: RaLink,
    /** Shared by every link: `ra.sent`, `ra.solicited`, `ra.rs-received`, `ra.rs-drop.<reason>`, `ra.rs-coalesced`. */
    readonly counters: Counters,
  ) {}

  /** Advertising starts (IPV6CP is up): the first RA at once, as the burst's first (§6.2.4). */
  start(now: number): void {
    this.stopped = false;
    this.sent = 0;
    this.nextAt = now;
    this.handleTimeout(now);
  }

  /** The link stops advertising (IPV6CP down, session end): nothing more is sent. */
  stop(): void {
    this.stopped = true;
    this.nextAt = undefined;
    this.pending = 0;
    this.out = undefined;
  }

  /** A new prefix, MTU or DNS list: advertised from the next RA on. */
  update(link: RaLink): void {
    this.link = link;
  }

  get advertising(): boolean {
    return !this.stopped;
  }

  /**
   * A Router Solicitation, already through `rsProblem` or not: checked here (§6.1.1) and
   * answered by an RA to all-nodes at a random time in [0, MAX_RA_DELAY_TIME], but never sooner
   * than MIN_DELAY_BETWEEN_RAS after the previous one, and never later than one already due
   * (§6.2.6): solicitations that arrive meanwhile share that RA.
   */
  handleSolicitation(src: Uint8Array, dst: Uint8Array, hopLimit: number, icmp: Uint8Array, now: number): boolean {
    this.count('ra.rs-received');
    const problem = rsProblem(src, dst, hopLimit, icmp);
    if (problem) {
      this.count(`ra.rs-drop.${problem}`);
      return false;
    }
    if (this.stopped) {
      this.count('ra.rs-drop.not-advertising');
      return false;
    }
    let at = now + Math.floor(this.cfg.random() * MAX_RA_DELAY_TIME);
    if (this.lastSentAt !== undefined) at = Math.max(at, this.lastSentAt + MIN_DELAY_BETWEEN_RAS);
    if (this.nextAt !== undefined && this.nextAt <= at) {
      this.count('ra.rs-coalesced');
      return true;
    }
    this.nextAt = at;
    this.pending = 1;
    return true;
  }

  nextTimeout(): number | undefined {
    return this.stopped ? undefined : this.nextAt;
  }

  /** Sends the RA due at `now`, if any, and schedules the next; harmless when nothing is due. */
  handleTimeout(now: number): void {
    if (this.stopped || this.nextAt === undefined || this.nextAt > now) return;
    if (this.out) this.count('ra.overwritten');
    if (this.pending) this.count('ra.solicited');
    this.pending = 0;
    this.sent++;
    this.lastSentAt = now;
    // §6.2.4: a random interval in [Min, Max]; the first MAX_INITIAL_RTR_ADVERTISEMENTS
    // intervals capped at MAX_INITIAL_RTR_ADVERT_INTERVAL.
    let interval = this.cfg.minInterval + Math.floor(this.cfg.random() * (this.cfg.maxInterval - this.cfg.minInterval + 1));
    if (this.sent < MAX_INITIAL_RTR_ADVERTISEMENTS) interval = Math.min(interval, MAX_INITIAL_RTR_ADVERT_INTERVAL);
    this.nextAt = now + interval;
    this.count('ra.sent');
    this.out = { src: this.link.source, dst: ALL_NODES, hopLimit: 255, message: this.advertisement() };
  }

  /** The RA to send now (one at most: a link never queues more). */
  pollTransmit(): RaTransmit | undefined {
    const t = this.out;
    this.out = undefined;
    return t;
  }

  /** The RA as §4.2 lays it out, with Prefix Information, MTU and RDNSS. */
  advertisement(): RouterAdvertisement {
    const c = this.cfg;
    const options: NdpOption[] = [];
    const p = this.link.prefix;
    if (p) {
      options.push({
        kind: 'prefix', prefixLength: p.length, flags: PrefixFlag.ON_LINK | PrefixFlag.AUTONOMOUS,
        validLifetime: c.validLifetime, preferredLifetime: Math.min(c.preferredLifetime, c.validLifetime), reserved: 0, prefix: p.prefix,
      });
    }
    options.push({ kind: 'mtu', reserved: 0, mtu: this.link.mtu });
    if (this.link.dns.length) options.push({ kind: 'rdnss', reserved: 0, lifetime: c.rdnssLifetime, servers: this.link.dns });
    return {
      kind: 'ra', code: 0, checksum: 0, curHopLimit: c.curHopLimit,
      flags: (c.managed ? RaFlag.MANAGED : 0) | (c.other ? RaFlag.OTHER : 0),
      routerLifetime: c.routerLifetime, reachableTime: 0, retransTimer: 0, options,
    };
  }

  private count(k: string): void {
    this.counters[k] = (this.counters[k] ?? 0) + 1;
  }
}
