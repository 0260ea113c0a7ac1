import test from 'node:test';
import assert from 'node:assert/strict';
import { Outbox } from '../../src/proto/outbox.js';

test('outbox: first in, first out across growth; a push past the limit is refused and counted', () => {
  const q = new Outbox<number>(20);
  for (let i = 0; i < 20; i++) assert.equal(q.push(i), true);
  assert.equal(q.push(20), false);
  assert.equal(q.refused, 1);
  const out: number[] = [];
  for (let x = q.shift(); x !== undefined; x = q.shift()) out.push(x);
  assert.deepEqual(out, [...Array(20).keys()]);
  assert.equal(q.length, 0);
});

test('outbox: a drained ring handed to another queue carries nothing of the first', () => {
  const a = new Outbox<string>();
  for (let round = 0; round < 3; round++) {
    a.push('a1');
    a.push('a2');
    a.push('a3');
    assert.equal(a.shift(), 'a1');
    assert.equal(a.shift(), 'a2');
    assert.equal(a.shift(), 'a3');
  }
  const b = new Outbox<string>();
  assert.equal(b.shift(), undefined);
  b.push('b1');
  assert.equal(b.shift(), 'b1');
  assert.equal(b.shift(), undefined, 'nothing left over from a');
  // Queues filling and draining in turn, sharing the spare rings, each against an array as the model.
  const qs = [new Outbox<number>(), new Outbox<number>(), new Outbox<number>()];
  const models: number[][] = [[], [], []];
  let seed = 7;
  const rnd = (): number => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  for (let step = 0; step < 5000; step++) {
    const k = Math.floor(rnd() * 3);
    if (rnd() < 0.55) {
      qs[k]!.push(step);
      models[k]!.push(step);
    } else assert.equal(qs[k]!.shift(), models[k]!.shift());
    assert.equal(qs[k]!.length, models[k]!.length);
  }
});
