import fc from 'fast-check';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MacTable } from '../../src/sim/mac-table.js';
import { VirtualClock } from '../../src/sim/clock.js';
import { Segment } from '../../src/sim/link.js';

const mac = (k: number): Uint8Array => {
  const b = new Uint8Array(6);
  for (let i = 5, x = k; i >= 0; i--, x = Math.floor(x / 256)) b[i] = x % 256;
  return b;
};

test('the MAC table answers as a Map of 48-bit addresses does, through growth and backward-shift deletion', () => {
  const ports = [{ p: 0 }, { p: 1 }, { p: 2 }, { p: 3 }];
  // Addresses from a small set (many collide in the probe sequence) and from the whole 48-bit space.
  const addr = fc.oneof(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 2 ** 48 - 1 }));
  const op = fc.oneof(
    { weight: 8, arbitrary: fc.record({ set: addr, port: fc.integer({ min: 0, max: 3 }) }) },
    { weight: 4, arbitrary: fc.record({ get: addr }) },
    { weight: 1, arbitrary: fc.record({ drop: fc.integer({ min: 0, max: 3 }) }) },
  );
  fc.assert(
    fc.property(fc.array(op, { minLength: 100, maxLength: 1000 }), (ops) => {
      const t = new MacTable<{ p: number }>();
      const model = new Map<number, { p: number }>();
      for (const o of ops) {
        if ('set' in o) {
          const before = t.setAt(mac(o.set), 0, ports[o.port]!);
          assert.equal(before, model.get(o.set));
          model.set(o.set, ports[o.port]!);
        } else if ('get' in o) {
          assert.equal(t.getAt(mac(o.get), 0), model.get(o.get));
        } else {
          t.deleteValue(ports[o.drop]!);
          for (const [k, v] of model) if (v === ports[o.drop]) model.delete(k);
        }
        assert.equal(t.size, model.size);
      }
      for (const [k, v] of model) assert.equal(t.getAt(mac(k), 0), v);
    }),
    { numRuns: 300 },
  );
});

test('a full MAC table learns no new address and counts it; known ones still move', () => {
  const t = new MacTable<{ p: number }>(3);
  const a = { p: 0 };
  const b = { p: 1 };
  for (let k = 1; k <= 3; k++) assert.equal(t.setAt(mac(k), 0, a), undefined);
  assert.equal(t.setAt(mac(4), 0, a), false);
  assert.equal(t.refused, 1);
  assert.equal(t.getAt(mac(4), 0), undefined);
  assert.equal(t.setAt(mac(2), 0, b), a);
  assert.equal(t.getAt(mac(2), 0), b);
});

test('the segment follows an address that moves between ports, and back', () => {
  const c = new VirtualClock();
  const s = new Segment('lan', c);
  const got: string[] = [];
  const frame = (dst: number, src: number): Uint8Array => new Uint8Array([2, 0, 0, 0, 0, dst, 2, 0, 0, 0, 0, src, 0x08, 0x00]);
  const x = s.attach('x', () => got.push('x'));
  const y = s.attach('y', () => got.push('y'));
  const z = s.attach('z', () => got.push('z'));
  const send = (p: typeof x, f: Uint8Array): void => {
    got.length = 0;
    p.send(f);
    c.run();
  };
  send(x, frame(9, 7)); // 7 is behind x; 9 unknown: flooded
  assert.deepEqual(got.sort(), ['y', 'z']);
  send(z, frame(7, 9));
  assert.deepEqual(got, ['x']);
  send(y, frame(9, 7)); // 7 moved to y
  send(z, frame(7, 9));
  assert.deepEqual(got, ['y']);
  send(x, frame(9, 7)); // and back to x: x must learn it again although it sent from 7 before
  send(z, frame(7, 9));
  assert.deepEqual(got, ['x']);
  assert.equal(s.counters.macTableFull, 0);
});

test('a unicast flooded before its destination is learnt reaches each port as its own copy; a broadcast is one frame shared', () => {
  const c = new VirtualClock();
  const s = new Segment('lan', c);
  const seen: number[][] = [];
  const rewrite = (f: Uint8Array): void => {
    seen.push([...f.subarray(12, 14)]);
    f[12] = 0xee; // a receiver that owns the frame rewrites it in place
  };
  const x = s.attach('x', () => undefined);
  s.attach('y', rewrite);
  s.attach('z', rewrite);
  x.send(new Uint8Array([2, 0, 0, 0, 0, 9, 2, 0, 0, 0, 0, 7, 0x08, 0x00])); // 9 is not learnt: flooded
  c.run();
  assert.deepEqual(seen, [[0x08, 0x00], [0x08, 0x00]]);
  seen.length = 0;
  const got: Uint8Array[] = [];
  s.attach('w', (f) => got.push(f));
  s.attach('v', (f) => got.push(f));
  x.send(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 7, 0x08, 0x06]));
  c.run();
  assert.equal(got.length, 2);
  assert.equal(got[0], got[1]);
});
