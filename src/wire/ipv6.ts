/**
 * IPv6 (RFC 8200): the fixed header, and the walk through the extension headers to the
 * upper-layer protocol. `parse` checks version and Payload Length and keeps everything
 * after the fixed header (extension headers included) as one subarray, so any packet
 * re-emits byte for byte. `ipv6Chain(first)` walks the extension headers, bounded
 * (`IPV6_MAX_EXTENSION_HEADERS`): hop-by-hop and destination options as TLVs, the
 * fragment header parsed, routing headers opaque past their type and segments left.
 * Addresses are `Uint8Array(16)`; `ipv6ToString` writes RFC 5952 text.
 */
import { u16, u32, setU16, setU32 } from './bytes.js';
import { fail, ok, type Codec, type Parsed } from './result.js';

/** Field offsets of the fixed header (RFC 8200 §3). */
export const F = {
  /** Version (4 bits), Traffic Class (8 bits), Flow Label (20 bits). */
  VER_TC_FLOW: 0,
  PAYLOAD_LENGTH: 4,
  NEXT_HEADER: 6,
  HOP_LIMIT: 7,
  SRC: 8,
  DST: 24,
  PAYLOAD: 40,
} as const;

export const IPV6_HEADER_LENGTH = 40;
/** The minimum link MTU every IPv6 link must carry (RFC 8200 §5). */
export const IPV6_MIN_MTU = 1280;

/** Next Header values (IANA "Assigned Internet Protocol Numbers"). Unknown values are kept. */
export const NextHeader = {
  HOP_BY_HOP: 0,
  TCP: 6,
  UDP: 17,
  ROUTING: 43,
  FRAGMENT: 44,
  ESP: 50,
  AH: 51,
  ICMPV6: 58,
  NO_NEXT_HEADER: 59,
  DESTINATION: 60,
} as const;

export interface Ipv6Packet {
  /** Traffic Class (RFC 8200 §7): DSCP in the upper six bits, ECN in the lower two. */
  readonly trafficClass: number;
  /** Flow Label (RFC 6437), 20 bits. */
  readonly flowLabel: number;
  /** The type of the header after the fixed one: an extension header or the upper layer. */
  readonly nextHeader: number;
  readonly hopLimit: number;
  readonly src: Uint8Array;
  readonly dst: Uint8Array;
  /** Everything after the fixed header up to Payload Length: extension headers and upper-layer data. */
  readonly payload: Uint8Array;
}

/**
 * Parses the fixed header. Payload Length bounds the payload (link padding after it is
 * not IPv6's). A zero Payload Length is taken literally: jumbograms (RFC 2675) are not
 * supported, and a zero-length payload is what a packet with No Next Header may carry.
 */
export function parseIpv6(b: Uint8Array): Parsed<Ipv6Packet> {
  if (b.length < IPV6_HEADER_LENGTH) return fail('ipv6.truncated', 0);
  const w = u32(b, F.VER_TC_FLOW);
  if (w >>> 28 !== 6) return fail('ipv6.bad-version', F.VER_TC_FLOW);
  const plen = u16(b, F.PAYLOAD_LENGTH);
  if (IPV6_HEADER_LENGTH + plen > b.length) return fail('ipv6.truncated', F.PAYLOAD_LENGTH);
  return ok({
    trafficClass: (w >>> 20) & 0xff,
    flowLabel: w & 0xfffff,
    nextHeader: b[F.NEXT_HEADER]!,
    hopLimit: b[F.HOP_LIMIT]!,
    src: b.subarray(F.SRC, F.SRC + 16),
    dst: b.subarray(F.DST, F.DST + 16),
    payload: b.subarray(F.PAYLOAD, F.PAYLOAD + plen),
  });
}

/** Writes the fixed header for a payload of `payloadLength` octets at buf[o]. */
export function emitIpv6Header(p: Omit<Ipv6Packet, 'payload'>, payloadLength: number, buf: Uint8Array, o: number): void {
  setU32(buf, o + F.VER_TC_FLOW, ((6 * 0x10000000) + ((p.trafficClass & 0xff) << 20) + (p.flowLabel & 0xfffff)) >>> 0);
  setU16(buf, o + F.PAYLOAD_LENGTH, payloadLength);
  buf[o + F.NEXT_HEADER] = p.nextHeader;
  buf[o + F.HOP_LIMIT] = p.hopLimit;
  buf.set(p.src, o + F.SRC);
  buf.set(p.dst, o + F.DST);
}

