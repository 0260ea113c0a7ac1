/**
 * LCP (RFC 1661) on the shared automaton: MRU (RFC 2516 §7 caps it at 1492 on PPPoE unless
 * RFC 4638 PPP-Max-Payload allows more), Auth-Protocol (CHAP-MD5 / PAP, Nak towards what we
 * want), Magic-Number with loop detection, ACCM/PFC/ACFC as RFC 2516 §7 requires, Echo
 * keepalive with a failure count, Protocol-Reject and Code-Reject. Sans-IO.
 */
import {
  lcpOptions, lcpPacket, PppProtocol, ChapAlgorithm, parseOptions,
  type ControlPacket, type LcpOption, type LcpPacket, type EchoPacket, type OptionCodec,
} from '../wire/ppp.js';
import { encode, type Codec } from '../wire/result.js';
import {
  ACK, REJ, ControlProtocol, DEFAULT_FSM, checkFsm, handlerTable, State,
  type FsmConfig, type HandlerTable, type OptionHandler, type PppSink,
} from './ppp-fsm.js';
import { count, cryptoRandom, randomU32NonZero, sharedConfig, type Counters, type RandomBytes } from './ppp-common.js';

export type AuthProtocol = 'chap-md5' | 'pap';

export interface LcpConfig {
  /** The MRU we ask for. FLET'S uses 1454; 1492 is the PPPoE maximum; 1500 needs RFC 4638. */
  readonly mru: number;
  /** The largest MRU we accept from the peer: 1492 on PPPoE (RFC 2516 §7), the PPP-Max-Payload with RFC 4638, 1500 elsewhere. */
  readonly maxPeerMru: number;
  /** Protocols we ask the peer to authenticate with, in order of preference; empty: we do not authenticate the peer. */
  readonly authenticate: readonly AuthProtocol[];
  /** Protocols we agree to authenticate ourselves with, in order of preference; empty: we reject Auth-Protocol. */
  readonly authenticateWith: readonly AuthProtocol[];
  /** Send a Magic-Number (RFC 1661 §6.4). */
  readonly magic: boolean;
  /** PPPoE framing rules (RFC 2516 §7): reject ACCM, ACFC, PFC. On L2TP, ACCM is acknowledged (meaningless on a synchronous link). */
  readonly pppoe: boolean;
  /** Echo-Request interval, ms; 0 turns keepalive off. */
  readonly echoIntervalMs: number;
  /** Unanswered Echo-Requests that take the link down (pppd's lcp-echo-failure). */
  readonly echoFailure: number;
  /** Magic-Number collisions before the link is declared looped back (pppd's 10). */
  readonly loopbackLimit: number;
  /** Keep the peer's first and last Configure-Request and our last one (L2TP proxy LCP AVPs 26–28). */
  readonly recordConfReqs: boolean;
  readonly fsm: FsmConfig;
  readonly random: RandomBytes;
}

export const DEFAULT_LCP: LcpConfig = {
  mru: 1454,
  maxPeerMru: 1492,
  authenticate: [],
  authenticateWith: ['chap-md5', 'pap'],
  magic: true,
  pppoe: true,
  echoIntervalMs: 30_000,
  echoFailure: 3,
  loopbackLimit: 10,
  recordConfReqs: false,
  fsm: DEFAULT_FSM,
  random: cryptoRandom,
};

const sharedLcp = new Map<string, LcpConfig>();

/** The defaults with `c` over them; equal plain configurations get one shared object. */
export function lcpConfig(c: Partial<LcpConfig> = {}): LcpConfig {
  return sharedConfig(sharedLcp, c, (x) => {
    const l = { ...DEFAULT_LCP, ...x };
    checkFsm(l.fsm);
    // Each machine counts these in a few bits (Lcp.echo): a limit must be reachable there.
    if (!Number.isInteger(l.echoFailure) || l.echoFailure < 1 || l.echoFailure > MAX_ECHO_PENDING) throw new RangeError(`lcp.echoFailure: a whole number in 1..${MAX_ECHO_PENDING}, not ${l.echoFailure}`);
    if (!Number.isInteger(l.loopbackLimit) || l.loopbackLimit < 1 || l.loopbackLimit > MAX_LOOPS) throw new RangeError(`lcp.loopbackLimit: a whole number in 1..${MAX_LOOPS}, not ${l.loopbackLimit}`);
    return l;
  });
}

