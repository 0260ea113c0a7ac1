/**
 * Buffers for the packets boxes build, data and control, with room in front: each packet lives
 * in a cell of a 32 KiB slab — as many 128-octet units as it needs — and starts HEADROOM
 * octets into it, so every box on its way can write its own headers (Ethernet, PPPoE, PPP,
 * L2TP, UDP, IP) in front of it in place instead of copying it into a bigger buffer: an mbuf
 * cluster, in spirit.
 *
 * `headroomOf(view)` says how many octets in front of a view belong to the same packet, so
 * that writing them cannot touch another packet. It rests on one rule for the whole program:
 * a buffer that holds more than one packet starts each packet's cell on a CELL boundary (these
 * slabs, and the AF_PACKET receive slabs, whose slot is a multiple of CELL). A buffer that
 * holds one packet owns all of its bytes, and a view deep in a cell of several units has more
 * room in front than the offset from its last CELL boundary, so the answer is only ever
 * smaller than the truth: a copy too many, never a write into another packet.
 *
 * Why cells fit their packets: V8 runs a young-generation collection whenever the array
 * buffers made since the last one pass twice its default semi-space (32 MiB, whatever
 * --max-semi-space-size says: "external memory pressure" in --trace-gc), and a collection
 * costs what survives it, not what it frees. With one 512-octet cell per packet a session's
 * setup made 24 KiB of slabs: at 300,000 homes 256 of the 325 scavenges were forced that way,
 * and what they promoted early kept the old generation marking. Cells of the packet's size
 * (most control packets are 30 to 250 octets) took that to 4 of 263, the collector's time
 * from 39 s to 28 s and the setup phase from 103 s to 84 s (`pseudonet load` with
 * --trace-gc, one run each on one machine).
 */
import type { Codec } from './result.js';

/** The unit of a cell and the alignment of every packet's cell in a shared buffer; a power of two. */
export const CELL = 128;
/**
 * Free octets in front of a packet when it is built. The most any path writes in front of a
 * packet a host built: PPPoE + PPP (8) on the home, then L2TP (up to 16) + UDP + IPv4 +
 * Ethernet (42) on the sse, or PPP + L2TP (20) + UDP + IPv4 + Ethernet (42) on the LNS.
 */
export const HEADROOM = 64;
/** Octets of one slab. */
export const SLAB = 32 * 1024;
/**
 * The longest packet a slab takes (a full Ethernet frame does); a longer one gets a buffer of
 * its own (as fast to use, dearer to make: a malloc and a free).
 */
export const MAX_IN_SLAB = 2048 - HEADROOM;

let slab = new ArrayBuffer(0);
let at = SLAB;

/** Packets this process has built: in cells, in buffers of their own (of which too big for a slab), and the slabs. */
export const packetBufferCounters = { cells: 0, own: 0, oversize: 0, slabs: 0 };

/**
 * A zeroed view of `length` octets with HEADROOM octets of its own in front, for any packet
 * a box builds: data (a ping, its reply, an ICMP error) and control (PPP, RADIUS, L2TP over
 * UDP). Its cell is HEADROOM + length rounded up to whole CELLs. The slab is given back to
 * the collector once no view into any of its packets is left, so a view kept for long pins
 * 32 KiB: a receiver copies what it keeps beyond the frame's handling (`keptBytes`: a RADIUS
 * Class, a proxy CHAP challenge), as it must anyway for frames read from an AF_PACKET ring,
 * which are views into the receive slabs. One `ArrayBuffer` per control packet instead cost
 * a malloc and a free each (about a tenth of the CPU of a large setup run, in glibc and V8's
 * ArrayBuffer sweeper).
 */
export function packetBuffer(length: number): Uint8Array {
  if (length > MAX_IN_SLAB) {
    packetBufferCounters.oversize++;
    return ownPacketBuffer(length);
  }
  const need = (HEADROOM + length + CELL - 1) & -CELL;
  if (at + need > SLAB) {
    slab = new ArrayBuffer(SLAB);
    at = 0;
    packetBufferCounters.slabs++;
  }
  packetBufferCounters.cells++;
  const view = new Uint8Array(slab, at + HEADROOM, length);
  at += need;
  return view;
}

/**
 * `value` encoded by `codec` in a cell: for octets the next layer copies into its packet at
 * once (a DHCPv6 message into its UDP datagram), not kept. `encode` gives each its own
 * ArrayBuffer, a malloc: in a 300,000-home teardown the 150,000 dual-stack homes' DHCPv6
 * Releases spent 6 s there.
 */
export function encodeInCell<T>(codec: Codec<T>, value: T): Uint8Array {
  const buf = packetBuffer(codec.encodedLength(value));
  codec.emit(value, buf, 0);
  return buf;
}

/** A view of `length` zeroed octets in a buffer of its own, with HEADROOM octets in front: for a packet too big for a slab, and TCP segments. */
export function ownPacketBuffer(length: number): Uint8Array {
  packetBufferCounters.own++;
  return new Uint8Array(new ArrayBuffer(HEADROOM + length), HEADROOM, length);
}

/** Octets in front of `view` that belong to the same packet (see the rule above). */
export function headroomOf(view: Uint8Array): number {
  return view.byteOffset & (CELL - 1);
}

/**
 * `view` grown by `n` octets at the front, over bytes of its own packet, or undefined when
 * it has less headroom than that (the caller then copies).
 */
export function widen(view: Uint8Array, n: number): Uint8Array | undefined {
  if ((view.byteOffset & (CELL - 1)) < n) return undefined;
  return new Uint8Array(view.buffer, view.byteOffset - n, view.length + n);
}

/** `widen(buf.subarray(o, o + length), n)` without making the view in between. */
export function widenAt(buf: Uint8Array, o: number, length: number, n: number): Uint8Array | undefined {
  const at = buf.byteOffset + o;
  if ((at & (CELL - 1)) < n) return undefined;
  return new Uint8Array(buf.buffer, at - n, length + n);
}
