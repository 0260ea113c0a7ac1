/**
 * The carrier's sse: PPPoE access concentrator + L2TP Access Concentrator (LAC).
 * It terminates PPPoE discovery and LCP, sends the CHAP Challenge (or, when the home Naks
 * towards PAP, waits for its Authenticate-Request), takes the answer without checking it,
 * finds the LNS from the domain after '@', opens (or reuses) a tunnel, sends ICRQ / ICCN with
 * the proxy LCP (26–28) and proxy authentication (29–33, type CHAP or PAP) AVPs, and
 * from then on relays every PPP frame both ways unchanged. A tunnel that does not come up
 * within its connect timeout is left for the next LNS by preference, the home kept waiting.
 * The relay rewrites headers in place: PPPoE session header ⇄ L2TP data header in the bytes
 * it was given.
 * Sans-IO: `handleFrame(port, frame, now)` for the access ports (PPPoE; `access` unless the
 * topology lists several, each its own AC and session-id space) and 'carrier' (IPv4,
 * UDP 1701) ports; `pollTransmit()` gives {port, frame}.
 * Before hand-off a session is bounded: the AC caps how many are being set up, each has a
 * deadline and a frame budget; a hostile carrier RADIUS answer costs one CHAP Failure.
 */
import { PppoeAc, macFromKey, type AcSession, type PppoeAcConfig } from '../proto/pppoe-ac.js';
import { PppLink, pppLinkConfig, type PppLinkConfig } from '../proto/ppp-link.js';
import { authenticatorConfig } from '../proto/ppp-auth.js';
import type { Counters } from '../proto/ppp-common.js';
import type { FsmConfig } from '../proto/ppp-fsm.js';
import type { AuthProtocol } from '../proto/lcp.js';
import { L2tpNode, encodeTransmit, type L2tpConfig, type Q931Cause } from '../proto/l2tp.js';
import { AVP_MAX_VALUE_LENGTH, CdnResult, L2TP_PORT, Q931_NORMAL_CLEARING, Q931_DISCONNECT } from '../wire/l2tp.js';
import { Host, INFRA_ARP, UDP_FRAME_HEADROOM } from './host.js';
import { widenAt } from '../wire/packet-buffer.js';
import { u16, textBytes, bytesText, macToString, hex } from '../wire/bytes.js';
import { EtherType, ETHERNET_HEADER_LENGTH, macEquals, isGroupMac } from '../wire/ethernet.js';
import { PPPOE_HEADER_LENGTH, PppoeCode, discoveryDestinationProblem, sessionFrameProblem } from '../wire/pppoe.js';
import { pppoeDiscoveryFrame, pppoeSessionFrame, pppoeToL2tpAt, l2tpToPppoe, l2tpUdpSink } from './framing.js';
import { proxyAvpValues } from './proxy.js';
import { TimerQueue } from '../proto/timer-queue.js';

import { RadiusClient, accessRequestProblem, type RadiusClientConfig, type AccessRequestInput } from '../proto/radius-client.js';
import { l2tpCandidates } from '../proto/radius-attributes.js';
import { MAX_VALUE_LENGTH } from '../wire/radius.js';
import type { ProxyValues } from '../proto/ppp-link.js';
import { earliest } from '../proto/timers.js';
import { DirtySet } from '../proto/dirty-set.js';
import { BoxOutput, type Box, type Transmit, type View } from './box.js';
import type { PppMessage } from '../proto/ppp-common.js';
import { PppProtocol, lcpPacket } from '../wire/ppp.js';

/** The home hung up (PADT): Q.931 cause 16 "normal call clearing" in a DISCONNECT, as an ISDN LAC reports a user who cleared. */
const USER_CLEARED: Q931Cause = { cause: Q931_NORMAL_CLEARING, msg: Q931_DISCONNECT, advisory: 'PADT from the home' };
/** `access`'s answer for a frame relayed to the LNS. */
const RELAYED = 1;

/** Where a domain's LNS is. */
export interface LnsEntry {
  readonly name: string;
  readonly address: number;
  readonly port: number;
  readonly secret?: Uint8Array;
}

/** An L2TP peer endpoint (UDP). */
export interface UdpEndpoint {
  readonly address: number;
  readonly port: number;
}

