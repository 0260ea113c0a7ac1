/**
 * ICMPv6 (RFC 4443): echo request/reply, destination unreachable, packet too big, time
 * exceeded and parameter problem are typed; every other type (NDP, MLD...) is kept as
 * type/code/body so it re-emits byte for byte (src/wire/ndp.ts reads the NDP ones). The
 * checksum covers the IPv6 pseudo-header (RFC 8200 §8.1) the message alone does not
 * know, so it is a field of the value written as given; `fillIcmpv6Checksum` computes it
 * in place and `icmpv6ChecksumOk` verifies it. Quoted packets are subarrays of the input.
 */
import { u16, u32, setU16, setU32 } from './bytes.js';
import { ipv6UpperChecksum } from './checksum.js';
import { NextHeader } from './ipv6.js';
import { fail, ok, type Codec, type Parsed } from './result.js';

/** ICMPv6 types (IANA "ICMPv6 Parameters"). Unknown values are kept. */
export const Icmpv6Type = {
  DEST_UNREACHABLE: 1,
  PACKET_TOO_BIG: 2,
  TIME_EXCEEDED: 3,
  PARAMETER_PROBLEM: 4,
  ECHO_REQUEST: 128,
  ECHO_REPLY: 129,
  MLD_QUERY: 130,
  MLD_REPORT: 131,
  MLD_DONE: 132,
  ROUTER_SOLICITATION: 133,
  ROUTER_ADVERTISEMENT: 134,
  NEIGHBOR_SOLICITATION: 135,
  NEIGHBOR_ADVERTISEMENT: 136,
  REDIRECT: 137,
  MLDV2_REPORT: 143,
} as const;

/** Destination Unreachable codes (RFC 4443 §3.1). */
export const Icmpv6UnreachCode = {
  NO_ROUTE: 0,
  ADMIN_PROHIBITED: 1,
  BEYOND_SCOPE: 2,
  ADDRESS: 3,
  PORT: 4,
  SOURCE_POLICY: 5,
  REJECT_ROUTE: 6,
} as const;

/** Time Exceeded codes (RFC 4443 §3.3). */
export const Icmpv6TimeExceededCode = { HOP_LIMIT: 0, REASSEMBLY: 1 } as const;

/** Parameter Problem codes (RFC 4443 §3.4). */
export const Icmpv6ParamProblemCode = { HEADER_FIELD: 0, NEXT_HEADER: 1, OPTION: 2 } as const;

export const F = { TYPE: 0, CODE: 1, CHECKSUM: 2, ID: 4, SEQ: 6, UNUSED: 4, MTU: 4, POINTER: 4, BODY: 8, REST: 4 } as const;
/** Type, Code, Checksum. */
export const ICMPV6_HEADER_LENGTH = 4;
/** Header and the 32-bit field every RFC 4443 message has after it. */
export const ICMPV6_MIN_MESSAGE = 8;
/**
 * An error message quotes "as much of invoking packet as possible without the ICMPv6
 * packet exceeding the minimum IPv6 MTU" (RFC 4443 §3.1): 1280 - 40 - 8 octets.
 */
export const ICMPV6_MAX_QUOTE = 1232;

interface Common {
  readonly code: number;
  /** As received, or what `emit` writes. */
  readonly checksum: number;
}

export interface Icmpv6Echo extends Common {
  readonly kind: 'echo';
  /** Icmpv6Type.ECHO_REQUEST or ECHO_REPLY (RFC 4443 §4). */
  readonly type: number;
  readonly identifier: number;
  readonly sequence: number;
  readonly data: Uint8Array;
}

export interface Icmpv6DestUnreachable extends Common {
  readonly kind: 'dest-unreachable';
  /** Octets 4-7, unused (RFC 4884 puts a length in octet 4); kept as received. */
  readonly unused: number;
  /** As much of the invoking packet as fits. */
  readonly original: Uint8Array;
}

export interface Icmpv6PacketTooBig extends Common {
  readonly kind: 'packet-too-big';
  /** The MTU of the next-hop link (RFC 4443 §3.2). */
  readonly mtu: number;
  readonly original: Uint8Array;
}

export interface Icmpv6TimeExceeded extends Common {
  readonly kind: 'time-exceeded';
  readonly unused: number;
  readonly original: Uint8Array;
}

export interface Icmpv6ParameterProblem extends Common {
  readonly kind: 'parameter-problem';
  /** Offset in the invoking packet of the octet where the error was found (RFC 4443 §3.4). */
  readonly pointer: number;
  readonly original: Uint8Array;
}

/** Any other type (NDP, MLD, unknown): the octets after the checksum. */
export interface Icmpv6Other extends Common {
  readonly kind: 'other';
  readonly type: number;
  readonly body: Uint8Array;
}

export type Icmpv6Message = Icmpv6Echo | Icmpv6DestUnreachable | Icmpv6PacketTooBig | Icmpv6TimeExceeded | Icmpv6ParameterProblem | Icmpv6Other;

