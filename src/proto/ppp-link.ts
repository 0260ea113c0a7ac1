/**
 * One PPP link (RFC 1661 §3 phases): LCP, then authentication in the directions LCP agreed
 * (CHAP-MD5 or PAP, either side), then the NCPs configured (IPCP, IPV6CP: each optional,
 * LCP closes only when every configured one has failed, RFC 1661 §3.7 / RFC 5072 §1);
 * Protocol-Reject for protocols nobody here speaks (CCP...). The roles compose it: the home as peer + IPCP asking side, the
 * nte as authenticator (external decision) + IPCP giving side, possibly seeded from proxy
 * LCP/authentication (CHAP or PAP); the sse runs LCP + the CHAP Challenge or the wait for
 * the PAP Authenticate-Request and then `handOff()`s. Sans-IO:
 * `handleFrame(protocol, payload, now)`, `handleTimeout(now)`, `pollTransmit()`, `pollEvent()`.
 */
import { lcpPacket, ipcpPacket, ipv6cpPacket, PppProtocol } from '../wire/ppp.js';
import { chapPacket, type ChapPacket } from '../wire/chap.js';
import { papPacket } from '../wire/pap.js';
import { Lcp, lcpConfig, type LcpConfig, type LcpNegotiated, type LcpSink } from './lcp.js';
import { Ipcp, type IpcpConfig, type IpcpNegotiated } from './ipcp.js';
import { Ipv6cp, type Ipv6cpConfig, type Ipv6cpNegotiated } from './ipv6cp.js';
import { ChapAuthenticator, ChapPeer, PapAuthenticator, PapPeer, type AuthEvent, type AuthSink, type AuthenticatorConfig, type PeerConfig } from './ppp-auth.js';
import type { ControlProtocol, LayerAction } from './ppp-fsm.js';
import { count, type Counters, type PppMessage, type RandomBytes } from './ppp-common.js';
import { putPart } from './phase-part.js';

/** A link's own name and secret (CHAP Name / PAP Peer-ID and the secret), as a home's configuration holds them. */
export interface LinkIdentity {
  readonly user: Uint8Array | string;
  readonly password: Uint8Array | string;
}

export interface PppLinkConfig {
  readonly lcp: LcpConfig;
  /** Needed when `lcp.authenticate` is not empty: how we authenticate the peer. */
  readonly authenticator?: AuthenticatorConfig;
  /** Needed when we agree to be authenticated (`lcp.authenticateWith` not empty). */
  readonly credentials?: PeerConfig;
  /** IPCP; absent: no network phase here (the LAC). */
  readonly ipcp?: IpcpConfig;
  /** IPV6CP (RFC 5072); absent: IPV6CP and IPv6 are Protocol-Rejected. */
  readonly ipv6cp?: Ipv6cpConfig;
  /** Counters shared by every link made from this configuration (drops by reason, retransmits). */
  readonly counters: Counters;
}

/** Builds a configuration once for many links; checks that the parts agree. */
export function pppLinkConfig(c: { lcp?: Partial<LcpConfig>; authenticator?: AuthenticatorConfig; credentials?: PeerConfig; ipcp?: IpcpConfig; ipv6cp?: Ipv6cpConfig; counters?: Counters }): PppLinkConfig {
  const lcp = lcpConfig({ ...(c.credentials ? {} : { authenticateWith: [] }), ...c.lcp });
  if (lcp.authenticate.length > 0 && !c.authenticator) throw new Error('lcp.authenticate needs an authenticator configuration');
  if (lcp.authenticateWith.length > 0 && !c.credentials) throw new Error('lcp.authenticateWith needs credentials');
  // One literal with every part (undefined when absent): one shape for every link's configuration,
  // no property array each (a home has one of its own, for its credentials).
  return { lcp, authenticator: c.authenticator || undefined, credentials: c.credentials || undefined, ipcp: c.ipcp || undefined, ipv6cp: c.ipv6cp || undefined, counters: c.counters ?? {} };
}

