/**
 * The Merkle–Damgård frame that MD5 (RFC 1321) and SHA-256 (FIPS 180-4) share: 64-octet
 * blocks, a 0x80 octet and zeros as padding, the message length in bits in the last eight
 * octets, and HMAC (RFC 2104) over either, with a key's pads hashed once. The hashes differ in
 * their compression function, their initial state and their byte order (MD5 little-endian,
 * SHA-256 big-endian), which is all each module gives. Nothing here allocates per message.
 */

/** A compression function: one block, already read into `words[0..15]` in the hash's byte order, into `state`. */
export type Compress = (state: Int32Array, words: Int32Array) => void;

export class BlockHash {
  readonly state: Int32Array;
  private readonly block = new Uint8Array(64);
  /** The block's sixteen words, then whatever room the compression function works in (SHA-256's schedule). */
  private readonly words: Int32Array;
  private fill = 0;
  /** Octets hashed so far (below 2^53). */
  private length = 0;

  constructor(
    private readonly initial: Int32Array,
    private readonly bigEndian: boolean,
    private readonly compressWords: Compress,
    wordRoom = 16,
  ) {
    this.state = new Int32Array(initial.length);
    this.words = new Int32Array(wordRoom);
    this.reset();
  }

  private compress(b: Uint8Array, o: number): void {
    const w = this.words;
    if (this.bigEndian) for (let i = 0; i < 16; i++, o += 4) w[i] = (b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!;
    else for (let i = 0; i < 16; i++, o += 4) w[i] = b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24);
    this.compressWords(this.state, w);
  }

  reset(): this {
    this.state.set(this.initial);
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

  /** Appends the padding and writes the digest (4 octets per state word) at out[offset]. */
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
    if (this.bigEndian) {
      putBe(blk, 56, hi);
      putBe(blk, 60, lo);
    } else {
      putLe(blk, 56, lo);
      putLe(blk, 60, hi);
    }
    this.compress(blk, 0);
    const st = this.state;
    for (let i = 0; i < st.length; i++) (this.bigEndian ? putBe : putLe)(out, offset + 4 * i, st[i]!);
  }
}

function putBe(b: Uint8Array, o: number, v: number): void {
  b[o] = v >>> 24;
  b[o + 1] = (v >>> 16) & 0xff;
  b[o + 2] = (v >>> 8) & 0xff;
  b[o + 3] = v & 0xff;
}

function putLe(b: Uint8Array, o: number, v: number): void {
  b[o] = v & 0xff;
  b[o + 1] = (v >>> 8) & 0xff;
  b[o + 2] = (v >>> 16) & 0xff;
  b[o + 3] = v >>> 24;
}

/** The keyed pad states of an HMAC for one key, computed once (RFC 2104 §2). */
export interface HmacKey {
  readonly inner: Int32Array;
  readonly outer: Int32Array;
}

/** A key's HMAC pads on `ctx`; a key longer than a block is hashed first, to `digestLength` octets. */
export function hmacPads(ctx: BlockHash, key: Uint8Array, digestLength: number): HmacKey {
  let k = key;
  if (k.length > 64) {
    k = new Uint8Array(digestLength);
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

/** The calls a hash module offers, over one shared context (JavaScript is single-threaded). */
export interface HashCalls {
  /** A key's HMAC pads, hashed once. */
  hmacKey(key: Uint8Array): HmacKey;
  /** Starts an HMAC on the shared context: `update` ranges of a packet, then `hmacFinish`. */
  hmacBegin(key: HmacKey): BlockHash;
  /** Ends the HMAC `hmacBegin` started, the tag written at out[offset]. */
  hmacFinish(key: HmacKey, out: Uint8Array, offset?: number): void;
  /** HMAC over the concatenation of `pieces`, the tag written at out[offset]. */
  hmac(key: HmacKey, pieces: readonly Uint8Array[], out: Uint8Array, offset?: number): void;
  /** The plain hash over the concatenation of `pieces`, written at out[offset]. */
  hash(pieces: readonly Uint8Array[], out: Uint8Array, offset?: number): void;
}

export function hashCalls(ctx: BlockHash, digestLength: number): HashCalls {
  const innerDigest = new Uint8Array(digestLength);
  const hmacBegin = (key: HmacKey): BlockHash => ctx.resume(key.inner, 64);
  const hmacFinish = (key: HmacKey, out: Uint8Array, offset = 0): void => {
    ctx.finish(innerDigest);
    ctx.resume(key.outer, 64).update(innerDigest).finish(out, offset);
  };
  return {
    hmacKey: (key) => hmacPads(ctx, key, digestLength),
    hmacBegin,
    hmacFinish,
    hmac(key, pieces, out, offset = 0) {
      hmacBegin(key);
      for (const p of pieces) ctx.update(p);
      hmacFinish(key, out, offset);
    },
    hash(pieces, out, offset = 0) {
      ctx.reset();
      for (const p of pieces) ctx.update(p);
      ctx.finish(out, offset);
    },
  };
}
