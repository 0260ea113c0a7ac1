/** The queues every box shares: bounded, refusals counted, and let go once drained with the count kept. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BoxOutput } from '../../src/roles/box.js';

class Probe extends BoxOutput<'p', number> {
  send(n: number): void {
    for (let i = 0; i < n; i++) {
      this.tx.push({ port: 'p', frame: new Uint8Array([i]) });
      this.events.push(i);
    }
  }
  get holdsQueues(): boolean {
    return Object.values(this).some((v) => v !== null && typeof v === 'object' && 'limit' in v);
  }
}

test('BoxOutput: a push beyond the bound is refused and counted; the count survives the drained queue being let go', () => {
  const b = new Probe(4);
  assert.equal(b.holdsQueues, false, 'a box that never sent holds no queue');
  b.send(6);
  assert.equal(b.outputRefused, 4, 'two frames and two events refused');
  const frames: number[] = [];
  for (let t = b.pollTransmit(); t; t = b.pollTransmit()) frames.push(t.frame[0]!);
  const events: number[] = [];
  for (let e = b.pollEvent(); e !== undefined; e = b.pollEvent()) events.push(e);
  assert.deepEqual(frames, [0, 1, 2, 3], 'in order, the first four');
  assert.deepEqual(events, [0, 1, 2, 3]);
  assert.equal(b.holdsQueues, false, 'drained: no queue kept');
  assert.equal(b.outputRefused, 4, 'what was refused is still counted');
  b.send(5);
  assert.equal(b.outputRefused, 6);
  assert.equal(b.pollTransmit()!.frame[0], 0);
});
