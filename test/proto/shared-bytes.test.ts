import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sharedBytes, sharedNumbers } from '../../src/proto/shared-bytes.js';

test('equal contents give one array, other contents another, and the input is copied', () => {
  const input = Uint8Array.of(0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x53);
  const a = sharedBytes(input);
  const b = sharedBytes(input.slice());
  assert.equal(a, b, 'one shared array for equal bytes');
  assert.notEqual(a, input, 'a copy, not the caller’s buffer');
  assert.deepEqual([...a], [...input]);
  input[15] = 0x54; // the caller reuses its buffer (a received packet): the shared copy keeps its value
  assert.equal(a[15], 0x53);
  const c = sharedBytes(input);
  assert.notEqual(c, a);
  assert.equal(c[15], 0x54);
});

test('a prefix of another value and the empty value are values of their own', () => {
  const long = Uint8Array.of(1, 2, 3, 4);
  const short = Uint8Array.of(1, 2, 3);
  assert.notEqual(sharedBytes(long), sharedBytes(short));
  assert.equal(sharedBytes(short).length, 3);
  assert.equal(sharedBytes(new Uint8Array(0)).length, 0);
  assert.equal(sharedBytes(Uint8Array.of(0)).length, 1);
});

test('values longer than 32 octets are copied, not shared; many values keep being right', () => {
  const big = new Uint8Array(40).fill(7);
  const x = sharedBytes(big);
  const y = sharedBytes(big);
  assert.notEqual(x, y);
  assert.deepEqual([...x], [...big]);
  // More distinct values than the table holds: each answer still has the right contents.
  for (let i = 0; i < 3000; i++) {
    const v = Uint8Array.of(i & 0xff, i >> 8, 9);
    assert.deepEqual([...sharedBytes(v)], [i & 0xff, i >> 8, 9]);
  }
});

test('sharedNumbers: equal lists are one frozen array, different lists are not; the caller\'s array is not the one kept', () => {
  const mine = [0xc0000235, 0xc0000236];
  const a = sharedNumbers(mine);
  const b = sharedNumbers([0xc0000235, 0xc0000236]);
  assert.equal(a, b);
  assert.notEqual(a, mine);
  assert.ok(Object.isFrozen(a));
  assert.deepEqual(a, [0xc0000235, 0xc0000236]);
  mine[0] = 1;
  assert.equal(a[0], 0xc0000235, 'a later write to the caller\'s array does not reach the shared one');
  assert.notEqual(sharedNumbers([0xc0000235]), a);
  assert.deepEqual(sharedNumbers([]), []);
});
