/**
 * L2TPv2 tunnels and sessions (RFC 2661), both sides, sans-IO: an `L2tpNode` is an LAC (opens
 * tunnels on demand and places incoming calls) or an LNS (accepts known LACs and their calls).
 * It owns no socket and reads no clock: datagrams go in with `handle(from, bytes, now)`, typed
 * messages come out of `pollTransmit()` addressed to an opaque endpoint, events out of `pollEvent()`.
 * Data messages are events too, or, with `setDataSink`, handed to the owner's relay as they are
 * read (the data path: no event per packet); `handleIfData` takes one without its sender's endpoint.
 * Control messages are delivered reliably through `ReliableControl` (§5.8).
 * An LNS keeps no retransmission state for a peer it has not authenticated: unknown LACs get one
 * StopCCN (rate-limited per source and overall), a claimed-known one a half-open tunnel in a small
 * bounded table (oldest evicted) until its SCCCN proves the secret. Every refusal is counted.
 */
import { cryptoRandom } from './ppp-common.js';
import {
  l2tp, l2tpWithSecret, avp, findAvp, hideAvps, challengeResponse, controlMessageType, messageTypeName, writeDataHeader, dataHeaderLength,
  MessageType, StopCcnResult, CdnResult, GeneralError, FramingBits, HIDE,
  type Avp, type AvpKind, type AvpOf, type ControlMessage, type DataMessage, type L2tpMessage, L2tpDataView, type Secret,
} from '../wire/l2tp.js';
import { bytesEqual, keptBytes } from '../wire/bytes.js';
import { packetBuffer } from '../wire/packet-buffer.js';
import { optionListWellFormed } from '../wire/ppp.js';
import { Fifo } from './fifo.js';
import { ReliableControl, DEFAULT_RELIABLE, emptyReliableCounters, fullRetransmitCycle, type ReliableConfig, type ReliableCounters } from './l2tp-reliable.js';
import { earliest } from './timers.js';

// ---------------------------------------------------------------------------------------------
// Public types.

/** A Result Code AVP's contents (§4.4.2). */
export interface ResultCode {
  readonly result: number;
  readonly error?: number;
  readonly message?: string;
}

/** A Q.931 Cause Code AVP's contents (§4.4.4). */
export interface Q931Cause {
  readonly cause: number;
  readonly msg: number;
  readonly advisory?: string;
}

/**
 * Proxy LCP (§4.4.5, AVPs 26–28): the first CONFREQ the LAC received from the client, and the
 * last CONFREQs it sent and received, each as the AVP carries it: the CONFREQ body from its
 * first option on, the octets as they were on the link. They stay octets from the LAC's PPP
 * link to the LNS's (which parses them once, to accept or renegotiate): a LAC that parsed them
 * into option values to encode them again, and an LNS that did the same the other way, made
 * about a dozen objects and buffers a call for nothing, and could only have changed them.
 * Received ones are checked as an option list (`optionListWellFormed`) and dropped when they are not.
 */
export interface ProxyLcp {
  readonly initialReceived?: Uint8Array;
  readonly lastSent?: Uint8Array;
  readonly lastReceived?: Uint8Array;
}

/** Proxy authentication (§4.4.5, AVPs 29–33). `type` is a ProxyAuthType. */
export interface ProxyAuth {
  readonly type: number;
  readonly name?: string;
  readonly challenge?: Uint8Array;
  readonly id?: number;
  readonly response?: Uint8Array;
}

/** What an LAC says about an incoming call (ICRQ + ICCN), and what an LNS hands its owner. */
export interface CallInfo {
  readonly callSerialNumber?: number;
  readonly bearerType?: number;
  readonly physicalChannelId?: number;
  readonly callingNumber?: string;
  readonly calledNumber?: string;
  readonly subAddress?: string;
  readonly txConnectSpeed?: number;
  readonly rxConnectSpeed?: number;
  /** Framing Type bits (FramingBits), sync by default. */
  readonly framingType?: number;
  /** Sequencing Required AVP: data messages carry Ns both ways for the life of the session. */
  readonly sequencingRequired?: boolean;
  readonly privateGroupId?: Uint8Array;
  readonly proxyLcp?: ProxyLcp;
  readonly proxyAuth?: ProxyAuth;
}

export interface TunnelCounters {
  opened: number;
  established: number;
  closed: number;
  refused: number;
  active: number;
  /** LNS: tunnels between SCCRQ and the SCCCN that proves the peer, now. */
  halfOpen: number;
  /** The most tunnels (any state) held at one moment since start. */
  peak: number;
}

export interface SessionCounters {
  opened: number;
  established: number;
  closed: number;
  refused: number;
  active: number;
  dataIn: number;
  dataOut: number;
}

export interface L2tpCounters {
  datagramsIn: number;
  tunnels: TunnelCounters;
  sessions: SessionCounters;
  /** Datagrams or messages dropped, by reason (`malformed:<wire code>`, `unknown-tunnel`, ...). */
  drops: Record<string, number>;
  /** Tunnels/sessions torn down, by reason (`unknown-mandatory-avp`, `retransmit-timeout`, ...). */
  teardowns: Record<string, number>;
  /**
   * Admission control, by reason: SCCRQs refused or dropped before the peer was authenticated
   * (`sccrq-not-authorized`, `sccrq-rate-limited`, `stopccn-rate-limited`, `half-open-evicted`,
   * `half-open-expired`, `bad-challenge-response`, `tunnel-ids-exhausted`, ...) and calls refused
   * (`icrq-half-open-cap`, `icrq-control-queue-full`, `session-ids-exhausted`).
   */
  refusals: Record<string, number>;
  /** The reliable-delivery counters summed over tunnels that have ended (live ones: `tunnelInfo`). */
  control: ReliableCounters;
}

/**
 * What a node tells its owner. `owner` on the session events is the value the owner gave the
 * session (`OpenSessionRequest.owner`, `setOwner`): the owner needs no table of its own from
 * session keys to its sessions.
 */
/**
 * Where data messages go as they are read (`setDataSink`), instead of `data` events: the
 * owner's relay, so that the data path passes no event per packet. Called during `handle` with
 * the buffer the datagram came in and where the PPP frame is in it, b[offset, offset + length).
 */
export interface L2tpDataSink<U> {
  l2tpData(session: number, owner: U | undefined, b: Uint8Array, offset: number, length: number, now: number): void;
}

export type L2tpEvent<E, U = unknown> =
  | { readonly type: 'tunnel-up'; readonly tunnelId: number; readonly peerTunnelId: number; readonly peerHostName: string; readonly peer: E }
  | { readonly type: 'tunnel-down'; readonly tunnelId: number; readonly reason: string; readonly result?: ResultCode }
  | { readonly type: 'session-up'; readonly session: number; readonly owner: U | undefined; readonly tunnelId: number; readonly sessionId: number; readonly peerSessionId: number; readonly info: CallInfo }
  | { readonly type: 'session-down'; readonly session: number; readonly owner: U | undefined; readonly reason: string; readonly result?: ResultCode; readonly cause?: Q931Cause }
  | { readonly type: 'data'; readonly session: number; readonly owner: U | undefined; readonly payload: Uint8Array }
  | { readonly type: 'wan-error'; readonly session: number; readonly errors: AvpOf<'callErrors'> }
  | { readonly type: 'set-link-info'; readonly session: number; readonly sendAccm: number; readonly receiveAccm: number }
  /** With `trace`: a control message was queued (`sent`) or delivered in order (`received`). */
  | { readonly type: 'control-sent' | 'control-received'; readonly tunnelId: number; readonly ns: number; readonly messageType: number; readonly sessionId: number };

export interface L2tpTransmit<E> {
  readonly to: E;
  /** Encode with the plain `l2tp` codec: hidden AVPs are already concealed. */
  readonly message: L2tpMessage;
}

/** Limits on what a peer can make us hold (DESIGN: state for a peer only once the peer is known). */
export interface AdmissionConfig {
  /** LNS: half-open tunnels (SCCRP sent, SCCCN not yet verified) held at most; the oldest is evicted. */
  readonly halfOpenMax: number;
  /** LNS: half-open tunnels per source address at most; that source's oldest is evicted. */
  readonly halfOpenPerSource: number;
  /** LNS: a half-open tunnel is forgotten this long after its SCCRQ, ms (default: the LAC's full retransmission cycle). */
  readonly halfOpenTimeout: number;
  /** Answers (SCCRP, StopCCN) to not-yet-authenticated peers per source address: token bucket rate, per second. */
  readonly answerRate: number;
  /** ... and its burst. */
  readonly answerBurst: number;
  /** StopCCN refusals to not-yet-authenticated peers overall: token bucket rate, per second (spoofed sources). */
  readonly refusalRate: number;
  /** ... and its burst. */
  readonly refusalBurst: number;
  /** Source addresses whose token bucket is remembered (least recently used forgotten). */
  readonly sources: number;
  /** LNS: calls per tunnel between ICRQ and ICCN at most; more ICRQs get CDN result 4 (temporary lack of facilities). */
  readonly halfOpenCalls: number;
  /** LAC: ICRQs per tunnel awaiting their ICRP at most; further calls wait (their ICRQ is deferred). */
  readonly pendingCalls: number;
  /** Control messages per tunnel held while the reliable queue is full (ICCN, CDN, ...); beyond it the tunnel is stopped. */
  readonly backlog: number;
  /**
   * A call still waiting for its ICRP (LAC) or ICCN (LNS) this long after its ICRQ is ended with a
   * CDN, ms (`call-setup-timeout`): a peer that never answers cannot hold the pending slots for ever.
   * Default four full retransmission cycles (124 s at §5.8's defaults): on a very lossy tunnel a
   * legitimate answer can wait behind a window of others, each taking up to one cycle.
   */
  readonly callSetupTimeout: number;
}

