/**
 * What the in-process network and a `pseudonet up` box see of the frames they carry, in one
 * place: each home's ladder (every message of its session across every box, named as
 * Wireshark names it), PADI → IPCP-up setup times and RADIUS round trips. Memory is bounded:
 * a ladder keeps its last `cap` messages (the rest are counted as cut), and the pairing
 * tables are capped with a count of what they refused.
 *
 * A frame is given to a home by what it carries: on the access link by the home's MAC; an
 * L2TP session message by the (tunnel id, session id) pair its ICRQ/ICRP learned (the ICRQ's
 * Calling Number is the home's MAC, as the sse sends it); a tunnel message (SCCRQ, ZLB, ...)
 * to every home in setup toward that LNS; a RADIUS request by its User-Name and its answer
 * by the request's identifier and addresses.
 */
import { describeFrame, type Described } from '../wire/describe.js';
import { parseEthernet, EtherType } from '../wire/ethernet.js';
import { parseIpv4, IpProtocol } from '../wire/ipv4.js';
import { parseUdp } from '../wire/udp.js';
import { l2tp, L2TP_PORT, findAvp, controlMessageType, MessageType } from '../wire/l2tp.js';
import { radiusPacket, getText, getInt, A, RadiusCode, AcctStatusType } from '../wire/radius.js';
import { pppoeDiscovery, PppoeCode } from '../wire/pppoe.js';
import { ipv4FromString, ipv4ToString, macToString } from '../wire/bytes.js';
import type { Topology } from './topology.js';
import { CARRIER_RADIUS_BOX, homeMac } from './assemble.js';

export interface LadderMessage {
  /** Position in this home's ladder, from 1 (for `?after=`). */
  readonly n: number;
  /** Milliseconds on the network's clock (epoch ms). */
  readonly at: number;
  readonly link: string;
  readonly from: string;
  readonly to: string;
  /** Wireshark's Protocol column (PPPoED, PPP LCP, L2TP, RADIUS...). */
  readonly protocol: string;
  /** Wireshark's Info column. */
  readonly label: string;
}

export interface LadderView {
  readonly home: string;
  readonly user: string;
  /** Columns, in the demo's order: home, sse, carrier RADIUS, LNS, ISP RADIUS. */
  readonly participants: string[];
  readonly messages: LadderMessage[];
  /** Messages dropped from the front because the ladder is capped. */
  readonly cut: number;
  /** The last message's `n` (0 when none yet). */
  readonly last: number;
}

/** The fields a log line gives a frame (`run -v`, `up -v`): protocol and Wireshark name, never content. */
export function frameLogFields(frame: Uint8Array): Described {
  return describeFrame(frame);
}

interface HomeLadder {
  readonly name: string;
  readonly user: string;
  readonly mac: string;
  readonly lnsAddresses: ReadonlySet<number>;
  readonly lns: string;
  readonly radius: string;
  messages: LadderMessage[];
  n: number;
  cut: number;
  /** When its latest PADI was sent, while it is in setup. */
  setupStart: number | undefined;
}

export interface ObserverOptions {
  /** Messages kept per home (default 2,000). */
  readonly cap?: number;
  /** A setup finished: seconds from the first PADI to IPCP up. */
  readonly onSetup?: (home: string, seconds: number) => void;
  /** A RADIUS answer came: seconds since its request, and the server (address:port). */
  readonly onRadiusRtt?: (server: string, seconds: number) => void;
}

/** At most this many RADIUS requests and L2TP calls waiting for their answer (a lost one would otherwise stay forever). */
const PENDING_CAP = 4096;
/** How long after its PADI a home counts as being set up (for a tunnel's own messages). */
const SETUP_WINDOW_MS = 60_000;

function evictOldest(m: Map<unknown, unknown>, cap: number, c: { pendingEvicted: number }): void {
  while (m.size >= cap) {
    m.delete(m.keys().next().value);
    c.pendingEvicted++;
  }
}

export class FrameObserver {
  /** `pendingEvicted`: requests and calls forgotten unanswered to make room (the oldest go first). */
  readonly counters = { frames: 0, attributed: 0, unattributed: 0, pendingEvicted: 0, cut: 0 };
  private readonly homes = new Map<string, HomeLadder>();
  private readonly byMac = new Map<string, HomeLadder>();
  private readonly byUser = new Map<string, HomeLadder>();
  /** (receiver's tunnel id << 16 | session id) → home. */
  private readonly calls = new Map<number, HomeLadder>();
  /** LAC session id → {home, LNS's tunnel id} between ICRQ and ICRP. */
  private readonly icrq = new Map<number, { home: HomeLadder; lnsTunnel: number }>();
  /** RADIUS request key → {home, at}. */
  private readonly radius = new Map<string, { home: HomeLadder | undefined; at: number; server: string }>();
  private readonly cap: number;
  /** What the ladder adds to Wireshark's Info column for the frame being looked at (Acct-Status-Type). */
  private note = '';

