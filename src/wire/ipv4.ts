/**
 * IPv4 (RFC 791). `parse` checks version, header length and total length, keeps the
 * options as raw bytes (re-emitted byte for byte; `parseIpv4Options` walks them) and
 * returns the payload as a subarray ending at Total Length (link padding excluded). It
 * does not judge the header checksum; `ipv4HeaderChecksumOk` does, so a router can count
 * bad checksums. `ttlDecrement` is the data-path operation: in place, RFC 1624.
 */
import { ipv4FromString, u16, u32, setU16, setU32 } from './bytes.js';
import { incrementalUpdate16, internetChecksum } from './checksum.js';
import { fail, ok, type Codec, type Parsed } from './result.js';

/** Field offsets in the header (RFC 791 §3.1). */
export const F = {
  VER_IHL: 0,
  TOS: 1,
  TOTAL_LENGTH: 2,
  IDENTIFICATION: 4,
  FLAGS_FRAGMENT: 6,
  TTL: 8,
  PROTOCOL: 9,
  CHECKSUM: 10,
  SRC: 12,
  DST: 16,
  OPTIONS: 20,
} as const;

export const IPV4_MIN_HEADER = 20;
export const IPV4_MAX_HEADER = 60;

/** The three flag bits (RFC 791 §3.1 "Flags"); bit 0 is reserved (must be zero). */
export const Ipv4Flag = { RESERVED: 0b100, DF: 0b010, MF: 0b001 } as const;

/** Protocol numbers (IANA "Assigned Internet Protocol Numbers"). Unknown values are kept. */
export const IpProtocol = { ICMP: 1, TCP: 6, UDP: 17 } as const;

/** IPv4 option types (RFC 791 §3.1, IANA "IP Option Numbers"). The top bit is the copied flag. */
export const Ipv4OptionType = { EOOL: 0, NOP: 1, RR: 7, TS: 68, LSRR: 131, SSRR: 137, RA: 148 } as const;

export interface Ipv4Packet {
  /** DSCP (RFC 2474), the upper six bits of the old TOS byte. */
  readonly dscp: number;
  /** ECN (RFC 3168), the lower two bits. */
  readonly ecn: number;
  readonly identification: number;
  /** Ipv4Flag bits: RESERVED | DF | MF. */
  readonly flags: number;
  /** In 8-octet units, as on the wire. */
  readonly fragmentOffset: number;
  readonly ttl: number;
  readonly protocol: number;
  /**
   * Header checksum as received. `emit` writes this value when given, and computes the
   * checksum when it is undefined (the normal case when building a packet).
   */
  readonly checksum?: number | undefined;
  readonly src: number;
  readonly dst: number;
  /** Raw option bytes (length a multiple of 4, at most 40). */
  readonly options: Uint8Array;
  readonly payload: Uint8Array;
}

/** One IPv4 option. EOOL and NOP have empty data. `data` excludes type and length octets. */
export interface Ipv4Option {
  readonly type: number;
  readonly data: Uint8Array;
}

export function parseIpv4(b: Uint8Array): Parsed<Ipv4Packet> {
  if (b.length < IPV4_MIN_HEADER) return fail('ipv4.truncated', 0);
  const vi = b[F.VER_IHL]!;
  if (vi >>> 4 !== 4) return fail('ipv4.bad-version', F.VER_IHL);
  const hl = (vi & 0x0f) * 4;
  if (hl < IPV4_MIN_HEADER) return fail('ipv4.bad-header-length', F.VER_IHL);
  if (hl > b.length) return fail('ipv4.truncated-header', F.VER_IHL);
  const total = u16(b, F.TOTAL_LENGTH);
  if (total < hl) return fail('ipv4.bad-total-length', F.TOTAL_LENGTH);
  if (total > b.length) return fail('ipv4.truncated', F.TOTAL_LENGTH);
  const ff = u16(b, F.FLAGS_FRAGMENT);
  const tos = b[F.TOS]!;
  return ok({
    dscp: tos >>> 2,
    ecn: tos & 3,
    identification: u16(b, F.IDENTIFICATION),
    flags: ff >>> 13,
    fragmentOffset: ff & 0x1fff,
    ttl: b[F.TTL]!,
    protocol: b[F.PROTOCOL]!,
    checksum: u16(b, F.CHECKSUM),
    src: u32(b, F.SRC),
    dst: u32(b, F.DST),
    options: b.subarray(IPV4_MIN_HEADER, hl),
    payload: b.subarray(hl, total),
  });
}

