/**
 * PPPoE discovery, access-concentrator side (RFC 2516 §5), sans-IO. A PADI costs no state:
 * the PADO's AC-Cookie is HMAC(secret, client MAC, time bucket), checked when the PADR
 * comes back, so a PADI flood cannot fill memory. Session ids are 1..0xFFFE, never two
 * live at once; limits per client MAC, in total and on sessions not yet established (the
 * owner calls `established` once the session carries traffic) are answered with AC-System-Error.
 * Host-Uniq and Relay-Session-Id are echoed; RFC 4638 PPP-Max-Payload is honoured.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { hmacSha256, hmacSha256Key, type HmacSha256Key } from '../wire/sha256.js';
import { pppoeDiscovery, PppoeCode, PppoeTagType, pppMaxPayloadTag, type PppoeDiscovery, type PppoeTag } from '../wire/pppoe.js';
import { bytesEqual, textBytes, u16, u32 } from '../wire/bytes.js';
import { count, parseOrCount, type Counters } from './ppp-common.js';
import { Fifo } from './fifo.js';

export interface PppoeAcConfig {
  /** AC-Name in every PADO (RFC 2516 §5.2). */
  readonly acName: string;
  /** Services offered. A PADI asking for "" (any service) is offered all of them; an empty list serves any name. */
  readonly serviceNames: readonly string[];
  /** HMAC key for AC-Cookies; random per AC when not given. */
  readonly cookieSecret: Uint8Array;
  /** A cookie is valid in its time bucket and the next one (so for 1 to 2 buckets). */
  readonly cookieBucketMs: number;
  /** Live sessions at most (65534 is the id space). */
  readonly maxSessions: number;
  /** Live sessions per client MAC at most. */
  readonly maxSessionsPerMac: number;
  /**
   * Sessions not yet `established` at most: what a PADR flood with valid cookies (a PADI
   * costs nothing, so cookies are free to collect) can make the owner hold before its
   * sessions prove anything. Established sessions do not count against it.
   */
  readonly maxPending: number;
  /**
   * RFC 4638: the largest PPP payload we carry (1500 on a 1508-octet link). A client's
   * PPP-Max-Payload is echoed as min(its, ours) when ours is above 1492; 0 turns RFC 4638 off.
   */
  readonly maxPayload: number;
}

export function pppoeAcConfig(c: Partial<PppoeAcConfig> = {}): PppoeAcConfig {
  return {
    acName: 'pseudonet-sse',
    serviceNames: [],
    cookieSecret: new Uint8Array(randomBytes(32)),
    cookieBucketMs: 60_000,
    maxSessions: 0xfffe,
    maxSessionsPerMac: 8,
    maxPending: 0xfffe,
    maxPayload: 0,
    ...c,
  };
}

/** A discovery packet to send, and where to. */
export interface AcTransmit {
  readonly dst: Uint8Array;
  readonly packet: PppoeDiscovery;
}

/** Octets kept as a one-octet-per-char string: a short string costs far less than a Uint8Array and its buffer. */
function packBytes(b: Uint8Array | undefined): string | undefined {
  return b === undefined ? undefined : String.fromCharCode.apply(null, b as unknown as number[]);
}

function unpackBytes(s: string): Uint8Array {
  const b = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i);
  return b;
}

/** A live session. The role hangs its own session state on `user` (typed by the role). */
export class AcSession<U = unknown> {
  /** Frames were seen on the session: a repeated PADR no longer re-sends PADS. */
  seen = false;
  /** Not yet `established` by the owner: counts against `maxPending`. */
  pending = true;
  /** Next session of the same client MAC (a short chain per MAC). */
  nextSameMac: AcSession<U> | undefined;
  user: U | undefined;
  private readonly service: string;
  /** The PADR's Host-Uniq, to recognise its repeats; let go once frames are seen (no repeat is answered then). */
  private uniq: string | undefined;
  private readonly relay: string | undefined;
  constructor(
    readonly id: number,
    /** Client MAC as a 48-bit number. */
    readonly macKey: number,
    serviceName: Uint8Array,
    hostUniq: Uint8Array | undefined,
    relaySessionId: Uint8Array | undefined,
    /** RFC 4638 PPP-Max-Payload agreed (undefined: 1492 rules). */
    readonly maxPayload: number | undefined,
    /** A short fingerprint of the PADR's cookie, to recognise its retransmissions. */
    readonly cookieTag: number,
  ) {
    this.service = packBytes(serviceName)!;
    this.uniq = packBytes(hostUniq);
    this.relay = packBytes(relaySessionId);
  }