  constructor(readonly topology: Topology, private readonly opts: ObserverOptions = {}) {
    this.cap = opts.cap ?? 2000;
    const t = topology;
    t.homes.forEach((h, k) => {
      const isp = t.isps.find((x) => h.user.endsWith(`@${x.domain}`));
      const lnsAddresses = new Set<number>(isp ? [ipv4FromString(isp.lns.address), ...isp.alternateLns.map((a) => ipv4FromString(a.address))] : []);
      const l: HomeLadder = { name: h.name, user: h.user, mac: macToString(homeMac(k + 1)), lnsAddresses, lns: isp?.lns.name ?? '', radius: isp ? `${isp.name}-radius` : '', messages: [], n: 0, cut: 0, setupStart: undefined };
      this.homes.set(h.name, l);
      this.byMac.set(l.mac, l);
      this.byUser.set(h.user, l);
    });
  }

  /** A home's frames carry `mac` (a home box on a real interface sends with the interface's own MAC, not its lab MAC). */
  setHomeMac(home: string, mac: string): void {
    const h = this.homes.get(home);
    if (!h || this.byMac.get(mac) === h) return;
    this.byMac.set(mac, h);
  }

  /** Home names this observer keeps ladders for. */
  homeNames(): string[] {
    return [...this.homes.keys()];
  }

  /** One frame as sent on `link` by `from` to `to`. */
  frame(link: string, frame: Uint8Array, from: string, to: string, at: number): void {
    this.counters.frames++;
    this.note = '';
    const e = parseEthernet(frame);
    if (!e.ok || e.value.ethertype === EtherType.ARP) return;
    const owners = this.owners(e.value.ethertype, e.value.src, e.value.dst, e.value.payload, at);
    if (!owners.length) {
      this.counters.unattributed++;
      return;
    }
    this.counters.attributed++;
    const d = describeFrame(frame);
    for (const h of owners) {
      h.n++;
      h.messages.push({ n: h.n, at, link, from, to, protocol: d.protocol, label: d.label + this.note });
      // Trim in steps, so that the cost of a cut is spread over many messages.
      if (h.messages.length > this.cap + (this.cap >> 3)) {
        const drop = h.messages.length - this.cap;
        h.messages.splice(0, drop);
        h.cut += drop;
        this.counters.cut += drop;
      }
    }
  }

  /** A home's IPCP came up: its setup time is reported (once per PADI). */
  online(home: string, at: number): void {
    const h = this.homes.get(home);
    if (!h || h.setupStart === undefined) return;
    this.opts.onSetup?.(home, (at - h.setupStart) / 1000);
    h.setupStart = undefined;
  }

  /** A home went offline or gave up: it is no longer in setup. */
  offline(home: string): void {
    const h = this.homes.get(home);
    if (h) h.setupStart = undefined;
  }

  ladder(home: string, after = 0): LadderView | undefined {
    const h = this.homes.get(home);
    if (!h) return undefined;
    const participants = [h.name, this.topology.sse.name, ...(this.topology.sse.lnsLookup === 'radius' ? [CARRIER_RADIUS_BOX] : []), h.lns, h.radius].filter((x) => x);
    const messages = after > 0 ? h.messages.filter((m) => m.n > after) : h.messages.slice();
    return { home: h.name, user: h.user, participants, messages, cut: h.cut, last: h.n };
  }

  /**
   * Homes whose setup toward `address` started less than a minute ago (a box that sees no
   * home's IPCP come up — an sse or LNS of `pseudonet up` — would otherwise keep them in setup).
   */
  private inSetupToward(address: number, at: number): HomeLadder[] {
    const out: HomeLadder[] = [];
    for (const h of this.homes.values()) if (h.setupStart !== undefined && at - h.setupStart < SETUP_WINDOW_MS && h.lnsAddresses.has(address)) out.push(h);
    return out;
  }