export interface SseConfig {
  readonly name: string;
  /** MAC on the access side (PPPoE) and on the carrier side. */
  readonly accessMac: Uint8Array;
  /**
   * The access ports (default ['access']): each its own PPPoE AC with its own session-id space
   * (RFC 2516 allows 65,534 per AC MAC and link), so one sse holds more than 65,534 sessions.
   */
  readonly accessPorts?: readonly string[];
  readonly carrierMac: Uint8Array;
  readonly carrierAddress: number;
  readonly carrierPrefixLength: number;
  readonly ac: PppoeAcConfig;
  readonly hostName: string;
  readonly mru: number;
  /** Static domain → LNS table (lower-case domains). */
  readonly lns: ReadonlyMap<string, LnsEntry>;
  readonly fsm?: FsmConfig;
  readonly l2tp?: Partial<L2tpConfig<UdpEndpoint>>;
  /** LCP echo interval before hand-off (ms); 0 = off. */
  readonly echoIntervalMs?: number;
  /**
   * Ask the carrier RADIUS where a domain's LNS is (RFC 2868 Tunnel-* attributes, RFC 2809)
   * instead of the static table. Tunnels are tried in Tunnel-Preference order.
   */
  readonly carrierRadius?: RadiusClientConfig;
  /** Send the proxy LCP and proxy authentication AVPs in the ICCN (default true); without them the LNS negotiates itself. */
  readonly proxyAvps?: boolean;
  /**
   * Authentication protocols the sse asks the home for, in order (LCP Auth-Protocol; a Nak
   * towards a later one is taken). Default ['chap-md5', 'pap'].
   */
  readonly auth?: readonly AuthProtocol[];
  /**
   * How long a call waits for a tunnel that has not come up (no SCCRP yet) before the sse
   * tries the next LNS by preference, ms. Only with a next LNS to try; an established
   * tunnel's messages keep the retransmission budget of `l2tp.reliable`. Default 4000.
   */
  readonly connectTimeoutMs?: number;
  /**
   * A session not relaying this long after its PADS is ended (default 60 s): LCP, CHAP, the
   * lookup and the call must all fit, so a peer cannot keep one half-open forever.
   */
  readonly handoffTimeoutMs?: number;
  /** Sessions not yet relaying at most (default 16,384); a PADR beyond is refused with AC-System-Error. */
  readonly maxPendingSessions?: number;
  /** PPP frames a session may send before hand-off (default 256; a real home needs a dozen or two). */
  readonly maxFramesBeforeHandoff?: number;
}

export const DEFAULT_SSE_AUTH: readonly AuthProtocol[] = ['chap-md5', 'pap'];
export const DEFAULT_CONNECT_TIMEOUT_MS = 4000;
/** Usable tunnels of a carrier RADIUS answer that are tried, best preference first; the rest are counted and ignored. */
export const MAX_LNS_CANDIDATES = 8;

/** Distinct LNS (name, address, secret) from carrier RADIUS answers that are shared between sessions. */
export const MAX_LNS_ENTRIES = 1024;

/** The carrier RADIUS client's source ports: socket i uses CARRIER_RADIUS_PORT + i. */
export const CARRIER_RADIUS_PORT = 51000;

type SessionState = 'lcp' | 'lookup' | 'opening' | 'relaying' | 'closing';

/** What a session needs only until the LNS takes the call (SseSession.setup). */
interface SseSetup {
  /** The PPP link until the call is up; then released (frames are relayed, not terminated). */
  link: PppLink | undefined;
  /** The hand-off values, kept to open the call again on the next LNS. */
  proxy: ProxyValues | undefined;
  /** LNS still to try, in preference order (carrier RADIUS). */
  candidates: LnsEntry[] | undefined;
  /** When the call gives up a tunnel that has not come up and tries the next candidate. */
  connectAt: number | undefined;
  radiusToken: number | undefined;
  /** When the session is ended unless it relays by then. */
  deadline: number;
  /** PPP frames taken before hand-off. */
  frames: number;
  /** Why the sse refused the session (sent in the PADT's Generic-Error). */
  failure: string | undefined;
}

/**
 * One PPPoE session. What only its set-up needs (the PPP link, the hand-off values, the
 * candidates, its deadlines) is one part, `setup`, let go when the call comes up
 * (`relaying`): a session relays for hours and keeps only what relaying and showing need.
 */
export class SseSession {
  state: SessionState = 'lcp';
  user: string | undefined = undefined;
  lns: LnsEntry | undefined = undefined;
  /** The L2TP session key (local tunnel id × 65536 + local session id). */
  call: number | undefined = undefined;
  /** When the call came up (relaying since). */
  since: number | undefined = undefined;
  retired = false;
  private setup: SseSetup | undefined;

  constructor(
    readonly ac: AcSession<SseSession>,
    /** The access port the home is on (whose AC owns `ac`). */
    readonly port: string,
    link: PppLink,
    deadline: number,
  ) {
    this.setup = { link, proxy: undefined, candidates: undefined, connectAt: undefined, radiusToken: undefined, deadline, frames: 0, failure: undefined };
  }

  /** The call is up (the state is `relaying`): the set-up part goes. */
  callUp(now: number): void {
    this.since = now;
    this.setup = undefined;
  }

  get link(): PppLink | undefined {
    return this.setup?.link;
  }
  set link(v: PppLink | undefined) {
    if (this.setup) this.setup.link = v;
  }
  get proxy(): ProxyValues | undefined {
    return this.setup?.proxy;
  }
  set proxy(v: ProxyValues | undefined) {
    if (this.setup) this.setup.proxy = v;
  }
  get candidates(): LnsEntry[] | undefined {
    return this.setup?.candidates;
  }
  set candidates(v: LnsEntry[] | undefined) {
    if (this.setup) this.setup.candidates = v;
  }
  get connectAt(): number | undefined {
    return this.setup?.connectAt;
  }
  set connectAt(v: number | undefined) {
    if (this.setup) this.setup.connectAt = v;
  }
  get radiusToken(): number | undefined {
    return this.setup?.radiusToken;
  }
  set radiusToken(v: number | undefined) {
    if (this.setup) this.setup.radiusToken = v;
  }
  /** When the session is ended unless it relays by then (never, once relaying). */
  get deadline(): number {
    return this.setup?.deadline ?? Infinity;
  }
  /** PPP frames taken before hand-off. */
  get frames(): number {
    return this.setup?.frames ?? 0;
  }
  set frames(n: number) {
    if (this.setup) this.setup.frames = n;
  }
  /** Why the sse refused the session (sent in the PADT's Generic-Error): a refusal comes before the call is up. */
  get failure(): string | undefined {
    return this.setup?.failure;
  }
  set failure(v: string | undefined) {
    if (this.setup) this.setup.failure = v;
  }
}