export const ipv6: Codec<Ipv6Packet> = {
  parse: parseIpv6,
  encodedLength: (p) => IPV6_HEADER_LENGTH + p.payload.length,
  emit(p, buf, o) {
    emitIpv6Header(p, p.payload.length, buf, o);
    buf.set(p.payload, o + F.PAYLOAD);
    return IPV6_HEADER_LENGTH + p.payload.length;
  },
};

// ---- extension headers (RFC 8200 §4) --------------------------------------------------

/**
 * How many extension headers a walk reads before it gives up with
 * `ipv6.too-many-extension-headers`. RFC 8200 §4.1 recommends at most one of each kind
 * (two destination options), six or seven in all; eight leaves room and still bounds the
 * work a peer can make us do.
 */
export const IPV6_MAX_EXTENSION_HEADERS = 8;

/** One option of a hop-by-hop or destination options header (RFC 8200 §4.2). Pad1 is type 0 with empty data. */
export interface Ipv6TlvOption {
  readonly type: number;
  readonly data: Uint8Array;
}

/** Option types with a meaning to the walk (RFC 8200 §4.2, RFC 2711, RFC 2675). */
export const Ipv6OptionType = { PAD1: 0, PADN: 1, JUMBO: 0xc2, ROUTER_ALERT: 5 } as const;

/** Hop-by-Hop Options (§4.3) or Destination Options (§4.6). */
export interface Ipv6OptionsHeader {
  readonly kind: 'hop-by-hop' | 'destination';
  readonly nextHeader: number;
  /** Every TLV, padding included, so the header re-emits byte for byte. */
  readonly options: readonly Ipv6TlvOption[];
}

/** Routing header (§4.4): kept opaque past Routing Type and Segments Left. */
export interface Ipv6RoutingHeader {
  readonly kind: 'routing';
  readonly nextHeader: number;
  readonly routingType: number;
  readonly segmentsLeft: number;
  /** The type-specific data (octets 4.. of the header). */
  readonly data: Uint8Array;
}

/** Fragment header (§4.5). */
export interface Ipv6FragmentHeader {
  readonly kind: 'fragment';
  readonly nextHeader: number;
  /** Octet 1, reserved: kept as received. */
  readonly reserved: number;
  /** Fragment Offset in 8-octet units (13 bits). */
  readonly fragmentOffset: number;
  /** The two reserved bits between the offset and M. */
  readonly res: number;
  /** M flag: more fragments follow. */
  readonly more: boolean;
  readonly identification: number;
}

/** An extension header with the common 8-octet-unit length the walk cannot read further (RFC 6564), or AH (RFC 4302, 4-octet units). */
export interface Ipv6OtherHeader {
  readonly kind: 'other';
  /** The Next Header value that named this header. */
  readonly type: number;
  readonly nextHeader: number;
  /** Octets 2.. of the header. */
  readonly data: Uint8Array;
}

export type Ipv6Extension = Ipv6OptionsHeader | Ipv6RoutingHeader | Ipv6FragmentHeader | Ipv6OtherHeader;

/** The extension headers of a packet and the upper-layer data after them. */
export interface Ipv6Chain {
  readonly headers: readonly Ipv6Extension[];
  /** The upper-layer bytes (after the last extension header), a subarray. */
  readonly upper: Uint8Array;
}

/** The Next Header values the walk steps over. ESP (50) is not: what follows it is encrypted. */
export function isExtensionHeader(t: number): boolean {
  return t === NextHeader.HOP_BY_HOP || t === NextHeader.ROUTING || t === NextHeader.FRAGMENT ||
    t === NextHeader.DESTINATION || t === NextHeader.AH || t === 135 /* Mobility */ || t === 139 /* HIP */ ||
    t === 140 /* Shim6 */ || t === 253 || t === 254;
}

/** The Next Header value that names `h` (for the header before it). */
export function extensionType(h: Ipv6Extension): number {
  switch (h.kind) {
    case 'hop-by-hop': return NextHeader.HOP_BY_HOP;
    case 'destination': return NextHeader.DESTINATION;
    case 'routing': return NextHeader.ROUTING;
    case 'fragment': return NextHeader.FRAGMENT;
    case 'other': return h.type;
  }
}

