/**
 * The embedded RADIUS server, sans-IO: Access-Requests (PAP, CHAP-MD5) answered from the
 * configured users and realms (RFC 2865, tagged tunnels of RFC 2868), Accounting-Requests
 * turned into records (RFC 2866), Status-Server (RFC 5997). Requests from unknown clients or
 * with a wrong authenticator are silently discarded and counted (RFC 2865 §3); a
 * Message-Authenticator is required from clients by default (BlastRADIUS) and always sent.
 * A retransmitted request (same source, port, id, authenticator) gets the cached answer; the
 * cache is bounded overall and per source, so no flood grows memory. A pool address belongs
 * to one session at a time: leased per session, back at its Stop or when its lease expires.
 */
import { cryptoRandom } from '../proto/ppp-common.js';
import { Fifo } from '../proto/fifo.js';
import { timingSafeEqual } from 'node:crypto';
import { md5Context } from '../wire/md5.js';
import { bytesText, hex, ipv4FromString, ipv4ToString, textBytes, u16, u32 } from '../wire/bytes.js';
import {
  A, F as RF, HEADER_LENGTH, RadiusCode, ServiceType, FramedProtocol, decodeAttribute, decodeValueOf, emitProblem, ATTRIBUTES, getAttr, getInt, intAttr, ipv4Attr, isVendorSpecific, radiusPacket,
  type RadiusAttribute, type RadiusPacket, type DecodedValue,
} from '../wire/radius.js';
import {
  checkChapPassword, checkMessageAuthenticator, messageAuthenticatorAttr, revealUserPassword, signPacket, verifyRequestAuthenticator,
} from '../wire/radius-crypto.js';
import { ipv6PrefixFromString } from '../proto/prefix-pool6.js';
import { accessReplyAttributes, tunnelAttributes, type TunnelSpec } from '../proto/radius-attributes.js';
import { poolRanges, tunnelMediumNumber, tunnelTypeNumber, type RadiusServerConfig, type RadiusServerRealm, type RadiusServerUser } from './radius-server-config.js';
import { TimerQueue } from '../proto/timer-queue.js';
import { AcctStatusType } from '../wire/radius-dictionary.js';

export type RadiusService = 'auth' | 'acct';

export interface ServerDatagram {
  readonly service: RadiusService;
  readonly address: string;
  readonly port: number;
  readonly bytes: Uint8Array;
}

/** One accounting record as written to the JSON-lines log. */
export interface AccountingLine {
  readonly at: number;
  readonly client: string;
  readonly statusType: number | string;
  readonly sessionId?: string;
  readonly userName?: string;
  readonly sessionTime?: number;
  readonly inputOctets?: number;
  readonly outputOctets?: number;
  readonly inputPackets?: number;
  readonly outputPackets?: number;
  readonly terminateCause?: number | string;
  readonly framedIpAddress?: string;
  readonly delayTime?: number;
  /** Every attribute by dictionary name (octets as hex). */
  readonly attributes: Record<string, DecodedValue | DecodedValue[]>;
}

export type RadiusServerEvent =
  | { readonly type: 'accounting'; readonly line: AccountingLine }
  | { readonly type: 'auth'; readonly client: string; readonly userName: string; readonly accepted: boolean; readonly reason: string };

export type RadiusServerDrop =
  | 'unknown-client'
  | 'short'
  | 'malformed'
  | 'wrong-service'
  | 'bad-authenticator'
  | 'bad-message-authenticator'
  | 'missing-message-authenticator'
  | 'no-credentials'
  | 'response-too-large';

interface Client {
  readonly name: string;
  readonly network: number;
  readonly mask: number;
  readonly secret: string;
  readonly requireMa: boolean;
}

/** The answers cached for one source address (RFC 5080 §2.2.2), in a chain oldest first. */
interface Source {
  readonly address: string;
  /** port * 512 + id * 2 + (acct ? 1 : 0) → the answer. */
  readonly cache: Map<number, Cached>;
  oldest: Cached | undefined;
  newest: Cached | undefined;
}

/**
 * One answer for retransmissions: `bytes` holds the response (`length` octets) followed by
 * the request's authenticator (16), one buffer instead of two per answer. It is linked into
 * two chains, oldest first: the server's (expiry, the overall bound) and its source's (the
 * per-source bound). An answer leaves from the middle when a request replaces it or its
 * source evicts it; a chain unlinks it in O(1), and the oldest is always at hand. (A Set or
 * Map walked from the front is not: V8 keeps a deleted entry as a hole until the table is
 * rebuilt, and every walk steps over all of them.)
 */
interface Cached {
  readonly source: Source;
  readonly key: number;
  readonly bytes: Uint8Array;
  readonly length: number;
  readonly at: number;
  older: Cached | undefined;
  newer: Cached | undefined;
  olderHere: Cached | undefined;
  newerHere: Cached | undefined;
}

/**
 * Cached answers live a few seconds and leave oldest first, so they are cut from slabs of
 * their own: a slab is freed once its last answer is, and an answer costs its octets, not a
 * buffer of its own (about 100 bytes more each).
 */
const CACHE_SLAB = 16384;
let cacheSlab = new Uint8Array(CACHE_SLAB);
let cacheSlabAt = 0;
function cacheBytes(n: number): Uint8Array {
  if (n > 1024) return new Uint8Array(n);
  if (cacheSlabAt + n > CACHE_SLAB) {
    cacheSlab = new Uint8Array(CACHE_SLAB);
    cacheSlabAt = 0;
  }
  const b = cacheSlab.subarray(cacheSlabAt, cacheSlabAt + n);
  cacheSlabAt += n;
  return b;
}

function sameRequest(c: Cached, packet: Uint8Array): boolean {
  const a = c.bytes, o = c.length;
  let d = 0;
  for (let i = 0; i < 16; i++) d |= a[o + i]! ^ packet[RF.AUTHENTICATOR + i]!;
  return d === 0;
}

/**
 * One session's hold on a pool address. `key` names the session as the NAS does in its
 * Access-Request (see sessionKeys); the Acct-Session-Id is learnt from the first
 * accounting record, so a late Stop of the port's previous session frees nothing.
 */
