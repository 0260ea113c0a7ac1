/**
 * The RFC 1661 §4 option-negotiation automaton, shared by LCP and the NCPs. The state
 * transition table is data (the RFC's own table, parsed once) and the automaton executes
 * it literally; each configuration option is a small stateless handler whose state lives in
 * the protocol object (accel-ppp style). Sans-IO: time comes in as `now`, packets go out
 * through a sink, nothing here reads a clock or opens a socket.
 */
import { putPart } from './phase-part.js';
import { bytesEqual, textBytes } from '../wire/bytes.js';
import { encode } from '../wire/result.js';
import type { Codec } from '../wire/result.js';
import type { ConfPacket, ControlPacket, OptionCodec } from '../wire/ppp.js';
import { count, type Counters, type PppMessage } from './ppp-common.js';

// ---- the table ------------------------------------------------------------------------

/** States, RFC 1661 §4.2, numbered as in the table. */
export const State = {
  Initial: 0,
  Starting: 1,
  Closed: 2,
  Stopped: 3,
  Closing: 4,
  Stopping: 5,
  ReqSent: 6,
  AckRcvd: 7,
  AckSent: 8,
  Opened: 9,
} as const;
export type StateNumber = (typeof State)[keyof typeof State];
export const STATE_NAMES = ['Initial', 'Starting', 'Closed', 'Stopped', 'Closing', 'Stopping', 'Req-Sent', 'Ack-Rcvd', 'Ack-Sent', 'Opened'] as const;

/** Events, RFC 1661 §4.3, with the RFC's names. */
export const EVENT_NAMES = ['Up', 'Down', 'Open', 'Close', 'TO+', 'TO-', 'RCR+', 'RCR-', 'RCA', 'RCN', 'RTR', 'RTA', 'RUC', 'RXJ+', 'RXJ-', 'RXR'] as const;
export type EventName = (typeof EVENT_NAMES)[number];
export const Ev = {
  Up: 0, Down: 1, Open: 2, Close: 3, TOp: 4, TOm: 5, RCRp: 6, RCRm: 7, RCA: 8, RCN: 9, RTR: 10, RTA: 11, RUC: 12, RXJp: 13, RXJm: 14, RXR: 15,
} as const;

/** Actions, RFC 1661 §4.4. */
export const ACTION_NAMES = ['tlu', 'tld', 'tls', 'tlf', 'irc', 'zrc', 'scr', 'sca', 'scn', 'str', 'sta', 'scj', 'ser'] as const;
export type ActionName = (typeof ACTION_NAMES)[number];
const A = { tlu: 0, tld: 1, tls: 2, tlf: 3, irc: 4, zrc: 5, scr: 6, sca: 7, scn: 8, str: 9, sta: 10, scj: 11, ser: 12 } as const;

/**
 * RFC 1661 §4.1, as printed (both halves). `-` is an event that cannot happen in that
 * state; `r` (restart), `p` (passive) and `x` (crossed connection) are the RFC's footnotes.
 */
export const RFC1661_TABLE = `
      | State
      |    0         1         2         3         4         5
Events| Initial   Starting  Closed    Stopped   Closing   Stopping
------+-----------------------------------------------------------
 Up   |    2     irc,scr/6     -         -         -         -
 Down |    -         -         0       tls/1       0         1
 Open |  tls/1       1     irc,scr/6     3r        5r        5r
 Close|    0       tlf/0       2         2         4         4
      |
  TO+ |    -         -         -         -       str/4     str/5
  TO- |    -         -         -         -       tlf/2     tlf/3
      |
 RCR+ |    -         -       sta/2 irc,scr,sca/8   4         5
 RCR- |    -         -       sta/2 irc,scr,scn/6   4         5
 RCA  |    -         -       sta/2     sta/3       4         5
 RCN  |    -         -       sta/2     sta/3       4         5
      |
 RTR  |    -         -       sta/2     sta/3     sta/4     sta/5
 RTA  |    -         -         2         3       tlf/2     tlf/3
      |
 RUC  |    -         -       scj/2     scj/3     scj/4     scj/5
 RXJ+ |    -         -         2         3         4         5
 RXJ- |    -         -       tlf/2     tlf/3     tlf/2     tlf/3
      |
 RXR  |    -         -         2         3         4         5

      | State
      |    6         7         8           9
Events| Req-Sent  Ack-Rcvd  Ack-Sent    Opened
------+-----------------------------------------
 Up   |    -         -         -           -
 Down |    1         1         1         tld/1
 Open |    6         7         8           9r
 Close|irc,str/4 irc,str/4 irc,str/4 tld,irc,str/4
      |
  TO+ |  scr/6     scr/6     scr/8         -
  TO- |  tlf/3p    tlf/3p    tlf/3p        -
      |
 RCR+ |  sca/8   sca,tlu/9   sca/8   tld,scr,sca/8
 RCR- |  scn/6     scn/7     scn/6   tld,scr,scn/6
 RCA  |  irc/7     scr/6x  irc,tlu/9   tld,scr/6x
 RCN  |irc,scr/6   scr/6x  irc,scr/8   tld,scr/6x
      |
 RTR  |  sta/6     sta/6     sta/6   tld,zrc,sta/5
 RTA  |    6         6         8       tld,scr/6
      |
 RUC  |  scj/6     scj/7     scj/8       scj/9
 RXJ+ |    6         6         8           9
 RXJ- |  tlf/3     tlf/3     tlf/3   tld,irc,str/5
      |
 RXR  |    6         7         8         ser/9
`;