export type SseEvent =
  | { readonly type: 'relaying'; readonly port: string; readonly pppoeSessionId: number; readonly mac: string; readonly user: string; readonly lns: string; readonly tunnelId: number; readonly sessionId: number; readonly peerTunnelId: number; readonly peerSessionId: number }
  | { readonly type: 'no-lns'; readonly pppoeSessionId: number; readonly user: string; readonly domain: string }
  | { readonly type: 'session-ended'; readonly pppoeSessionId: number; readonly user?: string; readonly reason: string }
  | { readonly type: 'tunnel-down'; readonly tunnelId: number; readonly reason: string };

export type SsePort = Transmit<SsePortName>;

/** `carrier`, or one of the access ports (`access`, `access-2`...). */
export type SsePortName = string;

export class Sse extends BoxOutput<SsePortName, SseEvent> implements Box<SsePortName, SseEvent> {
  /** The first access port's AC (the only one in most topologies). */
  readonly ac: PppoeAc<SseSession>;
  readonly l2tp: L2tpNode<UdpEndpoint, SseSession>;
  readonly carrier: Host;
  readonly radius: RadiusClient | undefined;
  readonly counters: Counters = {};
  private readonly byToken = new Map<number, SseSession>();
  private readonly linkConfig: PppLinkConfig;
  readonly kind = 'sse';
  readonly ports: readonly SsePortName[];
  /** The PPPoE AC of each access port, in port order. */
  readonly acs = new Map<string, PppoeAc<SseSession>>();
  /** Sessions whose PPP link (before hand-off) has output or events to look at. */
  private readonly dirty = new DirtySet<SseSession>();
  /** A home's MAC for the frame being relayed down, written from its key (nothing allocated per frame). */
  private readonly dstMac = new Uint8Array(6);
  /** LNS entries from carrier RADIUS answers, shared by the sessions they serve (bounded: MAX_LNS_ENTRIES). */
  private readonly lnsEntries = new Map<string, LnsEntry>();
  private readonly linkTimers = new TimerQueue<SseSession>();
  /** Calls waiting for a tunnel that has not come up, with a next LNS to try. */
  private readonly connectTimers = new TimerQueue<SseSession>();
  private readonly states: Record<SessionState, number> = { lcp: 0, lookup: 0, opening: 0, relaying: 0, closing: 0 };
  /** The access ports and their ACs as arrays, in port order: pumped after every frame without a Map iterator. */
  private readonly acPorts: readonly string[];
  private readonly acList: readonly PppoeAc<SseSession>[];

  constructor(readonly cfg: SseConfig, now: number) {
    super(1 << 20);
    // Each session being set up holds a PPP link: a PADR flood with valid cookies stops at this many (per port).
    const access = cfg.accessPorts?.length ? cfg.accessPorts : ['access'];
    for (const p of access) this.acs.set(p, new PppoeAc<SseSession>({ ...cfg.ac, maxPending: Math.min(cfg.ac.maxPending, cfg.maxPendingSessions ?? 16_384) }));
    this.ports = [...access, 'carrier'];
    this.acPorts = [...access];
    this.acList = this.acPorts.map((p) => this.acs.get(p)!);
    this.ac = this.acs.get(access[0]!)!;
    this.linkConfig = pppLinkConfig({
      lcp: { mru: cfg.mru, authenticate: cfg.auth ?? DEFAULT_SSE_AUTH, authenticateWith: [], recordConfReqs: true, echoIntervalMs: cfg.echoIntervalMs ?? 0, ...(cfg.fsm ? { fsm: cfg.fsm } : {}) },
      authenticator: authenticatorConfig({ name: cfg.hostName, verify: 'external' }),
      counters: this.counters,
    });
    this.l2tp = new L2tpNode<UdpEndpoint, SseSession>({
      role: 'lac',
      hostName: cfg.hostName,
      vendorName: 'pseudonet',
      endpointKey: (e) => `${e.address}:${e.port}`,
      sourceKey: (e) => String(e.address), // per-source limits on what we answer strangers' SCCRQs
      idleTunnelTimeout: 10_000,
      ...cfg.l2tp,
    });
    this.carrier = new Host({ name: `${cfg.name}-carrier`, mac: cfg.carrierMac, address: cfg.carrierAddress, prefixLength: cfg.carrierPrefixLength, arp: INFRA_ARP }, now);
    // L2TP straight from the carrier stack to the node, and its data straight to the relay: no event per packet.
    this.carrier.bindUdp(L2TP_PORT, l2tpUdpSink(this.l2tp));
    this.l2tp.setDataSink({
      l2tpData: (session, owner, b, o, len) => {
        const s = this.callOf(session, owner);
        if (!s || s.state !== 'relaying') return this.count('relay.drop.no-session');
        this.relayDown(s, b, o, len);
      },
    });
    if (cfg.carrierRadius) {
      this.radius = new RadiusClient(cfg.carrierRadius);
      for (let i = 0; i < (cfg.carrierRadius.maxSockets ?? 4); i++) this.carrier.listenUdp(CARRIER_RADIUS_PORT + i);
    }
  }

  get name(): string {
    return this.cfg.name;
  }