/** What an LNS knows about an LAC it accepts. */
export interface PeerPolicy {
  /** Shared tunnel secret: tunnel authentication (Challenge/Response) and hidden AVPs. */
  readonly secret?: Secret;
}

export interface L2tpConfig<E> {
  readonly role: 'lac' | 'lns';
  /** Our Host Name AVP. */
  readonly hostName: string;
  readonly vendorName?: string;
  readonly firmwareRevision?: number;
  readonly framingCapabilities?: number;
  readonly bearerCapabilities?: number;
  /** LNS: decides on an SCCRQ by its Host Name; undefined refuses with StopCCN result 4. */
  readonly authorize?: (hostName: string, from: E) => PeerPolicy | undefined;
  /** Send the AVPs that may be hidden (proxy authentication, numbers) hidden when a secret exists. Default true. */
  readonly hideAvps?: boolean;
  readonly reliable?: Partial<ReliableConfig>;
  /** HELLO after this long without a message from the peer, ms (§6.5; default 60 s). */
  readonly helloInterval?: number;
  /** StopCCN a tunnel this long after its last session ended; undefined keeps it. */
  readonly idleTunnelTimeout?: number;
  /**
   * LAC: sessions one tunnel carries at most (RFC 2661's Session ID is 16 bits: 65,535). A call
   * to an LNS whose tunnels are all this full opens another tunnel to it. Default
   * DEFAULT_MAX_SESSIONS_PER_TUNNEL.
   */
  readonly maxSessionsPerTunnel?: number;
  /** Data messages we send carry the Length field. Default false (as xl2tpd and Linux do). */
  readonly dataLengthBit?: boolean;
  /** Identity of an endpoint, for finding the tunnel to an LNS and duplicate SCCRQs. Default String(e). */
  readonly endpointKey?: (e: E) => string;
  /** Randomness for ids, challenges and Random Vectors. Default node:crypto. */
  readonly random?: (n: number) => Uint8Array;
  /** Emit control-sent / control-received events. */
  readonly trace?: boolean;
  /** Admission limits; defaults in `DEFAULT_ADMISSION`. */
  readonly admission?: Partial<AdmissionConfig>;
  /** The source address of an endpoint, for per-source limits (an attacker varies the port). Default: `endpointKey`. */
  readonly sourceKey?: (e: E) => string;
}

/**
 * Sessions per LAC tunnel by default: below the 65,535 Session IDs, with room for calls that
 * are still ending, and so that a random free id is found in a few draws.
 */
export const DEFAULT_MAX_SESSIONS_PER_TUNNEL = 60_000;

/** Random draws for a free tunnel or session id before the search walks the id space from a random start. */
const RANDOM_ID_DRAWS = 16;

export const DEFAULT_ADMISSION: Omit<AdmissionConfig, 'halfOpenTimeout' | 'callSetupTimeout'> = {
  halfOpenMax: 256, halfOpenPerSource: 16, answerRate: 10, answerBurst: 20, refusalRate: 200, refusalBurst: 200, sources: 4096,
  halfOpenCalls: 1024, pendingCalls: 128, backlog: 0x20000,
};

/** An LAC's request for an incoming call to an LNS. */
export interface OpenSessionRequest<E, U = unknown> {
  /** Where the LNS is (UDP 1701 on its address, for the caller's transport). */
  readonly lns: E;
  /** Tunnel secret shared with that LNS. */
  readonly secret?: Secret;
  readonly call?: CallInfo;
  /** The caller's own value for this session, given back on its events. */
  readonly owner?: U;
}

// ---------------------------------------------------------------------------------------------
// Internal state.

type TunnelState = 'wait-ctl-reply' | 'wait-ctl-conn' | 'established' | 'closing';
/** wait-tunnel: an LAC call whose ICRQ waits (tunnel not up yet, or too many calls pending, or the control queue full). */
type SessionState = 'wait-tunnel' | 'wait-reply' | 'wait-connect' | 'established';

/** The call information of an established session: none is read after the ICCN. */
const NO_CALL: CallInfo = Object.freeze({});

interface Session {
  readonly localId: number;
  peerId: number;
  state: SessionState;
  call: CallInfo;
  /** We put Ns on data messages. */
  sendSequenced: boolean;
  dataNs: number;
  /** Next data Ns expected from the peer (when it sequences). */
  dataNr: number;
  /** The node owner's value for the session (typed at the node's boundary as its `U`). */
  owner: unknown;
}

interface Tunnel<E> {
  readonly localId: number;
  peer: E;
  /** LAC: key of the LNS it was opened to (reuse); LNS: key of the SCCRQ source + its tunnel id (duplicates). */
  readonly key: string;
  readonly initiator: boolean;
  state: TunnelState;
  readonly cc: ReliableControl;
  secret: Secret | undefined;
  ourChallenge: Uint8Array | undefined;
  peerHostName: string;
  readonly sessions: Map<number, Session>;
  lastHeard: number;
  helloAt: number | undefined;
  /** closing: when the state is dropped (§5.7: a full retransmission cycle after StopCCN). */
  holdUntil: number | undefined;
  idleAt: number | undefined;
  /** Wire parse with this tunnel's secret (hidden AVPs). */
  codec: typeof l2tp;
  /** LNS: not yet authenticated (no SCCCN verified); held in the bounded half-open table until this time. */
  halfOpenUntil: number | undefined;
  /** The peer's source address (per-source limits). */
  readonly source: string;
  /** Control messages waiting for room in the reliable queue, in order. */
  readonly backlog: Fifo<{ sessionId: number; avps: readonly Avp[] }>;
  /** LAC: calls whose ICRQ waits, in order (some may have ended meanwhile). */
  readonly waiting: Fifo<Session>;
  /** LAC: sessions in wait-reply; LNS: sessions in wait-connect. */
  pendingCalls: number;
  /** Those calls with their setup deadlines, oldest first (one timeout for all, so FIFO is deadline order). */
  readonly setupDeadlines: Fifo<{ s: Session; at: number }>;
}

/** A token bucket (tokens refill at `rate` per second up to `burst`). */
interface Bucket {
  tokens: number;
  at: number;
}

function takeToken(b: Bucket, now: number, rate: number, burst: number): boolean {
  b.tokens = Math.min(burst, b.tokens + (Math.max(0, now - b.at) * rate) / 1000);
  b.at = now;
  if (b.tokens < 1) return false;
  b.tokens -= 1;
  return true;
}

/** AVPs sent hidden when a secret exists (§4.4 allows hiding them; they carry user data). */
const HIDDEN_KINDS: ReadonlySet<AvpKind> = new Set<AvpKind>([
  'proxyAuthenType', 'proxyAuthenName', 'proxyAuthenChallenge', 'proxyAuthenId', 'proxyAuthenResponse', 'callingNumber', 'calledNumber', 'subAddress',
]);

const SESSION_MESSAGES: ReadonlySet<number> = new Set([
  MessageType.OCRQ, MessageType.OCRP, MessageType.OCCN, MessageType.ICRQ, MessageType.ICRP, MessageType.ICCN, MessageType.CDN, MessageType.WEN, MessageType.SLI,
]);

const KNOWN_MESSAGES: ReadonlySet<number> = new Set(Object.values(MessageType));

/** The session key handed to the owner: local tunnel id × 65536 + local session id. */
export function sessionKey(tunnelId: number, sessionId: number): number {
  return tunnelId * 0x10000 + sessionId;
}

export class L2tpNode<E, U = unknown> {
  readonly counters: L2tpCounters = {
    datagramsIn: 0,
    tunnels: { opened: 0, established: 0, closed: 0, refused: 0, active: 0, halfOpen: 0, peak: 0 },
    sessions: { opened: 0, established: 0, closed: 0, refused: 0, active: 0, dataIn: 0, dataOut: 0 },
    drops: {},
    teardowns: {},
    refusals: {},
    control: emptyReliableCounters(),
  };

  private readonly tunnels = new Map<number, Tunnel<E>>();
  /** Data messages are parsed into this one view (the data path allocates no message per packet). */
  private readonly dataView = new L2tpDataView();
  private readonly byKey = new Map<string, Tunnel<E>>();
  private readonly transmits = new Fifo<L2tpTransmit<E>>();
  private readonly events = new Fifo<L2tpEvent<E, U>>();
  /** Tunnels whose control channel may have something to send. */
  private readonly dirty = new Set<Tunnel<E>>();
  private readonly rel: ReliableConfig;
  private readonly random: (n: number) => Uint8Array;
  private readonly keyOf: (e: E) => string;
  private readonly sourceOf: (e: E) => string;
  private readonly adm: AdmissionConfig;
  /** LNS: half-open tunnels, oldest first (insertion order), and the same per source address. */
  private readonly halfOpen = new Set<Tunnel<E>>();
  private readonly halfOpenBySource = new Map<string, Set<Tunnel<E>>>();
  /** Answer token buckets per source address, least recently used first. */
  private readonly answerBuckets = new Map<string, Bucket>();
  private readonly refusalBucket: Bucket;
  private callSerial = 0;
  private now = 0;
  private dataSink: L2tpDataSink<U> | undefined = undefined;

