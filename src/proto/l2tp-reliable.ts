/**
 * The reliable delivery of L2TP control messages for one tunnel (RFC 2661 §5.8, Appendix A),
 * sans-IO. Guarantees: every queued message is delivered to the peer once and in Ns order, or
 * the connection reports itself dead after `maxRetries` unanswered retransmissions; messages
 * from the peer come out of `receive` once each, in order, whatever the network did to them.
 * The send queue is bounded (`maxQueue`) and indexed by count: a message gets its Ns only when it
 * enters the send window, so sequence numbers are only ever compared inside the window.
 */
import type { Avp, ControlMessage } from '../wire/l2tp.js';

/** Signed distance a − b of two 16-bit sequence numbers, in [−32768, 32767]. The one comparison helper. */
export function seqDiff(a: number, b: number): number {
  return ((a - b + 0x8000) & 0xffff) - 0x8000;
}

/** a < b modulo 2^16. */
export function seqLt(a: number, b: number): boolean {
  return seqDiff(a, b) < 0;
}

export interface ReliableConfig {
  /** First retransmission timeout, ms (§5.8 recommends 1 s). */
  readonly rtoInitial: number;
  /** Cap of the exponential backoff, ms (§5.8: no less than 8 s). */
  readonly rtoCap: number;
  /** Retransmissions of one message before the tunnel is declared dead (§5.8 default 5). */
  readonly maxRetries: number;
  /** How long a received message may wait for a piggybacked acknowledgement before a ZLB goes out, ms. */
  readonly ackDelay: number;
  /** Our Receive Window Size (how many out-of-order messages we queue). */
  readonly receiveWindow: number;
  /**
   * Messages queued or in flight, at most. `send` refuses (counted) beyond it; callers ask
   * `canQueue` first and hold their own work back (the L2TP node defers ICRQs).
   */
  readonly maxQueue: number;
}

export const DEFAULT_RELIABLE: ReliableConfig = { rtoInitial: 1000, rtoCap: 8000, maxRetries: 5, ackDelay: 100, receiveWindow: 16, maxQueue: 1024 };

/**
 * The largest send window we use whatever the peer's Receive Window Size says: seqDiff is only
 * meaningful for numbers less than half the 16-bit space apart (quinn-proto's rule).
 */
export const MAX_SEND_WINDOW = 0x4000;

/** Total time from the first transmission until the last retransmission gives up (§5.7's "full retransmission cycle"). */
export function fullRetransmitCycle(c: ReliableConfig): number {
  let t = 0;
  let rto = c.rtoInitial;
  for (let i = 0; i <= c.maxRetries; i++) {
    t += rto;
    rto = Math.min(rto * 2, c.rtoCap);
  }
  return t;
}

export interface ReliableCounters {
  sent: number;
  retransmitted: number;
  zlbSent: number;
  received: number;
  delivered: number;
  duplicates: number;
  outOfOrder: number;
  outsideWindow: number;
  staleAcks: number;
  timeouts: number;
  /** `send` called with the queue at `maxQueue`: the message was not queued. */
  queueFull: number;
  /** The oldest message resent after three duplicate ZLB acknowledgements, before its timer ran out. */
  fastRetransmits: number;
}

export function emptyReliableCounters(): ReliableCounters {
  return { sent: 0, retransmitted: 0, zlbSent: 0, received: 0, delivered: 0, duplicates: 0, outOfOrder: 0, outsideWindow: 0, staleAcks: 0, timeouts: 0, queueFull: 0, fastRetransmits: 0 };
}

interface Pending {
  readonly sessionId: number;
  readonly avps: readonly Avp[];
}

export class ReliableControl {
  readonly counters: ReliableCounters = emptyReliableCounters();
  /** Tunnel ID to put in the header of what we send (the peer's Assigned Tunnel ID; 0 before we know it). */
  peerTunnelId = 0;
  /**
   * No retransmission timer: what was sent goes again only through `resend()` (a half-open
   * tunnel answers the peer's retransmission, it never retransmits on its own).
   */
  passive = false;

  // Sender (§5.8). The queue holds every message not yet acknowledged, oldest first, indexed by
  // count from `head`. The first `inWindow` of them carry an Ns (nsNext − inWindow … nsNext − 1);
  // `sendIdx` (≤ inWindow) is the next of those to (re)transmit after a go-back.
  private queue: (Pending | undefined)[] = [];
  private head = 0;
  private nsNext = 0;
  private inWindow = 0;
  private sendIdx = 0;
  /** Peer's Receive Window Size (4 until its SCCRQ/SCCRP says otherwise, §4.4.3). */
  private peerWindow = 4;
  // Appendix A: congestion window, slow-start threshold, acks counted in congestion avoidance.
  private cwnd = 1;
  private ssthresh = 4;
  private caAcked = 0;
  private rto: number;
  private retries = 0;
  private rtxAt: number | undefined;
  /** ZLBs acknowledging nothing new while messages are outstanding; the oldest to resend once. */
  private dupAcks = 0;
  private resendOldest = false;

