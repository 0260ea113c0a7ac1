/**
 * RADIUS client transactions, sans-IO (RFC 2865 §2.5 and §3, RFC 2866, RFC 3579 §3.2,
 * RFC 5080 §2.2). Access-Requests (PAP, CHAP) and accounting records go to a list of servers
 * in priority order with retransmission, backoff, failover and dead-server detection.
 * Every request carries a Message-Authenticator; every response is checked (source,
 * identifier, Response Authenticator, Message-Authenticator) before it is believed.
 * Accounting records are never dropped: a bounded in-memory queue overflows into an
 * injected spool (a file in src/io) and is replayed in order, one record in flight per
 * session, when a server answers again. With a journal (a write-ahead file in src/io) every
 * record is in it from the moment it is made until the server acknowledges it, and what a
 * killed process left there is sent again first, unchanged (same Acct-Session-Id).
 *
 * Outputs are signed datagrams (`bytes`, with the packet value beside them), because the
 * authenticators are computed over the exact encoding and need the secret.
 */
import { cryptoRandom } from './ppp-common.js';
import { TimerQueue } from './timer-queue.js';
import { Fifo } from './fifo.js';
import { fromHex, hex, textBytes, u16, ipv4FromString } from '../wire/bytes.js';
import {
  A, AcctStatusType, FramedProtocol, NasPortType, RadiusCode, ServiceType, F as RF, HEADER_LENGTH, MAX_PACKET_LENGTH, MAX_VALUE_LENGTH, intAttr, ipv4Attr,
  octetsAttr, radiusPacket, textAttr, type RadiusAttribute, type RadiusPacket,
} from '../wire/radius.js';
import {
  checkMessageAuthenticator, hideUserPassword, messageAuthenticatorAttr, signPacket, verifyResponseAuthenticator, type Secret,
} from '../wire/radius-crypto.js';
import { readAccessReply, type AccessReply } from './radius-attributes.js';

// ---- configuration ------------------------------------------------------------------

export interface RadiusServerConfig {
  /** For events and logs. */
  readonly name?: string;
  readonly address: string;
  readonly authPort?: number;
  readonly acctPort?: number;
  readonly secret: Secret;
  /**
   * BlastRADIUS (CVE-2024-3596): Access-Accept/Reject/Challenge without a valid
   * Message-Authenticator are discarded. `false` accepts them when absent (Debian's
   * FreeRADIUS 3.2.1 never sends it) and raises a warning event.
   */
  readonly requireMessageAuthenticator?: boolean;
}

export interface RadiusClientConfig {
  readonly servers: readonly RadiusServerConfig[];
  /** RFC 2865 §4.1: at least one of NAS-IP-Address and NAS-Identifier. */
  readonly nasIpAddress?: number;
  readonly nasIdentifier?: string;
  /** First retransmission timeout (RFC 5080 §2.2.1 suggests 2 s); doubled each time up to `maxRtoMs`. */
  readonly initialRtoMs?: number;
  readonly maxRtoMs?: number;
  /** Transmissions to one server before failing over to the next. */
  readonly triesPerServer?: number;
  /** Consecutive failed transactions after which a server is dead. */
  readonly deadAfterFailures?: number;
  /** How long a dead server is skipped before it is tried again. */
  readonly deadTimeMs?: number;
  /** Source sockets (each with 256 identifiers); a new one is used when all ids are taken. */
  readonly maxSockets?: number;
  /** Accounting transactions in flight at once (one per session). */
  readonly acctWindow?: number;
  /** Records kept in memory; the rest wait in the spool. */
  readonly acctMemoryLimit?: number;
  /** While every server is dead, one record probes them this often. */
  readonly acctProbeIntervalMs?: number;
  /** Records found here at construction are replayed from the first `handleTimeout(now)`. */
  readonly spool?: AccountingSpool;
  /** Write-ahead journal: records are written to it when made and leave it when acknowledged. */
  readonly journal?: AccountingJournal;
  /** Use a 16-octet CHAP challenge as the Request Authenticator (RFC 2865 §5.3) instead of CHAP-Challenge. */
  readonly chapChallengeInAuthenticator?: boolean;
  /** Randomness for authenticators and salts (tests inject a seeded one). */
  readonly random?: (n: number) => Uint8Array;
}

// ---- inputs and outputs -------------------------------------------------------------

export interface RadiusDatagram {
  /** Index of the client's source socket (0..maxSockets-1); the driver opens them lazily. */
  readonly socket: number;
  /** IPv4 address as an unsigned 32-bit number (strings only at the edges). */
  readonly address: number;
  readonly port: number;
  readonly bytes: Uint8Array;
}

export interface RadiusTransmit extends RadiusDatagram {
  readonly packet: RadiusPacket;
}

export type AccessAuth =
  | { readonly type: 'pap'; readonly password: Uint8Array | string }
  /** CHAP-MD5 as the peer answered it (RFC 1994): the NAS does not know the password. */
  | { readonly type: 'chap'; readonly id: number; readonly challenge: Uint8Array; readonly response: Uint8Array };

export interface NasPortInfo {
  readonly nasPort?: number;
  readonly nasPortId?: string;
  /** Default Virtual (RFC 2865 §5.41), what a LNS uses for L2TP sessions. */
  readonly nasPortType?: number;
  readonly callingStationId?: string;
  readonly calledStationId?: string;
}