interface Lease {
  readonly pool: Pool;
  readonly key: string;
  readonly address: number;
  user: string;
  sessionId: string | undefined;
  previousSessionId: string | undefined;
  /** Seconds between the session's Interim-Updates, when known (our reply, or seen). */
  interimSeconds: number | undefined;
  lastAccountingAt: number | undefined;
  expiresAt: number | undefined;
}

/**
 * Every field from the start and none ever deleted: a lease keeps its fast (in-object) shape
 * for the session's life instead of falling back to a dictionary (about 450 bytes more each).
 */
/** The NAS part of a lease key (see sessionKeys), for Accounting-On/Off: worked out then, not kept per lease. */
function nasOf(key: string): string {
  return key.slice(0, key.indexOf('\n'));
}

function newLease(pool: Pool, key: string, address: number, user: string): Lease {
  return { pool, key, address, user, sessionId: undefined, previousSessionId: undefined, interimSeconds: undefined, lastAccountingAt: undefined, expiresAt: undefined };
}

interface Pool {
  readonly name: string;
  readonly first: number;
  readonly last: number;
  /** Never leased: sorted, merged inclusive ranges. */
  readonly exclude: [number, number][];
  /** The next never-used address. */
  next: number;
  /** Addresses given back, oldest first (reused last, so a stale session's address waits longest). */
  freed: number[];
  freedHead: number;
  readonly byAddress: Map<number, Lease>;
}

/** A user's or a realm's answer: the user's own fields win over its realm's. */
interface Profile {
  readonly isUser: boolean;
  /** As configured (the topology's string: nothing kept per user), encoded when a request is checked. */
  readonly password?: string;
  readonly pool?: string;
  readonly interimSeconds?: number;
  /** Everything but the Message-Authenticator, a pool address and the tunnels. */
  readonly attributes: RadiusAttribute[];
  readonly tunnels: TunnelSpec[];
}

/**
 * Reply attributes by what they are made of: the users of a realm mostly share them (a
 * generated topology has one user per home), and a profile's attributes are never written to,
 * so one list serves them all instead of a few small buffers per user.
 */
type AttributeCache = Map<string, RadiusAttribute[]>;

function sharedAttributes(cache: AttributeCache, attributes: RadiusAttribute[]): RadiusAttribute[] {
  let key = '';
  for (const a of attributes) key += 'data' in a ? `${a.type}:${hex(a.data)};` : `${a.type}/${a.vendorId}:${a.vsas.map((v) => `${v.vendorType}=${hex(v.data)}`).join(',')};`;
  const seen = cache.get(key);
  if (seen) return seen;
  cache.set(key, attributes);
  return attributes;
}

/** The realm part of a user name (after the last @; the whole name without one), in lower case. */
function domainOf(userName: string): string {
  const at = userName.lastIndexOf('@');
  return (at >= 0 ? userName.slice(at + 1) : userName).toLowerCase();
}

/** An accounting record's fingerprint in the de-duplication window: its key, and when (ms after `acctEpoch`). */
interface AcctSeen {
  readonly key: string;
  readonly at: number;
}

/** The 16 digest octets as 8 UTF-16 code units: a Map key of 8 characters, not 32 hex ones. */
function digestKey(d: Uint8Array): string {
  return String.fromCharCode((d[0]! << 8) | d[1]!, (d[2]! << 8) | d[3]!, (d[4]! << 8) | d[5]!, (d[6]! << 8) | d[7]!, (d[8]! << 8) | d[9]!, (d[10]! << 8) | d[11]!, (d[12]! << 8) | d[13]!, (d[14]! << 8) | d[15]!);
}

/** A profile with no tunnel (a user of an ISP's own RADIUS): one frozen empty list for them all. */
const NO_TUNNELS: TunnelSpec[] = Object.freeze([]) as unknown as TunnelSpec[];

function profile(user: RadiusServerUser | undefined, realm: RadiusServerRealm | undefined, cache: AttributeCache = new Map()): Profile {
  const r = { ...realm, ...user };
  const fixedIp = user?.framedIp;
  const pool = user ? user.pool ?? (fixedIp === undefined ? realm?.pool : undefined) : realm?.pool;
  const password = user ? user.password : realm?.password;
  const attributes = [intAttr(A.SERVICE_TYPE, ServiceType.FRAMED), intAttr(A.FRAMED_PROTOCOL, FramedProtocol.PPP), ...accessReplyAttributes({
    ...(fixedIp === undefined ? {} : { framedIpAddress: ipv4FromString(fixedIp) }),
    ...(user?.framedIpv6Prefix === undefined ? {} : { framedIpv6Prefix: ipv6PrefixFromString(user.framedIpv6Prefix) }),
    ...(user?.delegatedIpv6Prefix === undefined ? {} : { delegatedIpv6Prefix: ipv6PrefixFromString(user.delegatedIpv6Prefix) }),
    dns: (r.dns ?? []).map(ipv4FromString),
    ...(r.sessionTimeout === undefined ? {} : { sessionTimeout: r.sessionTimeout }),
    ...(r.idleTimeout === undefined ? {} : { idleTimeout: r.idleTimeout }),
    ...(r.interimInterval === undefined ? {} : { acctInterimInterval: r.interimInterval }),
    ...(r.framedMtu === undefined ? {} : { framedMtu: r.framedMtu }),
    ...(r.replyMessage === undefined ? {} : { replyMessage: r.replyMessage }),
  })];
  const tunnels: TunnelSpec[] = !realm?.tunnels?.length ? NO_TUNNELS : realm.tunnels.map((t, i) => ({
    tag: i + 1,
    type: tunnelTypeNumber(t.type),
    mediumType: tunnelMediumNumber(t.medium),
    serverEndpoint: t.serverEndpoint,
    ...(t.clientEndpoint === undefined ? {} : { clientEndpoint: t.clientEndpoint }),
    ...(t.password === undefined ? {} : { password: textBytes(t.password) }),
    ...(t.assignmentId === undefined ? {} : { assignmentId: t.assignmentId }),
    ...(t.preference === undefined ? {} : { preference: t.preference }),
    ...(t.clientAuthId === undefined ? {} : { clientAuthId: t.clientAuthId }),
    ...(t.serverAuthId === undefined ? {} : { serverAuthId: t.serverAuthId }),
  }));
  return {
    isUser: user !== undefined,
    ...(password === undefined ? {} : { password }),
    ...(pool === undefined ? {} : { pool }),
    ...(r.interimInterval === undefined ? {} : { interimSeconds: r.interimInterval }),
    attributes: sharedAttributes(cache, attributes),
    tunnels,
  };
}