  get mac(): Uint8Array {
    return macFromKey(this.macKey);
  }
  get serviceName(): Uint8Array {
    return unpackBytes(this.service);
  }
  /** The PADR's Host-Uniq until frames are seen on the session (then undefined). */
  get hostUniq(): Uint8Array | undefined {
    return this.uniq === undefined ? undefined : unpackBytes(this.uniq);
  }
  get relaySessionId(): Uint8Array | undefined {
    return this.relay === undefined ? undefined : unpackBytes(this.relay);
  }
  /** Frames came on the session: a repeated PADR is not answered from now on, so its Host-Uniq goes. */
  markSeen(): void {
    if (this.seen) return;
    this.seen = true;
    this.uniq = undefined;
  }
  /** Whether a PADR's Host-Uniq is this session's (asked only before frames are seen). */
  sameHostUniq(h: Uint8Array | undefined): boolean {
    return (h === undefined) === (this.uniq === undefined) && (h === undefined || packBytes(h) === this.uniq);
  }
}

export type AcEvent<U = unknown> =
  | { readonly type: 'session-up'; readonly session: AcSession<U> }
  | { readonly type: 'session-down'; readonly session: AcSession<U>; readonly reason: 'padt' };

export function macKey(b: Uint8Array, o = 0): number {
  return u16(b, o) * 0x100000000 + u32(b, o + 2);
}

/** The six octets of a MAC key, into `b` (a scratch array on the data path: nothing allocated per frame). */
export function macFromKey(k: number, b: Uint8Array = new Uint8Array(6)): Uint8Array {
  const hi = Math.floor(k / 0x100000000);
  const lo = k >>> 0;
  b[0] = hi >>> 8;
  b[1] = hi & 0xff;
  b[2] = lo >>> 24;
  b[3] = (lo >>> 16) & 0xff;
  b[4] = (lo >>> 8) & 0xff;
  b[5] = lo & 0xff;
  return b;
}

const COOKIE_LENGTH = 20; // 4 octets of bucket + 16 of HMAC-SHA256
/** The cookie's HMAC input (MAC, bucket) and tag, reused: JavaScript runs one cookie at a time. */
const cookiePieces: Uint8Array[] = [new Uint8Array(0), new Uint8Array(0)];
const cookieTag = new Uint8Array(32);

export class PppoeAc<U = unknown> {
  /** Counters by reason: PADI/PADR in, PADO/PADS out, drops. */
  readonly counters: Counters = {};
  private readonly sessions: (AcSession<U> | undefined)[] = [];
  private readonly byMac = new Map<number, AcSession<U>>();
  private live = 0;
  private pendingCount = 0;
  private cursor = 0;
  private readonly tx = new Fifo<AcTransmit>();
  private readonly events = new Fifo<AcEvent<U>>();
  private readonly acNameTag: PppoeTag;
  private readonly offered: PppoeTag[];
  private readonly services: Uint8Array[];
  /** The cookie key's HMAC pads, hashed once. */
  private readonly cookieKey: HmacSha256Key;

  constructor(readonly cfg: PppoeAcConfig) {
    this.cookieKey = hmacSha256Key(cfg.cookieSecret);
    this.acNameTag = { type: PppoeTagType.AC_NAME, data: textBytes(cfg.acName) };
    this.services = cfg.serviceNames.map((s) => textBytes(s));
    this.offered = this.services.map((d) => ({ type: PppoeTagType.SERVICE_NAME, data: d }));
  }

  /** Live sessions. */
  get sessionCount(): number {
    return this.live;
  }

  /** Live sessions not yet established. */
  get pendingSessions(): number {
    return this.pendingCount;
  }

  /** Everything the AC keeps: live sessions and client MACs with sessions (a PADI adds to neither). */
  get stateSize(): { sessions: number; macs: number; queued: number } {
    return { sessions: this.live, macs: this.byMac.size, queued: this.tx.length + this.events.length };
  }

  /** The owner's word that `s` carries traffic now: it no longer counts against `maxPending`. */
  established(s: AcSession<U>): void {
    if (!s.pending || this.sessions[s.id] !== s) return;
    s.pending = false;
    this.pendingCount--;
  }

