/**
 * SHA-256 (FIPS 180-4) and HMAC-SHA256 (RFC 2104) without allocation, for the PPPoE AC-Cookie
 * (a keyed hash of the client's MAC and a time bucket, made for every PADO and checked on every
 * PADR): node:crypto's `createHmac` builds a key object and two hash objects per call, several
 * times the cost of the two 64-octet blocks it hashes. Like src/wire/md5.ts: one module-level
 * context is reused (JavaScript is single-threaded), a key's pads are hashed once. Checked
 * against node:crypto and RFC 4231's test cases in test/wire/sha256.test.ts.
 */

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

/** A streaming SHA-256 context: `reset`, `update` any number of times, `finish` into a buffer. */
export class Sha256 {
  readonly state = new Int32Array(8);
  private readonly block = new Uint8Array(64);
  private readonly w = new Int32Array(64);
  private fill = 0;
  /** Octets hashed so far (below 2^53). */
  private length = 0;

  constructor() {
    this.reset();
  }

  reset(): this {
    this.state.set(INITIAL);
    this.fill = 0;
    this.length = 0;
    return this;
  }

  /** Continue from a saved state after `length` octets (a multiple of 64), e.g. HMAC's keyed pads. */
  resume(state: Int32Array, length: number): this {
    this.state.set(state);
    this.fill = 0;
    this.length = length;
    return this;
  }

  update(b: Uint8Array, start = 0, end = b.length): this {
    this.length += end - start;
    let i = start;
    const blk = this.block;
    if (this.fill > 0) {
      let f = this.fill;
      while (f < 64 && i < end) blk[f++] = b[i++]!;
      this.fill = f;
      if (f < 64) return this;
      this.compress(blk, 0);
      this.fill = 0;
    }
    for (; i + 64 <= end; i += 64) this.compress(b, i);
    let f = 0;
    while (i < end) blk[f++] = b[i++]!;
    this.fill = f;
    return this;
  }

  /** Appends the padding (the length big-endian, in bits) and writes the 32-octet digest at out[offset]. */
  finish(out: Uint8Array, offset = 0): void {
    const bits = this.length * 8;
    const blk = this.block;
    let f = this.fill;
    blk[f++] = 0x80;
    if (f > 56) {
      blk.fill(0, f, 64);
      this.compress(blk, 0);
      f = 0;
    }
    blk.fill(0, f, 56);
    const hi = Math.floor(bits / 2 ** 32) >>> 0;
    const lo = bits >>> 0;
    blk[56] = hi >>> 24;
    blk[57] = (hi >>> 16) & 0xff;
    blk[58] = (hi >>> 8) & 0xff;
    blk[59] = hi & 0xff;
    blk[60] = lo >>> 24;
    blk[61] = (lo >>> 16) & 0xff;
    blk[62] = (lo >>> 8) & 0xff;
    blk[63] = lo & 0xff;
    this.compress(blk, 0);
    for (let i = 0; i < 8; i++) {
      const v = this.state[i]!;
      out[offset + 4 * i] = v >>> 24;
      out[offset + 4 * i + 1] = (v >>> 16) & 0xff;
      out[offset + 4 * i + 2] = (v >>> 8) & 0xff;
      out[offset + 4 * i + 3] = v & 0xff;
    }
  }

  private compress(b: Uint8Array, o: number): void {
    const w = this.w;
    for (let i = 0; i < 16; i++, o += 4) w[i] = (b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!;
    for (let i = 16; i < 64; i++) {
      const x = w[i - 15]!;
      const y = w[i - 2]!;
      const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
      const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
      w[i] = (w[i - 16]! + s0 + w[i - 7]! + s1) | 0;
    }
    const st = this.state;
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
}

/** The keyed pad states of HMAC-SHA256 for one key, computed once (RFC 2104 §2). */
export interface HmacSha256Key {
  readonly inner: Int32Array;
  readonly outer: Int32Array;
}

const ctx = new Sha256();
const innerDigest = new Uint8Array(32);

export function hmacSha256Key(key: Uint8Array): HmacSha256Key {
  let k = key;
  if (k.length > 64) {
    k = new Uint8Array(32);
    ctx.reset().update(key).finish(k);
  }
  const pad = new Uint8Array(64);
  const keyed = (byte: number): Int32Array => {
    pad.fill(byte);
    for (let i = 0; i < k.length; i++) pad[i]! ^= k[i]!;
    ctx.reset().update(pad);
    return new Int32Array(ctx.state);
  };
  return { inner: keyed(0x36), outer: keyed(0x5c) };
}

/** HMAC-SHA256 over the concatenation of `pieces`, the 32-octet tag written at out[offset]. */
export function hmacSha256(key: HmacSha256Key, pieces: readonly Uint8Array[], out: Uint8Array, offset = 0): void {
  ctx.resume(key.inner, 64);
  for (const p of pieces) ctx.update(p);
  ctx.finish(innerDigest);
  ctx.resume(key.outer, 64).update(innerDigest).finish(out, offset);
}

/** SHA-256 over the concatenation of `pieces`, written at out[offset]. */
export function sha256Into(pieces: readonly Uint8Array[], out: Uint8Array, offset = 0): void {
  ctx.reset();
  for (const p of pieces) ctx.update(p);
  ctx.finish(out, offset);
}
