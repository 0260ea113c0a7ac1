/**
 * ARP (RFC 826) for IPv4 over Ethernet, sans-IO: a neighbour cache with INCOMPLETE /
 * REACHABLE / STALE entries, retries, refresh probes, gratuitous announcements, and the
 * queue of packets that wait for a resolution (bounded per next hop and overall).
 * It owns no socket and reads no clock: `handle(ifIndex, packet, now)`,
 * `handleTimeout(now)`, `pollTransmit()` (ARP packet values to send), `pollEvent()`
 * (resolved / failed, with the packets that waited), `nextTimeout()`.
 *
 * Learning policy (against cache poisoning; see docs/ip-router.md):
 * - An entry is created only by our own need (`enqueue`), never by a received packet.
 * - An INCOMPLETE entry is filled by a reply addressed to us, a request for our address
 *   or a gratuitous ARP from that address.
 * - A known entry changes its MAC only on a gratuitous ARP (spa == tpa) from that
 *   address (an address that moved); it becomes STALE so the next use re-probes it.
 *   Any other packet claiming a known address with a new MAC is refused and counted.
 * - Replies nobody asked for, and gratuitous ARPs for addresses we do not know, are counted
 *   and ignored (as Linux does with arp_accept=0).
 */
import { ArpHardware, ArpOp, isGratuitous, type ArpPacket } from '../wire/arp.js';
import { EtherType, BROADCAST_MAC, ZERO_MAC } from '../wire/ethernet.js';
import { ipv4ToString, macToString } from '../wire/bytes.js';
import { NeighbourTable, type NeighbourEvent } from './neighbour-table.js';

export type ArpState = 'INCOMPLETE' | 'REACHABLE' | 'STALE';

export interface ArpOptions {
  /** Requests sent for one resolution (or one refresh probe run) before it fails. Default 3. */
  readonly retries: number;
  /** Time between those requests, ms. Default 1000. */
  readonly retryInterval: number;
  /** How long a confirmed entry stays REACHABLE, ms. Default 30 000 (RFC 4861's REACHABLE_TIME). */
  readonly reachableTime: number;
  /** A STALE entry not used for this long is removed, ms. Default 60 000. */
  readonly staleTime: number;
  /** Packets that may wait for one next hop; the next one is dropped. Default 16. */
  readonly queuePerHop: number;
  /** Packets that may wait for all next hops together. Default 256. */
  readonly queueGlobal: number;
  /** Gratuitous ARPs sent when an interface comes up. Default 1. */
  readonly gratuitousCount: number;
}

export const DEFAULT_ARP_OPTIONS: ArpOptions = {
  retries: 3,
  retryInterval: 1000,
  reachableTime: 30_000,
  staleTime: 60_000,
  queuePerHop: 16,
  queueGlobal: 256,
  gratuitousCount: 1,
};

/** An ARP packet to send on `ifIndex` to Ethernet address `dst`. */
export interface ArpTransmit {
  readonly ifIndex: number;
  readonly dst: Uint8Array;
  readonly packet: ArpPacket;
}

export type ArpEvent = NeighbourEvent<number>;

/** One line of `show arp`. */
export interface ArpEntryView {
  readonly ifIndex: number;
  readonly ip: string;
  readonly mac: string | undefined;
  readonly state: ArpState;
  /** Packets waiting for this next hop. */
  readonly queued: number;
  /** ms since the entry was last confirmed or created. */
  readonly age: number;
}

export interface ArpCounters {
  requestsSent: number;
  repliesSent: number;
  gratuitousSent: number;
  requestsReceived: number;
  repliesReceived: number;
  resolved: number;
  failed: number;
  /** Refresh probes of STALE entries that got no answer (entry removed). */
  probesFailed: number;
  queued: number;
  drops: {
    /** Packet queue for one next hop was full. */
    queuePerHop: number;
    /** The queue for all next hops together was full. */
    queueGlobal: number;
    /** Not Ethernet/IPv4 (htype, ptype, hlen) or an unknown operation. */
    unsupported: number;
    /** Sender MAC is a group address or one of ours. */
    badSender: number;
    /** Sender IP not in the interface's subnet. */
    otherNetwork: number;
    /** Someone else claims our own address. */
    addressConflict: number;
    /** A reply for an address we have no entry for. */
    unsolicited: number;
    /** A non-gratuitous packet claiming a known address with a different MAC. */
    poisonRefused: number;
    /** Gratuitous ARP for an address we do not know. */
    gratuitousUnknown: number;
    /** A request for somebody else's address (normal on a shared segment). */
    notForUs: number;
    /** Arrived on an interface ARP does not run on. */
    noInterface: number;
  };
}

