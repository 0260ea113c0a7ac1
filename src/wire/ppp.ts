/**
 * PPP (RFC 1661): the frame's protocol field (with or without the RFC 1662 Address/Control
 * octets that L2TP carries), and the control packets of LCP, IPCP (RFC 1332, RFC 1877),
 * IPV6CP (RFC 5072) and CCP (RFC 1962) with their options. Parsing never throws; unknown
 * codes and options, and known options with a length the RFC does not allow, are kept raw
 * and re-emit byte for byte. Option values and data are subarrays of the input.
 */
import { u16, u32, setU16, setU32 } from './bytes.js';
import { fail, ok, type Codec, type Parsed, type WireError } from './result.js';

/** PPP protocol numbers (IANA "PPP DLL Protocol Numbers"). Unknown numbers are kept as numbers. */
export const PppProtocol = {
  IPV4: 0x0021,
  IPV6: 0x0057,
  IPCP: 0x8021,
  /** Encryption Control Protocol (RFC 1968). */
  ECP: 0x8053,
  IPV6CP: 0x8057,
  CCP: 0x80fd,
  LCP: 0xc021,
  PAP: 0xc023,
  /** Link Quality Report (RFC 1989). */
  LQR: 0xc025,
  CHAP: 0xc223,
  EAP: 0xc227,
} as const;

export const PPP_PROTOCOL_NAMES: Readonly<Record<number, string>> = {
  0x0021: 'IPv4', 0x0057: 'IPv6', 0x8021: 'IPCP', 0x8053: 'ECP', 0x8057: 'IPV6CP', 0x80fd: 'CCP',
  0xc021: 'LCP', 0xc023: 'PAP', 0xc025: 'LQR', 0xc223: 'CHAP', 0xc227: 'EAP',
};

// ---- the frame ------------------------------------------------------------------------

/** RFC 1662 §3.1 All-Stations address and Unnumbered Information control. */
export const PPP_ADDRESS = 0xff;
export const PPP_CONTROL = 0x03;

/**
 * A PPP frame without FCS: protocol + information. On PPPoE it starts at the protocol field
 * (RFC 2516 §7); in L2TP data messages it starts with 0xff 0x03 unless ACFC was negotiated.
 */
export interface PppFrame {
  /** Address 0xff and Control 0x03 were present (RFC 1662 §3.1). Present only when true. */
  readonly acf?: true;
  /** The protocol field was one octet (Protocol-Field-Compression, RFC 1661 §6.5). Present only when true. */
  readonly pfc?: true;
  readonly protocol: number;
  /** The information field (a subarray). */
  readonly payload: Uint8Array;
}

export const pppFrame: Codec<PppFrame> = {
  parse(b) {
    let o = 0;
    let acf = false;
    if (b.length >= 2 && b[0] === PPP_ADDRESS && b[1] === PPP_CONTROL) {
      acf = true;
      o = 2;
    }
    if (o >= b.length) return fail('ppp.truncated-protocol', o);
    let protocol: number;
    let pfc = false;
    // RFC 1661 §2: the protocol's low octet is odd and its high octet even, which is what
    // lets a receiver tell a compressed one-octet field from a two-octet one.
    if (b[o]! & 1) {
      protocol = b[o]!;
      pfc = true;
      o += 1;
    } else {
      if (o + 2 > b.length) return fail('ppp.truncated-protocol', o);
      protocol = u16(b, o);
      if ((protocol & 1) === 0) return fail('ppp.protocol-not-odd', o + 1);
      o += 2;
    }
    const payload = b.subarray(o);
    if (acf && pfc) return ok({ acf: true, pfc: true, protocol, payload });
    if (acf) return ok({ acf: true, protocol, payload });
    if (pfc) return ok({ pfc: true, protocol, payload });
    return ok({ protocol, payload });
  },
  encodedLength(v) {
    return (v.acf ? 2 : 0) + (v.pfc && v.protocol < 0x100 ? 1 : 2) + v.payload.length;
  },
  emit(v, buf, offset) {
    let o = offset;
    if (v.acf) {
      buf[o++] = PPP_ADDRESS;
      buf[o++] = PPP_CONTROL;
    }
    if (v.pfc && v.protocol < 0x100) buf[o++] = v.protocol;
    else {
      setU16(buf, o, v.protocol);
      o += 2;
    }
    buf.set(v.payload, o);
    return o + v.payload.length - offset;
  },
};