export function icmpv6Type(m: Icmpv6Message): number {
  switch (m.kind) {
    case 'echo':
    case 'other':
      return m.type;
    case 'dest-unreachable': return Icmpv6Type.DEST_UNREACHABLE;
    case 'packet-too-big': return Icmpv6Type.PACKET_TOO_BIG;
    case 'time-exceeded': return Icmpv6Type.TIME_EXCEEDED;
    case 'parameter-problem': return Icmpv6Type.PARAMETER_PROBLEM;
  }
}

export function parseIcmpv6(b: Uint8Array): Parsed<Icmpv6Message> {
  if (b.length < ICMPV6_HEADER_LENGTH) return fail('icmpv6.truncated', 0);
  const type = b[F.TYPE]!;
  const code = b[F.CODE]!;
  const checksum = u16(b, F.CHECKSUM);
  const typed = type <= Icmpv6Type.PARAMETER_PROBLEM && type >= 1 || type === Icmpv6Type.ECHO_REQUEST || type === Icmpv6Type.ECHO_REPLY;
  if (!typed) return ok({ kind: 'other', type, code, checksum, body: b.subarray(ICMPV6_HEADER_LENGTH) });
  if (b.length < ICMPV6_MIN_MESSAGE) return fail('icmpv6.truncated', ICMPV6_HEADER_LENGTH);
  const body = b.subarray(F.BODY);
  switch (type) {
    case Icmpv6Type.ECHO_REQUEST:
    case Icmpv6Type.ECHO_REPLY:
      return ok({ kind: 'echo', type, code, checksum, identifier: u16(b, F.ID), sequence: u16(b, F.SEQ), data: body });
    case Icmpv6Type.DEST_UNREACHABLE:
      return ok({ kind: 'dest-unreachable', code, checksum, unused: u32(b, F.UNUSED), original: body });
    case Icmpv6Type.PACKET_TOO_BIG:
      return ok({ kind: 'packet-too-big', code, checksum, mtu: u32(b, F.MTU), original: body });
    case Icmpv6Type.TIME_EXCEEDED:
      return ok({ kind: 'time-exceeded', code, checksum, unused: u32(b, F.UNUSED), original: body });
    default:
      return ok({ kind: 'parameter-problem', code, checksum, pointer: u32(b, F.POINTER), original: body });
  }
}

function tail(m: Icmpv6Message): Uint8Array {
  switch (m.kind) {
    case 'echo': return m.data;
    case 'other': return m.body;
    default: return m.original;
  }
}

export const icmpv6: Codec<Icmpv6Message> = {
  parse: parseIcmpv6,
  encodedLength: (m) => (m.kind === 'other' ? ICMPV6_HEADER_LENGTH : ICMPV6_MIN_MESSAGE) + tail(m).length,
  emit(m, buf, o) {
    buf[o + F.TYPE] = icmpv6Type(m);
    buf[o + F.CODE] = m.code;
    setU16(buf, o + F.CHECKSUM, m.checksum);
    switch (m.kind) {
      case 'echo':
        setU16(buf, o + F.ID, m.identifier);
        setU16(buf, o + F.SEQ, m.sequence);
        break;
      case 'dest-unreachable':
      case 'time-exceeded':
        setU32(buf, o + F.UNUSED, m.unused);
        break;
      case 'packet-too-big':
        setU32(buf, o + F.MTU, m.mtu);
        break;
      case 'parameter-problem':
        setU32(buf, o + F.POINTER, m.pointer);
        break;
      case 'other':
        buf.set(m.body, o + ICMPV6_HEADER_LENGTH);
        return ICMPV6_HEADER_LENGTH + m.body.length;
    }
    const t = tail(m);
    buf.set(t, o + F.BODY);
    return ICMPV6_MIN_MESSAGE + t.length;
  },
};

/** The checksum of the ICMPv6 message buf[o, o+len) from `src` to `dst` (RFC 4443 §2.3), its own field taken as zero. */
export function icmpv6Checksum(src: Uint8Array, dst: Uint8Array, buf: Uint8Array, o: number, len: number): number {
  return ipv6UpperChecksum(src, dst, NextHeader.ICMPV6, buf, o, len, F.CHECKSUM);
}

/** Computes and writes the checksum of the message at buf[o, o+len) in place. */
export function fillIcmpv6Checksum(src: Uint8Array, dst: Uint8Array, buf: Uint8Array, o: number, len: number): void {
  setU16(buf, o + F.CHECKSUM, icmpv6Checksum(src, dst, buf, o, len));
}

/** True when the message's checksum verifies (ICMPv6 has no "no checksum" value). */
export function icmpv6ChecksumOk(src: Uint8Array, dst: Uint8Array, buf: Uint8Array, o = 0, len = buf.length - o): boolean {
  const c = icmpv6Checksum(src, dst, buf, o, len);
  const s = u16(buf, o + F.CHECKSUM);
  // 0x0000 and 0xffff are the two one's-complement zeros: either verifies.
  return c === s || (c === 0 && s === 0xffff) || (c === 0xffff && s === 0);
}

/** Error messages have the high bit of the type clear (RFC 4443 §2.1); never answer one with another (§2.4 e.1). */
export function isIcmpv6Error(type: number): boolean {
  return type < 128;
}
