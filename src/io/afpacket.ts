/**
 * Real Ethernet: a role port attached to a Linux interface by name through an AF_PACKET
 * socket (our N-API addon, native/afpacket). Never blocks the event loop: libuv polls the
 * non-blocking socket; a readable event reads batches with recvmmsg, and frames queued with
 * `send` leave in one sendmmsg per event-loop turn (a microtask flush), waiting for
 * `writable` when the socket buffer is full.
 * Copies: one, at the kernel boundary. recvmmsg writes each frame into its own slot of a
 * JS-owned slab that is never reused, so a role may keep or rewrite a received frame
 * (the router and the sse relay do); sendmmsg reads the role's own Uint8Arrays.
 * The socket uses PACKET_VNET_HDR so that partial checksums of locally generated packets
 * (veth, bridges: CHECKSUM_PARTIAL) are completed before a role sees the frame.
 * Only the bound interface's frames reach a port (the addon binds before it receives and
 * checks each frame's ifindex; `rxForeign` counts any that got through). A frame the kernel
 * refuses is counted by reason and skipped: no frame is sent twice. A socket nobody closed
 * is closed when it is garbage-collected.
 * Needs CAP_NET_RAW (root); the error says so.
 */
import { createRequire } from 'node:module';
import { existsSync, readFileSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CELL, HEADROOM } from '../wire/packet-buffer.js';

interface Native {
  open(ifname: string, promisc: boolean, rcvbuf: number, sndbuf: number, onEvent: (ev: number) => void): { handle: unknown; ifindex: number; mac: Uint8Array; mtu: number };
  setEvents(h: unknown, mask: number): void;
  setRef(h: unknown, ref: boolean): void;
  recv(h: unknown, slab: Uint8Array, slot: number, max: number, lengths: Uint32Array): number;
  /** Frames consumed from `start` (sent or refused); `report` gets [refused, full, (offset, errno)...]. */
  send(h: unknown, frames: Uint8Array[], start: number, count: number, report: Int32Array): number;
  stats(h: unknown): { packets: number; drops: number };
  close(h: unknown): void;
}

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const ADDON = path.join(ROOT, 'build/Release/pseudonet_afpacket.node');

let native: Native | undefined;
let loadError: string | undefined;

function load(): Native {
  if (native) return native;
  if (loadError === undefined) {
    try {
      native = createRequire(import.meta.url)(ADDON) as Native;
      return native;
    } catch (e) {
      const buildLog = path.join(ROOT, 'build/afpacket-build-error.txt');
      const why = existsSync(buildLog) ? `\nthe build said:\n${readFileSync(buildLog, 'utf8').trim()}` : '';
      loadError = `the AF_PACKET addon is not available (${(e as Error).message.split('\n')[0]}); build it with \`node scripts/build-native.mjs\` (needs g++, make, python3 and the Node headers)${why}`;
    }
  }
  throw new AfPacketError('ENOADDON', loadError!);
}

/** Why real interfaces cannot be used here, or undefined when the addon loads. */
export function afpacketUnavailable(): string | undefined {
  try {
    load();
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

export class AfPacketError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'AfPacketError';
  }
}

export interface AfPacketOptions {
  /** Receive frames for any destination MAC (the role's MAC may not be the interface's). Default true. */
  readonly promisc?: boolean;
  /** Socket buffers (bytes); root may exceed the sysctl limits. Default 4 MiB each. */
  readonly rcvbuf?: number;
  readonly sndbuf?: number;
  /** Largest frame accepted (bytes, without FCS). Default max(interface MTU + 18, 1518) (VLAN tag room). */
  readonly maxFrame?: number;
  /** Frames per recvmmsg / sendmmsg. Default 64. */
  readonly batch?: number;
  /** recvmmsg calls per readable event before yielding to the loop. Default 8. */
  readonly readsPerEvent?: number;
  /** Frames waiting for the socket before new ones are dropped. Default 8192. */
  readonly txQueueLimit?: number;
}

export interface AfPacketCounters {
  rxFrames: number;
  rxBytes: number;
  rxBatches: number;
  /** Longer than `maxFrame`: dropped. */
  rxTruncated: number;
  /** GSO super-frames (TSO/GSO on a local sender): dropped; turn TSO/GSO off on that peer. */
  rxGso: number;
  /** Frames of another interface than ours (the bind should make this 0): dropped. */
  rxForeign: number;
  /** Frames sent on our interface read back (kernels without PACKET_IGNORE_OUTGOING): dropped. */
  rxOutgoing: number;
  txFrames: number;
  txBytes: number;
  txBatches: number;
  /** The socket buffer was full: the rest waited for `writable`. */
  txWaits: number;
  /**
   * Frames not sent: the queue was full; the kernel refused the frame as longer than the
   * interface takes (EMSGSIZE); the interface is down or gone (ENETDOWN, ENXIO, ENODEV);
   * any other refusal (`lastError` names the errno).
   */
  txDropped: { queueFull: number; oversize: number; down: number; refused: number };
  /** Slabs allocated for received frames. */
  slabs: number;
}