  // Receiver: next Ns expected, out-of-order queue, acknowledgement owed.
  private nr = 0;
  private readonly ooo = new Map<number, ControlMessage>();
  private ackDue: number | undefined;
  private ackNow = false;
  private nrSent = -1;
  private now = 0;

  constructor(private readonly cfg: ReliableConfig) {
    this.rto = cfg.rtoInitial;
  }

  /** The peer's Receive Window Size AVP (absent = 4). */
  setPeerWindow(size: number): void {
    this.peerWindow = Math.min(MAX_SEND_WINDOW, Math.max(1, size));
    this.ssthresh = this.peerWindow;
  }

  get congestionWindow(): number {
    return this.cwnd;
  }

  /** Everything we queued has been acknowledged. */
  get idle(): boolean {
    return this.length === 0;
  }

  /** Messages queued or in flight, not yet acknowledged. */
  get outstanding(): number {
    return this.length;
  }

  /** How many more messages `send` accepts now. */
  get space(): number {
    return Math.max(0, this.cfg.maxQueue - this.length);
  }

  /** Back-pressure: whether `n` more messages fit in the queue. */
  canQueue(n = 1): boolean {
    return this.space >= n;
  }

  /** The Ns the next new message will carry (and a ZLB carries now). */
  get nextNs(): number {
    return this.nsNext;
  }

  /** The Ns we expect next from the peer (the Nr we send). */
  get expectedNs(): number {
    return this.nr;
  }

  private get length(): number {
    return this.queue.length - this.head;
  }

  /** Drops everything not yet acknowledged (the peer sent StopCCN); acknowledgements still go out. */
  abandon(): void {
    this.resendOldest = false;
    this.queue = [];
    this.head = 0;
    this.inWindow = 0;
    this.sendIdx = 0;
    this.rtxAt = undefined;
  }

  /** Drops the queued messages that never went out (they have no Ns yet); returns how many. */
  discardUnsent(): number {
    const n = this.length - this.inWindow;
    this.queue.length = this.head + this.inWindow;
    return n;
  }

  /** Goes back to the oldest unacknowledged message and sends from there again (no backoff, no retry counted). */
  resend(): void {
    this.sendIdx = 0;
  }

  /**
   * Queues a control message. Returns false (counted as `queueFull`) when the queue holds
   * `maxQueue` messages already; the Ns is given when the message enters the send window.
   */
  send(sessionId: number, avps: readonly Avp[]): boolean {
    if (this.length >= this.cfg.maxQueue) {
      this.counters.queueFull++;
      return false;
    }
    this.queue.push({ sessionId, avps });
    return true;
  }

  /**
   * Takes in one control message from the peer (header already demultiplexed to this tunnel)
   * and returns the messages that are now deliverable, in order. ZLBs only acknowledge.
   */
  receive(m: ControlMessage, now: number): ControlMessage[] {
    this.now = now;
    this.counters.received++;
    this.ack(m.nr, now, m.avps.length === 0);
    if (m.avps.length === 0) return [];
    const d = seqDiff(m.ns, this.nr);
    if (d < 0) {
      // Already delivered: the peer missed our acknowledgement. Acknowledge again, drop (§5.8).
      this.counters.duplicates++;
      this.ackNow = true;
      return [];
    }
    if (d >= this.cfg.receiveWindow) {
      this.counters.outsideWindow++;
      return [];
    }
    if (d > 0) {
      if (this.ooo.has(m.ns)) this.counters.duplicates++;
      else {
        this.counters.outOfOrder++;
        this.ooo.set(m.ns, m);
      }
      this.ackNow = true;
      return [];
    }
    const out = [m];
    this.nr = (this.nr + 1) & 0xffff;
    for (let next = this.ooo.get(this.nr); next; next = this.ooo.get(this.nr)) {
      this.ooo.delete(this.nr);
      out.push(next);
      this.nr = (this.nr + 1) & 0xffff;
    }
    this.counters.delivered += out.length;
    if (this.ackDue === undefined) this.ackDue = now + this.cfg.ackDelay;
    return out;
  }