  constructor(readonly config: L2tpConfig<E>) {
    this.rel = { ...DEFAULT_RELIABLE, ...config.reliable };
    this.random = config.random ?? cryptoRandom; // pooled: a challenge or an authenticator costs no system call
    this.keyOf = config.endpointKey ?? ((e) => String(e));
    this.sourceOf = config.sourceKey ?? this.keyOf;
    this.adm = { ...DEFAULT_ADMISSION, halfOpenTimeout: fullRetransmitCycle(this.rel), callSetupTimeout: 4 * fullRetransmitCycle(this.rel), ...config.admission };
    this.refusalBucket = { tokens: this.adm.refusalBurst, at: 0 };
  }

  // ------------------------------------------------------------------- the sans-IO surface

  /**
   * One UDP payload, b[offset, offset + length), when it is a data message (T bit clear): read
   * (true). A control message is left for `handle` (false), so that the owner makes the sender's
   * endpoint for those alone.
   */
  handleIfData(b: Uint8Array, offset: number, length: number, now: number): boolean {
    if (length < 2 || (b[offset]! & 0x80) !== 0) return false;
    this.now = now;
    this.counters.datagramsIn++;
    this.handleData(b, offset, length);
    return true;
  }

  /** One UDP payload from `from`. */
  handle(from: E, datagram: Uint8Array, now: number): void {
    // A data message (T bit clear) is read in place: no message object per packet.
    if (this.handleIfData(datagram, 0, datagram.length, now)) return;
    this.now = now;
    this.counters.datagramsIn++;
    const r = l2tp.parse(datagram);
    if (!r.ok) return this.drop(`malformed:${r.error.code}`);
    const m = r.value;
    if (m.kind === 'data') return; // cannot be: parse reads the same T bit (this narrows the type)
    if (m.tunnelId === 0) return this.handleTunnelZero(from, m, datagram);
    const t = this.tunnels.get(m.tunnelId);
    if (!t) return this.drop('unknown-tunnel');
    this.handleTunnelControl(t, from, m, datagram);
  }

  handleTimeout(now: number): void {
    this.now = now;
    for (const t of [...this.tunnels.values()]) {
      if (!t.cc.handleTimeout(now)) {
        this.teardown(t, 'retransmit-timeout', undefined, false);
        continue;
      }
      if (t.holdUntil !== undefined && now >= t.holdUntil) {
        this.forget(t);
        continue;
      }
      if (t.halfOpenUntil !== undefined && now >= t.halfOpenUntil) {
        this.dropHalfOpen(t, 'half-open-expired');
        continue;
      }
      if (t.state === 'established' && t.helloAt !== undefined && now >= t.helloAt) {
        // §6.5: keepalive after a quiet period; its retransmissions failing tears the tunnel down.
        this.sendControl(t, 0, [avp('messageType', { messageType: MessageType.HELLO })]);
        t.helloAt = now + this.helloInterval;
      }
      if (this.expireCallSetups(t, now)) this.placeWaitingCalls(t);
      if (t.idleAt !== undefined && now >= t.idleAt) {
        t.idleAt = undefined;
        if (t.sessions.size === 0 && t.state === 'established') this.stopTunnel(t, { result: StopCcnResult.GENERAL_CLEAR }, 'idle');
      }
      this.dirty.add(t);
    }
  }

  nextTimeout(): number | undefined {
    // Called after every frame a box takes: no closure, no allocation.
    let next: number | undefined;
    for (const t of this.tunnels.values()) {
      next = earliest(next, t.cc.nextTimeout(), t.holdUntil, t.halfOpenUntil, t.state === 'established' ? t.helloAt : undefined, t.idleAt, this.nextCallSetupDeadline(t));
    }
    return next;
  }

  pollTransmit(): L2tpTransmit<E> | undefined {
    if (this.transmits.length === 0) this.collect();
    return this.transmits.shift();
  }

  pollEvent(): L2tpEvent<E, U> | undefined {
    return this.events.shift();
  }

  /** Data messages to `sink` as they are read, instead of `data` events. */
  setDataSink(sink: L2tpDataSink<U>): void {
    this.dataSink = sink;
  }

  // ------------------------------------------------------------------- owner API

  /**
   * LAC: place an incoming call towards `req.lns`. Reuses the tunnel to that LNS, or opens one.
   * The ICRQ waits until the tunnel is established and the tunnel has room (at most
   * `pendingCalls` ICRQs unanswered, the control queue not near full): a mass redial queues its
   * calls here and they go out as the peer acknowledges. Returns the session key, or -1 (counted
   * in `refusals`) when no tunnel or session id is free.
   */
  openSession(req: OpenSessionRequest<E, U>, now: number): number {
    if (this.config.role !== 'lac') throw new Error('openSession is for the LAC side');
    this.now = now;
    const key = this.keyOf(req.lns);
    let t = this.byKey.get(key);
    if (t && (t.state === 'closing' || t.sessions.size >= this.maxSessionsPerTunnel)) t = this.roomyTunnel(key);
    if (!t) t = this.openTunnel(req.lns, key, req.secret);
    if (!t) return -1;
    const s = this.newSession(t, req.call ?? {});
    if (!s) return -1;
    s.owner = req.owner;
    this.counters.sessions.opened++;
    t.idleAt = undefined;
    t.waiting.push(s);
    if (t.state === 'established') this.placeWaitingCalls(t);
    return sessionKey(t.localId, s.localId);
  }

  /** Hang up a session with a CDN (§5.7). The owner gets a session-down event too. */
  closeSession(session: number, now: number, result: ResultCode = { result: CdnResult.ADMINISTRATIVE }, cause?: Q931Cause): boolean {
    this.now = now;
    const found = this.lookup(session);
    if (!found) return false;
    const [t, s] = found;
    if (s.state !== 'wait-tunnel') this.sendCdn(t, s.peerId, s.localId, result, cause);
    this.endSession(t, s, 'local', result, cause);
    return true;
  }

  /** Stop a tunnel with StopCCN (every session in it ends). */
  closeTunnel(tunnelId: number, now: number, result: ResultCode = { result: StopCcnResult.GENERAL_CLEAR }): boolean {
    this.now = now;
    const t = this.tunnels.get(tunnelId);
    if (!t || t.state === 'closing') return false;
    if (t.halfOpenUntil !== undefined) this.dropHalfOpen(t, 'half-open-closed');
    else this.stopTunnel(t, result, 'local');
    return true;
  }

  /** Send one PPP frame (address/control onwards) on a session. The payload is not copied. */
  sendData(session: number, payload: Uint8Array): boolean {
    const found = this.lookup(session);
    if (!found || found[1].state !== 'established') return false;
    const [t, s] = found;
    const m: { -readonly [K in keyof DataMessage]: DataMessage[K] } = {
      kind: 'data', tunnelId: t.cc.peerTunnelId, sessionId: s.peerId, hasLength: this.config.dataLengthBit ?? false, priority: false, payload,
    };
    if (s.sendSequenced) {
      m.sequence = { ns: s.dataNs, nr: 0 };
      s.dataNs = (s.dataNs + 1) & 0xffff;
    }
    this.counters.sessions.dataOut++;
    this.transmits.push({ to: t.peer, message: m });
    return true;
  }

  /** Data fast path: the header length `writeDataHeaderFor` will write for this session (0 if unknown). */
  dataHeaderLengthFor(session: number): number {
    const found = this.lookup(session);
    if (!found) return 0;
    return dataHeaderLength(this.config.dataLengthBit ?? false, found[1].sendSequenced);
  }

  /**
   * Data fast path, no allocation: write this session's data header at b[o] in front of a PPP
   * frame of `payloadLength` octets that already sits right after it. Returns the payload offset
   * (o + header length), or -1 when the session cannot carry data.
   */
  writeDataHeaderFor(session: number, b: Uint8Array, o: number, payloadLength: number): number {
    const t = this.tunnels.get(Math.floor(session / 0x10000));
    const s = t?.sessions.get(session & 0xffff);
    if (!t || !s || s.state !== 'established') return -1;
    const withLength = this.config.dataLengthBit ?? false;
    const hl = dataHeaderLength(withLength, s.sendSequenced);
    let ns: number | undefined;
    if (s.sendSequenced) {
      ns = s.dataNs;
      s.dataNs = (s.dataNs + 1) & 0xffff;
    }
    this.counters.sessions.dataOut++;
    return writeDataHeader(b, o, t.cc.peerTunnelId, s.peerId, hl + payloadLength, withLength, ns);
  }

  /**
   * Data fast path, no allocation: the session key of a data message parsed into `view`
   * (sequence numbers checked), or -1 (counted as a drop).
   */
  sessionForData(view: L2tpDataView): number {
    const s = this.dataSession(view);
    return s === undefined ? -1 : sessionKey(view.tunnelId, s.localId);
  }

  /** The established session a parsed data message is for, its sequence number checked and the message counted; else a counted drop. */
  private dataSession(view: L2tpDataView): Session | undefined {
    const t = this.tunnels.get(view.tunnelId);
    const s = t?.sessions.get(view.sessionId);
    if (!t || !s) return void this.drop(t ? 'data-unknown-session' : 'data-unknown-tunnel');
    if (s.state !== 'established') return void this.drop('data-session-not-established');
    if (!this.acceptDataSequence(s, view.sequenced, view.ns)) return undefined;
    this.counters.sessions.dataIn++;
    return s;
  }