/** Writes a two-octet protocol field at `offset` (the data path's header in front of a payload). */
export function writeProtocol(buf: Uint8Array, offset: number, protocol: number): void {
  setU16(buf, offset, protocol);
}

// ---- control packets ------------------------------------------------------------------

/** Codes shared by LCP and the NCPs (RFC 1661 §5); 8..11 are LCP-only. */
export const CpCode = {
  CONF_REQ: 1,
  CONF_ACK: 2,
  CONF_NAK: 3,
  CONF_REJ: 4,
  TERM_REQ: 5,
  TERM_ACK: 6,
  CODE_REJ: 7,
  PROTO_REJ: 8,
  ECHO_REQ: 9,
  ECHO_REPLY: 10,
  DISCARD_REQ: 11,
} as const;

export type ConfKind = 'conf-req' | 'conf-ack' | 'conf-nak' | 'conf-rej';

/** Configure-Request/Ack/Nak/Reject (RFC 1661 §5.1–5.4). */
export interface ConfPacket<O> {
  readonly kind: ConfKind;
  readonly identifier: number;
  readonly options: readonly O[];
}

/** Terminate-Request/Ack (RFC 1661 §5.5): Data is uninterpreted. */
export interface TermPacket {
  readonly kind: 'term-req' | 'term-ack';
  readonly identifier: number;
  readonly data: Uint8Array;
}

/** Code-Reject (RFC 1661 §5.6): a copy of the rejected packet from its Code field on. */
export interface CodeRejPacket {
  readonly kind: 'code-rej';
  readonly identifier: number;
  readonly rejected: Uint8Array;
}

/** Protocol-Reject (RFC 1661 §5.7, LCP only): the rejected protocol and a copy of its information field. */
export interface ProtoRejPacket {
  readonly kind: 'proto-rej';
  readonly identifier: number;
  readonly protocol: number;
  readonly data: Uint8Array;
}

/** Echo-Request/Reply and Discard-Request (RFC 1661 §5.8–5.9, LCP only): Magic-Number then Data. */
export interface EchoPacket {
  readonly kind: 'echo-req' | 'echo-reply' | 'discard-req';
  readonly identifier: number;
  readonly magic: number;
  readonly data: Uint8Array;
}

/** A code this protocol does not define (answered with Code-Reject) or an extension (RFC 1570 Identification...). */
export interface OtherPacket {
  readonly kind: 'other';
  readonly code: number;
  readonly identifier: number;
  readonly data: Uint8Array;
}

export type NcpPacket<O> = ConfPacket<O> | TermPacket | CodeRejPacket | OtherPacket;
export type ControlPacket<O> = NcpPacket<O> | ProtoRejPacket | EchoPacket;

/** An option this codec does not decode: type and value bytes (the octets after Type and Length). */
export interface RawOption {
  readonly kind: 'raw';
  readonly type: number;
  readonly data: Uint8Array;
}

const KIND_BY_CODE: readonly (ControlPacket<unknown>['kind'] | undefined)[] = [
  undefined, 'conf-req', 'conf-ack', 'conf-nak', 'conf-rej', 'term-req', 'term-ack', 'code-rej', 'proto-rej', 'echo-req', 'echo-reply', 'discard-req',
];

const CODE_BY_KIND: Readonly<Record<Exclude<ControlPacket<unknown>['kind'], 'other'>, number>> = {
  'conf-req': 1, 'conf-ack': 2, 'conf-nak': 3, 'conf-rej': 4, 'term-req': 5, 'term-ack': 6, 'code-rej': 7,
  'proto-rej': 8, 'echo-req': 9, 'echo-reply': 10, 'discard-req': 11,
};

/** The Code octet of a packet value. */
export function cpCode(p: ControlPacket<unknown>): number {
  return p.kind === 'other' ? p.code : CODE_BY_KIND[p.kind];
}

