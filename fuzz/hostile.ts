/**
 * Hostile Ethernet frames for one box port, from a seeded PRNG (same seed, same frames):
 * random bytes; mutations (bit flips, length-field lies, truncation, extension, splices) of
 * recorded traffic and of real captures; well-formed Ethernet/IPv4/UDP/L2TP/PPPoE/PPP/RADIUS
 * headers (correct lengths and checksums, RADIUS requests signed) around hostile bodies;
 * and exact replays. Nothing here knows the boxes' code: only the wire formats.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseCapture } from '../src/wire/pcap.js';
import { u16, setU16, setU32, u32 } from '../src/wire/bytes.js';
import { internetChecksum } from '../src/wire/checksum.js';
import { fillUdpChecksum } from '../src/wire/udp.js';
import { signPacket } from '../src/wire/radius-crypto.js';

/** A seeded PRNG (xorshift32): `--seed S` reproduces a run. */
export class Prng {
  private s: number;
  constructor(seed: number) {
    this.s = (seed >>> 0) || 0x9e3779b9;
  }
  u32(): number {
    let s = this.s;
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    this.s = s >>> 0;
    return this.s;
  }
  /** 0 ≤ x < n. */
  int(n: number): number {
    return n <= 0 ? 0 : this.u32() % n;
  }
  chance(p: number): boolean {
    return this.u32() / 4294967296 < p;
  }
  pick<T>(a: readonly T[]): T {
    return a[this.int(a.length)]!;
  }
  fill(b: Uint8Array, from = 0, to = b.length): void {
    for (let i = from; i < to; i++) b[i] = this.u32() & 0xff;
  }
}

/** One frame seen on a segment: its bytes (a copy) and who sent it. */
export interface Recorded {
  readonly frame: Uint8Array;
  readonly from: string;
}

/** A station on a port's segment: its MAC and, for IP stations, its address. */
export interface Station {
  readonly name: string;
  readonly mac: Uint8Array;
  ip?: number;
}

/** What the generator knows about the port it attacks. */
export interface PortTarget {
  /** The box under fuzz and its own station on this segment. */
  readonly self: Station;
  /** The other stations on the segment (addresses learnt from the recorded traffic). */
  readonly peers: readonly Station[];
  /** Frames seen on the segment (the box's own traffic and its peers'). */
  readonly recorded: readonly Recorded[];
  /** Real frames from ../shared/captures, as Ethernet. */
  readonly captures: readonly Uint8Array[];
  /** The RADIUS shared secret on this segment, to sign hostile requests with. */
  readonly radiusSecret?: string;
}

export type HostileKind = 'random' | 'mutated-recorded' | 'mutated-capture' | 'hostile-body' | 'replay' | 'forged-answer';
export const HOSTILE_KINDS: readonly HostileKind[] = ['random', 'mutated-recorded', 'mutated-capture', 'hostile-body', 'replay', 'forged-answer'];

const ETH = 14;
const ET_IPV4 = 0x0800;
const ET_ARP = 0x0806;
const ET_DISC = 0x8863;
const ET_SESS = 0x8864;
const PPP_CONTROL = new Set([0xc021, 0x8021, 0x8057, 0x80fd, 0xc223, 0xc023]);
const RADIUS_PORTS = new Set([1812, 1813, 1645, 1646, 3799]);
const RADIUS_REQUESTS = new Set([1, 4, 12, 40, 43]);
const BROADCAST = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
const INTERESTING = [0, 1, 2, 3, 4, 5, 6, 7, 8, 0x7f, 0x80, 0xfe, 0xff];
const INTERESTING16 = [0, 1, 2, 3, 4, 5, 6, 8, 11, 12, 19, 20, 21, 0x7fff, 0x8000, 0xfffe, 0xffff];