/** Header length of a value: 20 + options padded to a multiple of four. */
export function ipv4HeaderLength(p: { readonly options: Uint8Array }): number {
  return IPV4_MIN_HEADER + ((p.options.length + 3) & ~3);
}

/**
 * Writes the header for `p` at `o`, with Total Length = header + `payloadLength`, and the
 * checksum (computed unless `p.checksum` is given). Returns the header length.
 */
export function emitIpv4Header(p: Ipv4Packet, payloadLength: number, buf: Uint8Array, o: number): number {
  const hl = ipv4HeaderLength(p);
  buf[o + F.VER_IHL] = 0x40 | (hl >>> 2);
  buf[o + F.TOS] = ((p.dscp & 0x3f) << 2) | (p.ecn & 3);
  setU16(buf, o + F.TOTAL_LENGTH, hl + payloadLength);
  setU16(buf, o + F.IDENTIFICATION, p.identification);
  setU16(buf, o + F.FLAGS_FRAGMENT, ((p.flags & 7) << 13) | (p.fragmentOffset & 0x1fff));
  buf[o + F.TTL] = p.ttl;
  buf[o + F.PROTOCOL] = p.protocol;
  setU16(buf, o + F.CHECKSUM, 0);
  setU32(buf, o + F.SRC, p.src);
  setU32(buf, o + F.DST, p.dst);
  if (p.options.length > 0) {
    buf.set(p.options, o + F.OPTIONS);
    // Pad options with EOOL (zero) to the 32-bit boundary (RFC 791 "Padding").
    buf.fill(0, o + F.OPTIONS + p.options.length, o + hl);
  }
  setU16(buf, o + F.CHECKSUM, p.checksum ?? internetChecksum(buf, o, o + hl));
  return hl;
}

export const ipv4: Codec<Ipv4Packet> = {
  parse: parseIpv4,
  encodedLength: (p) => ipv4HeaderLength(p) + p.payload.length,
  emit(p, buf, o) {
    const hl = emitIpv4Header(p, p.payload.length, buf, o);
    buf.set(p.payload, o + hl);
    return hl + p.payload.length;
  },
};

/** True when the header at `o` (its length from IHL) sums to zero. The caller has checked the length. */
export function ipv4HeaderChecksumOk(buf: Uint8Array, o = 0): boolean {
  const hl = (buf[o]! & 0x0f) * 4;
  return internetChecksum(buf, o, o + hl) === 0;
}

/**
 * Decrements TTL of the IPv4 header at `ipOffset` in place and updates the header
 * checksum with RFC 1624 eqn. 3 over the TTL/Protocol word. Returns the new TTL. The
 * caller checks TTL > 1 first (a router never forwards TTL 0).
 */
export function ttlDecrement(buf: Uint8Array, ipOffset: number): number {
  const at = ipOffset + F.TTL;
  const ttl = buf[at]!;
  const oldWord = (ttl << 8) | buf[at + 1]!;
  const newTtl = (ttl - 1) & 0xff;
  buf[at] = newTtl;
  const c = ipOffset + F.CHECKSUM;
  const hc = incrementalUpdate16((buf[c]! << 8) | buf[c + 1]!, oldWord, (newTtl << 8) | buf[at + 1]!);
  buf[c] = hc >>> 8;
  buf[c + 1] = hc & 0xff;
  return newTtl;
}

/** Walks raw option bytes. Stops at EOOL (the rest is padding). Errors carry the offset within `raw`. */
export function parseIpv4Options(raw: Uint8Array): Parsed<Ipv4Option[]> {
  const out: Ipv4Option[] = [];
  let o = 0;
  while (o < raw.length) {
    const type = raw[o]!;
    if (type === Ipv4OptionType.EOOL) {
      out.push({ type, data: raw.subarray(o + 1, o + 1) });
      break;
    }
    if (type === Ipv4OptionType.NOP) {
      out.push({ type, data: raw.subarray(o + 1, o + 1) });
      o++;
      continue;
    }
    if (o + 2 > raw.length) return fail('ipv4.option-truncated', o);
    const len = raw[o + 1]!;
    if (len < 2) return fail('ipv4.option-bad-length', o + 1);
    if (o + len > raw.length) return fail('ipv4.option-truncated', o + 1);
    out.push({ type, data: raw.subarray(o + 2, o + len) });
    o += len;
  }
  return ok(out);
}

