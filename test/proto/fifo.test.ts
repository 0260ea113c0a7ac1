import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Fifo } from '../../src/proto/fifo.js';

test('Fifo: first in, first out across its front trims, with the length and peek of what is left', () => {
  const q = new Fifo<number>();
  assert.equal(q.shift(), undefined);
  assert.equal(q.peek(), undefined);
  let next = 0;
  let expect = 0;
  // Push three for every two taken, past several trims (the first at 1,024 taken).
  for (let round = 0; round < 5000; round++) {
    q.push(next++);
    q.push(next++);
    q.push(next++);
    assert.equal(q.shift(), expect++);
    assert.equal(q.shift(), expect++);
  }
  assert.equal(q.length, next - expect);
  assert.equal(q.peek(), expect);
  while (q.length) assert.equal(q.shift(), expect++);
  assert.equal(expect, next);
  assert.equal(q.shift(), undefined);
  q.push(7);
  q.clear();
  assert.equal(q.length, 0);
});