export interface Cell {
  readonly actions: readonly ActionName[];
  readonly next: StateNumber;
  /** RFC footnote letters on the cell (r, p, x). */
  readonly flags: string;
  /** `irc` before `str` sets Max-Terminate, otherwise Max-Configure. */
  readonly ircTerminate: boolean;
}

/** Parses the printed table: `cells[event][state]`, undefined where the RFC prints `-`. */
export function parseStateTable(text: string): (Cell | undefined)[][] {
  const cells: (Cell | undefined)[][] = EVENT_NAMES.map(() => Array<Cell | undefined>(10).fill(undefined));
  let columns: number[] = [];
  for (const line of text.split('\n')) {
    const bar = line.indexOf('|');
    if (bar < 0) continue;
    const label = line.slice(0, bar).trim();
    const rest = line.slice(bar + 1).trim();
    if (label === '' && /^\d[\d\s]*$/.test(rest)) {
      columns = rest.split(/\s+/).map(Number);
      continue;
    }
    const ev = EVENT_NAMES.indexOf(label as EventName);
    if (ev < 0) continue;
    const parts = rest.split(/\s+/);
    if (parts.length !== columns.length) throw new Error(`state table row ${label}: ${parts.length} cells for ${columns.length} states`);
    parts.forEach((cell, i) => {
      if (cell === '-') return;
      const m = /^(?:([a-z,]+)\/)?(\d)([rpx]*)$/.exec(cell);
      if (!m) throw new Error(`state table cell "${cell}"`);
      const actions = m[1] ? (m[1].split(',') as ActionName[]) : [];
      for (const a of actions) if (!ACTION_NAMES.includes(a)) throw new Error(`unknown action ${a}`);
      cells[ev]![columns[i]!] = { actions, next: Number(m[2]) as StateNumber, flags: m[3]!, ircTerminate: actions.includes('str') };
    });
  }
  return cells;
}

export const STATE_TABLE: readonly (readonly (Cell | undefined)[])[] = parseStateTable(RFC1661_TABLE);

/** The table as compiled for the automaton: action numbers per (event, state). */
const COMPILED: (Uint8Array | undefined)[] = [];
const NEXT = new Int8Array(EVENT_NAMES.length * 10).fill(-1);
const IRC_TERM = new Uint8Array(EVENT_NAMES.length * 10);
STATE_TABLE.forEach((row, ev) =>
  row.forEach((c, st) => {
    if (!c) return;
    COMPILED[ev * 10 + st] = Uint8Array.from(c.actions.map((a) => A[a]));
    NEXT[ev * 10 + st] = c.next;
    IRC_TERM[ev * 10 + st] = c.ircTerminate ? 1 : 0;
  }),
);

/** States in which the Restart timer runs (RFC 1661 §4.6). */
const TIMER_RUNS = [false, false, false, false, true, true, true, true, true, false];

// ---- configuration --------------------------------------------------------------------