const SLAB_SLOTS = 512;
/** Refusals one send call reports before it returns (the flush calls again for the rest). */
const REPORT_REFUSALS = 64;
/** Flag bits the addon sets in a received frame's length (native/afpacket: RX_*). */
const RX_GSO = 0x80000000;
const RX_FOREIGN = 0x40000000;
const RX_OUTGOING = 0x20000000;
const RX_FLAGS = RX_GSO | RX_FOREIGN | RX_OUTGOING;

const ERRNO_NAME = new Map<number, string>(Object.entries(osConstants.errno).map(([k, v]) => [v, k]));

export class AfPacket {
  readonly ifname: string;
  readonly ifindex: number;
  /** The interface's own MAC address. */
  readonly mac: Uint8Array;
  readonly mtu: number;
  readonly counters: AfPacketCounters = { rxFrames: 0, rxBytes: 0, rxBatches: 0, rxTruncated: 0, rxGso: 0, rxForeign: 0, rxOutgoing: 0, txFrames: 0, txBytes: 0, txBatches: 0, txWaits: 0, txDropped: { queueFull: 0, oversize: 0, down: 0, refused: 0 }, slabs: 0 };
  /** The last send error the kernel gave (a refused frame is dropped and counted). */
  lastError: Error | undefined;
  private readonly n: Native;
  private readonly h: unknown;
  private readonly slot: number;
  private readonly maxFrame: number;
  private readonly batch: number;
  private readonly readsPerEvent: number;
  private readonly txLimit: number;
  private slab: Uint8Array;
  private slabNext = 0;
  private readonly lengths: Uint32Array;
  private txq: Uint8Array[] = [];
  private txHead = 0;
  private flushQueued = false;
  private waitingWritable = false;
  private closed = false;
  private kernelDrops = 0;
  private readonly report = new Int32Array(2 + 2 * REPORT_REFUSALS);
  /**
   * The addon holds this callback weakly; this object holds it, so the socket lives exactly
   * as long as its AfPacket is reachable (an unreachable one is closed by the GC).
   */
  private readonly onEventFn = (ev: number): void => this.onEvent(ev);

  /**
   * Opens `ifname`. Each received frame is passed to `onFrame` (a fresh view the receiver
   * owns); `onBatch`, if given, runs after each readable event's frames.
   */
  constructor(
    ifname: string,
    private readonly onFrame: (frame: Uint8Array) => void,
    o: AfPacketOptions = {},
    private readonly onBatch?: () => void,
  ) {
    this.n = load();
    let r;
    try {
      r = this.n.open(ifname, o.promisc ?? true, o.rcvbuf ?? 4 << 20, o.sndbuf ?? 4 << 20, this.onEventFn);
    } catch (e) {
      throw explain(e as NodeJS.ErrnoException, ifname);
    }
    this.ifname = ifname;
    this.h = r.handle;
    this.ifindex = r.ifindex;
    this.mac = r.mac;
    this.mtu = r.mtu;
    // A whole number of packet cells per slot, each frame HEADROOM octets into its slot: a
    // received frame has room in front for the headers a relay writes (the sse's L2TP, UDP,
    // IPv4 and Ethernet, the LNS's PPP and L2TP) and headroomOf (src/wire/packet-buffer.ts)
    // tells it right, so nothing writes into a neighbour. A frame longer than maxFrame may
    // spill into the next slot's headroom, never its frame, and is dropped as truncated.
    this.maxFrame = o.maxFrame ?? Math.max(r.mtu + 18, 1518);
    this.slot = Math.ceil((this.maxFrame + HEADROOM) / CELL) * CELL;
    this.batch = Math.min(o.batch ?? 64, 256);
    this.readsPerEvent = o.readsPerEvent ?? 8;
    this.txLimit = o.txQueueLimit ?? 8192;
    this.lengths = new Uint32Array(this.batch);
    this.slab = this.newSlab();
  }

  /** Queues a frame; it leaves at the end of this event-loop turn with the others. */
  send(frame: Uint8Array): void {
    if (this.closed) return;
    if (this.txq.length - this.txHead >= this.txLimit) {
      this.counters.txDropped.queueFull++;
      return;
    }
    this.txq.push(frame);
    if (!this.flushQueued && !this.waitingWritable) {
      this.flushQueued = true;
      queueMicrotask(() => this.flush());
    }
  }

