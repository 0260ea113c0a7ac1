/**
 * PPP authentication, both sides, sans-IO: CHAP-MD5 (RFC 1994) authenticator and peer, and
 * PAP (RFC 1334) authenticator and peer. An authenticator either checks with a local secret
 * lookup or hands the credentials to its owner ("external": RADIUS at the LNS, the LAC's
 * proxy authentication) and waits for `decide()`. Secrets never go into events or counters.
 */
import { timingSafeEqual } from 'node:crypto';
import { chapMd5Response, chapMd5Verify, type ChapPacket } from '../wire/chap.js';
import type { PapPacket } from '../wire/pap.js';
import { PppProtocol } from '../wire/ppp.js';
import { bytesEqual, textBytes } from '../wire/bytes.js';
import { count, cryptoRandom, type Counters, type PppMessage, type RandomBytes } from './ppp-common.js';

/** What an authentication machine tells its owner. */
export type AuthEvent =
  /** External mode: the peer's CHAP Response, to be checked by someone else. */
  | { readonly type: 'chap-response'; readonly name: Uint8Array; readonly identifier: number; readonly challenge: Uint8Array; readonly response: Uint8Array }
  /** External mode: the peer's PAP credentials (the password is bytes; never log it) and the request's Identifier. */
  | { readonly type: 'pap-request'; readonly identifier: number; readonly peerId: Uint8Array; readonly password: Uint8Array }
  | { readonly type: 'auth-success'; readonly protocol: number; readonly side: 'authenticator' | 'peer'; readonly name?: Uint8Array; readonly message?: Uint8Array }
  | { readonly type: 'auth-failure'; readonly protocol: number; readonly side: 'authenticator' | 'peer'; readonly reason: string; readonly message?: Uint8Array };

export interface AuthSink {
  send(m: PppMessage): void;
  auth(e: AuthEvent, now: number): void;
}

/** Looks a secret up by peer name; undefined: unknown user. */
export type SecretLookup = (name: Uint8Array) => Uint8Array | undefined;

export interface AuthenticatorConfig {
  /** Our name in CHAP Challenges (RFC 1994 §4.1 Name). */
  readonly name: Uint8Array;
  /** 'local': check with `secretFor`; 'external': emit chap-response / pap-request and wait for decide(). */
  readonly verify: 'local' | 'external';
  readonly secretFor?: SecretLookup;
  /** Challenge Value length (RFC 1994 leaves it open; pppd uses 16..24). */
  readonly challengeLength: number;
  /** CHAP Challenge retransmission interval and count (pppd: 3 s, 10). */
  readonly retransmitMs: number;
  readonly maxChallenges: number;
  /** PAP: how long to wait for the peer's Authenticate-Request (pppd: 30 s). */
  readonly papWaitMs: number;
  readonly successMessage: Uint8Array;
  readonly failureMessage: Uint8Array;
  readonly random: RandomBytes;
}

const utf8 = new TextDecoder();

export function authenticatorConfig(c: Omit<Partial<AuthenticatorConfig>, 'name'> & { name: Uint8Array | string }): AuthenticatorConfig {
  return {
    verify: 'local',
    challengeLength: 16,
    retransmitMs: 3000,
    maxChallenges: 10,
    papWaitMs: 30_000,
    successMessage: textBytes('Access granted'),
    failureMessage: textBytes('Access denied'),
    random: cryptoRandom,
    ...c,
    name: typeof c.name === 'string' ? textBytes(c.name) : c.name,
  };
}

export interface PeerConfig {
  /**
   * Our name (CHAP Name, PAP Peer-ID) and secret. Text is held as the string it came as (a
   * home's configuration already holds it) and encoded (UTF-8) when a packet needs it: once
   * a session, where bytes would be two buffers in every home.
   */
  readonly name: Uint8Array | string;
  readonly secret: Uint8Array | string;
  /** PAP Authenticate-Request retransmission (pppd: 3 s, 10 times). */
  readonly retransmitMs: number;
  readonly maxRequests: number;
}

export function peerConfig(c: { name: Uint8Array | string; secret: Uint8Array | string; retransmitMs?: number; maxRequests?: number }): PeerConfig {
  return {
    name: c.name,
    secret: c.secret,
    retransmitMs: c.retransmitMs ?? 3000,
    maxRequests: c.maxRequests ?? 10,
  };
}