/** RFC 1661 §4.6 counters and timer. */
export interface FsmConfig {
  /** Restart timer, ms (RFC default 3 s). */
  readonly restartMs: number;
  /** Terminate-Requests sent without an Ack before giving up (RFC default 2). */
  readonly maxTerminate: number;
  /** Configure-Requests sent without an Ack/Nak/Reject before giving up (RFC default 10). */
  readonly maxConfigure: number;
  /** Configure-Naks sent without a Configure-Ack before Naks turn into Rejects (RFC default 5). */
  readonly maxFailure: number;
  /**
   * Take only the first Configure-Ack of a request and drop later ones with the same
   * identifier (pppd's seen_ack), so a duplicated or late Ack does not restart negotiation
   * (the RFC's RCA in Ack-Rcvd "scr/6x" and in Opened "tld,scr/6x"). In Opened every Ack
   * that passes §5.2 is by construction the second one of the request that opened the
   * layer, so with this on only a Nak or Reject restarts an open layer. false follows the
   * RFC table literally.
   */
  readonly dropDuplicateReplies: boolean;
}

/** The most Configure-, Terminate-Requests or Naks a machine counts (its counters are 8 bits). */
export const MAX_FSM_COUNT = 255;

/** `f` when every count is a whole number in 0..MAX_FSM_COUNT (and the timer positive); else a RangeError naming the field. */
export function checkFsm(f: FsmConfig): FsmConfig {
  for (const k of ['maxTerminate', 'maxConfigure', 'maxFailure'] as const) {
    if (!Number.isInteger(f[k]) || f[k] < 0 || f[k] > MAX_FSM_COUNT) throw new RangeError(`fsm.${k}: a whole number in 0..${MAX_FSM_COUNT}, not ${f[k]}`);
  }
  if (!(f.restartMs > 0)) throw new RangeError(`fsm.restartMs: a positive number of ms, not ${f.restartMs}`);
  return f;
}

export const DEFAULT_FSM: FsmConfig = { restartMs: 3000, maxTerminate: 2, maxConfigure: 10, maxFailure: 5, dropDuplicateReplies: true };

// ---- option handlers ------------------------------------------------------------------

export const ACK = 0;
export const REJ = 1;

/**
 * One configuration option. Stateless: `layer` holds the values. `received` returns ACK,
 * REJ, or the option to put in a Configure-Nak.
 */
export interface OptionHandler<O, L> {
  readonly type: number;
  /** The option for our Configure-Request, or undefined to leave it out. */
  request(layer: L): O | undefined;
  /** The peer's Configure-Request carries `o`. */
  received(layer: L, o: O): typeof ACK | typeof REJ | O;
  /** The peer's Configure-Request does not carry this option: an option to Nak with (asking it to add it), or undefined. */
  missing?(layer: L): O | undefined;
  /** Our request was Nak'd, `o` being the peer's hint. false: the Nak makes no sense (discarded). */
  nak(layer: L, o: O): boolean;
  /** Our option was rejected. */
  reject(layer: L, o: O): void;
}

export interface HandlerTable<O, L> {
  /** Handlers by option type. */
  readonly byType: readonly (OptionHandler<O, L> | undefined)[];
  /** Handlers in the order their options go into our Configure-Request. */
  readonly order: readonly OptionHandler<O, L>[];
}

export function handlerTable<O, L>(handlers: readonly OptionHandler<O, L>[]): HandlerTable<O, L> {
  const byType: (OptionHandler<O, L> | undefined)[] = [];
  for (const h of handlers) byType[h.type] = h;
  return { byType, order: handlers };
}

/**
 * A request kept for the session's life (one the machine cannot build again, as a proxied
 * LCP request with options it does not model: `forgetRequest`) holds options that are
 * mostly the same in every session (MRU, Auth-Protocol): equal ones of plain values are one
 * shared object. Options are never written to. At most 256 are held; when full the table
 * starts again (values unique to a session, a Magic-Number, fill it; the common ones
 * come back at once). Keys are joined, not concatenated: one flat string each, not a tree.
 */
