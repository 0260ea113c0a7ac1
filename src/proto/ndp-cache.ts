/**
 * IPv6 neighbour discovery (RFC 4861) for Ethernet, sans-IO: the neighbour cache with the
 * §7.3.2 states INCOMPLETE / REACHABLE / STALE / DELAY / PROBE, address resolution by
 * Neighbor Solicitation to the solicited-node multicast (§7.2.2), Neighbor Advertisement
 * processing with the §7.1.2 validity checks (§7.2.5), answers to solicitations for our own
 * addresses (§7.2.4), and the queue of packets waiting for a resolution, bounded per
 * neighbour and overall; the table itself is bounded. Everything refused is counted.
 * `handle*` take messages the caller parsed and checksummed; `pollTransmit()` gives NDP
 * messages to build and send; `pollEvent()` resolved / failed with the packets that waited.
 *
 * Simplifications, on purpose: no Duplicate Address Detection of our own addresses; an
 * entry is created only by our own need (`enqueue`), never by a received NS or NA (as the
 * ARP cache does: a peer cannot fill the table or plant an entry); a received NS's
 * source link-layer address updates an entry that exists (§7.2.3). IsRouter is not kept.
 */
import { ipv6ToString, isIpv6Multicast, solicitedNodeAddress } from '../wire/ipv6.js';
import { lla, NaFlag, type NdpMessage, type NeighborAdvertisement, type NeighborSolicitation } from '../wire/ndp.js';
import { macToString } from '../wire/bytes.js';
import { NeighbourTable, type NeighbourEvent } from './neighbour-table.js';

export type NdpState = 'INCOMPLETE' | 'REACHABLE' | 'STALE' | 'DELAY' | 'PROBE';

export interface NdpOptions {
  /** MAX_MULTICAST_SOLICIT (§10): solicitations for one resolution. Default 3. */
  readonly maxMulticastSolicit: number;
  /** MAX_UNICAST_SOLICIT: probes of a DELAY→PROBE entry before it is removed. Default 3. */
  readonly maxUnicastSolicit: number;
  /** RetransTimer, ms. Default 1000 (RETRANS_TIMER). */
  readonly retransTimer: number;
  /** ReachableTime, ms. Default 30 000 (REACHABLE_TIME). */
  readonly reachableTime: number;
  /** DELAY_FIRST_PROBE_TIME, ms. Default 5000. */
  readonly delayFirstProbeTime: number;
  /** A STALE entry not used for this long is removed (garbage collection, §7.3.2 leaves it to us), ms. Default 60 000. */
  readonly staleTime: number;
  /** Neighbour entries at most; a resolution beyond is refused. Default 4096. */
  readonly maxEntries: number;
  /** Packets that may wait for one neighbour. Default 16. */
  readonly queuePerHop: number;
  /** Packets that may wait for all neighbours together. Default 256. */
  readonly queueGlobal: number;
  /** Set the Router flag in our advertisements (§4.4). Default true. */
  readonly isRouter: boolean;
}

export const DEFAULT_NDP_OPTIONS: NdpOptions = {
  maxMulticastSolicit: 3,
  maxUnicastSolicit: 3,
  retransTimer: 1000,
  reachableTime: 30_000,
  delayFirstProbeTime: 5000,
  staleTime: 60_000,
  maxEntries: 4096,
  queuePerHop: 16,
  queueGlobal: 256,
  isRouter: true,
};

/** An NDP message to send on `ifIndex`: IPv6 `src` → `dst` (hop limit 255), Ethernet destination `dstMac`. */
export interface NdpTransmit {
  readonly ifIndex: number;
  readonly dstMac: Uint8Array;
  readonly src: Uint8Array;
  readonly dst: Uint8Array;
  readonly message: NdpMessage;
}

export type NdpEvent = NeighbourEvent<Uint8Array>;

export interface NdpEntryView {
  readonly ifIndex: number;
  readonly ip: string;
  readonly mac: string | undefined;
  readonly state: NdpState;
  readonly queued: number;
  /** ms since the entry was last confirmed or created. */
  readonly age: number;
}

/** The IPv6 header fields a received NDP message is judged by (§7.1). */
export interface NdpIp {
  readonly src: Uint8Array;
  readonly dst: Uint8Array;
  readonly hopLimit: number;
  /** ICMPv6 length (octets of the message). */
  readonly length: number;
  /** Ethernet source of the frame (where an answer to a solicitation without a source link-layer option goes). */
  readonly ethSrc: Uint8Array;
}

