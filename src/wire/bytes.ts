/**
 * Big-endian field access on plain Uint8Arrays, with no allocation. 32-bit values are
 * always returned unsigned (`>>> 0`), never through `<< 24`.
 */

export function u16(b: Uint8Array, o: number): number {
  return (b[o]! << 8) | b[o + 1]!;
}

export function u32(b: Uint8Array, o: number): number {
  return ((b[o]! * 0x1000000) + ((b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!)) >>> 0;
}

export function setU16(b: Uint8Array, o: number, v: number): void {
  b[o] = (v >>> 8) & 0xff;
  b[o + 1] = v & 0xff;
}

export function setU32(b: Uint8Array, o: number, v: number): void {
  b[o] = (v >>> 24) & 0xff;
  b[o + 1] = (v >>> 16) & 0xff;
  b[o + 2] = (v >>> 8) & 0xff;
  b[o + 3] = v & 0xff;
}

/** Byte-wise equality of two views. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

const HEX_DIGITS = Array.from('0123456789abcdef', (c) => c.charCodeAt(0));
const hexCodes: number[] = [];

/**
 * Lower-case hex. A short array by its digits' codes, made into one flat string at once:
 * `Buffer.from(b.buffer)` on a small Uint8Array that V8 keeps on its heap first moves it off
 * (a malloc and a copy: a DHCPv6 client's DUID key cost ~50 µs in a large teardown), and
 * `s +=` per octet leaves a tree of cons strings behind a string kept as a map key (~370
 * bytes a session).
 */
export function hex(b: Uint8Array): string {
  if (b.length > 64) return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
  hexCodes.length = b.length * 2;
  for (let i = 0; i < b.length; i++) {
    hexCodes[2 * i] = HEX_DIGITS[b[i]! >> 4]!;
    hexCodes[2 * i + 1] = HEX_DIGITS[b[i]! & 15]!;
  }
  return String.fromCharCode.apply(null, hexCodes);
}

export function fromHex(s: string): Uint8Array {
  const clean = s.replace(/[^0-9a-fA-F]/g, '');
  const out = new Uint8Array(clean.length >>> 1);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.substr(i * 2, 2), 16);
  return out;
}

const utf8 = new TextEncoder();
const utf8d = new TextDecoder('utf-8', { fatal: false });

export function textBytes(s: string): Uint8Array {
  // Short ASCII (names, session ids, counters) without the call into TextEncoder.
  const n = s.length;
  if (n > 64) return utf8.encode(s);
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) return utf8.encode(s);
    out[i] = c;
  }
  return out;
}

/*
 * Bytes held for a long time (configuration: user names, secrets, MACs, Host-Uniq): small
 * copies carved out of shared 4 KiB slabs. A Uint8Array with its own buffer costs ~200 bytes
 * of heap however short it is; a view into a slab ~100. Only for what lives as long as its
 * owner: a short-lived view would pin its slab.
 */
const SLAB_SIZE = 4096;
let slab = new Uint8Array(SLAB_SIZE);
let slabAt = 0;

/** A long-lived copy of `b` (see above); larger ones get their own buffer. */
export function keptBytes(b: Uint8Array): Uint8Array {
  const n = b.length;
  if (n > 256) return b.slice();
  if (slabAt + n > SLAB_SIZE) {
    slab = new Uint8Array(SLAB_SIZE);
    slabAt = 0;
  }
  const out = slab.subarray(slabAt, slabAt + n);
  out.set(b);
  slabAt += n;
  return out;
}

/** `textBytes(s)` as a long-lived copy (see `keptBytes`). */
export function keptText(s: string): Uint8Array {
  return keptBytes(textBytes(s));
}

export function bytesText(b: Uint8Array): string {
  return utf8d.decode(b);
}

/** The codes of "aa:bb:cc:dd:ee:ff", the colons in place; the digits are written per call. */
const macCodes: number[] = new Array<number>(17).fill(0x3a);

/**
 * MAC address as six bytes <-> "aa:bb:cc:dd:ee:ff". Made as `hex` makes its string, one flat
 * string at once: a session keeps it as its Calling Number, and `s +=` would leave a chain
 * of cons strings behind it.
 */
export function macToString(b: Uint8Array, o = 0): string {
  for (let i = 0; i < 6; i++) {
    macCodes[3 * i] = HEX_DIGITS[b[o + i]! >> 4]!;
    macCodes[3 * i + 1] = HEX_DIGITS[b[o + i]! & 15]!;
  }
  return String.fromCharCode.apply(null, macCodes);
}

export function macFromString(s: string): Uint8Array {
  const parts = s.split(':');
  if (parts.length !== 6) throw new Error(`bad MAC address "${s}"`);
  const out = new Uint8Array(6);
  parts.forEach((p, i) => {
    const v = parseInt(p, 16);
    if (!/^[0-9a-fA-F]{1,2}$/.test(p) || Number.isNaN(v)) throw new Error(`bad MAC address "${s}"`);
    out[i] = v;
  });
  return out;
}

/** IPv4 addresses are plain unsigned 32-bit numbers in host order. */
export function ipv4ToString(a: number): string {
  return `${(a >>> 24) & 0xff}.${(a >>> 16) & 0xff}.${(a >>> 8) & 0xff}.${a & 0xff}`;
}

/**
 * A peer's dotted-quad (RFC 2868 §3.3 "dotted-decimal notation"), strictly: four decimal
 * octets 0..255 without leading zeros (inet_aton would read "010" as octal 8). Never throws:
 * undefined for anything else (a name, "300.1.1.1", "", trailing bytes).
 */
export function parseIpv4(s: string): number | undefined {
  const m = /^(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})$/.exec(s);
  if (!m) return undefined;
  const p = [Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4])];
  if (p.some((x) => x > 255)) return undefined;
  return ((p[0]! * 0x1000000) + ((p[1]! << 16) | (p[2]! << 8) | p[3]!)) >>> 0;
}

/** Configuration's dotted-quad; throws on a bad one (API misuse). Values from the wire or a peer go through `parseIpv4`. */
export function ipv4FromString(s: string): number {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (!m) throw new Error(`bad IPv4 address "${s}"`);
  const p = m.slice(1).map(Number);
  if (p.some((x) => x > 255)) throw new Error(`bad IPv4 address "${s}"`);
  return ((p[0]! * 0x1000000) + ((p[1]! << 16) | (p[2]! << 8) | p[3]!)) >>> 0;
}
