/**
 * In-memory links. A `Segment` is a broadcast medium (an Ethernet segment, or a datagram
 * path) with seeded impairments: loss, delay, jitter (which reorders), duplication,
 * corruption and an MTU. Delivery goes through the clock, so the same code runs on the
 * virtual clock (deterministic for a seed) and on the wall clock.
 * The segment is a learning switch: it learns source MACs, sends a unicast frame to the
 * one port that owns its destination, and floods broadcast and unknown destinations.
 * A receiver that gets a unicast frame owns its bytes (a router may rewrite them in place, a
 * host turn an Echo Request round): a unicast flooded because its destination is not learnt
 * yet reaches each port as a copy of its own. Broadcast and multicast frames are shared by
 * every receiver and must be treated as read-only. Ports attached `isolated` (subscriber ports,
 * as on an OLT or a private VLAN) reach only the non-isolated ports, never each other.
 * A pcapng tap sees every frame once, as sent.
 */
import { mulberry32 } from '../proto/seeded.js';
import type { Clock } from './clock.js';
import type { PcapngWriter } from '../wire/pcap.js';
import { MacTable } from './mac-table.js';

export interface Impairments {
  /** Probability 0..1 that a frame is lost. */
  loss?: number;
  /** Fixed one-way delay, ms. */
  delay?: number;
  /** Extra uniformly random delay 0..jitter ms; frames may overtake each other. */
  jitter?: number;
  /** Probability 0..1 that a frame is delivered twice. */
  duplicate?: number;
  /** Probability 0..1 that one random byte of a frame is flipped. */
  corrupt?: number;
  /** Frames longer than this are dropped (counted as `mtu`). */
  mtu?: number;
  /** PRNG seed. */
  seed?: number;
}

export interface SegmentCounters {
  sent: number;
  delivered: number;
  lost: number;
  duplicated: number;
  corrupted: number;
  mtu: number;
  /** Source addresses not learnt because the MAC table was full (their frames are flooded). */
  macTableFull: number;
}

export interface Port {
  readonly name: string;
  /** Sends one frame. The bytes are read at delivery time unless `copy` was set on the segment. */
  send(frame: Uint8Array): void;
  detach(): void;
}

export { mulberry32 };

/**
 * One attached port, and the `Port` its owner holds: a class with methods rather than an
 * object of closures, since a segment has a port per home (a closure costs ~300 bytes each
 * under the tsx loader, which names every arrow function with a property).
 */
class Attached implements Port {
  /** LIVE and ISOLATED (one small integer: a segment has a port per home). */
  private flags: number;
  /**
   * The source address this port's frames last came from, as two 24-bit halves (small
   * integers), srcHi -1 before the first: a box sends from its own address, so learning is a
   * compare, and the table is written only when a port's address is new or moved.
   */
  srcHi = -1;
  srcLo = 0;

  constructor(
    private readonly segment: Segment,
    readonly name: string,
    /** Where its frames go: a receiver by port name (a Driver), or a callback. */
    private readonly to: FrameReceiver | ((frame: Uint8Array, from: string) => void),
    private readonly port: string,
    isolated: boolean,
  ) {
    this.flags = LIVE | (isolated ? ISOLATED : 0);
  }

  get live(): boolean {
    return (this.flags & LIVE) !== 0;
  }

  /** Split horizon: an isolated port reaches only the non-isolated ones. */
  get isolated(): boolean {
    return (this.flags & ISOLATED) !== 0;
  }

  /** @internal The port has left its segment. */
  detached(): void {
    this.flags &= ~LIVE;
  }

  /**
   * @internal A frame for this port. A receiver (a Driver) takes it without moving its output;
   * the segment kicks it once after the batch it delivers (`Segment.kickReceivers`).
   */
  take(frame: Uint8Array, from: string): void {
    const to = this.to;
    if (typeof to === 'function') return to(frame, from);
    to.receive(this.port, frame);
    this.segment.receivedBy(to);
  }

  send(frame: Uint8Array): void {
    this.segment.transmit(this, frame);
  }

  detach(): void {
    this.segment.detachPort(this);
  }
}

/** Attached.flags bits. */
const LIVE = 1;
const ISOLATED = 2;

/**
 * What takes a port's frames by port name (a Driver): `receive` for each frame of a batch,
 * then `kick` once, which moves what the batch made the box send.
 */
export interface FrameReceiver {
  receive(port: string, frame: Uint8Array): void;
  kick(): void;
  /** The segments' bookkeeping: the batch it was last listed in to be kicked (start it at 0, never write it). */
  batchSeq: number;
}

/**
 * Batches are numbered across every segment: one segment delivers at a time (a kick queues
 * what it sends, never delivers it at once), so a receiver listed in the current batch
 * carries its number.
 */
let batchSeq = 0;

