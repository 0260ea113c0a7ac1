/**
 * The embedded RADIUS server, sans-IO: Access-Requests (PAP, CHAP-MD5) answered from the
 * configured users and realms (RFC 2865, tagged tunnels of RFC 2868), Accounting-Requests
 * turned into records (RFC 2866), Status-Server (RFC 5997). Requests from unknown clients or
 * with a wrong authenticator are silently discarded and counted (RFC 2865 §3); a
 * Message-Authenticator is required from clients by default (BlastRADIUS) and always sent.
 * A retransmitted request (same source, port, id, authenticator) gets the cached answer.
 */
import { randomBytes, timingSafeEqual, createHash } from 'node:crypto';
import { bytesText, ipv4FromString, ipv4ToString, textBytes, u16, u32 } from '../wire/bytes.js';
import {
  A, F as RF, HEADER_LENGTH, RadiusCode, ServiceType, FramedProtocol, decodeAttribute, getAttr, intAttr, ipv4Attr, isVendorSpecific, radiusPacket,
  type RadiusAttribute, type RadiusPacket, type DecodedValue,
} from '../wire/radius.js';
import {
  checkChapPassword, checkMessageAuthenticator, messageAuthenticatorAttr, revealUserPassword, signPacket, verifyRequestAuthenticator,
} from '../wire/radius-crypto.js';
import { accessReplyAttributes, tunnelAttributes, type TunnelSpec } from '../proto/radius-attributes.js';
import { poolBounds, tunnelMediumNumber, tunnelTypeNumber, type RadiusServerConfig, type RadiusServerRealm, type RadiusServerUser } from './radius-server-config.js';

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
  | 'no-credentials';

interface Client {
  readonly name: string;
  readonly network: number;
  readonly mask: number;
  readonly secret: string;
  readonly requireMa: boolean;
}

interface Source {
  readonly client: Client | null;
  /** port * 512 + id * 2 + (acct ? 1 : 0) → the answer. */
  readonly cache: Map<number, Cached>;
}

function sameAuthenticator(a: Uint8Array, packet: Uint8Array): boolean {
  let d = 0;
  for (let i = 0; i < 16; i++) d |= a[i]! ^ packet[RF.AUTHENTICATOR + i]!;
  return d === 0;
}

interface Cached {
  readonly authenticator: Uint8Array;
  readonly response: Uint8Array;
  readonly at: number;
}

interface Pool {
  readonly first: number;
  readonly last: number;
  next: number;
  readonly free: number[];
  readonly leases: Map<string, number>;
  readonly byAddress: Map<number, string>;
}

/** A user's or a realm's answer: the user's own fields win over its realm's. */
interface Profile {
  readonly isUser: boolean;
  readonly password?: Uint8Array;
  readonly pool?: string;
  /** Everything but the Message-Authenticator, a pool address and the tunnels. */
  readonly attributes: RadiusAttribute[];
  readonly tunnels: TunnelSpec[];
}

