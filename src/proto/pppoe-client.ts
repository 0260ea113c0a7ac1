/**
 * PPPoE discovery, host side (RFC 2516 §5), sans-IO and small: PADI and PADR retransmitted
 * with doubling timeouts, PADO chosen by AC-Name / Service-Name, PADS, PADT both ways.
 * Tags in the order rp-pppoe (pppd's plugin) sends them. Thousands fit in one process.
 */
import { pppoeDiscovery, PppoeCode, PppoeTagType, pppMaxPayloadTag, type PppoeDiscovery, type PppoeTag } from '../wire/pppoe.js';
import { bytesEqual, keptBytes, textBytes, u16 } from '../wire/bytes.js';
import { count, cryptoRandom, parseOrCount, type Counters, type RandomBytes } from './ppp-common.js';
import { macKey, macFromKey } from './pppoe-ac.js';

export interface PppoeClientConfig {
  /** Service-Name to ask for ("" = any). */
  readonly serviceName: string;
  /** Take only a PADO from this AC-Name (undefined: the first acceptable one). */
  readonly acName?: string;
  /** Host-Uniq length in octets (rp-pppoe sends 4); 0 sends none. */
  readonly hostUniqLength: number;
  /** RFC 4638 PPP-Max-Payload to ask for (above 1492), or 0. */
  readonly maxPayload: number;
  /** First PADI/PADR timeout, doubled after each try up to `maxTimeoutMs`. */
  readonly timeoutMs: number;
  readonly maxTimeoutMs: number;
  /** PADIs before giving up, PADRs before going back to PADI. */
  readonly padiTries: number;
  readonly padrTries: number;
  readonly random: RandomBytes;
}

export function pppoeClientConfig(c: Partial<PppoeClientConfig> = {}): PppoeClientConfig {
  return { serviceName: '', hostUniqLength: 4, maxPayload: 0, timeoutMs: 1000, maxTimeoutMs: 16_000, padiTries: 8, padrTries: 4, random: cryptoRandom, ...c };
}

export const BROADCAST: Uint8Array = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);

export type ClientState = 'idle' | 'padi-sent' | 'padr-sent' | 'session' | 'terminated' | 'failed';
const STATES: readonly ClientState[] = ['idle', 'padi-sent', 'padr-sent', 'session', 'terminated', 'failed'];
const IDLE = 0, PADI_SENT = 1, PADR_SENT = 2, SESSION = 3, TERMINATED = 4, FAILED = 5;

export type ClientEvent =
  | { readonly type: 'session-up'; readonly sessionId: number; readonly ac: Uint8Array; readonly maxPayload: number | undefined }
  | { readonly type: 'session-down'; readonly reason: 'padt' }
  | { readonly type: 'failed'; readonly reason: string; readonly message?: string };

export interface ClientTransmit {
  readonly dst: Uint8Array;
  readonly packet: PppoeDiscovery;
}

export class PppoeClient {
  private s = IDLE;
  private tries = 0;
  private timeout = 0;
  private timerAt: number | undefined;
  /** Our Host-Uniq while discovering (dropped once the session is up: thousands of clients share a process). */
  private hostUniq: Uint8Array | undefined;
  /** The chosen AC's MAC as a 48-bit number (from its PADO), then the session's; -1 before. */
  acKey = -1;
  private cookie: Uint8Array | undefined;
  private relay: Uint8Array | undefined;
  sessionId = 0;
  maxPayload: number | undefined;
  private tx: ClientTransmit[] | undefined;
  private events: ClientEvent[] | undefined;

  constructor(
    readonly cfg: PppoeClientConfig,
    /** Counters, usually shared by every client of a load generator. */
    readonly counters: Counters = {},
  ) {
    this.hostUniq = cfg.hostUniqLength > 0 ? keptBytes(cfg.random(cfg.hostUniqLength)) : undefined;
  }

  /** The AC's MAC, or undefined before a PADO was taken. */
  get ac(): Uint8Array | undefined {
    return this.acKey < 0 ? undefined : macFromKey(this.acKey);
  }

  get state(): ClientState {
    return STATES[this.s]!;
  }

  /** Starts discovery: the first PADI. */
  start(now: number): void {
    this.s = PADI_SENT;
    this.tries = 0;
    this.timeout = this.cfg.timeoutMs;
    this.sendPadi(now);
  }

