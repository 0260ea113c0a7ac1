/**
 * What `pseudonet load` measures, in bounded memory: log-bucket histograms (no sample is
 * kept), a frame tap that reads only the few header bytes each phase needs, time per box
 * around the box methods a driver calls, and the crypto floor — the hashes, HMACs and
 * random draws one session needs across every box, timed alone with the project's primitives.
 */
import { randomBytes } from 'node:crypto';
import { hmacSha256, hmacSha256Key } from '../wire/sha256.js';
import { performance } from 'node:perf_hooks';
import { Driver, type Box } from '../roles/box.js';
import { chapMd5Response } from '../wire/chap.js';
import { md5Into } from '../wire/md5.js';
import { textBytes } from '../wire/bytes.js';
import { cryptoRandom } from '../proto/ppp-common.js';
import {
  checkChapPassword, checkMessageAuthenticator, chapPasswordValue, decryptTunnelPassword, encryptTunnelPassword, hideUserPassword, messageAuthenticatorAttr,
  revealUserPassword, signPacket, verifyRequestAuthenticator, verifyResponseAuthenticator,
} from '../wire/radius-crypto.js';
import { radiusPacket, textAttr, octetsAttr, intAttr, ipv4Attr, RadiusCode, A } from '../wire/radius.js';
import { encode } from '../wire/result.js';

// ---- histograms ----------------------------------------------------------------------

/** Sub-buckets per power of two: a quantile is within ~2.2 % of the true value. */
const SUB = 32;
/** Values from 1 µs to 2^40 µs (12 days) in ms; below 1 µs is bucket 0. */
const OCTAVES = 40;

/** An HDR-style histogram of milliseconds: log2 buckets with SUB linear steps each, exact count, sum and max. */
export class Histogram {
  private readonly b = new Float64Array(OCTAVES * SUB + 1);
  count = 0;
  sum = 0;
  max = 0;
  min = Infinity;

  add(ms: number): void {
    if (!(ms >= 0)) return; // NaN (an unset start) or a clock step back: not a sample
    this.count++;
    this.sum += ms;
    if (ms > this.max) this.max = ms;
    if (ms < this.min) this.min = ms;
    this.b[bucketOf(ms)]!++;
  }

  /** The value at quantile q (0..1): the middle of the bucket holding it, never above the max. */
  quantile(q: number): number {
    if (this.count === 0) return 0;
    const rank = Math.max(1, Math.ceil(q * this.count));
    let seen = 0;
    for (let i = 0; i < this.b.length; i++) {
      seen += this.b[i]!;
      if (seen >= rank) return Math.min(this.max, Math.max(this.min, bucketMid(i)));
    }
    return this.max;
  }

  /** Non-empty buckets as [low ms, high ms, count] (for the report's distributions). */
  buckets(): [number, number, number][] {
    const out: [number, number, number][] = [];
    for (let i = 0; i < this.b.length; i++) if (this.b[i]) out.push([bucketLow(i), bucketLow(i + 1), this.b[i]!]);
    return out;
  }
}

function bucketOf(ms: number): number {
  const us = ms * 1000;
  if (us < 1) return 0;
  const i = Math.floor(Math.log2(us) * SUB) + 1;
  return Math.min(i, OCTAVES * SUB);
}

function bucketLow(i: number): number {
  return i === 0 ? 0 : 2 ** ((i - 1) / SUB) / 1000;
}

function bucketMid(i: number): number {
  return i === 0 ? 0 : (bucketLow(i) + bucketLow(i + 1)) / 2;
}

/** Counts per time slot (ms from the start); when it would exceed `maxSlots` the slots merge pairwise (width doubles). */
export class Timeline {
  slotMs: number;
  counts: number[] = [];

  constructor(slotMs: number, private readonly maxSlots = 2048) {
    this.slotMs = slotMs;
  }