/** Every frame of every capture in `dir`, as an Ethernet frame (cooked and raw captures get a header). */
export function loadCaptureFrames(dir: string): Uint8Array[] {
  const out: Uint8Array[] = [];
  let files: string[] = [];
  try {
    files = readdirSync(dir).filter((f) => /\.pcap(ng)?$/.test(f)).sort();
  } catch {
    return out;
  }
  for (const f of files) {
    const c = parseCapture(new Uint8Array(readFileSync(path.join(dir, f))));
    if (!c.ok) continue;
    for (const p of c.value.packets) {
      const d = p.data;
      const wrap = (type: number, payload: Uint8Array): Uint8Array => {
        const e = new Uint8Array(ETH + payload.length);
        e.set([2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2]);
        setU16(e, 12, type);
        e.set(payload, ETH);
        return e;
      };
      switch (p.linkType) {
        case 1: out.push(new Uint8Array(d)); break; // Ethernet
        case 0: if (d.length > 4) out.push(wrap(ET_IPV4, d.subarray(4))); break; // BSD loopback
        case 101: case 228: out.push(wrap(ET_IPV4, d)); break; // raw IPv4
        case 113: if (d.length > 16) out.push(wrap(u16(d, 14), d.subarray(16))); break; // Linux cooked
        case 276: if (d.length > 20) out.push(wrap(u16(d, 0), d.subarray(20))); break; // Linux cooked v2
        default: break;
      }
    }
  }
  return out;
}

// ---------------------------------------------------------------- layers and fix-ups

/** Offsets of the layers of a frame, as far as they are plausible (no validation beyond bounds). */
interface Layers {
  type: number;
  /** IPv4 header offset, header length and protocol. */
  ip?: number;
  ipHl?: number;
  /** UDP header offset. */
  udp?: number;
  /** Start of the innermost body a hostile generator should replace, and its kind. */
  body?: number;
  bodyKind?: 'pppoe-tags' | 'cp-options' | 'l2tp-avps' | 'radius-attrs' | 'ip-payload' | 'udp-payload' | 'arp';
}

function l2tpHeaderLength(b: Uint8Array, o: number, end: number): number | undefined {
  if (o + 6 > end) return undefined;
  const fl = u16(b, o);
  let n = 2 + (fl & 0x4000 ? 2 : 0) + 4 + (fl & 0x0800 ? 4 : 0);
  if (fl & 0x0200) {
    if (o + n + 2 > end) return undefined;
    n += 2 + u16(b, o + n);
  }
  return o + n <= end ? n : undefined;
}

/** Where the PPP protocol field of a PPP frame at `o` is (after an optional FF 03). */
function pppProtoAt(b: Uint8Array, o: number, end: number): number | undefined {
  if (o + 2 <= end && b[o] === 0xff && b[o + 1] === 0x03) o += 2;
  return o + 2 <= end ? o : undefined;
}

function layers(b: Uint8Array): Layers {
  const l: Layers = { type: b.length >= ETH ? u16(b, 12) : -1 };
  const end = b.length;
  const ppp = (o: number): void => {
    const p = pppProtoAt(b, o, end);
    if (p === undefined) return;
    const proto = u16(b, p);
    if (PPP_CONTROL.has(proto) && p + 6 <= end) {
      l.body = p + 6;
      l.bodyKind = 'cp-options';
    } else if (proto === 0x0021) ipv4(p + 2);
  };
  const ipv4 = (o: number): void => {
    if (o + 20 > end || b[o]! >> 4 !== 4) return;
    const hl = (b[o]! & 15) * 4;
    if (hl < 20 || o + hl > end) return;
    l.ip = o;
    l.ipHl = hl;
    l.body = o + hl;
    l.bodyKind = 'ip-payload';
    if (b[o + 9] === 17 && o + hl + 8 <= end) {
      const u = o + hl;
      l.udp = u;
      l.body = u + 8;
      l.bodyKind = 'udp-payload';
      const sp = u16(b, u);
      const dp = u16(b, u + 2);
      if (sp === 1701 || dp === 1701) {
        const h = l2tpHeaderLength(b, u + 8, end);
        if (h === undefined) return;
        if (u16(b, u + 8) & 0x8000) {
          l.body = u + 8 + h;
          l.bodyKind = 'l2tp-avps';
        } else ppp(u + 8 + h);
      } else if ((RADIUS_PORTS.has(sp) || RADIUS_PORTS.has(dp)) && u + 8 + 20 <= end) {
        l.body = u + 8 + 20;
        l.bodyKind = 'radius-attrs';
      }
    }
  };
  if (l.type === ET_IPV4) ipv4(ETH);
  else if (l.type === ET_ARP) {
    l.body = ETH;
    l.bodyKind = 'arp';
  } else if (l.type === ET_DISC && end >= ETH + 6) {
    l.body = ETH + 6;
    l.bodyKind = 'pppoe-tags';
  } else if (l.type === ET_SESS && end >= ETH + 6) ppp(ETH + 6);
  return l;
}