/** A link's authentication phase (PppLink.authPart). */
interface AuthPart {
  authenticator: ChapAuthenticator | PapAuthenticator | undefined;
  peer: ChapPeer | PapPeer | undefined;
  pending: number;
  chapSeen: Extract<AuthEvent, { type: 'chap-response' }> | undefined;
  papSeen: ProxyValues['pap'] | undefined;
  proxyChap: ProxyValues['chap'] | undefined;
  proxyPap: ProxyValues['pap'] | undefined;
}

function newAuthPart(): AuthPart {
  return { authenticator: undefined, peer: undefined, pending: 0, chapSeen: undefined, papSeen: undefined, proxyChap: undefined, proxyPap: undefined };
}

function authPartIsEmpty(a: AuthPart): boolean {
  return a.authenticator === undefined && a.peer === undefined && a.pending === 0 && a.chapSeen === undefined && a.papSeen === undefined && a.proxyChap === undefined && a.proxyPap === undefined;
}

const CHAP_SENT_SUCCESS = 0x100;
const CHAP_GOT_SUCCESS = 0x200;

/** RFC 1661 §3.2 phases, plus the LAC's hand-off. */
export type Phase = 'dead' | 'establish' | 'authenticate' | 'network' | 'terminate' | 'handed-off';

export type PppLinkEvent =
  | { readonly type: 'lcp-up'; readonly negotiated: LcpNegotiated }
  | { readonly type: 'lcp-down' }
  /** External authentication: the owner decides with `authDecision`. */
  | Extract<AuthEvent, { type: 'chap-response' | 'pap-request' }>
  | { readonly type: 'authenticated'; readonly side: 'authenticator' | 'peer'; readonly protocol: number; readonly name?: Uint8Array }
  | { readonly type: 'auth-failed'; readonly side: 'authenticator' | 'peer'; readonly protocol: number; readonly reason: string }
  | { readonly type: 'ipcp-up'; readonly negotiated: IpcpNegotiated }
  | { readonly type: 'ipcp-down' }
  | { readonly type: 'ipv6cp-up'; readonly negotiated: Ipv6cpNegotiated }
  | { readonly type: 'ipv6cp-down' }
  /** LCP is finished (Closed/Stopped): the lower layer is no longer needed (send PADT / CDN). */
  | { readonly type: 'finished'; readonly reason: string };

/** The values an LNS needs from a LAC (RFC 2661 §4.4.5 AVPs 26–33). */
export interface ProxyValues {
  readonly initialReceivedConfReq?: Uint8Array;
  readonly lastSentConfReq?: Uint8Array;
  readonly lastReceivedConfReq?: Uint8Array;
  readonly chap?: { readonly identifier: number; readonly challenge: Uint8Array; readonly name: Uint8Array; readonly response: Uint8Array };
  /** PAP Authenticate-Request (proxy authentication type PAP: Name = Peer-ID, ID, Response = the password). Never log it. */
  readonly pap?: { readonly identifier: number; readonly peerId: Uint8Array; readonly password: Uint8Array };
}

