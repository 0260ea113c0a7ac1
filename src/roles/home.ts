/**
 * The home router: a PPPoE client, a PPP link (CHAP-MD5 or PAP peer, IPCP asking for an
 * address and DNS) and a small IP stack (src/roles/host.ts) on the PPP link once IPCP is
 * up; dual-stack when configured with `ipv6`: IPV6CP beside IPCP, and once it is up the IPv6
 * side of src/roles/home-ipv6.ts (SLAAC, DHCPv6-PD, ping6). Sans-IO: Ethernet frames in with
 * `handleFrame`, out with `pollTransmit`.
 * Like a home router running pppd with `persist`, it dials again after any end it did not
 * ask for (PADT from the AC, LCP Terminate from the peer, echo timeout, a failed setup),
 * after a holdoff that doubles per consecutive failed setup; `disconnect()`/`padt()` stop
 * that until the next `start()`.
 */
import { PppoeClient, type ClientState, type PppoeClientConfig } from '../proto/pppoe-client.js';
import { macFromKey, macKey } from '../proto/pppoe-ac.js';
import { PppLink, pppLinkConfig, type PppLinkConfig } from '../proto/ppp-link.js';
import { peerConfig } from '../proto/ppp-auth.js';
import { ipcpConfig } from '../proto/ipcp.js';
import { ipv6cpConfig } from '../proto/ipv6cp.js';
import { ipv6ToString as ipv6Text } from '../wire/ipv6.js';
import { HomeIpv6, type HomeIpv6Event, type HomeIpv6Options } from './home-ipv6.js';
import type { Counters } from '../proto/ppp-common.js';
import { sharedNumbers } from '../proto/shared-bytes.js';
import type { FsmConfig } from '../proto/ppp-fsm.js';
import { Host, type HostEvent } from './host.js';
import { u16, ipv4ToString, keptBytes } from '../wire/bytes.js';
import { EtherType, isGroupMac, ETHERNET_HEADER_LENGTH } from '../wire/ethernet.js';
import { PPPOE_HEADER_LENGTH, discoveryDestinationProblem, sessionFrameProblem } from '../wire/pppoe.js';
import { PppProtocol } from '../wire/ppp.js';
import { pppoeDiscoveryFrame, pppoeIpFrame, pppoeSessionFrame } from './framing.js';
import { earliest } from '../proto/timers.js';
import { BoxOutput, type Box, type View } from './box.js';

/** The AC's MAC for the frame being built (written from its key: nothing allocated per frame). */
const AC_MAC = new Uint8Array(6);
/** The home's own MAC for the frame being built (written from its halves). */
const HOME_MAC = new Uint8Array(6);

function writeMac(hi: number, lo: number, b: Uint8Array): Uint8Array {
  b[0] = hi >>> 16;
  b[1] = (hi >>> 8) & 0xff;
  b[2] = hi & 0xff;
  b[3] = lo >>> 16;
  b[4] = (lo >>> 8) & 0xff;
  b[5] = lo & 0xff;
  return b;
}

/** A home's settings; its MAC (its hardware, not a setting) is given beside them to `new Home`. */
export interface HomeConfig {
  readonly name: string;
  readonly user: string;
  readonly password: string;
  readonly auth: 'chap' | 'pap';
  /** The MRU we ask for (1454 on FLET'S). */
  readonly mru?: number;
  /** LCP Echo-Request interval (ms), 0 = off. */
  readonly echoIntervalMs?: number;
  readonly fsm?: FsmConfig;
  /** Dial again after an end we did not ask for (pppd `persist`); absent = stay down. */
  readonly redial?: RedialConfig;
  /**
   * Dual stack: IPV6CP, SLAAC and DHCPv6-PD beside IPv4 (src/roles/home-ipv6.ts); absent =
   * IPv4 only (IPV6CP Protocol-Rejected). `online` stays IPv4's either way.
   */
  readonly ipv6?: HomeIpv6Options;
}