  add(msFromStart: number, n = 1): void {
    let i = Math.floor(Math.max(0, msFromStart) / this.slotMs);
    while (i >= this.maxSlots) {
      const merged: number[] = [];
      for (let k = 0; k < this.counts.length; k += 2) merged.push((this.counts[k] ?? 0) + (this.counts[k + 1] ?? 0));
      this.counts = merged;
      this.slotMs *= 2;
      i = Math.floor(Math.max(0, msFromStart) / this.slotMs);
    }
    while (this.counts.length <= i) this.counts.push(0);
    this.counts[i]! += n;
  }
}

// ---- the phases ----------------------------------------------------------------------

export const PHASES = ['discovery', 'lcp', 'auth', 'lookup+tunnel+call', 'radius', 'ipcp', 'accounting-start'] as const;
export type PhaseName = (typeof PHASES)[number];

const ETH_PPPOE_DISCOVERY = 0x8863;
const ETH_PPPOE_SESSION = 0x8864;
const ETH_VLAN = 0x8100;
const PADI = 0x09;
const PADS = 0x65;
const PPP_CHAP = 0xc223;
const CHAP_CHALLENGE = 1;
const CHAP_RESPONSE = 2;
const CHAP_SUCCESS = 3;
/** Role byte of generated home MACs, 02:10:II:II:II:II (src/config/assemble.ts MAC_ROLE.home). */
const HOME_ROLE = 0x10;

const enum Home {
  IDLE = 0,
  SETUP = 1,
  ONLINE = 2,
  FAILED = 3,
}

/**
 * Per-home times of one setup attempt, in typed arrays sized once (index = the home's number,
 * the low 32 bits of its MAC), and a histogram per phase. The access-link tap reads the
 * Ethernet type, the PPPoE code or the PPP protocol and the CHAP code — nothing else.
 */
export class SetupTracker {
  readonly phases: Record<PhaseName, Histogram>;
  readonly setup = new Histogram();
  /** Wall-clock setup times (performance.now), kept beside the run clock's. */
  readonly setupWall = new Histogram();
  readonly failed = new Map<string, number>();
  online = 0;
  started = 0;
  inSetup = 0;
  maxInSetup = 0;
  firstStartAt = NaN;
  lastOnlineAt = NaN;
  firstStartWall = NaN;
  lastOnlineWall = NaN;
  /** Online transitions per wall-clock slot (ms from the first start). */
  readonly onlineOverTime = new Timeline(100);
  readonly startedOverTime = new Timeline(100);
  /** Most starts in one run-clock second, seconds counted from the first start (the --rate check). */
  maxStartsPerSecond = 0;
  private startSecond = -1;
  private startsThisSecond = 0;
  /** RADIUS requests in flight by (segment, client port, identifier): first send time; bounded by 256 per client port. */
  private readonly radiusPending = new Map<number, number>();
  private readonly acctPending = new Map<number, number>();
  /** Frames the tap could not give to a known home (other MACs, short frames). */
  readonly tap = { frames: 0, foreign: 0 };

  private readonly state: Uint8Array;
  private readonly reason: Uint16Array;
  private readonly reasons: string[] = [''];
  private readonly tStart: Float64Array;
  private readonly tStartWall: Float64Array;
  private readonly tPads: Float64Array;
  private readonly tChallenge: Float64Array;
  private readonly tResponse: Float64Array;
  private readonly tSuccess: Float64Array;

  constructor(readonly homes: number) {
    const n = homes + 1;
    this.state = new Uint8Array(n);
    this.reason = new Uint16Array(n);
    const f = (): Float64Array => new Float64Array(n).fill(NaN);
    this.tStart = f();
    this.tStartWall = f();
    this.tPads = f();
    this.tChallenge = f();
    this.tResponse = f();
    this.tSuccess = f();
    this.phases = Object.fromEntries(PHASES.map((p) => [p, new Histogram()])) as Record<PhaseName, Histogram>;
  }