/**
 * Rewrites every length field and checksum of the frame's layers to agree with its real
 * size (inner layers first): PPPoE Length, PPP control-packet Length, IPv4 Total Length
 * and header checksum, UDP Length and checksum, L2TP Length, RADIUS Length (and the
 * Request Authenticator / Message-Authenticator of requests, when the secret is known).
 * Hostile TLVs inside the body keep whatever lengths they were given.
 */
export function fixup(b: Uint8Array, radiusSecret?: string): Uint8Array {
  const end = b.length;
  const ppp = (o: number): void => {
    const p = pppProtoAt(b, o, end);
    if (p === undefined) return;
    const proto = u16(b, p);
    if (PPP_CONTROL.has(proto) && p + 6 <= end) setU16(b, p + 4, Math.min(0xffff, end - (p + 2)));
    else if (proto === 0x0021) ipv4(p + 2);
  };
  const ipv4 = (o: number): void => {
    if (o + 20 > end || b[o]! >> 4 !== 4) return;
    const hl = (b[o]! & 15) * 4;
    if (hl < 20 || o + hl > end) return;
    setU16(b, o + 2, Math.min(0xffff, end - o));
    const src = u32(b, o + 12);
    const dst = u32(b, o + 16);
    const proto = b[o + 9];
    const t = o + hl;
    if (proto === 17 && t + 8 <= end) {
      const sp = u16(b, t);
      const dp = u16(b, t + 2);
      const a = t + 8;
      if (sp === 1701 || dp === 1701) {
        if (a + 4 <= end && u16(b, a) & 0x4000) setU16(b, a + 2, Math.min(0xffff, end - a));
        const h = l2tpHeaderLength(b, a, end);
        if (h !== undefined && !(u16(b, a) & 0x8000)) ppp(a + h);
      } else if ((RADIUS_PORTS.has(sp) || RADIUS_PORTS.has(dp)) && a + 20 <= end) {
        setU16(b, a + 2, Math.min(0xffff, end - a));
        if (radiusSecret !== undefined && RADIUS_REQUESTS.has(b[a]!)) {
          try {
            signPacket(b.subarray(a), radiusSecret);
          } catch {
            // A hostile attribute list the signer cannot walk stays unsigned.
          }
        }
      }
      setU16(b, t + 4, Math.min(0xffff, end - t));
      setU16(b, t + 6, 0);
      fillUdpChecksum(src, dst, b, t, end - t);
    } else if (proto === 1 && t + 4 <= end) {
      setU16(b, t + 2, 0);
      setU16(b, t + 2, internetChecksum(b, t, end));
    }
    setU16(b, o + 10, 0);
    setU16(b, o + 10, internetChecksum(b, o, o + hl));
  };
  const type = end >= ETH ? u16(b, 12) : -1;
  if (type === ET_IPV4) ipv4(ETH);
  else if ((type === ET_DISC || type === ET_SESS) && end >= ETH + 6) {
    if (type === ET_SESS) ppp(ETH + 6);
    setU16(b, ETH + 4, Math.min(0xffff, end - ETH - 6));
  }
  return b;
}

/** Offsets of length fields a "length lie" may rewrite. */
function lengthFields(b: Uint8Array): number[] {
  const l = layers(b);
  const out: number[] = [];
  if ((l.type === ET_DISC || l.type === ET_SESS) && b.length >= ETH + 6) out.push(ETH + 4);
  if (l.ip !== undefined) out.push(l.ip + 2);
  if (l.udp !== undefined) out.push(l.udp + 4);
  if (l.bodyKind === 'radius-attrs') out.push(l.body! - 18);
  if (l.bodyKind === 'cp-options') out.push(l.body! - 2);
  if (l.bodyKind === 'l2tp-avps' && l.udp !== undefined) out.push(l.udp + 10);
  // The first TLV of the body: its length byte(s).
  if (l.body !== undefined && l.body + 4 <= b.length) {
    if (l.bodyKind === 'pppoe-tags') out.push(l.body + 2);
    else if (l.bodyKind === 'l2tp-avps') out.push(l.body);
    else out.push(l.body + 1);
  }
  return out;
}

// ---------------------------------------------------------------- hostile bodies