  private owners(ethertype: number, src: Uint8Array, dst: Uint8Array, payload: Uint8Array, at: number): HomeLadder[] {
    if (ethertype === EtherType.PPPOE_DISCOVERY || ethertype === EtherType.PPPOE_SESSION) {
      const h = this.byMac.get(macToString(src)) ?? this.byMac.get(macToString(dst));
      if (!h) return [];
      if (ethertype === EtherType.PPPOE_DISCOVERY && (h.setupStart === undefined || at - h.setupStart >= SETUP_WINDOW_MS)) {
        const d = pppoeDiscovery.parse(payload);
        if (d.ok && d.value.code === PppoeCode.PADI) h.setupStart = at;
      }
      return [h];
    }
    if (ethertype !== EtherType.IPV4) return [];
    const ip = parseIpv4(payload);
    if (!ip.ok || ip.value.protocol !== IpProtocol.UDP) return [];
    const u = parseUdp(ip.value.payload);
    if (!u.ok) return [];
    const { srcPort, dstPort } = u.value;
    if (srcPort === L2TP_PORT || dstPort === L2TP_PORT) return this.l2tpOwners(u.value.payload, ip.value.src, ip.value.dst, at);
    return this.radiusOwners(u.value.payload, ip.value.src, srcPort, ip.value.dst, dstPort, at);
  }

  private l2tpOwners(b: Uint8Array, src: number, dst: number, at: number): HomeLadder[] {
    const m = l2tp.parse(b);
    if (!m.ok) return [];
    const v = m.value;
    const key = v.tunnelId * 0x10000 + v.sessionId;
    if (v.kind === 'data' || v.sessionId !== 0) {
      const h = this.calls.get(key);
      if (h || v.kind === 'data') return h ? [h] : [];
    }
    const type = controlMessageType(v);
    if (type === MessageType.ICRQ) {
      const mac = findAvp(v.avps, 'callingNumber')?.number;
      const sid = findAvp(v.avps, 'assignedSessionId')?.id;
      const h = mac === undefined ? undefined : this.byMac.get(mac.toLowerCase());
      if (h && sid !== undefined) {
        evictOldest(this.icrq, PENDING_CAP, this.counters);
        this.icrq.set(sid, { home: h, lnsTunnel: v.tunnelId });
        return [h];
      }
    }
    if (type === MessageType.ICRP) {
      const p = this.icrq.get(v.sessionId);
      const lnsSid = findAvp(v.avps, 'assignedSessionId')?.id;
      if (p) {
        this.icrq.delete(v.sessionId);
        this.calls.set(key, p.home);
        if (lnsSid !== undefined) this.calls.set(p.lnsTunnel * 0x10000 + lnsSid, p.home);
        evictOldest(this.calls, PENDING_CAP * 4, this.counters);
        return [p.home];
      }
    }
    if (v.sessionId !== 0) return [];
    // A tunnel's own messages belong to every session being set up through it.
    const a = this.inSetupToward(dst, at);
    return a.length ? a : this.inSetupToward(src, at);
  }

  private radiusOwners(b: Uint8Array, src: number, srcPort: number, dst: number, dstPort: number, at: number): HomeLadder[] {
    const r = radiusPacket.parse(b);
    if (!r.ok) return [];
    const p = r.value;
    const request = p.code === RadiusCode.ACCESS_REQUEST || p.code === RadiusCode.ACCOUNTING_REQUEST || p.code === RadiusCode.DISCONNECT_REQUEST || p.code === RadiusCode.COA_REQUEST;
    if (request) {
      if (p.code === RadiusCode.ACCOUNTING_REQUEST) {
        const st = getInt(p, A.ACCT_STATUS_TYPE);
        const name = Object.entries(AcctStatusType).find(([, v]) => v === st)?.[0];
        // Wireshark's detail pane: "Acct-Status-Type: Start(1)".
        if (st !== undefined) this.note = ` (Acct-Status-Type ${name ? name.charAt(0) + name.slice(1).toLowerCase().replace(/_(.)/g, (_m, c: string) => `-${c.toUpperCase()}`) : st})`;
      }
      const user = getText(p, A.USER_NAME);
      const h = user === undefined ? undefined : this.byUser.get(user);
      const k = `${src}:${srcPort}>${dst}:${dstPort}#${p.identifier}`;
      evictOldest(this.radius, PENDING_CAP, this.counters);
      this.radius.set(k, { home: h, at, server: `${ipv4ToString(dst)}:${dstPort}` });
      return h ? [h] : [];
    }
    const k = `${dst}:${dstPort}>${src}:${srcPort}#${p.identifier}`;
    const q = this.radius.get(k);
    if (!q) return [];
    this.radius.delete(k);
    // DAE (RFC 5176) goes from the server to the NAS: not a RADIUS round trip the NAS waits on.
    if (p.code !== RadiusCode.DISCONNECT_ACK && p.code !== RadiusCode.DISCONNECT_NAK && p.code !== RadiusCode.COA_ACK && p.code !== RadiusCode.COA_NAK) this.opts.onRadiusRtt?.(q.server, (at - q.at) / 1000);
    return q.home ? [q.home] : [];
  }
}