export interface RadiusServerOptions {
  readonly random?: (n: number) => Uint8Array;
  /** Emit an `auth` event per Access-Request (off for benchmarks). */
  readonly logAuth?: boolean;
}

export class RadiusServer {
  readonly counters = {
    accessRequests: 0,
    accessAccepts: 0,
    accessRejects: 0,
    accountingRequests: 0,
    accountingDuplicates: 0,
    statusServer: 0,
    duplicates: 0,
    /** Cached answers pushed out by the size bounds before their window ended. */
    duplicateCacheEvicted: 0,
    /** Accounting records forgotten by the de-duplication bound before their window ended. */
    accountingDedupEvicted: 0,
    poolExhausted: 0,
    leasesGranted: 0,
    leasesReleased: 0,
    /** Leases ended without a Stop: no Start in time, or Interim-Updates stopped coming. */
    leasesExpired: 0,
    /** Leases ended by the NAS's Accounting-On/Off (it restarted: none of its sessions live). */
    leasesReleasedByNas: 0,
    /** An expired lease taken back by its session's later accounting (the address was still free). */
    leasesRecovered: 0,
    /** Accounting for a pool address another session holds (counted, the holder keeps it). */
    leaseConflicts: 0,
    dropped: {
      'unknown-client': 0, short: 0, malformed: 0, 'wrong-service': 0, 'bad-authenticator': 0, 'bad-message-authenticator': 0,
      'missing-message-authenticator': 0, 'no-credentials': 0, 'response-too-large': 0,
    } as Record<RadiusServerDrop, number>,
  };

  private readonly clients: Client[];
  /** Source address → its client (or null), bounded: a flood of spoofed sources costs no memory. */
  private readonly clientOf = new Map<string, Client | null>();
  /** Sources that have cached answers. */
  private readonly sources = new Map<string, Source>();
  /** The chain of every cached answer, oldest first (time never goes back, so also the first to expire). */
  private oldestCached: Cached | undefined;
  private newestCached: Cached | undefined;
  private cachedCount = 0;
  /** What each user and each realm is answered with, built once from the configuration. */
  /**
   * A user whose answer is its domain's common one (a generated topology's every user) is its
   * password here, the answer in `userCommon`; a user with fields of its own has its own profile.
   */
  private readonly userProfiles = new Map<string, Profile | string>();
  /** By domain (lower case): the profile its plain users share, no password in it. */
  private readonly userCommon = new Map<string, Profile>();

  private readonly realmProfiles = new Map<string, Profile>();
  private readonly pools = new Map<string, Pool>();
  /** Session key → lease, across pools. */
  private readonly leaseByKey = new Map<string, Lease>();
  private readonly leaseTimers = new TimerQueue<Lease>();
  /** Accounting fingerprints of the duplicate window → when first seen. */
  private readonly acctSeen = new Map<string, AcctSeen>();
  /**
   * The same fingerprints in the order they were seen, for expiry and eviction. Not the Map's
   * own order: V8 leaves a deleted Map entry as a hole until the table is rebuilt, so finding
   * the oldest by iterating from the front walks every hole (the whole window, per request).
   */
  private readonly acctOrder = new Fifo<AcctSeen>();
  /** The time fingerprints are kept against (the first accounting request's): small integers, not boxed numbers. */
  private acctEpoch: number | undefined = undefined;
  /** The accounting record's fingerprint (MD5 of source and attributes), reused. */
  private readonly dedupDigest = new Uint8Array(16);
  private readonly transmits = new Fifo<ServerDatagram & { packet?: RadiusPacket }>();
  private readonly events = new Fifo<RadiusServerEvent>();
  private readonly random: (n: number) => Uint8Array;
  private readonly logAuth: boolean;

  /** The settings (windows, cache sizes, pools); the users are taken into their profiles and not kept besides. */
  readonly config: Omit<RadiusServerConfig, 'users'>;