/** The most unanswered Echo-Requests and Magic-Number collisions an LCP machine counts. */
export const MAX_ECHO_PENDING = 0x7ff;
export const MAX_LOOPS = 0x3ff;

/** RFC 1661 §6.1 default, and pppd's lower bound for a peer's MRU. */
export const DEFAULT_MRU = 1500;
export const MIN_MRU = 128;

export function authOption(a: AuthProtocol): LcpOption {
  return a === 'pap' ? { kind: 'auth', protocol: PppProtocol.PAP } : { kind: 'auth', protocol: PppProtocol.CHAP, algorithm: ChapAlgorithm.MD5 };
}

/** The protocol an Auth-Protocol option asks for, or undefined when we do not speak it (EAP, MS-CHAP...). */
export function authOf(o: LcpOption): AuthProtocol | undefined {
  if (o.kind !== 'auth' || o.data !== undefined) return undefined;
  if (o.protocol === PppProtocol.PAP && o.algorithm === undefined) return 'pap';
  if (o.protocol === PppProtocol.CHAP && o.algorithm === ChapAlgorithm.MD5) return 'chap-md5';
  return undefined;
}

/** What LCP agreed, read when it is Opened. */
export interface LcpNegotiated {
  /** The MRU we receive (our acknowledged MRU, or 1500 when we did not ask). */
  readonly mru: number;
  /** The largest frame we may send the peer: its MRU, capped by our limit. */
  readonly peerMru: number;
  /** The protocol the peer authenticates with towards us, if we asked. */
  readonly authenticate: AuthProtocol | undefined;
  /** The protocol we authenticate with towards the peer, if it asked. */
  readonly authenticateWith: AuthProtocol | undefined;
  readonly magic: number;
  readonly peerMagic: number;
}

// ---- option handlers ------------------------------------------------------------------

const mru: OptionHandler<LcpOption, Lcp> = {
  type: 1,
  request: (l) => (l.ourMru === undefined ? undefined : { kind: 'mru', mru: l.ourMru }),
  received(l, o) {
    if (o.kind !== 'mru') return REJ;
    if (o.mru > l.cfg.maxPeerMru) return { kind: 'mru', mru: l.cfg.maxPeerMru };
    if (o.mru < MIN_MRU) return { kind: 'mru', mru: MIN_MRU };
    l.peerMru = o.mru;
    return ACK;
  },
  nak(l, o) {
    if (o.kind === 'mru' && o.mru >= MIN_MRU && o.mru <= Math.max(l.cfg.mru, l.cfg.maxPeerMru)) l.ourMru = o.mru;
    return true;
  },
  reject(l) {
    l.ourMru = undefined;
  },
};

const auth: OptionHandler<LcpOption, Lcp> = {
  type: 3,
  request: (l) => (l.ourAuth === undefined ? undefined : authOption(l.ourAuth)),
  received(l, o) {
    const want = l.cfg.authenticateWith;
    if (want.length === 0) return REJ;
    const a = authOf(o);
    if (a !== undefined && want.includes(a)) {
      l.peerAuth = a;
      return ACK;
    }
    // Nak towards what we can do, in our order of preference.
    return authOption(want[0]!);
  },
  nak(l, o) {
    const mine = l.cfg.authenticate;
    const a = authOf(o);
    if (a !== undefined && mine.includes(a)) l.ourAuth = a;
    else {
      // The peer wants something we do not accept: try our next choice, and give up after the last.
      const i = l.ourAuth === undefined ? -1 : mine.indexOf(l.ourAuth);
      if (i + 1 < mine.length) l.ourAuth = mine[i + 1];
      else l.refuse('peer-refused-auth');
    }
    return true;
  },
  reject(l) {
    // We require authentication: a peer that rejects it cannot have the link (pppd: "peer refused to authenticate").
    l.refuse('peer-refused-auth');
  },
};

