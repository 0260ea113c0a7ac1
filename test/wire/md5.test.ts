import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import fc from 'fast-check';
import { newMd5, hmacMd5, hmacMd5Key, md5Into } from '../../src/wire/md5.js';

test('RFC 1321 §A.5 test suite', () => {
  const cases: [string, string][] = [
    ['', 'd41d8cd98f00b204e9800998ecf8427e'],
    ['a', '0cc175b9c0f1b6a831c399e269772661'],
    ['abc', '900150983cd24fb0d6963f7d28e17f72'],
    ['message digest', 'f96b697d7cb7938d525a2f31aaf161d0'],
    ['abcdefghijklmnopqrstuvwxyz', 'c3fcd3d76192e4007dfb496cca67e13b'],
    ['ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789', 'd174ab98d277d9f5a5611c2c9f419d9f'],
    ['12345678901234567890123456789012345678901234567890123456789012345678901234567890', '57edf4a22be3c955ac49da2e2107b67a'],
  ];
  for (const [input, want] of cases) {
    const out = new Uint8Array(16);
    md5Into([new TextEncoder().encode(input)], out);
    assert.equal(Buffer.from(out).toString('hex'), want, JSON.stringify(input));
  }
});

test('RFC 2104 / RFC 2202 HMAC-MD5 test cases', () => {
  const cases: [Uint8Array, Uint8Array, string][] = [
    [new Uint8Array(16).fill(0x0b), new TextEncoder().encode('Hi There'), '9294727a3638bb1c13f48ef8158bfc9d'],
    [new TextEncoder().encode('Jefe'), new TextEncoder().encode('what do ya want for nothing?'), '750c783e6ab0b503eaa86e310a5db738'],
    [new Uint8Array(80).fill(0xaa), new TextEncoder().encode('Test Using Larger Than Block-Size Key - Hash Key First'), '6b1ab7fe4bd7bf8f0b62e6ce61b9d0cd'],
  ];
  for (const [key, data, want] of cases) {
    const out = new Uint8Array(16);
    hmacMd5(hmacMd5Key(key), [data], out);
    assert.equal(Buffer.from(out).toString('hex'), want);
  }
});

test('property: equal to node:crypto for any input split into any pieces, at an offset', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), fc.array(fc.nat({ max: 300 }), { maxLength: 5 }), fc.uint8Array({ maxLength: 100 }), (data, cuts, key) => {
      const points = [...new Set([0, ...cuts.map((c) => c % (data.length + 1)), data.length])].sort((a, b) => a - b);
      const pieces = points.slice(1).map((p, i) => data.subarray(points[i], p));
      const out = new Uint8Array(20).fill(0xa5);
      md5Into(pieces, out, 2);
      assert.equal(Buffer.from(out.subarray(2, 18)).toString('hex'), createHash('md5').update(data).digest('hex'));
      assert.deepEqual([out[0], out[1], out[18], out[19]], [0xa5, 0xa5, 0xa5, 0xa5]);
      hmacMd5(hmacMd5Key(key), pieces, out, 0);
      assert.equal(Buffer.from(out.subarray(0, 16)).toString('hex'), createHmac('md5', key).update(data).digest('hex'));
      // Streaming one octet at a time agrees too.
      const m = newMd5();
      for (let i = 0; i < data.length; i++) m.update(data, i, i + 1);
      const o2 = new Uint8Array(16);
      m.finish(o2);
      assert.equal(Buffer.from(o2).toString('hex'), createHash('md5').update(data).digest('hex'));
    }),
    { numRuns: 1000 },
  );
});