  /** Sends what is queued now (sendmmsg batches) until done or the socket is full. */
  flush(): void {
    this.flushQueued = false;
    if (this.closed) return;
    const c = this.counters;
    const rep = this.report;
    while (this.txHead < this.txq.length) {
      const base = this.txHead;
      const count = this.txq.length - base;
      // Every frame in [base, base + consumed) went out or was refused: none is offered again.
      let consumed: number;
      try {
        consumed = this.n.send(this.h, this.txq, base, count, rep);
      } catch (e) {
        // The addon throws only before its first sendmmsg (bad arguments): nothing went. Drop
        // the first frame so the queue moves on, and say why.
        this.lastError = e as Error;
        c.txDropped.refused++;
        this.txq[this.txHead++] = undefined as unknown as Uint8Array;
        continue;
      }
      c.txBatches++;
      let r = 0;
      const refusals = rep[0]!;
      let nextRefused = refusals > 0 ? rep[2]! : -1;
      for (let i = 0; i < consumed; i++) {
        const f = this.txq[base + i]!;
        if (i === nextRefused) {
          this.refused(f, rep[3 + 2 * r]!);
          r++;
          nextRefused = r < refusals ? rep[2 + 2 * r]! : -1;
        } else {
          c.txFrames++;
          c.txBytes += f.length;
        }
        this.txq[base + i] = undefined as unknown as Uint8Array;
      }
      this.txHead += consumed;
      if (rep[1] === 1) {
        c.txWaits++;
        this.waitingWritable = true;
        this.n.setEvents(this.h, 3);
        break;
      }
    }
    if (this.txHead >= this.txq.length) {
      this.txq = [];
      this.txHead = 0;
    } else if (this.txHead > 4096) {
      this.txq = this.txq.slice(this.txHead);
      this.txHead = 0;
    }
  }

  private refused(f: Uint8Array, errno: number): void {
    const d = this.counters.txDropped;
    const code = ERRNO_NAME.get(errno) ?? `errno ${errno}`;
    if (code === 'EMSGSIZE') d.oversize++;
    else if (code === 'ENETDOWN' || code === 'ENXIO' || code === 'ENODEV') d.down++;
    else d.refused++;
    const why = code === 'EMSGSIZE' ? ` (longer than the MTU ${this.mtu} of ${this.ifname} allows)` : code === 'ENETDOWN' ? ` (ip link set ${this.ifname} up)` : '';
    this.lastError = new AfPacketError(code, `${this.ifname}: the kernel refused a ${f.length}-byte frame: ${code}${why}`);
  }

  /** Frames waiting to be sent. */
  get txQueued(): number {
    return this.txq.length - this.txHead;
  }

  /** Kernel-side figures: frames the socket's receive queue dropped since opening. */
  kernelStats(): { drops: number } {
    if (!this.closed) this.kernelDrops += this.n.stats(this.h).drops;
    return { drops: this.kernelDrops };
  }

  /** Whether the socket keeps the process alive (default true). */
  ref(on: boolean): void {
    if (!this.closed) this.n.setRef(this.h, on);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.n.close(this.h);
    this.txq = [];
    this.txHead = 0;
  }

  private newSlab(): Uint8Array {
    this.counters.slabs++;
    const b = Buffer.allocUnsafeSlow(this.slot * SLAB_SLOTS);
    this.slabNext = 0;
    return new Uint8Array(b.buffer, b.byteOffset, b.length);
  }

  private onEvent(ev: number): void {
    if (this.closed) return;
    if (ev & 2 && this.waitingWritable) {
      this.waitingWritable = false;
      this.n.setEvents(this.h, 1);
      this.flush();
    }
    if (ev & 1 || ev & 4) this.readSome();
  }

  private readSome(): void {
    const c = this.counters;
    const slot = this.slot;
    for (let r = 0; r < this.readsPerEvent && !this.closed; r++) {
      // One slot more than a batch: the HEADROOM offset leaves the last slot of a slab unusable.
      if (SLAB_SLOTS - this.slabNext <= this.batch) this.slab = this.newSlab();
      const base = this.slabNext * slot;
      const n = this.n.recv(this.h, this.slab.subarray(base + HEADROOM), slot, this.batch, this.lengths);
      if (n === 0) break;
      c.rxBatches++;
      this.slabNext += n;
      const slab = this.slab;
      for (let i = 0; i < n; i++) {
        const len = this.lengths[i]!;
        if (len & RX_FLAGS) {
          if (len & RX_FOREIGN) c.rxForeign++;
          else if (len & RX_OUTGOING) c.rxOutgoing++;
          else c.rxGso++;
          continue;
        }
        if (len > this.maxFrame) {
          c.rxTruncated++;
          continue;
        }
        c.rxFrames++;
        c.rxBytes += len;
        const off = base + HEADROOM + i * slot;
        this.onFrame(slab.subarray(off, off + len));
        if (this.closed) return;
      }
      if (n < this.batch) break;
    }
    this.onBatch?.();
  }
}

function explain(e: NodeJS.ErrnoException, ifname: string): Error {
  const code = e.code ?? 'EIO';
  if (code === 'EPERM' || code === 'EACCES')
    return new AfPacketError(code, `cannot open ${ifname}: an AF_PACKET socket needs CAP_NET_RAW (run as root, or grant it: setcap cap_net_raw,cap_net_admin+ep "$(command -v node)") — ${e.message}`);
  if (code === 'ENODEV' || code === 'ENXIO') return new AfPacketError('ENODEV', `cannot open ${ifname}: no such network interface in this network namespace (ip link show) — ${e.message}`);
  if (code === 'ENETDOWN') return new AfPacketError(code, `cannot open ${ifname}: the interface is down (ip link set ${ifname} up) — ${e.message}`);
  return new AfPacketError(code, `cannot open ${ifname}: ${e.message}`);
}