const magic: OptionHandler<LcpOption, Lcp> = {
  type: 5,
  request: (l) => (l.ourMagic === 0 ? undefined : { kind: 'magic', magic: l.ourMagic }),
  received(l, o) {
    if (o.kind !== 'magic') return REJ;
    if (o.magic === 0) return { kind: 'magic', magic: randomU32NonZero(l.cfg.random) };
    if (l.ourMagic !== 0 && o.magic === l.ourMagic) {
      // RFC 1661 §6.4: possibly looped back; Nak with a different number and count it.
      l.magicCollision();
      let m = randomU32NonZero(l.cfg.random);
      while (m === l.ourMagic) m = randomU32NonZero(l.cfg.random);
      return { kind: 'magic', magic: m };
    }
    l.peerMagic = o.magic;
    return ACK;
  },
  nak(l, o) {
    if (o.kind !== 'magic') return true;
    // The peer saw our number as its own: choose a new one at random (not its hint).
    l.magicCollision();
    let m = randomU32NonZero(l.cfg.random);
    while (m === l.ourMagic || m === o.magic) m = randomU32NonZero(l.cfg.random);
    l.ourMagic = m;
    return true;
  },
  reject(l) {
    l.ourMagic = 0;
  },
};

/** ACCM: RFC 2516 §7 "MUST reject" on PPPoE; acknowledged on L2TP (synchronous, so it changes nothing). */
const accm: OptionHandler<LcpOption, Lcp> = {
  type: 2,
  request: () => undefined,
  received: (l) => (l.cfg.pppoe ? REJ : ACK),
  nak: () => true,
  reject: () => undefined,
};

/** PFC (NOT RECOMMENDED on PPPoE) and ACFC (MUST reject on PPPoE): we never compress, so both are rejected. */
const pfc: OptionHandler<LcpOption, Lcp> = { type: 7, request: () => undefined, received: () => REJ, nak: () => true, reject: () => undefined };
const acfc: OptionHandler<LcpOption, Lcp> = { type: 8, request: () => undefined, received: () => REJ, nak: () => true, reject: () => undefined };

/** Request order: MRU, Auth-Protocol, Magic-Number (as pppd sends them). */
const LCP_HANDLERS = handlerTable<LcpOption, Lcp>([mru, auth, magic, accm, pfc, acfc]);

// ---- LCP ------------------------------------------------------------------------------

/** Sink extension: LCP also reports Protocol-Rejects and keepalive failures to its owner. */
export interface LcpSink extends PppSink {
  protocolRejected?(protocol: number, now: number): void;
}

export class Lcp extends ControlProtocol<LcpOption> {
  get protocol(): number {
    return PppProtocol.LCP;
  }
  get name(): string {
    return 'lcp';
  }
  protected get fsm(): FsmConfig {
    return this.cfg.fsm;
  }
  protected get handlers(): HandlerTable<LcpOption, this> {
    return LCP_HANDLERS as HandlerTable<LcpOption, this>;
  }
  protected get options(): OptionCodec<LcpOption> {
    return lcpOptions;
  }
  protected get codec(): Codec<ControlPacket<LcpOption>> {
    return lcpPacket;
  }

