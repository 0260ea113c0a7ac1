/**
 * Builders for whole IPv4 packets (header + ICMP / UDP / TCP) with every checksum
 * filled in, for the packets hosts originate (pings, echo replies, UDP), control-plane replies
 * (ICMP errors, ARP) and tests. They allocate; the forwarding path never calls them.
 * `headroom` leaves bytes in front of the IP header for the first link header, and the
 * buffer has HEADROOM more in front of those (src/wire/packet-buffer.ts) for the boxes on
 * the way, which write their headers in place. ICMP goes in a cell of a slab; UDP and TCP in
 * a buffer of their own, since their receivers keep views of what they carry.
 */
import { arp, type ArpPacket } from './arp.js';
import { BROADCAST_MAC, emitEthernetHeader, EtherType, ETHERNET_HEADER_LENGTH, NO_TAGS } from './ethernet.js';
import { F as ICMP, icmp, ICMP_HEADER_LENGTH, type IcmpMessage } from './icmp.js';
import { setU16 } from './bytes.js';
import { internetChecksum } from './checksum.js';
import { emitIpv4Header, ipv4HeaderLength, IpProtocol, IPV4_MIN_HEADER, type Ipv4Packet } from './ipv4.js';
import { fillTcpChecksum, tcp, type TcpSegment } from './tcp.js';
import { emitUdpHeader, fillUdpChecksum, udp, UDP_HEADER_LENGTH } from './udp.js';
import type { Codec } from './result.js';
import { ownPacketBuffer, packetBuffer, widen } from './packet-buffer.js';

export interface Ipv4HeaderFields {
  readonly src: number;
  readonly dst: number;
  readonly ttl?: number;
  readonly identification?: number;
  readonly flags?: number;
  readonly dscp?: number;
  readonly ecn?: number;
  readonly options?: Uint8Array;
}

const EMPTY: Uint8Array = new Uint8Array(0);

/**
 * The header being written: one object for every packet built here, filled in full before
 * each `emitIpv4Header` (which is done with it before it returns), so that building a packet
 * makes no header object.
 */
const scratch: { -readonly [K in keyof Ipv4Packet]: Ipv4Packet[K] } = {
  dscp: 0, ecn: 0, identification: 0, flags: 0, fragmentOffset: 0, ttl: 64, protocol: 0, src: 0, dst: 0, options: EMPTY, payload: EMPTY,
};

/** The scratch header with these fields (no options unless given). */
function headerOf(src: number, dst: number, ttl: number, identification: number, flags: number, protocol: number, options = EMPTY, dscp = 0, ecn = 0): Ipv4Packet {
  const x = scratch;
  x.dscp = dscp;
  x.ecn = ecn;
  x.identification = identification;
  x.flags = flags;
  x.fragmentOffset = 0;
  x.ttl = ttl;
  x.protocol = protocol;
  x.src = src;
  x.dst = dst;
  x.options = options;
  return x;
}

function header(h: Ipv4HeaderFields, protocol: number): Ipv4Packet {
  return headerOf(h.src, h.dst, h.ttl ?? 64, h.identification ?? 0, h.flags ?? 0, protocol, h.options ?? EMPTY, h.dscp ?? 0, h.ecn ?? 0);
}

/** An IPv4 packet whose payload is `value` encoded with `codec`. Returns [buffer, ipOffset, payloadOffset]. */
function build<T>(h: Ipv4HeaderFields, protocol: number, codec: Codec<T>, value: T, headroom: number, alloc: (n: number) => Uint8Array): [Uint8Array, number, number, number] {
  const hdr = header(h, protocol);
  const hl = ipv4HeaderLength(hdr);
  const plen = codec.encodedLength(value);
  const buf = alloc(headroom + hl + plen);
  emitIpv4Header(hdr, plen, buf, headroom);
  codec.emit(value, buf, headroom + hl);
  return [buf, headroom, headroom + hl, plen];
}

/** IPv4 + ICMP, checksums computed. */
export function icmpPacket(h: Ipv4HeaderFields, msg: IcmpMessage, headroom = 0): Uint8Array {
  // The message goes in as it is, and a checksum it carries (a parsed echo turned into its
  // reply) is computed again over the bytes: a copy of it with `checksum: undefined` added
  // would cost more than the whole packet (V8 takes a slow path to add a property to a spread).
  const [buf, , po, plen] = build(h, IpProtocol.ICMP, icmp, msg, headroom, packetBuffer);
  if (msg.checksum !== undefined) {
    setU16(buf, po + ICMP.CHECKSUM, 0);
    setU16(buf, po + ICMP.CHECKSUM, internetChecksum(buf, po, po + plen));
  }
  return buf;
}

/**
 * IPv4 (no options) + ICMP Echo Request or Reply, both checksums computed: the same bytes as
 * `icmpPacket` with an echo message, without a message object.
 */
