/**
 * Dynamic Authorization, NAS side (RFC 5176), sans-IO: Disconnect-Request and CoA-Request
 * from configured clients are checked (source, Request Authenticator, Message-Authenticator,
 * duplicates) and handed to the owner as events; the owner's verdict becomes a signed
 * ACK or NAK. Anything that fails a check is silently discarded and counted (§3).
 */
import { bytesText, u16 } from '../wire/bytes.js';
import {
  A, ErrorCause, F as RF, HEADER_LENGTH, RadiusCode, getAttr, getInt, intAttr, radiusPacket, type RadiusAttribute, type RadiusPacket,
} from '../wire/radius.js';
import { checkMessageAuthenticator, messageAuthenticatorAttr, signPacket, verifyRequestAuthenticator, type Secret } from '../wire/radius-crypto.js';
import { ipv4FromString } from '../wire/bytes.js';
import { Outbox } from './outbox.js';

export interface DaeClientConfig {
  /** Source address of the Dynamic Authorization Client (the RADIUS server or a proxy). */
  readonly address: string;
  readonly secret: Secret;
  /**
   * RFC 5176 requests are authenticated by their Request Authenticator, an MD5 over the
   * whole packet and the secret, so Message-Authenticator is optional by default; when
   * present it must be right.
   */
  readonly requireMessageAuthenticator?: boolean;
}

export interface DaeConfig {
  readonly clients: readonly DaeClientConfig[];
  /** When a request names a NAS (NAS-IP-Address / NAS-Identifier) that is not us, NAK 403 (§3). */
  readonly nasIpAddress?: number;
  readonly nasIdentifier?: string;
  /** An owner that does not answer within this gets the request NAKed with Resources-Unavailable. */
  readonly pendingTimeoutMs?: number;
  /** How long an answered request is remembered for duplicates. */
  readonly duplicateWindowMs?: number;
}

export interface DaeDatagram {
  /** IPv4 address as an unsigned 32-bit number. */
  readonly address: number;
  readonly port: number;
  readonly bytes: Uint8Array;
}

export interface DaeTransmit extends DaeDatagram {
  readonly packet: RadiusPacket;
}

/** How a request names the session (RFC 5176 §3 "session identification attributes"). */
export interface SessionSelector {
  readonly userName?: string;
  readonly acctSessionId?: string;
  readonly acctMultiSessionId?: string;
  readonly framedIpAddress?: number;
  readonly nasPort?: number;
  readonly nasPortId?: string;
  readonly callingStationId?: string;
  readonly class?: Uint8Array;
}

export type DaeEvent = {
  readonly type: 'disconnect-request' | 'coa-request';
  readonly token: number;
  readonly from: { readonly address: number; readonly port: number };
  readonly session: SessionSelector;
  /** The whole request: CoA carries the new authorization attributes (Session-Timeout, Filter-Id, ...). */
  readonly packet: RadiusPacket;
};

export type DaeVerdict = { readonly ack: true; readonly attributes?: readonly RadiusAttribute[] } | { readonly ack: false; readonly errorCause: number };

export type DaeDrop =
  | 'unknown-client'
  | 'short'
  | 'malformed'
  | 'unexpected-code'
  | 'bad-authenticator'
  | 'bad-message-authenticator'
  | 'missing-message-authenticator'
  | 'duplicate-pending';

interface Pending {
  readonly token: number;
  readonly key: string;
  readonly client: DaeClientConfig;
  readonly from: DaeDatagram;
  readonly code: number;
  readonly identifier: number;
  readonly requestAuthenticator: Uint8Array;
  readonly hadMa: boolean;
  readonly deadline: number;
}

interface Answered {
  readonly authenticator: Uint8Array;
  response: DaeTransmit | undefined;
  at: number;
}

export class DynamicAuthorizationServer {
  readonly counters = {
    disconnectRequests: 0,
    coaRequests: 0,
    acks: 0,
    naks: 0,
    duplicates: 0,
    dropped: { 'unknown-client': 0, short: 0, malformed: 0, 'unexpected-code': 0, 'bad-authenticator': 0, 'bad-message-authenticator': 0, 'missing-message-authenticator': 0, 'duplicate-pending': 0 } as Record<DaeDrop, number>,
  };

  private readonly clients = new Map<number, DaeClientConfig>();
  private readonly pending = new Map<number, Pending>();
  private readonly answered = new Map<string, Answered>();
  private readonly transmits = new Outbox<DaeTransmit>(4096);
  private readonly events = new Outbox<DaeEvent>(4096);
  private nextToken = 1;
  private readonly pendingTimeout: number;
  private readonly duplicateWindow: number;

  constructor(private readonly config: DaeConfig) {
    for (const c of config.clients) this.clients.set(ipv4FromString(c.address), c);
    this.pendingTimeout = config.pendingTimeoutMs ?? 10_000;
    this.duplicateWindow = config.duplicateWindowMs ?? 30_000;
  }