interface Iface {
  mac: Uint8Array;
  ip: number;
  mask: number;
}

interface Entry {
  readonly ifIndex: number;
  readonly ip: number;
  state: ArpState;
  mac: Uint8Array | undefined;
  /** When REACHABLE ends (REACHABLE) / when the entry was last confirmed. */
  confirmedAt: number;
  usedAt: number;
  /** Requests sent in the current resolution or probe run; 0 = not probing. */
  probes: number;
  nextProbeAt: number;
  queue: Uint8Array[];
}

const key = (ifIndex: number, ip: number): number => ifIndex * 0x100000000 + ip;

export class ArpCache extends NeighbourTable<number, number, ArpState, Entry, ArpTransmit> {
  readonly options: ArpOptions;
  readonly counters: ArpCounters = {
    requestsSent: 0, repliesSent: 0, gratuitousSent: 0, requestsReceived: 0, repliesReceived: 0, resolved: 0, failed: 0, probesFailed: 0, queued: 0,
    drops: { queuePerHop: 0, queueGlobal: 0, unsupported: 0, badSender: 0, otherNetwork: 0, addressConflict: 0, unsolicited: 0, poisonRefused: 0, gratuitousUnknown: 0, notForUs: 0, noInterface: 0 },
  };
  private readonly ifaces = new Map<number, Iface>();
  private nextSweepAt: number | undefined;
  private gratuitous: { ifIndex: number; at: number; left: number }[] = [];

  constructor(options: Partial<ArpOptions> = {}) {
    super();
    this.options = { ...DEFAULT_ARP_OPTIONS, ...options };
  }

  /** Starts ARP on an interface and announces its address with gratuitous ARP (RFC 5227 §3). */
  addInterface(ifIndex: number, mac: Uint8Array, ip: number, prefixLength: number, now: number): void {
    this.ifaces.set(ifIndex, { mac, ip, mask: prefixLength === 0 ? 0 : (0xffffffff << (32 - prefixLength)) >>> 0 });
    if (this.options.gratuitousCount > 0) {
      this.announce(ifIndex);
      if (this.options.gratuitousCount > 1) this.gratuitous.push({ ifIndex, at: now + this.options.retryInterval, left: this.options.gratuitousCount - 1 });
    }
  }

  /** Stops ARP on an interface: its entries go, and packets waiting there fail. */
  removeInterface(ifIndex: number): void {
    this.ifaces.delete(ifIndex);
    this.gratuitous = this.gratuitous.filter((g) => g.ifIndex !== ifIndex);
    for (const e of [...this.entries.values()]) if (e.ifIndex === ifIndex) this.drop(e, true);
  }

  /**
   * The MAC for `ip` on `ifIndex` when one is known (REACHABLE or STALE), else undefined.
   * Using a STALE entry starts a unicast refresh probe. The fast path: one Map lookup.
   */
  lookup(ifIndex: number, ip: number, now: number): Uint8Array | undefined {
    let e = this.last;
    if (e === undefined || e.ip !== ip || e.ifIndex !== ifIndex) {
      e = this.entries.get(key(ifIndex, ip));
      if (e === undefined) return undefined;
      this.last = e;
    }
    if (e.mac === undefined) return undefined;
    e.usedAt = now;
    if (e.state === 'REACHABLE' && now - e.confirmedAt >= this.options.reachableTime) e.state = 'STALE';
    if (e.state === 'STALE' && e.probes === 0) {
      e.probes = 1;
      e.nextProbeAt = now + this.options.retryInterval;
      this.active.add(e);
      this.request(e, e.mac);
    }
    return e.mac;
  }