export interface AccessRequestInput extends NasPortInfo {
  readonly userName: string;
  readonly auth: AccessAuth;
  readonly serviceType?: number;
  readonly framedProtocol?: number;
  /** From an Access-Challenge (RFC 2865 §5.24). */
  readonly state?: Uint8Array;
  readonly attributes?: readonly RadiusAttribute[];
}

/** Why an Access-Request's value does not fit its attribute (RFC 2865 §5), by input field. */
export type AccessRequestProblem = 'user-name-too-long' | 'password-too-long' | 'chap-challenge-too-long' | 'station-id-too-long' | 'nas-port-id-too-long' | 'state-too-long' | 'attributes-too-long';

/**
 * Whether `req` can be sent, checked without building it. Values a peer chose (a CHAP name,
 * a PAP password, a proxied challenge, an L2TP Calling Number) reach `accessRequest`, which
 * throws on a request it cannot encode (that is the owner's mistake): owners ask here first
 * and refuse the peer as its protocol says (CHAP Failure, PAP Nak).
 */
export function accessRequestProblem(req: AccessRequestInput): AccessRequestProblem | undefined {
  if (long(req.userName)) return 'user-name-too-long';
  if (req.auth.type === 'pap') {
    // RFC 2865 §5.2: at most 128 octets of password.
    const n = typeof req.auth.password === 'string' ? textBytes(req.auth.password).length : req.auth.password.length;
    if (n > 128) return 'password-too-long';
  } else if (req.auth.challenge.length > MAX_VALUE_LENGTH) return 'chap-challenge-too-long';
  if (long(req.callingStationId) || long(req.calledStationId)) return 'station-id-too-long';
  if (long(req.nasPortId)) return 'nas-port-id-too-long';
  if (req.state !== undefined && req.state.length > MAX_VALUE_LENGTH) return 'state-too-long';
  // Every fixed attribute of `build` plus the caller's: far below 4096 unless the caller's are many.
  let extra = 0;
  for (const a of req.attributes ?? []) {
    const n = 'data' in a ? a.data.length : a.vsas.reduce((k, v) => k + 2 + v.data.length, 4);
    if (n > MAX_VALUE_LENGTH) return 'attributes-too-long';
    extra += 2 + n;
  }
  if (extra > MAX_PACKET_LENGTH - 2048) return 'attributes-too-long';
  return undefined;
}

/** A text value too long for one attribute (253 octets of UTF-8), measured without encoding it when it is short. */
function long(s: string | undefined): boolean {
  if (s === undefined) return false;
  // A UTF-16 code unit is at most 3 octets of UTF-8 (a surrogate pair, 2 units, is 4).
  if (s.length * 3 <= MAX_VALUE_LENGTH) return false;
  return s.length > MAX_VALUE_LENGTH || textBytes(s).length > MAX_VALUE_LENGTH;
}

/** One accounting record as the owner states it (RFC 2866 §5, RFC 2869 §5.1-5.2). */
export interface AccountingInput extends NasPortInfo {
  readonly statusType: number;
  readonly sessionId: string;
  readonly userName?: string;
  readonly multiSessionId?: string;
  readonly sessionTime?: number;
  /** Full 64-bit counts (below 2^53); split into Octets and Gigawords on the wire. */
  readonly inputOctets?: number;
  readonly outputOctets?: number;
  readonly inputPackets?: number;
  readonly outputPackets?: number;
  readonly terminateCause?: number;
  readonly framedIpAddress?: number;
  /** Class attributes of the Access-Accept, sent back unchanged (RFC 2865 §5.25). */
  readonly class?: readonly Uint8Array[];
  /** Event-Timestamp, seconds since 1970 (RFC 2869 §5.3). */
  readonly eventTimestamp?: number;
  readonly attributes?: readonly RadiusAttribute[];
}

export interface AccountingRecord extends AccountingInput {
  /** Order of creation across the client's life (kept in the spool). */
  readonly seq: number;
  /** `now` when the owner handed it over; Acct-Delay-Time counts from here. */
  readonly createdAt: number;
}

/** Where records wait when the in-memory queue is full: FIFO, persistent in src/io. */
export interface AccountingSpool {
  readonly length: number;
  append(records: readonly AccountingRecord[]): void;
  /** Removes and returns up to `n` records from the head, oldest first. */
  take(n: number): AccountingRecord[];
}

/**
 * A write-ahead journal of accounting records (RFC 2866 §2: the NAS keeps a record until the
 * server has answered). `record` runs before the owner reports the session's event;
 * `acknowledge` once the server has answered it; `pending` is what an earlier process left
 * unacknowledged, read once at construction and sent first, in creation order.
 */
export interface AccountingJournal {
  record(r: AccountingRecord): void;
  acknowledge(r: AccountingRecord): void;
  pending(): readonly AccountingRecord[];
}

export class MemorySpool implements AccountingSpool {
  private readonly items = new Fifo<AccountingRecord>();
  get length(): number {
    return this.items.length;
  }
  append(records: readonly AccountingRecord[]): void {
    for (const r of records) this.items.push(r);
  }
  /** The oldest `n` records, let go of here (a taken record is held only by its taker). */
  take(n: number): AccountingRecord[] {
    const out: AccountingRecord[] = [];
    while (out.length < n) {
      const r = this.items.shift();
      if (r === undefined) break;
      out.push(r);
    }
    return out;
  }
}

