/**
 * Capture files: a reader for classic pcap (both byte orders, µs and ns) and pcapng
 * (SHB / IDB / EPB / SPB, either byte order), and a pcapng writer with one interface
 * per link. Timestamps are milliseconds (float) from whatever clock the caller uses,
 * written with microsecond resolution. The reader returns packet data as subarrays.
 */
import { fail, ok, type Parsed } from './result.js';

/** LINKTYPE_* values from tcpdump.org's link-layer header types registry. */
export const enum LinkType {
  ETHERNET = 1,
  RAW = 101,
  PPP = 9,
  NULL = 0,
}

export interface CapturedPacket {
  /** Milliseconds since the epoch of the capture's clock. */
  readonly timestampMs: number;
  readonly linkType: number;
  /** Index of the interface (pcapng), 0 for classic pcap. */
  readonly interfaceId: number;
  /** The captured bytes (a subarray of the file). */
  readonly data: Uint8Array;
  /** Original length on the wire. */
  readonly originalLength: number;
}

export interface Capture {
  readonly format: 'pcap' | 'pcapng';
  readonly interfaces: readonly { linkType: number; name?: string }[];
  readonly packets: readonly CapturedPacket[];
}

function dv(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

export function parseCapture(b: Uint8Array): Parsed<Capture> {
  if (b.length < 4) return fail('pcap.truncated', 0);
  const magicBE = dv(b).getUint32(0, false);
  if (magicBE === 0x0a0d0d0a) return parsePcapng(b);
  return parsePcap(b);
}

function parsePcap(b: Uint8Array): Parsed<Capture> {
  if (b.length < 24) return fail('pcap.truncated', 0);
  const v = dv(b);
  const m = v.getUint32(0, true);
  let le: boolean;
  let nanos: boolean;
  if (m === 0xa1b2c3d4) [le, nanos] = [true, false];
  else if (m === 0xa1b23c4d) [le, nanos] = [true, true];
  else if (m === 0xd4c3b2a1) [le, nanos] = [false, false];
  else if (m === 0x4d3cb2a1) [le, nanos] = [false, true];
  else return fail('pcap.bad-magic', 0);
  const linkType = v.getUint32(20, le) & 0x0fffffff;
  const packets: CapturedPacket[] = [];
  let o = 24;
  while (o < b.length) {
    if (o + 16 > b.length) return fail('pcap.truncated-record', o);
    const sec = v.getUint32(o, le);
    const frac = v.getUint32(o + 4, le);
    const incl = v.getUint32(o + 8, le);
    const orig = v.getUint32(o + 12, le);
    if (o + 16 + incl > b.length) return fail('pcap.truncated-record', o);
    packets.push({
      timestampMs: sec * 1000 + (nanos ? frac / 1e6 : frac / 1e3),
      linkType,
      interfaceId: 0,
      data: b.subarray(o + 16, o + 16 + incl),
      originalLength: orig,
    });
    o += 16 + incl;
  }
  return ok({ format: 'pcap', interfaces: [{ linkType }], packets });
}

function parsePcapng(b: Uint8Array): Parsed<Capture> {
  const v = dv(b);
  const interfaces: { linkType: number; name?: string; tsDivisor: number }[] = [];
  const packets: CapturedPacket[] = [];
  let le = true;
  let o = 0;
  while (o < b.length) {
    if (o + 12 > b.length) return fail('pcapng.truncated-block', o);
    const typeBE = v.getUint32(o, false);
    if (typeBE === 0x0a0d0d0a) {
      if (o + 12 > b.length) return fail('pcapng.truncated-block', o);
      const bom = v.getUint32(o + 8, true);
      if (bom === 0x1a2b3c4d) le = true;
      else if (bom === 0x4d3c2b1a) le = false;
      else return fail('pcapng.bad-byte-order-magic', o + 8);
      interfaces.length = 0;
    }
    const type = v.getUint32(o, le);
    const len = v.getUint32(o + 4, le);
    if (len < 12 || len % 4 !== 0 || o + len > b.length) return fail('pcapng.bad-block-length', o + 4);
    if (v.getUint32(o + len - 4, le) !== len) return fail('pcapng.trailing-length-mismatch', o + len - 4);
    const body = o + 8;
    const bodyEnd = o + len - 4;
    if (type === 1) {
      if (bodyEnd - body < 8) return fail('pcapng.truncated-idb', body);
      const linkType = v.getUint16(body, le);
      let tsDivisor = 1e6;
      let name: string | undefined;
      for (let p = body + 8; p + 4 <= bodyEnd; ) {
        const code = v.getUint16(p, le);
        const olen = v.getUint16(p + 2, le);
        if (code === 0) break;
        if (p + 4 + olen > bodyEnd) return fail('pcapng.bad-option-length', p + 2);
        if (code === 2) name = new TextDecoder().decode(b.subarray(p + 4, p + 4 + olen));
        if (code === 9 && olen >= 1) {
          const r = b[p + 4]!;
          tsDivisor = r & 0x80 ? 2 ** (r & 0x7f) : 10 ** r;
        }
        p += 4 + ((olen + 3) & ~3);
      }
      interfaces.push(name === undefined ? { linkType, tsDivisor } : { linkType, name, tsDivisor });
    } else if (type === 6) {
      if (bodyEnd - body < 20) return fail('pcapng.truncated-epb', body);
      const ifid = v.getUint32(body, le);
      const iface = interfaces[ifid];
      if (!iface) return fail('pcapng.unknown-interface', body);
      const ts = v.getUint32(body + 4, le) * 2 ** 32 + v.getUint32(body + 8, le);
      const cap = v.getUint32(body + 12, le);
      const orig = v.getUint32(body + 16, le);
      if (body + 20 + cap > bodyEnd) return fail('pcapng.truncated-epb', body + 12);
      packets.push({
        timestampMs: (ts / iface.tsDivisor) * 1000,
        linkType: iface.linkType,
        interfaceId: ifid,
        data: b.subarray(body + 20, body + 20 + cap),
        originalLength: orig,
      });
    } else if (type === 3) {
      const iface = interfaces[0];
      if (!iface) return fail('pcapng.unknown-interface', body);
      const orig = v.getUint32(body, le);
      const cap = Math.min(orig, bodyEnd - body - 4);
      packets.push({ timestampMs: 0, linkType: iface.linkType, interfaceId: 0, data: b.subarray(body + 4, body + 4 + cap), originalLength: orig });
    }
    o += len;
  }
  return ok({ format: 'pcapng', interfaces: interfaces.map(({ linkType, name }) => (name === undefined ? { linkType } : { linkType, name })), packets });
}

/**
 * pcapng writer. Blocks are collected in memory (`bytes()`) or handed to a sink as they
 * are made, so a long run can stream to a file.
 */
export class PcapngWriter {
  private readonly chunks: Uint8Array[] = [];
  private interfaceCount = 0;

  constructor(private readonly sink?: (block: Uint8Array) => void) {
    const shb = new Uint8Array(28);
    const v = dv(shb);
    v.setUint32(0, 0x0a0d0d0a, true);
    v.setUint32(4, 28, true);
    v.setUint32(8, 0x1a2b3c4d, true);
    v.setUint16(12, 1, true);
    v.setUint16(14, 0, true);
    v.setBigInt64(16, -1n, true); // section length unknown
    v.setUint32(24, 28, true);
    this.push(shb);
  }

  /** Adds an interface (one per link) and returns its id. */
  addInterface(linkType: number, name?: string, snapLen = 262144): number {
    const nameBytes = name === undefined ? undefined : new TextEncoder().encode(name);
    const optLen = (nameBytes ? 4 + ((nameBytes.length + 3) & ~3) : 0) + 8 /* if_tsresol */ + 4; /* opt_endofopt */
    const len = 20 + optLen;
    const blk = new Uint8Array(len);
    const v = dv(blk);
    v.setUint32(0, 1, true);
    v.setUint32(4, len, true);
    v.setUint16(8, linkType, true);
    v.setUint32(12, snapLen, true);
    let p = 16;
    if (nameBytes) {
      v.setUint16(p, 2, true);
      v.setUint16(p + 2, nameBytes.length, true);
      blk.set(nameBytes, p + 4);
      p += 4 + ((nameBytes.length + 3) & ~3);
    }
    v.setUint16(p, 9, true);
    v.setUint16(p + 2, 1, true);
    blk[p + 4] = 6; // microseconds
    p += 8;
    v.setUint32(p, 0, true); // opt_endofopt
    v.setUint32(len - 4, len, true);
    this.push(blk);
    return this.interfaceCount++;
  }

  /** Writes one packet (an Enhanced Packet Block). `data` may be given as several pieces (header + payload). */
  write(interfaceId: number, timestampMs: number, ...data: Uint8Array[]): void {
    let capLen = 0;
    for (const d of data) capLen += d.length;
    const len = 32 + ((capLen + 3) & ~3);
    const blk = new Uint8Array(len);
    const v = dv(blk);
    const us = Math.round(timestampMs * 1000);
    v.setUint32(0, 6, true);
    v.setUint32(4, len, true);
    v.setUint32(8, interfaceId, true);
    v.setUint32(12, Math.floor(us / 2 ** 32), true);
    v.setUint32(16, us >>> 0, true);
    v.setUint32(20, capLen, true);
    v.setUint32(24, capLen, true);
    let p = 28;
    for (const d of data) {
      blk.set(d, p);
      p += d.length;
    }
    v.setUint32(len - 4, len, true);
    this.push(blk);
  }

  private push(blk: Uint8Array): void {
    if (this.sink) this.sink(blk);
    else this.chunks.push(blk);
  }

  /** Everything written so far (only when no sink was given). */
  bytes(): Uint8Array {
    return Buffer.concat(this.chunks);
  }
}
