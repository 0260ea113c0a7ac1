/**
 * ARP (RFC 826) packets. Hardware addresses of any length are kept as bytes; protocol
 * addresses must be four bytes (IPv4, the only protocol pseudonet resolves) and are
 * numbers. Anything after the packet (Ethernet padding) is ignored by `parse` and not
 * part of the value.
 */
import { u16, u32, setU16, setU32 } from './bytes.js';
import { EtherType } from './ethernet.js';
import { fail, ok, type Codec, type Parsed } from './result.js';

/** ar$hrd values (IANA "Hardware Types"). */
export const ArpHardware = { ETHERNET: 1 } as const;
/** ar$op values (RFC 826, RFC 5227 uses the same two). */
export const ArpOp = { REQUEST: 1, REPLY: 2 } as const;

export const F = { HTYPE: 0, PTYPE: 2, HLEN: 4, PLEN: 5, OPER: 6, SHA: 8 } as const;
/** Length of an Ethernet/IPv4 ARP packet. */
export const ARP_ETHERNET_IPV4_LENGTH = 28;

export interface ArpPacket {
  /** ar$hrd: hardware address space (1 = Ethernet). */
  readonly htype: number;
  /** ar$pro: protocol address space, an EtherType (0x0800 = IPv4). */
  readonly ptype: number;
  /** ar$op: 1 request, 2 reply; other values kept. */
  readonly op: number;
  /** ar$sha: sender hardware address; its length is ar$hln. */
  readonly sha: Uint8Array;
  /** ar$spa: sender protocol address. */
  readonly spa: number;
  /** ar$tha: target hardware address, same length as sha. */
  readonly tha: Uint8Array;
  /** ar$tpa: target protocol address. */
  readonly tpa: number;
}

export function parseArp(b: Uint8Array): Parsed<ArpPacket> {
  if (b.length < F.SHA) return fail('arp.truncated', 0);
  const hln = b[F.HLEN]!;
  const pln = b[F.PLEN]!;
  if (pln !== 4) return fail('arp.unsupported-protocol-length', F.PLEN);
  const len = F.SHA + 2 * hln + 2 * pln;
  if (b.length < len) return fail('arp.truncated', b.length);
  const spa = F.SHA + hln;
  const tha = spa + pln;
  const tpa = tha + hln;
  return ok({
    htype: u16(b, F.HTYPE),
    ptype: u16(b, F.PTYPE),
    op: u16(b, F.OPER),
    sha: b.subarray(F.SHA, spa),
    spa: u32(b, spa),
    tha: b.subarray(tha, tpa),
    tpa: u32(b, tpa),
  });
}

export const arp: Codec<ArpPacket> = {
  parse: parseArp,
  encodedLength: (p) => F.SHA + 2 * p.sha.length + 8,
  emit(p, buf, o) {
    const hln = p.sha.length;
    setU16(buf, o + F.HTYPE, p.htype);
    setU16(buf, o + F.PTYPE, p.ptype);
    buf[o + F.HLEN] = hln;
    buf[o + F.PLEN] = 4;
    setU16(buf, o + F.OPER, p.op);
    let q = o + F.SHA;
    buf.set(p.sha, q);
    q += hln;
    setU32(buf, q, p.spa);
    q += 4;
    // tha is written at the sender's hardware length; a shorter tha is zero-filled.
    buf.fill(0, q, q + hln);
    buf.set(p.tha.subarray(0, hln), q);
    q += hln;
    setU32(buf, q, p.tpa);
    return q + 4 - o;
  },
};

/** An Ethernet/IPv4 ARP packet value. */
export function arpEthernetIpv4(op: number, sha: Uint8Array, spa: number, tha: Uint8Array, tpa: number): ArpPacket {
  return { htype: ArpHardware.ETHERNET, ptype: EtherType.IPV4, op, sha, spa, tha, tpa };
}

/** RFC 5227 §3 / RFC 5944 §4.6: a gratuitous ARP announces spa == tpa. */
export function isGratuitous(p: ArpPacket): boolean {
  return p.spa === p.tpa && p.spa !== 0;
}