  show(view: View, now: number): unknown {
    switch (view) {
      case 'sessions':
        return { byState: this.sessionsByState(), relaying: this.relaying() };
      case 'tunnels':
        return this.l2tp.tunnelInfo();
      case 'arp':
        return { carrier: this.carrier.showArp(now) };
      case 'counters':
        return { sse: this.counters, l2tp: this.l2tp.counters, carrier: this.carrier.counters, ...(this.radius ? { radius: this.radius.counters } : {}), outbox: { refused: this.outputRefused } };
      default:
        return undefined;
    }
  }

  /** The relayed calls: PPPoE session ⇄ L2TP call, both sides' ids. */
  relaying(): { port: string; pppoeSessionId: number; mac: string; user: string; lns: string; tunnelId: number; sessionId: number; peerTunnelId: number; peerSessionId: number; since: number }[] {
    const out = [];
    for (const s of this.l2tp.owners()) {
      if (s.state !== 'relaying' || s.call === undefined) continue;
      const info = this.l2tp.sessionInfo(s.call);
      out.push({ port: s.port, pppoeSessionId: s.ac.id, mac: macToString(this.homeMac(s)), user: s.user ?? '', lns: s.lns?.name ?? '', tunnelId: info?.tunnelId ?? 0, sessionId: info?.sessionId ?? 0, peerTunnelId: info?.peerTunnelId ?? 0, peerSessionId: info?.peerSessionId ?? 0, since: s.since ?? 0 });
    }
    return out;
  }

  /**
   * The home's MAC in the sse's scratch array, for what copies it at once (a frame's header, a
   * string); `AcSession.mac` would make a new array each time, a dozen a setup.
   */
  private homeMac(s: SseSession): Uint8Array {
    return macFromKey(s.ac.macKey, this.dstMac);
  }

  /** `AC/ID` on the first access port, `AC/PORT/ID` on the others (ids repeat across ports). */
  private nasPortId(s: SseSession): string {
    return s.port === this.ports[0] ? `${this.cfg.ac.acName}/${s.ac.id}` : `${this.cfg.ac.acName}/${s.port}/${s.ac.id}`;
  }

  private count(k: string): void {
    this.counters[k] = (this.counters[k] ?? 0) + 1;
  }

  /** Sessions by state, for `show` and tests. */
  sessionsByState(): Record<SessionState, number> {
    return { ...this.states };
  }

  private setState(s: SseSession, st: SessionState): void {
    this.states[s.state]--;
    s.state = st;
    this.states[st]++;
  }

  /**
   * Shutting down: PADI and PADR are no longer answered, so that homes dialling again after
   * our PADT open no call on a tunnel that is about to stop. Sessions already up are untouched.
   */
  drain(): void {
    this.draining = true;
  }

  private draining = false;

  handleFrame(port: SsePortName, frame: Uint8Array, now: number): void {
    if (port === 'carrier') this.carrier.handle(0, frame, now);
    else {
      const ac = this.acs.get(port);
      if (!ac) this.count('access.drop.no-such-port');
      // A relayed frame gave the carrier stack a datagram and nobody else any work: no pump pass.
      else if (this.access(port, ac, frame, now) === RELAYED) return this.moveCarrier();
    }
    this.pump(now);
  }

  /** The carrier stack's frames to the carrier port. */
  private moveCarrier(): void {
    for (let f = this.carrier.pollFrame(); f; f = this.carrier.pollFrame()) this.tx.push({ port: 'carrier', frame: f });
  }