const sharedOptions = new Map<string, unknown>();
const SHARED_OPTIONS_MAX = 256;
const keyParts: string[] = [];
export function sharedOption<O>(o: O): O {
  keyParts.length = 0;
  for (const k in o) {
    const v = (o as Record<string, unknown>)[k];
    if (v !== null && (typeof v === 'object' || typeof v === 'function')) return o;
    keyParts.push(k, '=', typeof v, ':', String(v), ';');
  }
  const key = keyParts.join('');
  const seen = sharedOptions.get(key);
  if (seen !== undefined) return seen as O;
  if (sharedOptions.size >= SHARED_OPTIONS_MAX) sharedOptions.clear();
  sharedOptions.set(key, o);
  return o;
}

/** Structural equality of two option values (numbers, strings, byte arrays). */
export function optionEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a instanceof Uint8Array && b instanceof Uint8Array) return bytesEqual(a, b);
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  let n = 0;
  for (const k in ra) {
    n++;
    if (!optionEqual(ra[k], rb[k])) return false;
  }
  for (const _ in rb) n--;
  return n === 0;
}

// ---- the automaton --------------------------------------------------------------------

/** What a control protocol tells its owner (the PPP link, or a test). */
export type LayerAction = 'tlu' | 'tld' | 'tls' | 'tlf';

export interface PppSink {
  send(m: PppMessage): void;
  /** This-Layer-Up/Down/Started/Finished of `cp`. */
  layer(cp: ControlProtocol<never>, action: LayerAction, now: number): void;
}

/**
 * A control protocol (LCP, IPCP...) driven by the RFC 1661 automaton. Subclasses give the
 * option handlers, the packet wrapper and the extended codes.
 */
export abstract class ControlProtocol<O> {
  /**
   * The state (bits 0–3), the Restart counter (4–11), the Configure-Naks sent since the last
   * Configure-Ack (12–19) and our outstanding request's Identifier + 1 (20–28) in one small
   * integer, as `bits` below: every session holds four or five of these machines.
   */
  private counts = 0;
  /** Current state (State.*). */
  get state(): StateNumber {
    return (this.counts & 0xf) as StateNumber;
  }
  set state(s: StateNumber) {
    this.counts = (this.counts & ~0xf) | s;
  }
  /** Restart counter (RFC 1661 §4.6), 0..MAX_FSM_COUNT. */
  get restartCount(): number {
    return (this.counts >> 4) & 0xff;
  }
  set restartCount(n: number) {
    // Below zero is as spent as zero (only `> 0` is asked: scr in Opened decrements without an irc).
    this.counts = (this.counts & ~0xff0) | ((Math.max(0, Math.min(n, MAX_FSM_COUNT)) & 0xff) << 4);
  }
  /** Configure-Naks sent since the last Configure-Ack (Max-Failure). */
  get failureCount(): number {
    return (this.counts >> 12) & 0xff;
  }
  set failureCount(n: number) {
    this.counts = (this.counts & ~0xff000) | ((Math.min(n, MAX_FSM_COUNT) & 0xff) << 12);
  }
  /** Identifier of our outstanding Configure-Request, -1 before the first. */
  get reqId(): number {
    return ((this.counts >> 20) & 0x1ff) - 1;
  }
  set reqId(id: number) {
    this.counts = (this.counts & ~0x1ff00000) | (((id + 1) & 0x1ff) << 20);
  }
  /** Restart timer deadline (absolute ms), or undefined when stopped. */
  timerAt: number | undefined = undefined;
  /**
   * What a machine holds only while it negotiates or closes (why it goes down, a fatal
   * finding, our last request, a reply or Code-Reject to send): none of it in Opened, where a
   * session spends its life, so it is one object made when needed and let go when empty
   * rather than five fields in every machine of every session.
   */
  private cold: Cold<O> | undefined = undefined;
  private setCold<K extends keyof Cold<O>>(k: K, v: Cold<O>[K]): void {
    this.cold = putPart(this.cold, k, v, newCold as () => Cold<O>, coldIsEmpty);
  }
  /** Why the layer is going down, for Terminate-Request data and events. */
  get reason(): string | undefined {
    return this.cold?.reason;
  }
  set reason(v: string | undefined) {
    this.setCold('reason', v);
  }
  /** A handler decided the link cannot work (peer refused auth, looped back); closed after the packet. */
  protected get fatal(): string | undefined {
    return this.cold?.fatal;
  }
  protected set fatal(v: string | undefined) {
    this.setCold('fatal', v);
  }
  /**
   * The options of our last Configure-Request: RFC 1661 §5.2/§5.4 check an Ack or Reject
   * against the last request sent, in Opened too (a valid one there is tld,scr). In Opened
   * it is usually `REBUILT` (a bit, SENT_REBUILT): the request our values give now is the one
   * that was sent, so the list (and its per-session options: a Magic-Number, an address) need
   * not be kept for the session's life. It is built again when a reply arrives (`lastRequest`).
   */
  protected get sentOptions(): readonly O[] | undefined {
    return (this.bits & SENT_REBUILT) !== 0 ? (REBUILT as readonly O[]) : this.cold?.sentOptions;
  }
  protected set sentOptions(v: readonly O[] | undefined) {
    if (v === REBUILT) {
      this.bits |= SENT_REBUILT;
      this.setCold('sentOptions', undefined);
    } else {
      this.bits &= ~SENT_REBUILT;
      this.setCold('sentOptions', v);
    }
  }
  private get reply(): ConfPacket<O> | undefined {
    return this.cold?.reply;
  }
  private set reply(v: ConfPacket<O> | undefined) {
    this.setCold('reply', v);
  }
  private get rejected(): Uint8Array | undefined {
    return this.cold?.rejected;
  }
  private set rejected(v: Uint8Array | undefined) {
    this.setCold('rejected', v);
  }
  /**
   * The last Identifier we used (bits 0-7), the last one received (8-15), `retransmit` (16),
   * `acked` (17) and SENT_REBUILT (18) in one small integer: four fields cost 32 bytes in every machine of
   * every session, one costs 8.
   */
  private bits = 0;
  private get lastId(): number {
    return this.bits & 0xff;
  }
  private set lastId(id: number) {
    this.bits = (this.bits & ~0xff) | (id & 0xff);
  }
  private get rxId(): number {
    return (this.bits >> 8) & 0xff;
  }
  private set rxId(id: number) {
    this.bits = (this.bits & ~0xff00) | ((id & 0xff) << 8);
  }
  /** The Restart timer fired with the counter left (TO+): the next scr repeats the request. */
  private get retransmit(): boolean {
    return (this.bits & 0x10000) !== 0;
  }
  private set retransmit(v: boolean) {
    this.bits = v ? this.bits | 0x10000 : this.bits & ~0x10000;
  }
  /** Our current request already got its Configure-Ack: a later Ack of it is a duplicate (pppd's seen_ack). */
  protected get acked(): boolean {
    return (this.bits & 0x20000) !== 0;
  }
  protected set acked(v: boolean) {
    this.bits = v ? this.bits | 0x20000 : this.bits & ~0x20000;
  }