  /** Where a tunnel's peer is (data fast path: the owner sends the datagram itself). */
  tunnelPeer(tunnelId: number): E | undefined {
    return this.tunnels.get(tunnelId)?.peer;
  }

  /** Live tunnels, for status output and tests. */
  tunnelInfo(): { tunnelId: number; peerTunnelId: number; state: string; halfOpen: boolean; peerHostName: string; sessions: number; cwnd: number; outstanding: number; backlog: number; callsWaiting: number; control: ReliableCounters }[] {
    return [...this.tunnels.values()].map((t) => ({
      tunnelId: t.localId, peerTunnelId: t.cc.peerTunnelId, state: t.state, halfOpen: t.halfOpenUntil !== undefined, peerHostName: t.peerHostName, sessions: t.sessions.size,
      cwnd: t.cc.congestionWindow, outstanding: t.cc.outstanding, backlog: t.backlog.length, callsWaiting: t.waiting.length, control: { ...t.cc.counters },
    }));
  }

  /** A live session's state and ids. */
  sessionInfo(session: number): { state: string; tunnelId: number; sessionId: number; peerTunnelId: number; peerSessionId: number; sequenced: boolean } | undefined {
    const found = this.lookup(session);
    if (!found) return undefined;
    const [t, s] = found;
    return { state: s.state, tunnelId: t.localId, sessionId: s.localId, peerTunnelId: t.cc.peerTunnelId, peerSessionId: s.peerId, sequenced: s.sendSequenced };
  }

  /** Gives a live session the owner's value (an LNS's, at session-up), returned on its later events. */
  setOwner(session: number, owner: U): boolean {
    const found = this.lookup(session);
    if (!found) return false;
    found[1].owner = owner;
    return true;
  }

  /** The owner's values of every live session that has one, tunnel by tunnel. */
  *owners(): IterableIterator<U> {
    for (const t of this.tunnels.values()) for (const s of t.sessions.values()) if (s.owner !== undefined) yield s.owner as U;
  }

  // ------------------------------------------------------------------- tunnels

  private get helloInterval(): number {
    return this.config.helloInterval ?? 60_000;
  }

  /** A new tunnel, or undefined (counted) when every tunnel id is taken. */
  private newTunnel(peer: E, key: string, initiator: boolean, secret: Secret | undefined): Tunnel<E> | undefined {
    const localId = this.freeId((id) => this.tunnels.has(id));
    if (localId === 0) {
      this.refuse('tunnel-ids-exhausted');
      return undefined;
    }
    const t: Tunnel<E> = {
      localId, peer, key, initiator, state: initiator ? 'wait-ctl-reply' : 'wait-ctl-conn',
      cc: new ReliableControl(this.rel), secret, ourChallenge: undefined, peerHostName: '',
      sessions: new Map(), lastHeard: this.now, helloAt: undefined, holdUntil: undefined, idleAt: undefined,
      codec: secret ? l2tpWithSecret(secret) : l2tp,
      halfOpenUntil: undefined, source: this.sourceOf(peer), backlog: new Fifo(), waiting: new Fifo(), pendingCalls: 0, setupDeadlines: new Fifo(),
    };
    this.tunnels.set(localId, t);
    this.byKey.set(key, t);
    this.counters.tunnels.opened++;
    if (++this.counters.tunnels.active > this.counters.tunnels.peak) this.counters.tunnels.peak = this.counters.tunnels.active;
    return t;
  }

  private tunnelAvps(t: Tunnel<E>, type: number): Avp[] {
    const c = this.config;
    const avps: Avp[] = [
      avp('messageType', { messageType: type }),
      avp('protocolVersion', { version: 1, revision: 0 }),
      avp('framingCapabilities', { bits: c.framingCapabilities ?? (FramingBits.SYNC | FramingBits.ASYNC) }),
      avp('bearerCapabilities', { bits: c.bearerCapabilities ?? 0 }),
      avp('firmwareRevision', { revision: c.firmwareRevision ?? 0x0100 }),
      avp('hostName', { name: c.hostName }),
      avp('vendorName', { name: c.vendorName ?? 'pseudonet' }),
      avp('assignedTunnelId', { id: t.localId }),
      avp('receiveWindowSize', { size: this.rel.receiveWindow }),
    ];
    if (t.secret) {
      t.ourChallenge = this.random(16);
      avps.push(avp('challenge', { challenge: t.ourChallenge }));
    }
    return avps;
  }

  private get maxSessionsPerTunnel(): number {
    return this.config.maxSessionsPerTunnel ?? DEFAULT_MAX_SESSIONS_PER_TUNNEL;
  }

  /**
   * LAC: another of our tunnels to the same LNS with room for a call, made the one new calls
   * to it use; undefined when there is none (the caller opens one). Walks the tunnels, which
   * happens only when the current one is full or closing.
   */
  private roomyTunnel(key: string): Tunnel<E> | undefined {
    for (const t of this.tunnels.values()) {
      if (t.initiator && t.key === key && t.state !== 'closing' && t.sessions.size < this.maxSessionsPerTunnel) {
        this.byKey.set(key, t);
        return t;
      }
    }
    return undefined;
  }

  private openTunnel(lns: E, key: string, secret: Secret | undefined): Tunnel<E> | undefined {
    const t = this.newTunnel(lns, key, true, secret);
    if (t) this.sendControl(t, 0, this.tunnelAvps(t, MessageType.SCCRQ));
    return t;
  }

  /**
   * An SCCRQ (tunnel id 0). Nothing is held for a peer until its SCCCN proves it: an unknown
   * Host Name gets one StopCCN and no state; a known one (host names travel in clear, so the
   * claim proves nothing) a half-open tunnel in a bounded table, answered with one SCCRP that is
   * never retransmitted on our own (the LAC's retransmitted SCCRQ makes us send it again).
   */
  private handleTunnelZero(from: E, m0: ControlMessage, raw: Uint8Array): void {
    if (controlMessageType(m0) !== MessageType.SCCRQ) return this.drop('tunnel-zero-not-sccrq');
    const hostName = findAvp(m0.avps, 'hostName');
    const assigned0 = findAvp(m0.avps, 'assignedTunnelId');
    if (!hostName || !assigned0) return this.drop('sccrq-missing-avp');
    const key = `${this.keyOf(from)}/${assigned0.id}`;
    const existing = this.byKey.get(key);
    if (existing) {
      // A retransmitted SCCRQ (our SCCRP was lost). An established tunnel just acknowledges it;
      // a half-open one sends its SCCRP again, as often as the source's answer budget allows.
      if (existing.halfOpenUntil !== undefined) {
        if (!this.answerAllowed(existing.source)) return this.refuse('sccrq-rate-limited');
        existing.cc.resend();
      }
      return this.handleTunnelControl(existing, from, m0, raw);
    }
    const source = this.sourceOf(from);
    const policy = this.config.role === 'lns' ? (this.config.authorize ? this.config.authorize(hostName.name, from) : {}) : undefined;
    if (!policy) {
      return this.refuseStateless(from, source, assigned0.id, 0, (m0.ns + 1) & 0xffff, { result: StopCcnResult.NOT_AUTHORIZED, error: 0, message: 'unknown peer' }, 'sccrq-not-authorized');
    }
    if (assigned0.id === 0) return this.refuseStateless(from, source, 0, 0, (m0.ns + 1) & 0xffff, { result: StopCcnResult.GENERAL_ERROR, error: GeneralError.BAD_VALUE, message: 'assigned tunnel id 0' }, 'bad-sccrq');
    let m = m0;
    if (policy.secret && m.avps.some((a) => a.kind === 'concealed')) {
      const r = l2tpWithSecret(policy.secret).parse(raw);
      if (!r.ok || r.value.kind !== 'control') return this.drop(`malformed:${r.ok ? 'not-control' : r.error.code}`);
      m = r.value;
    }
    if (!this.answerAllowed(source)) return this.refuse('sccrq-rate-limited');
    // Room in the half-open table: the source's oldest first, then the oldest of all.
    const mine = this.halfOpenBySource.get(source);
    if (mine && mine.size >= this.adm.halfOpenPerSource) this.dropHalfOpen(mine.values().next().value!, 'half-open-source-evicted');
    if (this.halfOpen.size >= this.adm.halfOpenMax) this.dropHalfOpen(this.halfOpen.values().next().value!, 'half-open-evicted');
    if (this.halfOpen.size >= this.adm.halfOpenMax) return this.refuse('half-open-full'); // halfOpenMax 0: accept nobody
    const t = this.newTunnel(from, key, false, policy.secret);
    if (!t) return; // counted as tunnel-ids-exhausted; no StopCCN either, it would need a free id
    t.cc.peerTunnelId = assigned0.id;
    t.peerHostName = hostName.name;
    t.cc.passive = true;
    t.halfOpenUntil = this.now + this.adm.halfOpenTimeout;
    this.halfOpen.add(t);
    let set = this.halfOpenBySource.get(source);
    if (!set) this.halfOpenBySource.set(source, (set = new Set()));
    set.add(t);
    this.counters.tunnels.halfOpen++;
    this.handleTunnelControl(t, from, m, raw);
  }