const RADIUS_TYPES = [1, 2, 3, 4, 5, 6, 7, 8, 9, 18, 24, 25, 26, 27, 31, 32, 40, 44, 49, 55, 60, 61, 64, 65, 66, 67, 69, 79, 80, 81, 82, 83, 90, 91, 101];
const TEXT_VALUES = ['300.1.1.1', '192.0.2.1', '1.2.3', '::1', '', '0.0.0.0', '255.255.255.255', 'alice@isp-a.example', 'carol@isp-b.example', '@', 'x'.repeat(253), 'isp-a.example', '\u0000\u0001', '%s%n', '-1', '99999999999999999999'];

function textValue(r: Prng): Uint8Array {
  return new TextEncoder().encode(r.pick(TEXT_VALUES));
}

function randomValue(r: Prng, max: number): Uint8Array {
  const choice = r.int(6);
  if (choice === 0) return new Uint8Array(0);
  if (choice === 1) return textValue(r).subarray(0, max);
  if (choice === 2) {
    const v = new Uint8Array(4);
    setU32(v, 0, r.chance(0.5) ? r.pick([0, 1, 2, 3, 0xffffffff, 0x7fffffff, 0x80000000]) : r.u32());
    return v;
  }
  if (choice === 3) {
    // Tagged: a tag byte (valid 0x01-0x1f, or hostile) and a value.
    const v = new Uint8Array(1 + r.int(8));
    r.fill(v);
    v[0] = r.pick([0, 1, 0x1f, 0x20, 0xff]);
    return v;
  }
  const v = new Uint8Array(r.int(Math.min(max, choice === 4 ? 8 : max) + 1));
  r.fill(v);
  return v;
}

/** A list of TLVs, some with lying lengths. `hdr` is the TLV header size kind. */
function tlvs(r: Prng, kind: 'radius' | 'ppp' | 'pppoe' | 'l2tp', budget: number): Uint8Array {
  const parts: Uint8Array[] = [];
  let size = 0;
  const n = r.int(r.chance(0.05) ? 120 : 8) + 1;
  for (let i = 0; i < n && size < budget; i++) {
    let p: Uint8Array;
    if (kind === 'radius') {
      const v = randomValue(r, 253);
      p = new Uint8Array(2 + v.length);
      p[0] = r.chance(0.8) ? r.pick(RADIUS_TYPES) : r.int(256);
      p[1] = r.chance(0.9) ? 2 + v.length : r.pick(INTERESTING);
      p.set(v, 2);
      if (p[0] === 26 && v.length >= 6) p[1] = 2 + v.length; // a VSA: vendor id and sub-TLVs as given
    } else if (kind === 'ppp') {
      const v = randomValue(r, 32);
      p = new Uint8Array(2 + v.length);
      p[0] = r.chance(0.8) ? r.int(32) : r.int(256);
      p[1] = r.chance(0.85) ? 2 + v.length : r.pick(INTERESTING);
      p.set(v, 2);
    } else if (kind === 'pppoe') {
      const v = randomValue(r, 64);
      p = new Uint8Array(4 + v.length);
      setU16(p, 0, r.chance(0.8) ? r.pick([0x0000, 0x0101, 0x0102, 0x0103, 0x0104, 0x0105, 0x0110, 0x0120, 0x0201, 0x0202, 0x0203]) : r.int(0x10000));
      setU16(p, 2, r.chance(0.85) ? v.length : r.pick(INTERESTING16));
      p.set(v, 4);
    } else {
      const v = randomValue(r, 64);
      p = new Uint8Array(6 + v.length);
      const len = r.chance(0.85) ? 6 + v.length : r.pick(INTERESTING16) & 0x3ff;
      // M and H bits at random; the 10-bit length; vendor 0 mostly.
      setU16(p, 0, ((r.int(4) << 14) | len) & 0xffff);
      setU16(p, 2, r.chance(0.9) ? 0 : r.int(0x10000));
      setU16(p, 4, r.chance(0.85) ? r.int(41) : r.int(0x10000));
      p.set(v, 6);
      if (i === 0 && r.chance(0.7)) {
        // A Message Type AVP first, as RFC 2661 wants, with any type.
        p = new Uint8Array(8);
        setU16(p, 0, 0x8008);
        setU16(p, 6, r.chance(0.8) ? r.int(17) : r.int(0x10000));
      }
    }
    parts.push(p);
    size += p.length;
  }
  const out = new Uint8Array(Math.min(size, budget));
  let o = 0;
  for (const p of parts) {
    if (o >= out.length) break;
    out.set(p.subarray(0, out.length - o), o);
    o += p.length;
  }
  return out;
}