/** pppd's `persist` with `holdoff` and `maxfail`, plus the back-off a home router adds. */
export interface RedialConfig {
  /** Wait after a session that was online ended (pppd `holdoff`), ms. */
  readonly holdoffMs: number;
  /** The wait doubles per consecutive failed setup up to this, ms. */
  readonly maxHoldoffMs: number;
  /** Consecutive failed setups after which the home stops dialling (pppd `maxfail`); 0 = never. */
  readonly maxfail: number;
  /**
   * Uniform [0, 1) source for the ±50 % jitter that keeps homes that lost their sessions
   * together (an LNS restart) from dialling together; seeded in simulations.
   */
  readonly random: () => number;
}

export type HomeEvent =
  | { readonly type: 'pppoe-up'; readonly sessionId: number }
  | { readonly type: 'online'; readonly sessionId: number; readonly address: number; readonly peer: number; readonly dns: readonly number[] }
  | { readonly type: 'auth-failed'; readonly reason: string }
  | { readonly type: 'offline'; readonly reason: string }
  | { readonly type: 'discovery-failed'; readonly reason: string }
  /** Dialling again (PADI) after `waitedMs`; `failures` consecutive setups had failed before it. */
  | { readonly type: 'redial'; readonly attempt: number; readonly failures: number; readonly waitedMs: number }
  /** `maxfail` consecutive setups failed: no more redials until `start()`. */
  | { readonly type: 'redial-given-up'; readonly failures: number }
  | ({ readonly type: 'ip' } & { readonly event: HostEvent })
  /** IPv6 is up: the SLAAC address (or lanPrefix::1), the delegated prefix and its first /64 (strings, RFC 5952 + /len). */
  | { readonly type: 'home-ipv6-up'; readonly home: string; readonly address: string; readonly delegatedPrefix: string; readonly lanPrefix: string }
  | { readonly type: 'home-ipv6-down'; readonly home: string; readonly reason: string }
  | { readonly type: 'ip6'; readonly event: HomeIpv6Event };

export type HomePortName = 'access';
const HOME_PORTS: readonly HomePortName[] = Object.freeze(['access'] as HomePortName[]);
/** A home never online has no DNS servers: one frozen empty array for all of them (IPCP up replaces it). */
const NO_DNS: readonly number[] = Object.freeze([]);

/** Home.flags bits. */
const OFFLINE_REPORTED = 1;
const STOPPED_BY_USER = 2;
const REACHED_ONLINE = 4;

export class Home extends BoxOutput<HomePortName, HomeEvent> implements Box<HomePortName, HomeEvent> {
  // On the prototype, not in each of thousands of homes.
  get kind(): 'home' {
    return 'home';
  }

  get ports(): readonly HomePortName[] {
    return HOME_PORTS;
  }

  /** Made by the first dial (or the first input that needs it): a home never dialled holds no PPPoE or PPP machine. */
  private pppoeClient: PppoeClient | undefined;
  private pppLink: PppLink | undefined;
  host: Host | undefined;
  /** The IPv6 stack while IPV6CP is up (dual-stack homes only). */
  ipv6: HomeIpv6 | undefined;
  address = 0;
  /** The DNS servers IPCP gave (shared and frozen: src/proto/shared-bytes.ts). */
  dns: readonly number[] = NO_DNS;
  /** When the planned redial is due (pppd `persist`); one number, not a timer table per home. */
  private redialDue: number | undefined = undefined;
  /** OFFLINE_REPORTED, STOPPED_BY_USER and REACHED_ONLINE in one small integer (a field each is 8 bytes a home). */
  private flags = 0;
  /** Consecutive setups that ended before IPCP up (pppd's maxfail counts these). */
  failures = 0;
  /** Redials so far. */
  redials = 0;
  private redialWait = 0;