  /** Returns RELAYED for a frame relayed to the LNS (the carrier stack's output is all it made), else undefined. */
  private access(port: string, acOfPort: PppoeAc<SseSession>, frame: Uint8Array, now: number): typeof RELAYED | void {
    if (frame.length < ETHERNET_HEADER_LENGTH + PPPOE_HEADER_LENGTH) return this.count('access.drop.short');
    if (!macEquals(frame, 0, this.cfg.accessMac) && !isGroupMac(frame, 0)) return this.count('access.drop.other-mac');
    const type = u16(frame, 12);
    if (type === EtherType.PPPOE_DISCOVERY) {
      const problem = discoveryDestinationProblem(frame, ETHERNET_HEADER_LENGTH);
      if (problem) return this.count(`access.drop.discovery.${problem}`);
      const code = frame[ETHERNET_HEADER_LENGTH + 1];
      if (this.draining && (code === PppoeCode.PADI || code === PppoeCode.PADR)) return this.count('access.drop.draining');
      acOfPort.handleFrame(frame.subarray(6, 12), frame.subarray(ETHERNET_HEADER_LENGTH), now);
      return;
    }
    if (type !== EtherType.PPPOE_SESSION) return this.count('access.drop.ethertype');
    const o = ETHERNET_HEADER_LENGTH;
    // RFC 2516 §4/§6: VER/TYPE 0x11, CODE 0, unicast destination, LENGTH within the frame.
    const problem = sessionFrameProblem(frame, o);
    if (problem) return this.count(`access.drop.${problem}`);
    // The source MAC read in place: no view made per frame on the relay path.
    const ac = acOfPort.sessionFor(frame, u16(frame, o + 2), 6);
    if (!ac) return this.count('access.drop.unknown-session');
    const s = ac.user;
    if (!s) return this.count('access.drop.unknown-session');
    const len = u16(frame, o + 4);
    const ppp = o + PPPOE_HEADER_LENGTH;
    if (s.state === 'relaying') {
      const start = s.call === undefined || !s.lns ? -1 : pppoeToL2tpAt(this.l2tp, s.call, frame, ppp, len);
      if (start < 0) return this.count('relay.drop.call-gone');
      this.count('relay.up');
      // The L2TP message is frame[start, ppp + len); its UDP, IPv4 and Ethernet headers go in
      // front of it, in one view of the whole packet. Copied only when the frame came with no
      // room in front (counted: the data path copies nothing).
      const out = widenAt(frame, start, ppp + len - start, UDP_FRAME_HEADROOM);
      if (out) this.carrier.sendUdpFrame(s.lns!.address, L2TP_PORT, s.lns!.port, out, now);
      else {
        this.count('relay.up.copied');
        this.carrier.sendUdp(s.lns!.address, L2TP_PORT, s.lns!.port, frame.subarray(start, ppp + len), now);
      }
      return RELAYED;
    }
    if ((s.state === 'lookup' || s.state === 'opening') && s.link && u16(frame, ppp) === PppProtocol.LCP) {
      // LCP is still ours until the LNS takes the call: answer the home's keepalive while it
      // waits (an LNS lookup, a failover), or pppd's lcp-echo-failure ends a link about to come up.
      const r = lcpPacket.parse(frame.subarray(ppp + 2, ppp + len));
      if (r.ok && r.value.kind === 'echo-req') {
        s.link.lcp.input(r.value, now);
        this.dirty.add(s);
        return this.count('lcp.echo-answered-while-waiting');
      }
    }
    if (s.state !== 'lcp') return this.count(`access.drop.frame-while-${s.state}`);
    // A flood of Configure-Requests or CHAP Responses on one session ends that session, nothing else.
    if (++s.frames > (this.cfg.maxFramesBeforeHandoff ?? 256)) {
      this.count('access.refused.frame-budget');
      this.end(s, 'Too many PPP frames before hand-off', now, false);
      return;
    }
    s.link!.handleFrame(u16(frame, ppp), frame.subarray(ppp + 2, ppp + len), now);
    this.dirty.add(s);
  }

  /** Ends a subscriber's session from the carrier side: CDN to the LNS, PADT to the home. */
  disconnect(pppoeSessionId: number, now: number, reason = 'Administrative disconnect', port = this.ports[0]!): boolean {
    const ac = this.acs.get(port)?.session(pppoeSessionId);
    if (!ac?.user) return false;
    this.end(ac.user, reason, now, true);
    this.pump(now);
    return true;
  }

  handleTimeout(now: number): void {
    for (const ac of this.acs.values()) ac.handleTimeout(now);
    for (const s of this.linkTimers.due(now)) {
      if (s.retired) continue;
      if (s.state !== 'relaying' && now >= s.deadline) {
        this.count('session.handoff-timeout');
        this.end(s, 'No hand-off in time', now, true);
        continue;
      }
      s.link?.handleTimeout(now);
      this.dirty.add(s);
    }
    for (const s of this.connectTimers.due(now)) this.connectTimeout(s, now);
    this.l2tp.handleTimeout(now);
    this.radius?.handleTimeout(now);
    this.carrier.handleTimeout(now);
    this.pump(now);
  }

  nextTimeout(): number | undefined {
    let acs: number | undefined;
    for (let i = 0; i < this.acList.length; i++) acs = earliest(acs, this.acList[i]!.nextTimeout());
    return earliest(this.l2tp.nextTimeout(), acs, this.carrier.nextTimeout(), this.radius?.nextTimeout(), this.linkTimers.peek(), this.connectTimers.peek());
  }

  /**
   * Moves work between the parts until a pass finds none. A step sets `busy` only when what it
   * does can give work to a step earlier in the pass; output for a later step (a datagram to
   * the carrier stack, a frame to a port) is taken in the same pass, so that a relayed frame
   * costs one pass, not a second one that finds nothing.
   */
  private pump(now: number): void {
    for (let busy = true; busy; ) {
      busy = false;
      // One access port per 65,534 sessions: a million homes make sixteen, most of them quiet at any moment.
      for (let i = 0; i < this.acList.length; i++) if (this.acList[i]!.hasOutput) busy = this.pumpAc(this.acPorts[i]!, this.acList[i]!, now) || busy;
      if (this.dirty.size) {
        const list = this.dirty.take();
        for (const s of list) {
          busy = this.serviceLink(s, now) || busy;
          if (s.retired) continue;
          const link = s.state === 'lcp' || s.state === 'closing' ? s.link?.nextTimeout() : undefined;
          const deadline = s.state === 'relaying' ? undefined : s.deadline;
          this.linkTimers.schedule(s, link === undefined ? deadline : deadline === undefined ? link : Math.min(link, deadline));
        }
        this.dirty.done(list);
      }
      // To the carrier stack, whose frames are taken last in the pass.
      for (let t = this.l2tp.pollTransmit(); t; t = this.l2tp.pollTransmit()) this.carrier.sendUdp(t.to.address, L2TP_PORT, t.to.port, encodeTransmit(t), now, { inPlace: true });
      for (let e = this.l2tp.pollEvent(); e; e = this.l2tp.pollEvent()) {
        busy = true;
        this.l2tpEvent(e, now);
      }
      const r = this.radius;
      if (r) {
        for (let t = r.pollTransmit(); t; t = r.pollTransmit()) this.carrier.sendUdp(t.address, CARRIER_RADIUS_PORT + t.socket, t.port, t.bytes, now);
        for (let e = r.pollEvent(); e; e = r.pollEvent()) {
          busy = true;
          this.radiusEvent(e, now);
        }
      }
      for (let e = this.carrier.pollEvent(); e; e = this.carrier.pollEvent()) {
        if (e.kind === 'udp' && r && e.dstPort >= CARRIER_RADIUS_PORT && e.dstPort < CARRIER_RADIUS_PORT + 256) {
          busy = true;
          r.handle({ socket: e.dstPort - CARRIER_RADIUS_PORT, address: e.from, port: e.srcPort, bytes: e.payload }, now);
        } else this.count(`carrier.ignored.${e.kind}`);
      }
      this.moveCarrier();
    }
  }

