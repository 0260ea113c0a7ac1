/**
 * The carrier's sse: PPPoE access concentrator + L2TP Access Concentrator (LAC).
 * It terminates PPPoE discovery and LCP, sends the CHAP Challenge, takes the Response
 * without checking it, finds the LNS from the domain after '@', opens (or reuses) a tunnel,
 * sends ICRQ / ICCN with the proxy LCP (26–28) and proxy authentication (29–33) AVPs, and
 * from then on relays every PPP frame both ways unchanged. The relay rewrites headers in
 * place: PPPoE session header ⇄ L2TP data header in the bytes it was given.
 * Sans-IO: `handleFrame(port, frame, now)` for the 'access' (PPPoE) and 'carrier' (IPv4,
 * UDP 1701) ports; `pollTransmit()` gives {port, frame}.
 */
import { PppoeAc, type AcSession, type PppoeAcConfig } from '../proto/pppoe-ac.js';
import { PppLink, pppLinkConfig, type PppLinkConfig } from '../proto/ppp-link.js';
import { authenticatorConfig } from '../proto/ppp-auth.js';
import type { Counters } from '../proto/ppp-common.js';
import type { FsmConfig } from '../proto/ppp-fsm.js';
import { L2tpNode, encodeTransmit, type L2tpConfig } from '../proto/l2tp.js';
import { CdnResult, L2TP_PORT } from '../wire/l2tp.js';
import { Host } from './host.js';
import { u16, textBytes, bytesText, macToString } from '../wire/bytes.js';
import { EtherType, emitEthernetHeader, ETHERNET_HEADER_LENGTH, macEquals, isGroupMac } from '../wire/ethernet.js';
import { PPPOE_HEADER_LENGTH, writeSessionHeader } from '../wire/pppoe.js';
import { pppoeDiscoveryFrame, pppoeSessionFrame, pppoeToL2tp, l2tpToPppoe } from './framing.js';
import { proxyAvpValues } from './proxy.js';
import { TimerQueue } from '../proto/timer-queue.js';
import { RadiusClient, type RadiusClientConfig } from '../proto/radius-client.js';
import { TunnelType, TunnelMediumType } from '../wire/radius-dictionary.js';
import { ipv4FromString, ipv4ToString } from '../wire/bytes.js';
import type { ProxyValues } from '../proto/ppp-link.js';
import { Outbox } from '../proto/outbox.js';
import { earliest } from '../proto/timers.js';
import type { Box, Transmit, View } from './box.js';

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
}

/** The carrier RADIUS client's source ports: socket i uses CARRIER_RADIUS_PORT + i. */
export const CARRIER_RADIUS_PORT = 51000;

type SessionState = 'lcp' | 'lookup' | 'opening' | 'relaying' | 'closing';

export interface SseSession {
  readonly ac: AcSession<SseSession>;
  /** The PPP link until the call is up; then released (frames are relayed, not terminated). */
  link: PppLink | undefined;
  state: SessionState;
  user?: string;
  lns?: LnsEntry;
  /** The L2TP session key (local tunnel id × 65536 + local session id). */
  call?: number | undefined;
  /** The hand-off values, kept to open the call again on the next LNS. */
  proxy?: ProxyValues;
  /** LNS still to try, in preference order (carrier RADIUS). */
  candidates?: LnsEntry[];
  radiusToken?: number;
  /** Why the sse refused the session (sent in the PADT's Generic-Error). */
  failure?: string;
  retired?: boolean;
  /** When the call came up (relaying since). */
  since?: number;
}

export type SseEvent =
  | { readonly type: 'relaying'; readonly pppoeSessionId: number; readonly mac: string; readonly user: string; readonly lns: string; readonly tunnelId: number; readonly sessionId: number; readonly peerTunnelId: number; readonly peerSessionId: number }
  | { readonly type: 'no-lns'; readonly pppoeSessionId: number; readonly user: string; readonly domain: string }
  | { readonly type: 'session-ended'; readonly pppoeSessionId: number; readonly user?: string; readonly reason: string }
  | { readonly type: 'tunnel-down'; readonly tunnelId: number; readonly reason: string };

export type SsePort = Transmit<SsePortName>;

export type SsePortName = 'access' | 'carrier';
export const SSE_PORTS: readonly SsePortName[] = ['access', 'carrier'];