  /**
   * Our MAC as two 24-bit halves (small integers): a byte array is about 90 bytes a home, and
   * the frames are built from a scratch copy (HOME_MAC).
   */
  private macHi: number;
  private macLo: number;

  constructor(
    readonly cfg: HomeConfig,
    mac: Uint8Array,
    private readonly pppoe: PppoeClientConfig,
    /** Counters shared by every home (drops by reason, retransmits). */
    readonly counters: Counters = {},
  ) {
    super(1024);
    this.macHi = 0;
    this.macLo = 0;
    this.mac = mac;
  }

  /** The attempt's offline event is out (once per attempt). */
  private get offlineReported(): boolean {
    return (this.flags & OFFLINE_REPORTED) !== 0;
  }
  private set offlineReported(v: boolean) {
    this.flags = v ? this.flags | OFFLINE_REPORTED : this.flags & ~OFFLINE_REPORTED;
  }

  /** `disconnect()`/`padt()` was called: no redial until `start()`. */
  private get stoppedByUser(): boolean {
    return (this.flags & STOPPED_BY_USER) !== 0;
  }
  private set stoppedByUser(v: boolean) {
    this.flags = v ? this.flags | STOPPED_BY_USER : this.flags & ~STOPPED_BY_USER;
  }

  /** This attempt reached IPCP up. */
  private get reachedOnline(): boolean {
    return (this.flags & REACHED_ONLINE) !== 0;
  }
  private set reachedOnline(v: boolean) {
    this.flags = v ? this.flags | REACHED_ONLINE : this.flags & ~REACHED_ONLINE;
  }

  /** Our MAC (a new array each call: for the API, tests and the IPv6 side's DUID). */
  get mac(): Uint8Array {
    return writeMac(this.macHi, this.macLo, new Uint8Array(6));
  }

  /** A new MAC (another router on the same line: the fuzzer's churn). Takes effect with the next frame. */
  set mac(mac: Uint8Array) {
    if (mac.length !== 6) throw new Error('home: mac must be 6 octets');
    this.macHi = (mac[0]! << 16) | (mac[1]! << 8) | mac[2]!;
    this.macLo = (mac[3]! << 16) | (mac[4]! << 8) | mac[5]!;
  }

  /** Our MAC in the scratch array the frame builders copy from (valid until the next call). */
  private ourMac(): Uint8Array {
    return writeMac(this.macHi, this.macLo, HOME_MAC);
  }

  private isOurMac(frame: Uint8Array, o: number): boolean {
    return ((frame[o]! << 16) | (frame[o + 1]! << 8) | frame[o + 2]!) === this.macHi && ((frame[o + 3]! << 16) | (frame[o + 4]! << 8) | frame[o + 5]!) === this.macLo;
  }

  /** The PPPoE client, made on first use (kept across redials, as it always was). */
  get client(): PppoeClient {
    return (this.pppoeClient ??= new PppoeClient(this.pppoe, this.counters));
  }

  /**
   * The PPP link, made on first use and kept across redials: IPV6CP draws its tentative
   * identifier from the home's seeded source when it is made, and nothing draws from that
   * source before the first dial, so a run is the same run as when it was made with the home.
   */
  get link(): PppLink {
    return (this.pppLink ??= this.makeLink());
  }

  /** A link made elsewhere (tests give a home IPV6CP identifiers of their choosing this way). */
  set link(l: PppLink) {
    this.pppLink = l;
  }

  /** The PPPoE state without making a client: 'idle' for a home never dialled. */
  get pppoeState(): ClientState {
    return this.pppoeClient?.state ?? 'idle';
  }

  private makeLink(): PppLink {
    const cfg = this.cfg;
    // Our tentative IPV6CP identifier from the seeded source, so a run is the same run again (RFC 5072 §4.1 asks only for uniqueness on the link).
    return new PppLink(linkConfigFor(cfg, this.counters), cfg, cfg.ipv6 ? bytesFrom(cfg.ipv6.random) : undefined);
  }