  /** Whether `source` may get one more answer before it is authenticated (its token bucket). */
  private answerAllowed(source: string): boolean {
    let b = this.answerBuckets.get(source);
    if (b) this.answerBuckets.delete(source); // re-inserted last: least recently used first
    else {
      b = { tokens: this.adm.answerBurst, at: this.now };
      if (this.answerBuckets.size >= this.adm.sources) {
        this.answerBuckets.delete(this.answerBuckets.keys().next().value!);
        this.refuse('answer-bucket-evicted');
      }
    }
    this.answerBuckets.set(source, b);
    return takeToken(b, this.now, this.adm.answerRate, this.adm.answerBurst);
  }

  /**
   * Refuse an SCCRQ (or a half-open tunnel's next message) with one StopCCN and no state: not
   * queued, never retransmitted (§5.7's hold is for peers we know). Rate-limited per source and
   * overall, so a flood with spoofed sources does not make us a reflector.
   */
  private refuseStateless(to: E, source: string, peerTunnelId: number, ns: number, nr: number, result: ResultCode, reason: string): void {
    this.refuse(reason);
    this.counters.tunnels.refused++;
    if (!this.answerAllowed(source) || !takeToken(this.refusalBucket, this.now, this.adm.refusalRate, this.adm.refusalBurst)) return this.refuse('stopccn-rate-limited');
    // The Assigned Tunnel ID of a StopCCN must name a tunnel; one not in use, so the peer's
    // acknowledgement lands nowhere (`unknown-tunnel`).
    const id = this.freeId((x) => this.tunnels.has(x));
    if (id === 0) return this.refuse('stopccn-no-id');
    const avps = [avp('messageType', { messageType: MessageType.StopCCN }), avp('assignedTunnelId', { id }), avp('resultCode', result)];
    this.transmits.push({ to, message: { kind: 'control', tunnelId: peerTunnelId, sessionId: 0, ns, nr, avps } });
  }

  /** Forget a half-open tunnel, counted; nothing is sent (nothing was announced to the owner either). */
  private dropHalfOpen(t: Tunnel<E>, reason: string): void {
    this.refuse(reason);
    this.leaveHalfOpen(t);
    this.forget(t);
  }

  private leaveHalfOpen(t: Tunnel<E>): void {
    if (t.halfOpenUntil === undefined) return;
    t.halfOpenUntil = undefined;
    t.cc.passive = false;
    this.halfOpen.delete(t);
    const set = this.halfOpenBySource.get(t.source);
    set?.delete(t);
    if (set && set.size === 0) this.halfOpenBySource.delete(t.source);
    this.counters.tunnels.halfOpen--;
  }

  private handleTunnelControl(t: Tunnel<E>, from: E, m0: ControlMessage, raw: Uint8Array): void {
    let m = m0;
    if (t.secret && m.avps.some((a) => a.kind === 'concealed')) {
      const r = t.codec.parse(raw);
      if (!r.ok || r.value.kind !== 'control') return this.drop(`malformed:${r.ok ? 'not-control' : r.error.code}`);
      m = r.value;
    }
    this.dirty.add(t);
    t.lastHeard = this.now;
    if (t.state === 'established') t.helloAt = this.now + this.helloInterval;
    if (t.initiator && t.state === 'wait-ctl-reply' && m.avps.length) t.peer = from; // an LNS may answer from another port
    for (const d of t.cc.receive(m, this.now)) {
      if (t.state === 'closing') continue; // only acknowledge, §5.7
      if (this.config.trace) this.events.push({ type: 'control-received', tunnelId: t.localId, ns: d.ns, messageType: controlMessageType(d) ?? -1, sessionId: d.sessionId });
      this.dispatch(t, d);
      if (!this.tunnels.has(t.localId)) return;
    }
    // Acknowledgements may have made room: held messages first, then waiting calls.
    this.flushBacklog(t);
    if (t.state === 'established') this.placeWaitingCalls(t);
  }

  /** The front of the deadline FIFO, skipping calls that have come up or ended meanwhile. */
  private nextCallSetupDeadline(t: Tunnel<E>): number | undefined {
    for (let d = t.setupDeadlines.peek(); d; d = t.setupDeadlines.peek()) {
      if (t.sessions.get(d.s.localId) === d.s && (d.s.state === 'wait-reply' || d.s.state === 'wait-connect')) return d.at;
      t.setupDeadlines.shift();
    }
    return undefined;
  }

  /** Ends the calls whose setup took too long; returns whether any did. */
  private expireCallSetups(t: Tunnel<E>, now: number): boolean {
    if (t.state !== 'established') return false;
    let any = false;
    for (let at = this.nextCallSetupDeadline(t); at !== undefined && at <= now; at = this.nextCallSetupDeadline(t)) {
      const { s } = t.setupDeadlines.shift()!;
      const result = { result: CdnResult.GENERAL_ERROR, error: GeneralError.NO_ERROR, message: s.state === 'wait-reply' ? 'no ICRP' : 'no ICCN' };
      this.refuse('call-setup-timeout');
      this.sendCdn(t, s.peerId, s.localId, result);
      this.endSession(t, s, 'call-setup-timeout', result, undefined);
      any = true;
    }
    return any;
  }

  private flushBacklog(t: Tunnel<E>): void {
    while (t.backlog.length && t.cc.canQueue()) {
      const x = t.backlog.shift()!;
      t.cc.send(x.sessionId, x.avps);
    }
  }

  /**
   * LAC: send the ICRQs of waiting calls while fewer than `pendingCalls` await an ICRP and the
   * control queue keeps room for their ICCNs (so answers never wait behind new calls).
   */
  private placeWaitingCalls(t: Tunnel<E>): void {
    const reserve = Math.min(this.adm.pendingCalls, this.rel.maxQueue >> 1);
    while (t.waiting.length && t.pendingCalls < this.adm.pendingCalls && t.backlog.length === 0 && t.cc.space > reserve) {
      const s = t.waiting.shift()!;
      if (t.sessions.get(s.localId) === s && s.state === 'wait-tunnel') this.sendIcrq(t, s);
    }
  }

  /** §4.1: an unrecognised AVP with the M bit ends the session (session message) or the tunnel. */
  private unknownMandatory(m: ControlMessage): Avp | undefined {
    for (const a of m.avps) if ((a.kind === 'unknown' || a.kind === 'concealed') && a.mandatory) return a;
    return undefined;
  }

  private dispatch(t: Tunnel<E>, m: ControlMessage): void {
    const type = controlMessageType(m)!;
    const typeAvp = m.avps[0] as AvpOf<'messageType'>;
    if (!KNOWN_MESSAGES.has(type)) {
      if (typeAvp.mandatory) return this.stopTunnel(t, { result: StopCcnResult.GENERAL_ERROR, error: GeneralError.BAD_VALUE, message: `unknown message type ${type}` }, 'unknown-message-type');
      return this.drop('unknown-message-type-ignored');
    }
    if (this.unknownMandatory(m)) {
      const result = { result: StopCcnResult.GENERAL_ERROR, error: GeneralError.UNKNOWN_MANDATORY_AVP, message: 'unknown mandatory AVP' };
      if (SESSION_MESSAGES.has(type)) return this.refuseSessionMessage(t, m, result);
      return this.stopTunnel(t, result, 'unknown-mandatory-avp');
    }
    switch (type) {
      case MessageType.SCCRQ: return this.onSccrq(t, m);
      case MessageType.SCCRP: return this.onSccrp(t, m);
      case MessageType.SCCCN: return this.onScccn(t, m);
      case MessageType.StopCCN: return this.onStopCcn(t, m);
      case MessageType.HELLO: return; // the acknowledgement is the answer
      case MessageType.ICRQ: return this.onIcrq(t, m);
      case MessageType.ICRP: return this.onIcrp(t, m);
      case MessageType.ICCN: return this.onIccn(t, m);
      case MessageType.CDN: return this.onCdn(t, m);
      case MessageType.OCRQ: return this.onOcrq(t, m);
      case MessageType.WEN: {
        const s = t.sessions.get(m.sessionId);
        const errors = findAvp(m.avps, 'callErrors');
        if (s && errors) this.events.push({ type: 'wan-error', session: sessionKey(t.localId, s.localId), errors });
        return;
      }
      case MessageType.SLI: {
        const s = t.sessions.get(m.sessionId);
        const accm = findAvp(m.avps, 'accm');
        if (s && accm) this.events.push({ type: 'set-link-info', session: sessionKey(t.localId, s.localId), sendAccm: accm.sendAccm, receiveAccm: accm.receiveAccm });
        return;
      }
      default:
        return this.drop(`unexpected-${messageTypeName(type)}`);
    }
  }

  private tunnelCommon(t: Tunnel<E>, m: ControlMessage): ResultCode | undefined {
    const pv = findAvp(m.avps, 'protocolVersion');
    if (!pv || pv.version !== 1 || pv.revision !== 0) return { result: StopCcnResult.BAD_PROTOCOL_VERSION, error: 0, message: 'need protocol version 1.0' };
    const host = findAvp(m.avps, 'hostName');
    const assigned = findAvp(m.avps, 'assignedTunnelId');
    if (!host || !assigned || !findAvp(m.avps, 'framingCapabilities')) return { result: StopCcnResult.GENERAL_ERROR, error: GeneralError.BAD_LENGTH, message: 'missing mandatory AVP' };
    if (assigned.id === 0) return { result: StopCcnResult.GENERAL_ERROR, error: GeneralError.BAD_VALUE, message: 'assigned tunnel id 0' };
    t.peerHostName = host.name;
    t.cc.peerTunnelId = assigned.id;
    t.cc.setPeerWindow(findAvp(m.avps, 'receiveWindowSize')?.size ?? 4);
    return undefined;
  }