export interface NdpCounters {
  nsSent: number;
  naSent: number;
  nsReceived: number;
  naReceived: number;
  resolved: number;
  failed: number;
  /** DELAY→PROBE runs that got no answer (entry removed). */
  probesFailed: number;
  queued: number;
  drops: {
    queuePerHop: number;
    queueGlobal: number;
    /** A resolution refused: the table held `maxEntries`. */
    tableFull: number;
    /** §7.1: Hop Limit not 255 (the message crossed a router). */
    hopLimit: number;
    /** §7.1: ICMP Code not 0. */
    badCode: number;
    /** §7.1: ICMP length below 24 octets. */
    tooShort: number;
    /** §7.1: the target is a multicast address. */
    multicastTarget: number;
    /** §7.1.1: from the unspecified address but not to a solicited-node address, or with a source link-layer option. */
    badUnspecified: number;
    /** §7.1.2: to a multicast address with the Solicited flag set. */
    solicitedToMulticast: number;
    /** An NS for an address that is not ours (normal on a shared segment). */
    notForUs: number;
    /** An NA for a neighbour we have no entry for (§7.2.5: silently discarded). */
    unsolicited: number;
    /** An NA for an INCOMPLETE entry without a target link-layer address (§7.2.5). */
    noLinkLayerAddress: number;
    /** An NA without Override carrying a different link-layer address (§7.2.5: not taken). */
    overrideRefused: number;
    /** A link-layer address option that is not 6 octets, a group address, or ours. */
    badLinkLayerAddress: number;
    /** An NA for one of our own addresses (someone else claims it). */
    addressConflict: number;
    noInterface: number;
  };
}

interface Iface {
  readonly mac: Uint8Array;
  linkLocal: Uint8Array;
  addresses: Uint8Array[];
}

interface Entry {
  readonly ifIndex: number;
  readonly ip: Uint8Array;
  state: NdpState;
  mac: Uint8Array | undefined;
  confirmedAt: number;
  usedAt: number;
  /** Solicitations sent in this INCOMPLETE or PROBE run. */
  probes: number;
  /** The next retransmission (INCOMPLETE, PROBE) or the end of DELAY; only while `active`. */
  timerAt: number;
  queue: Uint8Array[];
}

/** A Map key for (interface, address): 9 UTF-16 units. */
export function ndpKey(ifIndex: number, a: Uint8Array, o = 0): string {
  return String.fromCharCode(ifIndex & 0xffff, (a[o]! << 8) | a[o + 1]!, (a[o + 2]! << 8) | a[o + 3]!, (a[o + 4]! << 8) | a[o + 5]!, (a[o + 6]! << 8) | a[o + 7]!,
    (a[o + 8]! << 8) | a[o + 9]!, (a[o + 10]! << 8) | a[o + 11]!, (a[o + 12]! << 8) | a[o + 13]!, (a[o + 14]! << 8) | a[o + 15]!);
}

/** The Ethernet address of an IPv6 multicast address: 33:33 and its last 32 bits (RFC 2464 §7). */
export function multicastMac(a: Uint8Array): Uint8Array {
  return new Uint8Array([0x33, 0x33, a[12]!, a[13]!, a[14]!, a[15]!]);
}

