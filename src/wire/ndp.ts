/**
 * Neighbor Discovery (RFC 4861) messages, read from whole ICMPv6 messages: Router
 * Solicitation, Router Advertisement, Neighbor Solicitation and Advertisement typed,
 * Redirect kept opaque. Options: source/target link-layer address, prefix information,
 * MTU and RDNSS (RFC 8106) typed; any other option, or a known one with a length the RFC
 * does not allow, is kept as {type, data} and re-emits byte for byte. The checksum is a
 * field of the value, as in src/wire/icmpv6.ts (`fillIcmpv6Checksum` computes it). The
 * validity checks of RFC 4861 §6.1/§7.1 that need the IP header (hop limit 255, source
 * address) belong to the receiver, not here.
 */
import { u16, u32, setU16, setU32 } from './bytes.js';
import { F as ICMP, Icmpv6Type } from './icmpv6.js';
import { fail, ok, type Codec, type Parsed } from './result.js';

/** Field offsets after the ICMPv6 header (RFC 4861 §4.1–4.4). */
export const F = {
  RESERVED: 4,
  /** RA */
  CUR_HOP_LIMIT: 4,
  RA_FLAGS: 5,
  ROUTER_LIFETIME: 6,
  REACHABLE_TIME: 8,
  RETRANS_TIMER: 12,
  /** NA: R, S, O flags in the top three bits of octet 4. */
  NA_FLAGS: 4,
  TARGET: 8,
  /** Where options start. */
  RS_OPTIONS: 8,
  RA_OPTIONS: 16,
  NS_OPTIONS: 24,
  NA_OPTIONS: 24,
} as const;

/** RA flag bits (RFC 4861 §4.2, RFC 4191 §2.2 for Prf, RFC 3775 for H). */
export const RaFlag = { MANAGED: 0x80, OTHER: 0x40, HOME_AGENT: 0x20, PRF_MASK: 0x18 } as const;
/** NA flag bits in the 32-bit word after the checksum (RFC 4861 §4.4). */
export const NaFlag = { ROUTER: 0x80000000, SOLICITED: 0x40000000, OVERRIDE: 0x20000000 } as const;
/** Prefix Information flag bits (RFC 4861 §4.6.2, RFC 6275 §7.2 for R). */
export const PrefixFlag = { ON_LINK: 0x80, AUTONOMOUS: 0x40, ROUTER_ADDRESS: 0x20 } as const;

/** Option types (IANA "IPv6 Neighbor Discovery Option Formats"). Unknown values are kept. */
export const NdpOptionType = {
  SOURCE_LLA: 1,
  TARGET_LLA: 2,
  PREFIX_INFORMATION: 3,
  REDIRECTED_HEADER: 4,
  MTU: 5,
  RDNSS: 25,
  DNSSL: 31,
} as const;

/** An infinite lifetime (RFC 4861 §4.6.2). */
export const NDP_INFINITY = 0xffffffff;

export type NdpOption =
  /** Source / Target Link-Layer Address (§4.6.1): the address with its padding, as received. */
  | { readonly kind: 'source-lla' | 'target-lla'; readonly address: Uint8Array }
  /** Prefix Information (§4.6.2). */
  | {
      readonly kind: 'prefix';
      readonly prefixLength: number;
      /** PrefixFlag bits and the reserved ones, as received. */
      readonly flags: number;
      readonly validLifetime: number;
      readonly preferredLifetime: number;
      /** Reserved2, kept as received. */
      readonly reserved: number;
      readonly prefix: Uint8Array;
    }
  /** MTU (§4.6.4). */
  | { readonly kind: 'mtu'; readonly reserved: number; readonly mtu: number }
  /** Recursive DNS Server (RFC 8106 §5.1). */
  | { readonly kind: 'rdnss'; readonly reserved: number; readonly lifetime: number; readonly servers: readonly Uint8Array[] }
  /** Any other option: its type and the octets after Type and Length. */
  | { readonly kind: 'raw'; readonly type: number; readonly data: Uint8Array };