const EXT = { NEXT_HEADER: 0, HDR_EXT_LEN: 1, ROUTING_TYPE: 2, SEGMENTS_LEFT: 3, ROUTING_DATA: 4, FRAG_RESERVED: 1, FRAG_OFFSET: 2, FRAG_ID: 4 } as const;
const FRAGMENT_HEADER_LENGTH = 8;

function parseTlvs(b: Uint8Array, start: number, end: number): Parsed<Ipv6TlvOption[]> {
  const out: Ipv6TlvOption[] = [];
  let o = start;
  while (o < end) {
    const type = b[o]!;
    if (type === Ipv6OptionType.PAD1) {
      out.push({ type, data: b.subarray(o + 1, o + 1) });
      o += 1;
      continue;
    }
    if (o + 2 > end) return fail('ipv6.option-truncated', o);
    const len = b[o + 1]!;
    if (o + 2 + len > end) return fail('ipv6.option-exceeds-header', o + 1);
    out.push({ type, data: b.subarray(o + 2, o + 2 + len) });
    o += 2 + len;
  }
  return ok(out);
}

function tlvsLength(opts: readonly Ipv6TlvOption[]): number {
  let n = 0;
  for (const t of opts) n += t.type === Ipv6OptionType.PAD1 ? 1 : 2 + t.data.length;
  return n;
}

/** Octets the header takes on the wire. */
export function extensionLength(h: Ipv6Extension): number {
  switch (h.kind) {
    case 'hop-by-hop':
    case 'destination':
      return 2 + tlvsLength(h.options);
    case 'routing':
      return 4 + h.data.length;
    case 'fragment':
      return FRAGMENT_HEADER_LENGTH;
    case 'other':
      return 2 + h.data.length;
  }
}

/** Parses the extension header of type `type` at the start of `b`. */
export function parseExtension(type: number, b: Uint8Array, first = true): Parsed<Ipv6Extension> {
  if (b.length < 2) return fail('ipv6.extension-truncated', 0);
  const nextHeader = b[EXT.NEXT_HEADER]!;
  if (type === NextHeader.FRAGMENT) {
    if (b.length < FRAGMENT_HEADER_LENGTH) return fail('ipv6.extension-truncated', 0);
    const w = u16(b, EXT.FRAG_OFFSET);
    return ok({ kind: 'fragment', nextHeader, reserved: b[EXT.FRAG_RESERVED]!, fragmentOffset: w >>> 3, res: (w >>> 1) & 3, more: (w & 1) === 1, identification: u32(b, EXT.FRAG_ID) });
  }
  // AH counts 4-octet units minus 2 (RFC 4302 §2.2); every other one 8-octet units minus 1 (RFC 6564).
  const len = type === NextHeader.AH ? (b[EXT.HDR_EXT_LEN]! + 2) * 4 : (b[EXT.HDR_EXT_LEN]! + 1) * 8;
  if (len > b.length) return fail('ipv6.extension-truncated', EXT.HDR_EXT_LEN);
  if (type === NextHeader.HOP_BY_HOP || type === NextHeader.DESTINATION) {
    // RFC 8200 §4.1: Hop-by-Hop Options only immediately after the IPv6 header.
    if (type === NextHeader.HOP_BY_HOP && !first) return fail('ipv6.hop-by-hop-not-first', 0);
    const t = parseTlvs(b, 2, len);
    if (!t.ok) return t;
    return ok({ kind: type === NextHeader.HOP_BY_HOP ? 'hop-by-hop' : 'destination', nextHeader, options: t.value });
  }
  if (type === NextHeader.ROUTING) {
    return ok({ kind: 'routing', nextHeader, routingType: b[EXT.ROUTING_TYPE]!, segmentsLeft: b[EXT.SEGMENTS_LEFT]!, data: b.subarray(EXT.ROUTING_DATA, len) });
  }
  return ok({ kind: 'other', type, nextHeader, data: b.subarray(2, len) });
}

/**
 * Writes one extension header. The Hdr Ext Len is derived from the content, which must
 * fill whole units (8 octets, 4 for AH): an emitter given a header it cannot encode throws
 * (API misuse; parsed headers always can).
 */