  private serviceTag(): PppoeTag {
    return { type: PppoeTagType.SERVICE_NAME, data: serviceBytes(this.cfg.serviceName) };
  }

  private sendPadi(now: number): void {
    const tags: PppoeTag[] = [this.serviceTag()];
    if (this.hostUniq) tags.push({ type: PppoeTagType.HOST_UNIQ, data: this.hostUniq });
    if (this.cfg.maxPayload > 1492) tags.push(pppMaxPayloadTag(this.cfg.maxPayload));
    this.arm(now);
    this.push({ dst: BROADCAST, packet: { code: PppoeCode.PADI, sessionId: 0, tags } });
    count(this.counters, 'padi.out');
  }

  private sendPadr(now: number): void {
    const tags: PppoeTag[] = [this.serviceTag()];
    if (this.hostUniq) tags.push({ type: PppoeTagType.HOST_UNIQ, data: this.hostUniq });
    if (this.cookie) tags.push({ type: PppoeTagType.AC_COOKIE, data: this.cookie });
    if (this.relay) tags.push({ type: PppoeTagType.RELAY_SESSION_ID, data: this.relay });
    if (this.cfg.maxPayload > 1492) tags.push(pppMaxPayloadTag(this.cfg.maxPayload));
    this.arm(now);
    this.push({ dst: this.ac!, packet: { code: PppoeCode.PADR, sessionId: 0, tags } });
    count(this.counters, 'padr.out');
  }

  private arm(now: number): void {
    this.tries++;
    this.timerAt = now + this.timeout;
    this.timeout = Math.min(this.timeout * 2, this.cfg.maxTimeoutMs);
  }

  nextTimeout(): number | undefined {
    return this.timerAt;
  }

  handleTimeout(now: number): void {
    if (this.timerAt === undefined || now < this.timerAt) return;
    this.timerAt = undefined;
    if (this.s === PADI_SENT) {
      if (this.tries >= this.cfg.padiTries) return this.fail('no-pado');
      count(this.counters, 'padi.retransmit');
      this.sendPadi(now);
    } else if (this.s === PADR_SENT) {
      if (this.tries >= this.cfg.padrTries) {
        // RFC 2516 §5.3: no PADS, so start discovery again.
        count(this.counters, 'padr.gave-up');
        this.start(now);
        return;
      }
      count(this.counters, 'padr.retransmit');
      this.sendPadr(now);
    }
  }

  /** A discovery frame's PPPoE part from `src`. Bad frames are counted by their error code. */
  handleFrame(src: Uint8Array, bytes: Uint8Array, now: number): void {
    const p = parseOrCount(pppoeDiscovery, bytes, this.counters);
    if (p) this.handle(src, p, now);
  }

  handle(src: Uint8Array, p: PppoeDiscovery, now: number): void {
    switch (p.code) {
      case PppoeCode.PADO:
        return this.pado(src, p, now);
      case PppoeCode.PADS:
        return this.pads(src, p);
      case PppoeCode.PADT:
        if (this.s !== SESSION || p.sessionId !== this.sessionId || macKey(src) !== this.acKey) return this.drop('padt-not-ours');
        this.s = TERMINATED;
        this.emit({ type: 'session-down', reason: 'padt' });
        return;
      default:
        this.drop(`code-${p.code.toString(16)}`);
    }
  }

  /** Our Host-Uniq must come back unchanged (RFC 2516 §5.2). */
  private mine(p: PppoeDiscovery): boolean {
    const h = findTag(p.tags, PppoeTagType.HOST_UNIQ);
    if (!this.hostUniq) return h === undefined;
    return h !== undefined && bytesEqual(h, this.hostUniq);
  }

