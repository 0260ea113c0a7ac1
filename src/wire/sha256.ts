/**
 * SHA-256 (FIPS 180-4) and HMAC-SHA256 (RFC 2104) without allocation, for the PPPoE AC-Cookie
 * (a keyed hash of the client's MAC and a time bucket, made for every PADO and checked on every
 * PADR): node:crypto's `createHmac` builds a key object and two hash objects per call, several
 * times the cost of the two 64-octet blocks it hashes. Like src/wire/md5.ts: one module-level
 * context is reused (JavaScript is single-threaded), a key's pads are hashed once. Checked
 * against node:crypto and RFC 4231's test cases in test/wire/sha256.test.ts.
 */
import { BlockHash, hashCalls, type HmacKey } from './block-hash.js';

const K = Int32Array.from([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);

const INITIAL = Int32Array.from([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);

/** FIPS 180-4 §6.2.2: one block's sixteen big-endian words into `st`, `w` extended to the 64-word schedule. */
function compress(st: Int32Array, w: Int32Array): void {
  for (let i = 16; i < 64; i++) {
    const x = w[i - 15]!;
    const y = w[i - 2]!;
    const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
    const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
    w[i] = (w[i - 16]! + s0 + w[i - 7]! + s1) | 0;
  }
  let a = st[0]!;
  let bb = st[1]!;
  let c = st[2]!;
  let d = st[3]!;
  let e = st[4]!;
  let f = st[5]!;
  let g = st[6]!;
  let h = st[7]!;
  // FIPS 180-4 §6.2.2, step 3.
  for (let i = 0; i < 64; i++) {
    const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
    const t1 = (h + S1 + ((e & f) ^ (~e & g)) + K[i]! + w[i]!) | 0;
    const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
    const t2 = (S0 + ((a & bb) ^ (a & c) ^ (bb & c))) | 0;
    h = g;
    g = f;
    f = e;
    e = (d + t1) | 0;
    d = c;
    c = bb;
    bb = a;
    a = (t1 + t2) | 0;
  }
  st[0] = (st[0]! + a) | 0;
  st[1] = (st[1]! + bb) | 0;
  st[2] = (st[2]! + c) | 0;
  st[3] = (st[3]! + d) | 0;
  st[4] = (st[4]! + e) | 0;
  st[5] = (st[5]! + f) | 0;
  st[6] = (st[6]! + g) | 0;
  st[7] = (st[7]! + h) | 0;
}

/** A streaming SHA-256 context: `reset`, `update` any number of times, `finish` into a buffer (src/wire/block-hash.ts). */
export function newSha256(): BlockHash {
  return new BlockHash(INITIAL, true, compress, 64);
}

/** The keyed pad states of HMAC-SHA256 for one key, computed once (RFC 2104 §2). */
export type HmacSha256Key = HmacKey;

const calls = hashCalls(newSha256(), 32);
/** A key's HMAC-SHA256 pads, hashed once. */
export const hmacSha256Key = calls.hmacKey;
/** HMAC-SHA256 over the concatenation of `pieces`, the 32-octet tag written at out[offset]. */
export const hmacSha256 = calls.hmac;
/** SHA-256 over the concatenation of `pieces`, written at out[offset]. */
export const sha256Into = calls.hash;