  /** Home `i` (1-based) dials: PADI goes out now. */
  started1(i: number, now: number): void {
    const wall = performance.now();
    if (this.started === 0) {
      this.firstStartAt = now;
      this.firstStartWall = wall;
    }
    this.started++;
    this.inSetup++;
    if (this.inSetup > this.maxInSetup) this.maxInSetup = this.inSetup;
    this.state[i] = Home.SETUP;
    this.tStart[i] = now;
    this.tStartWall[i] = wall;
    this.tPads[i] = this.tChallenge[i] = this.tResponse[i] = this.tSuccess[i] = NaN;
    this.startedOverTime.add(wall - this.firstStartWall);
    const sec = Math.floor((now - this.firstStartAt) / 1000 + 1e-9);
    if (sec !== this.startSecond) {
      this.startSecond = sec;
      this.startsThisSecond = 0;
    }
    if (++this.startsThisSecond > this.maxStartsPerSecond) this.maxStartsPerSecond = this.startsThisSecond;
  }

  /** The home's own `online` event (IPCP up). Counts a home once however often it comes up. */
  online1(i: number, now: number): void {
    const s = this.state[i];
    if (s === Home.ONLINE || s === Home.IDLE || s === undefined) return;
    const wall = performance.now();
    if (s === Home.SETUP) this.inSetup--;
    else this.unfail(i);
    this.state[i] = Home.ONLINE;
    this.online++;
    this.lastOnlineAt = now;
    this.lastOnlineWall = wall;
    this.setup.add(now - this.tStart[i]!);
    this.setupWall.add(wall - this.tStartWall[i]!);
    this.phases.ipcp.add(now - this.tSuccess[i]!);
    this.onlineOverTime.add(wall - this.firstStartWall);
  }

  /** A setup ended without IPCP (discovery, authentication, LCP or the session failed). */
  failed1(i: number, reason: string): void {
    if (this.state[i] !== Home.SETUP) return;
    this.inSetup--;
    this.state[i] = Home.FAILED;
    let r = this.reasons.indexOf(reason);
    if (r < 0 && this.reasons.length < 0xffff) r = this.reasons.push(reason) - 1;
    this.reason[i] = Math.max(r, 0);
    this.failed.set(reason, (this.failed.get(reason) ?? 0) + 1);
  }

  private unfail(i: number): void {
    const r = this.reasons[this.reason[i]!] ?? '';
    const n = (this.failed.get(r) ?? 1) - 1;
    if (n > 0) this.failed.set(r, n);
    else this.failed.delete(r);
  }

  /** Homes still in setup at the end count as failed with `reason`. */
  settle(reason: string): void {
    for (let i = 1; i <= this.homes; i++) if (this.state[i] === Home.SETUP) this.failed1(i, reason);
  }

  /** Whether home `i` has dialled in this run. */
  seen(i: number): boolean {
    return this.state[i] !== undefined && this.state[i] !== Home.IDLE;
  }

  isOnline(i: number): boolean {
    return this.state[i] === Home.ONLINE;
  }

  /** The sse relays the call (its `relaying` event): lookup, tunnel and call are done for this home. */
  relaying(mac: string, now: number): void {
    const i = parseInt(mac.slice(6).replaceAll(':', ''), 16);
    if (mac.startsWith('02:10:') && this.state[i] === Home.SETUP) this.phases['lookup+tunnel+call'].add(now - this.tResponse[i]!);
  }