  constructor(config: RadiusServerConfig, options: RadiusServerOptions = {}) {
    const { users: _users, ...settings } = config;
    this.config = settings;
    this.random = options.random ?? cryptoRandom; // pooled: a challenge or an authenticator costs no system call
    this.logAuth = options.logAuth ?? true;
    // Most specific prefix first.
    this.clients = config.clients
      .map((c) => {
        const [a, len] = c.address.split('/');
        const bits = Number(len ?? 32);
        const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
        return { name: c.name ?? c.address, network: (ipv4FromString(a!) & mask) >>> 0, mask, secret: c.secret, requireMa: c.requireMessageAuthenticator, bits };
      })
      .sort((x, y) => y.bits - x.bits);
    const realms = new Map(config.realms.map((r) => [r.domain.toLowerCase(), r]));
    for (const r of config.realms) this.realmProfiles.set(r.domain.toLowerCase(), profile(undefined, r));
    const cache: AttributeCache = new Map();
    /** Per domain, what makes a user's answer (its fields but name and password) for the shared profile. */
    const commonKey = new Map<string, string>();
    /** By domain: the user the shared profile was made from (named in a configuration error). */
    const commonFirst = new Map<string, string>();
    for (const u of config.users) {
      const domain = domainOf(u.name);
      const { name: _name, password, ...own } = u;
      const key = JSON.stringify(own);
      if (!commonKey.has(domain)) {
        const { password: _first, ...shared } = profile(u, realms.get(domain), cache);
        commonKey.set(domain, key);
        this.userCommon.set(domain, shared);
        commonFirst.set(domain, u.name);
      }
      this.userProfiles.set(u.name, commonKey.get(domain) === key ? password : profile(u, realms.get(domain), cache));
    }
    // Fixed addresses and DNS addresses are never a pool's to give.
    const reserved: [number, number][] = [];
    const reserve = (a: string) => reserved.push([ipv4FromString(a), ipv4FromString(a)]);
    for (const u of config.users) {
      if (u.framedIp !== undefined) reserve(u.framedIp);
      for (const d of u.dns ?? []) reserve(d);
    }
    for (const r of config.realms) for (const d of r.dns ?? []) reserve(d);
    for (const [name, spec] of Object.entries(config.pools)) {
      const { range: [first, last], exclude } = poolRanges(spec);
      this.pools.set(name, { name, first, last, exclude: mergeRanges([...exclude, ...reserved]), next: first, freed: [], freedHead: 0, byAddress: new Map() });
    }
    // An answer that cannot be encoded would throw on the first request that asks for it:
    // the configuration is refused here, at start, instead (long UTF-8 text, many tunnels).
    const answers: [string, Profile][] = [...this.realmProfiles.entries(), ...[...this.userCommon].map(([d, p]): [string, Profile] => [commonFirst.get(d)!, p])];
    for (const [name, p] of this.userProfiles) if (typeof p !== 'string') answers.push([name, p]);
    for (const [who, p] of answers) {
      const attrs = [messageAuthenticatorAttr(), ...p.attributes, ipv4Attr(A.FRAMED_IP_ADDRESS, 0), ipv4Attr(A.FRAMED_IP_NETMASK, 0)];
      try {
        attrs.push(...tunnelAttributes(p.tunnels, 'x', new Uint8Array(16), () => 0));
      } catch (e) {
        throw new RangeError(`RADIUS answer for "${who}": ${(e as Error).message}`);
      }
      const problem = emitProblem({ code: RadiusCode.ACCESS_ACCEPT, identifier: 0, authenticator: new Uint8Array(16), attributes: attrs });
      if (problem) throw new RangeError(`RADIUS answer for "${who}" cannot be encoded (${problem}): shorten its texts or give fewer tunnels`);
    }
  }

  // ---- sans-IO plumbing ---------------------------------------------------------------

  handle(d: ServerDatagram, now: number): void {
    const client = this.clientFor(d.address);
    if (!client) return void this.drop('unknown-client');
    const b = d.bytes;
    if (b.length < HEADER_LENGTH) return void this.drop('short');
    const len = u16(b, RF.LENGTH);
    if (len < HEADER_LENGTH || len > b.length) return void this.drop('malformed');
    const bytes = len === b.length ? b : b.subarray(0, len);
    const code = bytes[RF.CODE]!;
    this.expire(now);
    // RFC 5080 §2.2.2: a request is a duplicate when source address, port, id and authenticator match.
    const key = d.port * 512 + bytes[RF.IDENTIFIER]! * 2 + (d.service === 'acct' ? 1 : 0);
    const source = this.sources.get(d.address);
    const cached = source?.cache.get(key);
    if (cached && sameRequest(cached, bytes)) {
      this.counters.duplicates++;
      this.transmits.push({ service: d.service, address: d.address, port: d.port, bytes: cached.bytes.subarray(0, cached.length) });
      return;
    }
    let response: RadiusPacket | undefined;
    if (code === RadiusCode.ACCESS_REQUEST && d.service === 'auth') response = this.access(bytes, client, now);
    else if (code === RadiusCode.ACCOUNTING_REQUEST && d.service === 'acct') response = this.accounting(bytes, client, d, now);
    else if (code === RadiusCode.STATUS_SERVER) response = this.statusServer(bytes, client, d.service);
    else return void this.drop('wrong-service');
    if (!response) return;
    // Checked at construction for every profile; kept so that no answer can ever throw here.
    if (emitProblem(response)) return void this.drop('response-too-large');
    const length = radiusPacket.encodedLength(response);
    const kept = cacheBytes(length + 16);
    const out = kept.subarray(0, length);
    radiusPacket.emit(response, out, 0);
    const requestAuthenticator = bytes.subarray(RF.AUTHENTICATOR, RF.ATTRIBUTES);
    signPacket(out, client.secret, requestAuthenticator);
    kept.set(requestAuthenticator, length);
    this.remember(d.address, key, kept, length, now);
    this.transmits.push({ service: d.service, address: d.address, port: d.port, bytes: out, packet: response });
  }

  /** Cached answers past their window and leases past their time are dropped. */
  handleTimeout(now: number): void {
    this.expire(now);
    this.expireAccounting(now);
  }

  /**
   * When the next lease expires, or the oldest cached answer or accounting fingerprint leaves
   * its window: a burst's windows are let go when they pass, not at the next request (which
   * may be hours away once every home is online).
   */
  nextTimeout(): number | undefined {
    let t = this.leaseTimers.peek();
    const c = this.oldestCached;
    if (c !== undefined && (t === undefined || c.at + this.config.duplicateWindowMs < t)) t = c.at + this.config.duplicateWindowMs;
    const a = this.acctOrder.peek();
    if (a !== undefined) {
      const end = this.acctEpoch! + a.at + this.config.accountingDedupWindowMs;
      if (t === undefined || end < t) t = end;
    }
    return t;
  }

  /** Answers held for retransmissions now (at most `duplicateCacheSize`). */
  get duplicateCacheEntries(): number {
    return this.cachedCount;
  }

  /** Records held for accounting de-duplication now (at most `accountingDedupSize`). */
  get accountingDedupEntries(): number {
    return this.acctSeen.size;
  }

  pollTransmit(): (ServerDatagram & { packet?: RadiusPacket }) | undefined {
    return this.transmits.shift();
  }

  pollEvent(): RadiusServerEvent | undefined {
    return this.events.shift();
  }

  /** The sessions holding an address of `pool` now. */
  leases(pool: string): { address: string; user: string; key: string; sessionId?: string; expiresAt?: number }[] {
    const p = this.pools.get(pool);
    if (!p) return [];
    return [...p.byAddress.values()].map((l) => ({
      address: ipv4ToString(l.address), user: l.user, key: l.key,
      ...(l.sessionId === undefined ? {} : { sessionId: l.sessionId }),
      ...(l.expiresAt === undefined ? {} : { expiresAt: l.expiresAt }),
    }));
  }