/**
 * A record as one JSON line, octets as `{"hex": "..."}`. Only the fields that hold objects
 * (Class, attributes) are rewritten, in a shallow copy: a replacer function would be called
 * for every key of every record and keep JSON.stringify off its fast path (3 % of a
 * per-process nte's CPU, for one Accounting-Start a setup).
 */
export function recordToJson(r: AccountingRecord): string {
  let copy: Record<string, unknown> | undefined;
  for (const k in r) {
    const v = (r as unknown as Record<string, unknown>)[k];
    if (typeof v === 'object' && v !== null) (copy ??= { ...r })[k] = octetsAsHex(v);
  }
  return JSON.stringify(copy ?? r);
}

function octetsAsHex(v: unknown): unknown {
  if (v instanceof Uint8Array) return { hex: hex(v) };
  if (Array.isArray(v)) return v.map(octetsAsHex);
  if (typeof v !== 'object' || v === null) return v;
  const o: Record<string, unknown> = {};
  for (const k in v) o[k] = octetsAsHex((v as Record<string, unknown>)[k]);
  return o;
}

export function recordFromJson(s: string): AccountingRecord {
  return JSON.parse(s, (_k, v: unknown) => (v && typeof v === 'object' && 'hex' in v && typeof (v as { hex: unknown }).hex === 'string' ? fromHex((v as { hex: string }).hex) : v)) as AccountingRecord;
}

export type RadiusClientEvent =
  | {
      readonly type: 'access-response';
      readonly token: number;
      /** Access-Accept, Access-Reject or Access-Challenge. */
      readonly code: number;
      readonly accepted: boolean;
      readonly reply: AccessReply;
      readonly packet: RadiusPacket;
      readonly server: string;
      readonly latencyMs: number;
    }
  | { readonly type: 'access-timeout'; readonly token: number; readonly userName: string }
  | { readonly type: 'accounting-acked'; readonly record: AccountingRecord; readonly server: string; readonly latencyMs: number }
  | { readonly type: 'server-down'; readonly server: string }
  | { readonly type: 'server-up'; readonly server: string }
  | { readonly type: 'warning'; readonly message: string };

export type RadiusClientDrop =
  | 'short'
  | 'malformed'
  | 'unknown-identifier'
  | 'wrong-source'
  | 'unexpected-code'
  | 'bad-authenticator'
  | 'bad-message-authenticator'
  | 'missing-message-authenticator'
  | 'unknown-socket';

export interface RadiusClientCounters {
  accessRequests: number;
  accessAccepts: number;
  accessRejects: number;
  accessChallenges: number;
  accessTimeouts: number;
  acctRecords: number;
  acctAcked: number;
  acctSpilled: number;
  /** Records an earlier process left in the journal, sent again at start. */
  acctReplayed: number;
  acctProbes: number;
  transmits: number;
  retransmits: number;
  failovers: number;
  serverDown: number;
  socketsInUse: number;
  /** Responses accepted without Message-Authenticator because a server was configured so. */
  acceptedWithoutMessageAuthenticator: number;
  tunnelPasswordsUndecryptable: number;
  /** Accounting values cut to fit their attribute (253 octets) and Class attributes left out so the packet fits 4096 octets. */
  acctValuesTruncated: number;
  acctClassDropped: number;
  latencyMsSum: number;
  latencyCount: number;
  latencyMsMax: number;
  dropped: Record<RadiusClientDrop, number>;
}

// ---- internals ----------------------------------------------------------------------

interface ServerState {
  readonly name: string;
  readonly address: number;
  readonly authPort: number;
  readonly acctPort: number;
  readonly secret: Secret;
  readonly requireMa: boolean;
  failures: number;
  deadUntil: number;
}

/**
 * One server's try at a transaction. It keeps the encoded request (to send again) and not the
 * packet it was built from: a transaction can wait seconds for its answer (a retransmission,
 * a dead server), and what it holds that long reaches the old generation, where only a full
 * collection frees it; the attribute objects are garbage as soon as the request is encoded.
 */
interface Attempt {
  readonly server: number;
  readonly slot: number;
  readonly bytes: Uint8Array;
  readonly requestAuthenticator: Uint8Array;
}

/** A datagram to send; a retransmission's packet is parsed from its bytes when someone reads it. */
function radiusTransmit(socket: number, address: number, port: number, bytes: Uint8Array, packet: RadiusPacket | undefined): RadiusTransmit {
  if (packet !== undefined) return { socket, address, port, bytes, packet };
  let parsed: RadiusPacket | undefined;
  return {
    socket,
    address,
    port,
    bytes,
    get packet(): RadiusPacket {
      if (parsed === undefined) {
        const r = radiusPacket.parse(bytes);
        if (!r.ok) throw new Error(`a request this client encoded does not parse: ${r.error.code}`);
        parsed = r.value;
      }
      return parsed;
    },
  };
}

interface Txn {
  readonly token: number;
  readonly kind: 'auth' | 'acct';
  readonly access?: AccessRequestInput;
  readonly record?: AccountingRecord;
  readonly attempts: Attempt[];
  readonly tried: Set<number>;
  /** Transmissions of the current attempt. */
  tries: number;
  rto: number;
  deadline: number;
  firstSent: number;
  done: boolean;
}

