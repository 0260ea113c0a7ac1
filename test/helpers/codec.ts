/**
 * Shared checks for every codec: round trip, length agreement, emit at an offset into a
 * buffer pre-filled with 0xa5 (so a forgotten field shows), and a never-throw fuzz loop.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Codec, Parsed } from '../../src/wire/result.js';

/** Recursively turn Buffers into plain Uint8Arrays so deepStrictEqual compares content. */
export function plain<T>(v: T): T {
  if (v instanceof Uint8Array) return new Uint8Array(v) as unknown as T;
  if (Array.isArray(v)) return v.map(plain) as unknown as T;
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = plain(x);
    return out as T;
  }
  return v;
}

/** Emit `value` at offset 7 of a 0xa5-filled buffer; check length, untouched guard bytes, and parse back. */
export function checkRoundTrip<T>(codec: Codec<T>, value: T, normalize: (v: T) => unknown = plain): Uint8Array {
  const len = codec.encodedLength(value);
  const buf = new Uint8Array(len + 16).fill(0xa5);
  const written = codec.emit(value, buf, 7);
  assert.equal(written, len, 'emit wrote encodedLength bytes');
  for (let i = 0; i < 7; i++) assert.equal(buf[i], 0xa5, `guard byte ${i} before the value untouched`);
  for (let i = 7 + len; i < buf.length; i++) assert.equal(buf[i], 0xa5, `guard byte ${i} after the value untouched`);
  const bytes = buf.subarray(7, 7 + len);
  const parsed = codec.parse(bytes);
  if (!parsed.ok) assert.fail(`parse(emit(x)) failed: ${JSON.stringify(parsed.error)}`);
  assert.deepStrictEqual(normalize(parsed.value), normalize(value));
  // A second emit of the parsed value gives the same bytes (stable encoding).
  const again = new Uint8Array(codec.encodedLength(parsed.value));
  codec.emit(parsed.value, again, 0);
  assert.deepStrictEqual(Buffer.from(again), Buffer.from(bytes));
  return new Uint8Array(bytes);
}

/** Property test: parse(emit(x)) = x for every generated x. */
export function propertyRoundTrip<T>(codec: Codec<T>, arb: fc.Arbitrary<T>, numRuns = 500, normalize?: (v: T) => unknown): void {
  fc.assert(
    fc.property(arb, (v) => {
      checkRoundTrip(codec, v, normalize);
    }),
    { numRuns },
  );
}

/** Parse real bytes, emit back, and require identical bytes. Returns the parsed value. */
export function checkReemit<T>(codec: Codec<T>, bytes: Uint8Array, what = 'packet'): T {
  const parsed = codec.parse(bytes);
  if (!parsed.ok) assert.fail(`${what}: parse failed: ${JSON.stringify(parsed.error)}`);
  const len = codec.encodedLength(parsed.value);
  assert.equal(len, bytes.length, `${what}: encodedLength equals the original length`);
  const out = new Uint8Array(len);
  codec.emit(parsed.value, out, 0);
  assert.deepStrictEqual(Buffer.from(out).toString('hex'), Buffer.from(bytes).toString('hex'), `${what}: re-emitted byte for byte`);
  return parsed.value;
}

/** Deterministic xorshift PRNG so fuzz failures reproduce from the seed. */
export function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
}

/**
 * Feed `count` inputs to a decoder: half random bytes, half mutations of the seeds (bit
 * flips, byte sets, truncation, extension, splices). The decoder must never throw and
 * must always return {ok:true} or {ok:false, error:{code, offset}} with an in-range offset.
 */
export function fuzzDecoder(parse: (b: Uint8Array) => Parsed<unknown>, seeds: Uint8Array[], count: number, seed = 12345): { ok: number; errors: Map<string, number> } {
  const r = rng(seed);
  const errors = new Map<string, number>();
  let okCount = 0;
  const scratch = new Uint8Array(4096);
  for (let i = 0; i < count; i++) {
    let input: Uint8Array;
    if (seeds.length === 0 || (r() & 1) === 0) {
      const len = r() % (i % 16 === 0 ? 1600 : 64);
      for (let j = 0; j < len; j++) scratch[j] = r() & 0xff;
      input = scratch.slice(0, len);
    } else {
      const base = seeds[r() % seeds.length]!;
      const m = new Uint8Array(Math.min(base.length + 8, 4096));
      m.set(base.subarray(0, m.length));
      let len = base.length;
      const ops = 1 + (r() % 4);
      for (let k = 0; k < ops; k++) {
        switch (r() % 6) {
          case 0: if (len) m[r() % len] ^= 1 << (r() % 8); break;
          case 1: if (len) m[r() % len] = r() & 0xff; break;
          case 2: len = len ? r() % len : 0; break;
          case 3: len = Math.min(m.length, len + (r() % 8)); break;
          case 4: if (len) m[r() % len] = [0, 0xff, 1, 0x7f, 0x80][r() % 5]!; break;
          case 5: if (len > 1) { const a = r() % len; m[a] = 0; if (a + 1 < len) m[a + 1] = r() % 3; } break;
        }
      }
      input = m.slice(0, len);
    }
    let res: Parsed<unknown>;
    try {
      res = parse(input);
    } catch (e) {
      throw new Error(`decoder threw on input ${Buffer.from(input).toString('hex')}: ${(e as Error).stack}`);
    }
    if (res.ok) okCount++;
    else {
      if (typeof res.error.code !== 'string' || !(res.error.offset >= 0 && res.error.offset <= input.length)) {
        throw new Error(`bad error ${JSON.stringify(res.error)} for input ${Buffer.from(input).toString('hex')}`);
      }
      errors.set(res.error.code, (errors.get(res.error.code) ?? 0) + 1);
    }
  }
  return { ok: okCount, errors };
}
