/**
 * ICMP for IPv4 (RFC 792, RFC 1191 for the next-hop MTU, RFC 1812 §4.3). Echo,
 * destination unreachable and time exceeded are typed; any other type is kept as
 * type/code/rest-of-header/body so it re-emits byte for byte. The quoted datagram of an
 * error is a subarray of the input. `parse` does not judge the checksum
 * (`icmpChecksumOk` does); `emit` computes it unless the value carries one.
 */
import { u16, u32, setU16, setU32 } from './bytes.js';
import { internetChecksum } from './checksum.js';
import { F as IP, IPV4_MIN_HEADER } from './ipv4.js';
import { fail, ok, type Codec, type Parsed } from './result.js';

export const IcmpType = {
  ECHO_REPLY: 0,
  DEST_UNREACHABLE: 3,
  REDIRECT: 5,
  ECHO_REQUEST: 8,
  TIME_EXCEEDED: 11,
  PARAMETER_PROBLEM: 12,
} as const;

/** Destination Unreachable codes (RFC 792, RFC 1812 §5.2.7.1). */
export const UnreachCode = {
  NET: 0,
  HOST: 1,
  PROTOCOL: 2,
  PORT: 3,
  /** Fragmentation needed and DF set; bytes 6-7 carry the next-hop MTU (RFC 1191 §4). */
  FRAG_NEEDED: 4,
  SOURCE_ROUTE_FAILED: 5,
  ADMIN_PROHIBITED: 13,
} as const;

/** Time Exceeded codes (RFC 792). */
export const TimeExceededCode = { TTL: 0, REASSEMBLY: 1 } as const;

export const F = { TYPE: 0, CODE: 1, CHECKSUM: 2, ID: 4, SEQ: 6, UNUSED: 4, MTU: 6, BODY: 8 } as const;
export const ICMP_HEADER_LENGTH = 8;

interface Common {
  readonly code: number;
  /** As received; `emit` computes it when undefined. */
  readonly checksum?: number | undefined;
}

export interface IcmpEcho extends Common {
  readonly kind: 'echo';
  /** IcmpType.ECHO_REQUEST or ECHO_REPLY. */
  readonly type: number;
  readonly identifier: number;
  readonly sequence: number;
  readonly data: Uint8Array;
}

export interface IcmpDestUnreachable extends Common {
  readonly kind: 'dest-unreachable';
  /** Octets 4-5: unused by RFC 792 (RFC 4884 puts a length in octet 5); kept as received. */
  readonly unused: number;
  /** Octets 6-7: the next-hop MTU for code 4 (RFC 1191), zero otherwise. */
  readonly nextHopMtu: number;
  /** The offending datagram's IP header and leading octets. */
  readonly original: Uint8Array;
}

export interface IcmpTimeExceeded extends Common {
  readonly kind: 'time-exceeded';
  /** Octets 4-7, unused; kept as received. */
  readonly unused: number;
  readonly original: Uint8Array;
}

export interface IcmpOther extends Common {
  readonly kind: 'other';
  readonly type: number;
  /** Octets 4-7. */
  readonly rest: number;
  readonly body: Uint8Array;
}

export type IcmpMessage = IcmpEcho | IcmpDestUnreachable | IcmpTimeExceeded | IcmpOther;

export function icmpType(m: IcmpMessage): number {
  switch (m.kind) {
    case 'echo':
    case 'other':
      return m.type;
    case 'dest-unreachable':
      return IcmpType.DEST_UNREACHABLE;
    case 'time-exceeded':
      return IcmpType.TIME_EXCEEDED;
  }
}