/** How one protocol's options are decoded: the part that differs between LCP, IPCP, IPV6CP, CCP. */
export interface OptionCodec<O> {
  /**
   * Decodes one option from its type and value bytes b[start, end); returns a RawOption (a
   * subarray) when it does not know it or the length is wrong. Known fixed-size options are
   * read in place, with no subarray.
   */
  parse(type: number, b: Uint8Array, start: number, end: number): O;
  type(o: O): number;
  /** Octets after Type and Length. */
  dataLength(o: O): number;
  emitData(o: O, buf: Uint8Array, offset: number): void;
}

export const HEADER = { CODE: 0, IDENTIFIER: 1, LENGTH: 2, DATA: 4 } as const;
export const CP_HEADER_LENGTH = 4;

interface Errors {
  truncated: string;
  lengthTooSmall: string;
  lengthExceeds: string;
  optionTruncated: string;
  optionBadLength: string;
  optionOverrun: string;
  echoShort: string;
  protoRejShort: string;
}

/** The header error codes of a protocol's packets (`lcp.truncated-header`...). */
export function errors(name: string): Errors {
  return {
    truncated: `${name}.truncated-header`,
    lengthTooSmall: `${name}.length-below-header`,
    lengthExceeds: `${name}.length-exceeds-frame`,
    optionTruncated: `${name}.truncated-option`,
    optionBadLength: `${name}.option-length-below-2`,
    optionOverrun: `${name}.option-exceeds-packet`,
    echoShort: `${name}.echo-without-magic`,
    protoRejShort: `${name}.protocol-reject-without-protocol`,
  };
}

/**
 * The header every RFC 1661 §5-style packet (LCP, IPCP, CHAP, PAP) opens with: Code,
 * Identifier, Length. Returns the Length when the header is sound (at least 4 and within the
 * frame), or the failure to return.
 */
export function checkCpHeader(b: Uint8Array, e: Pick<Errors, 'truncated' | 'lengthTooSmall' | 'lengthExceeds'>): number | { readonly ok: false; readonly error: WireError } {
  if (b.length < CP_HEADER_LENGTH) return fail(e.truncated, 0);
  const len = u16(b, HEADER.LENGTH);
  if (len < CP_HEADER_LENGTH) return fail(e.lengthTooSmall, HEADER.LENGTH);
  if (len > b.length) return fail(e.lengthExceeds, HEADER.LENGTH);
  return len;
}

/** Writes Code, Identifier and Length of an RFC 1661 §5-style packet at buf[offset]. */
export function writeCpHeader(buf: Uint8Array, offset: number, code: number, identifier: number, length: number): void {
  buf[offset + HEADER.CODE] = code;
  buf[offset + HEADER.IDENTIFIER] = identifier;
  setU16(buf, offset + HEADER.LENGTH, length);
}

function optionsLength<O>(oc: OptionCodec<O>, opts: readonly O[]): number {
  let n = 0;
  for (const o of opts) n += 2 + oc.dataLength(o);
  return n;
}

/** Parses the options list of a Configure-* packet in b[4, end). */
export function parseOptions<O>(oc: OptionCodec<O>, b: Uint8Array, start: number, end: number, e: Errors): Parsed<O[]> {
  const out: O[] = [];
  let o = start;
  while (o < end) {
    if (o + 2 > end) return fail(e.optionTruncated, o);
    const type = b[o]!;
    const len = b[o + 1]!;
    // Length counts Type and Length: below 2 a naive parser would never advance.
    if (len < 2) return fail(e.optionBadLength, o + 1);
    if (o + len > end) return fail(e.optionOverrun, o + 1);
    out.push(oc.parse(type, b, o + 2, o + len));
    o += len;
  }
  return ok(out);
}

/**
 * Whether b[start, end) is a list of whole options: the framing `parseOptions` checks (each
 * option's Length at least 2 and within the list), without building the options. With a codec
 * that takes any option it frames, as LCP's does (an option it does not know, or of an odd
 * length, is kept raw), the two agree: for a proxy LCP AVP kept as its octets.
 */
export function optionListWellFormed(b: Uint8Array, start: number, end: number): boolean {
  let o = start;
  while (o < end) {
    if (o + 2 > end) return false;
    const len = b[o + 1]!;
    if (len < 2 || o + len > end) return false;
    o += len;
  }
  return true;
}

/**
 * Builds the codec of one control protocol. `lcp` adds the LCP-only codes 8..11
 * (Protocol-Reject, Echo-Request/Reply, Discard-Request); for an NCP those codes are
 * "other" and get a Code-Reject. The Length field bounds the packet: octets after it are
 * padding (RFC 1661 §5) and are not part of the value.
 */