  /**
   * Queues `packet` until `ip` on `ifIndex` is resolved, starting the resolution when none
   * is running. Returns false (and counts) when a bound is hit: the packet is not kept.
   */
  enqueue(ifIndex: number, ip: number, packet: Uint8Array, now: number): boolean {
    const iface = this.ifaces.get(ifIndex);
    if (iface === undefined) {
      this.counters.drops.noInterface++;
      return false;
    }
    let e = this.entries.get(key(ifIndex, ip));
    if (e === undefined) {
      e = { ifIndex, ip, state: 'INCOMPLETE', mac: undefined, confirmedAt: now, usedAt: now, probes: 1, nextProbeAt: now + this.options.retryInterval, queue: [] };
      this.entries.set(key(ifIndex, ip), e);
      this.active.add(e);
      this.request(e, BROADCAST_MAC);
      this.armSweep(now);
    }
    if (e.queue.length >= this.options.queuePerHop) {
      this.counters.drops.queuePerHop++;
      return false;
    }
    if (this.queuedTotal >= this.options.queueGlobal) {
      this.counters.drops.queueGlobal++;
      return false;
    }
    e.queue.push(packet);
    this.queuedTotal++;
    this.counters.queued++;
    return true;
  }

  /** Processes one received ARP packet (the caller has checked the Ethernet destination). */
  handle(ifIndex: number, p: ArpPacket, now: number): void {
    const c = this.counters;
    const iface = this.ifaces.get(ifIndex);
    if (iface === undefined) {
      c.drops.noInterface++;
      return;
    }
    if (p.htype !== ArpHardware.ETHERNET || p.ptype !== EtherType.IPV4 || p.sha.length !== 6 || (p.op !== ArpOp.REQUEST && p.op !== ArpOp.REPLY)) {
      c.drops.unsupported++;
      return;
    }
    if (p.op === ArpOp.REQUEST) c.requestsReceived++;
    else c.repliesReceived++;
    if ((p.sha[0]! & 1) !== 0 || macEq(p.sha, iface.mac)) {
      c.drops.badSender++;
      return;
    }
    // RFC 5227 probe (sender address 0): answer if it asks for ours, learn nothing.
    if (p.spa === 0) {
      if (p.op === ArpOp.REQUEST && p.tpa === iface.ip) this.reply(ifIndex, iface, p);
      else c.drops.notForUs++;
      return;
    }
    if (p.spa === iface.ip) {
      c.drops.addressConflict++;
      return;
    }
    if (((p.spa ^ iface.ip) & iface.mask) !== 0) {
      c.drops.otherNetwork++;
      return;
    }
    const forUs = p.tpa === iface.ip;
    const grat = isGratuitous(p);
    const e = this.entries.get(key(ifIndex, p.spa));
    if (e === undefined) {
      if (grat) c.drops.gratuitousUnknown++;
      else if (p.op === ArpOp.REPLY) c.drops.unsolicited++;
    } else if (e.state === 'INCOMPLETE') {
      if (forUs || grat) this.resolve(e, p.sha, p.op === ArpOp.REPLY && forUs ? 'REACHABLE' : 'STALE', now);
      else if (p.op === ArpOp.REPLY) c.drops.unsolicited++;
    } else if (macEq(e.mac!, p.sha)) {
      // Same MAC: a reply to us confirms reachability and ends a probe run.
      if (p.op === ArpOp.REPLY && forUs) {
        e.state = 'REACHABLE';
        e.confirmedAt = now;
        e.probes = 0;
        this.active.delete(e);
      }
    } else if (grat) {
      e.mac = new Uint8Array(p.sha);
      e.state = 'STALE';
      e.confirmedAt = now;
      e.probes = 0;
      this.active.delete(e);
    } else {
      c.drops.poisonRefused++;
    }
    if (p.op === ArpOp.REQUEST) {
      if (forUs) this.reply(ifIndex, iface, p);
      else if (!grat) c.drops.notForUs++;
    }
  }