export class PppLink implements LcpSink, AuthSink {
  readonly lcp: Lcp;
  readonly ipcp: Ipcp | undefined;
  readonly ipv6cp: Ipv6cp | undefined;
  phase: Phase = 'dead';
  private tx: PppMessage[] | undefined;
  private events: PppLinkEvent[] | undefined;
  /**
   * The authentication phase's machines and values (src/proto/phase-part.ts): made when it
   * starts, let go when it is over; an established link keeps none of it.
   */
  private authPart: AuthPart | undefined = undefined;
  private setAuth<K extends keyof AuthPart>(k: K, v: AuthPart[K]): void {
    this.authPart = putPart(this.authPart, k, v, newAuthPart, authPartIsEmpty);
  }
  /** Our authenticator machine while we authenticate the peer (a PAP one stays for the link's life). */
  get authenticator(): ChapAuthenticator | PapAuthenticator | undefined {
    return this.authPart?.authenticator;
  }
  set authenticator(v: ChapAuthenticator | PapAuthenticator | undefined) {
    this.setAuth('authenticator', v);
  }
  /** Our peer machine while the peer authenticates us. */
  get peer(): ChapPeer | PapPeer | undefined {
    return this.authPart?.peer;
  }
  set peer(v: ChapPeer | PapPeer | undefined) {
    this.setAuth('peer', v);
  }
  /** Authentications (each side's) not finished yet. */
  private get authPending(): number {
    return this.authPart?.pending ?? 0;
  }
  private set authPending(n: number) {
    this.setAuth('pending', n);
  }
  /** The CHAP Response seen, for proxy authentication (recordConfReqs: the LAC). */
  private get chapSeen(): AuthPart['chapSeen'] {
    return this.authPart?.chapSeen;
  }
  private set chapSeen(v: AuthPart['chapSeen']) {
    this.setAuth('chapSeen', v);
  }
  private get papSeen(): ProxyValues['pap'] | undefined {
    return this.authPart?.papSeen;
  }
  private set papSeen(v: ProxyValues['pap'] | undefined) {
    this.setAuth('papSeen', v);
  }
  /** Proxy authentication handed to us, taken when LCP has agreed its protocol (the LNS). */
  private get proxyChap(): ProxyValues['chap'] | undefined {
    return this.authPart?.proxyChap;
  }
  private set proxyChap(v: ProxyValues['chap'] | undefined) {
    this.setAuth('proxyChap', v);
  }
  private get proxyPap(): ProxyValues['pap'] | undefined {
    return this.authPart?.proxyPap;
  }
  private set proxyPap(v: ProxyValues['pap'] | undefined) {
    this.setAuth('proxyPap', v);
  }
  /**
   * What is left of CHAP once it succeeded (the machines are let go: an established link keeps
   * no authentication object). Bits 0–7: the Identifier of the Success we sent as
   * authenticator, answered again to a retransmitted Response (RFC 1994 §4.2); CHAP_SENT_SUCCESS:
   * we sent one; CHAP_GOT_SUCCESS: the peer authenticated us (a re-challenge makes a new peer machine).
   */
  private chapDone = 0;
  /** The message of the Success we sent (the decision's or the configured one), for the repeat. */
  private chapSuccessMessage: Uint8Array | undefined;

  /**
   * @param cfg may be shared by many links (every home of a kind has one): what is a link's own
   * comes beside it.
   * @param identity our name and secret when they are not `cfg.credentials`' (a home's
   *   configuration object, held as it is: no copy per link).
   * @param ipv6Random where IPV6CP draws our identifiers, when not from `cfg.ipv6cp` (a home's
   *   seeded source).
   */
  constructor(
    readonly cfg: PppLinkConfig,
    private readonly identity?: LinkIdentity,
    ipv6Random?: RandomBytes,
  ) {
    this.lcp = new Lcp(cfg.lcp, this, cfg.counters);
    this.ipcp = cfg.ipcp ? new Ipcp(cfg.ipcp, this, cfg.counters) : undefined;
    this.ipv6cp = cfg.ipv6cp ? new Ipv6cp(cfg.ipv6cp, this, cfg.counters, ipv6Random ?? cfg.ipv6cp.random) : undefined;
  }

  /** Our credentials for a peer machine (made once a dial, and on a re-challenge). */
  private credentials(): PeerConfig {
    const c = this.cfg.credentials!;
    const id = this.identity;
    return id === undefined ? c : { ...c, name: id.user, secret: id.password };
  }

  get counters(): Counters {
    return this.cfg.counters;
  }

  // ---- driving

  /** The lower layer (PPPoE session, L2TP call) is up: open LCP. */
  start(now: number): void {
    this.phase = 'establish';
    this.lcp.open(now);
    this.lcp.up(now);
  }