const IDS = 256;

export class RadiusClient {
  readonly counters: RadiusClientCounters = {
    accessRequests: 0, accessAccepts: 0, accessRejects: 0, accessChallenges: 0, accessTimeouts: 0, acctRecords: 0, acctAcked: 0,
    acctSpilled: 0, acctReplayed: 0, acctProbes: 0, transmits: 0, retransmits: 0, failovers: 0, serverDown: 0, socketsInUse: 0,
    acceptedWithoutMessageAuthenticator: 0, tunnelPasswordsUndecryptable: 0, acctValuesTruncated: 0, acctClassDropped: 0, latencyMsSum: 0, latencyCount: 0, latencyMsMax: 0,
    dropped: {
      short: 0, malformed: 0, 'unknown-identifier': 0, 'wrong-source': 0, 'unexpected-code': 0, 'bad-authenticator': 0,
      'bad-message-authenticator': 0, 'missing-message-authenticator': 0, 'unknown-socket': 0,
    },
  };

  private readonly servers: ServerState[];
  private readonly initialRto: number;
  private readonly maxRto: number;
  private readonly triesPerServer: number;
  private readonly deadAfter: number;
  private readonly deadTime: number;
  private readonly maxSockets: number;
  private readonly acctWindow: number;
  private readonly acctMemoryLimit: number;
  private readonly acctProbeInterval: number;
  private readonly chapInAuthenticator: boolean;
  private readonly random: (n: number) => Uint8Array;
  private readonly nasAttrs: RadiusAttribute[];
  readonly spool: AccountingSpool;

  /** slot (socket * 256 + id) → transaction token. */
  private readonly slots = new Map<number, number>();
  private readonly idsUsed: number[] = [];
  private readonly idCursor: number[] = [];
  private readonly txns = new Map<number, Txn>();
  /** Each transaction's retransmission deadline. */
  private readonly deadlines = new TimerQueue<Txn>();
  private nextToken = 1;
  private readonly transmits = new Fifo<RadiusTransmit>();
  private readonly events = new Fifo<RadiusClientEvent>();
  /** Transactions waiting for a free identifier. */
  private readonly waiting = new Fifo<Txn>();

  private readonly acctMem: AccountingRecord[] = [];
  private readonly acctBusy = new Set<string>();
  private acctInFlight = 0;
  private acctHoldUntil = 0;
  private acctSeq = 0;

  constructor(config: RadiusClientConfig) {
    if (config.servers.length === 0) throw new Error('RadiusClient: at least one server');
    if (config.nasIpAddress === undefined && config.nasIdentifier === undefined) throw new Error('RadiusClient: NAS-IP-Address or NAS-Identifier (RFC 2865 §4.1)');
    this.servers = config.servers.map((s) => ({
      name: s.name ?? `${s.address}`,
      address: ipv4FromString(s.address),
      authPort: s.authPort ?? 1812,
      acctPort: s.acctPort ?? 1813,
      secret: s.secret,
      requireMa: s.requireMessageAuthenticator ?? true,
      failures: 0,
      deadUntil: 0,
    }));
    for (const s of this.servers) {
      if (!s.requireMa) {
        this.events.push({
          type: 'warning',
          message: `RADIUS server ${s.name}: accepting Access responses WITHOUT Message-Authenticator; this client is open to BlastRADIUS (CVE-2024-3596) forgery against this server. Upgrade the server or enable require_message_authenticator on it.`,
        });
      }
    }
    this.initialRto = config.initialRtoMs ?? 2000;
    this.maxRto = config.maxRtoMs ?? 16000;
    this.triesPerServer = config.triesPerServer ?? 3;
    this.deadAfter = config.deadAfterFailures ?? 2;
    this.deadTime = config.deadTimeMs ?? 30000;
    this.maxSockets = config.maxSockets ?? 16;
    this.acctWindow = config.acctWindow ?? 32;
    this.acctMemoryLimit = config.acctMemoryLimit ?? 1000;
    this.acctProbeInterval = config.acctProbeIntervalMs ?? 5000;
    this.chapInAuthenticator = config.chapChallengeInAuthenticator ?? true;
    this.random = config.random ?? cryptoRandom; // pooled: a challenge or an authenticator costs no system call
    this.spool = config.spool ?? new MemorySpool();
    this.nasAttrs = [];
    if (config.nasIpAddress !== undefined) this.nasAttrs.push(ipv4Attr(A.NAS_IP_ADDRESS, config.nasIpAddress));
    if (config.nasIdentifier !== undefined) this.nasAttrs.push(textAttr(A.NAS_IDENTIFIER, config.nasIdentifier));
    this.acctSeq = 0;
    this.journal = config.journal;
    // What a killed process left unacknowledged goes first, in order, with its own numbers.
    const left = this.journal?.pending() ?? [];
    for (const r of left) {
      if (this.acctMem.length < this.acctMemoryLimit && this.spool.length === 0) this.acctMem.push(r);
      else this.spool.append([r]);
      if (r.seq >= this.acctSeq) this.acctSeq = r.seq + 1;
    }
    this.counters.acctReplayed = left.length;
    this.replayDue = left.length > 0;
  }

  /** Records were left by an earlier process: the first timeout (at once) starts sending them. */
  private replayDue = false;

  private readonly journal: AccountingJournal | undefined;