export const ALL_NODES = new Uint8Array([0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);

const eq16 = (a: Uint8Array, b: Uint8Array): boolean => {
  for (let i = 0; i < 16; i++) if (a[i] !== b[i]) return false;
  return true;
};
const eq6 = (a: Uint8Array, b: Uint8Array): boolean => a[0] === b[0] && a[1] === b[1] && a[2] === b[2] && a[3] === b[3] && a[4] === b[4] && a[5] === b[5];
const isUnspecified = (a: Uint8Array): boolean => a.every((x) => x === 0);

export class NdpCache extends NeighbourTable<string, Uint8Array, NdpState, Entry, NdpTransmit> {
  readonly options: NdpOptions;
  readonly counters: NdpCounters = {
    nsSent: 0, naSent: 0, nsReceived: 0, naReceived: 0, resolved: 0, failed: 0, probesFailed: 0, queued: 0,
    drops: { queuePerHop: 0, queueGlobal: 0, tableFull: 0, hopLimit: 0, badCode: 0, tooShort: 0, multicastTarget: 0, badUnspecified: 0, solicitedToMulticast: 0, notForUs: 0, unsolicited: 0, noLinkLayerAddress: 0, overrideRefused: 0, badLinkLayerAddress: 0, addressConflict: 0, noInterface: 0 },
  };
  private readonly ifaces = new Map<number, Iface>();
  private nextSweepAt: number | undefined;

  constructor(options: Partial<NdpOptions> = {}) {
    super();
    this.options = { ...DEFAULT_NDP_OPTIONS, ...options };
  }

  /** Runs NDP on an interface: its MAC, its link-local address, its other (global) addresses. */
  addInterface(ifIndex: number, mac: Uint8Array, linkLocal: Uint8Array, addresses: readonly Uint8Array[]): void {
    this.ifaces.set(ifIndex, { mac, linkLocal, addresses: [...addresses] });
  }

  /** The addresses NDP answers for on an interface change (the link-local stays). */
  setAddresses(ifIndex: number, addresses: readonly Uint8Array[]): void {
    const f = this.ifaces.get(ifIndex);
    if (f) f.addresses = [...addresses];
  }

  /** Stops NDP on an interface: its entries go, packets waiting there fail. */
  removeInterface(ifIndex: number): void {
    this.ifaces.delete(ifIndex);
    for (const e of [...this.entries.values()]) if (e.ifIndex === ifIndex) this.drop(e, true);
  }

  hasInterface(ifIndex: number): boolean {
    return this.ifaces.has(ifIndex);
  }

  /** The link-local address NDP uses on `ifIndex`. */
  linkLocal(ifIndex: number): Uint8Array | undefined {
    return this.ifaces.get(ifIndex)?.linkLocal;
  }

  /**
   * The MAC of neighbour `ip` (at a[o..o+16)) when one is known; undefined when the packet must
   * wait (`enqueue`). Using a STALE entry moves it to DELAY (§7.3.3). One Map lookup.
   */
  lookup(ifIndex: number, a: Uint8Array, o: number, now: number): Uint8Array | undefined {
    const e = this.entries.get(ndpKey(ifIndex, a, o));
    if (e === undefined || e.mac === undefined) return undefined;
    e.usedAt = now;
    if (e.state === 'REACHABLE' && now - e.confirmedAt >= this.options.reachableTime) e.state = 'STALE';
    if (e.state === 'STALE') {
      e.state = 'DELAY';
      e.timerAt = now + this.options.delayFirstProbeTime;
      this.active.add(e);
    }
    return e.mac;
  }

  /**
   * Queues `packet` (an Ethernet frame; the cache writes nothing in it) until neighbour `ip`
   * is resolved, starting the resolution. False (counted) when a bound is hit.
   */
  enqueue(ifIndex: number, a: Uint8Array, o: number, packet: Uint8Array, now: number): boolean {
    const d = this.counters.drops;
    if (!this.ifaces.has(ifIndex)) {
      d.noInterface++;
      return false;
    }
    const k = ndpKey(ifIndex, a, o);
    let e = this.entries.get(k);
    if (e === undefined) {
      if (this.entries.size >= this.options.maxEntries) {
        d.tableFull++;
        return false;
      }
      e = { ifIndex, ip: a.slice(o, o + 16), state: 'INCOMPLETE', mac: undefined, confirmedAt: now, usedAt: now, probes: 1, timerAt: now + this.options.retransTimer, queue: [] };
      this.entries.set(k, e);
      this.active.add(e);
      this.solicit(e, true);
      this.armSweep(now);
    }
    if (e.queue.length >= this.options.queuePerHop) {
      d.queuePerHop++;
      return false;
    }
    if (this.queuedTotal >= this.options.queueGlobal) {
      d.queueGlobal++;
      return false;
    }
    e.queue.push(packet);
    this.queuedTotal++;
    this.counters.queued++;
    return true;
  }

  /** A received Neighbor Solicitation (checksum already verified by the caller). */
  handleNs(ifIndex: number, ip: NdpIp, m: NeighborSolicitation, now: number): void {
    const c = this.counters;
    c.nsReceived++;
    const f = this.ifaces.get(ifIndex);
    if (!f) return void c.drops.noInterface++;
    if (!this.valid(ip, m.code, m.target)) return;
    const unspecified = isUnspecified(ip.src);
    const slla = this.option(m.options, 'source-lla', f);
    if (slla === null) return;
    if (unspecified && (slla !== undefined || !eq16(ip.dst, solicitedNodeAddress(m.target)))) return void c.drops.badUnspecified++;
    if (!this.isOurs(f, m.target)) return void c.drops.notForUs++;
    // §7.2.3: a known neighbour's new link-layer address is taken, and the entry goes STALE.
    if (!unspecified && slla !== undefined) {
      const e = this.entries.get(ndpKey(ifIndex, ip.src));
      if (e && e.state !== 'INCOMPLETE' && !eq6(e.mac!, slla)) {
        e.mac = new Uint8Array(slla);
        e.state = 'STALE';
        this.active.delete(e);
      } else if (e && e.state === 'INCOMPLETE') this.resolve(e, slla, 'STALE', now);
    }
    // §7.2.4: answer; to all-nodes without Solicited when the solicitation came from ::.
    c.naSent++;
    const flags = (this.options.isRouter ? NaFlag.ROUTER : 0) | (unspecified ? 0 : NaFlag.SOLICITED) | NaFlag.OVERRIDE;
    const dst = unspecified ? ALL_NODES : new Uint8Array(ip.src);
    const dstMac = unspecified ? multicastMac(ALL_NODES) : new Uint8Array(slla ?? ip.ethSrc);
    this.tx.push({ ifIndex, dstMac, src: new Uint8Array(m.target), dst, message: { kind: 'na', code: 0, checksum: 0, flags: flags >>> 0, target: new Uint8Array(m.target), options: [lla('target-lla', f.mac)] } });
  }

  /** A received Neighbor Advertisement (checksum already verified by the caller), §7.2.5. */
  handleNa(ifIndex: number, ip: NdpIp, m: NeighborAdvertisement, now: number): void {
    const c = this.counters;
    c.naReceived++;
    const f = this.ifaces.get(ifIndex);
    if (!f) return void c.drops.noInterface++;
    if (!this.valid(ip, m.code, m.target)) return;
    const solicited = (m.flags & NaFlag.SOLICITED) !== 0;
    const override = (m.flags & NaFlag.OVERRIDE) !== 0;
    if (isIpv6Multicast(ip.dst) && solicited) return void c.drops.solicitedToMulticast++;
    const tlla = this.option(m.options, 'target-lla', f);
    if (tlla === null) return;
    if (this.isOurs(f, m.target)) return void c.drops.addressConflict++;
    const e = this.entries.get(ndpKey(ifIndex, m.target));
    if (e === undefined) return void c.drops.unsolicited++;
    if (e.state === 'INCOMPLETE') {
      if (tlla === undefined) return void c.drops.noLinkLayerAddress++;
      this.resolve(e, tlla, solicited ? 'REACHABLE' : 'STALE', now);
      return;
    }
    const changed = tlla !== undefined && !eq6(tlla, e.mac!);
    if (!override && changed) {
      c.drops.overrideRefused++;
      if (e.state === 'REACHABLE') e.state = 'STALE';
      return;
    }
    if (changed) e.mac = new Uint8Array(tlla);
    if (solicited) {
      e.state = 'REACHABLE';
      e.confirmedAt = now;
      e.probes = 0;
      this.active.delete(e);
    } else if (changed) {
      e.state = 'STALE';
      this.active.delete(e);
    }
  }

  handleTimeout(now: number): void {
    const o = this.options;
    for (const e of this.active) {
      if (e.timerAt > now) continue;
      if (e.state === 'DELAY') {
        // §7.3.3: no confirmation within DELAY_FIRST_PROBE_TIME: PROBE with unicast solicitations.
        e.state = 'PROBE';
        e.probes = 1;
        e.timerAt = now + o.retransTimer;
        this.solicit(e, false);
      } else if (e.state === 'INCOMPLETE' && e.probes < o.maxMulticastSolicit) {
        e.probes++;
        e.timerAt += o.retransTimer;
        this.solicit(e, true);
      } else if (e.state === 'PROBE' && e.probes < o.maxUnicastSolicit) {
        e.probes++;
        e.timerAt += o.retransTimer;
        this.solicit(e, false);
      } else if (e.state === 'INCOMPLETE') {
        this.counters.failed++;
        this.drop(e, true);
      } else {
        this.counters.probesFailed++;
        this.drop(e, false);
      }
    }
    if (this.nextSweepAt !== undefined && now >= this.nextSweepAt) {
      this.nextSweepAt = undefined;
      for (const e of this.entries.values()) {
        if (e.state === 'REACHABLE' && now - e.confirmedAt >= o.reachableTime) e.state = 'STALE';
        if (e.state === 'STALE' && now - e.usedAt >= o.staleTime) this.drop(e, false);
      }
      this.armSweep(now);
    }
  }

  nextTimeout(): number | undefined {
    let t = this.nextSweepAt;
    for (const e of this.active) if (t === undefined || e.timerAt < t) t = e.timerAt;
    return t;
  }

  get size(): number {
    return this.entries.size;
  }

  /** The state of one entry as of `now`, or undefined. */
  state(ifIndex: number, ip: Uint8Array, now: number): NdpState | undefined {
    const e = this.entries.get(ndpKey(ifIndex, ip));
    if (!e) return undefined;
    return e.state === 'REACHABLE' && now - e.confirmedAt >= this.options.reachableTime ? 'STALE' : e.state;
  }

  show(now: number): NdpEntryView[] {
    const out: NdpEntryView[] = [];
    for (const e of this.entries.values()) {
      out.push({ ifIndex: e.ifIndex, ip: ipv6ToString(e.ip), mac: e.mac && macToString(e.mac), state: this.state(e.ifIndex, e.ip, now)!, queued: e.queue.length, age: now - e.confirmedAt });
    }
    return out.sort((a, b) => a.ifIndex - b.ifIndex || (a.ip < b.ip ? -1 : a.ip > b.ip ? 1 : 0));
  }

  /** §7.1.1 / §7.1.2 checks common to NS and NA (the options' non-zero lengths are the codec's). */
  private valid(ip: NdpIp, code: number, target: Uint8Array): boolean {
    const d = this.counters.drops;
    if (ip.hopLimit !== 255) return void d.hopLimit++, false;
    if (code !== 0) return void d.badCode++, false;
    if (ip.length < 24) return void d.tooShort++, false;
    if (isIpv6Multicast(target)) return void d.multicastTarget++, false;
    return true;
  }

  /** The link-layer address option of `kind`: undefined when absent, null (counted) when unusable. */
  private option(options: readonly { kind: string; address?: Uint8Array }[], kind: 'source-lla' | 'target-lla', f: Iface): Uint8Array | undefined | null {
    const o = options.find((x) => x.kind === kind);
    if (!o) return undefined;
    const a = o.address!;
    // RFC 2464 §6: one 8-octet option; the address is its first six octets.
    if (a.length < 6 || (a[0]! & 1) !== 0 || eq6(a, f.mac)) {
      this.counters.drops.badLinkLayerAddress++;
      return null;
    }
    return a.subarray(0, 6);
  }

  private isOurs(f: Iface, a: Uint8Array): boolean {
    if (eq16(f.linkLocal, a)) return true;
    for (const x of f.addresses) if (eq16(x, a)) return true;
    return false;
  }

  protected keyOf(ifIndex: number, ip: Uint8Array): string {
    return ndpKey(ifIndex, ip);
  }

  /** §7.2.2: multicast to the solicited-node address (resolution) or unicast to the neighbour (probe), from our link-local, with our link-layer address. */
  private solicit(e: Entry, multicast: boolean): void {
    const f = this.ifaces.get(e.ifIndex);
    if (!f) return;
    this.counters.nsSent++;
    const dst = multicast ? solicitedNodeAddress(e.ip) : e.ip;
    this.tx.push({ ifIndex: e.ifIndex, dstMac: multicast ? multicastMac(dst) : e.mac!, src: f.linkLocal, dst, message: { kind: 'ns', code: 0, checksum: 0, reserved: 0, target: e.ip, options: [lla('source-lla', f.mac)] } });
  }

  private armSweep(now: number): void {
    if (this.nextSweepAt === undefined && this.entries.size > 0) this.nextSweepAt = now + Math.min(this.options.reachableTime, this.options.staleTime) / 2;
  }
}