  get name(): string {
    return this.cfg.name;
  }

  show(view: View, now: number): unknown {
    switch (view) {
      case 'sessions':
        return [{ state: this.pppoeState, online: this.isOnline, sessionId: this.sessionId, address: this.address ? ipv4ToString(this.address) : undefined, dns: this.dns.map(ipv4ToString), redials: this.redials, failures: this.failures, ...(this.redialAt !== undefined ? { redialInMs: Math.max(0, this.redialAt - now) } : {}), ...(this.ipv6?.isUp ? { ipv6: this.ipv6.showSession() } : {}) }];
      case 'interfaces':
        // An object (src/io/box.ts spreads it beside the ports): the PPP link and the LAN side this home does not have.
        return {
          ppp0: {
            kind: 'ppp', up: this.isOnline || this.ipv6 !== undefined, mtu: this.cfg.mru ?? 1454,
            ipv4: this.address ? ipv4ToString(this.address) : undefined,
            dualStack: this.cfg.ipv6 !== undefined,
            ...(this.ipv6 ? { ipv6: this.ipv6.showInterface(now) } : {}),
          },
          lan: { kind: 'none', note: 'the emulated home has no LAN port: its LAN /64 is recorded (ipv6.lanPrefix), not routed' },
        };
      case 'arp':
        return this.host?.showArp(now) ?? [];
      case 'counters':
        return { home: this.counters, ...(this.host ? { host: this.host.counters } : {}) };
      case 'routes':
        return this.ipv6?.slaac.defaultRouter ? [{ prefix: '::/0', nextHop: ipv6Text(this.ipv6.slaac.defaultRouter), interface: 'ppp0' }] : [];
      default:
        return undefined;
    }
  }

  get sessionId(): number {
    return this.pppoeClient?.sessionId ?? 0;
  }

  /** Online while IPCP is up: the IP stack exists exactly then. */
  get isOnline(): boolean {
    return this.host !== undefined;
  }

  /** Starts PPPoE discovery (and, with `redial`, keeps the link up from now on). */
  start(now: number): void {
    this.stoppedByUser = false;
    this.failures = 0;
    this.redialDue = undefined;
    this.dial(now);
  }

  /** When the next redial is due (undefined: none planned). */
  get redialAt(): number | undefined {
    return this.redialDue;
  }

  private dial(now: number): void {
    this.offlineReported = false;
    this.reachedOnline = false;
    this.client.start(now);
    this.pump(now);
  }

  /** Ends the session politely: DHCPv6 Release, LCP Terminate-Request, then PADT when LCP is finished. No redial. */
  disconnect(now: number): void {
    this.stoppedByUser = true;
    this.redialDue = undefined;
    // RFC 8415 §18.2.7: give the delegated prefix back while the link can still carry it.
    if (this.ipv6?.release(now)) this.pump(now);
    this.link.close(now, 'User request');
    this.pump(now);
  }

  /** Ends the session abruptly with a PADT (as when the router is switched off the line). No redial. */
  padt(now: number, message?: string): void {
    this.stoppedByUser = true;
    this.redialDue = undefined;
    this.client.terminate(message);
    this.link.lowerDown(now, 'padt-sent');
    this.pump(now);
  }

  ping(dst: number, sequence: number, now: number, size = 56): boolean {
    const h = this.host;
    if (!h) return false;
    h.ping(dst, { sequence, size }, now);
    // A ping moves nothing but the IP stack's output: no pass over the other parts.
    this.moveHost(h);
    return true;
  }

  /** ICMPv6 echo request to `dst` from the home's global address; the reply is an `ip6` `echo-reply` event. */
  ping6(dst: Uint8Array, sequence: number, now: number, size = 56): boolean {
    if (!this.ipv6?.ping6(dst, sequence, now, size)) return false;
    this.pump(now);
    return true;
  }