  handle(d: DaeDatagram, now: number): void {
    this.expire(now);
    const drop = (why: DaeDrop) => void this.counters.dropped[why]++;
    const client = this.clients.get(d.address);
    if (!client) return drop('unknown-client');
    const b = d.bytes;
    if (b.length < HEADER_LENGTH) return drop('short');
    const code = b[RF.CODE]!;
    if (code !== RadiusCode.DISCONNECT_REQUEST && code !== RadiusCode.COA_REQUEST) return drop('unexpected-code');
    const parsed = radiusPacket.parse(b);
    if (!parsed.ok) return drop('malformed');
    const bytes = b.subarray(0, u16(b, RF.LENGTH));
    if (!verifyRequestAuthenticator(bytes, client.secret)) return drop('bad-authenticator');
    const ma = checkMessageAuthenticator(bytes, client.secret);
    if (ma === 'invalid') return drop('bad-message-authenticator');
    if (ma === 'absent' && client.requireMessageAuthenticator) return drop('missing-message-authenticator');
    const p = parsed.value;
    const key = `${d.address}|${d.port}|${p.identifier}`;
    const seen = this.answered.get(key);
    if (seen && Buffer.compare(seen.authenticator, p.authenticator) === 0) {
      this.counters.duplicates++;
      if (seen.response) this.transmits.push(seen.response);
      else drop('duplicate-pending');
      return;
    }
    this.answered.delete(key);
    this.answered.set(key, { authenticator: new Uint8Array(p.authenticator), response: undefined, at: now });
    if (code === RadiusCode.DISCONNECT_REQUEST) this.counters.disconnectRequests++;
    else this.counters.coaRequests++;
    const pend: Pending = {
      token: this.nextToken++, key, client, from: d, code, identifier: p.identifier, requestAuthenticator: new Uint8Array(p.authenticator),
      hadMa: ma === 'valid', deadline: now + this.pendingTimeout,
    };
    // §3: a request for another NAS is answered with NAS-Identification-Mismatch, not passed on.
    const nasIp = getInt(p, A.NAS_IP_ADDRESS);
    const nasId = getAttr(p, A.NAS_IDENTIFIER);
    if ((nasIp !== undefined && this.config.nasIpAddress !== undefined && nasIp !== this.config.nasIpAddress)
      || (nasId !== undefined && this.config.nasIdentifier !== undefined && bytesText(nasId.data) !== this.config.nasIdentifier)) {
      this.pending.set(pend.token, pend);
      this.respond(pend.token, { ack: false, errorCause: ErrorCause.NAS_IDENTIFICATION_MISMATCH }, now);
      return;
    }
    this.pending.set(pend.token, pend);
    this.events.push({ type: code === RadiusCode.DISCONNECT_REQUEST ? 'disconnect-request' : 'coa-request', token: pend.token, from: { address: d.address, port: d.port }, session: selector(p), packet: p });
  }

  /** The owner's answer to a request event: ACK or NAK with an Error-Cause (RFC 5176 §3.5). */
  respond(token: number, verdict: DaeVerdict, _now: number): boolean {
    const pend = this.pending.get(token);
    if (!pend) return false;
    this.pending.delete(token);
    const ack = verdict.ack;
    const code = pend.code === RadiusCode.DISCONNECT_REQUEST ? (ack ? RadiusCode.DISCONNECT_ACK : RadiusCode.DISCONNECT_NAK) : ack ? RadiusCode.COA_ACK : RadiusCode.COA_NAK;
    const attrs: RadiusAttribute[] = [messageAuthenticatorAttr()];
    if (verdict.ack) attrs.push(...(verdict.attributes ?? []));
    else attrs.push(intAttr(A.ERROR_CAUSE, verdict.errorCause));
    if (ack) this.counters.acks++;
    else this.counters.naks++;
    const packet: RadiusPacket = { code, identifier: pend.identifier, authenticator: new Uint8Array(16), attributes: attrs };
    const bytes = new Uint8Array(radiusPacket.encodedLength(packet));
    radiusPacket.emit(packet, bytes, 0);
    signPacket(bytes, pend.client.secret, pend.requestAuthenticator);
    const out: DaeTransmit = { address: pend.from.address, port: pend.from.port, bytes, packet: { ...packet, authenticator: bytes.subarray(4, 20) } };
    const seen = this.answered.get(pend.key);
    if (seen) seen.response = out;
    this.transmits.push(out);
    return true;
  }

  handleTimeout(now: number): void {
    for (let p = this.oldestPending(); p && p.deadline <= now; p = this.oldestPending()) this.respond(p.token, { ack: false, errorCause: ErrorCause.RESOURCES_UNAVAILABLE }, now);
    this.expire(now);
  }

  nextTimeout(): number | undefined {
    return this.oldestPending()?.deadline;
  }

  /**
   * Every request waits the same `pendingTimeout`, so deadlines rise in insertion order and the
   * Map's first entry is always the next to expire: no scan.
   */
  private oldestPending(): Pending | undefined {
    for (const p of this.pending.values()) return p;
    return undefined;
  }

  pollTransmit(): DaeTransmit | undefined {
    return this.transmits.shift();
  }

  pollEvent(): DaeEvent | undefined {
    return this.events.shift();
  }

  private expire(now: number): void {
    for (const [k, v] of this.answered) {
      if (v.at + this.duplicateWindow > now) break;
      if (v.response) this.answered.delete(k);
      else break;
    }
  }
}

function selector(p: RadiusPacket): SessionSelector {
  const s: Record<string, unknown> = {};
  const text = (t: number) => {
    const a = getAttr(p, t);
    return a && bytesText(a.data);
  };
  const set = (k: string, v: unknown) => v !== undefined && (s[k] = v);
  set('userName', text(A.USER_NAME));
  set('acctSessionId', text(A.ACCT_SESSION_ID));
  set('acctMultiSessionId', text(A.ACCT_MULTI_SESSION_ID));
  set('framedIpAddress', getInt(p, A.FRAMED_IP_ADDRESS));
  set('nasPort', getInt(p, A.NAS_PORT));
  set('nasPortId', text(A.NAS_PORT_ID));
  set('callingStationId', text(A.CALLING_STATION_ID));
  set('class', getAttr(p, A.CLASS)?.data);
  return s as SessionSelector;
}