  // ---- requests -------------------------------------------------------------------------

  private access(bytes: Uint8Array, client: Client, now: number): RadiusPacket | undefined {
    // RFC 3579 §3.2 / BlastRADIUS: check the Message-Authenticator before believing anything.
    const ma = checkMessageAuthenticator(bytes, client.secret);
    if (ma === 'invalid') return this.drop('bad-message-authenticator');
    if (ma === 'absent' && client.requireMa) return this.drop('missing-message-authenticator');
    const parsed = radiusPacket.parse(bytes);
    if (!parsed.ok) return this.drop('malformed');
    const req = parsed.value;
    if (ma !== 'valid' && getAttr(req, A.EAP_MESSAGE)) return this.drop('missing-message-authenticator');
    const pap = getAttr(req, A.USER_PASSWORD);
    const chap = pap ? undefined : getAttr(req, A.CHAP_PASSWORD);
    if (!pap && !chap) return this.drop('no-credentials');
    this.counters.accessRequests++;
    const nameAttr = getAttr(req, A.USER_NAME);
    const userName = nameAttr ? bytesText(nameAttr.data) : '';
    const own = this.userProfiles.get(userName);
    const profile = typeof own === 'string' ? this.userCommon.get(domainOf(userName)) : (own ?? this.realmProfiles.get(domainOf(userName)));
    if (!profile) return this.reject(req, client, userName, 'unknown user');
    const secret = typeof own === 'string' ? own : profile.password;
    if (secret !== undefined) {
      let good: boolean;
      const password = textBytes(secret);
      if (pap) {
        const clear = revealUserPassword(pap.data, client.secret, req.authenticator);
        good = clear.ok && clear.value.length === password.length && timingSafeEqual(clear.value, password);
      } else good = checkChapPassword(chap!.data, password, getAttr(req, A.CHAP_CHALLENGE)?.data ?? req.authenticator);
      if (!good) return this.reject(req, client, userName, profile.isUser ? 'bad password' : 'bad realm password');
    }
    const attrs: RadiusAttribute[] = [messageAuthenticatorAttr(), ...profile.attributes];
    if (profile.pool !== undefined) {
      const framedIp = this.lease(profile.pool, sessionKeys(req, client)[0]!, userName, profile.interimSeconds, now);
      if (framedIp === undefined) {
        this.counters.poolExhausted++;
        return this.reject(req, client, userName, 'pool exhausted', `No address available in pool ${profile.pool}`);
      }
      attrs.push(ipv4Attr(A.FRAMED_IP_ADDRESS, framedIp), ipv4Attr(A.FRAMED_IP_NETMASK, 0xffffffff));
    }
    if (profile.tunnels.length) attrs.push(...tunnelAttributes(profile.tunnels, client.secret, req.authenticator, this.salt));
    this.counters.accessAccepts++;
    if (this.logAuth) this.events.push({ type: 'auth', client: client.name, userName, accepted: true, reason: profile.isUser ? 'user' : secret !== undefined ? 'realm password' : 'realm' });
    return { code: RadiusCode.ACCESS_ACCEPT, identifier: req.identifier, authenticator: new Uint8Array(16), attributes: attrs };
  }

  private drop(why: RadiusServerDrop): undefined {
    this.counters.dropped[why]++;
    return undefined;
  }

  private reject(req: RadiusPacket, client: Client, userName: string, reason: string, message?: string): RadiusPacket {
    this.counters.accessRejects++;
    if (this.logAuth) this.events.push({ type: 'auth', client: client.name, userName, accepted: false, reason });
    const attrs: RadiusAttribute[] = [messageAuthenticatorAttr()];
    if (message) attrs.push({ type: A.REPLY_MESSAGE, data: textBytes(message) });
    return { code: RadiusCode.ACCESS_REJECT, identifier: req.identifier, authenticator: new Uint8Array(16), attributes: attrs };
  }

  private readonly salt = (): number => {
    const r = this.random(2);
    return (r[0]! << 8) | r[1]!;
  };

  private accounting(bytes: Uint8Array, client: Client, d: ServerDatagram, now: number): RadiusPacket | undefined {
    // RFC 2866 §3: the Request Authenticator is an MD5 over the packet and the secret.
    if (!verifyRequestAuthenticator(bytes, client.secret)) return void this.drop('bad-authenticator');
    const ma = checkMessageAuthenticator(bytes, client.secret);
    if (ma === 'invalid') return void this.drop('bad-message-authenticator');
    const parsed = radiusPacket.parse(bytes);
    if (!parsed.ok) return void this.drop('malformed');
    const req = parsed.value;
    this.counters.accountingRequests++;
    const answer: RadiusPacket = { code: RadiusCode.ACCOUNTING_RESPONSE, identifier: req.identifier, authenticator: new Uint8Array(16), attributes: ma === 'valid' ? [messageAuthenticatorAttr()] : [] };
    this.expireAccounting(now);
    // The same record sent again with a new Acct-Delay-Time (a new attempt) is logged once.
    const h = md5Context.reset().update(textBytes(d.address));
    const tl = new Uint8Array(2);
    for (const a of req.attributes) {
      if (a.type === A.ACCT_DELAY_TIME || a.type === A.MESSAGE_AUTHENTICATOR || isVendorSpecific(a)) continue;
      tl[0] = a.type;
      tl[1] = a.data.length;
      h.update(tl).update(a.data);
    }
    h.finish(this.dedupDigest, 0);
    const dedup = digestKey(this.dedupDigest);
    const at = now - (this.acctEpoch ??= now);
    const seen = this.acctSeen.get(dedup);
    if (seen !== undefined && seen.at + this.config.accountingDedupWindowMs > at) {
      this.counters.accountingDuplicates++;
      return answer;
    }
    while (this.acctSeen.size >= this.config.accountingDedupSize) {
      const old = this.acctOrder.shift();
      if (!old) break; // a window of size 0 keeps nothing
      if (this.acctSeen.get(old.key) !== old) continue; // seen again since: a newer entry is in the queue
      this.acctSeen.delete(old.key);
      this.counters.accountingDedupEvicted++;
    }
    const entry: AcctSeen = { key: dedup, at };
    this.acctSeen.set(dedup, entry);
    this.acctOrder.push(entry);
    this.accountLease(req, client, now);
    this.events.push(accountingEvent(req, d.address, now));
    return answer;
  }