  private pado(src: Uint8Array, p: PppoeDiscovery, now: number): void {
    if (this.s !== PADI_SENT) return this.drop('pado-unexpected');
    if (!this.mine(p)) return this.drop('pado-host-uniq');
    let acName: Uint8Array | undefined;
    let service = false;
    let cookie: Uint8Array | undefined;
    let relay: Uint8Array | undefined;
    let error = false;
    const want = serviceBytes(this.cfg.serviceName);
    for (const t of p.tags) {
      if (t.type === PppoeTagType.AC_NAME) acName ??= t.data;
      else if (t.type === PppoeTagType.SERVICE_NAME && bytesEqual(t.data, want)) service = true;
      else if (t.type === PppoeTagType.AC_COOKIE) cookie ??= t.data;
      else if (t.type === PppoeTagType.RELAY_SESSION_ID) relay ??= t.data;
      else if (t.type >= PppoeTagType.SERVICE_NAME_ERROR && t.type <= PppoeTagType.GENERIC_ERROR) error = true;
    }
    if (error) return this.drop('pado-error-tag');
    if (!acName) return this.drop('pado-without-ac-name');
    if (!service) return this.drop('pado-service-mismatch');
    if (this.cfg.acName !== undefined && !bytesEqual(acName, textBytes(this.cfg.acName))) return this.drop('pado-ac-name-mismatch');
    this.acKey = macKey(src);
    this.cookie = cookie?.slice();
    this.relay = relay?.slice();
    this.s = PADR_SENT;
    this.tries = 0;
    this.timeout = this.cfg.timeoutMs;
    this.sendPadr(now);
  }

  private pads(src: Uint8Array, p: PppoeDiscovery): void {
    if (this.s !== PADR_SENT || macKey(src) !== this.acKey) return this.drop('pads-unexpected');
    if (!this.mine(p)) return this.drop('pads-host-uniq');
    for (const t of p.tags) {
      if (t.type >= PppoeTagType.SERVICE_NAME_ERROR && t.type <= PppoeTagType.GENERIC_ERROR) {
        this.timerAt = undefined;
        this.s = FAILED;
        count(this.counters, 'pads.error');
        this.emit({ type: 'failed', reason: t.type === PppoeTagType.SERVICE_NAME_ERROR ? 'service-name-error' : t.type === PppoeTagType.AC_SYSTEM_ERROR ? 'ac-system-error' : 'generic-error', message: new TextDecoder().decode(t.data) });
        return;
      }
    }
    if (p.sessionId === 0 || p.sessionId === 0xffff) return this.drop('pads-bad-session-id');
    const mp = findTag(p.tags, PppoeTagType.PPP_MAX_PAYLOAD);
    this.maxPayload = mp && mp.length === 2 ? u16(mp, 0) : undefined;
    this.timerAt = undefined;
    this.sessionId = p.sessionId;
    this.s = SESSION;
    this.cookie = undefined;
    this.hostUniq = undefined;
    count(this.counters, 'session.up');
    this.emit({ type: 'session-up', sessionId: p.sessionId, ac: this.ac!, maxPayload: this.maxPayload });
  }

  /** Ends the session from our side (PADT, RFC 2516 §5.5). */
  terminate(message?: string): void {
    if (this.s !== SESSION) return;
    const tags: PppoeTag[] = [];
    if (this.relay) tags.push({ type: PppoeTagType.RELAY_SESSION_ID, data: this.relay });
    if (message !== undefined) tags.push({ type: PppoeTagType.GENERIC_ERROR, data: textBytes(message) });
    this.push({ dst: this.ac!, packet: { code: PppoeCode.PADT, sessionId: this.sessionId, tags } });
    this.s = TERMINATED;
    count(this.counters, 'padt.out');
  }

  private fail(reason: string): void {
    this.s = FAILED;
    this.timerAt = undefined;
    count(this.counters, `failed.${reason}`);
    this.emit({ type: 'failed', reason });
  }

  private drop(reason: string): void {
    count(this.counters, `drop.${reason}`);
  }

  private push(t: ClientTransmit): void {
    (this.tx ??= []).push(t);
  }
  private emit(e: ClientEvent): void {
    (this.events ??= []).push(e);
  }

  pollTransmit(): ClientTransmit | undefined {
    const q = this.tx;
    if (!q) return undefined;
    const m = q.shift();
    if (q.length === 0) this.tx = undefined;
    return m;
  }

  pollEvent(): ClientEvent | undefined {
    const q = this.events;
    if (!q) return undefined;
    const e = q.shift();
    if (q.length === 0) this.events = undefined;
    return e;
  }
}

/** Encoded Service-Names, shared by every client asking for the same one (never modified). */
const SERVICE_BYTES = new Map<string, Uint8Array>();
function serviceBytes(name: string): Uint8Array {
  let b = SERVICE_BYTES.get(name);
  if (!b) SERVICE_BYTES.set(name, (b = textBytes(name)));
  return b;
}

function findTag(tags: readonly PppoeTag[], type: number): Uint8Array | undefined {
  for (const t of tags) if (t.type === type) return t.data;
  return undefined;
}