interface NdpCommon {
  readonly code: number;
  readonly checksum: number;
  readonly options: readonly NdpOption[];
}

export interface RouterSolicitation extends NdpCommon {
  readonly kind: 'rs';
  readonly reserved: number;
}

export interface RouterAdvertisement extends NdpCommon {
  readonly kind: 'ra';
  /** 0: unspecified by this router. */
  readonly curHopLimit: number;
  /** RaFlag bits and the reserved ones, as received. */
  readonly flags: number;
  /** Seconds; 0: not a default router. */
  readonly routerLifetime: number;
  /** Milliseconds. */
  readonly reachableTime: number;
  /** Milliseconds. */
  readonly retransTimer: number;
}

export interface NeighborSolicitation extends NdpCommon {
  readonly kind: 'ns';
  readonly reserved: number;
  readonly target: Uint8Array;
}

export interface NeighborAdvertisement extends NdpCommon {
  readonly kind: 'na';
  /** NaFlag bits and the 29 reserved bits, as received. */
  readonly flags: number;
  readonly target: Uint8Array;
}

/** Redirect (§4.5): kept opaque, octets 4.. of the message. */
export interface Redirect {
  readonly kind: 'redirect';
  readonly code: number;
  readonly checksum: number;
  readonly body: Uint8Array;
}

export type NdpMessage = RouterSolicitation | RouterAdvertisement | NeighborSolicitation | NeighborAdvertisement | Redirect;

const O = { TYPE: 0, LENGTH: 1, DATA: 2, PREFIX_LENGTH: 2, PREFIX_FLAGS: 3, VALID: 4, PREFERRED: 8, RESERVED2: 12, PREFIX: 16, MTU_RESERVED: 2, MTU: 4, RDNSS_RESERVED: 2, RDNSS_LIFETIME: 4, RDNSS_SERVERS: 8 } as const;

function parseOption(type: number, b: Uint8Array, start: number, end: number): NdpOption {
  const units = (end - start) / 8;
  switch (type) {
    case NdpOptionType.SOURCE_LLA:
    case NdpOptionType.TARGET_LLA:
      return { kind: type === NdpOptionType.SOURCE_LLA ? 'source-lla' : 'target-lla', address: b.subarray(start + O.DATA, end) };
    case NdpOptionType.PREFIX_INFORMATION:
      if (units !== 4) break;
      return {
        kind: 'prefix', prefixLength: b[start + O.PREFIX_LENGTH]!, flags: b[start + O.PREFIX_FLAGS]!,
        validLifetime: u32(b, start + O.VALID), preferredLifetime: u32(b, start + O.PREFERRED), reserved: u32(b, start + O.RESERVED2),
        prefix: b.subarray(start + O.PREFIX, start + O.PREFIX + 16),
      };
    case NdpOptionType.MTU:
      if (units !== 1) break;
      return { kind: 'mtu', reserved: u16(b, start + O.MTU_RESERVED), mtu: u32(b, start + O.MTU) };
    case NdpOptionType.RDNSS: {
      // RFC 8106 §5.1: Length is 1 + 2 * (number of addresses), at least 3.
      if (units < 3 || (units - 1) % 2 !== 0) break;
      const servers: Uint8Array[] = [];
      for (let p = start + O.RDNSS_SERVERS; p < end; p += 16) servers.push(b.subarray(p, p + 16));
      return { kind: 'rdnss', reserved: u16(b, start + O.RDNSS_RESERVED), lifetime: u32(b, start + O.RDNSS_LIFETIME), servers };
    }
  }
  return { kind: 'raw', type, data: b.subarray(start + O.DATA, end) };
}

