/**
 * hex and fromHex (src/wire/bytes.ts) against Node's own hex codec, for arrays of every
 * kind of backing: their own buffer, a view into a larger one, and the short ones V8 keeps
 * on its heap.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { fromHex, hex } from '../../src/wire/bytes.js';

test('hex is Buffer’s lower-case hex, and fromHex reads it back, for any octets at any offset', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), fc.nat({ max: 7 }), (bytes, pad) => {
      const big = new Uint8Array(pad + bytes.length + 3);
      big.set(bytes, pad);
      const view = big.subarray(pad, pad + bytes.length);
      const want = Buffer.from(bytes).toString('hex');
      assert.equal(hex(bytes), want);
      assert.equal(hex(view), want);
      assert.equal(hex(Uint8Array.from(bytes)), want);
      assert.deepEqual(fromHex(want), Uint8Array.from(bytes));
    }),
    { numRuns: 500 },
  );
});