  /**
   * Starts from a negotiation someone else did (RFC 2661 proxy LCP and authentication).
   * Falls back to a normal start (renegotiation) when the proxied LCP is not acceptable.
   * Returns whether the proxy values were taken.
   */
  startWithProxy(p: ProxyValues, now: number): boolean {
    this.phase = 'establish';
    if (p.lastSentConfReq && p.lastReceivedConfReq) {
      this.proxyChap = p.chap;
      this.proxyPap = p.pap;
      this.lcp.open(now); // Initial -> Starting
      this.lcp.state = 1;
      if (this.lcp.acceptProxy(p.lastSentConfReq, p.lastReceivedConfReq, now)) return true;
      this.proxyChap = undefined;
      this.proxyPap = undefined;
      count(this.counters, 'ppp.proxy-lcp-refused');
      this.lcp.up(now);
      return false;
    }
    this.start(now);
    return false;
  }

  /** Administrative close (Terminate-Request with `reason`). */
  close(now: number, reason = 'admin-close'): void {
    this.lcp.close(now, reason);
  }

  /** The lower layer went away (PADT, CDN): everything down without a word on the wire. */
  lowerDown(now: number, reason = 'lower-down'): void {
    this.lcp.reason ??= reason;
    const wasOpen = this.lcp.state !== 0 && this.lcp.state !== 1;
    this.lcp.down(now);
    if (wasOpen || this.phase !== 'dead') this.finish(reason);
  }

  /** A PPP frame: its protocol and information field. Returns false for network-layer data the caller should route itself. */
  handleFrame(protocol: number, payload: Uint8Array, now: number): boolean {
    if (this.phase === 'handed-off') {
      count(this.counters, 'ppp.frame-after-hand-off');
      return true;
    }
    switch (protocol) {
      case PppProtocol.LCP: {
        const r = lcpPacket.parse(payload);
        if (!r.ok) return this.drop(r.error.code);
        this.lcp.input(r.value, now, payload);
        return true;
      }
      case PppProtocol.CHAP: {
        if (this.phase !== 'authenticate' && this.phase !== 'network') return this.drop('ppp.chap-outside-authenticate');
        const r = chapPacket.parse(payload);
        if (!r.ok) return this.drop(r.error.code);
        this.chapInput(r.value, now);
        return true;
      }
      case PppProtocol.PAP: {
        if (this.phase !== 'authenticate' && this.phase !== 'network') return this.drop('ppp.pap-outside-authenticate');
        const r = papPacket.parse(payload);
        if (!r.ok) return this.drop(r.error.code);
        const p = r.value;
        if (p.kind === 'auth-req') {
          if (this.authenticator instanceof PapAuthenticator) this.authenticator.handle(p, now);
          else this.drop('ppp.pap-not-negotiated');
        } else if (this.peer instanceof PapPeer) this.peer.handle(p, now);
        else this.drop('ppp.pap-not-negotiated');
        return true;
      }
      case PppProtocol.IPCP: {
        if (!this.ipcp) break; // Protocol-Reject below
        // RFC 1661 §3.5: NCP packets before the Network phase are silently discarded.
        if (this.phase !== 'network') return this.drop('ppp.ncp-before-network');
        const r = ipcpPacket.parse(payload);
        if (!r.ok) return this.drop(r.error.code);
        this.ipcp.input(r.value, now, payload);
        return true;
      }
      case PppProtocol.IPV4:
        if (this.ipcp?.opened) return false;
        return this.drop('ppp.ipv4-before-ipcp');
      case PppProtocol.IPV6CP: {
        if (!this.ipv6cp) break;
        if (this.phase !== 'network') return this.drop('ppp.ncp-before-network');
        const r = ipv6cpPacket.parse(payload);
        if (!r.ok) return this.drop(r.error.code);
        this.ipv6cp.input(r.value, now, payload);
        return true;
      }
      case PppProtocol.IPV6:
        if (!this.ipv6cp) break;
        if (this.ipv6cp.opened) return false;
        return this.drop('ppp.ipv6-before-ipv6cp');
    }
    if (!this.lcp.opened) return this.drop('ppp.unknown-protocol-before-lcp');
    count(this.counters, `ppp.protocol-reject-${protocol.toString(16).padStart(4, '0')}`);
    this.lcp.protocolReject(protocol, payload);
    return true;
  }

