import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import fc from 'fast-check';
import { newSha256, hmacSha256, hmacSha256Key, sha256Into } from '../../src/wire/sha256.js';
import { fromHex } from '../../src/wire/bytes.js';

const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const hexOf = (b: Uint8Array): string => Buffer.from(b).toString('hex');

test('FIPS 180-4 examples (NIST CSRC): one block, two blocks, a million "a"', () => {
  const cases: [Uint8Array, string][] = [
    [text(''), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'],
    [text('abc'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'],
    [text('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq'), '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1'],
    [new Uint8Array(1_000_000).fill(0x61), 'cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0'],
  ];
  for (const [input, want] of cases) {
    const out = new Uint8Array(32);
    sha256Into([input], out);
    assert.equal(hexOf(out), want);
  }
});

test('RFC 4231 HMAC-SHA256 test cases 1-4, 6, 7 (5 is a truncated tag)', () => {
  const cases: [Uint8Array, Uint8Array, string][] = [
    [new Uint8Array(20).fill(0x0b), text('Hi There'), 'b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7'],
    [text('Jefe'), text('what do ya want for nothing?'), '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843'],
    [new Uint8Array(20).fill(0xaa), new Uint8Array(50).fill(0xdd), '773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe'],
    [fromHex('0102030405060708090a0b0c0d0e0f10111213141516171819'), new Uint8Array(50).fill(0xcd), '82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b'],
    [new Uint8Array(131).fill(0xaa), text('Test Using Larger Than Block-Size Key - Hash Key First'), '60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54'],
    [new Uint8Array(131).fill(0xaa), text('This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm.'), '9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2'],
  ];
  for (const [key, data, want] of cases) {
    const out = new Uint8Array(32);
    hmacSha256(hmacSha256Key(key), [data], out);
    assert.equal(hexOf(out), want);
  }
});

test('property: equal to node:crypto for any input split into any pieces and any key, written at an offset', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), fc.array(fc.nat({ max: 300 }), { maxLength: 5 }), fc.uint8Array({ maxLength: 150 }), fc.nat({ max: 7 }), (data, cuts, key, at) => {
      const points = [...new Set([0, ...cuts.map((c) => c % (data.length + 1)), data.length])].sort((a, b) => a - b);
      const pieces = points.slice(1).map((p, i) => data.subarray(points[i]!, p));
      const out = new Uint8Array(at + 32).fill(0xee);
      sha256Into(pieces, out, at);
      assert.equal(hexOf(out.subarray(at)), createHash('sha256').update(data).digest('hex'));
      assert.ok(out.subarray(0, at).every((x) => x === 0xee), 'nothing written before the offset');
      hmacSha256(hmacSha256Key(key), pieces, out, at);
      assert.equal(hexOf(out.subarray(at)), createHmac('sha256', key).update(data).digest('hex'));
      // update() with a range hashes the same as the subarray.
      const c = newSha256().update(data, 0, Math.floor(data.length / 2)).update(data, Math.floor(data.length / 2));
      c.finish(out, at);
      assert.equal(hexOf(out.subarray(at)), createHash('sha256').update(data).digest('hex'));
    }),
    { numRuns: 300 },
  );
});