export function controlCodec<O>(name: string, oc: OptionCodec<O>, lcp: true): Codec<ControlPacket<O>>;
export function controlCodec<O>(name: string, oc: OptionCodec<O>, lcp: false): Codec<NcpPacket<O>>;
export function controlCodec<O>(name: string, oc: OptionCodec<O>, lcp: boolean): Codec<ControlPacket<O>> {
  const e = errors(name);
  const maxCode = lcp ? CpCode.DISCARD_REQ : CpCode.CODE_REJ;
  return {
    parse(b) {
      const len = checkCpHeader(b, e);
      if (typeof len !== 'number') return len;
      const code = b[HEADER.CODE]!;
      const identifier = b[HEADER.IDENTIFIER]!;
      const kind = code <= maxCode ? KIND_BY_CODE[code] : undefined;
      switch (kind) {
        case 'conf-req':
        case 'conf-ack':
        case 'conf-nak':
        case 'conf-rej': {
          const opts = parseOptions(oc, b, HEADER.DATA, len, e);
          if (!opts.ok) return opts;
          return ok({ kind, identifier, options: opts.value });
        }
        case 'term-req':
        case 'term-ack':
          return ok({ kind, identifier, data: b.subarray(HEADER.DATA, len) });
        case 'code-rej':
          return ok({ kind, identifier, rejected: b.subarray(HEADER.DATA, len) });
        case 'proto-rej':
          if (len < 6) return fail(e.protoRejShort, HEADER.LENGTH);
          return ok({ kind, identifier, protocol: u16(b, 4), data: b.subarray(6, len) });
        case 'echo-req':
        case 'echo-reply':
        case 'discard-req':
          if (len < 8) return fail(e.echoShort, HEADER.LENGTH);
          return ok({ kind, identifier, magic: u32(b, 4), data: b.subarray(8, len) });
        default:
          return ok({ kind: 'other', code, identifier, data: b.subarray(HEADER.DATA, len) });
      }
    },
    encodedLength(p) {
      switch (p.kind) {
        case 'conf-req':
        case 'conf-ack':
        case 'conf-nak':
        case 'conf-rej':
          return 4 + optionsLength(oc, p.options);
        case 'code-rej':
          return 4 + p.rejected.length;
        case 'proto-rej':
          return 6 + p.data.length;
        case 'echo-req':
        case 'echo-reply':
        case 'discard-req':
          return 8 + p.data.length;
        default:
          return 4 + p.data.length;
      }
    },
    emit(p, buf, offset) {
      const len = this.encodedLength(p);
      writeCpHeader(buf, offset, cpCode(p), p.identifier, len);
      const d = offset + HEADER.DATA;
      switch (p.kind) {
        case 'conf-req':
        case 'conf-ack':
        case 'conf-nak':
        case 'conf-rej': {
          let o = d;
          for (const opt of p.options) {
            const dl = oc.dataLength(opt);
            buf[o] = oc.type(opt);
            buf[o + 1] = 2 + dl;
            oc.emitData(opt, buf, o + 2);
            o += 2 + dl;
          }
          break;
        }
        case 'code-rej':
          buf.set(p.rejected, d);
          break;
        case 'proto-rej':
          setU16(buf, d, p.protocol);
          buf.set(p.data, d + 2);
          break;
        case 'echo-req':
        case 'echo-reply':
        case 'discard-req':
          setU32(buf, d, p.magic);
          buf.set(p.data, d + 4);
          break;
        default:
          buf.set(p.data, d);
      }
      return len;
    },
  };
}

// ---- LCP options (RFC 1661 §6, RFC 1994 §3) ------------------------------------------

export const LcpOptionType = {
  MRU: 1,
  ACCM: 2,
  AUTH_PROTOCOL: 3,
  QUALITY_PROTOCOL: 4,
  MAGIC_NUMBER: 5,
  PFC: 7,
  ACFC: 8,
} as const;

/** CHAP algorithm octet in the Auth-Protocol option (RFC 1994 §3; 0x80/0x81 are MS-CHAP). */
export const ChapAlgorithm = { MD5: 5, MSCHAP: 0x80, MSCHAP_V2: 0x81 } as const;