  // ---- the owner's API --------------------------------------------------------------

  /** Starts an Access-Request; its answer comes as an `access-response` or `access-timeout` event with this token. */
  accessRequest(req: AccessRequestInput, now: number): number {
    const problem = accessRequestProblem(req);
    if (problem) throw new RangeError(`accessRequest: ${problem} (check peer values with accessRequestProblem first)`);
    const txn = this.newTxn('auth', now, { access: req });
    this.counters.accessRequests++;
    this.start(txn, now);
    return txn.token;
  }

  /** Queues one accounting record; it is sent in order after the session's earlier records. */
  account(input: AccountingInput, now: number): AccountingRecord {
    // Spread last: V8 adds properties to a spread's copy on a slow path (about 1 µs each).
    const rec: AccountingRecord = { seq: this.acctSeq++, createdAt: now, ...input };
    this.counters.acctRecords++;
    this.journal?.record(rec);
    if (this.spool.length > 0 || this.acctMem.length >= this.acctMemoryLimit) {
      this.spool.append([rec]);
      this.counters.acctSpilled++;
    } else this.acctMem.push(rec);
    this.pumpAccounting(now);
    return rec;
  }

  /** Continue numbering after a restart that found records in the spool. */
  setAccountingSeq(next: number): void {
    this.acctSeq = Math.max(this.acctSeq, next);
  }

  /** Records not yet acknowledged: in memory, in the spool and in flight. */
  get accountingBacklog(): number {
    return this.acctMem.length + this.spool.length + this.acctInFlight;
  }

  /** Records in memory or in flight, oldest first, for a driver that saves them at shutdown. */
  unackedInMemory(): AccountingRecord[] {
    const inflight = [...this.txns.values()].filter((t) => t.kind === 'acct' && !t.done).map((t) => t.record!);
    return [...inflight, ...this.acctMem].sort((a, b) => a.seq - b.seq);
  }

  serverStates(now: number): { name: string; alive: boolean; failures: number; deadForMs: number }[] {
    return this.servers.map((s) => ({ name: s.name, alive: s.failures < this.deadAfter, failures: s.failures, deadForMs: Math.max(0, s.deadUntil - now) }));
  }

  // ---- sans-IO plumbing -------------------------------------------------------------

  handle(d: RadiusDatagram, now: number): void {
    const b = d.bytes;
    if (b.length < HEADER_LENGTH) return this.dropDatagram('short');
    if (d.socket < 0 || d.socket >= this.maxSockets) return this.dropDatagram('unknown-socket');
    const token = this.slots.get(d.socket * IDS + b[RF.IDENTIFIER]!);
    const txn = token === undefined ? undefined : this.txns.get(token);
    if (!txn || txn.done) return this.dropDatagram('unknown-identifier');
    const attempt = txn.attempts.find((a) => a.slot === d.socket * IDS + b[RF.IDENTIFIER]!)!;
    const server = this.servers[attempt.server]!;
    const port = txn.kind === 'auth' ? server.authPort : server.acctPort;
    if (d.address !== server.address || d.port !== port) return this.dropDatagram('wrong-source');
    const code = b[RF.CODE]!;
    const expected = txn.kind === 'auth'
      ? code === RadiusCode.ACCESS_ACCEPT || code === RadiusCode.ACCESS_REJECT || code === RadiusCode.ACCESS_CHALLENGE
      : code === RadiusCode.ACCOUNTING_RESPONSE;
    if (!expected) return this.dropDatagram('unexpected-code');
    const len = u16(b, RF.LENGTH);
    if (len < HEADER_LENGTH || len > b.length) return this.dropDatagram('malformed');
    const bytes = b.subarray(0, len);
    // RFC 2865 §3: a response whose authenticator is wrong is silently discarded.
    if (!verifyResponseAuthenticator(bytes, server.secret, attempt.requestAuthenticator)) return this.dropDatagram('bad-authenticator');
    const ma = checkMessageAuthenticator(bytes, server.secret, attempt.requestAuthenticator);
    if (ma === 'invalid') return this.dropDatagram('bad-message-authenticator');
    if (ma === 'absent' && txn.kind === 'auth') {
      if (server.requireMa) return this.dropDatagram('missing-message-authenticator');
      this.counters.acceptedWithoutMessageAuthenticator++;
    }
    const parsed = radiusPacket.parse(bytes);
    if (!parsed.ok) return this.dropDatagram('malformed');
    this.markAlive(server);
    const latency = now - txn.firstSent;
    this.counters.latencyMsSum += latency;
    this.counters.latencyCount++;
    if (latency > this.counters.latencyMsMax) this.counters.latencyMsMax = latency;
    this.finish(txn);
    if (txn.kind === 'auth') {
      const reply = readAccessReply(parsed.value, server.secret, attempt.requestAuthenticator);
      this.counters.tunnelPasswordsUndecryptable += reply.undecryptableTunnelPasswords;
      if (code === RadiusCode.ACCESS_ACCEPT) this.counters.accessAccepts++;
      else if (code === RadiusCode.ACCESS_REJECT) this.counters.accessRejects++;
      else this.counters.accessChallenges++;
      const { undecryptableTunnelPasswords: _u, ...rest } = reply;
      this.events.push({ type: 'access-response', token: txn.token, code, accepted: code === RadiusCode.ACCESS_ACCEPT, reply: rest, packet: parsed.value, server: server.name, latencyMs: latency });
    } else {
      this.counters.acctAcked++;
      this.acctInFlight--;
      this.acctBusy.delete(txn.record!.sessionId);
      this.journal?.acknowledge(txn.record!);
      this.events.push({ type: 'accounting-acked', record: txn.record!, server: server.name, latencyMs: latency });
    }
    this.startWaiting(now);
    this.pumpAccounting(now);
  }