export function parseIcmp(b: Uint8Array): Parsed<IcmpMessage> {
  if (b.length < ICMP_HEADER_LENGTH) return fail('icmp.truncated', 0);
  const type = b[F.TYPE]!;
  const code = b[F.CODE]!;
  const checksum = u16(b, F.CHECKSUM);
  const body = b.subarray(F.BODY);
  switch (type) {
    case IcmpType.ECHO_REQUEST:
    case IcmpType.ECHO_REPLY:
      return ok({ kind: 'echo', type, code, checksum, identifier: u16(b, F.ID), sequence: u16(b, F.SEQ), data: body });
    case IcmpType.DEST_UNREACHABLE:
      return ok({ kind: 'dest-unreachable', code, checksum, unused: u16(b, F.UNUSED), nextHopMtu: u16(b, F.MTU), original: body });
    case IcmpType.TIME_EXCEEDED:
      return ok({ kind: 'time-exceeded', code, checksum, unused: u32(b, F.UNUSED), original: body });
    default:
      return ok({ kind: 'other', type, code, checksum, rest: u32(b, F.UNUSED), body });
  }
}

function bodyOf(m: IcmpMessage): Uint8Array {
  switch (m.kind) {
    case 'echo':
      return m.data;
    case 'other':
      return m.body;
    default:
      return m.original;
  }
}

export const icmp: Codec<IcmpMessage> = {
  parse: parseIcmp,
  encodedLength: (m) => ICMP_HEADER_LENGTH + bodyOf(m).length,
  emit(m, buf, o) {
    buf[o + F.TYPE] = icmpType(m);
    buf[o + F.CODE] = m.code;
    setU16(buf, o + F.CHECKSUM, 0);
    switch (m.kind) {
      case 'echo':
        setU16(buf, o + F.ID, m.identifier);
        setU16(buf, o + F.SEQ, m.sequence);
        break;
      case 'dest-unreachable':
        setU16(buf, o + F.UNUSED, m.unused);
        setU16(buf, o + F.MTU, m.nextHopMtu);
        break;
      case 'time-exceeded':
        setU32(buf, o + F.UNUSED, m.unused);
        break;
      case 'other':
        setU32(buf, o + F.UNUSED, m.rest);
        break;
    }
    const body = bodyOf(m);
    buf.set(body, o + F.BODY);
    const end = o + F.BODY + body.length;
    setU16(buf, o + F.CHECKSUM, m.checksum ?? internetChecksum(buf, o, end));
    return end - o;
  },
};

/** True when the ICMP message (header and body) sums to zero. */
export function icmpChecksumOk(b: Uint8Array): boolean {
  return internetChecksum(b) === 0;
}

/** True for the error types a router must never answer with another error (RFC 1812 §4.3.2.7). */
export function isIcmpError(type: number): boolean {
  return type === IcmpType.DEST_UNREACHABLE || type === IcmpType.REDIRECT || type === IcmpType.TIME_EXCEEDED ||
    type === IcmpType.PARAMETER_PROBLEM || type === 4 /* source quench */;
}

/** What an ICMP error quotes: the IP header fields that identify the offending datagram, leniently (it is usually cut short). */
export interface QuotedIpv4 {
  readonly protocol: number;
  readonly src: number;
  readonly dst: number;
  readonly identification: number;
  readonly ttl: number;
  /** The quoted bytes after the header (at least the first 8 octets when the sender followed RFC 792). */
  readonly leading: Uint8Array;
}

export function parseQuotedIpv4(b: Uint8Array): Parsed<QuotedIpv4> {
  if (b.length < IPV4_MIN_HEADER) return fail('icmp.quote-truncated', 0);
  if (b[0]! >>> 4 !== 4) return fail('icmp.quote-bad-version', 0);
  const hl = (b[0]! & 0x0f) * 4;
  if (hl < IPV4_MIN_HEADER || hl > b.length) return fail('icmp.quote-bad-header-length', 0);
  return ok({
    protocol: b[IP.PROTOCOL]!,
    src: u32(b, IP.SRC),
    dst: u32(b, IP.DST),
    identification: u16(b, IP.IDENTIFICATION),
    ttl: b[IP.TTL]!,
    leading: b.subarray(hl),
  });
}