  /** Moves a pre-hand-off link's output to the wire and acts on its events. Returns whether anything happened. */
  private serviceLink(s: SseSession, now: number): boolean {
    let busy = false;
    const link = s.link;
    if (!link) return false;
    for (let m = link.pollTransmit(); m; m = link.pollTransmit()) {
      this.tx.push({ port: s.port, frame: pppoeSessionFrame(this.homeMac(s), this.cfg.accessMac, s.ac.id, m) });
      busy = true;
    }
    for (let e = link.pollEvent(); e; e = link.pollEvent()) {
      busy = true;
      if (e.type === 'chap-response') this.route(s, e.name, now);
      else if (e.type === 'pap-request') this.route(s, e.peerId, now);
      else if (e.type === 'finished') {
        if (s.state !== 'relaying') this.retire(s, s.failure ?? e.reason);
      }
    }
    return busy;
  }

  /** The CHAP Response or PAP Authenticate-Request arrived: find the LNS of the user's domain and hand the session over. */
  private route(s: SseSession, name: Uint8Array, now: number): void {
    const user = bytesText(name);
    s.user = user;
    const at = user.lastIndexOf('@');
    const domain = at >= 0 ? user.slice(at + 1).toLowerCase() : '';
    // RFC 2865 §5.1: a User-Name holds 253 octets; the LNS sends it to its RADIUS too.
    if (name.length > MAX_VALUE_LENGTH) {
      this.count('route.refused.user-name-too-long');
      return this.refuse(s, domain, now, 'User name too long');
    }
    if (this.radius && domain) {
      // The carrier RADIUS decides; the CHAP values (or the PAP password, hidden as RFC 2865
      // §5.2 User-Password) go along so a RADIUS that wants to can check them.
      const { chap, pap } = s.link!.proxyValues();
      const req: AccessRequestInput = { userName: user, auth: chap ? { type: 'chap', id: chap.identifier, challenge: chap.challenge, response: chap.response } : { type: 'pap', password: pap?.password ?? '' }, callingStationId: macToString(this.homeMac(s)), nasPortId: this.nasPortId(s) };
      const problem = accessRequestProblem(req);
      if (problem) {
        this.count(`route.refused.${problem}`);
        return this.refuse(s, domain, now, 'User name too long');
      }
      s.proxy = s.link!.handOff();
      this.setState(s, 'lookup');
      s.radiusToken = this.radius.accessRequest(req, now);
      this.byToken.set(s.radiusToken, s);
      return;
    }
    const lns = this.cfg.lns.get(domain);
    if (!lns) return this.refuse(s, domain, now);
    s.proxy = s.link!.handOff();
    this.open(s, lns, now);
  }

  /** No LNS for the domain (or no usable one, `why`): CHAP Failure (PAP Authenticate-Nak) with the reason, then LCP Terminate and PADT. */
  private refuse(s: SseSession, domain: string, now: number, why?: string): void {
    this.count('route.no-lns');
    this.events.push({ type: 'no-lns', pppoeSessionId: s.ac.id, user: s.user ?? '', domain });
    s.failure = why ?? (domain ? `No ISP serves the domain "${domain}"` : 'User name has no @domain');
    if (s.state === 'lookup') {
      // The link was handed off for the lookup: answer the home directly and end the session.
      const message = textBytes(s.failure);
      const pap = s.proxy?.pap;
      const answer: PppMessage = pap
        ? { protocol: PppProtocol.PAP, packet: { kind: 'auth-nak', identifier: pap.identifier, message } }
        : { protocol: PppProtocol.CHAP, packet: { kind: 'failure', identifier: s.proxy?.chap?.identifier ?? 0, message } };
      this.tx.push({ port: s.port, frame: pppoeSessionFrame(this.homeMac(s), this.cfg.accessMac, s.ac.id, answer) });
      this.retire(s, s.failure);
      return;
    }
    this.setState(s, 'closing');
    this.dirty.add(s);
    s.link?.authDecision(false, now, textBytes(s.failure));
  }

