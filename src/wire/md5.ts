/**
 * MD5 (RFC 1321) and HMAC-MD5 (RFC 2104) without allocation, for RADIUS's per-packet
 * authenticators: node:crypto's objects cost more to create than the hashing of a 100-octet
 * packet. One module-level context is reused (JavaScript is single-threaded); inputs are
 * hashed in pieces straight from the packet. Checked against node:crypto in test/wire/md5.test.ts.
 */
import { BlockHash, hashCalls, type HmacKey } from './block-hash.js';

const S = Int32Array.from([7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20,
  4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21]);
const K = new Int32Array(64);
for (let i = 0; i < 64; i++) K[i] = Math.floor(Math.abs(Math.sin(i + 1)) * 2 ** 32) | 0;

const INITIAL = Int32Array.from([0x67452301, 0xefcdab89 | 0, 0x98badcfe | 0, 0x10325476]);

/** RFC 1321 §3.4: one block's sixteen little-endian words `x` into `st`. */
function compress(st: Int32Array, x: Int32Array): void {
  let a = st[0]!;
  let bb = st[1]!;
  let c = st[2]!;
  let d = st[3]!;
  let t: number;
  let sum: number;
  // The four rounds of RFC 1321 §3.4, one loop each (no branch per step).
  for (let i = 0; i < 16; i++) {
    sum = (a + ((bb & c) | (~bb & d)) + K[i]! + x[i]!) | 0;
    t = d; d = c; c = bb;
    bb = (bb + ((sum << S[i]!) | (sum >>> (32 - S[i]!)))) | 0;
    a = t;
  }
  for (let i = 16; i < 32; i++) {
    sum = (a + ((d & bb) | (~d & c)) + K[i]! + x[(5 * i + 1) & 15]!) | 0;
    t = d; d = c; c = bb;
    bb = (bb + ((sum << S[i]!) | (sum >>> (32 - S[i]!)))) | 0;
    a = t;
  }
  for (let i = 32; i < 48; i++) {
    sum = (a + (bb ^ c ^ d) + K[i]! + x[(3 * i + 5) & 15]!) | 0;
    t = d; d = c; c = bb;
    bb = (bb + ((sum << S[i]!) | (sum >>> (32 - S[i]!)))) | 0;
    a = t;
  }
  for (let i = 48; i < 64; i++) {
    sum = (a + (c ^ (bb | ~d)) + K[i]! + x[(7 * i) & 15]!) | 0;
    t = d; d = c; c = bb;
    bb = (bb + ((sum << S[i]!) | (sum >>> (32 - S[i]!)))) | 0;
    a = t;
  }
  st[0] = (st[0]! + a) | 0;
  st[1] = (st[1]! + bb) | 0;
  st[2] = (st[2]! + c) | 0;
  st[3] = (st[3]! + d) | 0;
}

/** A streaming MD5 context: `reset`, `update` any number of times, `finish` into a buffer (src/wire/block-hash.ts). */
export function newMd5(): BlockHash {
  return new BlockHash(INITIAL, false, compress);
}

/** The keyed pad states of HMAC-MD5 for one key, computed once (RFC 2104 §2). */
export type HmacMd5Key = HmacKey;

const ctx = newMd5();
const calls = hashCalls(ctx, 16);
/** A key's HMAC-MD5 pads, hashed once. */
export const hmacMd5Key = calls.hmacKey;
/** HMAC-MD5 over the concatenation of `pieces`, written at out[offset]. */
export const hmacMd5 = calls.hmac;
/** MD5 over the concatenation of `pieces`, written at out[offset]. */
export const md5Into = calls.hash;

/** The shared context, for callers that hash ranges of a packet without making subarrays. */
export const md5Context = ctx;

/** Starts an HMAC-MD5 on the shared context: `update` ranges, then `hmacMd5Finish`. */
export const hmacMd5Begin = calls.hmacBegin;
/** Ends the HMAC-MD5 `hmacMd5Begin` started, the 16-octet tag written at out[offset]. */
export const hmacMd5Finish = calls.hmacFinish;
