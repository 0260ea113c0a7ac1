/**
 * The TCP header (RFC 9293 §3.1), far enough for a router: ports, sequence numbers,
 * flags, window, raw options (kept byte for byte; `parseTcpOptions` walks them) and the
 * payload as a subarray. `clampMss` finds the MSS option (RFC 9293 §3.7.1) in a SYN and
 * lowers it in place, keeping the checksum right with RFC 1624 — no pseudo-header needed.
 */
import { u16, u32, setU16, setU32 } from './bytes.js';
import { fold, incrementalUpdate16, onesSum, pseudoHeaderSum } from './checksum.js';
import { IpProtocol } from './ipv4.js';
import { fail, ok, type Codec, type Parsed } from './result.js';

export const F = {
  SRC_PORT: 0,
  DST_PORT: 2,
  SEQ: 4,
  ACK: 8,
  /** Data Offset (4 bits), reserved (3 bits), then the flag bits. */
  OFFSET_FLAGS: 12,
  WINDOW: 14,
  CHECKSUM: 16,
  URGENT: 18,
  OPTIONS: 20,
} as const;

export const TCP_MIN_HEADER = 20;

/** Control bits (RFC 9293 §3.1; NS is RFC 3540, historic). The upper three are reserved. */
export const TcpFlag = { FIN: 0x001, SYN: 0x002, RST: 0x004, PSH: 0x008, ACK: 0x010, URG: 0x020, ECE: 0x040, CWR: 0x080, NS: 0x100 } as const;

/** Option kinds (IANA "TCP Option Kind Numbers"). */
export const TcpOptionKind = { EOL: 0, NOP: 1, MSS: 2, WSCALE: 3, SACK_PERMITTED: 4, SACK: 5, TIMESTAMPS: 8 } as const;

export interface TcpSegment {
  readonly srcPort: number;
  readonly dstPort: number;
  readonly seq: number;
  readonly ack: number;
  /** The 12 bits after Data Offset: three reserved bits and the TcpFlag bits. */
  readonly flags: number;
  readonly window: number;
  /** Written as given; `fillTcpChecksum` computes it once the segment is in place. */
  readonly checksum: number;
  readonly urgentPointer: number;
  /** Raw option bytes, a multiple of four long (at most 40). */
  readonly options: Uint8Array;
  readonly payload: Uint8Array;
}

export interface TcpOption {
  readonly kind: number;
  readonly data: Uint8Array;
}

export function parseTcp(b: Uint8Array): Parsed<TcpSegment> {
  if (b.length < TCP_MIN_HEADER) return fail('tcp.truncated', 0);
  const of = u16(b, F.OFFSET_FLAGS);
  const hl = (of >>> 12) * 4;
  if (hl < TCP_MIN_HEADER) return fail('tcp.bad-data-offset', F.OFFSET_FLAGS);
  if (hl > b.length) return fail('tcp.truncated-header', F.OFFSET_FLAGS);
  return ok({
    srcPort: u16(b, F.SRC_PORT),
    dstPort: u16(b, F.DST_PORT),
    seq: u32(b, F.SEQ),
    ack: u32(b, F.ACK),
    flags: of & 0x0fff,
    window: u16(b, F.WINDOW),
    checksum: u16(b, F.CHECKSUM),
    urgentPointer: u16(b, F.URGENT),
    options: b.subarray(TCP_MIN_HEADER, hl),
    payload: b.subarray(hl),
  });
}

export function tcpHeaderLength(s: { readonly options: Uint8Array }): number {
  return TCP_MIN_HEADER + ((s.options.length + 3) & ~3);
}

export const tcp: Codec<TcpSegment> = {
  parse: parseTcp,
  encodedLength: (s) => tcpHeaderLength(s) + s.payload.length,
  emit(s, buf, o) {
    const hl = tcpHeaderLength(s);
    setU16(buf, o + F.SRC_PORT, s.srcPort);
    setU16(buf, o + F.DST_PORT, s.dstPort);
    setU32(buf, o + F.SEQ, s.seq);
    setU32(buf, o + F.ACK, s.ack);
    setU16(buf, o + F.OFFSET_FLAGS, ((hl >>> 2) << 12) | (s.flags & 0x0fff));
    setU16(buf, o + F.WINDOW, s.window);
    setU16(buf, o + F.CHECKSUM, s.checksum);
    setU16(buf, o + F.URGENT, s.urgentPointer);
    buf.set(s.options, o + F.OPTIONS);
    buf.fill(0, o + F.OPTIONS + s.options.length, o + hl);
    buf.set(s.payload, o + hl);
    return hl + s.payload.length;
  },
};

