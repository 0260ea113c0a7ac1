/**
 * UDP (RFC 768). `parse` trusts the Length field when it fits the input (anything after
 * it is not UDP's) and returns the payload as a subarray. The checksum covers an IPv4
 * pseudo-header the datagram alone does not know, so it is a field of the value (written
 * as given, zero = "no checksum") and the helpers below compute, fill and verify it.
 */
import { u16, setU16 } from './bytes.js';
import { fold, onesSum, pseudoHeaderSum } from './checksum.js';
import { IpProtocol } from './ipv4.js';
import { fail, ok, type Codec, type Parsed } from './result.js';

export const F = { SRC_PORT: 0, DST_PORT: 2, LENGTH: 4, CHECKSUM: 6, PAYLOAD: 8 } as const;
export const UDP_HEADER_LENGTH = 8;

export interface UdpDatagram {
  readonly srcPort: number;
  readonly dstPort: number;
  /** As received, or what `emit` writes: 0 means the sender computed none (RFC 768). */
  readonly checksum: number;
  readonly payload: Uint8Array;
}

/**
 * The Length of the datagram at b[o, o+avail) when `parseUdp` would take it (8 ≤ Length ≤
 * what arrived), else -1: for a receiver that reads the header in place.
 */
export function udpLengthAt(b: Uint8Array, o: number, avail: number): number {
  if (avail < UDP_HEADER_LENGTH) return -1;
  const len = u16(b, o + F.LENGTH);
  return len < UDP_HEADER_LENGTH || len > avail ? -1 : len;
}

export function parseUdp(b: Uint8Array): Parsed<UdpDatagram> {
  if (b.length < UDP_HEADER_LENGTH) return fail('udp.truncated', 0);
  const len = u16(b, F.LENGTH);
  if (len < UDP_HEADER_LENGTH) return fail('udp.bad-length', F.LENGTH);
  if (len > b.length) return fail('udp.truncated', F.LENGTH);
  return ok({ srcPort: u16(b, F.SRC_PORT), dstPort: u16(b, F.DST_PORT), checksum: u16(b, F.CHECKSUM), payload: b.subarray(UDP_HEADER_LENGTH, len) });
}

/** Writes the 8-octet header at `o`, Length = header + `payloadLength` (the payload is the caller's). */
export function emitUdpHeader(srcPort: number, dstPort: number, payloadLength: number, checksum: number, buf: Uint8Array, o: number): void {
  setU16(buf, o + F.SRC_PORT, srcPort);
  setU16(buf, o + F.DST_PORT, dstPort);
  setU16(buf, o + F.LENGTH, UDP_HEADER_LENGTH + payloadLength);
  setU16(buf, o + F.CHECKSUM, checksum);
}

export const udp: Codec<UdpDatagram> = {
  parse: parseUdp,
  encodedLength: (d) => UDP_HEADER_LENGTH + d.payload.length,
  emit(d, buf, o) {
    emitUdpHeader(d.srcPort, d.dstPort, d.payload.length, d.checksum, buf, o);
    buf.set(d.payload, o + UDP_HEADER_LENGTH);
    return UDP_HEADER_LENGTH + d.payload.length;
  },
};

/**
 * The checksum for the UDP datagram in buf[o, o+len) between `src` and `dst`, with the
 * checksum field taken as zero. A computed 0 is sent as 0xffff (RFC 768).
 */
export function udpChecksum(src: number, dst: number, buf: Uint8Array, o: number, len: number): number {
  const head = onesSum(buf, o, o + F.CHECKSUM, pseudoHeaderSum(src, dst, IpProtocol.UDP, len));
  const c = ~fold(onesSum(buf, o + UDP_HEADER_LENGTH, o + len, head)) & 0xffff;
  return c === 0 ? 0xffff : c;
}

/** Computes and writes the checksum of the datagram at buf[o, o+len) in place. */
export function fillUdpChecksum(src: number, dst: number, buf: Uint8Array, o: number, len = u16(buf, o + F.LENGTH)): void {
  setU16(buf, o + F.CHECKSUM, udpChecksum(src, dst, buf, o, len));
}

/** True when the datagram's checksum verifies, or when it carries none (zero). */
export function udpChecksumOk(src: number, dst: number, buf: Uint8Array, o = 0, len = buf.length - o): boolean {
  const c = u16(buf, o + F.CHECKSUM);
  if (c === 0) return true;
  return fold(onesSum(buf, o, o + len, pseudoHeaderSum(src, dst, IpProtocol.UDP, len))) === 0xffff;
}