export type LcpOption =
  /** Maximum-Receive-Unit (§6.1). */
  | { readonly kind: 'mru'; readonly mru: number }
  /** Async-Control-Character-Map (RFC 1662 §7.1). */
  | { readonly kind: 'accm'; readonly accm: number }
  /**
   * Authentication-Protocol (§6.2). For CHAP the algorithm octet (RFC 1994 §3) is
   * `algorithm`; octets after that (or after the protocol for others) are `data`.
   */
  | { readonly kind: 'auth'; readonly protocol: number; readonly algorithm?: number; readonly data?: Uint8Array }
  /** Magic-Number (§6.4). */
  | { readonly kind: 'magic'; readonly magic: number }
  /** Protocol-Field-Compression (§6.5). */
  | { readonly kind: 'pfc' }
  /** Address-and-Control-Field-Compression (§6.6). */
  | { readonly kind: 'acfc' }
  | RawOption;

export const lcpOptions: OptionCodec<LcpOption> = {
  parse(type, b, start, end) {
    const n = end - start;
    switch (type) {
      case LcpOptionType.MRU:
        if (n === 2) return { kind: 'mru', mru: u16(b, start) };
        break;
      case LcpOptionType.ACCM:
        if (n === 4) return { kind: 'accm', accm: u32(b, start) };
        break;
      case LcpOptionType.AUTH_PROTOCOL:
        if (n >= 2) {
          const protocol = u16(b, start);
          if (protocol === PppProtocol.CHAP && n >= 3) {
            return n > 3 ? { kind: 'auth', protocol, algorithm: b[start + 2]!, data: b.subarray(start + 3, end) } : { kind: 'auth', protocol, algorithm: b[start + 2]! };
          }
          return n > 2 ? { kind: 'auth', protocol, data: b.subarray(start + 2, end) } : { kind: 'auth', protocol };
        }
        break;
      case LcpOptionType.MAGIC_NUMBER:
        if (n === 4) return { kind: 'magic', magic: u32(b, start) };
        break;
      case LcpOptionType.PFC:
        if (n === 0) return { kind: 'pfc' };
        break;
      case LcpOptionType.ACFC:
        if (n === 0) return { kind: 'acfc' };
        break;
    }
    return { kind: 'raw', type, data: b.subarray(start, end) };
  },
  type(o) {
    switch (o.kind) {
      case 'mru': return LcpOptionType.MRU;
      case 'accm': return LcpOptionType.ACCM;
      case 'auth': return LcpOptionType.AUTH_PROTOCOL;
      case 'magic': return LcpOptionType.MAGIC_NUMBER;
      case 'pfc': return LcpOptionType.PFC;
      case 'acfc': return LcpOptionType.ACFC;
      case 'raw': return o.type;
    }
  },
  dataLength(o) {
    switch (o.kind) {
      case 'mru': return 2;
      case 'accm': case 'magic': return 4;
      case 'auth': return 2 + (o.algorithm === undefined ? 0 : 1) + (o.data?.length ?? 0);
      case 'pfc': case 'acfc': return 0;
      case 'raw': return o.data.length;
    }
  },
  emitData(o, buf, at) {
    switch (o.kind) {
      case 'mru': setU16(buf, at, o.mru); break;
      case 'accm': setU32(buf, at, o.accm); break;
      case 'magic': setU32(buf, at, o.magic); break;
      case 'auth': {
        setU16(buf, at, o.protocol);
        let p = at + 2;
        if (o.algorithm !== undefined) buf[p++] = o.algorithm;
        if (o.data) buf.set(o.data, p);
        break;
      }
      case 'raw': buf.set(o.data, at); break;
      default: break;
    }
  },
};

// ---- IPCP options (RFC 1332 §3, RFC 1877 §1) -----------------------------------------

export const IpcpOptionType = {
  /** IP-Addresses (deprecated, RFC 1172). */
  IP_ADDRESSES: 1,
  IP_COMPRESSION_PROTOCOL: 2,
  IP_ADDRESS: 3,
  PRIMARY_DNS: 129,
  PRIMARY_NBNS: 130,
  SECONDARY_DNS: 131,
  SECONDARY_NBNS: 132,
} as const;

