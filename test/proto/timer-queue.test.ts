// The timer queue behind many machines' nextTimeout (sse, nte, RADIUS): lazy slots, and the
// rebuild that drops them once they outnumber the live ones. Checked against a plain model.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { TimerQueue } from '../../src/proto/timer-queue.js';

test('timer queue: due(now) gives exactly the items whose latest time has come, through schedules, moves, removals and rebuilds', () => {
  const op = fc.oneof(
    fc.record({ k: fc.constant('schedule' as const), item: fc.nat(3000), dt: fc.integer({ min: 0, max: 100 }) }),
    fc.record({ k: fc.constant('remove' as const), item: fc.nat(3000) }),
    fc.record({ k: fc.constant('due' as const), dt: fc.integer({ min: 0, max: 30 }) }),
  );
  fc.assert(
    fc.property(fc.array(op, { maxLength: 6000 }), (ops) => {
      const q = new TimerQueue<number>();
      const model = new Map<number, number>();
      let now = 0;
      for (const o of ops) {
        if (o.k === 'schedule') {
          q.schedule(o.item, now + o.dt);
          model.set(o.item, now + o.dt);
        } else if (o.k === 'remove') {
          q.remove(o.item);
          model.delete(o.item);
        } else {
          now += o.dt;
          const got = [...new Set(q.due(now))].sort((a, b) => a - b);
          const want = [...model].filter(([, t]) => t <= now).map(([i]) => i).sort((a, b) => a - b);
          for (const i of want) model.delete(i);
          assert.deepEqual(got, want);
        }
        assert.equal(q.size, model.size);
        const first = Math.min(...model.values());
        assert.equal(q.peek(), model.size ? first : undefined);
      }
    }),
    { numRuns: 30 },
  );
});

test('timer queue: a mass set-up that removes each item after scheduling it leaves no pile of dead slots', () => {
  const q = new TimerQueue<{ id: number }>();
  const live = Array.from({ length: 10 }, (_, id) => ({ id }));
  for (const x of live) q.schedule(x, 1_000_000 + x.id);
  for (let i = 0; i < 100_000; i++) {
    const x = { id: 100 + i };
    q.schedule(x, 60_000 + i);
    q.remove(x);
  }
  const slots = (q as unknown as { heap: { size: number } }).heap.size;
  assert.ok(slots <= 2048, `${slots} heap slots for 10 live timers`);
  assert.deepEqual(q.due(2_000_000).map((x) => x.id), live.map((x) => x.id));
});