/** Text as UTF-8 octets; octets as they are. */
function octets(v: Uint8Array | string): Uint8Array {
  return typeof v === 'string' ? textBytes(v) : v;
}

const S_IDLE = 0;
const S_CHALLENGED = 1;
const S_DECIDING = 2;
const S_SUCCESS = 3;
const S_FAILURE = 4;
const STATE_NAMES = ['idle', 'challenge-sent', 'waiting-decision', 'success', 'failure'] as const;

/** Which RFC state each machine is in, as text for tests and status pages. */
export type AuthState = (typeof STATE_NAMES)[number];

// ---- CHAP -----------------------------------------------------------------------------

/** How a machine retransmits and gives up: counters, the auth-failure it reports, the most sends. */
interface Retry<C> {
  readonly protocol: number;
  readonly side: 'authenticator' | 'peer';
  /** Counter and failure reason when the last send went unanswered, e.g. `chap.no-response`. */
  readonly giveUp: string;
  /** Counter of retransmissions, e.g. `chap.challenge-retransmit`. */
  readonly retransmit: string;
  readonly max: (cfg: C) => number;
}

// One retry description per machine kind, shared by every session (not one object and closure each).
const CHAP_AUTHENTICATOR_RETRY: Retry<AuthenticatorConfig> = { protocol: PppProtocol.CHAP, side: 'authenticator', giveUp: 'chap.no-response', retransmit: 'chap.challenge-retransmit', max: (c) => c.maxChallenges };
const CHAP_PEER_RETRY: Retry<PeerConfig> = { protocol: PppProtocol.CHAP, side: 'peer', giveUp: 'chap.no-result', retransmit: 'chap.response-retransmit', max: (c) => c.maxRequests };
const PAP_AUTHENTICATOR_RETRY: Retry<AuthenticatorConfig> = { protocol: PppProtocol.PAP, side: 'authenticator', giveUp: 'pap.no-request', retransmit: 'pap.no-request', max: () => 0 };
const PAP_PEER_RETRY: Retry<PeerConfig> = { protocol: PppProtocol.PAP, side: 'peer', giveUp: 'pap.no-answer', retransmit: 'pap.request-retransmit', max: (c) => c.maxRequests };

/** What the four authentication machines share: the RFC state, one retransmit timer, giving up. */
abstract class AuthMachine<C> {
  protected s = S_IDLE;
  protected timerAt: number | undefined;
  protected sent = 0;
  protected abstract readonly retry: Retry<C>;

  constructor(
    readonly cfg: C,
    protected readonly sink: AuthSink,
    readonly counters: Counters = {},
  ) {}

  get state(): AuthState {
    return STATE_NAMES[this.s]!;
  }

  nextTimeout(): number | undefined {
    return this.timerAt;
  }

  handleTimeout(now: number): void {
    if (this.timerAt === undefined || now < this.timerAt || this.s !== S_CHALLENGED) return;
    this.timerAt = undefined;
    const r = this.retry;
    if (this.sent >= r.max(this.cfg)) {
      this.s = S_FAILURE;
      count(this.counters, r.giveUp);
      this.sink.auth({ type: 'auth-failure', protocol: r.protocol, side: r.side, reason: r.giveUp.slice(r.giveUp.indexOf('.') + 1) }, now);
      return;
    }
    count(this.counters, r.retransmit);
    this.resend(now);
  }

  /** Sends the current message again (the timer fired and sends are left). */
  protected abstract resend(now: number): void;
}

/** CHAP-MD5 authenticator (RFC 1994 §4): Challenge, retransmit, check or hand over the Response, Success/Failure. */
export class ChapAuthenticator extends AuthMachine<AuthenticatorConfig> {
  protected readonly retry: Retry<AuthenticatorConfig> = CHAP_AUTHENTICATOR_RETRY;
  protected resend(now: number): void {
    this.sendChallenge(now);
  }

  /** Identifier of the current Challenge. */
  identifier = 0;
  /** The current Challenge value (dropped once decided). */
  challenge: Uint8Array | undefined;
  /** The name in the Response (UTF-8 decoded), for accounting. */
  peerName: string | undefined;


  /** Sends the first Challenge (a random identifier and value). */
  start(now: number): void {
    this.identifier = this.cfg.random(1)[0]!;
    this.challenge = this.cfg.random(this.cfg.challengeLength);
    this.s = S_CHALLENGED;
    this.sent = 0;
    this.sendChallenge(now);
  }