  constructor(
    protected readonly sink: PppSink,
    readonly counters: Counters,
  ) {}

  // Per-protocol constants live on the prototype (getters), not in every instance:
  // thousands of sessions each hold an LCP and an IPCP.
  /** PPP protocol number. */
  abstract get protocol(): number;
  /** Short name for counters ("lcp", "ipcp"). */
  abstract get name(): string;
  protected abstract get fsm(): FsmConfig;
  protected abstract get handlers(): HandlerTable<O, this>;
  protected abstract get options(): OptionCodec<O>;
  protected abstract get codec(): Codec<ControlPacket<O>>;
  /** Wraps a packet of this protocol as a message and hands it to the sink. */
  protected abstract send(p: ControlPacket<O>): void;
  /** Called before a received Configure-Request is examined: reset the peer's values to their defaults. */
  protected peerReset(): void {}
  /** Codes beyond 1..7 (LCP: Protocol-Reject, Echo, Discard). Return false for an unknown code (RUC). */
  protected extCode(_p: ControlPacket<O>, _now: number): boolean {
    return false;
  }
  /** `ser`: send an Echo-Reply (LCP). */
  protected ser(_now: number): void {}
  /** A Code-Reject of `code` arrived (after the automaton ran). */
  protected codeRejected(_code: number): void {}
  protected layerAction(action: LayerAction, now: number): void {
    this.sink.layer(this as unknown as ControlProtocol<never>, action, now);
  }
  /** Called after sending a Configure-Request (LCP records it for proxy LCP). */
  protected sentRequest(_options: readonly O[]): void {}

  get stateName(): string {
    return STATE_NAMES[this.state];
  }
  get opened(): boolean {
    return this.state === State.Opened;
  }

  // ---- administrative and lower-layer events