export interface AttachOptions {
  /** Split horizon: reaches only non-isolated ports. */
  readonly isolated?: boolean;
}

/** Observes every frame sent, with its sender's name (for sequence diagrams and logs). */
export type FrameObserver = (frame: Uint8Array, from: string, at: number) => void;

export class Segment {
  readonly counters: SegmentCounters = { sent: 0, delivered: 0, lost: 0, duplicated: 0, corrupted: 0, mtu: 0, macTableFull: 0 };
  private readonly ports: Attached[] = [];
  /** Non-isolated ports: what an isolated port's flood reaches. */
  private readonly open: Attached[] = [];
  private readonly macTable = new MacTable<Attached>();
  private readonly observers: FrameObserver[] = [];
  private readonly random: () => number;
  private tapWriter: PcapngWriter | undefined;
  /**
   * Frames on the wire, in the order they leave (no jitter), from `head` to `tail`. Three
   * parallel arrays rather than an object per frame, kept at their length when drained (only
   * the indexes go back): nothing allocated per frame sent.
   */
  private readonly qAt: number[] = [];
  private readonly qFrom: (Attached | undefined)[] = [];
  private readonly qFrame: (Uint8Array | undefined)[] = [];
  private head = 0;
  private tail = 0;
  private timerAt: number | undefined;
  private tapIface = 0;
  /**
   * The receivers that took a frame of the batch being delivered, each once, in the order of
   * their first frame: kicked after the batch, so that a box taking a hundred frames in one
   * tick drains its output, reports its events and re-arms its timer once, not a hundred times.
   */
  private readonly kicks: (FrameReceiver | undefined)[] = [];
  private kickCount = 0;
  private batch = 0;

  constructor(
    readonly name: string,
    private readonly clock: Clock,
    public impairments: Impairments = {},
  ) {
    this.random = mulberry32(impairments.seed ?? 1);
  }

  /** Record every frame sent on this segment into `writer` as interface `ifaceId`. */
  tap(writer: PcapngWriter, ifaceId: number): void {
    this.tapWriter = writer;
    this.tapIface = ifaceId;
  }

  /** Calls `f` for every frame sent on this segment, before impairments. */
  observe(f: FrameObserver): void {
    this.observers.push(f);
  }

  attach(name: string, onFrame: (frame: Uint8Array, from: string) => void, opts: AttachOptions = {}): Port {
    return this.add(new Attached(this, name, onFrame, '', opts.isolated ?? false));
  }

  /**
   * Attaches `receiver` (a Driver) so that frames arrive as `receiver.input(port, frame)`:
   * no closure per attached port.
   */
  attachReceiver(name: string, receiver: FrameReceiver, port: string, opts: AttachOptions = {}): Port {
    return this.add(new Attached(this, name, receiver, port, opts.isolated ?? false));
  }

  private add(a: Attached): Attached {
    this.ports.push(a);
    if (!a.isolated) this.open.push(a);
    return a;
  }

  /** @internal A port leaves: no more frames to or from it. */
  detachPort(a: Attached): void {
    a.detached();
    for (const list of [this.ports, this.open]) {
      const i = list.indexOf(a);
      if (i >= 0) list.splice(i, 1);
    }
    this.macTable.deleteValue(a);
  }

  /** @internal `r` took a frame of the batch: it is kicked when the batch is over. */
  receivedBy(r: FrameReceiver): void {
    if (this.batch === 0) this.batch = ++batchSeq;
    if (r.batchSeq === this.batch) return;
    r.batchSeq = this.batch;
    this.kicks[this.kickCount++] = r;
  }

  /** The batch is delivered: every receiver that took a frame of it moves its output, once. */
  private kickReceivers(): void {
    const k = this.kicks;
    const n = this.kickCount;
    this.batch = 0;
    // What a kick sends is queued (here for the next tick), never delivered at once: the list
    // does not grow meanwhile. It keeps its length, as the wire queue does.
    for (let i = 0; i < n; i++) {
      const r = k[i]!;
      k[i] = undefined;
      r.kick();
    }
    this.kickCount = 0;
  }