  /** A text attribute of an accounting record (bound once: a closure per record costs under tsx). */
  private readonly acctText = this.acctTextOf.bind(this);

  private acctTextOf(type: number, v: string): RadiusAttribute {
    const b = textBytes(v);
    if (b.length <= MAX_VALUE_LENGTH) return octetsAttr(type, b);
    this.counters.acctValuesTruncated++;
    return octetsAttr(type, b.subarray(0, MAX_VALUE_LENGTH));
  }

  private dropDatagram(why: RadiusClientDrop): void {
    this.counters.dropped[why]++;
  }

  handleTimeout(now: number): void {
    this.replayDue = false;
    for (const txn of this.deadlines.due(now)) if (!txn.done) this.onTimeout(txn, now);
    this.startWaiting(now);
    this.pumpAccounting(now);
  }

  pollTransmit(): RadiusTransmit | undefined {
    return this.transmits.shift();
  }

  pollEvent(): RadiusClientEvent | undefined {
    return this.events.shift();
  }

  nextTimeout(): number | undefined {
    if (this.replayDue) return 0;
    let t = this.deadlines.peek();
    if (this.acctHoldUntil > 0 && (this.acctMem.length > 0 || this.spool.length > 0)) t = t === undefined ? this.acctHoldUntil : Math.min(t, this.acctHoldUntil);
    return t;
  }

  // ---- transactions -----------------------------------------------------------------

  private newTxn(kind: 'auth' | 'acct', now: number, x: { access?: AccessRequestInput; record?: AccountingRecord }): Txn {
    const txn: Txn = { token: this.nextToken++, kind, ...x, attempts: [], tried: new Set(), tries: 0, rto: this.initialRto, deadline: 0, firstSent: now, done: false };
    this.txns.set(txn.token, txn);
    return txn;
  }

  /**
   * Picks the next server for `txn`: in priority order those alive or whose dead time is
   * over (tried again), then the dead ones, soonest back first.
   */
  private pickServer(txn: Txn, now: number): number | undefined {
    let best: number | undefined;
    for (let i = 0; i < this.servers.length; i++) {
      if (txn.tried.has(i)) continue;
      const s = this.servers[i]!;
      if (s.failures < this.deadAfter || s.deadUntil <= now) return i;
      if (best === undefined || Math.max(s.deadUntil, now) < Math.max(this.servers[best]!.deadUntil, now)) best = i;
    }
    return best;
  }

  private start(txn: Txn, now: number): void {
    const server = this.pickServer(txn, now);
    if (server === undefined) return this.fail(txn, now);
    const slot = this.allocSlot();
    if (slot === undefined) {
      this.waiting.push(txn);
      return;
    }
    if (txn.attempts.length > 0) this.counters.failovers++;
    txn.tried.add(server);
    const { packet, bytes, requestAuthenticator } = this.build(txn, server, slot & 0xff, now);
    const attempt: Attempt = { server, slot, bytes, requestAuthenticator };
    txn.attempts.push(attempt);
    this.slots.set(slot, txn.token);
    txn.tries = 0;
    txn.rto = this.initialRto;
    if (txn.attempts.length === 1) txn.firstSent = now;
    this.send(txn, attempt, now, packet);
  }

  /** Sends attempt `a` (again); `packet` is what it was built from, on its first transmission. */
  private send(txn: Txn, a: Attempt, now: number, packet?: RadiusPacket): void {
    const s = this.servers[a.server]!;
    this.transmits.push(radiusTransmit(Math.floor(a.slot / IDS), s.address, txn.kind === 'auth' ? s.authPort : s.acctPort, a.bytes, packet));
    this.counters.transmits++;
    if (txn.tries > 0) this.counters.retransmits++;
    txn.tries++;
    // RFC 5080 §2.2.1 style: the timeout doubles with each retransmission, capped, with ±10 % jitter.
    const jitter = 0.9 + (this.random(1)[0]! / 255) * 0.2;
    txn.deadline = now + Math.round(txn.rto * jitter);
    txn.rto = Math.min(txn.rto * 2, this.maxRto);
    this.deadlines.schedule(txn, txn.deadline);
  }

  private onTimeout(txn: Txn, now: number): void {
    const a = txn.attempts[txn.attempts.length - 1]!;
    if (txn.tries < this.triesPerServer) return this.send(txn, a, now);
    const s = this.servers[a.server]!;
    s.failures++;
    if (s.failures >= this.deadAfter) {
      if (s.deadUntil <= now && s.failures === this.deadAfter) {
        this.counters.serverDown++;
        this.events.push({ type: 'server-down', server: s.name });
      }
      s.deadUntil = now + this.deadTime;
    }
    // The old attempt's identifier stays reserved: a late answer to it is still accepted.
    this.start(txn, now);
  }