  /** RFC 5997 §3: only with a valid Message-Authenticator; the answer says we are alive. */
  private statusServer(bytes: Uint8Array, client: Client, service: RadiusService): RadiusPacket | undefined {
    if (checkMessageAuthenticator(bytes, client.secret) !== 'valid') return void this.counters.dropped['bad-message-authenticator']++;
    this.counters.statusServer++;
    return {
      code: service === 'auth' ? RadiusCode.ACCESS_ACCEPT : RadiusCode.ACCOUNTING_RESPONSE,
      identifier: bytes[RF.IDENTIFIER]!,
      authenticator: new Uint8Array(16),
      attributes: [messageAuthenticatorAttr()],
    };
  }

  // ---- helpers ----------------------------------------------------------------------------

  /** The client a source address belongs to (longest prefix), remembered for a bounded number of sources. */
  private clientFor(address: string): Client | null {
    let c = this.clientOf.get(address);
    if (c !== undefined) return c;
    let a: number;
    try {
      a = ipv4FromString(address);
    } catch {
      a = -1;
    }
    c = a < 0 ? null : this.clients.find((x) => ((a & x.mask) >>> 0) === x.network) ?? null;
    if (this.clientOf.size >= CLIENT_MEMO) this.clientOf.delete(this.clientOf.keys().next().value!);
    this.clientOf.set(address, c);
    return c;
  }

  /** Caches an answer for retransmissions within both bounds: per source, then overall, oldest out first. */
  private remember(address: string, key: number, bytes: Uint8Array, length: number, now: number): void {
    let source = this.sources.get(address);
    if (!source) this.sources.set(address, (source = { address, cache: new Map(), oldest: undefined, newest: undefined }));
    const old = source.cache.get(key);
    if (old) this.forget(old);
    if (source.oldest && source.cache.size >= this.config.duplicateCachePerSource) {
      this.forget(source.oldest);
      this.counters.duplicateCacheEvicted++;
    }
    if (this.oldestCached && this.cachedCount >= this.config.duplicateCacheSize) {
      this.forget(this.oldestCached);
      this.counters.duplicateCacheEvicted++;
    }
    const entry: Cached = { source, key, bytes, length, at: now, older: this.newestCached, newer: undefined, olderHere: source.newest, newerHere: undefined };
    // A source whose last entry was just evicted is gone from the map; put it back.
    if (!this.sources.has(address)) this.sources.set(address, source);
    source.cache.set(key, entry);
    if (this.newestCached) this.newestCached.newer = entry;
    else this.oldestCached = entry;
    this.newestCached = entry;
    if (source.newest) source.newest.newerHere = entry;
    else source.oldest = entry;
    source.newest = entry;
    this.cachedCount++;
  }

  /** Unlinks a cached answer from both chains and its source's map (it is in all three or in none). */
  private forget(e: Cached): void {
    const s = e.source;
    if (e.older) e.older.newer = e.newer;
    else this.oldestCached = e.newer;
    if (e.newer) e.newer.older = e.older;
    else this.newestCached = e.older;
    if (e.olderHere) e.olderHere.newerHere = e.newerHere;
    else s.oldest = e.newerHere;
    if (e.newerHere) e.newerHere.olderHere = e.olderHere;
    else s.newest = e.olderHere;
    e.older = e.newer = e.olderHere = e.newerHere = undefined;
    this.cachedCount--;
    s.cache.delete(e.key);
    if (s.cache.size === 0) this.sources.delete(s.address);
  }

  /** Drops cached answers older than the duplicate window (oldest first) and leases past their time. */
  private expire(now: number): void {
    const w = this.config.duplicateWindowMs;
    for (let e = this.oldestCached; e && e.at + w <= now; e = this.oldestCached) this.forget(e);
    for (const l of this.leaseTimers.due(now)) {
      if (l.expiresAt === undefined || l.expiresAt > now || l.pool.byAddress.get(l.address) !== l) continue;
      this.counters.leasesExpired++;
      this.release(l);
    }
  }

  private expireAccounting(now: number): void {
    const aw = this.config.accountingDedupWindowMs;
    if (this.acctEpoch === undefined) return;
    const at = now - this.acctEpoch;
    for (let x = this.acctOrder.peek(); x && x.at + aw <= at; x = this.acctOrder.peek()) {
      this.acctOrder.shift();
      if (this.acctSeen.get(x.key) === x) this.acctSeen.delete(x.key);
    }
  }

  /**
   * The address of the session `key` names: the one it already holds (a NAS port carries
   * one session at a time, so a new Access-Request there is that port's new session), or
   * a never-used one, or the one given back longest ago.
   */
  private lease(poolName: string, key: string, userName: string, interimSeconds: number | undefined, now: number): number | undefined {
    const p = this.pools.get(poolName)!;
    const have = this.leaseByKey.get(key);
    if (have && have.pool === p) {
      if (have.sessionId !== undefined) have.previousSessionId = have.sessionId;
      have.sessionId = undefined;
      have.user = userName;
      this.setInterim(have, interimSeconds);
      this.offer(have, now);
      return have.address;
    }
    if (have) this.release(have);
    const a = this.take(p);
    if (a === undefined) return undefined;
    const l = newLease(p, key, a, userName);
    this.setInterim(l, interimSeconds);
    p.byAddress.set(a, l);
    this.leaseByKey.set(key, l);
    this.counters.leasesGranted++;
    this.offer(l, now);
    return a;
  }

  private setInterim(l: Lease, seconds: number | undefined): void {
    l.interimSeconds = seconds;
  }