  handleFrame(_port: HomePortName, frame: Uint8Array, now: number): void {
    if (frame.length < ETHERNET_HEADER_LENGTH) return;
    if (!this.isOurMac(frame, 0) && !isGroupMac(frame, 0)) return;
    const type = u16(frame, 12);
    if (type === EtherType.PPPOE_DISCOVERY) {
      const problem = discoveryDestinationProblem(frame, ETHERNET_HEADER_LENGTH);
      if (problem) return this.drop(`discovery.${problem}`);
      this.client.handleFrame(frame.subarray(6, 12), frame.subarray(ETHERNET_HEADER_LENGTH), now);
    } else if (type === EtherType.PPPOE_SESSION) {
      const o = ETHERNET_HEADER_LENGTH;
      // RFC 2516 §4/§6: VER/TYPE 0x11, CODE 0, unicast destination, LENGTH within the frame.
      const problem = sessionFrameProblem(frame, o);
      if (problem) return this.drop(problem);
      const client = this.pppoeClient;
      if (client === undefined || client.state !== 'session') return this.drop('not-in-session');
      if (u16(frame, o + 2) !== client.sessionId || client.acKey < 0 || macKey(frame, 6) !== client.acKey) return this.drop('foreign-session');
      const len = u16(frame, o + 4);
      // One view, of the PPP information field (a view costs ~100 bytes and a call: not one per layer).
      const protocol = u16(frame, o + PPPOE_HEADER_LENGTH);
      const info = frame.subarray(o + PPPOE_HEADER_LENGTH + 2, o + PPPOE_HEADER_LENGTH + len);
      if (!this.link.handleFrame(protocol, info, now)) {
        // An IPv4 packet (the link takes it without a change when it says false): only the IP stack moves.
        const h = this.host;
        if (protocol === PppProtocol.IPV4 && h) {
          h.handle(0, info, now);
          this.moveHost(h);
          return;
        }
        if (protocol === PppProtocol.IPV6) this.ipv6?.handle(info, now);
      }
    }
    this.pump(now);
  }

  /** Counted by reason in the counters every home shares. */
  private drop(reason: string): void {
    const k = `home.drop.${reason}`;
    this.counters[k] = (this.counters[k] ?? 0) + 1;
  }

  handleTimeout(now: number): void {
    this.pppoeClient?.handleTimeout(now);
    this.pppLink?.handleTimeout(now);
    this.host?.handleTimeout(now);
    this.ipv6?.handleTimeout(now);
    if (this.redialDue !== undefined && this.redialDue <= now) {
      this.redialDue = undefined;
      this.redials++;
      this.emit({ type: 'redial', attempt: this.redials, failures: this.failures, waitedMs: this.redialWait });
      this.dial(now);
    }
    this.pump(now);
  }

  nextTimeout(): number | undefined {
    return earliest(this.pppoeClient?.nextTimeout(), this.pppLink?.nextTimeout(), this.host?.nextTimeout(), this.ipv6?.nextTimeout(), this.redialDue);
  }

  private send(frame: Uint8Array): void {
    this.tx.push({ port: 'access', frame });
  }

  private emit(e: HomeEvent): void {
    this.events.push(e);
  }

