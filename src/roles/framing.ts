/**
 * Frame building shared by the roles: PPP messages into PPPoE session frames and PPPoE
 * discovery packets into Ethernet frames (control plane: each builds one fresh buffer), and
 * the relay's data path, which copies nothing: the PPPoE ⇄ L2TP rewrite in place.
 */
import type { L2tpNode } from '../proto/l2tp.js';
import type { UdpSink } from './host.js';
import { emitEthernetHeader, EtherType, ETHERNET_HEADER_LENGTH, NO_TAGS } from '../wire/ethernet.js';
import { pppoeDiscovery, writeSessionHeader, PPPOE_HEADER_LENGTH, type PppoeDiscovery } from '../wire/pppoe.js';
import { encodePppMessage, type PppMessage } from '../proto/ppp-common.js';
import { keptBytes, setU16 } from '../wire/bytes.js';
import { packetBuffer, widen, widenAt } from '../wire/packet-buffer.js';

/** Ethernet + PPPoE session header in front of a PPP frame. */
export const PPPOE_SESSION_HEADROOM = ETHERNET_HEADER_LENGTH + PPPOE_HEADER_LENGTH;

export function pppoeDiscoveryFrame(dst: Uint8Array, src: Uint8Array, p: PppoeDiscovery): Uint8Array {
  const buf = new Uint8Array(ETHERNET_HEADER_LENGTH + pppoeDiscovery.encodedLength(p));
  emitEthernetHeader(dst, src, NO_TAGS, EtherType.PPPOE_DISCOVERY, buf, 0);
  pppoeDiscovery.emit(p, buf, ETHERNET_HEADER_LENGTH);
  return buf;
}

/** A PPP control message as a PPPoE session frame. */
export function pppoeSessionFrame(dst: Uint8Array, src: Uint8Array, sessionId: number, m: PppMessage): Uint8Array {
  const buf = encodePppMessage(m, PPPOE_SESSION_HEADROOM);
  emitEthernetHeader(dst, src, NO_TAGS, EtherType.PPPOE_SESSION, buf, 0);
  writeSessionHeader(buf, ETHERNET_HEADER_LENGTH, sessionId, buf.length - PPPOE_SESSION_HEADROOM);
  return buf;
}

/**
 * An IP packet as a PPPoE session frame: PPP protocol 0x0021 (IPv4) or 0x0057 (IPv6, RFC 5072
 * §2). The headers are written in front of the packet when it has the room (a host built it
 * in a packet buffer), else the packet is copied once.
 */
export function pppoeIpFrame(dst: Uint8Array, src: Uint8Array, sessionId: number, protocol: number, ip: Uint8Array): Uint8Array {
  let buf = widen(ip, PPPOE_SESSION_HEADROOM + 2);
  if (!buf) {
    buf = packetBuffer(PPPOE_SESSION_HEADROOM + 2 + ip.length);
    buf.set(ip, PPPOE_SESSION_HEADROOM + 2);
  }
  emitEthernetHeader(dst, src, NO_TAGS, EtherType.PPPOE_SESSION, buf, 0);
  writeSessionHeader(buf, ETHERNET_HEADER_LENGTH, sessionId, 2 + ip.length);
  setU16(buf, PPPOE_SESSION_HEADROOM, protocol);
  return buf;
}

/** Locally administered unicast MACs from a role number and an index: 02:RR:II:II:II:II. */
export function labMac(role: number, index: number): Uint8Array {
  // Kept for the box's life: a view into a shared slab (one per home adds up).
  return keptBytes(Uint8Array.of(0x02, role & 0xff, (index >>> 24) & 0xff, (index >>> 16) & 0xff, (index >>> 8) & 0xff, index & 0xff));
}

/**
 * The relay, PPPoE → L2TP, in place: `[Eth 14][PPPoE 6][PPP len]` becomes
 * `[L2TP data header][FF 03][PPP]` inside the same bytes (the header the call needs: the peer's
 * tunnel and session ids, Ns when the LNS asked for sequencing; FF 03 because PPPoE omits HDLC
 * address and control, RFC 2516 §7). `ppp` is the offset of the PPP protocol field. Returns the
 * L2TP message (a subarray of `frame`), or undefined when the call cannot carry data.
 */
export function pppoeToL2tp<E>(l2tp: L2tpNode<E>, call: number, frame: Uint8Array, ppp: number, len: number): Uint8Array | undefined {
  const start = pppoeToL2tpAt(l2tp, call, frame, ppp, len);
  return start < 0 ? undefined : frame.subarray(start, ppp + len);
}

/** `pppoeToL2tp` without the view: where the L2TP message starts in `frame` (it ends where the PPP frame does), or -1. */
export function pppoeToL2tpAt<E>(l2tp: L2tpNode<E>, call: number, frame: Uint8Array, ppp: number, len: number): number {
  const ffAt = ppp - 2;
  const start = ffAt - l2tp.dataHeaderLengthFor(call);
  if (start < 0) return -1;
  frame[ffAt] = 0xff;
  frame[ffAt + 1] = 0x03;
  if (l2tp.writeDataHeaderFor(call, frame, start, len + 2) < 0) return -1;
  return start;
}

/**
 * The relay, L2TP → PPPoE, in place: the PPP frame of an L2TP data message (FF 03 dropped when
 * present: a peer that negotiated ACFC omits it) gets its Ethernet and PPPoE session headers
 * written into the headroom before it (the L2TP, UDP and IP headers it arrived with). Undefined
 * when there is not enough headroom. The PPP frame is b[o, o + len): one view is made, the frame's.
 */
export function l2tpToPppoe(b: Uint8Array, o: number, len: number, dst: Uint8Array, src: Uint8Array, sessionId: number): Uint8Array | undefined {
  if (len >= 2 && b[o] === 0xff && b[o + 1] === 0x03) {
    o += 2;
    len -= 2;
  }
  const frame = widenAt(b, o, len, PPPOE_SESSION_HEADROOM);
  if (!frame) return undefined;
  emitEthernetHeader(dst, src, NO_TAGS, EtherType.PPPOE_SESSION, frame, 0);
  writeSessionHeader(frame, ETHERNET_HEADER_LENGTH, sessionId, len);
  return frame;
}

/**
 * The sink for a host's L2TP port (Host.bindUdp): a data message goes to the node as it is
 * read, with no endpoint made; a control message with its sender as `{address, port}`.
 */
export function l2tpUdpSink<U>(l2tp: L2tpNode<{ readonly address: number; readonly port: number }, U>): UdpSink {
  return {
    udp: (from, srcPort, _dstPort, b, o, len, now) => {
      if (!l2tp.handleIfData(b, o, len, now)) l2tp.handle({ address: from, port: srcPort }, b.subarray(o, o + len), now);
    },
  };
}