  /** Typed input (tests): the same as handleFrame of the encoded message. */
  handle(m: PppMessage, now: number): void {
    switch (m.protocol) {
      case PppProtocol.LCP: this.lcp.input(m.packet, now); break;
      case PppProtocol.IPCP: this.ipcp?.input(m.packet, now); break;
      case PppProtocol.IPV6CP: this.ipv6cp?.input(m.packet, now); break;
      case PppProtocol.CHAP:
        this.chapInput(m.packet, now);
        break;
      case PppProtocol.PAP:
        if (m.packet.kind === 'auth-req') (this.authenticator as PapAuthenticator | undefined)?.handle(m.packet, now);
        else (this.peer as PapPeer | undefined)?.handle(m.packet, now);
        break;
    }
  }

  private chapInput(p: ChapPacket, now: number): void {
    if (p.kind === 'response') {
      if (this.authenticator instanceof ChapAuthenticator) this.authenticator.handle(p, now);
      else if ((this.chapDone & CHAP_SENT_SUCCESS) === 0) this.drop('ppp.chap-not-negotiated');
      else if (p.identifier !== (this.chapDone & 0xff)) this.drop('chap.bad-identifier');
      else {
        // RFC 1994 §4.2: our Success may have been lost; the retransmitted Response is answered again.
        count(this.counters, 'chap.response-repeated');
        this.send({ protocol: PppProtocol.CHAP, packet: { kind: 'success', identifier: p.identifier, message: this.chapSuccessMessage! } });
      }
      return;
    }
    if (this.peer instanceof ChapPeer) return this.peer.handle(p, now);
    if ((this.chapDone & CHAP_GOT_SUCCESS) === 0) return void this.drop('ppp.chap-not-negotiated');
    if (p.kind !== 'challenge') return void this.drop('chap.result-after-success');
    // A re-challenge (§4.1) of an authenticated link: a peer machine again, to answer it.
    const c = new ChapPeer(this.credentials(), this, this.counters, true);
    this.peer = c;
    c.handle(p, now);
  }

  private drop(reason: string): true {
    count(this.counters, reason);
    return true;
  }

  /** External authentication decision (RADIUS answer) on the last chap-response / pap-request event. */
  authDecision(ok: boolean, now: number, message?: Uint8Array): void {
    const a = this.authenticator;
    if (a instanceof ChapAuthenticator) a.decide(ok, now, message);
    else if (a instanceof PapAuthenticator) a.decide(ok, now);
    else count(this.counters, 'ppp.decision-without-authenticator');
  }

  /**
   * The LAC hands the session to L2TP: no more keepalive, challenge retransmits or timers;
   * frames are relayed from now on. Returns the proxy LCP / authentication values.
   */
  handOff(): ProxyValues {
    this.phase = 'handed-off';
    this.lcp.stopEcho();
    this.lcp.timerAt = undefined;
    this.authenticator?.stop();
    return this.proxyValues();
  }

  proxyValues(): ProxyValues {
    const v: { -readonly [K in keyof ProxyValues]: ProxyValues[K] } = {};
    const r = this.lcp.proxy;
    if (r?.initialReceivedConfReq) v.initialReceivedConfReq = r.initialReceivedConfReq;
    if (r?.lastSentConfReq) v.lastSentConfReq = r.lastSentConfReq;
    if (r?.lastReceivedConfReq) v.lastReceivedConfReq = r.lastReceivedConfReq;
    const c = this.chapSeen;
    if (c) v.chap = { identifier: c.identifier, challenge: c.challenge, name: c.name, response: c.response };
    if (this.papSeen) v.pap = this.papSeen;
    return v;
  }