// ---------------------------------------------------------------- the generator

/** Makes hostile frames for one port. */
export class HostileFrames {
  constructor(
    private readonly r: Prng,
    private readonly t: PortTarget,
  ) {}

  /** The next hostile frame and what kind it is. The frame is a fresh copy the box may own. */
  next(): { kind: HostileKind; frame: Uint8Array } {
    const r = this.r;
    const x = r.int(100);
    const rec = this.t.recorded;
    const cap = this.t.captures;
    if (x < 12 || (rec.length === 0 && cap.length === 0)) return { kind: 'random', frame: this.random() };
    if (x < 40 && rec.length) return { kind: 'mutated-recorded', frame: this.mutate(new Uint8Array(r.pick(rec).frame)) };
    if (x < 55 && cap.length) return { kind: 'mutated-capture', frame: this.mutate(this.retarget(new Uint8Array(r.pick(cap)))) };
    if (x < 88) return { kind: 'hostile-body', frame: this.hostileBody() };
    if (rec.length) return { kind: 'replay', frame: new Uint8Array(r.pick(rec).frame) };
    return { kind: 'random', frame: this.random() };
  }

  private peer(): Station | undefined {
    return this.t.peers.length ? this.r.pick(this.t.peers) : undefined;
  }

  /** Random bytes, half of them behind a plausible Ethernet header. */
  private random(): Uint8Array {
    const r = this.r;
    const len = r.chance(0.1) ? r.int(1600) : r.int(100);
    const b = new Uint8Array(len);
    r.fill(b);
    if (len >= ETH && r.chance(0.6)) {
      b.set(r.chance(0.8) ? this.t.self.mac : BROADCAST, 0);
      const p = this.peer();
      if (p && r.chance(0.8)) b.set(p.mac, 6);
      setU16(b, 12, r.chance(0.9) ? r.pick([ET_IPV4, ET_ARP, ET_DISC, ET_SESS]) : r.int(0x10000));
      if (r.chance(0.5)) fixup(b, this.t.radiusSecret);
    }
    return b;
  }

  /** Addresses it to this box from one of its peers (Ethernet and IPv4), lengths and checksums fixed. */
  private retarget(b: Uint8Array): Uint8Array {
    const r = this.r;
    if (b.length < ETH) return b;
    const p = this.peer();
    if (r.chance(0.85)) b.set(this.t.self.mac, 0);
    if (p && r.chance(0.85)) b.set(p.mac, 6);
    if (u16(b, 12) === ET_IPV4 && b.length >= ETH + 20) {
      if (this.t.self.ip !== undefined && r.chance(0.85)) setU32(b, ETH + 16, this.t.self.ip);
      if (p?.ip !== undefined && r.chance(0.85)) setU32(b, ETH + 12, p.ip);
    }
    return fixup(b, this.t.radiusSecret);
  }

  /** 1-4 mutations: bit flips, byte sets, length lies, truncation, extension, splices. */
  mutate(b: Uint8Array): Uint8Array {
    const r = this.r;
    const ops = 1 + r.int(4);
    for (let k = 0; k < ops; k++) {
      const len = b.length;
      switch (r.int(8)) {
        case 0: if (len) b[r.int(len)]! ^= 1 << r.int(8); break;
        case 1: if (len) b[r.int(len)] = r.pick(INTERESTING); break;
        case 2: {
          const f = lengthFields(b);
          if (f.length) {
            const o = r.pick(f);
            if (o + 2 <= len) {
              const v = u16(b, o);
              setU16(b, o, r.chance(0.5) ? r.pick(INTERESTING16) : (v + r.pick([-2, -1, 1, 2, 4, 100, -100]) + 0x10000) & 0xffff);
            }
          }
          break;
        }
        case 3: b = b.subarray(0, r.int(len + 1)).slice(); break;
        case 4: {
          const ext = new Uint8Array(len + 1 + r.int(r.chance(0.1) ? 1500 : 16));
          ext.set(b);
          r.fill(ext, len);
          b = ext;
          break;
        }
        case 5: {
          // Splice: this frame's head and another's tail.
          const other = this.t.recorded.length ? r.pick(this.t.recorded).frame : this.t.captures.length ? r.pick(this.t.captures) : undefined;
          if (other) {
            const a = r.int(len + 1);
            const s = r.int(other.length + 1);
            const c = new Uint8Array(a + other.length - s);
            c.set(b.subarray(0, a));
            c.set(other.subarray(s), a);
            b = c;
          }
          break;
        }
        case 6: if (len > 1) { const o = r.int(len - 1); setU16(b, o, r.pick(INTERESTING16)); } break;
        case 7: if (r.chance(0.5)) fixup(b, this.t.radiusSecret); break; // lengths agree again, the lie is elsewhere
      }
    }
    return b;
  }