export function emitExtension(h: Ipv6Extension, buf: Uint8Array, o: number): number {
  const len = extensionLength(h);
  buf[o + EXT.NEXT_HEADER] = h.nextHeader;
  if (h.kind === 'fragment') {
    buf[o + EXT.FRAG_RESERVED] = h.reserved;
    setU16(buf, o + EXT.FRAG_OFFSET, ((h.fragmentOffset & 0x1fff) << 3) | ((h.res & 3) << 1) | (h.more ? 1 : 0));
    setU32(buf, o + EXT.FRAG_ID, h.identification);
    return len;
  }
  const ah = h.kind === 'other' && h.type === NextHeader.AH;
  const unit = ah ? 4 : 8;
  if (len % unit !== 0 || len < 8) throw new Error(`ipv6: ${h.kind} header of ${len} octets is not a whole number of ${unit}-octet units`);
  buf[o + EXT.HDR_EXT_LEN] = ah ? len / 4 - 2 : len / 8 - 1;
  switch (h.kind) {
    case 'hop-by-hop':
    case 'destination': {
      let p = o + 2;
      for (const t of h.options) {
        buf[p++] = t.type;
        if (t.type === Ipv6OptionType.PAD1) continue;
        buf[p++] = t.data.length;
        buf.set(t.data, p);
        p += t.data.length;
      }
      break;
    }
    case 'routing':
      buf[o + EXT.ROUTING_TYPE] = h.routingType;
      buf[o + EXT.SEGMENTS_LEFT] = h.segmentsLeft;
      buf.set(h.data, o + EXT.ROUTING_DATA);
      break;
    case 'other':
      buf.set(h.data, o + 2);
      break;
  }
  return len;
}

/** Where the walk ended: the upper-layer protocol and its offset in the walked bytes. */
export interface Ipv6Upper {
  /** The Next Header of the last extension header (or of the fixed header when there is none). */
  readonly protocol: number;
  /** Offset of the upper-layer data in the bytes walked (the IPv6 payload). */
  readonly offset: number;
  /**
   * The first fragment header met, if any. With a non-zero offset the bytes after it are
   * not the start of the upper-layer packet (reassembly is the caller's business).
   */
  readonly fragment?: Ipv6FragmentHeader;
}

/**
 * Walks the extension headers of an IPv6 payload whose first header is `first`, reading
 * at most `limit` of them, and finds the upper-layer protocol. Stops at the first header
 * that is not an extension header, at No Next Header, at ESP, and after a fragment header
 * with a non-zero offset (what follows is the middle of a packet).
 */
export function walkIpv6(first: number, payload: Uint8Array, limit = IPV6_MAX_EXTENSION_HEADERS, headers?: Ipv6Extension[]): Parsed<Ipv6Upper> {
  let type = first;
  let o = 0;
  let n = 0;
  let fragment: Ipv6FragmentHeader | undefined;
  while (isExtensionHeader(type)) {
    if (n === limit) return fail('ipv6.too-many-extension-headers', o);
    const h = parseExtension(type, payload.subarray(o), n === 0);
    if (!h.ok) return fail(h.error.code, o + h.error.offset);
    headers?.push(h.value);
    n++;
    o += extensionLength(h.value);
    type = h.value.nextHeader;
    if (h.value.kind === 'fragment') {
      fragment ??= h.value;
      if (h.value.fragmentOffset !== 0) break;
    }
  }
  return ok(fragment ? { protocol: type, offset: o, fragment } : { protocol: type, offset: o });
}

/** The upper layer of a parsed packet: protocol, offset in `p.payload`, and the data. */
export function ipv6UpperLayer(p: Ipv6Packet, limit = IPV6_MAX_EXTENSION_HEADERS): Parsed<Ipv6Upper & { readonly data: Uint8Array }> {
  const w = walkIpv6(p.nextHeader, p.payload, limit);
  if (!w.ok) return w;
  const { protocol, offset, fragment } = w.value;
  const data = p.payload.subarray(offset);
  return ok(fragment ? { protocol, offset, fragment, data } : { protocol, offset, data });
}

/**
 * The codec of an extension-header chain whose first header is `first` (the fixed
 * header's Next Header): the headers as values and the upper-layer bytes after them.
 */