  /** Every frame on the access link: PADI/PADS, the CHAP Challenge, Response and Success, by home. */
  access(frame: Uint8Array, now: number): void {
    this.tap.frames++;
    if (frame.length < 16) return void this.tap.foreign++;
    let et = (frame[12]! << 8) | frame[13]!;
    let o = 14;
    if (et === ETH_VLAN && frame.length >= 20) {
      et = (frame[16]! << 8) | frame[17]!;
      o = 18;
    }
    // From a home (source MAC 02:10:...) or to one (destination MAC).
    const fromHome = frame[6] === 0x02 && frame[7] === HOME_ROLE;
    const at = fromHome ? 8 : 2;
    if (!fromHome && !(frame[0] === 0x02 && frame[1] === HOME_ROLE)) return void this.tap.foreign++;
    const i = ((frame[at]! << 24) | (frame[at + 1]! << 16) | (frame[at + 2]! << 8) | frame[at + 3]!) >>> 0;
    if (this.state[i] !== Home.SETUP) return;
    if (et === ETH_PPPOE_DISCOVERY) {
      const code = frame[o + 1];
      if (code === PADS && !fromHome && Number.isNaN(this.tPads[i]!)) {
        this.tPads[i] = now;
        this.phases.discovery.add(now - this.tStart[i]!);
      } else if (code === PADI && fromHome && Number.isNaN(this.tPads[i]!)) {
        // A PADI resent after a timeout still belongs to this attempt: the phase runs from the first.
      }
      return;
    }
    if (et !== ETH_PPPOE_SESSION || frame.length < o + 10) return;
    const proto = (frame[o + 6]! << 8) | frame[o + 7]!;
    if (proto !== PPP_CHAP) return;
    const code = frame[o + 8];
    if (code === CHAP_CHALLENGE && !fromHome && Number.isNaN(this.tChallenge[i]!)) {
      this.tChallenge[i] = now;
      this.phases.lcp.add(now - this.tPads[i]!);
    } else if (code === CHAP_RESPONSE && fromHome && Number.isNaN(this.tResponse[i]!)) {
      this.tResponse[i] = now;
    } else if (code === CHAP_SUCCESS && !fromHome && Number.isNaN(this.tSuccess[i]!)) {
      this.tSuccess[i] = now;
      this.phases.auth.add(now - this.tResponse[i]!);
    }
  }

  /**
   * Every frame on an LNS's RADIUS link (`seg` numbers the link): Access-Request → Accept/Reject
   * and Accounting-Request (Acct-Status-Type Start) → Accounting-Response, matched by the
   * client's UDP port and the RADIUS Identifier; a retransmission keeps the first send time.
   */
  radius(seg: number, frame: Uint8Array, now: number): void {
    if (frame.length < 14 + 20 + 8 + 20 || frame[12] !== 0x08 || frame[13] !== 0x00) return;
    const ihl = (frame[14]! & 0x0f) * 4;
    if (frame[14 + 9] !== 17) return;
    const u = 14 + ihl;
    const r = u + 8;
    if (frame.length < r + 20) return;
    const src = (frame[u]! << 8) | frame[u + 1]!;
    const dst = (frame[u + 2]! << 8) | frame[u + 3]!;
    const code = frame[r]!;
    const id = frame[r + 1]!;
    const request = code === RadiusCode.ACCESS_REQUEST || code === RadiusCode.ACCOUNTING_REQUEST;
    const key = seg * 2 ** 26 + (code === RadiusCode.ACCOUNTING_REQUEST || code === RadiusCode.ACCOUNTING_RESPONSE ? 2 ** 25 : 0) + (request ? src : dst) * 256 + id;
    switch (code) {
      case RadiusCode.ACCESS_REQUEST:
        if (!this.radiusPending.has(key)) this.radiusPending.set(key, now);
        return;
      case RadiusCode.ACCESS_ACCEPT:
      case RadiusCode.ACCESS_REJECT: {
        const t = this.radiusPending.get(key);
        if (t !== undefined) {
          this.radiusPending.delete(key);
          this.phases.radius.add(now - t);
        }
        return;
      }
      case RadiusCode.ACCOUNTING_REQUEST:
        if (acctStatusType(frame, r) === 1 && !this.acctPending.has(key)) this.acctPending.set(key, now);
        return;
      case RadiusCode.ACCOUNTING_RESPONSE: {
        const t = this.acctPending.get(key);
        if (t !== undefined) {
          this.acctPending.delete(key);
          this.phases['accounting-start'].add(now - t);
        }
        return;
      }
      default:
        return;
    }
  }
}