  session(id: number): AcSession<U> | undefined {
    return this.sessions[id];
  }

  /**
   * The session of a 0x8864 frame, checked against its source MAC (at `srcOffset` of `src`,
   * so a caller can pass the whole Ethernet frame and offset 6); undefined (and counted) when unknown.
   */
  sessionFor(src: Uint8Array, sessionId: number, srcOffset = 0): AcSession<U> | undefined {
    const s = this.sessions[sessionId];
    if (!s || s.macKey !== macKey(src, srcOffset)) {
      count(this.counters, 'session.unknown-session');
      return undefined;
    }
    s.markSeen();
    return s;
  }

  /** A discovery frame's PPPoE part (after the Ethernet header). Bad frames are counted by their error code. */
  handleFrame(src: Uint8Array, bytes: Uint8Array, now: number): void {
    const p = parseOrCount(pppoeDiscovery, bytes, this.counters);
    if (p) this.handle(src, p, now);
  }

  handle(src: Uint8Array, p: PppoeDiscovery, now: number): void {
    switch (p.code) {
      case PppoeCode.PADI:
        count(this.counters, 'padi.in');
        this.padi(src, p, now);
        return;
      case PppoeCode.PADR:
        count(this.counters, 'padr.in');
        this.padr(src, p, now);
        return;
      case PppoeCode.PADT:
        count(this.counters, 'padt.in');
        this.padt(src, p);
        return;
      default:
        count(this.counters, `drop.code-${p.code.toString(16)}`);
    }
  }

  pollTransmit(): AcTransmit | undefined {
    return this.tx.shift();
  }

  /** Whether a poll would return something (a concentrator of many access ports asks before polling each). */
  get hasOutput(): boolean {
    return this.tx.length > 0 || this.events.length > 0;
  }

  pollEvent(): AcEvent<U> | undefined {
    return this.events.shift();
  }

  /** Discovery needs no timer: the AC only answers. */
  nextTimeout(): number | undefined {
    return undefined;
  }
  handleTimeout(_now: number): void {}

  /** Ends a session from our side: PADT to the client, id freed at once. */
  terminate(s: AcSession<U>, message?: string): void {
    if (this.sessions[s.id] !== s) return;
    const tags: PppoeTag[] = [];
    const relay = s.relaySessionId;
    if (relay) tags.push({ type: PppoeTagType.RELAY_SESSION_ID, data: relay });
    if (message !== undefined) tags.push({ type: PppoeTagType.GENERIC_ERROR, data: textBytes(message) });
    this.tx.push({ dst: s.mac, packet: { code: PppoeCode.PADT, sessionId: s.id, tags } });
    count(this.counters, 'padt.out');
    this.release(s);
  }

  // ---- discovery

  /** The single-valued tags of a PADI/PADR, or a reason to drop it. */
  private read(p: PppoeDiscovery): { service: Uint8Array | undefined; hostUniq?: Uint8Array; relay?: Uint8Array; cookie?: Uint8Array; maxPayload?: number; services: number } {
    let service: Uint8Array | undefined;
    let services = 0;
    const r: { service: Uint8Array | undefined; hostUniq?: Uint8Array; relay?: Uint8Array; cookie?: Uint8Array; maxPayload?: number; services: number } = { service: undefined, services: 0 };
    for (const t of p.tags) {
      switch (t.type) {
        case PppoeTagType.SERVICE_NAME:
          services++;
          service ??= t.data;
          break;
        case PppoeTagType.HOST_UNIQ:
          r.hostUniq ??= t.data;
          break;
        case PppoeTagType.RELAY_SESSION_ID:
          r.relay ??= t.data;
          break;
        case PppoeTagType.AC_COOKIE:
          r.cookie ??= t.data;
          break;
        case PppoeTagType.PPP_MAX_PAYLOAD:
          r.maxPayload ??= u16(t.data, 0);
          break;
      }
    }
    r.service = service;
    r.services = services;
    return r;
  }

  private serves(name: Uint8Array): boolean {
    if (name.length === 0) return true;
    // RFC 2516 Appendix A: a Service-Name is a UTF-8 string; one with control characters or bad UTF-8 names no service (it would be echoed in the PADO).
    if (!isServiceText(name)) return false;
    if (this.services.length === 0) return true;
    for (const s of this.services) if (bytesEqual(s, name)) return true;
    return false;
  }

