/**
 * Ethernet II / IPv4 / UDP framing built by hand for L2TP tests, and the reverse (fixed
 * offsets), until the IP codecs land. IPv4 header checksum through src/wire/checksum.ts.
 */
import { internetChecksum } from '../../src/wire/checksum.js';
import { setU16, setU32, u16 } from '../../src/wire/bytes.js';

export interface UdpAddr {
  mac: Uint8Array;
  ip: number;
  port: number;
}

let ipId = 1;

/** Ethernet + IPv4 (no options, DF) + UDP with a zero (absent) UDP checksum around `payload`. */
export function udpFrame(src: UdpAddr, dst: UdpAddr, payload: Uint8Array): Uint8Array {
  const f = new Uint8Array(14 + 20 + 8 + payload.length);
  f.set(dst.mac, 0);
  f.set(src.mac, 6);
  setU16(f, 12, 0x0800);
  f[14] = 0x45;
  setU16(f, 16, 20 + 8 + payload.length);
  setU16(f, 18, ipId++ & 0xffff);
  setU16(f, 20, 0x4000);
  f[22] = 64;
  f[23] = 17;
  setU32(f, 26, src.ip);
  setU32(f, 30, dst.ip);
  setU16(f, 24, internetChecksum(f, 14, 34));
  setU16(f, 34, src.port);
  setU16(f, 36, dst.port);
  setU16(f, 38, 8 + payload.length);
  f.set(payload, 42);
  return f;
}

/** The UDP payload of an Ethernet/IPv4/UDP frame, or undefined when it is not one. */
export function udpPayload(frame: Uint8Array): { srcPort: number; dstPort: number; payload: Uint8Array } | undefined {
  if (frame.length < 42 || u16(frame, 12) !== 0x0800 || frame[23] !== 17) return undefined;
  const ihl = (frame[14]! & 0x0f) * 4;
  const udp = 14 + ihl;
  const udpLen = u16(frame, udp + 4);
  return { srcPort: u16(frame, udp), dstPort: u16(frame, udp + 2), payload: frame.subarray(udp + 8, udp + udpLen) };
}