  private fail(txn: Txn, now: number): void {
    this.finish(txn);
    if (txn.kind === 'auth') {
      this.counters.accessTimeouts++;
      this.events.push({ type: 'access-timeout', token: txn.token, userName: txn.access!.userName });
    } else {
      // No server took it: back to the head of the queue; while all are dead, probe later.
      this.acctInFlight--;
      this.acctBusy.delete(txn.record!.sessionId);
      this.acctMem.unshift(txn.record!);
      if (this.servers.every((s) => s.failures >= this.deadAfter)) this.acctHoldUntil = now + this.acctProbeInterval;
    }
  }

  private finish(txn: Txn): void {
    txn.done = true;
    this.deadlines.remove(txn);
    for (const a of txn.attempts) {
      this.slots.delete(a.slot);
      this.freeSlot(a.slot);
    }
    this.txns.delete(txn.token);
  }

  private markAlive(s: ServerState): void {
    if (s.failures >= this.deadAfter) this.events.push({ type: 'server-up', server: s.name });
    s.failures = 0;
    s.deadUntil = 0;
    this.acctHoldUntil = 0;
  }

  private startWaiting(now: number): void {
    while (this.waiting.length && this.freeSlotsExist()) this.start(this.waiting.shift()!, now);
  }

  private pumpAccounting(now: number): void {
    if (this.acctMem.length < this.acctMemoryLimit / 2 && this.spool.length > 0) {
      for (const r of this.spool.take(this.acctMemoryLimit - this.acctMem.length)) this.acctMem.push(r);
    }
    if (this.acctMem.length === 0 || now < this.acctHoldUntil) return;
    this.acctHoldUntil = 0;
    const anyAlive = this.servers.some((s) => s.failures < this.deadAfter);
    const window = anyAlive ? this.acctWindow : 1;
    for (let i = 0; i < this.acctMem.length && this.acctInFlight < window; ) {
      const rec = this.acctMem[i]!;
      if (this.acctBusy.has(rec.sessionId)) {
        i++;
        continue;
      }
      if (!this.freeSlotsExist()) break;
      this.acctMem.splice(i, 1);
      this.acctBusy.add(rec.sessionId);
      this.acctInFlight++;
      if (!anyAlive) this.counters.acctProbes++;
      this.start(this.newTxn('acct', now, { record: rec }), now);
      if (this.acctMem.length < this.acctMemoryLimit / 2 && this.spool.length > 0) {
        for (const r of this.spool.take(this.acctMemoryLimit - this.acctMem.length)) this.acctMem.push(r);
      }
    }
  }

  // ---- packets ----------------------------------------------------------------------