  private agreedMaxPayload(theirs: number | undefined): number | undefined {
    if (theirs === undefined || this.cfg.maxPayload <= 1492 || theirs <= 1492) return undefined;
    return Math.min(theirs, this.cfg.maxPayload);
  }

  private padi(src: Uint8Array, p: PppoeDiscovery, now: number): void {
    if (p.sessionId !== 0) return this.dropped('padi-session-id-not-zero');
    if (src[0]! & 1) return this.dropped('padi-multicast-source');
    const t = this.read(p);
    // RFC 2516 §5.1: exactly one Service-Name.
    if (t.services !== 1 || t.service === undefined) return this.dropped('padi-service-name-count');
    if (!this.serves(t.service)) return this.dropped('padi-service-not-offered');
    const tags: PppoeTag[] = [this.acNameTag, { type: PppoeTagType.SERVICE_NAME, data: t.service }];
    if (t.service.length === 0) for (const o of this.offered) tags.push(o);
    tags.push({ type: PppoeTagType.AC_COOKIE, data: this.cookie(src, Math.floor(now / this.cfg.cookieBucketMs)) });
    if (t.hostUniq) tags.push({ type: PppoeTagType.HOST_UNIQ, data: t.hostUniq });
    if (t.relay) tags.push({ type: PppoeTagType.RELAY_SESSION_ID, data: t.relay });
    const mp = this.agreedMaxPayload(t.maxPayload);
    if (mp !== undefined) tags.push(pppMaxPayloadTag(mp));
    this.tx.push({ dst: src, packet: { code: PppoeCode.PADO, sessionId: 0, tags } });
    count(this.counters, 'pado.out');
  }

  private padr(src: Uint8Array, p: PppoeDiscovery, now: number): void {
    if (p.sessionId !== 0) return this.dropped('padr-session-id-not-zero');
    const t = this.read(p);
    if (!t.cookie || !this.cookieValid(src, t.cookie, now)) return this.dropped('padr-bad-cookie');
    if (t.services !== 1 || t.service === undefined) return this.dropped('padr-service-name-count');
    const key = macKey(src);
    const cookieTag = u32(t.cookie, COOKIE_LENGTH - 4) | 0; // signed: a small integer in each session, not a boxed number
    // A retransmitted PADR (our PADS was lost): the same PADS again, not a second session.
    for (let s = this.byMac.get(key); s; s = s.nextSameMac) {
      if (!s.seen && s.cookieTag === cookieTag && s.sameHostUniq(t.hostUniq)) {
        count(this.counters, 'padr.repeated');
        this.sendPads(src, s);
        return;
      }
    }
    if (!this.serves(t.service)) {
      count(this.counters, 'pads.service-name-error');
      return this.refuse(src, t, PppoeTagType.SERVICE_NAME_ERROR, 'service not offered');
    }
    let perMac = 0;
    for (let s = this.byMac.get(key); s; s = s.nextSameMac) perMac++;
    if (perMac >= this.cfg.maxSessionsPerMac) {
      count(this.counters, 'pads.limit-per-mac');
      return this.refuse(src, t, PppoeTagType.AC_SYSTEM_ERROR, 'too many sessions for this MAC');
    }
    if (this.live >= this.cfg.maxSessions) {
      count(this.counters, 'pads.limit-total');
      return this.refuse(src, t, PppoeTagType.AC_SYSTEM_ERROR, 'no free session');
    }
    if (this.pendingCount >= this.cfg.maxPending) {
      count(this.counters, 'pads.limit-pending');
      return this.refuse(src, t, PppoeTagType.AC_SYSTEM_ERROR, 'too many sessions being set up');
    }
    const id = this.allocate();
    if (id === 0) {
      count(this.counters, 'pads.no-free-id');
      return this.refuse(src, t, PppoeTagType.AC_SYSTEM_ERROR, 'no free session');
    }
    const s = new AcSession<U>(id, key, t.service, t.hostUniq, t.relay, this.agreedMaxPayload(t.maxPayload), cookieTag);
    this.sessions[id] = s;
    s.nextSameMac = this.byMac.get(key);
    this.byMac.set(key, s);
    this.live++;
    this.pendingCount++;
    this.sendPads(src, s);
    this.events.push({ type: 'session-up', session: s });
  }

