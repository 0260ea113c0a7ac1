/**
 * MD5 (RFC 1321) and HMAC-MD5 (RFC 2104) without allocation, for RADIUS's per-packet
 * authenticators: node:crypto's objects cost more to create than the hashing of a 100-octet
 * packet. One module-level context is reused (JavaScript is single-threaded); inputs are
 * hashed in pieces straight from the packet. Checked against node:crypto in test/wire/md5.test.ts.
 */

const S = Int32Array.from([7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20,
  4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21]);
const K = new Int32Array(64);
for (let i = 0; i < 64; i++) K[i] = Math.floor(Math.abs(Math.sin(i + 1)) * 2 ** 32) | 0;

/** A streaming MD5 context: `reset`, `update` any number of times, `finish` into a buffer. */
export class Md5 {
  readonly state = new Int32Array(4);
  private readonly block = new Uint8Array(64);
  private readonly x = new Int32Array(16);
  private fill = 0;
  /** Octets hashed so far (below 2^53). */
  private length = 0;

  constructor() {
    this.reset();
  }

  reset(): this {
    this.state[0] = 0x67452301;
    this.state[1] = 0xefcdab89 | 0;
    this.state[2] = 0x98badcfe | 0;
    this.state[3] = 0x10325476;
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

  /** Appends the padding and writes the 16-octet digest at out[offset]. */
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
    const lo = bits >>> 0;
    const hi = Math.floor(bits / 2 ** 32) >>> 0;
    blk[56] = lo & 0xff;
    blk[57] = (lo >>> 8) & 0xff;
    blk[58] = (lo >>> 16) & 0xff;
    blk[59] = lo >>> 24;
    blk[60] = hi & 0xff;
    blk[61] = (hi >>> 8) & 0xff;
    blk[62] = (hi >>> 16) & 0xff;
    blk[63] = hi >>> 24;
    this.compress(blk, 0);
    for (let i = 0; i < 4; i++) {
      const v = this.state[i]!;
      out[offset + 4 * i] = v & 0xff;
      out[offset + 4 * i + 1] = (v >>> 8) & 0xff;
      out[offset + 4 * i + 2] = (v >>> 16) & 0xff;
      out[offset + 4 * i + 3] = (v >>> 24) & 0xff;
    }
  }

  private compress(b: Uint8Array, o: number): void {
    const x = this.x;
    for (let i = 0; i < 16; i++, o += 4) x[i] = b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24);
    const st = this.state;
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
}

/** The keyed pad states of HMAC-MD5 for one key, computed once (RFC 2104 §2). */
export interface HmacMd5Key {
  readonly inner: Int32Array;
  readonly outer: Int32Array;
}

const ctx = new Md5();
const innerDigest = new Uint8Array(16);

export function hmacMd5Key(key: Uint8Array): HmacMd5Key {
  let k = key;
  if (k.length > 64) {
    k = new Uint8Array(16);
    ctx.reset().update(key).finish(k);
  }
  const pad = new Uint8Array(64);
  const keyed = (byte: number) => {
    pad.fill(byte);
    for (let i = 0; i < k.length; i++) pad[i]! ^= k[i]!;
    ctx.reset().update(pad);
    return new Int32Array(ctx.state);
  };
  return { inner: keyed(0x36), outer: keyed(0x5c) };
}

/** The shared context, for callers that hash ranges of a packet without making subarrays. */
export const md5Context = ctx;

/** Starts an HMAC-MD5 on the shared context: `update` ranges, then `hmacMd5Finish`. */
export function hmacMd5Begin(key: HmacMd5Key): Md5 {
  return ctx.resume(key.inner, 64);
}

export function hmacMd5Finish(key: HmacMd5Key, out: Uint8Array, offset = 0): void {
  ctx.finish(innerDigest);
  ctx.resume(key.outer, 64).update(innerDigest).finish(out, offset);
}

/** HMAC-MD5 over the concatenation of `pieces`, written at out[offset]. */
export function hmacMd5(key: HmacMd5Key, pieces: readonly Uint8Array[], out: Uint8Array, offset = 0): void {
  ctx.resume(key.inner, 64);
  for (const p of pieces) ctx.update(p);
  ctx.finish(innerDigest);
  ctx.resume(key.outer, 64).update(innerDigest).finish(out, offset);
}

/** MD5 over the concatenation of `pieces`, written at out[offset]. */
export function md5Into(pieces: readonly Uint8Array[], out: Uint8Array, offset = 0): void {
  ctx.reset();
  for (const p of pieces) ctx.update(p);
  ctx.finish(out, offset);
}