/** Parses the options in b[start, end). RFC 4861 §4.6: a Length of zero invalidates the message. */
export function parseNdpOptions(b: Uint8Array, start: number, end = b.length): Parsed<NdpOption[]> {
  const out: NdpOption[] = [];
  let o = start;
  while (o < end) {
    if (o + 2 > end) return fail('ndp.option-truncated', o);
    const len = b[o + O.LENGTH]! * 8;
    if (len === 0) return fail('ndp.option-length-zero', o + O.LENGTH);
    if (o + len > end) return fail('ndp.option-exceeds-message', o + O.LENGTH);
    out.push(parseOption(b[o]!, b, o, o + len));
    o += len;
  }
  return ok(out);
}

export function ndpOptionType(o: NdpOption): number {
  switch (o.kind) {
    case 'source-lla': return NdpOptionType.SOURCE_LLA;
    case 'target-lla': return NdpOptionType.TARGET_LLA;
    case 'prefix': return NdpOptionType.PREFIX_INFORMATION;
    case 'mtu': return NdpOptionType.MTU;
    case 'rdnss': return NdpOptionType.RDNSS;
    case 'raw': return o.type;
  }
}

/** Octets the option takes, Type and Length included. */
export function ndpOptionLength(o: NdpOption): number {
  switch (o.kind) {
    case 'source-lla':
    case 'target-lla':
    case 'raw':
      return 2 + (o.kind === 'raw' ? o.data.length : o.address.length);
    case 'prefix': return 32;
    case 'mtu': return 8;
    case 'rdnss': return 8 + 16 * o.servers.length;
  }
}

/**
 * Writes one option. Options are whole 8-octet units: a link-layer address or raw data
 * that does not fill them is API misuse and throws (parsed options always fill them;
 * `lla(mac)` pads an Ethernet address).
 */
export function emitNdpOption(opt: NdpOption, buf: Uint8Array, o: number): number {
  const len = ndpOptionLength(opt);
  if (len % 8 !== 0 || len === 0 || len > 255 * 8) throw new Error(`ndp: ${opt.kind} option of ${len} octets is not 1..255 units of 8`);
  buf[o + O.TYPE] = ndpOptionType(opt);
  buf[o + O.LENGTH] = len / 8;
  switch (opt.kind) {
    case 'source-lla':
    case 'target-lla':
      buf.set(opt.address, o + O.DATA);
      break;
    case 'raw':
      buf.set(opt.data, o + O.DATA);
      break;
    case 'prefix':
      buf[o + O.PREFIX_LENGTH] = opt.prefixLength;
      buf[o + O.PREFIX_FLAGS] = opt.flags;
      setU32(buf, o + O.VALID, opt.validLifetime);
      setU32(buf, o + O.PREFERRED, opt.preferredLifetime);
      setU32(buf, o + O.RESERVED2, opt.reserved);
      buf.set(opt.prefix.subarray(0, 16), o + O.PREFIX);
      break;
    case 'mtu':
      setU16(buf, o + O.MTU_RESERVED, opt.reserved);
      setU32(buf, o + O.MTU, opt.mtu);
      break;
    case 'rdnss':
      setU16(buf, o + O.RDNSS_RESERVED, opt.reserved);
      setU32(buf, o + O.RDNSS_LIFETIME, opt.lifetime);
      opt.servers.forEach((s, i) => buf.set(s.subarray(0, 16), o + O.RDNSS_SERVERS + 16 * i));
      break;
  }
  return len;
}

/** A Source/Target Link-Layer Address option for an Ethernet MAC (one 8-octet unit). */
export function lla(kind: 'source-lla' | 'target-lla', mac: Uint8Array): NdpOption {
  return { kind, address: mac.slice(0, 6) };
}

function fixedLength(kind: NdpMessage['kind']): number {
  switch (kind) {
    case 'rs': return F.RS_OPTIONS;
    case 'ra': return F.RA_OPTIONS;
    case 'ns': return F.NS_OPTIONS;
    case 'na': return F.NA_OPTIONS;
    case 'redirect': return 4;
  }
}