/** Encodes options back to raw bytes (EOOL/NOP as one octet, others type, length, data). */
export function encodeIpv4Options(opts: readonly Ipv4Option[]): Uint8Array {
  let n = 0;
  for (const x of opts) n += x.type <= 1 ? 1 : 2 + x.data.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const x of opts) {
    out[o++] = x.type;
    if (x.type <= 1) continue;
    out[o++] = 2 + x.data.length;
    out.set(x.data, o);
    o += x.data.length;
  }
  return out;
}

/** RFC 791: options with the copied flag set go into every fragment; the others only into the first. */
export function optionIsCopied(type: number): boolean {
  return (type & 0x80) !== 0;
}

/** The 32-bit network mask of a prefix length. */
export function prefixMask(len: number): number {
  return len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
}

/** "a.b.c.d/len" → [address, len]. Throws on bad input (configuration, not wire input). */
export function parseCidr(s: string): [number, number] {
  const m = /^(.+)\/(\d{1,2})$/.exec(s);
  if (!m || Number(m[2]) > 32) throw new Error(`bad IPv4 prefix "${s}"`);
  return [ipv4FromString(m[1]!), Number(m[2])];
}

/**
 * RFC 791 fragmentation of the packet at buf[o, o+Total Length) for a link of `mtu`:
 * options with the copied flag go into every fragment, the others only into the first;
 * a fragment of a fragment keeps the original offset and MF on its last piece. Each
 * fragment is a fresh buffer with `headroom` free bytes in front of its IP header.
 * Returns [] when the MTU cannot hold the header and 8 octets of data.
 */
export function fragmentIpv4(buf: Uint8Array, o: number, mtu: number, headroom = 0): Uint8Array[] {
  const hl = (buf[o]! & 0x0f) * 4;
  const total = u16(buf, o + F.TOTAL_LENGTH);
  const ff = u16(buf, o + F.FLAGS_FRAGMENT);
  const baseOffset = ff & 0x1fff;
  const keep = ff & 0x8000; // the reserved bit, passed on as received
  const lastMf = ff & 0x2000;
  const opts = buf.subarray(o + IPV4_MIN_HEADER, o + hl);
  let later = new Uint8Array(0);
  if (opts.length) {
    const parsed = parseIpv4Options(opts);
    if (parsed.ok) {
      const raw = encodeIpv4Options(parsed.value.filter((x) => optionIsCopied(x.type)));
      later = new Uint8Array((raw.length + 3) & ~3);
      later.set(raw);
    }
  }
  if (((mtu - hl) & ~7) <= 0 || ((mtu - IPV4_MIN_HEADER - later.length) & ~7) <= 0) return [];
  const data = buf.subarray(o + hl, o + total);
  const out: Uint8Array[] = [];
  let off = 0;
  do {
    const first = off === 0;
    const fhl = first ? hl : IPV4_MIN_HEADER + later.length;
    const rest = data.length - off;
    // The last piece need not be a multiple of 8; every other one must.
    const n = fhl + rest <= mtu ? rest : (mtu - fhl) & ~7;
    const last = off + n >= data.length;
    const f = new Uint8Array(headroom + fhl + n);
    const h = headroom;
    f.set(buf.subarray(o, o + IPV4_MIN_HEADER), h);
    f.set(first ? opts : later, h + IPV4_MIN_HEADER);
    f[h] = 0x40 | (fhl >>> 2);
    setU16(f, h + F.TOTAL_LENGTH, fhl + n);
    setU16(f, h + F.FLAGS_FRAGMENT, keep | (last ? lastMf : 0x2000) | (baseOffset + (off >>> 3)));
    setU16(f, h + F.CHECKSUM, 0);
    setU16(f, h + F.CHECKSUM, internetChecksum(f, h, h + fhl));
    f.set(data.subarray(off, off + n), h + fhl);
    out.push(f);
    off += n;
  } while (off < data.length);
  return out;
}