  /**
   * Moves outputs and events between the parts until nothing is left to do. A step sets `busy`
   * only when what it does can give work to a step earlier in the pass: a frame to the access
   * port and an event to report are nobody's work here, so a ping costs one pass.
   */
  private pump(now: number): void {
    const client = this.pppoeClient;
    // Nothing was ever made: a home never dialled has nothing to move.
    if (client === undefined && this.pppLink === undefined) return;
    for (let busy = true; busy; ) {
      busy = false;
      if (client) for (let t = client.pollTransmit(); t; t = client.pollTransmit()) this.send(pppoeDiscoveryFrame(t.dst, this.ourMac(), t.packet));
      if (client) for (let e = client.pollEvent(); e; e = client.pollEvent()) {
        busy = true;
        if (e.type === 'session-up') {
          this.emit({ type: 'pppoe-up', sessionId: e.sessionId });
          this.link.start(now);
        } else if (e.type === 'session-down') {
          this.link.lowerDown(now, 'padt-received');
          this.goOffline('padt-received', now);
        } else {
          this.emit({ type: 'discovery-failed', reason: e.reason });
          this.ended(now);
        }
      }
      const link = this.pppLink;
      if (link) for (let m = link.pollTransmit(); m; m = link.pollTransmit()) {
        if (client && client.state === 'session' && client.acKey >= 0) this.send(pppoeSessionFrame(macFromKey(client.acKey, AC_MAC), this.ourMac(), client.sessionId, m));
      }
      if (link) for (let e = link.pollEvent(); e; e = link.pollEvent()) {
        busy = true;
        switch (e.type) {
          case 'ipcp-up': {
            const n = e.negotiated;
            this.address = n.localAddress;
            // The same frozen list for every session given the same servers, not an array (and two heap numbers) each.
            this.dns = sharedNumbers([n.primaryDns, n.secondaryDns].filter((x): x is number => x !== undefined && x !== 0));
            this.host = new Host({ name: this.cfg.name, kind: 'p2p', address: n.localAddress, gateway: n.peerAddress, mtu: this.cfg.mru ?? 1454 }, now);
            this.reachedOnline = true;
            this.failures = 0;
            this.emit({ type: 'online', sessionId: this.client.sessionId, address: n.localAddress, peer: n.peerAddress, dns: this.dns });
            break;
          }
          case 'ipv6cp-up':
            // Renegotiated (a Configure-Request after Opened, RFC 1661 §4.1): start over on the new identifiers.
            this.ipv6Down('ipv6cp-renegotiated');
            if (this.cfg.ipv6) this.ipv6 = new HomeIpv6(this.cfg.name, keptBytes(this.mac), e.negotiated, this.cfg.mru ?? 1454, this.cfg.ipv6, this.counters, now);
            break;
          case 'ipv6cp-down':
            this.ipv6Down('ipv6cp-down');
            break;
          case 'auth-failed':
            if (e.side === 'peer') this.emit({ type: 'auth-failed', reason: e.reason });
            break;
          case 'finished':
            // LCP is down for good: the PPPoE session is no longer needed (RFC 2516 §5.5).
            this.client.terminate();
            this.goOffline(e.reason, now);
            break;
          default:
            break;
        }
      }
      const h = this.host;
      if (h) this.moveHost(h);
      const v6 = this.ipv6;
      if (v6) {
        v6.pump(now);
        for (let p = v6.pollTransmit(); p; p = v6.pollTransmit()) {
          if (this.client.state === 'session' && this.client.acKey >= 0) this.send(pppoeIpFrame(macFromKey(this.client.acKey, AC_MAC), this.ourMac(), this.client.sessionId, PppProtocol.IPV6, p));
        }
        for (let e = v6.pollEvent(); e; e = v6.pollEvent()) {
          if (e.kind === 'up') this.emit({ type: 'home-ipv6-up', home: this.cfg.name, address: e.address, delegatedPrefix: e.delegatedPrefix, lanPrefix: e.lanPrefix });
          // Echo replies and a prefix lost or refused; the rest (RA seen, bound...) is in show, not one event per home each.
          else if (e.kind === 'echo-reply' || (e.kind === 'dhcpv6' && (e.event.type === 'lost' || e.event.type === 'no-prefix'))) this.emit({ type: 'ip6', event: e });
        }
      }
    }
  }

  /** The IP stack's packets to the access port in PPPoE, its events reported: its part of the pump (nobody else's work). */
  private moveHost(h: Host): void {
    for (let f = h.pollFrame(); f; f = h.pollFrame()) {
      if (this.client.state === 'session' && this.client.acKey >= 0) this.send(pppoeIpFrame(macFromKey(this.client.acKey, AC_MAC), this.ourMac(), this.client.sessionId, PppProtocol.IPV4, f));
    }
    for (let e = h.pollEvent(); e; e = h.pollEvent()) this.emit({ type: 'ip', event: e });
  }