  private onSccrq(t: Tunnel<E>, m: ControlMessage): void {
    if (t.initiator || t.state !== 'wait-ctl-conn') return this.drop('unexpected-SCCRQ');
    const bad = this.tunnelCommon(t, m);
    if (bad) return this.refuseTunnel(t, bad, 'bad-sccrq');
    const avps = this.tunnelAvps(t, MessageType.SCCRP);
    const challenge = findAvp(m.avps, 'challenge');
    if (challenge) {
      if (!t.secret) return this.refuseTunnel(t, { result: StopCcnResult.NOT_AUTHORIZED, error: 0, message: 'challenge without a shared secret' }, 'challenge-without-secret');
      avps.push(avp('challengeResponse', { response: challengeResponse(MessageType.SCCRP, t.secret, challenge.challenge) }));
    }
    this.sendControl(t, 0, avps);
  }

  private onSccrp(t: Tunnel<E>, m: ControlMessage): void {
    if (!t.initiator || t.state !== 'wait-ctl-reply') return this.drop('unexpected-SCCRP');
    const bad = this.tunnelCommon(t, m);
    if (bad) return this.refuseTunnel(t, bad, 'bad-sccrp');
    if (t.ourChallenge && !this.responseOk(t, m, MessageType.SCCRP)) return this.badResponse(t);
    const avps: Avp[] = [avp('messageType', { messageType: MessageType.SCCCN })];
    const challenge = findAvp(m.avps, 'challenge');
    if (challenge) {
      if (!t.secret) return this.refuseTunnel(t, { result: StopCcnResult.NOT_AUTHORIZED, error: 0, message: 'challenge without a shared secret' }, 'challenge-without-secret');
      avps.push(avp('challengeResponse', { response: challengeResponse(MessageType.SCCCN, t.secret, challenge.challenge) }));
    }
    this.sendControl(t, 0, avps);
    this.established(t);
    this.placeWaitingCalls(t);
  }

  private onScccn(t: Tunnel<E>, m: ControlMessage): void {
    if (t.initiator || t.state !== 'wait-ctl-conn') return this.drop('unexpected-SCCCN');
    if (t.ourChallenge && !this.responseOk(t, m, MessageType.SCCCN)) return this.badResponse(t);
    this.established(t);
  }

  private responseOk(t: Tunnel<E>, m: ControlMessage, type: number): boolean {
    const r = findAvp(m.avps, 'challengeResponse');
    return !!r && !!t.secret && !!t.ourChallenge && bytesEqual(r.response, challengeResponse(type, t.secret, t.ourChallenge));
  }

  private badResponse(t: Tunnel<E>): void {
    this.refuseTunnel(t, { result: StopCcnResult.NOT_AUTHORIZED, error: 0, message: 'bad challenge response' }, 'bad-challenge-response');
  }

  private established(t: Tunnel<E>): void {
    this.leaveHalfOpen(t); // the SCCCN proved the peer: from here it is an ordinary tunnel
    t.state = 'established';
    t.helloAt = this.now + this.helloInterval;
    this.counters.tunnels.established++;
    this.events.push({ type: 'tunnel-up', tunnelId: t.localId, peerTunnelId: t.cc.peerTunnelId, peerHostName: t.peerHostName, peer: t.peer });
  }

  private onStopCcn(t: Tunnel<E>, m: ControlMessage): void {
    const rc = findAvp(m.avps, 'resultCode');
    const result: ResultCode | undefined = rc ? stripResult(rc) : undefined;
    if (t.halfOpenUntil !== undefined) return this.dropHalfOpen(t, 'half-open-peer-stopccn');
    // Our acknowledgement goes to the tunnel the StopCCN names (a refusal may come before any SCCRP).
    const assigned = findAvp(m.avps, 'assignedTunnelId');
    if (t.cc.peerTunnelId === 0 && assigned) t.cc.peerTunnelId = assigned.id;
    // §5.7: acknowledge (the reliable layer does), keep the state for a retransmission cycle,
    // and send nothing more of our own.
    t.cc.abandon();
    t.backlog.clear();
    this.teardown(t, 'peer-stopccn', result, true);
  }

  private refuseTunnel(t: Tunnel<E>, result: ResultCode, reason: string): void {
    if (t.state !== 'established' && t.halfOpenUntil === undefined) this.counters.tunnels.refused++;
    this.stopTunnel(t, result, reason);
  }

  /**
   * Send StopCCN, end every session, hold the tunnel to acknowledge retransmissions (§5.7). A
   * half-open tunnel (never authenticated) instead gets one stateless StopCCN, acknowledging what
   * the peer sent, and is forgotten at once.
   */
  private stopTunnel(t: Tunnel<E>, result: ResultCode, reason: string): void {
    if (t.halfOpenUntil !== undefined) {
      const [ns, nr] = [t.cc.nextNs, t.cc.expectedNs];
      this.leaveHalfOpen(t);
      this.forget(t);
      return this.refuseStateless(t.peer, t.source, t.cc.peerTunnelId, ns, nr, result, reason);
    }
    if (t.state === 'closing') return;
    // What never went out need not: the StopCCN goes next, not behind a mass of ICRQs or CDNs.
    t.backlog.clear();
    t.cc.discardUnsent();
    this.sendControl(t, 0, [avp('messageType', { messageType: MessageType.StopCCN }), avp('assignedTunnelId', { id: t.localId }), avp('resultCode', result)]);
    this.teardown(t, reason, result, true);
  }

  private teardown(t: Tunnel<E>, reason: string, result: ResultCode | undefined, hold: boolean): void {
    if (t.state === 'closing' && hold) return;
    const wasClosing = t.state === 'closing';
    for (const s of [...t.sessions.values()]) this.endSession(t, s, `tunnel-${reason}`, undefined, undefined);
    if (!wasClosing) {
      this.counters.teardowns[reason] = (this.counters.teardowns[reason] ?? 0) + 1;
      this.events.push(result ? { type: 'tunnel-down', tunnelId: t.localId, reason, result } : { type: 'tunnel-down', tunnelId: t.localId, reason });
    }
    t.state = 'closing';
    t.helloAt = undefined;
    t.idleAt = undefined;
    if (this.byKey.get(t.key) === t && t.initiator) this.byKey.delete(t.key); // a new openSession makes a new tunnel
    if (hold) {
      t.holdUntil = this.now + fullRetransmitCycle(this.rel);
      this.dirty.add(t);
    } else this.forget(t);
  }

  private forget(t: Tunnel<E>): void {
    if (this.tunnels.get(t.localId) !== t) return;
    this.leaveHalfOpen(t);
    this.tunnels.delete(t.localId);
    if (this.byKey.get(t.key) === t) this.byKey.delete(t.key);
    this.dirty.delete(t);
    this.counters.tunnels.active--;
    this.counters.tunnels.closed++;
    const c = this.counters.control;
    for (const k of Object.keys(c) as (keyof ReliableCounters)[]) c[k] += t.cc.counters[k];
  }

  // ------------------------------------------------------------------- sessions

  /** A new session, or undefined (counted) when every session id of the tunnel is taken. */
  private newSession(t: Tunnel<E>, call: CallInfo): Session | undefined {
    const localId = this.freeId((id) => t.sessions.has(id));
    if (localId === 0) {
      this.counters.sessions.refused++;
      this.refuse('session-ids-exhausted');
      return undefined;
    }
    const s: Session = { localId, peerId: 0, state: 'wait-tunnel', call, sendSequenced: !!call.sequencingRequired, dataNs: 0, dataNr: 0, owner: undefined };
    t.sessions.set(localId, s);
    this.counters.sessions.active++;
    return s;
  }

  private hide<K extends AvpKind>(t: Tunnel<E>, kind: K, a: AvpOf<K>): Avp {
    if (!t.secret || this.config.hideAvps === false || !HIDDEN_KINDS.has(kind)) return a;
    return { ...a, hidden: HIDE } as Avp;
  }

  private sendIcrq(t: Tunnel<E>, s: Session): void {
    s.state = 'wait-reply';
    t.pendingCalls++;
    t.setupDeadlines.push({ s, at: this.now + this.adm.callSetupTimeout });
    const c = s.call;
    this.callSerial = (this.callSerial + 1) >>> 0;
    const avps: Avp[] = [
      avp('messageType', { messageType: MessageType.ICRQ }),
      avp('assignedSessionId', { id: s.localId }),
      avp('callSerialNumber', { serial: c.callSerialNumber ?? this.callSerial }),
      avp('bearerType', { bits: c.bearerType ?? 0 }),
    ];
    if (c.physicalChannelId !== undefined) avps.push(avp('physicalChannelId', { id: c.physicalChannelId }));
    if (c.callingNumber !== undefined) avps.push(this.hide(t, 'callingNumber', avp('callingNumber', { number: c.callingNumber })));
    if (c.calledNumber !== undefined) avps.push(this.hide(t, 'calledNumber', avp('calledNumber', { number: c.calledNumber })));
    if (c.subAddress !== undefined) avps.push(this.hide(t, 'subAddress', avp('subAddress', { subAddress: c.subAddress })));
    this.sendControl(t, 0, avps);
  }