export function ipv6Chain(first: number, limit = IPV6_MAX_EXTENSION_HEADERS): Codec<Ipv6Chain> {
  return {
    parse(b) {
      const headers: Ipv6Extension[] = [];
      const w = walkIpv6(first, b, limit, headers);
      if (!w.ok) return w;
      return ok({ headers, upper: b.subarray(w.value.offset) });
    },
    encodedLength(c) {
      let n = c.upper.length;
      for (const h of c.headers) n += extensionLength(h);
      return n;
    },
    emit(c, buf, offset) {
      let o = offset;
      for (const h of c.headers) o += emitExtension(h, buf, o);
      buf.set(c.upper, o);
      return o + c.upper.length - offset;
    },
  };
}

// ---- addresses ------------------------------------------------------------------------

/** RFC 5952 text: lower case, leading zeros dropped, the longest run (two or more) of zero groups as "::". */
export function ipv6ToString(a: Uint8Array, o = 0): string {
  const g: number[] = [];
  for (let i = 0; i < 8; i++) g.push(u16(a, o + 2 * i));
  let bestAt = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      bestAt = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hexs = g.map((x) => x.toString(16));
  if (bestAt < 0) return hexs.join(':');
  return `${hexs.slice(0, bestAt).join(':')}::${hexs.slice(bestAt + bestLen).join(':')}`;
}

/**
 * A peer's (or an operator's) IPv6 text, strictly: eight groups of one to four hex digits,
 * at most one "::", an embedded dotted quad in the last 32 bits allowed. Never throws:
 * undefined for anything else (zone ids, prefixes, brackets).
 */
export function parseIpv6Address(s: string): Uint8Array | undefined {
  if (s.length > 45 || s.length < 2) return undefined;
  let head = s;
  let v4: number[] | undefined;
  const lastColon = s.lastIndexOf(':');
  if (lastColon >= 0 && s.indexOf('.', lastColon) > 0) {
    const m = /^(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})$/.exec(s.slice(lastColon + 1));
    if (!m) return undefined;
    v4 = m.slice(1).map(Number);
    if (v4.some((x) => x > 255)) return undefined;
    head = s.slice(0, lastColon + 1) + '0:0';
  }
  const dbl = head.indexOf('::');
  if (dbl >= 0 && head.indexOf('::', dbl + 1) >= 0) return undefined;
  const split = (t: string): string[] => (t === '' ? [] : t.split(':'));
  const left = dbl >= 0 ? split(head.slice(0, dbl)) : split(head);
  const right = dbl >= 0 ? split(head.slice(dbl + 2)) : [];
  const groups = left.length + right.length;
  if (dbl >= 0 ? groups > 7 : groups !== 8) return undefined;
  const all = [...left, ...Array<string>(8 - groups).fill('0'), ...right];
  const out = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    const p = all[i]!;
    if (!/^[0-9a-fA-F]{1,4}$/.test(p)) return undefined;
    setU16(out, 2 * i, parseInt(p, 16));
  }
  if (v4) out.set(v4, 12);
  return out;
}

/** Configuration's IPv6 text; throws on a bad one (API misuse). Peer values go through `parseIpv6Address`. */
export function ipv6FromString(s: string): Uint8Array {
  const a = parseIpv6Address(s);
  if (!a) throw new Error(`bad IPv6 address "${s}"`);
  return a;
}

/** The link-local address fe80::/64 + a 64-bit interface identifier (RFC 4291 §2.5.6, RFC 5072 §5). */
export function linkLocalAddress(interfaceId: Uint8Array): Uint8Array {
  const a = new Uint8Array(16);
  a[0] = 0xfe;
  a[1] = 0x80;
  a.set(interfaceId.subarray(0, 8), 8);
  return a;
}

/** True for ff00::/8 (RFC 4291 §2.7). */
export function isIpv6Multicast(a: Uint8Array, o = 0): boolean {
  return a[o] === 0xff;
}

/** The solicited-node multicast address ff02::1:ffXX:XXXX of `a` (RFC 4291 §2.7.1). */
export function solicitedNodeAddress(a: Uint8Array): Uint8Array {
  const m = new Uint8Array(16);
  m[0] = 0xff;
  m[1] = 0x02;
  m[11] = 0x01;
  m[12] = 0xff;
  m.set(a.subarray(13, 16), 13);
  return m;
}
