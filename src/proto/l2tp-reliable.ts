/**
 * The reliable delivery of L2TP control messages for one tunnel (RFC 2661 §5.8, Appendix A),
 * sans-IO. Guarantees: every queued message is delivered to the peer once and in Ns order, or
 * the connection reports itself dead after `maxRetries` unanswered retransmissions; messages
 * from the peer come out of `receive` once each, in order, whatever the network did to them.
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
}

export const DEFAULT_RELIABLE: ReliableConfig = { rtoInitial: 1000, rtoCap: 8000, maxRetries: 5, ackDelay: 100, receiveWindow: 16 };

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
}

interface Pending {
  readonly ns: number;
  readonly sessionId: number;
  readonly avps: readonly Avp[];
}

export class ReliableControl {
  readonly counters: ReliableCounters = { sent: 0, retransmitted: 0, zlbSent: 0, received: 0, delivered: 0, duplicates: 0, outOfOrder: 0, outsideWindow: 0, staleAcks: 0, timeouts: 0 };
  /** Tunnel ID to put in the header of what we send (the peer's Assigned Tunnel ID; 0 before we know it). */
  peerTunnelId = 0;

  // Sender (§5.8): Ns of the next new message, oldest unacknowledged, next to (re)transmit, next never sent.
  private nsNext = 0;
  private una = 0;
  private sendPtr = 0;
  private sentHigh = 0;
  private readonly queue: Pending[] = [];
  /** Peer's Receive Window Size (4 until its SCCRQ/SCCRP says otherwise, §4.4.3). */
  private peerWindow = 4;
  // Appendix A: congestion window, slow-start threshold, acks counted in congestion avoidance.
  private cwnd = 1;
  private ssthresh = 4;
  private caAcked = 0;
  private rto: number;
  private retries = 0;
  private rtxAt: number | undefined;

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
    this.peerWindow = Math.max(1, size);
    this.ssthresh = this.peerWindow;
  }

  get congestionWindow(): number {
    return this.cwnd;
  }

  /** Everything we queued has been acknowledged. */
  get idle(): boolean {
    return this.una === this.nsNext;
  }

  /** Messages queued or in flight, not yet acknowledged. */
  get outstanding(): number {
    return this.queue.length;
  }

  /** Drops everything not yet acknowledged (the peer sent StopCCN); acknowledgements still go out. */
  abandon(): void {
    this.queue.length = 0;
    this.una = this.nsNext;
    this.sendPtr = this.nsNext;
    this.rtxAt = undefined;
  }

  /** Queues a control message; returns the Ns it will carry. */
  send(sessionId: number, avps: readonly Avp[]): number {
    const ns = this.nsNext;
    this.queue.push({ ns, sessionId, avps });
    this.nsNext = (ns + 1) & 0xffff;
    return ns;
  }

  /**
   * Takes in one control message from the peer (header already demultiplexed to this tunnel)
   * and returns the messages that are now deliverable, in order. ZLBs only acknowledge.
   */
  receive(m: ControlMessage, now: number): ControlMessage[] {
    this.now = now;
    this.counters.received++;
    this.ack(m.nr, now);
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

  private ack(nr: number, now: number): void {
    const acked = seqDiff(nr, this.una);
    if (acked <= 0) return;
    if (seqDiff(nr, this.sentHigh) > 0) {
      // Acknowledges something we never sent: ignore the acknowledgement, keep the message.
      this.counters.staleAcks++;
      return;
    }
    for (let i = 0; i < acked; i++) {
      this.queue.shift();
      if (this.cwnd < this.ssthresh) this.cwnd++;
      else if (++this.caAcked >= this.cwnd) {
        this.cwnd++;
        this.caAcked = 0;
      }
    }
    this.cwnd = Math.min(this.cwnd, this.peerWindow);
    this.una = nr;
    if (seqLt(this.sendPtr, this.una)) this.sendPtr = this.una;
    this.retries = 0;
    this.rto = this.cfg.rtoInitial;
    this.rtxAt = this.queue.length && seqLt(this.una, this.sendPtr) ? now + this.rto : undefined;
  }

  /**
   * The next message to put on the wire: a new or retransmitted control message while the
   * window allows, else a ZLB when an acknowledgement is owed, else undefined. `now` starts
   * the retransmission timer.
   */
  poll(now: number): ControlMessage | undefined {
    if (now > this.now) this.now = now;
    const inFlight = seqDiff(this.sendPtr, this.una);
    if (seqLt(this.sendPtr, this.nsNext) && inFlight < Math.min(this.cwnd, this.peerWindow)) {
      const p = this.queue[inFlight]!;
      const retransmission = seqLt(p.ns, this.sentHigh);
      if (retransmission) this.counters.retransmitted++;
      else {
        this.counters.sent++;
        this.sentHigh = (p.ns + 1) & 0xffff;
      }
      this.sendPtr = (this.sendPtr + 1) & 0xffff;
      if (this.rtxAt === undefined) this.rtxAt = this.now + this.rto;
      return this.header(p.ns, p.sessionId, p.avps);
    }
    if (this.ackNow || (this.ackDue !== undefined && this.nrSent !== this.nr && this.ackDue <= this.now)) {
      this.counters.zlbSent++;
      return this.header(this.sentHigh, 0, []);
    }
    return undefined;
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
      this.sendPtr = this.una;
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
    return (seqLt(this.sendPtr, this.nsNext) && seqDiff(this.sendPtr, this.una) < Math.min(this.cwnd, this.peerWindow)) || this.ackNow || (this.ackDue !== undefined && this.nrSent !== this.nr && this.ackDue <= this.now);
  }
}