  /**
   * Takes a Response received by someone else (the LAC's proxy authentication AVPs 29–33,
   * RFC 2661 §4.4.5) as if it had been ours, and decides on it.
   */
  acceptProxy(p: { identifier: number; challenge: Uint8Array; name: Uint8Array; response: Uint8Array }, now: number): void {
    this.identifier = p.identifier;
    this.challenge = p.challenge;
    this.s = S_CHALLENGED;
    this.respond({ identifier: p.identifier, value: p.response, name: p.name }, now);
  }

  private sendChallenge(now: number): void {
    this.sent++;
    this.timerAt = now + this.cfg.retransmitMs;
    this.sink.send({ protocol: PppProtocol.CHAP, packet: { kind: 'challenge', identifier: this.identifier, value: this.challenge!, name: this.cfg.name } });
  }



  handle(p: ChapPacket, now: number): void {
    if (p.kind !== 'response') {
      count(this.counters, `chap.unexpected-${p.kind}`);
      return;
    }
    if (p.identifier !== this.identifier) {
      count(this.counters, 'chap.bad-identifier');
      return;
    }
    switch (this.s) {
      case S_CHALLENGED:
        this.respond(p, now);
        return;
      case S_SUCCESS:
      case S_FAILURE:
        // RFC 1994 §4.2: the Success/Failure may have been lost; answer the retransmitted Response again.
        count(this.counters, 'chap.response-repeated');
        this.sendResult(this.s === S_SUCCESS);
        return;
      default:
        count(this.counters, 'chap.response-while-deciding');
    }
  }

  private respond(p: { readonly identifier: number; readonly value: Uint8Array; readonly name: Uint8Array }, now: number): void {
    this.timerAt = undefined;
    if (this.cfg.verify === 'external') {
      this.s = S_DECIDING;
      this.peerName = utf8.decode(p.name);
      this.sink.auth({ type: 'chap-response', name: p.name, identifier: p.identifier, challenge: this.challenge!, response: p.value }, now);
      return;
    }
    const secret = this.cfg.secretFor?.(p.name);
    const ok = secret !== undefined && chapMd5Verify(p.identifier, secret, this.challenge!, p.value);
    this.peerName = utf8.decode(p.name);
    this.finish(ok, now, ok ? undefined : secret === undefined ? 'unknown-user' : 'bad-response', undefined, p.name);
  }

  /** External mode: the decision on the Response handed out in the chap-response event. */
  decide(ok: boolean, now: number, message?: Uint8Array): void {
    if (this.s !== S_DECIDING) {
      count(this.counters, 'chap.decision-without-response');
      return;
    }
    this.finish(ok, now, ok ? undefined : 'rejected', message);
  }

  private finish(ok: boolean, now: number, reason?: string, message?: Uint8Array, name?: Uint8Array): void {
    this.s = ok ? S_SUCCESS : S_FAILURE;
    this.challenge = undefined;
    this.sendResult(ok, message);
    if (ok) this.sink.auth({ type: 'auth-success', protocol: PppProtocol.CHAP, side: 'authenticator', name: name ?? textBytes(this.peerName ?? '') }, now);
    else {
      count(this.counters, `chap.failure-${reason}`);
      this.sink.auth({ type: 'auth-failure', protocol: PppProtocol.CHAP, side: 'authenticator', reason: reason ?? 'rejected' }, now);
    }
  }

  private resultMessage: Uint8Array | undefined;
  /** The message our Success or Failure carried (the decision's, else the configured one): what a repeat carries. */
  resultFor(ok: boolean): Uint8Array {
    return this.resultMessage ?? (ok ? this.cfg.successMessage : this.cfg.failureMessage);
  }

  private sendResult(ok: boolean, message?: Uint8Array): void {
    if (message) this.resultMessage = message;
    const m = this.resultFor(ok);
    this.sink.send({ protocol: PppProtocol.CHAP, packet: ok ? { kind: 'success', identifier: this.identifier, message: m } : { kind: 'failure', identifier: this.identifier, message: m } });
  }

  /** Stops retransmitting and forgets the challenge (the LAC after hand-off). */
  stop(): void {
    this.timerAt = undefined;
    if (this.s === S_CHALLENGED) this.s = S_DECIDING;
  }
}

/**
 * CHAP-MD5 peer: answers every Challenge and reports Success/Failure. Besides answering the
 * authenticator's retransmitted Challenges, it repeats its Response when no Success/Failure
 * comes (RFC 1994 §4.2 has the authenticator answer a repeated Response again), so a lost
 * Success does not leave the link hanging.
 */