  /**
   * Our MRU request (bits 0–15, 0: not requested, i.e. rejected or configured 1500) and the
   * peer's MRU (16–31) in one small integer; `ourMru`/`peerMru` read them.
   */
  private mrus = DEFAULT_MRU << 16;
  /** Our MRU request, undefined when not requested (rejected, or configured 1500). */
  get ourMru(): number | undefined {
    const m = this.mrus & 0xffff;
    return m === 0 ? undefined : m;
  }
  set ourMru(m: number | undefined) {
    this.mrus = (this.mrus & ~0xffff) | ((m ?? 0) & 0xffff);
  }
  /** The peer's MRU (RFC default 1500 when it does not say). */
  get peerMru(): number {
    return this.mrus >>> 16;
  }
  set peerMru(m: number) {
    this.mrus = (this.mrus & 0xffff) | ((m & 0xffff) << 16);
  }
  /** The protocol we ask the peer to authenticate with. */
  ourAuth: AuthProtocol | undefined;
  /**
   * The Magic-Numbers are held as signed 32-bit values: a field that holds an unsigned one of
   * 2^31 or more keeps it in a heap number box of its own (16 bytes each, per link); the
   * accessors give the unsigned value, as on the wire.
   */
  private ourMagic32 = 0;
  private peerMagic32 = 0;
  /** Our Magic-Number; 0 when not negotiated. */
  get ourMagic(): number {
    return this.ourMagic32 >>> 0;
  }
  set ourMagic(m: number) {
    this.ourMagic32 = m | 0;
  }
  get peerMagic(): number {
    return this.peerMagic32 >>> 0;
  }
  set peerMagic(m: number) {
    this.peerMagic32 = m | 0;
  }
  /** The protocol the peer asked us to authenticate with. */
  peerAuth: AuthProtocol | undefined;
  private echoAt: number | undefined;
  /**
   * The keepalive's small numbers in one integer: the last Echo-Request Identifier (bits 0–7;
   * the first one sent is 0, as pppd sends it), echo turned off (8), Echo-Requests without a
   * reply (9–19) and Magic-Number collisions (20–29), both saturating (lcpConfig keeps
   * `echoFailure` and `loopbackLimit` below where they stop).
   */
  private echo = 0xff;
  private get echoId(): number {
    return this.echo & 0xff;
  }
  private set echoId(id: number) {
    this.echo = (this.echo & ~0xff) | (id & 0xff);
  }
  private get echoOff(): boolean {
    return (this.echo & 0x100) !== 0;
  }
  private set echoOff(v: boolean) {
    this.echo = v ? this.echo | 0x100 : this.echo & ~0x100;
  }
  /** Echo-Requests sent without a reply. */
  get echoPending(): number {
    return (this.echo >> 9) & MAX_ECHO_PENDING;
  }
  set echoPending(n: number) {
    this.echo = (this.echo & ~(MAX_ECHO_PENDING << 9)) | (Math.max(0, Math.min(n, MAX_ECHO_PENDING)) << 9);
  }
  /** Magic-Number collisions seen (loop detection). */
  get loops(): number {
    return (this.echo >> 20) & MAX_LOOPS;
  }
  set loops(n: number) {
    this.echo = (this.echo & ~(MAX_LOOPS << 20)) | (Math.max(0, Math.min(n, MAX_LOOPS)) << 20);
  }
  private pendingEcho: EchoPacket | undefined;

  /** L2TP proxy LCP (RFC 2661 §4.4.5), kept when `recordConfReqs`: option bytes of the peer's first and last Configure-Request and of our last one. */
  proxy: { initialReceivedConfReq?: Uint8Array; lastReceivedConfReq?: Uint8Array; lastSentConfReq?: Uint8Array } | undefined;

  constructor(
    readonly cfg: LcpConfig,
    sink: LcpSink,
    counters: Counters = {},
  ) {
    super(sink, counters);
    this.resetOurs();
  }

  private resetOurs(): void {
    this.ourMru = this.cfg.mru === DEFAULT_MRU ? undefined : this.cfg.mru;
    this.ourAuth = this.cfg.authenticate[0];
    if (this.cfg.magic && this.ourMagic === 0) this.ourMagic = randomU32NonZero(this.cfg.random);
  }