  nextTimeout(): number | undefined {
    let t = this.lcp.nextTimeout();
    const a = this.authenticator?.nextTimeout();
    if (a !== undefined && (t === undefined || a < t)) t = a;
    const p = this.peer?.nextTimeout();
    if (p !== undefined && (t === undefined || p < t)) t = p;
    const i = this.ipcp?.nextTimeout();
    if (i !== undefined && (t === undefined || i < t)) t = i;
    const v = this.ipv6cp?.nextTimeout();
    if (v !== undefined && (t === undefined || v < t)) t = v;
    return t;
  }

  handleTimeout(now: number): void {
    this.lcp.handleTimeout(now);
    this.authenticator?.handleTimeout(now);
    this.peer?.handleTimeout(now);
    this.ipcp?.handleTimeout(now);
    this.ipv6cp?.handleTimeout(now);
  }

  pollTransmit(): PppMessage | undefined {
    const q = this.tx;
    if (!q) return undefined;
    const m = q.shift();
    if (q.length === 0) this.tx = undefined;
    return m;
  }

  pollEvent(): PppLinkEvent | undefined {
    const q = this.events;
    if (!q) return undefined;
    const e = q.shift();
    if (q.length === 0) this.events = undefined;
    return e;
  }

  // ---- sinks for the parts

  send(m: PppMessage): void {
    (this.tx ??= []).push(m);
  }

  private emit(e: PppLinkEvent): void {
    (this.events ??= []).push(e);
  }

  layer(cp: ControlProtocol<never>, action: LayerAction, now: number): void {
    if (cp === (this.lcp as unknown)) this.lcpLayer(action, now);
    else if (cp === (this.ipcp as unknown)) {
      if (action === 'tlu') this.emit({ type: 'ipcp-up', negotiated: this.ipcp!.negotiated() });
      else if (action === 'tld') this.emit({ type: 'ipcp-down' });
      else if (action === 'tlf') this.ncpFinished(this.ipv6cp, now);
    } else if (cp === (this.ipv6cp as unknown)) {
      if (action === 'tlu') this.emit({ type: 'ipv6cp-up', negotiated: this.ipv6cp!.negotiated() });
      else if (action === 'tld') this.emit({ type: 'ipv6cp-down' });
      else if (action === 'tlf') this.ncpFinished(this.ipcp, now);
    }
  }

  /**
   * One NCP gave up (This-Layer-Finished). The link stays for the other while it is
   * configured and has not given up too (a dual-stack home on an IPv4-only LNS, whose
   * IPV6CP is Protocol-Rejected); with none left there is nothing to carry.
   */
  private ncpFinished(other: Ipcp | Ipv6cp | undefined, now: number): void {
    if (!this.lcp.opened) return;
    if (other !== undefined && other.state !== 2 && other.state !== 3) return; // Closed, Stopped
    this.lcp.close(now, 'no-network-protocols');
  }

  private lcpLayer(action: LayerAction, now: number): void {
    switch (action) {
      case 'tlu': {
        const n = this.lcp.negotiated();
        this.phase = 'authenticate';
        this.emit({ type: 'lcp-up', negotiated: n });
        this.authPending = 0;
        if (n.authenticate !== undefined) {
          const a = this.cfg.authenticator!;
          this.authPending++;
          if (n.authenticate === 'chap-md5') {
            const c = new ChapAuthenticator(a, this, this.counters);
            this.authenticator = c;
            this.proxyPap = undefined;
            if (this.proxyChap) {
              const p = this.proxyChap;
              this.proxyChap = undefined;
              c.acceptProxy(p, now);
            } else c.start(now);
          } else {
            const p = new PapAuthenticator(a, this, this.counters);
            this.authenticator = p;
            this.proxyChap = undefined;
            // Proxy authentication is taken only for the protocol the proxied LCP agreed on.
            const proxied = this.proxyPap;
            this.proxyPap = undefined;
            if (proxied) p.acceptProxy(proxied, now);
            else p.start(now);
          }
        }
        if (n.authenticateWith !== undefined) {
          const c = this.credentials();
          this.authPending++;
          if (n.authenticateWith === 'chap-md5') this.peer = new ChapPeer(c, this, this.counters);
          else {
            const p = new PapPeer(c, this, this.counters);
            this.peer = p;
            p.start(now);
          }
        }
        if (this.authPending === 0) this.enterNetwork(now);
        break;
      }
      case 'tld':
        // The NCPs go down first (RFC 1661 §3.7: LCP's This-Layer-Down is their Down event).
        if (this.ipcp && this.ipcp.state !== 0) this.ipcp.down(now);
        if (this.ipv6cp && this.ipv6cp.state !== 0) this.ipv6cp.down(now);
        this.emit({ type: 'lcp-down' });
        this.authenticator = undefined;
        this.peer = undefined;
        this.chapDone = 0;
        this.chapSuccessMessage = undefined;
        this.phase = 'terminate';
        break;
      case 'tls':
        break;
      case 'tlf':
        this.finish(this.lcp.reason ?? 'finished');
        break;
    }
  }