  /** Until the session's Accounting-Start, the lease waits `leaseOfferSeconds`. */
  private offer(l: Lease, now: number): void {
    l.lastAccountingAt = undefined;
    l.expiresAt = now + this.config.leaseOfferSeconds * 1000;
    this.leaseTimers.schedule(l, l.expiresAt);
  }

  /**
   * After a Start or Interim-Update the lease lives as long as updates keep coming: two
   * missed intervals and a minute of slack. A session that sends none (no interval given
   * or seen) keeps its address until its Stop or its NAS's Accounting-On/Off.
   */
  private refresh(l: Lease, now: number): void {
    l.lastAccountingAt = now;
    if (l.interimSeconds === undefined) {
      l.expiresAt = undefined;
      this.leaseTimers.schedule(l, undefined);
      return;
    }
    l.expiresAt = now + (2 * l.interimSeconds + 60) * 1000;
    this.leaseTimers.schedule(l, l.expiresAt);
  }

  private take(p: Pool): number | undefined {
    while (p.next <= p.last) {
      const a = p.next;
      const x = excludedBy(p.exclude, a);
      if (x) {
        p.next = x[1] + 1;
        continue;
      }
      p.next = a + 1;
      if (!p.byAddress.has(a)) return a;
    }
    while (p.freedHead < p.freed.length) {
      const a = p.freed[p.freedHead++]!;
      if (p.freedHead > 1024 && p.freedHead * 2 > p.freed.length) {
        p.freed = p.freed.slice(p.freedHead);
        p.freedHead = 0;
      }
      if (!p.byAddress.has(a)) return a;
    }
    return undefined;
  }

  private release(l: Lease): void {
    const p = l.pool;
    if (p.byAddress.get(l.address) !== l) return;
    p.byAddress.delete(l.address);
    if (this.leaseByKey.get(l.key) === l) this.leaseByKey.delete(l.key);
    this.leaseTimers.remove(l);
    p.freed.push(l.address);
    this.counters.leasesReleased++;
  }

  /**
   * What an accounting record means for the pool: Start and Interim-Update bind the lease
   * to the record's Acct-Session-Id and keep it alive; Stop gives the address back (only
   * that session's Stop, not a late one of the port's previous session); Accounting-On/Off
   * says the NAS holds no session, so every lease it held goes back.
   */
  private accountLease(req: RadiusPacket, client: Client, now: number): void {
    const status = getInt(req, A.ACCT_STATUS_TYPE);
    const sidAttr = getAttr(req, A.ACCT_SESSION_ID);
    const sid = sidAttr ? bytesText(sidAttr.data) : undefined;
    const keys = sessionKeys(req, client);
    if (status === AcctStatusType.ACCOUNTING_ON || status === AcctStatusType.ACCOUNTING_OFF) {
      const nas = keys[0]!.slice(0, keys[0]!.indexOf('\n'));
      for (const l of [...this.leaseByKey.values()]) {
        if (nasOf(l.key) !== nas) continue;
        this.release(l);
        this.counters.leasesReleasedByNas++;
      }
      return;
    }
    const ip = getInt(req, A.FRAMED_IP_ADDRESS);
    let l: Lease | undefined;
    for (const k of keys) if ((l = this.leaseByKey.get(k))) break;
    if (l && ip !== undefined && ip !== l.address) l = undefined;
    if (l && sid !== undefined && (sid === l.previousSessionId || (l.sessionId !== undefined && l.sessionId !== sid))) l = undefined;
    if (!l && ip !== undefined) {
      // Keyed differently (another NAS attribute set), or expired: find it by its address.
      const held = this.poolOf(ip)?.byAddress.get(ip);
      if (held && (sid === undefined || held.sessionId === sid || (held.sessionId === undefined && held.previousSessionId !== sid))) l = held;
      else if (held) {
        if (status !== AcctStatusType.STOP) this.counters.leaseConflicts++;
        return;
      }
    }
    if (status === AcctStatusType.STOP) {
      if (l) this.release(l);
      return;
    }
    if (status !== AcctStatusType.START && status !== AcctStatusType.INTERIM_UPDATE) return;
    if (!l) {
      // The lease expired while the session lived (accounting delayed): take the address back if nobody has it.
      const p = ip === undefined ? undefined : this.poolOf(ip);
      if (!p || ip === undefined || excludedBy(p.exclude, ip)) return;
      l = newLease(p, keys[0]!, ip, bytesText(getAttr(req, A.USER_NAME)?.data ?? new Uint8Array()));
      const old = this.leaseByKey.get(l.key);
      if (old) this.release(old);
      p.byAddress.set(ip, l);
      this.leaseByKey.set(l.key, l);
      this.counters.leasesRecovered++;
    }
    if (sid !== undefined && l.sessionId === undefined) l.sessionId = sid;
    if (status === AcctStatusType.INTERIM_UPDATE && l.interimSeconds === undefined && l.lastAccountingAt !== undefined) {
      // The NAS sends updates we did not ask for: expect them at the pace seen.
      l.interimSeconds = Math.max(1, Math.round((now - l.lastAccountingAt) / 1000));
    }
    this.refresh(l, now);
  }

  private poolOf(a: number): Pool | undefined {
    for (const p of this.pools.values()) if (a >= p.first && a <= p.last) return p;
    return undefined;
  }
}

/** Sources whose client is remembered (the rest are looked up again: a few prefix compares). */
const CLIENT_MEMO = 4096;

/**
 * The names a NAS gives a session, most specific first; an Access-Request is leased under
 * the first, accounting finds it under any. Acct-Session-Id when the Access-Request has
 * one (RFC 2866 §5.5: the NAS then uses it in accounting); else NAS-Port / NAS-Port-Id (one
 * session per port at a time — our LNS numbers ports by L2TP session); else
 * Calling-Station-Id; else the user name, where two logins of one user cannot be told apart.
 * Each is prefixed by the NAS: the client entry and its NAS-IP-Address / NAS-Identifier.
 */
