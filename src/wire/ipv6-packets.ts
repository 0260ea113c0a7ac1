/**
 * Builders for whole IPv6 packets (fixed header, optional extension headers, then
 * ICMPv6 / NDP / UDP) with the upper-layer checksum filled in over the RFC 8200 §8.1
 * pseudo-header, for control-plane messages (RA, DHCPv6, ICMPv6 errors) and tests. They
 * allocate; a forwarding path never calls them. `headroom` leaves room for a link header.
 */
import { packetBuffer } from './packet-buffer.js';
import { setU16 } from './bytes.js';
import { ipv6UpperChecksum } from './checksum.js';
import { icmpv6, type Icmpv6Message } from './icmpv6.js';
import { emitExtension, emitIpv6Header, extensionLength, extensionType, IPV6_HEADER_LENGTH, NextHeader, type Ipv6Extension } from './ipv6.js';
import { ndp, type NdpMessage } from './ndp.js';
import { udp, F as UDP } from './udp.js';
import type { Codec } from './result.js';

export interface Ipv6HeaderFields {
  readonly src: Uint8Array;
  readonly dst: Uint8Array;
  /** Default 64; NDP messages must be sent with 255 (RFC 4861 §6.1.2, §7.1.2). */
  readonly hopLimit?: number;
  readonly trafficClass?: number;
  readonly flowLabel?: number;
  /** Extension headers in order; each one's Next Header is set by the builder. */
  readonly extensions?: readonly Ipv6Extension[];
}

/** The upper-layer packet `value` behind an IPv6 header; the checksum at `checksumAt` of the upper layer filled. */
function build<T>(h: Ipv6HeaderFields, protocol: number, codec: Codec<T>, value: T, checksumAt: number, zeroAs: number | undefined, headroom: number): Uint8Array {
  const ext = h.extensions ?? [];
  let extLen = 0;
  for (const e of ext) extLen += extensionLength(e);
  const ulen = codec.encodedLength(value);
  const buf = packetBuffer(headroom + IPV6_HEADER_LENGTH + extLen + ulen);
  const first = ext.length ? extensionType(ext[0]!) : protocol;
  emitIpv6Header({ trafficClass: h.trafficClass ?? 0, flowLabel: h.flowLabel ?? 0, nextHeader: first, hopLimit: h.hopLimit ?? 64, src: h.src, dst: h.dst }, extLen + ulen, buf, headroom);
  let o = headroom + IPV6_HEADER_LENGTH;
  ext.forEach((e, i) => {
    const next = i + 1 < ext.length ? extensionType(ext[i + 1]!) : protocol;
    o += emitExtension({ ...e, nextHeader: next }, buf, o);
  });
  codec.emit(value, buf, o);
  let c = ipv6UpperChecksum(h.src, h.dst, protocol, buf, o, ulen, checksumAt);
  if (c === 0 && zeroAs !== undefined) c = zeroAs;
  setU16(buf, o + checksumAt, c);
  return buf;
}

/** IPv6 + ICMPv6, checksum computed (whatever the value's checksum field says). */
export function icmpv6Packet(h: Ipv6HeaderFields, msg: Icmpv6Message, headroom = 0): Uint8Array {
  return build(h, NextHeader.ICMPV6, icmpv6, msg, 2, undefined, headroom);
}

/** IPv6 + an NDP message, checksum computed; hop limit 255 unless told otherwise. */
export function ndpPacket(h: Ipv6HeaderFields, msg: NdpMessage, headroom = 0): Uint8Array {
  return build({ ...h, hopLimit: h.hopLimit ?? 255 }, NextHeader.ICMPV6, ndp, msg, 2, undefined, headroom);
}

/** IPv6 + UDP, checksum computed; it is mandatory over IPv6 and a computed zero goes out as 0xffff (RFC 8200 §8.1). */
export function udp6Packet(h: Ipv6HeaderFields, srcPort: number, dstPort: number, payload: Uint8Array, headroom = 0): Uint8Array {
  return build(h, NextHeader.UDP, udp, { srcPort, dstPort, checksum: 0, payload }, UDP.CHECKSUM, 0xffff, headroom);
}