/** Acct-Status-Type (40) of the RADIUS packet at `r`, or undefined. */
function acctStatusType(b: Uint8Array, r: number): number | undefined {
  const end = Math.min(b.length, r + ((b[r + 2]! << 8) | b[r + 3]!));
  for (let a = r + 20; a + 2 <= end; ) {
    const len = b[a + 1]!;
    if (len < 2) return undefined;
    if (b[a] === A.ACCT_STATUS_TYPE && len === 6 && a + 6 <= end) return ((b[a + 2]! << 24) | (b[a + 3]! << 16) | (b[a + 4]! << 8) | b[a + 5]!) >>> 0;
    a += len;
  }
  return undefined;
}

// ---- time per box --------------------------------------------------------------------

/** The Driver methods through which every call into a box passes. */
const TIMED = ['input', 'receive', 'act', 'kick', 'onTimer'] as const;

/**
 * Time per box: wraps the methods of Driver (src/roles/box.ts) through which every call into
 * a box goes (a frame in, a command, a timer, moving its output), once on the prototype, not
 * per box (a closure per home would land in the heap figure), with `performance.now()` around
 * the outermost call only, summed by group: every home in "homes", other boxes by name.
 * Timing at the driver instead of each box method (handleFrame, pollTransmit, pollEvent,
 * nextTimeout...) takes two clock reads per frame instead of a dozen, so the run measured is
 * nearly the run unmeasured. `restore()` puts the prototype back. In one process the thread
 * time inside a box is its CPU time, GC pauses included where they strike.
 */
export class BoxTimes {
  private readonly group = new Map<object, { ms: number; name: string }>();
  private readonly homes = { ms: 0, name: 'homes' };
  private readonly undo: (() => void)[] = [];

  constructor(boxes: Iterable<Box<string, unknown>>) {
    for (const b of boxes) if (b.kind !== 'home') this.group.set(b, { ms: 0, name: b.name });
    const homes = this.homes;
    const group = this.group;
    const other = { ms: 0, name: 'other' };
    const proto = Driver.prototype as unknown as Record<string, unknown>;
    let depth = 0;
    for (const m of TIMED) {
      const orig = proto[m] as (this: Driver, a: unknown, b: unknown) => unknown;
      proto[m] = function timed(this: Driver, a: unknown, b: unknown): unknown {
        if (depth > 0) return orig.call(this, a, b);
        depth = 1;
        const t0 = performance.now();
        try {
          return orig.call(this, a, b);
        } finally {
          depth = 0;
          const box = this.box;
          (box.kind === 'home' ? homes : (group.get(box) ?? other)).ms += performance.now() - t0;
        }
      };
      this.undo.push(() => {
        proto[m] = orig;
      });
    }
  }

  /** Seconds by group (homes summed). */
  seconds(): Record<string, number> {
    const out: Record<string, number> = { homes: this.homes.ms / 1000 };
    for (const g of this.group.values()) out[g.name] = (out[g.name] ?? 0) + g.ms / 1000;
    return out;
  }

  total(): number {
    let s = this.homes.ms;
    for (const g of this.group.values()) s += g.ms;
    return s / 1000;
  }

  restore(): void {
    for (const u of this.undo.splice(0)) u();
  }
}

// ---- the crypto floor ----------------------------------------------------------------

/** One line of the per-session crypto bill: which box does what, and how many of each primitive. */
export interface CryptoLine {
  readonly box: string;
  readonly what: string;
  readonly md5?: number;
  readonly hmacMd5?: number;
  readonly hmacSha256?: number;
  /** Random draws and their octets. */
  readonly random?: readonly number[];
}

/**
 * What one session costs in cryptography across all boxes on the default topology's path
 * (carrier RADIUS lookup, proxy LCP and CHAP accepted, embedded ISP RADIUS), read from the
 * code: src/proto/pppoe-ac.ts (cookie), ppp-auth.ts and lcp.ts (challenge, magic),
 * radius-client.ts / roles/radius-server.ts (authenticators, Message-Authenticator,
 * passwords), l2tp.ts (session ids). The L2TP tunnel's challenge/response is per tunnel and
 * amortised over the sessions that share it (`PER_TUNNEL`).
 */