  private ack(nr: number, now: number, zlb: boolean): void {
    // Only numbers inside the window are compared: una = nsNext − inWindow, inWindow ≤ MAX_SEND_WINDOW.
    const una = (this.nsNext - this.inWindow) & 0xffff;
    const acked = seqDiff(nr, una);
    if (acked === 0 && zlb && this.inWindow > 0 && !this.passive && ++this.dupAcks === 3) {
      // The peer acknowledges at once what arrives out of order (§5.8): three such ZLBs naming
      // our oldest message mean it was lost while later ones arrived. Resend it now rather than
      // stall the window for a whole RTO (TCP's fast retransmit; Appendix A's window halves).
      this.counters.fastRetransmits++;
      this.resendOldest = true;
      this.ssthresh = Math.max(1, this.cwnd >> 1);
      this.cwnd = this.ssthresh;
      this.caAcked = 0;
    }
    if (acked <= 0) return;
    this.dupAcks = 0;
    this.resendOldest = false;
    if (acked > this.inWindow) {
      // Acknowledges something we never sent: ignore the acknowledgement, keep the message.
      this.counters.staleAcks++;
      return;
    }
    for (let i = 0; i < acked; i++) {
      this.queue[this.head++] = undefined;
      if (this.cwnd < this.ssthresh) this.cwnd++;
      else if (++this.caAcked >= this.cwnd) {
        this.cwnd++;
        this.caAcked = 0;
      }
    }
    // Compact now and then so the array does not grow with everything ever sent.
    if (this.head >= 1024 && this.head * 2 >= this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    this.cwnd = Math.min(this.cwnd, this.peerWindow);
    this.inWindow -= acked;
    this.sendIdx = Math.max(0, this.sendIdx - acked);
    this.retries = 0;
    this.rto = this.cfg.rtoInitial;
    this.rtxAt = this.sendIdx > 0 && !this.passive ? now + this.rto : undefined;
  }

  private get sendWindow(): number {
    return Math.min(this.cwnd, this.peerWindow);
  }

  /**
   * The next message to put on the wire: a new or retransmitted control message while the
   * window allows, else a ZLB when an acknowledgement is owed, else undefined. `now` starts
   * the retransmission timer.
   */
  poll(now: number): ControlMessage | undefined {
    if (now > this.now) this.now = now;
    if (this.resendOldest && this.inWindow > 0) {
      this.resendOldest = false;
      const p = this.queue[this.head]!;
      this.counters.retransmitted++;
      this.armTimer();
      return this.header((this.nsNext - this.inWindow) & 0xffff, p.sessionId, p.avps);
    }
    if (this.sendIdx < this.sendWindow) {
      if (this.sendIdx < this.inWindow) {
        const p = this.queue[this.head + this.sendIdx]!;
        const ns = (this.nsNext - this.inWindow + this.sendIdx) & 0xffff;
        this.sendIdx++;
        this.counters.retransmitted++;
        this.armTimer();
        return this.header(ns, p.sessionId, p.avps);
      }
      if (this.inWindow < this.length) {
        // A new message enters the window: it gets its Ns now.
        const p = this.queue[this.head + this.inWindow]!;
        const ns = this.nsNext;
        this.nsNext = (ns + 1) & 0xffff;
        this.inWindow++;
        this.sendIdx++;
        this.counters.sent++;
        this.armTimer();
        return this.header(ns, p.sessionId, p.avps);
      }
    }
    if (this.ackNow || (this.ackDue !== undefined && this.nrSent !== this.nr && this.ackDue <= this.now)) {
      this.counters.zlbSent++;
      return this.header(this.nsNext, 0, []);
    }
    return undefined;
  }

  private armTimer(): void {
    if (this.rtxAt === undefined && !this.passive) this.rtxAt = this.now + this.rto;
  }

  private header(ns: number, sessionId: number, avps: readonly Avp[]): ControlMessage {
    this.nrSent = this.nr;
    this.ackNow = false;
    this.ackDue = undefined;
    return { kind: 'control', tunnelId: this.peerTunnelId, sessionId, ns, nr: this.nr, avps };
  }

  /** Runs the timers. Returns false when the peer stopped acknowledging (max retries exceeded). */
  handleTimeout(now: number): boolean {
    this.now = now;
    if (this.ackDue !== undefined && now >= this.ackDue && this.nrSent === this.nr) this.ackDue = undefined;
    if (this.rtxAt !== undefined && now >= this.rtxAt) {
      this.counters.timeouts++;
      if (++this.retries > this.cfg.maxRetries) {
        this.rtxAt = undefined;
        return false;
      }
      // Appendix A: halve the threshold, restart from one message; go back to the oldest unacked.
      this.ssthresh = Math.max(1, this.cwnd >> 1);
      this.cwnd = 1;
      this.caAcked = 0;
      this.sendIdx = 0;
      this.resendOldest = false;
      this.dupAcks = 0;
      this.rto = Math.min(this.rto * 2, this.cfg.rtoCap);
      this.rtxAt = now + this.rto;
    }
    return true;
  }

  nextTimeout(): number | undefined {
    const a = this.ackDue !== undefined && this.nrSent !== this.nr ? this.ackDue : undefined;
    if (a === undefined) return this.rtxAt;
    return this.rtxAt === undefined ? a : Math.min(a, this.rtxAt);
  }

  /** True when poll() would return something right now. */
  get wantsToSend(): boolean {
    const data = (this.resendOldest && this.inWindow > 0) || (this.sendIdx < this.sendWindow && (this.sendIdx < this.inWindow || this.inWindow < this.length));
    return data || this.ackNow || (this.ackDue !== undefined && this.nrSent !== this.nr && this.ackDue <= this.now);
  }
}