  private sendIccn(t: Tunnel<E>, s: Session): void {
    const c = s.call;
    const avps: Avp[] = [
      avp('messageType', { messageType: MessageType.ICCN }),
      avp('txConnectSpeed', { bps: c.txConnectSpeed ?? 0 }),
      avp('framingType', { bits: c.framingType ?? FramingBits.SYNC }),
    ];
    if (c.rxConnectSpeed !== undefined) avps.push(avp('rxConnectSpeed', { bps: c.rxConnectSpeed }));
    if (c.privateGroupId !== undefined) avps.push(avp('privateGroupId', { groupId: c.privateGroupId }));
    if (c.sequencingRequired) avps.push(avp('sequencingRequired', {}));
    const lcp = c.proxyLcp;
    if (lcp?.initialReceived) avps.push(avp('initialReceivedLcpConfReq', { options: lcp.initialReceived }));
    if (lcp?.lastSent) avps.push(avp('lastSentLcpConfReq', { options: lcp.lastSent }));
    if (lcp?.lastReceived) avps.push(avp('lastReceivedLcpConfReq', { options: lcp.lastReceived }));
    const pa = c.proxyAuth;
    if (pa) {
      avps.push(this.hide(t, 'proxyAuthenType', avp('proxyAuthenType', { authType: pa.type })));
      if (pa.name !== undefined) avps.push(this.hide(t, 'proxyAuthenName', avp('proxyAuthenName', { name: pa.name })));
      if (pa.challenge !== undefined) avps.push(this.hide(t, 'proxyAuthenChallenge', avp('proxyAuthenChallenge', { challenge: pa.challenge })));
      if (pa.id !== undefined) avps.push(this.hide(t, 'proxyAuthenId', avp('proxyAuthenId', { id: pa.id })));
      if (pa.response !== undefined) avps.push(this.hide(t, 'proxyAuthenResponse', avp('proxyAuthenResponse', { response: pa.response })));
    }
    this.sendControl(t, s.peerId, avps);
  }

  private sendCdn(t: Tunnel<E>, peerSessionId: number, localId: number, result: ResultCode, cause?: Q931Cause): void {
    const avps: Avp[] = [avp('messageType', { messageType: MessageType.CDN }), avp('resultCode', result), avp('assignedSessionId', { id: localId })];
    if (cause) avps.push(avp('q931CauseCode', cause));
    this.sendControl(t, peerSessionId, avps);
  }

  private onIcrq(t: Tunnel<E>, m: ControlMessage): void {
    const assigned = findAvp(m.avps, 'assignedSessionId');
    if (!assigned || assigned.id === 0) return this.drop('icrq-without-session-id');
    if (this.config.role !== 'lns' || t.state !== 'established') {
      this.counters.sessions.refused++;
      return this.sendCdn(t, assigned.id, 0, { result: CdnResult.GENERAL_ERROR, error: GeneralError.NO_CONTROL_CONNECTION, message: 'not accepting calls' });
    }
    // Bounded calls between ICRQ and ICCN, and room to answer: else CDN 4, temporary (§4.4.2).
    let why: string | undefined;
    if (t.pendingCalls >= this.adm.halfOpenCalls) why = 'icrq-half-open-cap';
    else if (!t.cc.canQueue() || t.backlog.length) why = 'icrq-control-queue-full';
    if (why) {
      this.counters.sessions.refused++;
      this.refuse(why);
      return this.sendCdn(t, assigned.id, 0, { result: CdnResult.NO_FACILITIES_TEMPORARY, error: GeneralError.NO_RESOURCES, message: 'too many calls being set up' });
    }
    const call = callInfo(m.avps, {});
    const s = this.newSession(t, call);
    if (!s) return this.sendCdn(t, assigned.id, 0, { result: CdnResult.NO_FACILITIES_TEMPORARY, error: GeneralError.NO_RESOURCES, message: 'no session id free' });
    s.peerId = assigned.id;
    s.state = 'wait-connect';
    t.pendingCalls++;
    t.setupDeadlines.push({ s, at: this.now + this.adm.callSetupTimeout });
    this.counters.sessions.opened++;
    t.idleAt = undefined;
    this.sendControl(t, s.peerId, [avp('messageType', { messageType: MessageType.ICRP }), avp('assignedSessionId', { id: s.localId })]);
  }

  private onIcrp(t: Tunnel<E>, m: ControlMessage): void {
    const s = t.sessions.get(m.sessionId);
    const assigned = findAvp(m.avps, 'assignedSessionId');
    if (!s || s.state !== 'wait-reply') return this.drop('unexpected-ICRP');
    if (!assigned || assigned.id === 0) {
      this.sendCdn(t, 0, s.localId, { result: CdnResult.GENERAL_ERROR, error: GeneralError.BAD_LENGTH, message: 'ICRP without Assigned Session ID' });
      return this.endSession(t, s, 'bad-icrp', undefined, undefined);
    }
    s.peerId = assigned.id;
    t.pendingCalls--;
    this.sendIccn(t, s);
    this.sessionUp(t, s);
  }

  private onIccn(t: Tunnel<E>, m: ControlMessage): void {
    const s = t.sessions.get(m.sessionId);
    if (!s || s.state !== 'wait-connect') return this.drop('unexpected-ICCN');
    s.call = callInfo(m.avps, s.call, (what) => this.drop(`malformed-proxy-lcp:${what}`));
    s.sendSequenced = !!s.call.sequencingRequired;
    t.pendingCalls--;
    this.sessionUp(t, s);
  }

  private sessionUp(t: Tunnel<E>, s: Session): void {
    s.state = 'established';
    this.counters.sessions.established++;
    this.events.push({ type: 'session-up', session: sessionKey(t.localId, s.localId), owner: s.owner as U | undefined, tunnelId: t.localId, sessionId: s.localId, peerSessionId: s.peerId, info: s.call });
    // The call information was for the ICRQ / ICCN and the owner's event (sequencing is in
    // `sendSequenced`): an established session keeps none of it.
    s.call = NO_CALL;
  }

  private onCdn(t: Tunnel<E>, m: ControlMessage): void {
    const assigned = findAvp(m.avps, 'assignedSessionId');
    let s = m.sessionId ? t.sessions.get(m.sessionId) : undefined;
    // A CDN sent before the peer learnt our session id carries 0 in the header: find it by the
    // peer's id. One with an id of ours we no longer hold crossed our own CDN (both ends hung
    // up at once): it is dropped without a walk over the tunnel's sessions, which cost a
    // teardown of n sessions n²/2 steps.
    if (!s && m.sessionId === 0 && assigned) for (const x of t.sessions.values()) if (x.peerId === assigned.id && x.peerId !== 0) s = x;
    if (!s) return this.drop(m.sessionId === 0 ? 'cdn-unknown-session' : 'cdn-for-ended-session');
    const rc = findAvp(m.avps, 'resultCode');
    const q = findAvp(m.avps, 'q931CauseCode');
    this.endSession(t, s, 'peer-cdn', rc ? stripResult(rc) : undefined, q ? stripCause(q) : undefined);
  }

  private onOcrq(t: Tunnel<E>, m: ControlMessage): void {
    // We place no outgoing calls (no bearer capabilities): refuse with a CDN, permanent (§6.7, §4.4.2).
    const assigned = findAvp(m.avps, 'assignedSessionId');
    this.counters.sessions.refused++;
    this.sendCdn(t, assigned?.id ?? 0, 0, { result: CdnResult.NO_FACILITIES_PERMANENT, error: 0, message: 'no outgoing calls' });
  }

  /** A session message carried an unknown mandatory AVP: CDN result 2 / error 8 (§4.1). */
  private refuseSessionMessage(t: Tunnel<E>, m: ControlMessage, result: ResultCode): void {
    const type = controlMessageType(m);
    const assigned = findAvp(m.avps, 'assignedSessionId');
    const s = m.sessionId ? t.sessions.get(m.sessionId) : undefined;
    if (!s && type === MessageType.ICRQ && assigned) {
      this.counters.sessions.refused++;
      this.counters.teardowns['unknown-mandatory-avp'] = (this.counters.teardowns['unknown-mandatory-avp'] ?? 0) + 1;
      return this.sendCdn(t, assigned.id, 0, result);
    }
    if (!s) return this.drop('unknown-session');
    if (!s.peerId && assigned) s.peerId = assigned.id;
    this.sendCdn(t, s.peerId, s.localId, result);
    this.counters.teardowns['unknown-mandatory-avp'] = (this.counters.teardowns['unknown-mandatory-avp'] ?? 0) + 1;
    this.endSession(t, s, 'unknown-mandatory-avp', result, undefined);
  }

  private endSession(t: Tunnel<E>, s: Session, reason: string, result: ResultCode | undefined, cause: Q931Cause | undefined): void {
    if (!t.sessions.delete(s.localId)) return;
    if (s.state === 'wait-reply' || s.state === 'wait-connect') t.pendingCalls--;
    this.counters.sessions.active--;
    this.counters.sessions.closed++;
    const ev: { -readonly [K in keyof Extract<L2tpEvent<E, U>, { type: 'session-down' }>]: Extract<L2tpEvent<E, U>, { type: 'session-down' }>[K] } = { type: 'session-down', session: sessionKey(t.localId, s.localId), owner: s.owner as U | undefined, reason };
    if (result) ev.result = result;
    if (cause) ev.cause = cause;
    this.events.push(ev);
    if (t.sessions.size === 0 && t.state === 'established' && this.config.idleTunnelTimeout !== undefined) t.idleAt = this.now + this.config.idleTunnelTimeout;
  }

