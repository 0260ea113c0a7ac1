/**
 * What the PPP machines share: the typed messages they emit (the caller encodes them), a
 * pooled random source from node:crypto (injectable for tests), and counters by reason.
 */
import { randomFillSync } from 'node:crypto';
import { lcpPacket, ipcpPacket, ipv6cpPacket, PppProtocol, type LcpPacket, type IpcpPacket, type Ipv6cpPacket } from '../wire/ppp.js';
import { chapPacket, type ChapPacket } from '../wire/chap.js';
import { papPacket, type PapPacket } from '../wire/pap.js';
import { setU16 } from '../wire/bytes.js';
import { packetBuffer } from '../wire/packet-buffer.js';
import type { Parsed } from '../wire/result.js';

/** One PPP control message to send: its protocol and the packet value. */
export type PppMessage =
  | { readonly protocol: typeof PppProtocol.LCP; readonly packet: LcpPacket }
  | { readonly protocol: typeof PppProtocol.IPCP; readonly packet: IpcpPacket }
  | { readonly protocol: typeof PppProtocol.IPV6CP; readonly packet: Ipv6cpPacket }
  | { readonly protocol: typeof PppProtocol.CHAP; readonly packet: ChapPacket }
  | { readonly protocol: typeof PppProtocol.PAP; readonly packet: PapPacket };

/** Octets of the PPP frame (protocol field + packet) for `m`. */
export function pppMessageLength(m: PppMessage): number {
  switch (m.protocol) {
    case PppProtocol.LCP: return 2 + lcpPacket.encodedLength(m.packet);
    case PppProtocol.IPCP: return 2 + ipcpPacket.encodedLength(m.packet);
    case PppProtocol.IPV6CP: return 2 + ipv6cpPacket.encodedLength(m.packet);
    case PppProtocol.CHAP: return 2 + chapPacket.encodedLength(m.packet);
    case PppProtocol.PAP: return 2 + papPacket.encodedLength(m.packet);
  }
}

/** Writes the PPP frame of `m` (two-octet protocol field, no Address/Control) at `offset`; returns its length. */
export function emitPppMessage(m: PppMessage, buf: Uint8Array, offset: number): number {
  setU16(buf, offset, m.protocol);
  switch (m.protocol) {
    case PppProtocol.LCP: return 2 + lcpPacket.emit(m.packet, buf, offset + 2);
    case PppProtocol.IPCP: return 2 + ipcpPacket.emit(m.packet, buf, offset + 2);
    case PppProtocol.IPV6CP: return 2 + ipv6cpPacket.emit(m.packet, buf, offset + 2);
    case PppProtocol.CHAP: return 2 + chapPacket.emit(m.packet, buf, offset + 2);
    case PppProtocol.PAP: return 2 + papPacket.emit(m.packet, buf, offset + 2);
  }
}

/**
 * A packet cell (src/wire/packet-buffer.ts) holding the PPP frame of `m` after `headroom`
 * free octets, so the caller can write its PPPoE / L2TP / Ethernet headers in front without
 * copying, and with the packet buffers' HEADROOM more in front of those for the boxes on the
 * way (the LAC that relays the frame into L2TP writes its UDP, IP and Ethernet headers there).
 */
export function encodePppMessage(m: PppMessage, headroom = 0): Uint8Array {
  const buf = packetBuffer(headroom + pppMessageLength(m));
  emitPppMessage(m, buf, headroom);
  return buf;
}

/** Randomness: `bytes(n)` returns fresh octets (a copy the caller may keep). */
export type RandomBytes = (n: number) => Uint8Array;

const POOL_SIZE = 4096;
let pool = new Uint8Array(0);
let poolAt = POOL_SIZE;

/**
 * node:crypto randomness, drawn from a 4 KiB pool so that a challenge or a magic number does
 * not cost a system call each. The returned arrays are copies, never views of the pool.
 */
export const cryptoRandom: RandomBytes = (n) => {
  if (n > POOL_SIZE) return new Uint8Array(randomFillSync(new Uint8Array(n)));
  if (poolAt + n > POOL_SIZE) {
    pool = new Uint8Array(POOL_SIZE);
    randomFillSync(pool);
    poolAt = 0;
  }
  const out = pool.slice(poolAt, poolAt + n);
  poolAt += n;
  return out;
};

/** A non-zero 32-bit number (Magic-Number, RFC 1661 §6.4: zero is illegal). */
export function randomU32NonZero(random: RandomBytes): number {
  for (;;) {
    const b = random(4);
    const v = ((b[0]! * 0x1000000) + ((b[1]! << 16) | (b[2]! << 8) | b[3]!)) >>> 0;
    if (v !== 0) return v;
  }
}

/** Counters by reason: a plain object a user can read, `count(reason)` adds one. */
export type Counters = Record<string, number>;

export function count(c: Counters, reason: string): void {
  c[reason] = (c[reason] ?? 0) + 1;
}

/** Decodes wire input; a bad one is counted as `drop.<error code>` and gives undefined. */
export function parseOrCount<T>(codec: { parse(b: Uint8Array): Parsed<T> }, bytes: Uint8Array, c: Counters): T | undefined {
  const r = codec.parse(bytes);
  if (r.ok) return r.value;
  count(c, `drop.${r.error.code}`);
  return undefined;
}

/**
 * A configuration built from `c` by `build`, shared (frozen) with every other caller that
 * passed the same plain values: thousands of sessions each hold an LCP and an IPCP whose
 * configuration is the same. Only configurations of primitives and arrays of primitives are
 * shared (a function or object could differ by identity); the cache holds at most 64.
 */
export function sharedConfig<C extends object, T extends object>(cache: Map<string, T>, c: C, build: (c: C) => T): T {
  let key = '';
  for (const k in c) {
    const v = (c as Record<string, unknown>)[k];
    if (v !== null && typeof v === 'object' && !(Array.isArray(v) && v.every((x) => x === null || typeof x !== 'object'))) return build(c);
    if (typeof v === 'function') return build(c);
    key += `${k}=${JSON.stringify(v)};`;
  }
  const seen = cache.get(key);
  if (seen) return seen;
  const made = Object.freeze(build(c));
  if (cache.size < 64) cache.set(key, made);
  return made;
}