  private radiusEvent(e: NonNullable<ReturnType<RadiusClient['pollEvent']>>, now: number): void {
    if (e.type !== 'access-response' && e.type !== 'access-timeout') return;
    const s = this.byToken.get(e.token);
    if (!s) return;
    this.byToken.delete(e.token);
    s.radiusToken = undefined;
    if (s.retired) return;
    const domain = (s.user ?? '').slice((s.user ?? '').lastIndexOf('@') + 1).toLowerCase();
    if (e.type === 'access-timeout' || !e.accepted) {
      this.count(e.type === 'access-timeout' ? 'route.radius-timeout' : 'route.radius-reject');
      return this.refuse(s, domain, now);
    }
    // The answer is a peer's: every tunnel is checked (RFC 2868), the bad ones counted by reason.
    const pick = l2tpCandidates(e.reply.tunnels, MAX_LNS_CANDIDATES);
    for (const [why, n] of Object.entries(pick.refused)) this.counters[`route.tunnel-refused.${why}`] = (this.counters[`route.tunnel-refused.${why}`] ?? 0) + n;
    if (pick.overCap) this.counters['route.tunnel-over-cap'] = (this.counters['route.tunnel-over-cap'] ?? 0) + pick.overCap;
    const lns = pick.candidates.map((c) => this.lnsEntry(c.name.length > 64 ? c.name.slice(0, 64) : c.name, c.address, c.secret));
    if (!lns.length) {
      this.count('route.radius-no-usable-tunnel');
      return this.refuse(s, domain, now, `No usable tunnel for the domain "${domain}"`);
    }
    this.count('route.radius-accept');
    s.candidates = lns.length > 1 ? lns.slice(1) : undefined;
    this.open(s, lns[0]!, now);
  }

  /**
   * The recorded Configure-Requests go into AVPs 26-28 as the home sent them: one longer
   * than an AVP holds (RFC 2661 §4.1) cannot be proxied, so LCP is left to the LNS to
   * renegotiate (§4.4.5 makes the proxy AVPs optional).
   */
  private fitProxy(p: ProxyValues): ProxyValues {
    if (!tooLongForAvp(p.initialReceivedConfReq) && !tooLongForAvp(p.lastSentConfReq) && !tooLongForAvp(p.lastReceivedConfReq)) return p;
    this.count('proxy.lcp-too-long');
    return p.chap ? { chap: p.chap } : {};
  }

  /**
   * One LnsEntry per distinct LNS the carrier RADIUS names, shared by every session sent
   * there (not an entry and a secret buffer per session). The table is bounded: past
   * MAX_LNS_ENTRIES distinct answers an entry is made per session again, and counted.
   */
  private lnsEntry(name: string, address: number, secret: Uint8Array | undefined): LnsEntry {
    const key = `${name}|${address}|${secret ? hex(secret) : ''}`;
    const seen = this.lnsEntries.get(key);
    if (seen) return seen;
    const e: LnsEntry = { name, address, port: L2TP_PORT, ...(secret ? { secret: secret.slice() } : {}) };
    if (this.lnsEntries.size < MAX_LNS_ENTRIES) this.lnsEntries.set(key, e);
    else this.count('route.lns-entries-full');
    return e;
  }

  /** Opens (or reuses) the tunnel to `lns` and places the call with the proxy AVPs. */
  private open(s: SseSession, lns: LnsEntry, now: number): void {
    s.lns = lns;
    const proxy = this.cfg.proxyAvps === false ? {} : proxyAvpValues(this.fitProxy(s.proxy ?? {}));
    this.setState(s, 'opening');
    s.call = this.l2tp.openSession(
      {
        lns: { address: lns.address, port: lns.port },
        ...(lns.secret ? { secret: lns.secret } : {}),
        call: { callingNumber: macToString(this.homeMac(s)), calledNumber: this.cfg.ac.acName, framingType: 1, bearerType: 1, txConnectSpeed: 1_000_000_000, rxConnectSpeed: 1_000_000_000, ...proxy },
        owner: s,
      },
      now,
    );
    if (s.call < 0) {
      // No tunnel or session id free towards that LNS (counted in l2tp.counters.refusals).
      s.call = undefined;
      this.count('l2tp.call-refused');
      return this.end(s, 'L2TP: no tunnel or session id free', now, false);
    }
    // A next LNS to try: do not spend the whole retransmission budget on a silent one.
    const waiting = this.l2tp.sessionInfo(s.call)?.state === 'wait-tunnel';
    s.connectAt = waiting && s.candidates?.length ? now + (this.cfg.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS) : undefined;
    this.connectTimers.schedule(s, s.connectAt);
  }

  /**
   * The connect timeout of a call whose tunnel has not come up: hang the call up (no CDN, the
   * LNS never heard of it) and the session-down it causes places it on the next LNS. The home
   * keeps waiting: it has not had a CHAP Success/Failure (PAP Ack/Nak) yet, and its repeated
   * Responses (Authenticate-Requests) reach the LNS that takes the call.
   */
  private connectTimeout(s: SseSession, now: number): void {
    if (s.retired || s.state !== 'opening' || s.call === undefined || s.connectAt === undefined || now < s.connectAt) return;
    s.connectAt = undefined;
    const info = this.l2tp.sessionInfo(s.call);
    if (info?.state !== 'wait-tunnel') return; // the tunnel came up: the call's own budget now
    this.count('route.connect-timeout');
    this.l2tp.closeSession(s.call, now, { result: CdnResult.ADMINISTRATIVE, message: 'LNS did not answer in time' });
    // No call waits on that tunnel any more: stop the attempt (StopCCN), so a late SCCRP does not
    // leave an empty tunnel up, and the next call to that LNS starts a fresh one.
    if (this.l2tp.tunnelInfo().find((t) => t.tunnelId === info.tunnelId)?.sessions === 0) this.l2tp.closeTunnel(info.tunnelId, now);
  }