export class ChapPeer extends AuthMachine<PeerConfig> {
  protected readonly retry: Retry<PeerConfig> = CHAP_PEER_RETRY;
  protected resend(now: number): void {
    this.sendResponse(now);
  }
  private lastId = -1;
  private lastChallenge: Uint8Array | undefined;
  private lastResponse: Uint8Array | undefined;

  /** `authenticated`: the link was authenticated already (a machine made again for a re-challenge, §4.1). */
  constructor(cfg: PeerConfig, sink: AuthSink, counters: Counters = {}, authenticated = false) {
    super(cfg, sink, counters);
    if (authenticated) this.s = S_SUCCESS;
  }

  private sendResponse(now: number): void {
    this.sent++;
    this.timerAt = now + this.cfg.retransmitMs;
    this.sink.send({ protocol: PppProtocol.CHAP, packet: { kind: 'response', identifier: this.lastId, value: this.lastResponse!, name: octets(this.cfg.name) } });
  }

  handle(p: ChapPacket, now: number): void {
    switch (p.kind) {
      case 'challenge': {
        if (this.s === S_FAILURE) return;
        // A retransmitted Challenge gets the same Response; a new one (re-challenge, §4.1) a new Response.
        if (!(p.identifier === this.lastId && this.lastChallenge && bytesEqual(p.value, this.lastChallenge))) {
          this.lastId = p.identifier;
          this.lastChallenge = p.value.slice();
          this.lastResponse = chapMd5Response(p.identifier, octets(this.cfg.secret), p.value);
          this.sent = 0;
          if (this.s !== S_SUCCESS) this.s = S_CHALLENGED;
        } else count(this.counters, 'chap.challenge-repeated');
        this.sendResponse(now);
        if (this.s === S_SUCCESS) this.timerAt = undefined; // a re-challenge on an authenticated link: no retransmit
        return;
      }
      case 'success':
      case 'failure':
        if (p.identifier !== this.lastId) {
          count(this.counters, 'chap.bad-identifier');
          return;
        }
        this.timerAt = undefined;
        if (this.s === S_SUCCESS || this.s === S_FAILURE) return; // a repeat
        this.s = p.kind === 'success' ? S_SUCCESS : S_FAILURE;
        this.lastChallenge = undefined;
        this.lastResponse = undefined;
        if (p.kind === 'success') this.sink.auth({ type: 'auth-success', protocol: PppProtocol.CHAP, side: 'peer', message: p.message }, now);
        else this.sink.auth({ type: 'auth-failure', protocol: PppProtocol.CHAP, side: 'peer', reason: 'authenticator-refused', message: p.message }, now);
        return;
      default:
        count(this.counters, `chap.unexpected-${p.kind}`);
    }
  }
}

// ---- PAP ------------------------------------------------------------------------------

/** PAP authenticator (RFC 1334 §2): waits for Authenticate-Request, answers Ack/Nak, repeats the answer for a repeated request. */
export class PapAuthenticator extends AuthMachine<AuthenticatorConfig> {
  /** One wait (papWaitMs) for the peer's Authenticate-Request; nothing to resend. */
  protected readonly retry: Retry<AuthenticatorConfig> = PAP_AUTHENTICATOR_RETRY;
  protected resend(): void {}
  private answeredId = -1;
  /** The Peer-ID of the request (UTF-8 decoded), for accounting. */
  peerName: string | undefined;
  private peerId: Uint8Array | undefined;


  start(now: number): void {
    this.s = S_CHALLENGED;
    this.timerAt = now + this.cfg.papWaitMs;
  }



  private pendingId = 0;

  handle(p: PapPacket, now: number): void {
    if (p.kind !== 'auth-req') {
      count(this.counters, `pap.unexpected-${p.kind}`);
      return;
    }
    if (this.s === S_SUCCESS || this.s === S_FAILURE) {
      count(this.counters, 'pap.request-repeated');
      this.answer(this.s === S_SUCCESS, p.identifier);
      return;
    }
    if (this.s === S_DECIDING) {
      count(this.counters, 'pap.request-while-deciding');
      this.pendingId = p.identifier;
      return;
    }
    if (this.s !== S_CHALLENGED) {
      count(this.counters, 'pap.request-before-start');
      return;
    }
    this.take(p, now);
  }