  /** Reports the end of the session once, whichever of PADT and LCP finishes first. */
  private goOffline(reason: string, now: number): void {
    if (this.offlineReported) return;
    this.offlineReported = true;
    this.emit({ type: 'offline', reason });
    this.host = undefined;
    this.ipv6Down(reason);
    // LCP back to Initial (a Closed LCP would take the next lower-layer Up as an illegal event);
    // after a PADT it is there already (states 0 Initial and 1 Starting have no lower layer).
    if (this.link.lcp.state >= 2) this.link.lowerDown(now, reason);
    this.ended(now);
  }

  private ipv6Down(reason: string): void {
    const v6 = this.ipv6;
    if (!v6) return;
    v6.stop();
    this.ipv6 = undefined;
    if (v6.isUp) this.emit({ type: 'home-ipv6-down', home: this.cfg.name, reason });
  }

  /** An attempt ended (online or not): plan the redial pppd's `persist` would. */
  private ended(now: number): void {
    if (!this.reachedOnline) this.failures++;
    const r = this.cfg.redial;
    if (!r || this.stoppedByUser) return;
    if (r.maxfail > 0 && this.failures >= r.maxfail) {
      this.emit({ type: 'redial-given-up', failures: this.failures });
      return;
    }
    const base = Math.min(r.holdoffMs * 2 ** Math.min(this.failures, 30), r.maxHoldoffMs);
    this.redialWait = Math.round(base * (0.5 + r.random()));
    this.redialDue = now + this.redialWait;
  }
}

/** RandomBytes (IPV6CP's source) from a uniform [0, 1) one. */
/**
 * The PPP link configuration of every home with the same settings and counters: one object
 * for them all. A home's own name, secret and IPV6CP source go beside it (`new PppLink(cfg,
 * home, random)`). A home with an `fsm` of its own (tests) gets a configuration of its own.
 */
const linkConfigs = new WeakMap<Counters, Map<string, PppLinkConfig>>();

function linkConfigFor(cfg: HomeConfig, counters: Counters): PppLinkConfig {
  const auth = cfg.auth === 'pap' ? 'pap' : 'chap-md5';
  const mru = cfg.mru ?? 1454;
  const echoIntervalMs = cfg.echoIntervalMs ?? 30_000;
  const make = (): PppLinkConfig =>
    pppLinkConfig({
      lcp: { mru, authenticate: [], authenticateWith: [auth], echoIntervalMs, ...(cfg.fsm ? { fsm: cfg.fsm } : {}) },
      // The name and secret are each home's own (PppLink's identity): these stand for them.
      credentials: peerConfig({ name: '', secret: '' }),
      ipcp: ipcpConfig({ localAddress: 0, requestDns: true, ...(cfg.fsm ? { fsm: cfg.fsm } : {}) }),
      ...(cfg.ipv6 ? { ipv6cp: ipv6cpConfig(cfg.fsm ? { fsm: cfg.fsm } : {}) } : {}),
      counters,
    });
  if (cfg.fsm) return make();
  let byKey = linkConfigs.get(counters);
  if (!byKey) linkConfigs.set(counters, (byKey = new Map()));
  const key = `${auth} ${mru} ${echoIntervalMs} ${cfg.ipv6 ? 'v6' : 'v4'}`;
  let c = byKey.get(key);
  if (!c) byKey.set(key, (c = make()));
  return c;
}

function bytesFrom(random: () => number): (n: number) => Uint8Array {
  return (n) => {
    const b = new Uint8Array(n);
    for (let i = 0; i < n; i++) b[i] = Math.floor(random() * 256) & 0xff;
    return b;
  };
}