  private build(txn: Txn, server: number, id: number, now: number): { packet: RadiusPacket; bytes: Uint8Array; requestAuthenticator: Uint8Array } {
    const s = this.servers[server]!;
    // Message-Authenticator first: the BlastRADIUS advice, harmless to older servers.
    const attrs: RadiusAttribute[] = [messageAuthenticatorAttr()];
    let authenticator: Uint8Array;
    let code: number;
    if (txn.kind === 'auth') {
      const r = txn.access!;
      code = RadiusCode.ACCESS_REQUEST;
      const chapAsAuth = r.auth.type === 'chap' && this.chapInAuthenticator && r.auth.challenge.length === 16;
      authenticator = chapAsAuth && r.auth.type === 'chap' ? r.auth.challenge : this.random(16);
      attrs.push(textAttr(A.USER_NAME, r.userName));
      if (r.auth.type === 'pap') {
        const pw = typeof r.auth.password === 'string' ? textBytes(r.auth.password) : r.auth.password;
        attrs.push(octetsAttr(A.USER_PASSWORD, hideUserPassword(pw, s.secret, authenticator)));
      } else {
        const v = new Uint8Array(17);
        v[0] = r.auth.id;
        v.set(r.auth.response.subarray(0, 16), 1);
        attrs.push(octetsAttr(A.CHAP_PASSWORD, v));
        if (!chapAsAuth) attrs.push(octetsAttr(A.CHAP_CHALLENGE, r.auth.challenge));
      }
      attrs.push(...this.nasAttrs);
      this.portAttrs(attrs, r);
      attrs.push(intAttr(A.SERVICE_TYPE, r.serviceType ?? ServiceType.FRAMED));
      attrs.push(intAttr(A.FRAMED_PROTOCOL, r.framedProtocol ?? FramedProtocol.PPP));
      if (r.state) attrs.push(octetsAttr(A.STATE, r.state));
      if (r.attributes) attrs.push(...r.attributes);
    } else {
      const r = txn.record!;
      code = RadiusCode.ACCOUNTING_REQUEST;
      authenticator = new Uint8Array(16);
      // A record must always go out: its values came from peers (names, numbers, Class), so
      // what would not fit is cut or left out and counted, never thrown.
      const textAttr = this.acctText;
      if (r.userName !== undefined) attrs.push(textAttr(A.USER_NAME, r.userName));
      attrs.push(intAttr(A.ACCT_STATUS_TYPE, r.statusType));
      attrs.push(textAttr(A.ACCT_SESSION_ID, r.sessionId));
      if (r.multiSessionId !== undefined) attrs.push(textAttr(A.ACCT_MULTI_SESSION_ID, r.multiSessionId));
      attrs.push(...this.nasAttrs);
      this.portAttrs(attrs, r, textAttr);
      if (r.statusType === AcctStatusType.START || r.statusType === AcctStatusType.STOP || r.statusType === AcctStatusType.INTERIM_UPDATE) {
        attrs.push(intAttr(A.SERVICE_TYPE, ServiceType.FRAMED), intAttr(A.FRAMED_PROTOCOL, FramedProtocol.PPP));
      }
      if (r.framedIpAddress !== undefined) attrs.push(ipv4Attr(A.FRAMED_IP_ADDRESS, r.framedIpAddress));
      attrs.push(intAttr(A.ACCT_AUTHENTIC, 1));
      const classes = r.class ?? [];
      if (r.sessionTime !== undefined) attrs.push(intAttr(A.ACCT_SESSION_TIME, r.sessionTime));
      pushOctets(attrs, A.ACCT_INPUT_OCTETS, A.ACCT_INPUT_GIGAWORDS, r.inputOctets);
      pushOctets(attrs, A.ACCT_OUTPUT_OCTETS, A.ACCT_OUTPUT_GIGAWORDS, r.outputOctets);
      if (r.inputPackets !== undefined) attrs.push(intAttr(A.ACCT_INPUT_PACKETS, r.inputPackets));
      if (r.outputPackets !== undefined) attrs.push(intAttr(A.ACCT_OUTPUT_PACKETS, r.outputPackets));
      if (r.terminateCause !== undefined) attrs.push(intAttr(A.ACCT_TERMINATE_CAUSE, r.terminateCause));
      if (r.eventTimestamp !== undefined) attrs.push(intAttr(A.EVENT_TIMESTAMP, r.eventTimestamp));
      // RFC 2866 §5.2: how long the record waited; a new attempt gets a new id, as the RFC asks.
      attrs.push(intAttr(A.ACCT_DELAY_TIME, Math.max(0, Math.floor((now - r.createdAt) / 1000))));
      if (r.attributes) attrs.push(...r.attributes);
      // RFC 2865 §5.25: Class goes back unchanged, as many as fit.
      let room = MAX_PACKET_LENGTH - radiusPacket.encodedLength({ code, identifier: id, authenticator, attributes: attrs });
      for (const c of classes) {
        if (c.length <= MAX_VALUE_LENGTH && 2 + c.length <= room) {
          attrs.push(octetsAttr(A.CLASS, c));
          room -= 2 + c.length;
        } else this.counters.acctClassDropped++;
      }
    }
    const packet: RadiusPacket = { code, identifier: id, authenticator, attributes: attrs };
    const bytes = new Uint8Array(radiusPacket.encodedLength(packet));
    radiusPacket.emit(packet, bytes, 0);
    signPacket(bytes, s.secret);
    const requestAuthenticator = bytes.subarray(RF.AUTHENTICATOR, RF.ATTRIBUTES);
    return { packet: { code, identifier: id, authenticator: requestAuthenticator, attributes: attrs }, bytes, requestAuthenticator };
  }

  private portAttrs(attrs: RadiusAttribute[], r: NasPortInfo, text: (type: number, s: string) => RadiusAttribute = textAttr): void {
    if (r.nasPort !== undefined) attrs.push(intAttr(A.NAS_PORT, r.nasPort));
    if (r.nasPortId !== undefined) attrs.push(text(A.NAS_PORT_ID, r.nasPortId));
    attrs.push(intAttr(A.NAS_PORT_TYPE, r.nasPortType ?? NasPortType.VIRTUAL));
    if (r.callingStationId !== undefined) attrs.push(text(A.CALLING_STATION_ID, r.callingStationId));
    if (r.calledStationId !== undefined) attrs.push(text(A.CALLED_STATION_ID, r.calledStationId));
  }

  // ---- identifiers: 256 per socket, next socket when they run out ---------------------

  private allocSlot(): number | undefined {
    for (let s = 0; s < this.maxSockets; s++) {
      if (s >= this.idsUsed.length) {
        this.idsUsed.push(0);
        this.idCursor.push(this.random(1)[0]!);
        this.counters.socketsInUse = this.idsUsed.length;
      }
      if (this.idsUsed[s]! >= IDS) continue;
      // Rotate through the ids so a just-freed one is not reused at once (a late answer would match it).
      for (let k = 0; k < IDS; k++) {
        const id = (this.idCursor[s]! + k) & 0xff;
        const slot = s * IDS + id;
        if (!this.slots.has(slot) && !this.reserved.has(slot)) {
          this.idCursor[s] = (id + 1) & 0xff;
          this.idsUsed[s]!++;
          this.reserved.add(slot);
          return slot;
        }
      }
    }
    return undefined;
  }

  private readonly reserved = new Set<number>();

  private freeSlot(slot: number): void {
    if (this.reserved.delete(slot)) this.idsUsed[Math.floor(slot / IDS)]!--;
  }

  private freeSlotsExist(): boolean {
    if (this.idsUsed.length < this.maxSockets) return true;
    return this.idsUsed.some((n) => n < IDS);
  }

}

/** Octets as RFC 2866 counters and their RFC 2869 Gigawords. */
function pushOctets(attrs: RadiusAttribute[], type: number, gigaType: number, n: number | undefined): void {
  if (n === undefined) return;
  attrs.push(intAttr(type, n % 2 ** 32));
  if (n >= 2 ** 32) attrs.push(intAttr(gigaType, Math.floor(n / 2 ** 32)));
}