export function ndpType(m: NdpMessage): number {
  switch (m.kind) {
    case 'rs': return Icmpv6Type.ROUTER_SOLICITATION;
    case 'ra': return Icmpv6Type.ROUTER_ADVERTISEMENT;
    case 'ns': return Icmpv6Type.NEIGHBOR_SOLICITATION;
    case 'na': return Icmpv6Type.NEIGHBOR_ADVERTISEMENT;
    case 'redirect': return Icmpv6Type.REDIRECT;
  }
}

/** True for the ICMPv6 types this codec reads. */
export function isNdpType(type: number): boolean {
  return type >= Icmpv6Type.ROUTER_SOLICITATION && type <= Icmpv6Type.REDIRECT;
}

export function parseNdp(b: Uint8Array): Parsed<NdpMessage> {
  if (b.length < 4) return fail('ndp.truncated', 0);
  const type = b[ICMP.TYPE]!;
  const code = b[ICMP.CODE]!;
  const checksum = u16(b, ICMP.CHECKSUM);
  if (!isNdpType(type)) return fail('ndp.not-ndp', ICMP.TYPE);
  if (type === Icmpv6Type.REDIRECT) return ok({ kind: 'redirect', code, checksum, body: b.subarray(4) });
  const kind = (['rs', 'ra', 'ns', 'na'] as const)[type - Icmpv6Type.ROUTER_SOLICITATION]!;
  const fixed = fixedLength(kind);
  if (b.length < fixed) return fail('ndp.truncated', 4);
  const opts = parseNdpOptions(b, fixed);
  if (!opts.ok) return opts;
  const options = opts.value;
  switch (kind) {
    case 'rs':
      return ok({ kind, code, checksum, reserved: u32(b, F.RESERVED), options });
    case 'ra':
      return ok({
        kind, code, checksum, curHopLimit: b[F.CUR_HOP_LIMIT]!, flags: b[F.RA_FLAGS]!, routerLifetime: u16(b, F.ROUTER_LIFETIME),
        reachableTime: u32(b, F.REACHABLE_TIME), retransTimer: u32(b, F.RETRANS_TIMER), options,
      });
    case 'ns':
      return ok({ kind, code, checksum, reserved: u32(b, F.RESERVED), target: b.subarray(F.TARGET, F.TARGET + 16), options });
    case 'na':
      return ok({ kind, code, checksum, flags: u32(b, F.NA_FLAGS), target: b.subarray(F.TARGET, F.TARGET + 16), options });
  }
}

export const ndp: Codec<NdpMessage> = {
  parse: parseNdp,
  encodedLength(m) {
    if (m.kind === 'redirect') return 4 + m.body.length;
    let n = fixedLength(m.kind);
    for (const o of m.options) n += ndpOptionLength(o);
    return n;
  },
  emit(m, buf, o) {
    buf[o + ICMP.TYPE] = ndpType(m);
    buf[o + ICMP.CODE] = m.code;
    setU16(buf, o + ICMP.CHECKSUM, m.checksum);
    if (m.kind === 'redirect') {
      buf.set(m.body, o + 4);
      return 4 + m.body.length;
    }
    switch (m.kind) {
      case 'rs':
        setU32(buf, o + F.RESERVED, m.reserved);
        break;
      case 'ra':
        buf[o + F.CUR_HOP_LIMIT] = m.curHopLimit;
        buf[o + F.RA_FLAGS] = m.flags;
        setU16(buf, o + F.ROUTER_LIFETIME, m.routerLifetime);
        setU32(buf, o + F.REACHABLE_TIME, m.reachableTime);
        setU32(buf, o + F.RETRANS_TIMER, m.retransTimer);
        break;
      case 'ns':
        setU32(buf, o + F.RESERVED, m.reserved);
        buf.set(m.target.subarray(0, 16), o + F.TARGET);
        break;
      case 'na':
        setU32(buf, o + F.NA_FLAGS, m.flags);
        buf.set(m.target.subarray(0, 16), o + F.TARGET);
        break;
    }
    let p = o + fixedLength(m.kind);
    for (const opt of m.options) p += emitNdpOption(opt, buf, p);
    return p - o;
  },
};