  /** Lower layer is Up. */
  up(now: number): void {
    this.run(Ev.Up, now);
  }
  /** Lower layer is Down. */
  down(now: number): void {
    this.run(Ev.Down, now);
  }
  /** Administrative Open. */
  open(now: number): void {
    this.run(Ev.Open, now);
  }
  /** Administrative Close; `reason` goes into the Terminate-Request data. */
  close(now: number, reason?: string): void {
    if (reason !== undefined && this.reason === undefined) this.reason = reason;
    this.run(Ev.Close, now);
  }
  /** RXJ- from outside (LCP got a Protocol-Reject for this protocol). */
  protocolRejected(now: number): void {
    this.reason ??= 'protocol-rejected';
    this.run(Ev.RXJm, now);
  }

  nextTimeout(): number | undefined {
    return this.timerAt;
  }

  handleTimeout(now: number): void {
    if (this.timerAt === undefined || now < this.timerAt) return;
    this.timerAt = undefined;
    if (this.restartCount > 0) {
      this.retransmit = true;
      this.run(Ev.TOp, now);
      this.retransmit = false;
    } else {
      if (this.state >= State.ReqSent) this.reason ??= 'max-configure';
      this.run(Ev.TOm, now);
    }
  }

  // ---- received packets

  /** A parsed packet of this protocol. `raw` (the packet's bytes) is used for Code-Reject; re-encoded when absent. */
  input(p: ControlPacket<O>, now: number, raw?: Uint8Array): void {
    this.rxId = p.identifier;
    switch (p.kind) {
      case 'conf-req': {
        const good = this.rcr(p);
        this.run(good ? Ev.RCRp : Ev.RCRm, now);
        break;
      }
      // RFC 1661 §5.2-5.4: a reply whose Identifier is not that of the last Configure-Request
      // we sent is silently discarded, in every state (Opened included); so is an Ack whose
      // options are not exactly those of that request.
      case 'conf-ack':
        this.lastRequest();
        if (p.identifier !== this.reqId || !this.sentOptions) {
          count(this.counters, `${this.name}.stale-reply`);
          return;
        }
        if (this.acked && this.fsm.dropDuplicateReplies) {
          count(this.counters, `${this.name}.duplicate-ack`);
          return;
        }
        if (!sameList(p.options, this.sentOptions)) {
          count(this.counters, `${this.name}.bad-ack`);
          return;
        }
        this.acked = true;
        this.run(Ev.RCA, now);
        break;
      case 'conf-nak':
      case 'conf-rej': {
        // A Nak or Reject of a request the peer already Acked is not a duplicate but a changed
        // answer (the peer re-evaluated our request): it runs RCN, which restarts negotiation.
        // The request is built before a Nak's hints change the values it is built from.
        this.lastRequest();
        if (p.identifier !== this.reqId || !this.sentOptions) {
          count(this.counters, `${this.name}.stale-reply`);
          return;
        }
        if (this.state >= State.ReqSent) {
          const valid = p.kind === 'conf-nak' ? this.rcn(p.options) : this.rcj(p.options);
          if (!valid) {
            count(this.counters, `${this.name}.bad-${p.kind === 'conf-nak' ? 'nak' : 'reject'}`);
            return;
          }
        }
        this.run(Ev.RCN, now);
        break;
      }
      case 'term-req':
        this.reason ??= 'peer-terminated';
        this.run(Ev.RTR, now);
        break;
      case 'term-ack':
        this.run(Ev.RTA, now);
        break;
      case 'code-rej': {
        const code = p.rejected.length ? p.rejected[0]! : 0;
        // RFC 1661 §4.3: rejecting one of the basic codes (1..7) is catastrophic (RXJ-).
        const catastrophic = code >= 1 && code <= 7;
        if (catastrophic) this.reason ??= 'code-rejected';
        this.run(catastrophic ? Ev.RXJm : Ev.RXJp, now);
        this.codeRejected(code);
        break;
      }
      default:
        if (!this.extCode(p, now)) {
          this.rejected = raw ?? encode(this.codec, p);
          count(this.counters, `${this.name}.unknown-code`);
          this.run(Ev.RUC, now);
        }
    }
    if (this.fatal !== undefined && this.state !== State.Closing && this.state !== State.Closed) {
      const why = this.fatal;
      this.fatal = undefined;
      this.close(now, why);
    }
  }