export function echoPacket(src: number, dst: number, ttl: number, identification: number, flags: number, type: number, identifier: number, sequence: number, data: Uint8Array, headroom = 0): Uint8Array {
  const plen = ICMP_HEADER_LENGTH + data.length;
  const buf = packetBuffer(headroom + IPV4_MIN_HEADER + plen);
  emitIpv4Header(headerOf(src, dst, ttl, identification, flags, IpProtocol.ICMP), plen, buf, headroom);
  const po = headroom + IPV4_MIN_HEADER;
  buf[po + ICMP.TYPE] = type;
  buf[po + ICMP.CODE] = 0;
  setU16(buf, po + ICMP.CHECKSUM, 0);
  setU16(buf, po + ICMP.ID, identifier);
  setU16(buf, po + ICMP.SEQ, sequence);
  buf.set(data, po + ICMP.BODY);
  setU16(buf, po + ICMP.CHECKSUM, internetChecksum(buf, po, po + plen));
  return buf;
}

/** IPv4 + UDP, the UDP checksum computed over the pseudo-header. */
export function udpPacket(h: Ipv4HeaderFields, srcPort: number, dstPort: number, payload: Uint8Array, headroom = 0): Uint8Array {
  const [buf, , po] = build(h, IpProtocol.UDP, udp, { srcPort, dstPort, checksum: 0, payload }, headroom, packetBuffer);
  fillUdpChecksum(h.src, h.dst, buf, po, UDP_HEADER_LENGTH + payload.length);
  return buf;
}

/**
 * IPv4 (no options) + UDP around `payload` in place: the headers (and `headroom` more octets,
 * for the link header) are written into the octets in front of it, which must be its own
 * (src/wire/packet-buffer.ts). The same bytes as `udpPacket`, without its copy of the payload
 * and without a header object; undefined when there is not the room.
 */
export function udpInPlace(src: number, dst: number, ttl: number, identification: number, flags: number, srcPort: number, dstPort: number, payload: Uint8Array, headroom = 0, dscp = 0, ecn = 0): Uint8Array | undefined {
  const buf = widen(payload, headroom + IPV4_MIN_HEADER + UDP_HEADER_LENGTH);
  if (!buf) return undefined;
  return udpHeadersInto(src, dst, ttl, identification, flags, srcPort, dstPort, buf, headroom, dscp, ecn);
}

/**
 * IPv4 + UDP headers (no options) written at frame[headroom, headroom + 28), in front of the
 * payload, which is the rest of `frame`: for a caller that made the one view of the whole
 * packet itself (the relays). Returns `frame`.
 */
export function udpHeadersInto(src: number, dst: number, ttl: number, identification: number, flags: number, srcPort: number, dstPort: number, frame: Uint8Array, headroom: number, dscp = 0, ecn = 0): Uint8Array {
  const po = headroom + IPV4_MIN_HEADER;
  const ulen = frame.length - po;
  emitIpv4Header(headerOf(src, dst, ttl, identification, flags, IpProtocol.UDP, EMPTY, dscp, ecn), ulen, frame, headroom);
  emitUdpHeader(srcPort, dstPort, ulen - UDP_HEADER_LENGTH, 0, frame, po);
  fillUdpChecksum(src, dst, frame, po, ulen);
  return frame;
}

/** IPv4 + TCP, the TCP checksum computed over the pseudo-header. */
export function tcpPacket(h: Ipv4HeaderFields, seg: Omit<TcpSegment, 'checksum'>, headroom = 0): Uint8Array {
  const s: TcpSegment = {
    srcPort: seg.srcPort, dstPort: seg.dstPort, seq: seg.seq, ack: seg.ack, flags: seg.flags, window: seg.window,
    checksum: 0, urgentPointer: seg.urgentPointer, options: seg.options, payload: seg.payload,
  };
  const [buf, , po, plen] = build(h, IpProtocol.TCP, tcp, s, headroom, ownPacketBuffer);
  fillTcpChecksum(h.src, h.dst, buf, po, plen);
  return buf;
}

/** Writes an Ethernet II header into the first 14 bytes of `buf` (its headroom) and returns `buf`. */
export function withEthernet(buf: Uint8Array, dst: Uint8Array, src: Uint8Array, ethertype: number = EtherType.IPV4): Uint8Array {
  emitEthernetHeader(dst, src, NO_TAGS, ethertype, buf, 0);
  return buf;
}

/** An Ethernet frame carrying an ARP packet (broadcast unless `dst` is given). */
export function arpFrame(p: ArpPacket, src: Uint8Array, dst: Uint8Array = BROADCAST_MAC): Uint8Array {
  const buf = new Uint8Array(ETHERNET_HEADER_LENGTH + arp.encodedLength(p));
  emitEthernetHeader(dst, src, NO_TAGS, EtherType.ARP, buf, 0);
  arp.emit(p, buf, ETHERNET_HEADER_LENGTH);
  return buf;
}