  /** A recorded or captured frame with correct headers around a hostile body. */
  private hostileBody(): Uint8Array {
    const r = this.r;
    const rec = this.t.recorded;
    const base = rec.length && (r.chance(0.7) || !this.t.captures.length) ? new Uint8Array(r.pick(rec).frame) : this.retarget(new Uint8Array(r.pick(this.t.captures)));
    const l = layers(base);
    if (l.body === undefined || l.bodyKind === undefined) return this.mutate(base);
    const head = base.subarray(0, l.body);
    let body: Uint8Array;
    switch (l.bodyKind) {
      case 'pppoe-tags': body = tlvs(r, 'pppoe', 1500); break;
      case 'cp-options': body = tlvs(r, 'ppp', 1400); break;
      case 'l2tp-avps': body = tlvs(r, 'l2tp', 1400); break;
      case 'radius-attrs': body = tlvs(r, 'radius', 4000); break;
      case 'arp': {
        body = base.slice(l.body, l.body + 28);
        // Any field: hardware type, lengths, op, sender/target (a spoof of a peer's address included).
        const o = r.pick([0, 2, 4, 5, 6, 8, 14, 18, 24]);
        if (o + 4 <= body.length) setU32(body, o, r.chance(0.5) ? r.u32() : (this.peer()?.ip ?? r.u32()));
        break;
      }
      default: {
        // An IPv4 or UDP payload: random, or the old one mutated.
        const old = base.slice(l.body);
        body = r.chance(0.5) ? this.mutate(old) : (() => { const v = new Uint8Array(r.int(200)); r.fill(v); return v; })();
      }
    }
    // Sometimes the control packet's code / identifier and the message's header bytes change too.
    const out = new Uint8Array(head.length + body.length);
    out.set(head);
    out.set(body, head.length);
    if (l.bodyKind === 'cp-options' && r.chance(0.5)) out[l.body - 4] = r.int(16);
    if (l.bodyKind === 'radius-attrs' && r.chance(0.3)) out[l.body - 20] = r.pick([1, 2, 3, 4, 5, 11, 12, 40, 41, 42, 43, 44, 45, r.int(256)]);
    if (l.bodyKind === 'pppoe-tags' && r.chance(0.5)) out[ETH + 1] = r.pick([0x09, 0x07, 0x19, 0x65, 0xa7, r.int(256)]);
    return fixup(out, this.t.radiusSecret);
  }
}

// ---------------------------------------------------------------- forged RADIUS answers

function attr(type: number, value: Uint8Array): Uint8Array {
  const v = value.subarray(0, 253);
  const a = new Uint8Array(2 + v.length);
  a[0] = type;
  a[1] = 2 + v.length;
  a.set(v, 2);
  return a;
}