  // ------------------------------------------------------------------- data

  private handleData(b: Uint8Array, o: number, len: number): void {
    const v = this.dataView;
    if (!v.parse(b, o, len)) return this.drop(`malformed:${v.error}`);
    const s = this.dataSession(v);
    if (s === undefined) return;
    const session = sessionKey(v.tunnelId, s.localId);
    if (this.dataSink) this.dataSink.l2tpData(session, s.owner as U | undefined, b, v.payloadOffset, v.payloadLength, this.now);
    else this.events.push({ type: 'data', session, owner: s.owner as U | undefined, payload: b.subarray(v.payloadOffset, v.payloadOffset + v.payloadLength) });
  }

  /** Sequenced data (§5.4): drop what is older than what we already passed on; start sequencing when the peer does. */
  private acceptDataSequence(s: Session, sequenced: boolean, ns: number): boolean {
    if (!sequenced) return true;
    if (!s.sendSequenced) s.sendSequenced = true;
    if (((ns - s.dataNr + 0x8000) & 0xffff) - 0x8000 < 0) {
      this.drop('data-out-of-order');
      return false;
    }
    s.dataNr = (ns + 1) & 0xffff;
    return true;
  }

  // ------------------------------------------------------------------- plumbing

  private sendControl(t: Tunnel<E>, sessionId: number, avps0: Avp[]): void {
    let avps: readonly Avp[] = avps0;
    if (avps0.some((a) => a.kind !== 'concealed' && a.hidden)) {
      const at = avps0.findIndex((a) => a.kind !== 'concealed' && a.hidden);
      avps = hideAvps([...avps0.slice(0, at), avp('randomVector', { vector: this.random(16) }), ...avps0.slice(at)], t.secret!);
    }
    this.dirty.add(t);
    if (t.backlog.length === 0 && t.cc.send(sessionId, avps)) return;
    if (t.backlog.length < this.adm.backlog) return t.backlog.push({ sessionId, avps });
    // The peer stopped taking our messages while its input kept coming: give the tunnel up.
    this.drop('control-backlog-overflow');
    this.stopTunnel(t, { result: StopCcnResult.GENERAL_ERROR, error: GeneralError.NO_RESOURCES, message: 'control queue overflow' }, 'control-backlog-overflow');
  }

  private collect(): void {
    // Called on every poll with nothing queued (a box polls after each frame): an empty set
    // is left without creating an iterator.
    if (this.dirty.size === 0) return;
    for (const t of this.dirty) {
      for (;;) {
        const sent = t.cc.counters.sent;
        const m = t.cc.poll(this.now);
        if (!m) break;
        // Traced when it first goes out: that is when a message gets its Ns.
        if (this.config.trace && t.cc.counters.sent !== sent) this.events.push({ type: 'control-sent', tunnelId: t.localId, ns: m.ns, messageType: (m.avps[0] as AvpOf<'messageType'>).messageType, sessionId: m.sessionId });
        this.transmits.push({ to: t.peer, message: m });
      }
    }
    this.dirty.clear();
  }

  private lookup(session: number): [Tunnel<E>, Session] | undefined {
    const t = this.tunnels.get(Math.floor(session / 0x10000));
    const s = t?.sessions.get(session & 0xffff);
    return t && s ? [t, s] : undefined;
  }

  /**
   * A free id (1..65535) at random, or 0 when all are taken. A few random draws find one while
   * the space is less than full (sessions per tunnel stay under maxSessionsPerTunnel); then the
   * ids are walked from the last draw, so a nearly full space costs one walk, not a thousand draws.
   */
  private freeId(used: (id: number) => boolean): number {
    let id = 0;
    for (let i = 0; i < RANDOM_ID_DRAWS; i++) {
      const b = this.random(2);
      id = (b[0]! << 8) | b[1]!;
      if (id !== 0 && !used(id)) return id;
    }
    for (let n = 0; n < 0xffff; n++) {
      id = (id % 0xffff) + 1; // 1..65535, wrapping
      if (!used(id)) return id;
    }
    return 0; // exhausted: the caller refuses, counted
  }

  private drop(reason: string): void {
    this.counters.drops[reason] = (this.counters.drops[reason] ?? 0) + 1;
  }

  private refuse(reason: string): void {
    this.counters.refusals[reason] = (this.counters.refusals[reason] ?? 0) + 1;
  }
}

function stripResult(rc: AvpOf<'resultCode'>): ResultCode {
  const r: { result: number; error?: number; message?: string } = { result: rc.result };
  if (rc.error !== undefined) r.error = rc.error;
  if (rc.message !== undefined) r.message = rc.message;
  return r;
}

function stripCause(q: AvpOf<'q931CauseCode'>): Q931Cause {
  return q.advisory === undefined ? { cause: q.cause, msg: q.msg } : { cause: q.cause, msg: q.msg, advisory: q.advisory };
}

/**
 * A proxy LCP AVP's CONFREQ body kept for the call, or undefined (reported) when it is not an
 * option list. A copy: it stays with the call for its life, and must not hold the received
 * datagram's buffer (a slab shared with others).
 */
function proxyLcpBytes(b: Uint8Array, what: string, bad: (what: string) => void): Uint8Array | undefined {
  if (optionListWellFormed(b, 0, b.length)) return keptBytes(b);
  bad(what);
  return undefined;
}

/** callInfo's default: a proxy LCP AVP that does not parse is only left out. */
function ignoreBad(): void {}

/**
 * Collect the call information of an ICRQ or ICCN into typed values, on top of `base`. A proxy
 * LCP AVP that does not parse as LCP options is left out (the LNS then renegotiates LCP).
 * The call keeps these for its life: octets are copied out of the datagram (kept bytes).
 */
function callInfo(avps: readonly Avp[], base: CallInfo, bad: (what: string) => void = ignoreBad): CallInfo {
  const c: { -readonly [K in keyof CallInfo]: CallInfo[K] } = { ...base };
  // Made only for a message with proxy LCP AVPs (the ICRQ has none).
  let lcp: { -readonly [K in keyof ProxyLcp]: ProxyLcp[K] } | undefined;
  let auth: { -readonly [K in keyof ProxyAuth]: ProxyAuth[K] } | undefined = base.proxyAuth ? { ...base.proxyAuth } : undefined;
  for (const x of avps) {
    switch (x.kind) {
      case 'callSerialNumber': c.callSerialNumber = x.serial; break;
      case 'bearerType': c.bearerType = x.bits; break;
      case 'physicalChannelId': c.physicalChannelId = x.id; break;
      case 'callingNumber': c.callingNumber = x.number; break;
      case 'calledNumber': c.calledNumber = x.number; break;
      case 'subAddress': c.subAddress = x.subAddress; break;
      case 'txConnectSpeed': c.txConnectSpeed = x.bps; break;
      case 'rxConnectSpeed': c.rxConnectSpeed = x.bps; break;
      case 'framingType': c.framingType = x.bits; break;
      case 'sequencingRequired': c.sequencingRequired = true; break;
      case 'privateGroupId': c.privateGroupId = keptBytes(x.groupId); break;
      case 'initialReceivedLcpConfReq': { const v = proxyLcpBytes(x.options, 'initial-received', bad); if (v) (lcp ??= { ...base.proxyLcp }).initialReceived = v; break; }
      case 'lastSentLcpConfReq': { const v = proxyLcpBytes(x.options, 'last-sent', bad); if (v) (lcp ??= { ...base.proxyLcp }).lastSent = v; break; }
      case 'lastReceivedLcpConfReq': { const v = proxyLcpBytes(x.options, 'last-received', bad); if (v) (lcp ??= { ...base.proxyLcp }).lastReceived = v; break; }
      case 'proxyAuthenType': (auth ??= { type: 0 }).type = x.authType; break;
      case 'proxyAuthenName': (auth ??= { type: 0 }).name = x.name; break;
      case 'proxyAuthenChallenge': (auth ??= { type: 0 }).challenge = keptBytes(x.challenge); break;
      case 'proxyAuthenId': (auth ??= { type: 0 }).id = x.id; break;
      case 'proxyAuthenResponse': (auth ??= { type: 0 }).response = keptBytes(x.response); break;
      default: break;
    }
  }
  if (lcp) c.proxyLcp = lcp;
  if (auth) c.proxyAuth = auth;
  return c;
}

/**
 * Encode a transmit's message (hidden AVPs are already concealed, so no secret is needed):
 * into `buf` when it is given and long enough, else into a packet cell with room in front,
 * so that the UDP, IPv4 and Ethernet headers go in place (`sendUdp(..., { inPlace: true })`)
 * and the message costs no buffer of its own (a teardown of 300,000 homes spent 10 s of its
 * 90 s allocating them).
 */
export function encodeTransmit(t: L2tpTransmit<unknown>, buf?: Uint8Array): Uint8Array {
  const n = l2tp.encodedLength(t.message);
  const b = buf && buf.length >= n ? buf.subarray(0, n) : packetBuffer(n);
  l2tp.emit(t.message, b, 0);
  return b;
}