  private sendPads(dst: Uint8Array, s: AcSession<U>): void {
    const tags: PppoeTag[] = [{ type: PppoeTagType.SERVICE_NAME, data: s.serviceName }];
    const hu = s.hostUniq;
    if (hu) tags.push({ type: PppoeTagType.HOST_UNIQ, data: hu });
    const relay = s.relaySessionId;
    if (relay) tags.push({ type: PppoeTagType.RELAY_SESSION_ID, data: relay });
    if (s.maxPayload !== undefined) tags.push(pppMaxPayloadTag(s.maxPayload));
    this.tx.push({ dst, packet: { code: PppoeCode.PADS, sessionId: s.id, tags } });
    count(this.counters, 'pads.out');
  }

  /** PADS with SESSION_ID 0 and an error tag (RFC 2516 §5.4, Appendix A). */
  private refuse(dst: Uint8Array, t: { service: Uint8Array | undefined; hostUniq?: Uint8Array; relay?: Uint8Array }, errorType: number, text: string): void {
    const tags: PppoeTag[] = [{ type: PppoeTagType.SERVICE_NAME, data: t.service ?? new Uint8Array(0) }];
    if (t.hostUniq) tags.push({ type: PppoeTagType.HOST_UNIQ, data: t.hostUniq });
    if (t.relay) tags.push({ type: PppoeTagType.RELAY_SESSION_ID, data: t.relay });
    tags.push({ type: errorType, data: textBytes(text) });
    this.tx.push({ dst, packet: { code: PppoeCode.PADS, sessionId: 0, tags } });
  }

  private padt(src: Uint8Array, p: PppoeDiscovery): void {
    const s = this.sessions[p.sessionId];
    if (!s || s.macKey !== macKey(src)) return this.dropped('padt-unknown-session');
    this.release(s);
    this.events.push({ type: 'session-down', session: s, reason: 'padt' });
  }

  private dropped(reason: string): void {
    count(this.counters, `drop.${reason}`);
  }

  /** The next free id after the cursor (so a freed id is not reused at once). 0 when none is free. */
  private allocate(): number {
    for (let n = 0; n < 0xfffe; n++) {
      this.cursor = this.cursor >= 0xfffe ? 1 : this.cursor + 1;
      if (this.sessions[this.cursor] === undefined) return this.cursor;
    }
    return 0;
  }

  private release(s: AcSession<U>): void {
    this.sessions[s.id] = undefined;
    this.live--;
    if (s.pending) {
      s.pending = false;
      this.pendingCount--;
    }
    let prev: AcSession<U> | undefined;
    for (let x = this.byMac.get(s.macKey); x; prev = x, x = x.nextSameMac) {
      if (x !== s) continue;
      if (prev) prev.nextSameMac = x.nextSameMac;
      else if (x.nextSameMac) this.byMac.set(s.macKey, x.nextSameMac);
      else this.byMac.delete(s.macKey);
      break;
    }
    s.nextSameMac = undefined;
  }

  // ---- cookies

  private cookie(mac: Uint8Array, bucket: number): Uint8Array {
    const c = new Uint8Array(COOKIE_LENGTH);
    c[0] = bucket >>> 24;
    c[1] = (bucket >>> 16) & 0xff;
    c[2] = (bucket >>> 8) & 0xff;
    c[3] = bucket & 0xff;
    cookiePieces[0] = mac.subarray(0, 6);
    cookiePieces[1] = c.subarray(0, 4);
    hmacSha256(this.cookieKey, cookiePieces, cookieTag);
    c.set(cookieTag.subarray(0, COOKIE_LENGTH - 4), 4);
    return c;
  }

  private cookieValid(mac: Uint8Array, cookie: Uint8Array, now: number): boolean {
    if (cookie.length !== COOKIE_LENGTH) return false;
    const bucket = u32(cookie, 0);
    const current = Math.floor(now / this.cfg.cookieBucketMs) >>> 0;
    if (bucket !== current && bucket !== ((current - 1) >>> 0)) return false;
    return timingSafeEqual(this.cookie(mac, bucket), cookie);
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** UTF-8 text without control characters (RFC 2516 Appendix A, Service-Name). */
function isServiceText(b: Uint8Array): boolean {
  for (const x of b) if (x < 0x20 || x === 0x7f) return false;
  try {
    utf8.decode(b);
    return true;
  } catch {
    return false;
  }
}