  /**
   * Learns the source, then hands the frame to the one port that owns its destination, or
   * floods it (to the open ports only, from an isolated one).
   */
  private deliver(from: Attached, f: Uint8Array): void {
    if (f.length >= 12) {
      // Learn only when the source is not the one this port was last seen with: a box sends
      // from its own address, so this is a compare on nearly every frame. Group addresses and
      // the all-zero address are never valid sources.
      if ((f[6]! & 1) === 0) {
        const hi = (f[6]! << 16) | (f[7]! << 8) | f[8]!;
        const lo = (f[9]! << 16) | (f[10]! << 8) | f[11]!;
        if ((hi !== from.srcHi || lo !== from.srcLo) && (hi | lo) !== 0) {
          const before = this.macTable.setAt(f, 6, from);
          if (before === false) this.counters.macTableFull++;
          else {
            // The address moved: its old port must learn it again if it comes back there.
            if (before !== undefined && before !== from) before.srcHi = -1;
            from.srcHi = hi;
            from.srcLo = lo;
          }
        }
      }
      if ((f[0]! & 1) === 0) {
        const to = this.macTable.getAt(f, 0);
        if (to && to.live) {
          if (to === from || (to.isolated && from.isolated)) return;
          this.counters.delivered++;
          to.take(f, from.name);
          return;
        }
      }
    }
    const all = from.isolated ? this.open : this.ports;
    const unicast = f.length > 0 && (f[0]! & 1) === 0;
    for (let i = 0; i < all.length; i++) {
      const p = all[i]!;
      if (p === from || !p.live || (p.isolated && from.isolated)) continue;
      this.counters.delivered++;
      p.take(unicast ? new Uint8Array(f) : f, from.name);
    }
  }

  /** @internal */
  transmit(from: Attached, frame: Uint8Array): void {
    if (!from.live) return;
    const imp = this.impairments;
    this.counters.sent++;
    this.tapWriter?.write(this.tapIface, this.clock.now(), frame);
    for (const o of this.observers) o(frame, from.name, this.clock.now());
    if (imp.mtu !== undefined && frame.length > imp.mtu) {
      this.counters.mtu++;
      return;
    }
    if (imp.loss && this.random() < imp.loss) {
      this.counters.lost++;
      return;
    }
    const copies = imp.duplicate && this.random() < imp.duplicate ? 2 : 1;
    if (copies === 2) this.counters.duplicated++;
    for (let c = 0; c < copies; c++) {
      // A duplicate is a copy (smoltcp's FaultInjector): a receiver rewrites what it was given in place.
      let f = c === 0 ? frame : new Uint8Array(frame);
      if (imp.corrupt && this.random() < imp.corrupt && f.length) {
        f = new Uint8Array(frame);
        f[Math.floor(this.random() * f.length)]! ^= 1 << Math.floor(this.random() * 8);
        this.counters.corrupted++;
      }
      const at = this.clock.now() + (imp.delay ?? 0) + (imp.jitter ? this.random() * imp.jitter : 0);
      // With jitter frames may overtake each other: each gets its own timer. Without, they
      // leave in the order they came (at rises), so one timer per tick serves them all.
      if (imp.jitter) this.clock.setTimer(at, () => this.deliverOne(from, f));
      else this.enqueue(at, from, f);
    }
  }

  /** A frame with a timer of its own (jitter): a batch of one. */
  private deliverOne(from: Attached, frame: Uint8Array): void {
    this.deliver(from, frame);
    this.kickReceivers();
  }

  private enqueue(at: number, from: Attached, frame: Uint8Array): void {
    const i = this.tail++;
    this.qAt[i] = at;
    this.qFrom[i] = from;
    this.qFrame[i] = frame;
    if (this.timerAt === undefined) this.arm(at);
  }

  private arm(at: number): void {
    this.timerAt = at;
    this.clock.setTimer(at, this.flush);
  }

  /**
   * Delivers every queued frame whose time has come — those queued before this tick began;
   * frames sent during it (zero delay) go at the next tick of the same time, so a send never
   * re-enters its sender and other links' frames of this instant are not starved.
   */
  private readonly flush = (): void => {
    const now = this.clock.now();
    // timerAt stays set while delivering: frames sent meanwhile queue up without arming a
    // second timer; the one re-arm below serves them.
    this.timerAt = now;
    const qAt = this.qAt;
    const qFrom = this.qFrom;
    const qFrame = this.qFrame;
    const end = this.tail;
    let i = this.head;
    for (; i < end && qAt[i]! <= now; i++) {
      const from = qFrom[i]!;
      const frame = qFrame[i]!;
      qFrom[i] = undefined;
      qFrame[i] = undefined;
      this.deliver(from, frame);
    }
    this.kickReceivers();
    this.head = i;
    this.timerAt = undefined;
    if (this.head === this.tail) {
      // Drained: the indexes go back, the arrays keep their length (their backing stores).
      this.head = 0;
      this.tail = 0;
    } else {
      if (this.head > 1024 && this.head * 2 > this.tail) {
        qAt.copyWithin(0, this.head, this.tail);
        qFrom.copyWithin(0, this.head, this.tail);
        qFrame.copyWithin(0, this.head, this.tail);
        const n = this.tail - this.head;
        qFrom.fill(undefined, n, this.tail);
        qFrame.fill(undefined, n, this.tail);
        this.tail = n;
        this.head = 0;
      }
      this.arm(Math.max(now, qAt[this.head]!));
    }
  };
}