export const CRYPTO_PER_SESSION: readonly CryptoLine[] = [
  { box: 'home', what: 'PPPoE Host-Uniq, LCP Magic-Number', random: [4, 4] },
  { box: 'home', what: 'CHAP-MD5 Response (RFC 1994)', md5: 1 },
  { box: 'sse', what: 'AC-Cookie HMAC-SHA256: made for the PADO, checked on the PADR', hmacSha256: 2 },
  { box: 'sse', what: 'LCP Magic-Number, CHAP Identifier and Challenge, L2TP session id', random: [4, 1, 16, 2] },
  { box: 'sse', what: 'lookup Access-Request: random Request Authenticator, User-Password hidden, Message-Authenticator', md5: 1, hmacMd5: 1, random: [16] },
  { box: 'carrier-radius', what: 'lookup: Message-Authenticator check, User-Password revealed, Tunnel-Password encrypted (salt), Accept signed (Message-Authenticator + Response Authenticator)', md5: 3, hmacMd5: 2, random: [2] },
  { box: 'sse', what: 'lookup Accept: Response Authenticator and Message-Authenticator checked, Tunnel-Password decrypted', md5: 2, hmacMd5: 1 },
  { box: 'nte', what: 'Access-Request (CHAP Challenge as Request Authenticator): Message-Authenticator; L2TP session id', hmacMd5: 1, random: [2] },
  { box: 'isp-radius', what: 'Message-Authenticator check, CHAP-Password check, Accept signed', md5: 2, hmacMd5: 2, random: [2] },
  { box: 'nte', what: 'Accept: Response Authenticator and Message-Authenticator checked', md5: 1, hmacMd5: 1 },
  { box: 'nte', what: 'Accounting-Request Start signed (Message-Authenticator + Request Authenticator)', md5: 1, hmacMd5: 1 },
  { box: 'isp-radius', what: 'Accounting-Request checked, Accounting-Response signed', md5: 2, hmacMd5: 2 },
  { box: 'nte', what: 'Accounting-Response checked', md5: 1, hmacMd5: 1 },
];

/** Per tunnel (RFC 2661 §5.1.1 challenge/response both ways; ids and challenges drawn). */
export const PER_TUNNEL: CryptoLine = { box: 'sse+nte', what: 'L2TP tunnel: two Challenges, two Challenge Responses made and checked, tunnel ids', md5: 4, random: [16, 16, 2, 2] };

export interface CryptoOps {
  md5: number;
  hmacMd5: number;
  hmacSha256: number;
  randomDraws: number;
  randomOctets: number;
  perTunnel: { md5: number; randomDraws: number; sessionsPerTunnel: number };
  lines: readonly CryptoLine[];
}

export function cryptoOps(sessionsPerTunnel: number): CryptoOps {
  const sum = (k: 'md5' | 'hmacMd5' | 'hmacSha256'): number => CRYPTO_PER_SESSION.reduce((n, l) => n + (l[k] ?? 0), 0);
  const draws = CRYPTO_PER_SESSION.flatMap((l) => l.random ?? []);
  return {
    md5: sum('md5'),
    hmacMd5: sum('hmacMd5'),
    hmacSha256: sum('hmacSha256'),
    randomDraws: draws.length,
    randomOctets: draws.reduce((a, b) => a + b, 0),
    perTunnel: { md5: PER_TUNNEL.md5!, randomDraws: PER_TUNNEL.random!.length, sessionsPerTunnel },
    lines: CRYPTO_PER_SESSION,
  };
}

/**
 * Sessions per second if a session cost nothing but its cryptography: the bill above run
 * for real in a tight loop (real packets of the sizes the chain sends, signed and checked
 * with src/wire/radius-crypto.ts and src/wire/md5.ts, HMAC-SHA256 with src/wire/sha256.ts, every
 * random draw from the project's pooled `cryptoRandom` as every box draws them), for `ms` of
 * wall time. The constant inputs are made before the loop, so that only the cryptography is
 * timed (an unpooled `randomBytes` per RADIUS and L2TP draw and a Buffer per input once
 * made the floor about a third lower than the boxes' own cryptography).
 */