  private l2tpEvent(e: NonNullable<ReturnType<L2tpNode<UdpEndpoint, SseSession>['pollEvent']>>, now: number): void {
    switch (e.type) {
      case 'session-up': {
        const s = this.callOf(e.session, e.owner);
        if (!s) return;
        this.setState(s, 'relaying');
        this.acs.get(s.port)!.established(s.ac);
        this.linkTimers.remove(s);
        this.connectTimers.remove(s);
        // From here every frame is relayed: the PPP link, the hand-off values and the set-up's deadlines go.
        s.callUp(now);
        const peerTunnelId = this.l2tp.sessionInfo(e.session)?.peerTunnelId ?? 0;
        this.events.push({ type: 'relaying', port: s.port, pppoeSessionId: s.ac.id, mac: macToString(this.homeMac(s)), user: s.user!, lns: s.lns!.name, tunnelId: e.tunnelId, sessionId: e.sessionId, peerTunnelId, peerSessionId: e.peerSessionId });
        return;
      }
      case 'session-down': {
        const s = this.callOf(e.session, e.owner);
        if (!s) return;
        s.call = undefined;
        // The call never came up: the next LNS of the domain, if the carrier RADIUS gave one.
        if (s.state === 'opening' && s.candidates?.length) {
          this.count('route.failover');
          this.open(s, s.candidates.shift()!, now);
          return;
        }
        this.count('l2tp.session-down');
        this.end(s, e.result?.message ?? `L2TP: ${e.reason}`, now, false);
        return;
      }
      case 'tunnel-down':
        this.events.push({ type: 'tunnel-down', tunnelId: e.tunnelId, reason: e.reason });
        return;
      default:
        return;
    }
  }

  /**
   * The session an L2TP event is about, while that call is still its own: a session ending
   * lets go of its call (`s.call` undefined) before the CDN's session-down comes back.
   */
  private callOf(session: number, owner: SseSession | undefined): SseSession | undefined {
    return owner !== undefined && owner.call === session ? owner : undefined;
  }

  /** L2TP data → PPPoE session frame, written in place in front of the PPP frame b[o, o + len). */
  private relayDown(s: SseSession, b: Uint8Array, o: number, len: number): void {
    const frame = l2tpToPppoe(b, o, len, macFromKey(s.ac.macKey, this.dstMac), this.cfg.accessMac, s.ac.id);
    if (!frame) return this.count('relay.drop.no-headroom');
    this.count('relay.down');
    this.tx.push({ port: s.port, frame });
  }

  /** One access port's AC: its discovery frames out, its sessions up and down. */
  private pumpAc(port: string, ac: PppoeAc<SseSession>, now: number): boolean {
    let busy = false;
    for (let t = ac.pollTransmit(); t; t = ac.pollTransmit()) {
      this.tx.push({ port, frame: pppoeDiscoveryFrame(t.dst, this.cfg.accessMac, t.packet) });
      busy = true;
    }
    for (let e = ac.pollEvent(); e; e = ac.pollEvent()) {
      busy = true;
      if (e.type === 'session-up') {
        const link = new PppLink(this.linkConfig);
        const s = new SseSession(e.session, port, link, now + (this.cfg.handoffTimeoutMs ?? 60_000));
        this.states.lcp++;
        e.session.user = s;
        link.start(now);
        this.dirty.add(s);
      } else {
        this.count('pppoe.padt-in');
        if (e.session.user) this.end(e.session.user, 'PADT from the home', now, false, USER_CLEARED);
      }
    }
    return busy;
  }

  /**
   * Ends a session once: CDN when a call exists, PADT to the home. The CDN says why, so the
   * LNS can account it (RFC 2866 §5.10): Result 3 (administrative, `cdn`) for our own
   * disconnect, Result 1 with a Q.931 cause when the home cleared the call (`cause`), else Result 1.
   */
  private end(s: SseSession, reason: string, now: number, cdn: boolean, cause?: Q931Cause): void {
    if (s.radiusToken !== undefined) this.byToken.delete(s.radiusToken);
    if (s.call !== undefined) {
      const call = s.call;
      s.call = undefined;
      this.l2tp.closeSession(call, now, { result: cdn ? CdnResult.ADMINISTRATIVE : CdnResult.LOST_CARRIER, message: reason }, cause);
    }
    s.link?.lowerDown(now, reason);
    this.retire(s, reason);
  }

  /** The session is over: PADT (unless the home already sent one), counters, one event. */
  private retire(s: SseSession, reason: string): void {
    if (s.retired) return;
    s.retired = true;
    this.states[s.state]--;
    this.forget(s);
    const ac = this.acs.get(s.port)!;
    if (ac.session(s.ac.id) === s.ac) ac.terminate(s.ac, reason);
    this.events.push(s.user === undefined ? { type: 'session-ended', pppoeSessionId: s.ac.id, reason } : { type: 'session-ended', pppoeSessionId: s.ac.id, user: s.user, reason });
  }

  /** A closed session leaves nothing behind: no timer, no pending work. */
  private forget(s: SseSession): void {
    this.linkTimers.remove(s);
    this.connectTimers.remove(s);
    this.dirty.delete(s);
  }
}

/** A recorded Configure-Request too long for an AVP (RFC 2661 §4.1). Module level: no closure per setup. */
function tooLongForAvp(b: Uint8Array | undefined): boolean {
  return b !== undefined && b.length > AVP_MAX_VALUE_LENGTH;
}