  protected override peerReset(): void {
    this.peerMru = DEFAULT_MRU;
    this.peerAuth = undefined;
    this.peerMagic = 0;
  }

  protected send(p: LcpPacket): void {
    this.sink.send({ protocol: PppProtocol.LCP, packet: p });
  }

  /** Called by handlers that find the link unusable; the link is closed after the packet. */
  refuse(reason: string): void {
    this.fatal ??= reason;
  }

  magicCollision(): void {
    this.loops++;
    count(this.counters, 'lcp.magic-collision');
    if (this.loops >= this.cfg.loopbackLimit) this.refuse('looped-back');
  }

  /** What was negotiated (meaningful once Opened). */
  negotiated(): LcpNegotiated {
    return {
      mru: this.ourMru ?? DEFAULT_MRU,
      peerMru: Math.min(this.peerMru, this.cfg.maxPeerMru),
      authenticate: this.ourAuth,
      authenticateWith: this.peerAuth,
      magic: this.ourMagic,
      peerMagic: this.peerMagic,
    };
  }

  override input(p: LcpPacket, now: number, raw?: Uint8Array): void {
    if (this.cfg.recordConfReqs && p.kind === 'conf-req') {
      const opts = raw ? raw.slice(4, (raw[2]! << 8) | raw[3]!) : encode(lcpPacket, p).slice(4);
      this.proxy ??= {};
      this.proxy.initialReceivedConfReq ??= opts;
      this.proxy.lastReceivedConfReq = opts;
    }
    super.input(p, now, raw);
  }

  protected override sentRequest(options: readonly LcpOption[]): void {
    if (this.cfg.recordConfReqs) (this.proxy ??= {}).lastSentConfReq = encode(lcpPacket, { kind: 'conf-req', identifier: 0, options }).slice(4);
  }

  protected override layerAction(action: 'tlu' | 'tld' | 'tls' | 'tlf', now: number): void {
    if (action === 'tlu') {
      this.echoPending = 0;
      this.echoAt = this.cfg.echoIntervalMs > 0 && !this.echoOff ? now + this.cfg.echoIntervalMs : undefined;
    } else if (action === 'tld' || action === 'tlf') {
      this.echoAt = undefined;
    }
    if (action === 'tlf' || action === 'tls') this.resetOurs();
    super.layerAction(action, now);
  }

  /** Stops the keepalive (the LAC after hand-off: the LNS talks to the peer now). */
  stopEcho(): void {
    this.echoOff = true;
    this.echoAt = undefined;
  }

  override nextTimeout(): number | undefined {
    const t = this.timerAt;
    const e = this.echoAt;
    return t === undefined ? e : e === undefined ? t : Math.min(t, e);
  }

  override handleTimeout(now: number): void {
    super.handleTimeout(now);
    if (this.echoAt === undefined || now < this.echoAt || this.state !== State.Opened) return;
    if (this.echoPending >= this.cfg.echoFailure) {
      count(this.counters, 'lcp.echo-failure');
      this.echoAt = undefined;
      this.close(now, 'echo-timeout');
      return;
    }
    this.echoId = (this.echoId + 1) & 0xff;
    this.echoPending++;
    this.echoAt = now + this.cfg.echoIntervalMs;
    this.send({ kind: 'echo-req', identifier: this.echoId, magic: this.ourMagic, data: EMPTY });
  }

  protected override extCode(p: ControlPacket<LcpOption>, now: number): boolean {
    switch (p.kind) {
      case 'echo-req':
        if (this.ourMagic !== 0 && p.magic === this.ourMagic) this.magicCollision();
        this.pendingEcho = p;
        this.run(15 /* RXR */, now);
        this.pendingEcho = undefined;
        return true;
      case 'echo-reply':
        if (this.ourMagic !== 0 && p.magic === this.ourMagic) this.magicCollision();
        else if (this.state === State.Opened) this.echoPending = 0;
        this.run(15, now);
        return true;
      case 'discard-req':
        this.run(15, now);
        return true;
      case 'proto-rej':
        // RFC 1661 §5.7: only meaningful in Opened; otherwise silently discarded.
        if (this.state !== State.Opened) {
          count(this.counters, 'lcp.protocol-reject-not-opened');
          return true;
        }
        if (p.protocol === PppProtocol.LCP) {
          this.reason ??= 'lcp-protocol-rejected';
          this.run(14 /* RXJ- */, now);
        } else {
          this.run(13 /* RXJ+ */, now);
          (this.sink as LcpSink).protocolRejected?.(p.protocol, now);
        }
        return true;
      default:
        return false;
    }
  }