  handleTimeout(now: number): void {
    const o = this.options;
    for (const e of this.active) {
      if (e.nextProbeAt > now) continue;
      if (e.probes < o.retries) {
        e.probes++;
        e.nextProbeAt += o.retryInterval;
        this.request(e, e.state === 'INCOMPLETE' ? BROADCAST_MAC : e.mac!);
      } else if (e.state === 'INCOMPLETE') {
        this.counters.failed++;
        this.drop(e, true);
      } else {
        this.counters.probesFailed++;
        this.drop(e, false);
      }
    }
    if (this.gratuitous.length) {
      for (const g of this.gratuitous) {
        if (g.at > now) continue;
        this.announce(g.ifIndex);
        g.left--;
        g.at += o.retryInterval;
      }
      this.gratuitous = this.gratuitous.filter((g) => g.left > 0);
    }
    if (this.nextSweepAt !== undefined && now >= this.nextSweepAt) {
      this.nextSweepAt = undefined;
      for (const e of this.entries.values()) {
        if (e.state === 'REACHABLE' && now - e.confirmedAt >= o.reachableTime) e.state = 'STALE';
        if (e.state === 'STALE' && e.probes === 0 && now - e.usedAt >= o.staleTime) this.drop(e, false);
      }
      this.armSweep(now);
    }
  }

  nextTimeout(): number | undefined {
    let t = this.nextSweepAt;
    for (const e of this.active) if (t === undefined || e.nextProbeAt < t) t = e.nextProbeAt;
    for (const g of this.gratuitous) if (t === undefined || g.at < t) t = g.at;
    return t;
  }

  /** `show arp`: every entry with its state as of `now`. */
  show(now: number): ArpEntryView[] {
    const out: ArpEntryView[] = [];
    for (const e of this.entries.values()) {
      const state = e.state === 'REACHABLE' && now - e.confirmedAt >= this.options.reachableTime ? 'STALE' : e.state;
      out.push({ ifIndex: e.ifIndex, ip: ipv4ToString(e.ip), mac: e.mac && macToString(e.mac), state, queued: e.queue.length, age: now - e.confirmedAt });
    }
    return out.sort((a, b) => a.ifIndex - b.ifIndex || cmpIp(a.ip, b.ip));
  }

  /** The state of one entry (undefined when there is none), as of `now`. */
  state(ifIndex: number, ip: number, now: number): ArpState | undefined {
    const e = this.entries.get(key(ifIndex, ip));
    if (!e) return undefined;
    return e.state === 'REACHABLE' && now - e.confirmedAt >= this.options.reachableTime ? 'STALE' : e.state;
  }

  protected keyOf(ifIndex: number, ip: number): number {
    return key(ifIndex, ip);
  }

  private request(e: Entry, dst: Uint8Array): void {
    const iface = this.ifaces.get(e.ifIndex);
    if (!iface) return;
    this.counters.requestsSent++;
    this.tx.push({ ifIndex: e.ifIndex, dst, packet: { htype: ArpHardware.ETHERNET, ptype: EtherType.IPV4, op: ArpOp.REQUEST, sha: iface.mac, spa: iface.ip, tha: ZERO_MAC, tpa: e.ip } });
  }

  private reply(ifIndex: number, iface: Iface, p: ArpPacket): void {
    this.counters.repliesSent++;
    const sha = new Uint8Array(p.sha);
    this.tx.push({ ifIndex, dst: sha, packet: { htype: ArpHardware.ETHERNET, ptype: EtherType.IPV4, op: ArpOp.REPLY, sha: iface.mac, spa: iface.ip, tha: sha, tpa: p.spa } });
  }

  /** Gratuitous ARP: a broadcast request for our own address (RFC 5227 §3 "ARP Announcement"). */
  private announce(ifIndex: number): void {
    const iface = this.ifaces.get(ifIndex);
    if (!iface) return;
    this.counters.gratuitousSent++;
    this.tx.push({ ifIndex, dst: BROADCAST_MAC, packet: { htype: ArpHardware.ETHERNET, ptype: EtherType.IPV4, op: ArpOp.REQUEST, sha: iface.mac, spa: iface.ip, tha: ZERO_MAC, tpa: iface.ip } });
  }

  private armSweep(now: number): void {
    if (this.nextSweepAt === undefined && this.entries.size > 0) this.nextSweepAt = now + Math.min(this.options.reachableTime, this.options.staleTime) / 2;
  }
}

function macEq(a: Uint8Array, b: Uint8Array): boolean {
  return a[0] === b[0] && a[1] === b[1] && a[2] === b[2] && a[3] === b[3] && a[4] === b[4] && a[5] === b[5];
}

function cmpIp(a: string, b: string): number {
  const x = a.split('.').map(Number);
  const y = b.split('.').map(Number);
  for (let i = 0; i < 4; i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return 0;
}