function int24(n: number): Uint8Array {
  return new Uint8Array([(n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff]);
}

/** RFC 2868 Tunnel-* attributes with hostile values: bad endpoints, tags, medium types, many preferences. */
function hostileTunnels(r: Prng): Uint8Array[] {
  const out: Uint8Array[] = [];
  const n = r.chance(0.1) ? 100 : 1 + r.int(4);
  const enc = new TextEncoder();
  for (let i = 0; i < n; i++) {
    const tag = r.chance(0.9) ? 1 + (i % 31) : r.pick([0, 0x20, 0xff]);
    const t = (type: number, v: Uint8Array): Uint8Array => attr(type, new Uint8Array([tag, ...v]));
    if (r.chance(0.9)) out.push(t(64, int24(r.chance(0.8) ? 3 : r.int(0x1000000)))); // Tunnel-Type (3 = L2TP)
    if (r.chance(0.9)) out.push(t(65, int24(r.chance(0.8) ? 1 : r.int(0x1000000)))); // Tunnel-Medium-Type (1 = IPv4)
    // Tunnel-Server-Endpoint: half of them dotted quads that only look valid.
    if (r.chance(0.9)) out.push(t(67, enc.encode(r.chance(0.5) ? r.pick(['300.1.1.1', '256.0.0.1', '1.2.3.999', '999.999.999.999', '0001.2.3.4']) : r.pick(['300.1.1.1', '192.0.2.1', '192.0.2.2', '1.2.3', '', ' 192.0.2.1', '192.0.2.1\u0000', '999999999', 'lns.example', '0.0.0.0', '255.255.255.255', '192.0.2.1.5', '::ffff:192.0.2.1'])))); // Tunnel-Server-Endpoint
    if (r.chance(0.7)) { const v = new Uint8Array(r.int(40)); r.fill(v); out.push(t(69, v)); } // Tunnel-Password (salt, encrypted string)
    if (r.chance(0.5)) { const v = new Uint8Array(4); setU32(v, 0, r.chance(0.5) ? r.int(10) : r.u32()); out.push(t(83, v.subarray(r.chance(0.9) ? 1 : 0))); } // Tunnel-Preference
    if (r.chance(0.4)) out.push(t(82, textValue(r))); // Tunnel-Assignment-Id
    if (r.chance(0.2)) out.push(t(90, textValue(r)), t(91, textValue(r))); // Tunnel-Client/Server-Auth-Id
  }
  return out;
}

/**
 * A correctly signed answer (Response Authenticator over the request's authenticator and
 * the secret, RFC 2865 §3) to the RADIUS request in `req`, with hostile attributes: what a
 * compromised or broken RADIUS server could send. Undefined when `req` is no request.
 */
export function forgeRadiusAnswer(r: Prng, req: Uint8Array, secret: string): Uint8Array | undefined {
  if (req.length < 14 + 20 + 8 + 20 || u16(req, 12) !== ET_IPV4) return undefined;
  const hl = (req[14]! & 15) * 4;
  const u = 14 + hl;
  const a = u + 8;
  if (req[23] !== 17 || a + 20 > req.length) return undefined;
  const code = req[a]!;
  if (code !== 1 && code !== 4) return undefined;
  const attrs: Uint8Array[] = [];
  const answer = code === 4 ? 5 : r.pick([2, 2, 2, 3, 11]);
  if (r.chance(0.8)) attrs.push(...hostileTunnels(r));
  if (r.chance(0.5)) {
    const v = new Uint8Array(4);
    setU32(v, 0, r.pick([0, 0xffffffff, 0xfffffffe, 0x7f000001, 0xe0000001, r.u32()]));
    attrs.push(attr(8, v.subarray(0, r.chance(0.9) ? 4 : r.int(4)))); // Framed-IP-Address
  }
  if (r.chance(0.3)) attrs.push(attr(r.pick([6, 7, 12, 27, 28, 85]), new Uint8Array([0, 0, 0, r.int(256)]).subarray(0, r.chance(0.9) ? 4 : 2))); // Service-Type, Framed-Protocol, MTU, timeouts
  if (r.chance(0.3)) attrs.push(attr(18, textValue(r))); // Reply-Message
  if (r.chance(0.85)) attrs.unshift(attr(80, new Uint8Array(16))); // Message-Authenticator (filled by the signer; clients may insist on it)
  if (r.chance(0.4)) attrs.push(tlvs(r, 'radius', 1000));
  let len = 20;
  for (const x of attrs) len += x.length;
  len = Math.min(len, 4096);
  const out = new Uint8Array(a + len);
  // Ethernet, IPv4 and UDP of the request, turned round.
  out.set(req.subarray(0, a));
  out.set(req.subarray(6, 12), 0);
  out.set(req.subarray(0, 6), 6);
  out.set(req.subarray(14 + 16, 14 + 20), 14 + 12);
  out.set(req.subarray(14 + 12, 14 + 16), 14 + 16);
  setU16(out, u, u16(req, u + 2));
  setU16(out, u + 2, u16(req, u));
  out[a] = answer;
  out[a + 1] = req[a + 1]!;
  setU16(out, a + 2, len);
  let o = a + 20;
  for (const x of attrs) {
    if (o >= out.length) break;
    out.set(x.subarray(0, out.length - o), o);
    o += x.length;
  }
  // The Response Authenticator over the request's authenticator (and Message-Authenticator, if present).
  out.set(req.subarray(a + 4, a + 20), a + 4);
  try {
    signPacket(out.subarray(a), secret, req.slice(a + 4, a + 20));
  } catch {
    // A hostile attribute list the signer cannot walk goes unsigned.
  }
  return fixup(out);
}