  protected override ser(_now: number): void {
    const e = this.pendingEcho;
    if (e) this.send({ kind: 'echo-reply', identifier: e.identifier, magic: this.ourMagic, data: e.data });
  }

  protected override codeRejected(code: number): void {
    // A peer that rejects Echo cannot be kept alive with it.
    if (code === 9 || code === 10) this.stopEcho();
  }

  /** Sends a Protocol-Reject for `protocol` (only in Opened, RFC 1661 §5.7), truncated to the peer's MRU. */
  protocolReject(protocol: number, info: Uint8Array): void {
    if (this.state !== State.Opened) {
      count(this.counters, 'lcp.unknown-protocol-not-opened');
      return;
    }
    const room = Math.min(this.peerMru, this.cfg.maxPeerMru) - 6;
    this.send({ kind: 'proto-rej', identifier: this.nextId(), protocol, data: info.length > room ? info.subarray(0, room) : info });
  }

  /**
   * Takes the result of an LCP negotiation done by someone else (the LAC's proxy LCP, RFC
   * 2661 §4.4.5): `sent` is the last Configure-Request the LAC sent the peer (it becomes ours),
   * `received` the last one it received. Returns false, leaving LCP untouched, when either
   * is something we would not have agreed to; the caller then renegotiates.
   */
  acceptProxy(sent: Uint8Array, received: Uint8Array, now: number): boolean {
    const e = { truncated: '', lengthTooSmall: '', lengthExceeds: '', optionTruncated: 'x', optionBadLength: 'x', optionOverrun: 'x', echoShort: '', protoRejShort: '' };
    const ours = parseOptions(lcpOptions, sent, 0, sent.length, e);
    const his = parseOptions(lcpOptions, received, 0, received.length, e);
    if (!ours.ok || !his.ok) return false;
    let ourMru: number | undefined;
    let ourAuth: AuthProtocol | undefined;
    let ourMagic = 0;
    for (const o of ours.value) {
      if (o.kind === 'mru' && o.mru >= MIN_MRU) ourMru = o.mru;
      else if (o.kind === 'magic' && o.magic !== 0) ourMagic = o.magic;
      else if (o.kind === 'auth') {
        const a = authOf(o);
        if (a === undefined || !this.cfg.authenticate.includes(a)) return false;
        ourAuth = a;
      } else if (o.kind === 'accm' && !this.cfg.pppoe) continue;
      else return false;
    }
    if (this.cfg.authenticate.length > 0 && ourAuth === undefined) return false;
    const savedMagic = this.ourMagic;
    this.ourMagic = ourMagic;
    const ok = this.rcr({ kind: 'conf-req', identifier: 0, options: his.value });
    this.forgetReply(); // the LAC already acked it
    if (!ok) {
      this.ourMagic = savedMagic;
      return false;
    }
    this.ourMru = ourMru;
    this.ourAuth = ourAuth;
    this.sentOptions = ours.value; // dropped at Opened below when it can be built again, else kept with common options shared
    this.reqId = this.nextId(); // as if the LAC's request had been ours
    this.acked = true; // and the peer had Acked it: a late copy of that Ack is a duplicate
    this.state = State.Opened;
    this.layerAction('tlu', now);
    this.forgetRequest();
    return true;
  }
}

const EMPTY = new Uint8Array(0);