export class Sse implements Box<SsePortName, SseEvent> {
  readonly ac: PppoeAc<SseSession>;
  readonly l2tp: L2tpNode<UdpEndpoint>;
  readonly carrier: Host;
  readonly radius: RadiusClient | undefined;
  readonly counters: Counters = {};
  private readonly byToken = new Map<number, SseSession>();
  private readonly linkConfig: PppLinkConfig;
  private readonly byCall = new Map<number, SseSession>();
  readonly kind = 'sse';
  readonly ports = SSE_PORTS;
  private readonly tx = new Outbox<SsePort>(1 << 20);
  private readonly events = new Outbox<SseEvent>(1 << 20);
  /** Sessions whose PPP link (before hand-off) has output or events to look at. */
  private readonly dirty = new Set<SseSession>();
  private readonly linkTimers = new TimerQueue<SseSession>();
  private readonly states: Record<SessionState, number> = { lcp: 0, lookup: 0, opening: 0, relaying: 0, closing: 0 };

  constructor(readonly cfg: SseConfig, now: number) {
    this.ac = new PppoeAc<SseSession>(cfg.ac);
    this.linkConfig = pppLinkConfig({
      lcp: { mru: cfg.mru, authenticate: ['chap-md5'], authenticateWith: [], recordConfReqs: true, echoIntervalMs: cfg.echoIntervalMs ?? 0, ...(cfg.fsm ? { fsm: cfg.fsm } : {}) },
      authenticator: authenticatorConfig({ name: cfg.hostName, verify: 'external' }),
      counters: this.counters,
    });
    this.l2tp = new L2tpNode<UdpEndpoint>({
      role: 'lac',
      hostName: cfg.hostName,
      vendorName: 'pseudonet',
      endpointKey: (e) => `${e.address}:${e.port}`,
      idleTunnelTimeout: 10_000,
      ...cfg.l2tp,
    });
    this.carrier = new Host({ name: `${cfg.name}-carrier`, mac: cfg.carrierMac, address: cfg.carrierAddress, prefixLength: cfg.carrierPrefixLength }, now);
    this.carrier.listenUdp(L2TP_PORT);
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
        return { sse: this.counters, l2tp: this.l2tp.counters, carrier: this.carrier.counters, ...(this.radius ? { radius: this.radius.counters } : {}), outbox: { refused: this.tx.refused + this.events.refused } };
      default:
        return undefined;
    }
  }

  /** The relayed calls: PPPoE session ⇄ L2TP call, both sides' ids. */
  relaying(): { pppoeSessionId: number; mac: string; user: string; lns: string; tunnelId: number; sessionId: number; peerTunnelId: number; peerSessionId: number; since: number }[] {
    const out = [];
    for (const s of this.byCall.values()) {
      if (s.state !== 'relaying' || s.call === undefined) continue;
      const info = this.l2tp.sessionInfo(s.call);
      out.push({ pppoeSessionId: s.ac.id, mac: macToString(s.ac.mac), user: s.user ?? '', lns: s.lns?.name ?? '', tunnelId: info?.tunnelId ?? 0, sessionId: info?.sessionId ?? 0, peerTunnelId: info?.peerTunnelId ?? 0, peerSessionId: info?.peerSessionId ?? 0, since: s.since ?? 0 });
    }
    return out;
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

  handleFrame(port: SsePortName, frame: Uint8Array, now: number): void {
    if (port === 'carrier') this.carrier.handle(0, frame, now);
    else this.access(frame, now);
    this.pump(now);
  }

  private access(frame: Uint8Array, now: number): void {
    if (frame.length < ETHERNET_HEADER_LENGTH + PPPOE_HEADER_LENGTH) return this.count('access.drop.short');
    if (!macEquals(frame, 0, this.cfg.accessMac) && !isGroupMac(frame, 0)) return this.count('access.drop.other-mac');
    const type = u16(frame, 12);
    const src = frame.subarray(6, 12);
    if (type === EtherType.PPPOE_DISCOVERY) {
      this.ac.handleFrame(src, frame.subarray(ETHERNET_HEADER_LENGTH), now);
      return;
    }
    if (type !== EtherType.PPPOE_SESSION) return this.count('access.drop.ethertype');
    const o = ETHERNET_HEADER_LENGTH;
    // RFC 2516 §4 and §5.4: session frames are unicast, VER/TYPE 0x11 and CODE 0x00.
    if (frame[o] !== 0x11 || frame[o + 1] !== 0x00) return this.count('access.drop.bad-session-header');
    if (isGroupMac(frame, 0)) return this.count('access.drop.group-session-frame');
    const ac = this.ac.sessionFor(src, u16(frame, o + 2));
    if (!ac) return this.count('access.drop.unknown-session');
    const s = ac.user;
    if (!s) return this.count('access.drop.unknown-session');
    const len = u16(frame, o + 4);
    if (len < 2 || o + PPPOE_HEADER_LENGTH + len > frame.length) return this.count('access.drop.bad-length');
    const ppp = o + PPPOE_HEADER_LENGTH;
    if (s.state === 'relaying') {
      const m = s.call === undefined || !s.lns ? undefined : pppoeToL2tp(this.l2tp, s.call, frame, ppp, len);
      if (!m) return this.count('relay.drop.call-gone');
      this.count('relay.up');
      this.carrier.sendUdp(s.lns!.address, L2TP_PORT, s.lns!.port, m, now);
      return;
    }
    if (s.state !== 'lcp') return this.count(`access.drop.frame-while-${s.state}`);
    s.link!.handleFrame(u16(frame, ppp), frame.subarray(ppp + 2, ppp + len), now);
    this.dirty.add(s);
  }

  /** Ends a subscriber's session from the carrier side: CDN to the LNS, PADT to the home. */
  disconnect(pppoeSessionId: number, now: number, reason = 'Administrative disconnect'): boolean {
    const ac = this.ac.session(pppoeSessionId);
    if (!ac?.user) return false;
    this.end(ac.user, reason, now, true);
    this.pump(now);
    return true;
  }

  handleTimeout(now: number): void {
    this.ac.handleTimeout(now);
    for (const s of this.linkTimers.due(now)) {
      s.link?.handleTimeout(now);
      this.dirty.add(s);
    }
    this.l2tp.handleTimeout(now);
    this.radius?.handleTimeout(now);
    this.carrier.handleTimeout(now);
    this.pump(now);
  }

  nextTimeout(): number | undefined {
    return earliest(this.l2tp.nextTimeout(), this.ac.nextTimeout(), this.carrier.nextTimeout(), this.radius?.nextTimeout(), this.linkTimers.peek());
  }

  pollTransmit(): SsePort | undefined {
    return this.tx.shift();
  }

  pollEvent(): SseEvent | undefined {
    return this.events.shift();
  }

  private pump(now: number): void {
    for (let busy = true; busy; ) {
      busy = false;
      for (let t = this.ac.pollTransmit(); t; t = this.ac.pollTransmit()) {
        this.tx.push({ port: 'access', frame: pppoeDiscoveryFrame(t.dst, this.cfg.accessMac, t.packet) });
        busy = true;
      }
      for (let e = this.ac.pollEvent(); e; e = this.ac.pollEvent()) {
        busy = true;
        if (e.type === 'session-up') {
          const link = new PppLink(this.linkConfig);
          const s: SseSession = { ac: e.session, link, state: 'lcp' };
          this.states.lcp++;
          e.session.user = s;
          link.start(now);
          this.dirty.add(s);
        } else {
          this.count('pppoe.padt-in');
          if (e.session.user) this.end(e.session.user, 'PADT from the home', now, false);
        }
      }
      if (this.dirty.size) {
        const list = [...this.dirty];
        this.dirty.clear();
        for (const s of list) {
          busy = this.serviceLink(s, now) || busy;
          this.linkTimers.schedule(s, s.state === 'lcp' || s.state === 'closing' ? s.link?.nextTimeout() : undefined);
        }
      }
      for (let t = this.l2tp.pollTransmit(); t; t = this.l2tp.pollTransmit()) {
        this.carrier.sendUdp(t.to.address, L2TP_PORT, t.to.port, encodeTransmit(t), now);
        busy = true;
      }
      for (let e = this.l2tp.pollEvent(); e; e = this.l2tp.pollEvent()) {
        busy = true;
        this.l2tpEvent(e, now);
      }
      for (let t = this.carrier.pollTransmit(); t; t = this.carrier.pollTransmit()) {
        this.tx.push({ port: 'carrier', frame: t.frame });
        busy = true;
      }
      const r = this.radius;
      if (r) {
        for (let t = r.pollTransmit(); t; t = r.pollTransmit()) {
          this.carrier.sendUdp(ipv4FromString(t.address), CARRIER_RADIUS_PORT + t.socket, t.port, t.bytes, now);
          busy = true;
        }
        for (let e = r.pollEvent(); e; e = r.pollEvent()) {
          busy = true;
          this.radiusEvent(e, now);
        }
      }
      for (let e = this.carrier.pollEvent(); e; e = this.carrier.pollEvent()) {
        busy = true;
        if (e.kind === 'udp' && e.dstPort === L2TP_PORT) this.l2tp.handle({ address: e.from, port: e.srcPort }, e.payload, now);
        else if (e.kind === 'udp' && r && e.dstPort >= CARRIER_RADIUS_PORT && e.dstPort < CARRIER_RADIUS_PORT + 256) {
          r.handle({ socket: e.dstPort - CARRIER_RADIUS_PORT, address: ipv4ToString(e.from), port: e.srcPort, bytes: e.payload }, now);
        } else this.count(`carrier.ignored.${e.kind}`);
      }
    }
  }

  /** Moves a pre-hand-off link's output to the wire and acts on its events. Returns whether anything happened. */
  private serviceLink(s: SseSession, now: number): boolean {
    let busy = false;
    const link = s.link;
    if (!link) return false;
    for (let m = link.pollTransmit(); m; m = link.pollTransmit()) {
      this.tx.push({ port: 'access', frame: pppoeSessionFrame(s.ac.mac, this.cfg.accessMac, s.ac.id, m) });
      busy = true;
    }
    for (let e = link.pollEvent(); e; e = link.pollEvent()) {
      busy = true;
      if (e.type === 'chap-response') this.route(s, bytesText(e.name), now);
      else if (e.type === 'finished') {
        if (s.state !== 'relaying') this.retire(s, s.failure ?? e.reason);
      }
    }
    return busy;
  }

  /** The CHAP Response arrived: find the LNS of the user's domain and hand the session over. */
  private route(s: SseSession, user: string, now: number): void {
    s.user = user;
    const at = user.lastIndexOf('@');
    const domain = at >= 0 ? user.slice(at + 1).toLowerCase() : '';
    if (this.radius && domain) {
      // The carrier RADIUS decides; the CHAP values go along so a RADIUS that wants to can check them.
      s.proxy = s.link!.handOff();
      this.setState(s, 'lookup');
      const chap = s.proxy.chap;
      s.radiusToken = this.radius.accessRequest(
        { userName: user, auth: chap ? { type: 'chap', id: chap.identifier, challenge: chap.challenge, response: chap.response } : { type: 'pap', password: '' }, callingStationId: macToString(s.ac.mac), nasPortId: `${this.cfg.ac.acName}/${s.ac.id}` },
        now,
      );
      this.byToken.set(s.radiusToken, s);
      return;
    }
    const lns = this.cfg.lns.get(domain);
    if (!lns) return this.refuse(s, domain, now);
    s.proxy = s.link!.handOff();
    this.open(s, lns, now);
  }

  /** No LNS for the domain: CHAP Failure with the reason, then LCP Terminate and PADT. */
  private refuse(s: SseSession, domain: string, now: number): void {
    this.count('route.no-lns');
    this.events.push({ type: 'no-lns', pppoeSessionId: s.ac.id, user: s.user ?? '', domain });
    s.failure = domain ? `No ISP serves the domain "${domain}"` : 'User name has no @domain';
    if (s.state === 'lookup') {
      // The link was handed off for the lookup: answer the home directly and end the session.
      this.tx.push({ port: 'access', frame: pppoeSessionFrame(s.ac.mac, this.cfg.accessMac, s.ac.id, { protocol: 0xc223, packet: { kind: 'failure', identifier: s.proxy?.chap?.identifier ?? 0, message: textBytes(s.failure) } }) });
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
    const lns = e.reply.tunnels
      .filter((t) => (t.type ?? TunnelType.L2TP) === TunnelType.L2TP && (t.mediumType ?? TunnelMediumType.IPV4) === TunnelMediumType.IPV4 && t.serverEndpoint && isDottedQuad(t.serverEndpoint))
      .map((t): LnsEntry => ({ name: t.assignmentId ?? t.serverEndpoint!, address: ipv4FromString(t.serverEndpoint!), port: L2TP_PORT, ...(t.password ? { secret: t.password } : {}) }));
    if (!lns.length) return this.refuse(s, domain, now);
    this.count('route.radius-accept');
    s.candidates = lns.slice(1);
    this.open(s, lns[0]!, now);
  }

  /** Opens (or reuses) the tunnel to `lns` and places the call with the proxy AVPs. */
  private open(s: SseSession, lns: LnsEntry, now: number): void {
    s.lns = lns;
    const proxy = this.cfg.proxyAvps === false ? {} : proxyAvpValues(s.proxy ?? {});
    this.setState(s, 'opening');
    s.call = this.l2tp.openSession(
      {
        lns: { address: lns.address, port: lns.port },
        ...(lns.secret ? { secret: lns.secret } : {}),
        call: { callingNumber: macToString(s.ac.mac), calledNumber: this.cfg.ac.acName, framingType: 1, bearerType: 1, txConnectSpeed: 1_000_000_000, rxConnectSpeed: 1_000_000_000, ...proxy },
      },
      now,
    );
    this.byCall.set(s.call, s);
  }

  private l2tpEvent(e: NonNullable<ReturnType<L2tpNode<UdpEndpoint>['pollEvent']>>, now: number): void {
    switch (e.type) {
      case 'session-up': {
        const s = this.byCall.get(e.session);
        if (!s) return;
        this.setState(s, 'relaying');
        // From here every frame is relayed: the PPP link and the hand-off values are no longer needed.
        s.link = undefined;
        s.proxy = undefined;
        s.candidates = undefined;
        s.since = now;
        const peerTunnelId = this.l2tp.sessionInfo(e.session)?.peerTunnelId ?? 0;
        this.events.push({ type: 'relaying', pppoeSessionId: s.ac.id, mac: macToString(s.ac.mac), user: s.user!, lns: s.lns!.name, tunnelId: e.tunnelId, sessionId: e.sessionId, peerTunnelId, peerSessionId: e.peerSessionId });
        return;
      }
      case 'session-down': {
        const s = this.byCall.get(e.session);
        if (!s) return;
        this.byCall.delete(e.session);
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
      case 'data': {
        const s = this.byCall.get(e.session);
        if (!s || s.state !== 'relaying') return this.count('relay.drop.no-session');
        this.relayDown(s, e.payload);
        return;
      }
      case 'tunnel-down':
        this.events.push({ type: 'tunnel-down', tunnelId: e.tunnelId, reason: e.reason });
        return;
      default:
        return;
    }
  }

  /** L2TP data → PPPoE session frame, written in place in front of the PPP frame. */
  private relayDown(s: SseSession, ppp: Uint8Array): void {
    const frame = l2tpToPppoe(ppp, s.ac.mac, this.cfg.accessMac, s.ac.id);
    if (!frame) return this.count('relay.drop.no-headroom');
    this.count('relay.down');
    this.tx.push({ port: 'access', frame });
  }

  /** Ends a session once: CDN when a call exists (and `cdn`), PADT to the home. */
  private end(s: SseSession, reason: string, now: number, cdn: boolean): void {
    if (s.radiusToken !== undefined) this.byToken.delete(s.radiusToken);
    if (s.call !== undefined) {
      const call = s.call;
      s.call = undefined;
      this.byCall.delete(call);
      this.l2tp.closeSession(call, now, { result: cdn ? CdnResult.ADMINISTRATIVE : CdnResult.LOST_CARRIER, message: reason });
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
    if (this.ac.session(s.ac.id) === s.ac) this.ac.terminate(s.ac, reason);
    this.events.push(s.user === undefined ? { type: 'session-ended', pppoeSessionId: s.ac.id, reason } : { type: 'session-ended', pppoeSessionId: s.ac.id, user: s.user, reason });
  }

  /** A closed session leaves nothing behind: no timer, no pending work. */
  private forget(s: SseSession): void {
    this.linkTimers.remove(s);
    this.dirty.delete(s);
  }
}

/** An IPv4 address in dotted-quad form that `ipv4FromString` takes ("300.1.1.1" from a RADIUS server is refused, not thrown). */
function isDottedQuad(s: string): boolean {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  return m !== null && m.slice(1).every((x) => Number(x) <= 255);
}