  private finish(reason: string): void {
    if (this.phase === 'dead') return;
    this.phase = 'dead';
    this.emit({ type: 'finished', reason });
  }

  private enterNetwork(now: number): void {
    this.phase = 'network';
    if (this.ipcp) {
      this.ipcp.open(now);
      this.ipcp.up(now);
    }
    if (this.ipv6cp) {
      this.ipv6cp.open(now);
      this.ipv6cp.up(now);
    }
  }

  protocolRejected(protocol: number, now: number): void {
    if (protocol === PppProtocol.IPCP && this.ipcp) this.ipcp.protocolRejected(now);
    else if (protocol === PppProtocol.IPV6CP && this.ipv6cp) this.ipv6cp.protocolRejected(now);
    else if (protocol === PppProtocol.CHAP || protocol === PppProtocol.PAP) {
      if (this.authPending > 0) this.lcp.close(now, 'auth-protocol-rejected');
    }
  }

  auth(e: AuthEvent, now: number): void {
    switch (e.type) {
      case 'chap-response':
        // Kept only by a LAC, for the proxy authentication AVPs; anyone else would hold the
        // challenge, name and response (and the frame they sit in) for the session's life.
        if (this.cfg.lcp.recordConfReqs) this.chapSeen = e;
        this.emit(e);
        break;
      case 'pap-request':
        // Kept only by a LAC (the link that records for proxy LCP), which hands it on after the
        // frame it came in is gone: copied. Nobody else holds the password past the decision.
        if (this.cfg.lcp.recordConfReqs) this.papSeen = { identifier: e.identifier, peerId: e.peerId.slice(), password: e.password.slice() };
        this.emit(e);
        break;
      case 'auth-success':
        if (e.protocol === PppProtocol.CHAP) this.chapSucceeded(e.side);
        this.emit(e.name ? { type: 'authenticated', side: e.side, protocol: e.protocol, name: e.name } : { type: 'authenticated', side: e.side, protocol: e.protocol });
        if (--this.authPending === 0 && this.phase === 'authenticate') this.enterNetwork(now);
        break;
      case 'auth-failure':
        this.emit({ type: 'auth-failed', side: e.side, protocol: e.protocol, reason: e.reason });
        this.lcp.close(now, 'auth-failed');
        break;
    }
  }

  /** CHAP succeeded on one side: its machine goes, what a repeat needs stays (chapDone). */
  private chapSucceeded(side: 'authenticator' | 'peer'): void {
    if (side === 'peer') {
      if (this.peer instanceof ChapPeer) this.peer = undefined;
      this.chapDone |= CHAP_GOT_SUCCESS;
      return;
    }
    const a = this.authenticator;
    if (!(a instanceof ChapAuthenticator)) return;
    this.chapDone = (this.chapDone & CHAP_GOT_SUCCESS) | CHAP_SENT_SUCCESS | a.identifier;
    this.chapSuccessMessage = a.resultFor(true);
    this.authenticator = undefined;
  }
}