  /** Runs one event of the RFC table. */
  protected run(ev: number, now: number): void {
    const at = ev * 10 + this.state;
    const actions = COMPILED[at];
    const next = NEXT[at]!;
    if (next < 0) {
      count(this.counters, `${this.name}.event-${EVENT_NAMES[ev]}-in-${STATE_NAMES[this.state]}`);
      return;
    }
    this.state = next as StateNumber;
    if (actions) for (let i = 0; i < actions.length; i++) this.act(actions[i]!, IRC_TERM[at] === 1, now);
    if (!TIMER_RUNS[this.state]) this.timerAt = undefined;
  }

  private act(a: number, ircTerminate: boolean, now: number): void {
    switch (a) {
      case A.tlu:
        this.failureCount = 0;
        this.reason = undefined;
        this.layerAction('tlu', now);
        this.forgetRequest();
        break;
      case A.tld:
        this.layerAction('tld', now);
        break;
      case A.tls:
        this.layerAction('tls', now);
        break;
      case A.tlf:
        this.layerAction('tlf', now);
        break;
      case A.irc:
        this.restartCount = ircTerminate ? this.fsm.maxTerminate : this.fsm.maxConfigure;
        break;
      case A.zrc:
        this.restartCount = 0;
        this.timerAt = now + this.fsm.restartMs;
        break;
      case A.scr: {
        // A retransmission (TO+) keeps the identifier and the options, as pppd does; anything else is a new request.
        if (!this.retransmit || !this.sentOptions || this.sentOptions === REBUILT) {
          this.reqId = this.nextId();
          this.sentOptions = this.buildRequest();
        }
        this.acked = false;
        this.send({ kind: 'conf-req', identifier: this.reqId, options: this.sentOptions });
        this.sentRequest(this.sentOptions);
        this.restartCount--;
        this.timerAt = now + this.fsm.restartMs;
        break;
      }
      case A.sca:
      case A.scn: {
        const r = this.reply;
        if (!r) break;
        this.reply = undefined;
        if (r.kind === 'conf-ack') this.failureCount = 0;
        else if (r.kind === 'conf-nak') this.failureCount++;
        this.send(r);
        break;
      }
      case A.str:
        this.send({ kind: 'term-req', identifier: this.nextId(), data: this.reason ? textBytes(this.reason) : EMPTY });
        this.restartCount--;
        this.timerAt = now + this.fsm.restartMs;
        break;
      case A.sta:
        this.send({ kind: 'term-ack', identifier: this.rxId, data: EMPTY });
        break;
      case A.scj:
        this.send({ kind: 'code-rej', identifier: this.nextId(), rejected: this.rejected ?? EMPTY });
        this.rejected = undefined;
        break;
      case A.ser:
        this.ser(now);
        break;
    }
  }

  protected nextId(): number {
    this.lastId = (this.lastId + 1) & 0xff;
    return this.lastId;
  }

  /**
   * Examines a Configure-Request (RCR+ or RCR-) and prepares the reply: Reject beats Nak
   * beats Ack (RFC 1661 §5.2–5.4). After Max-Failure Naks, Naks of the peer's options become
   * Rejects (§4.6).
   */
  protected rcr(p: ConfPacket<O>): boolean {
    this.peerReset();
    let rej: O[] | undefined;
    let nak: O[] | undefined;
    const byType = this.handlers.byType;
    for (const o of p.options) {
      const h = (o as { kind: string }).kind === 'raw' ? undefined : byType[this.options.type(o)];
      if (!h) {
        (rej ??= []).push(o);
        continue;
      }
      const v = h.received(this, o);
      if (v === REJ) (rej ??= []).push(o);
      else if (v !== ACK) (nak ??= []).push(v);
    }
    if (!rej) {
      for (const h of this.handlers.order) {
        if (!h.missing) continue;
        let present = false;
        for (const o of p.options) if (this.options.type(o) === h.type) present = true;
        if (present) continue;
        const m = h.missing(this);
        if (m !== undefined) (nak ??= []).push(m);
      }
    }
    if (!rej && nak && this.failureCount >= this.fsm.maxFailure) {
      count(this.counters, `${this.name}.max-failure-nak-to-reject`);
      const types = new Set(nak.map((o) => this.options.type(o)));
      const conv = p.options.filter((o) => types.has(this.options.type(o)));
      nak = undefined;
      if (conv.length) rej = conv;
    }
    if (rej) this.reply = { kind: 'conf-rej', identifier: p.identifier, options: rej };
    else if (nak) this.reply = { kind: 'conf-nak', identifier: p.identifier, options: nak };
    else this.reply = { kind: 'conf-ack', identifier: p.identifier, options: p.options };
    return this.reply.kind === 'conf-ack';
  }