function profile(user: RadiusServerUser | undefined, realm: RadiusServerRealm | undefined): Profile {
  const r = { ...realm, ...user };
  const fixedIp = user?.framedIp;
  const pool = user ? user.pool ?? (fixedIp === undefined ? realm?.pool : undefined) : realm?.pool;
  const password = user ? user.password : realm?.password;
  const attributes = [intAttr(A.SERVICE_TYPE, ServiceType.FRAMED), intAttr(A.FRAMED_PROTOCOL, FramedProtocol.PPP), ...accessReplyAttributes({
    ...(fixedIp === undefined ? {} : { framedIpAddress: ipv4FromString(fixedIp) }),
    dns: (r.dns ?? []).map(ipv4FromString),
    ...(r.sessionTimeout === undefined ? {} : { sessionTimeout: r.sessionTimeout }),
    ...(r.idleTimeout === undefined ? {} : { idleTimeout: r.idleTimeout }),
    ...(r.interimInterval === undefined ? {} : { acctInterimInterval: r.interimInterval }),
    ...(r.framedMtu === undefined ? {} : { framedMtu: r.framedMtu }),
    ...(r.replyMessage === undefined ? {} : { replyMessage: r.replyMessage }),
  })];
  const tunnels: TunnelSpec[] = (realm?.tunnels ?? []).map((t, i) => ({
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
    ...(password === undefined ? {} : { password: textBytes(password) }),
    ...(pool === undefined ? {} : { pool }),
    attributes,
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
    poolExhausted: 0,
    dropped: {
      'unknown-client': 0, short: 0, malformed: 0, 'wrong-service': 0, 'bad-authenticator': 0, 'bad-message-authenticator': 0,
      'missing-message-authenticator': 0, 'no-credentials': 0,
    } as Record<RadiusServerDrop, number>,
  };

  private readonly clients: Client[];
  private readonly sources = new Map<string, Source>();
  private expiry: { source: Source; key: number; entry: Cached }[] = [];
  private expiryHead = 0;
  /** What each user and each realm is answered with, built once from the configuration. */
  private readonly userProfiles = new Map<string, Profile>();
  private readonly realmProfiles = new Map<string, Profile>();
  private readonly pools = new Map<string, Pool>();
  /** Users' fixed Framed-IP-Addresses: never leased from a pool, even when inside its range. */
  private readonly fixedAddresses = new Set<number>();
  private readonly acctSeen = new Map<string, number>();
  private readonly transmits: (ServerDatagram & { packet?: RadiusPacket })[] = [];
  private readonly events: RadiusServerEvent[] = [];
  private readonly random: (n: number) => Uint8Array;
  private readonly logAuth: boolean;

  constructor(readonly config: RadiusServerConfig, options: RadiusServerOptions = {}) {
    this.random = options.random ?? ((n) => randomBytes(n));
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
    for (const u of config.users) {
      const at = u.name.lastIndexOf('@');
      this.userProfiles.set(u.name, profile(u, realms.get((at >= 0 ? u.name.slice(at + 1) : u.name).toLowerCase())));
    }
    for (const u of config.users) if (u.framedIp !== undefined) this.fixedAddresses.add(ipv4FromString(u.framedIp));
    for (const [name, spec] of Object.entries(config.pools)) {
      const [first, last] = poolBounds(spec);
      this.pools.set(name, { first, last, next: first, free: [], leases: new Map(), byAddress: new Map() });
    }
  }

  // ---- sans-IO plumbing ---------------------------------------------------------------

  handle(d: ServerDatagram, now: number): void {
    const source = this.sourceFor(d.address);
    const client = source.client;
    if (!client) return void this.drop('unknown-client');
    const b = d.bytes;
    if (b.length < HEADER_LENGTH) return void this.drop('short');
    const len = u16(b, RF.LENGTH);
    if (len < HEADER_LENGTH || len > b.length) return void this.drop('malformed');
    const bytes = len === b.length ? b : b.subarray(0, len);
    const code = bytes[RF.CODE]!;
    // RFC 5080 §2.2.2: a request is a duplicate when source address, port, id and authenticator match.
    const key = d.port * 512 + bytes[RF.IDENTIFIER]! * 2 + (d.service === 'acct' ? 1 : 0);
    const cached = source.cache.get(key);
    if (cached && cached.at + this.config.duplicateWindowMs > now && sameAuthenticator(cached.authenticator, bytes)) {
      this.counters.duplicates++;
      this.transmits.push({ service: d.service, address: d.address, port: d.port, bytes: cached.response });
      return;
    }
    this.expire(now);
    let response: RadiusPacket | undefined;
    if (code === RadiusCode.ACCESS_REQUEST && d.service === 'auth') response = this.access(bytes, client);
    else if (code === RadiusCode.ACCOUNTING_REQUEST && d.service === 'acct') response = this.accounting(bytes, client, d, now);
    else if (code === RadiusCode.STATUS_SERVER) response = this.statusServer(bytes, client, d.service);
    else return void this.drop('wrong-service');
    if (!response) return;
    const out = new Uint8Array(radiusPacket.encodedLength(response));
    radiusPacket.emit(response, out, 0);
    const requestAuthenticator = bytes.subarray(RF.AUTHENTICATOR, RF.ATTRIBUTES);
    signPacket(out, client.secret, requestAuthenticator);
    const entry: Cached = { authenticator: new Uint8Array(requestAuthenticator), response: out, at: now };
    source.cache.set(key, entry);
    this.expiry.push({ source, key, entry });
    this.transmits.push({ service: d.service, address: d.address, port: d.port, bytes: out, packet: response });
  }

  /** Nothing is timed: caches expire as requests arrive. */
  handleTimeout(now: number): void {
    this.expire(now);
  }

  nextTimeout(): number | undefined {
    return undefined;
  }

  pollTransmit(): (ServerDatagram & { packet?: RadiusPacket }) | undefined {
    return this.transmits.shift();
  }

  pollEvent(): RadiusServerEvent | undefined {
    return this.events.shift();
  }

  /** Addresses leased from `pool` now, by user name. */
  leases(pool: string): Map<string, string> {
    const p = this.pools.get(pool);
    return new Map([...(p?.leases ?? new Map<string, number>())].map(([u, a]) => [u, ipv4ToString(a)]));
  }

  // ---- requests -------------------------------------------------------------------------

  private access(bytes: Uint8Array, client: Client): RadiusPacket | undefined {
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
    let profile = this.userProfiles.get(userName);
    if (!profile) {
      const at = userName.lastIndexOf('@');
      profile = this.realmProfiles.get((at >= 0 ? userName.slice(at + 1) : userName).toLowerCase());
    }
    if (!profile) return this.reject(req, client, userName, 'unknown user');
    if (profile.password !== undefined) {
      let good: boolean;
      if (pap) {
        const clear = revealUserPassword(pap.data, client.secret, req.authenticator);
        good = clear.ok && clear.value.length === profile.password.length && timingSafeEqual(clear.value, profile.password);
      } else good = checkChapPassword(chap!.data, profile.password, getAttr(req, A.CHAP_CHALLENGE)?.data ?? req.authenticator);
      if (!good) return this.reject(req, client, userName, profile.isUser ? 'bad password' : 'bad realm password');
    }
    const attrs: RadiusAttribute[] = [messageAuthenticatorAttr(), ...profile.attributes];
    if (profile.pool !== undefined) {
      const framedIp = this.lease(profile.pool, userName);
      if (framedIp === undefined) {
        this.counters.poolExhausted++;
        return this.reject(req, client, userName, 'pool exhausted', 'no address available');
      }
      attrs.push(ipv4Attr(A.FRAMED_IP_ADDRESS, framedIp), ipv4Attr(A.FRAMED_IP_NETMASK, 0xffffffff));
    }
    if (profile.tunnels.length) attrs.push(...tunnelAttributes(profile.tunnels, client.secret, req.authenticator, this.salt));
    this.counters.accessAccepts++;
    if (this.logAuth) this.events.push({ type: 'auth', client: client.name, userName, accepted: true, reason: profile.isUser ? 'user' : profile.password ? 'realm password' : 'realm' });
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
    const drop = (why: RadiusServerDrop) => this.drop(why);
    // RFC 2866 §3: the Request Authenticator is an MD5 over the packet and the secret.
    if (!verifyRequestAuthenticator(bytes, client.secret)) return void drop('bad-authenticator');
    const ma = checkMessageAuthenticator(bytes, client.secret);
    if (ma === 'invalid') return void drop('bad-message-authenticator');
    const parsed = radiusPacket.parse(bytes);
    if (!parsed.ok) return void drop('malformed');
    const req = parsed.value;
    this.counters.accountingRequests++;
    const answer: RadiusPacket = { code: RadiusCode.ACCOUNTING_RESPONSE, identifier: req.identifier, authenticator: new Uint8Array(16), attributes: ma === 'valid' ? [messageAuthenticatorAttr()] : [] };
    this.expireAccounting(now);
    // The same record sent again with a new Acct-Delay-Time (a new attempt) is logged once.
    const h = createHash('md5').update(d.address);
    for (const a of req.attributes) {
      if (a.type === A.ACCT_DELAY_TIME || a.type === A.MESSAGE_AUTHENTICATOR || isVendorSpecific(a)) continue;
      h.update(Uint8Array.of(a.type, a.data.length)).update(a.data);
    }
    const dedup = h.digest('base64');
    const seen = this.acctSeen.get(dedup);
    if (seen !== undefined && seen + this.config.accountingDedupWindowMs > now) {
      this.counters.accountingDuplicates++;
      return answer;
    }
    this.acctSeen.set(dedup, now);
    const line = accountingLine(req, d.address, now);
    if (line.statusType === 'Stop' && line.framedIpAddress !== undefined) this.release(ipv4FromString(line.framedIpAddress));
    this.events.push({ type: 'accounting', line });
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

  /** The client a source address belongs to (longest prefix), and its duplicate cache. */
  private sourceFor(address: string): Source {
    let src = this.sources.get(address);
    if (src === undefined) {
      let a: number;
      try {
        a = ipv4FromString(address);
      } catch {
        a = -1;
      }
      const client = a < 0 ? null : this.clients.find((x) => ((a & x.mask) >>> 0) === x.network) ?? null;
      src = { client, cache: new Map() };
      // Unknown sources are remembered too (cheap drops), within reason.
      if (this.sources.size > 100_000) this.sources.clear();
      this.sources.set(address, src);
    }
    return src;
  }

  /** Drops cached answers older than the duplicate window, oldest first. */
  private expire(now: number): void {
    const w = this.config.duplicateWindowMs;
    const q = this.expiry;
    while (this.expiryHead < q.length) {
      const e = q[this.expiryHead]!;
      if (e.entry.at + w > now) break;
      if (e.source.cache.get(e.key) === e.entry) e.source.cache.delete(e.key);
      q[this.expiryHead++] = undefined as unknown as (typeof q)[number];
    }
    if (this.expiryHead > 4096 && this.expiryHead * 2 > q.length) {
      this.expiry = q.slice(this.expiryHead);
      this.expiryHead = 0;
    }
  }

  private expireAccounting(now: number): void {
    const aw = this.config.accountingDedupWindowMs;
    for (const [k, t] of this.acctSeen) {
      if (t + aw > now && this.acctSeen.size < 1_000_000) break;
      this.acctSeen.delete(k);
    }
  }

  private lease(poolName: string, userName: string): number | undefined {
    const p = this.pools.get(poolName)!;
    const have = p.leases.get(userName);
    if (have !== undefined) return have;
    let a: number | undefined;
    do a = p.next <= p.last ? p.next++ : p.free.shift();
    while (a !== undefined && this.fixedAddresses.has(a));
    if (a === undefined) return undefined;
    p.leases.set(userName, a);
    p.byAddress.set(a, userName);
    return a;
  }

  private release(address: number): void {
    for (const p of this.pools.values()) {
      const u = p.byAddress.get(address);
      if (u === undefined) continue;
      p.byAddress.delete(address);
      p.leases.delete(u);
      p.free.push(address);
    }
  }
}

/** An Accounting-Request as one JSON object: the well-known fields, then every attribute by name. */
export function accountingLine(p: RadiusPacket, client: string, at: number): AccountingLine {
  const attributes: Record<string, DecodedValue | DecodedValue[]> = {};
  for (const a of p.attributes) {
    if (a.type === A.MESSAGE_AUTHENTICATOR) continue;
    const d = decodeAttribute(a);
    if (!d.ok) continue;
    for (const x of d.value) {
      const v: DecodedValue = x.value instanceof Uint8Array ? Buffer.from(x.value).toString('hex') : (x.valueName ?? x.value);
      const prev = attributes[x.name];
      attributes[x.name] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
    }
  }
  const int = (t: number) => {
    const a = getAttr(p, t);
    return a && a.data.length === 4 ? u32(a.data, 0) : undefined;
  };
  const text = (t: number) => {
    const a = getAttr(p, t);
    return a && bytesText(a.data);
  };
  const wide = (lo: number, hi: number) => {
    const l = int(lo);
    return l === undefined ? undefined : (int(hi) ?? 0) * 2 ** 32 + l;
  };
  const status = int(A.ACCT_STATUS_TYPE);
  const cause = int(A.ACCT_TERMINATE_CAUSE);
  const named = (v: string | number | Uint8Array | DecodedValue[] | undefined) => (typeof v === 'string' ? v : undefined);
  const line: Record<string, unknown> = {
    at,
    client,
    statusType: named(attributes['Acct-Status-Type'] as string) ?? status ?? 'missing',
  };
  const set = (k: string, v: unknown) => v !== undefined && (line[k] = v);
  set('sessionId', text(A.ACCT_SESSION_ID));
  set('userName', text(A.USER_NAME));
  set('sessionTime', int(A.ACCT_SESSION_TIME));
  set('inputOctets', wide(A.ACCT_INPUT_OCTETS, A.ACCT_INPUT_GIGAWORDS));
  set('outputOctets', wide(A.ACCT_OUTPUT_OCTETS, A.ACCT_OUTPUT_GIGAWORDS));
  set('inputPackets', int(A.ACCT_INPUT_PACKETS));
  set('outputPackets', int(A.ACCT_OUTPUT_PACKETS));
  set('terminateCause', cause === undefined ? undefined : named(attributes['Acct-Terminate-Cause'] as string) ?? cause);
  const ip = int(A.FRAMED_IP_ADDRESS);
  set('framedIpAddress', ip === undefined ? undefined : ipv4ToString(ip));
  set('delayTime', int(A.ACCT_DELAY_TIME));
  line.attributes = attributes;
  return line as unknown as AccountingLine;
}