export function cryptoFloor(sessionsPerTunnel: number, ms = 400): number {
  const secret = 'load-radius-secret';
  const user = 'user12345@isp-a.example';
  const password = 'load-secret';
  const cookieKey = hmacSha256Key(new Uint8Array(randomBytes(32)));
  const mac = new Uint8Array([2, 0x10, 0, 0, 0x30, 0x39]);
  const bucket = new Uint8Array(4);
  const cookieInput = [mac, bucket];
  const cookieTag = new Uint8Array(32);
  const challenge = new Uint8Array(randomBytes(16));
  const chapPassword = chapPasswordValue(7, password, challenge);
  const lookupReq = encode(radiusPacket, { code: RadiusCode.ACCESS_REQUEST, identifier: 1, authenticator: new Uint8Array(randomBytes(16)), attributes: [messageAuthenticatorAttr(), textAttr(A.USER_NAME, user), octetsAttr(A.USER_PASSWORD, new Uint8Array(16)), ipv4Attr(A.NAS_IP_ADDRESS, 0xc00002fe), intAttr(A.NAS_PORT_TYPE, 5)] });
  const reqAuth = lookupReq.subarray(4, 20);
  const tunnelPw = encryptTunnelPassword(new Uint8Array(Buffer.from('l2tpsecret-a')), secret, reqAuth, 0x8001);
  const lookupAccept = encode(radiusPacket, { code: RadiusCode.ACCESS_ACCEPT, identifier: 1, authenticator: new Uint8Array(16), attributes: [messageAuthenticatorAttr(), octetsAttr(64, new Uint8Array([1, 0, 0, 3])), octetsAttr(65, new Uint8Array([1, 0, 0, 1])), octetsAttr(67, new Uint8Array(Buffer.from('\x01192.0.2.1'))), octetsAttr(69, new Uint8Array([1, ...tunnelPw]))] });
  const accessReq = encode(radiusPacket, { code: RadiusCode.ACCESS_REQUEST, identifier: 2, authenticator: challenge, attributes: [messageAuthenticatorAttr(), textAttr(A.USER_NAME, user), octetsAttr(A.CHAP_PASSWORD, chapPassword), ipv4Attr(A.NAS_IP_ADDRESS, 0xc0000201), intAttr(A.NAS_PORT_TYPE, 5), intAttr(A.SERVICE_TYPE, 2), intAttr(A.FRAMED_PROTOCOL, 1)] });
  const accept = encode(radiusPacket, { code: RadiusCode.ACCESS_ACCEPT, identifier: 2, authenticator: new Uint8Array(16), attributes: [messageAuthenticatorAttr(), intAttr(A.SERVICE_TYPE, 2), intAttr(A.FRAMED_PROTOCOL, 1), ipv4Attr(A.FRAMED_IP_ADDRESS, 0x0a000002)] });
  const acctReq = encode(radiusPacket, { code: RadiusCode.ACCOUNTING_REQUEST, identifier: 3, authenticator: new Uint8Array(16), attributes: [messageAuthenticatorAttr(), intAttr(A.ACCT_STATUS_TYPE, 1), textAttr(A.ACCT_SESSION_ID, '0000000100000001'), textAttr(A.USER_NAME, user), ipv4Attr(A.NAS_IP_ADDRESS, 0xc0000201), ipv4Attr(A.FRAMED_IP_ADDRESS, 0x0a000002), intAttr(A.NAS_PORT_TYPE, 5)] });
  const acctResp = encode(radiusPacket, { code: RadiusCode.ACCOUNTING_RESPONSE, identifier: 3, authenticator: new Uint8Array(16), attributes: [messageAuthenticatorAttr()] });
  const tunnelChallenge = new Uint8Array(16);
  const digest = new Uint8Array(16);
  // The constant inputs made once: the loop times the cryptography, not the making of its inputs.
  const passwordBytes = textBytes(password);
  const lookupPassword = textBytes('lookup');
  const l2tpSecret = textBytes('l2tpsecret-a');
  const tunnelAuthInput = [new Uint8Array([2]), l2tpSecret, tunnelChallenge];
  const pwAt = 20 + 18 + 2 + user.length + 2;
  let sink = 0;
  const session = (k: number): void => {
    // home
    cryptoRandom(4);
    cryptoRandom(4);
    sink ^= chapMd5Response(7, passwordBytes, challenge)[0]!;
    // sse: the AC-Cookie made (PADO) and checked (PADR)
    bucket[3] = k & 0xff;
    for (let c = 0; c < 2; c++) {
      hmacSha256(cookieKey, cookieInput, cookieTag);
      sink ^= cookieTag[0]!;
    }
    cryptoRandom(4);
    cryptoRandom(1);
    cryptoRandom(16);
    cryptoRandom(2);
    // sse → carrier RADIUS → sse
    lookupReq.set(cryptoRandom(16), 4);
    lookupReq.set(hideUserPassword(lookupPassword, secret, reqAuth), pwAt);
    signPacket(lookupReq, secret);
    sink ^= checkMessageAuthenticator(lookupReq, secret) === 'valid' ? 1 : 0;
    const pw = revealUserPassword(lookupReq.subarray(pwAt, pwAt + 16), secret, reqAuth);
    sink ^= pw.ok ? 1 : 0;
    sink ^= encryptTunnelPassword(l2tpSecret, secret, reqAuth, 0x8000 | (k & 0x7fff))[0]!;
    cryptoRandom(2);
    signPacket(lookupAccept, secret, reqAuth);
    sink ^= verifyResponseAuthenticator(lookupAccept, secret, reqAuth) ? 1 : 0;
    sink ^= checkMessageAuthenticator(lookupAccept, secret, reqAuth) === 'valid' ? 1 : 0;
    sink ^= decryptTunnelPassword(tunnelPw, secret, reqAuth).ok ? 1 : 0;
    // nte → ISP RADIUS → nte
    cryptoRandom(2);
    signPacket(accessReq, secret);
    sink ^= checkMessageAuthenticator(accessReq, secret) === 'valid' ? 1 : 0;
    sink ^= checkChapPassword(chapPassword, password, challenge) ? 1 : 0;
    cryptoRandom(2);
    signPacket(accept, secret, challenge);
    sink ^= verifyResponseAuthenticator(accept, secret, challenge) ? 1 : 0;
    sink ^= checkMessageAuthenticator(accept, secret, challenge) === 'valid' ? 1 : 0;
    // Accounting Start, both ways
    signPacket(acctReq, secret);
    sink ^= verifyRequestAuthenticator(acctReq, secret) ? 1 : 0;
    sink ^= checkMessageAuthenticator(acctReq, secret) === 'valid' ? 1 : 0;
    const ra = acctReq.subarray(4, 20);
    signPacket(acctResp, secret, ra);
    sink ^= verifyResponseAuthenticator(acctResp, secret, ra) ? 1 : 0;
    sink ^= checkMessageAuthenticator(acctResp, secret, ra) === 'valid' ? 1 : 0;
    // The tunnel's share.
    if (k % Math.max(1, sessionsPerTunnel) === 0) {
      for (let c = 0; c < 2; c++) tunnelChallenge.set(cryptoRandom(16));
      cryptoRandom(2);
      cryptoRandom(2);
      for (let c = 0; c < 4; c++) md5Into(tunnelAuthInput, digest);
      sink ^= digest[0]!;
    }
  };
  for (let k = 0; k < 200; k++) session(k);
  let n = 0;
  const t0 = performance.now();
  let t = t0;
  while (t - t0 < ms) {
    for (let k = 0; k < 64; k++) session(n++);
    t = performance.now();
  }
  if (sink === -1) process.stdout.write(''); // keeps the results observed
  return n / ((t - t0) / 1000);
}