export type IpcpOption =
  /** IP-Address (RFC 1332 §3.3): 0 asks the peer to assign one. */
  | { readonly kind: 'ip-address'; readonly address: number }
  /** Primary-DNS-Server-Address (RFC 1877 §1.1). */
  | { readonly kind: 'primary-dns'; readonly address: number }
  /** Secondary-DNS-Server-Address (RFC 1877 §1.3). */
  | { readonly kind: 'secondary-dns'; readonly address: number }
  | RawOption;

const IPCP_ADDRESS_KINDS = { 3: 'ip-address', 129: 'primary-dns', 131: 'secondary-dns' } as const;

export const ipcpOptions: OptionCodec<IpcpOption> = {
  parse(type, b, start, end) {
    if (end - start === 4 && (type === 3 || type === 129 || type === 131)) return { kind: IPCP_ADDRESS_KINDS[type], address: u32(b, start) };
    return { kind: 'raw', type, data: b.subarray(start, end) };
  },
  type(o) {
    switch (o.kind) {
      case 'ip-address': return IpcpOptionType.IP_ADDRESS;
      case 'primary-dns': return IpcpOptionType.PRIMARY_DNS;
      case 'secondary-dns': return IpcpOptionType.SECONDARY_DNS;
      case 'raw': return o.type;
    }
  },
  dataLength(o) {
    return o.kind === 'raw' ? o.data.length : 4;
  },
  emitData(o, buf, at) {
    if (o.kind === 'raw') buf.set(o.data, at);
    else setU32(buf, at, o.address);
  },
};

// ---- IPV6CP options (RFC 5072 §4) ---------------------------------------------------

export const Ipv6cpOptionType = {
  INTERFACE_IDENTIFIER: 1,
  /** IPv6-Compression-Protocol (RFC 5072 §4.2): kept raw, rejected. */
  IPV6_COMPRESSION_PROTOCOL: 2,
} as const;

export type Ipv6cpOption =
  /** Interface-Identifier (RFC 5072 §4.1): 64 bits, a subarray of the input; all zeros asks the peer for one. */
  | { readonly kind: 'interface-id'; readonly id: Uint8Array }
  | RawOption;

export const ipv6cpOptions: OptionCodec<Ipv6cpOption> = {
  parse(type, b, start, end) {
    if (type === Ipv6cpOptionType.INTERFACE_IDENTIFIER && end - start === 8) return { kind: 'interface-id', id: b.subarray(start, end) };
    return { kind: 'raw', type, data: b.subarray(start, end) };
  },
  type: (o) => (o.kind === 'raw' ? o.type : Ipv6cpOptionType.INTERFACE_IDENTIFIER),
  dataLength: (o) => (o.kind === 'raw' ? o.data.length : 8),
  emitData(o, buf, at) {
    if (o.kind === 'raw') buf.set(o.data, at);
    else buf.set(o.id.subarray(0, 8), at);
  },
};

/** Options that are always kept raw (CCP: we only reject them). */
export const rawOptions: OptionCodec<RawOption> = {
  parse: (type, b, start, end) => ({ kind: 'raw', type, data: b.subarray(start, end) }),
  type: (o) => o.type,
  dataLength: (o) => o.data.length,
  emitData: (o, buf, at) => buf.set(o.data, at),
};

export type LcpPacket = ControlPacket<LcpOption>;
export type IpcpPacket = NcpPacket<IpcpOption>;
export type RawNcpPacket = NcpPacket<RawOption>;
export type Ipv6cpPacket = NcpPacket<Ipv6cpOption>;

export const lcpPacket = controlCodec('lcp', lcpOptions, true);
export const ipcpPacket = controlCodec('ipcp', ipcpOptions, false);
export const ipv6cpPacket = controlCodec('ipv6cp', ipv6cpOptions, false);
export const ccpPacket = controlCodec('ccp', rawOptions, false);

/** The raw option bytes of one option value (for Configure-Reject of a copy, or comparisons). */
export function optionBytes<O>(oc: OptionCodec<O>, o: O): Uint8Array {
  const dl = oc.dataLength(o);
  const b = new Uint8Array(2 + dl);
  b[0] = oc.type(o);
  b[1] = 2 + dl;
  oc.emitData(o, b, 2);
  return b;
}