  /** A Configure-Nak for our request: every hint goes to its handler. */
  private rcn(opts: readonly O[]): boolean {
    for (const o of opts) {
      if ((o as { kind: string }).kind === 'raw') continue; // a hint we cannot read: ignore it
      const h = this.handlers.byType[this.options.type(o)];
      if (h && !h.nak(this, o)) return false;
    }
    return true;
  }

  /** The Configure-Request our values give now (held while negotiating, not shared: `forgetRequest` drops it at Opened). */
  private buildRequest(): O[] {
    const opts: O[] = [];
    for (const h of this.handlers.order) {
      const o = h.request(this);
      if (o !== undefined) opts.push(o);
    }
    return opts;
  }

  /** Opened: the request is not kept when it can be built again as it was sent. */
  protected forgetRequest(): void {
    const sent = this.sentOptions;
    if (sent === undefined || sent === REBUILT) return;
    this.sentOptions = this.wouldRequest(sent) ? (REBUILT as readonly O[]) : sent.map(sharedOption);
  }

  /** Whether the request our values give now equals `sent`, option for option. */
  private wouldRequest(sent: readonly O[]): boolean {
    let i = 0;
    for (const h of this.handlers.order) {
      const o = h.request(this);
      if (o === undefined) continue;
      if (i >= sent.length || !optionEqual(sent[i], o)) return false;
      i++;
    }
    return i === sent.length;
  }

  /** The last request sent, built again if it was not kept (`sentOptions` holds it afterwards). */
  protected lastRequest(): readonly O[] | undefined {
    if (this.sentOptions === REBUILT) this.sentOptions = this.buildRequest();
    return this.sentOptions;
  }

  /** A reply decided but never to be sent (a proxied request taken as if answered): not kept. */
  protected forgetReply(): void {
    this.reply = undefined;
  }

  /** A Configure-Reject: it must be a subset of what we sent (§5.4), else it is discarded. */
  private rcj(opts: readonly O[]): boolean {
    const sent = this.sentOptions!;
    for (const o of opts) if (!sent.some((s) => optionEqual(s, o))) return false;
    for (const o of opts) this.handlers.byType[this.options.type(o)]?.reject(this, o);
    return true;
  }
}

const EMPTY = new Uint8Array(0);
/** `sentOptions` in Opened when the request can be built again from the machine's values. */
const REBUILT: readonly never[] = Object.freeze([]);
/** The `bits` flag that stands for `sentOptions === REBUILT`. */
const SENT_REBUILT = 0x40000;

/** A machine's negotiating and closing state (ControlProtocol.cold). */
interface Cold<O> {
  reason: string | undefined;
  fatal: string | undefined;
  sentOptions: readonly O[] | undefined;
  reply: ConfPacket<O> | undefined;
  rejected: Uint8Array | undefined;
}

function newCold(): Cold<unknown> {
  return { reason: undefined, fatal: undefined, sentOptions: undefined, reply: undefined, rejected: undefined };
}

function coldIsEmpty(c: Cold<unknown>): boolean {
  return c.reason === undefined && c.fatal === undefined && c.sentOptions === undefined && c.reply === undefined && c.rejected === undefined;
}

function sameList<O>(a: readonly O[], b: readonly O[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!optionEqual(a[i], b[i])) return false;
  return true;
}

/** A sink that queues messages and layer events, for a control protocol used on its own. */
export class QueueSink implements PppSink {
  readonly tx: PppMessage[] = [];
  readonly events: { protocol: number; action: LayerAction; at: number }[] = [];
  send(m: PppMessage): void {
    this.tx.push(m);
  }
  layer(cp: ControlProtocol<never>, action: LayerAction, now: number): void {
    this.events.push({ protocol: cp.protocol, action, at: now });
  }
}