/** Walks raw option bytes; stops at EOL. Errors carry the offset within `raw`. */
export function parseTcpOptions(raw: Uint8Array): Parsed<TcpOption[]> {
  const out: TcpOption[] = [];
  let o = 0;
  while (o < raw.length) {
    const kind = raw[o]!;
    if (kind === TcpOptionKind.EOL) break;
    if (kind === TcpOptionKind.NOP) {
      out.push({ kind, data: raw.subarray(o + 1, o + 1) });
      o++;
      continue;
    }
    if (o + 2 > raw.length) return fail('tcp.option-truncated', o);
    const len = raw[o + 1]!;
    if (len < 2) return fail('tcp.option-bad-length', o + 1);
    if (o + len > raw.length) return fail('tcp.option-truncated', o + 1);
    out.push({ kind, data: raw.subarray(o + 2, o + len) });
    o += len;
  }
  return ok(out);
}

/** Encodes options (NOP one octet, others kind, length, data); pads to four with EOL. */
export function encodeTcpOptions(opts: readonly TcpOption[]): Uint8Array {
  let n = 0;
  for (const x of opts) n += x.kind === TcpOptionKind.NOP ? 1 : 2 + x.data.length;
  const out = new Uint8Array((n + 3) & ~3);
  let o = 0;
  for (const x of opts) {
    out[o++] = x.kind;
    if (x.kind === TcpOptionKind.NOP) continue;
    out[o++] = 2 + x.data.length;
    out.set(x.data, o);
    o += x.data.length;
  }
  return out;
}

/**
 * Offset (from the start of `buf`) of the two MSS value octets in the TCP header at
 * `tcpOffset`, or -1 when there is none or the options are malformed. `tcpLength` bounds
 * the header to the bytes that are really there.
 */
export function findMssOption(buf: Uint8Array, tcpOffset: number, tcpLength = buf.length - tcpOffset): number {
  if (tcpLength < TCP_MIN_HEADER) return -1;
  const hl = (buf[tcpOffset + F.OFFSET_FLAGS]! >>> 4) * 4;
  if (hl < TCP_MIN_HEADER || hl > tcpLength) return -1;
  const end = tcpOffset + hl;
  let o = tcpOffset + F.OPTIONS;
  while (o < end) {
    const kind = buf[o]!;
    if (kind === TcpOptionKind.EOL) return -1;
    if (kind === TcpOptionKind.NOP) {
      o++;
      continue;
    }
    if (o + 2 > end) return -1;
    const len = buf[o + 1]!;
    if (len < 2 || o + len > end) return -1;
    if (kind === TcpOptionKind.MSS) return len === 4 ? o + 2 : -1;
    o += len;
  }
  return -1;
}

/**
 * Lowers the MSS option of the segment at `tcpOffset` to `maxMss` when it is larger,
 * in place, updating the TCP checksum incrementally (RFC 1624 eqn. 3; an MSS at an odd
 * offset spans two checksum words and is updated as two). Returns the MSS that was in the
 * segment, or -1 when it has none. Does not look at the SYN flag; the caller does.
 */
export function clampMss(buf: Uint8Array, tcpOffset: number, maxMss: number, tcpLength = buf.length - tcpOffset): number {
  const at = findMssOption(buf, tcpOffset, tcpLength);
  if (at < 0) return -1;
  const old = u16(buf, at);
  if (old <= maxMss) return old;
  const c = tcpOffset + F.CHECKSUM;
  let hc = u16(buf, c);
  if (((at - tcpOffset) & 1) === 0) {
    hc = incrementalUpdate16(hc, old, maxMss);
    setU16(buf, at, maxMss);
  } else {
    // The two octets straddle words (at-1, at) and (at+1, at+2).
    const w1 = u16(buf, at - 1);
    const w2 = u16(buf, at + 1);
    setU16(buf, at, maxMss);
    hc = incrementalUpdate16(hc, w1, u16(buf, at - 1));
    hc = incrementalUpdate16(hc, w2, u16(buf, at + 1));
  }
  setU16(buf, c, hc);
  return old;
}

/** The checksum for the segment at buf[o, o+len) between `src` and `dst`, its checksum field taken as zero. */
export function tcpChecksum(src: number, dst: number, buf: Uint8Array, o: number, len: number): number {
  const head = onesSum(buf, o, o + F.CHECKSUM, pseudoHeaderSum(src, dst, IpProtocol.TCP, len));
  return ~fold(onesSum(buf, o + F.CHECKSUM + 2, o + len, head)) & 0xffff;
}

export function fillTcpChecksum(src: number, dst: number, buf: Uint8Array, o: number, len: number): void {
  setU16(buf, o + F.CHECKSUM, tcpChecksum(src, dst, buf, o, len));
}

export function tcpChecksumOk(src: number, dst: number, buf: Uint8Array, o = 0, len = buf.length - o): boolean {
  return fold(onesSum(buf, o, o + len, pseudoHeaderSum(src, dst, IpProtocol.TCP, len))) === 0xffff;
}