  /**
   * Takes an Authenticate-Request received by someone else (the LAC's proxy authentication
   * of type PAP, RFC 2661 §4.4.5: Name, ID, Response = the password) as if it had been ours.
   * The answer goes out with that request's Identifier, so the peer matches it (RFC 1334 §2.2.2).
   */
  acceptProxy(p: { identifier: number; peerId: Uint8Array; password: Uint8Array }, now: number): void {
    this.s = S_CHALLENGED;
    this.take({ kind: 'auth-req', ...p }, now);
  }

  /** Stops waiting for a request (the LAC after hand-off: the LNS answers from now on). */
  stop(): void {
    this.timerAt = undefined;
    if (this.s === S_CHALLENGED) this.s = S_DECIDING;
  }

  private take(p: Extract<PapPacket, { kind: 'auth-req' }>, now: number): void {
    this.timerAt = undefined;
    this.peerName = utf8.decode(p.peerId);
    this.peerId = p.peerId;
    this.pendingId = p.identifier;
    if (this.cfg.verify === 'external') {
      this.s = S_DECIDING;
      this.sink.auth({ type: 'pap-request', identifier: p.identifier, peerId: p.peerId, password: p.password }, now);
      return;
    }
    const secret = this.cfg.secretFor?.(p.peerId);
    const ok = secret !== undefined && secret.length === p.password.length && timingSafeEqual(secret, p.password);
    this.finish(ok, now, secret === undefined ? 'unknown-user' : 'bad-password');
  }

  decide(ok: boolean, now: number): void {
    if (this.s !== S_DECIDING) {
      count(this.counters, 'pap.decision-without-request');
      return;
    }
    this.finish(ok, now, 'rejected');
  }

  private finish(ok: boolean, now: number, reason: string): void {
    this.s = ok ? S_SUCCESS : S_FAILURE;
    this.answer(ok, this.pendingId);
    const name = this.peerId!;
    this.peerId = undefined;
    if (ok) this.sink.auth({ type: 'auth-success', protocol: PppProtocol.PAP, side: 'authenticator', name }, now);
    else {
      count(this.counters, `pap.failure-${reason}`);
      this.sink.auth({ type: 'auth-failure', protocol: PppProtocol.PAP, side: 'authenticator', reason }, now);
    }
  }

  private answer(ok: boolean, identifier: number): void {
    this.answeredId = identifier;
    this.sink.send({ protocol: PppProtocol.PAP, packet: { kind: ok ? 'auth-ack' : 'auth-nak', identifier, message: ok ? this.cfg.successMessage : this.cfg.failureMessage } });
  }

  /** Identifier of the last Ack/Nak sent (for tests). */
  get lastAnswered(): number {
    return this.answeredId;
  }
}

/** PAP peer: sends Authenticate-Request until an Ack or Nak with its identifier arrives. */
export class PapPeer extends AuthMachine<PeerConfig> {
  protected readonly retry: Retry<PeerConfig> = PAP_PEER_RETRY;
  protected resend(now: number): void {
    this.sendRequest(now);
  }
  private identifier = 0;


  start(now: number): void {
    this.s = S_CHALLENGED;
    this.identifier = (this.identifier + 1) & 0xff;
    this.sent = 0;
    this.sendRequest(now);
  }

  private sendRequest(now: number): void {
    this.sent++;
    this.timerAt = now + this.cfg.retransmitMs;
    this.sink.send({ protocol: PppProtocol.PAP, packet: { kind: 'auth-req', identifier: this.identifier, peerId: octets(this.cfg.name), password: octets(this.cfg.secret) } });
  }



  handle(p: PapPacket, now: number): void {
    if (p.kind !== 'auth-ack' && p.kind !== 'auth-nak') {
      count(this.counters, `pap.unexpected-${p.kind}`);
      return;
    }
    if (p.identifier !== this.identifier || this.s !== S_CHALLENGED) {
      count(this.counters, 'pap.bad-identifier');
      return;
    }
    this.timerAt = undefined;
    this.s = p.kind === 'auth-ack' ? S_SUCCESS : S_FAILURE;
    if (p.kind === 'auth-ack') this.sink.auth({ type: 'auth-success', protocol: PppProtocol.PAP, side: 'peer', message: p.message }, now);
    else this.sink.auth({ type: 'auth-failure', protocol: PppProtocol.PAP, side: 'peer', reason: 'authenticator-refused', message: p.message }, now);
  }
}