function sessionKeys(p: RadiusPacket, client: Client): string[] {
  const nasIp = getInt(p, A.NAS_IP_ADDRESS);
  const nas = `${client.name}|${nasIp === undefined ? '' : ipv4ToString(nasIp)}|${acctText(p, A.NAS_IDENTIFIER) ?? ''}\n`;
  const out: string[] = [];
  const sid = acctText(p, A.ACCT_SESSION_ID);
  if (sid !== undefined) out.push(`${nas}sid:${sid}`);
  const port = getInt(p, A.NAS_PORT);
  const portId = acctText(p, A.NAS_PORT_ID);
  if (port !== undefined || portId !== undefined) out.push(`${nas}port:${port ?? ''}/${portId ?? ''}`);
  const calling = acctText(p, A.CALLING_STATION_ID);
  if (calling !== undefined) out.push(`${nas}calling:${calling}`);
  out.push(`${nas}user:${acctText(p, A.USER_NAME) ?? ''}`);
  return out;
}

/** Sorted, merged copy of inclusive ranges. */
function mergeRanges(rs: [number, number][]): [number, number][] {
  const s = rs.filter(([a, b]) => a <= b).sort((x, y) => x[0] - y[0]);
  const out: [number, number][] = [];
  for (const [a, b] of s) {
    const last = out[out.length - 1];
    if (last && a <= last[1] + 1) last[1] = Math.max(last[1], b);
    else out.push([a, b]);
  }
  return out;
}

/** The excluded range holding `a`, by binary search. */
function excludedBy(rs: readonly [number, number][], a: number): [number, number] | undefined {
  let lo = 0;
  let hi = rs.length - 1;
  while (lo <= hi) {
    const m = (lo + hi) >> 1;
    const r = rs[m]!;
    if (a < r[0]) hi = m - 1;
    else if (a > r[1]) lo = m + 1;
    else return r;
  }
  return undefined;
}

/**
 * The event of a logged record. Its line is made when first read (an own enumerable getter,
 * so a spread or JSON.stringify of the event has it): an in-process network that keeps no
 * log never decodes the record's every attribute. The packet's bytes stay valid: every
 * receive path hands over a buffer that is not reused (packet cells, dgram messages).
 */
function accountingEvent(req: RadiusPacket, client: string, at: number): RadiusServerEvent {
  let line: AccountingLine | undefined;
  return {
    type: 'accounting',
    get line(): AccountingLine {
      return (line ??= accountingLine(req, client, at));
    },
  };
}

/** An Accounting-Request as one JSON object: the well-known fields, then every attribute by name. */
export function accountingLine(p: RadiusPacket, client: string, at: number): AccountingLine {
  const attributes: Record<string, DecodedValue | DecodedValue[]> = {};
  for (const a of p.attributes) {
    if (a.type === A.MESSAGE_AUTHENTICATOR) continue;
    // The common attribute (no vendor, no tag, not hidden) read through the dictionary here,
    // as decodeAttribute would, without its result objects: two records per session.
    if (!isVendorSpecific(a)) {
      const def = ATTRIBUTES.get(a.type);
      if (def !== undefined && def.tagged === undefined && def.encrypt === undefined) {
        const v = decodeValueOf(def.valueType, a.data);
        if (v !== undefined) putDecoded(attributes, def.name, typeof v === 'number' ? def.values?.[v] ?? v : v);
        continue;
      }
    }
    const d = decodeAttribute(a);
    if (!d.ok) continue;
    for (const x of d.value) putDecoded(attributes, x.name, x.valueName ?? x.value);
  }
  const status = acctInt(p, A.ACCT_STATUS_TYPE);
  const cause = acctInt(p, A.ACCT_TERMINATE_CAUSE);
  const line: Record<string, unknown> = {
    at,
    client,
    statusType: named(attributes['Acct-Status-Type'] as string) ?? status ?? 'missing',
  };
  setDefined(line, 'sessionId', acctText(p, A.ACCT_SESSION_ID));
  setDefined(line, 'userName', acctText(p, A.USER_NAME));
  setDefined(line, 'sessionTime', acctInt(p, A.ACCT_SESSION_TIME));
  setDefined(line, 'inputOctets', acctWide(p, A.ACCT_INPUT_OCTETS, A.ACCT_INPUT_GIGAWORDS));
  setDefined(line, 'outputOctets', acctWide(p, A.ACCT_OUTPUT_OCTETS, A.ACCT_OUTPUT_GIGAWORDS));
  setDefined(line, 'inputPackets', acctInt(p, A.ACCT_INPUT_PACKETS));
  setDefined(line, 'outputPackets', acctInt(p, A.ACCT_OUTPUT_PACKETS));
  setDefined(line, 'terminateCause', cause === undefined ? undefined : named(attributes['Acct-Terminate-Cause'] as string) ?? cause);
  const ip = acctInt(p, A.FRAMED_IP_ADDRESS);
  setDefined(line, 'framedIpAddress', ip === undefined ? undefined : ipv4ToString(ip));
  setDefined(line, 'delayTime', acctInt(p, A.ACCT_DELAY_TIME));
  line.attributes = attributes;
  return line as unknown as AccountingLine;
}

// The helpers of accountingLine, at module level: one record per Accounting-Request, and a
// closure made per call costs a property definition each under the tsx loader.
function acctInt(p: RadiusPacket, t: number): number | undefined {
  const a = getAttr(p, t);
  return a && a.data.length === 4 ? u32(a.data, 0) : undefined;
}

function acctText(p: RadiusPacket, t: number): string | undefined {
  const a = getAttr(p, t);
  return a && bytesText(a.data);
}

function acctWide(p: RadiusPacket, lo: number, hi: number): number | undefined {
  const l = acctInt(p, lo);
  return l === undefined ? undefined : (acctInt(p, hi) ?? 0) * 2 ** 32 + l;
}

/** One decoded value under its name: octets as hex, a second value of a name makes a list. */
function putDecoded(attributes: Record<string, DecodedValue | DecodedValue[]>, name: string, value: DecodedValue): void {
  const v = value instanceof Uint8Array ? hex(value) : value;
  const prev = attributes[name];
  attributes[name] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
}

function named(v: string | number | Uint8Array | DecodedValue[] | undefined): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function setDefined(line: Record<string, unknown>, k: string, v: unknown): void {
  if (v !== undefined) line[k] = v;
}
