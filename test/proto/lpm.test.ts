import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { FLAT_AT, Lpm } from '../../src/proto/lpm.js';
import { ipv4FromString as ip } from '../../src/wire/bytes.js';
import { rng } from '../helpers/codec.js';

const mask = (l: number): number => (l === 0 ? 0 : (0xffffffff << (32 - l)) >>> 0);

/** The reference: a list scanned for the longest covering prefix. */
class Naive {
  readonly m = new Map<string, [number, number, number]>();
  insert(p: number, l: number, v: number): void { this.m.set(`${(p & mask(l)) >>> 0}/${l}`, [(p & mask(l)) >>> 0, l, v]); }
  remove(p: number, l: number): boolean { return this.m.delete(`${(p & mask(l)) >>> 0}/${l}`); }
  lookup(a: number): number {
    let best = -1;
    let bl = -1;
    for (const [p, l, v] of this.m.values()) if (l > bl && ((a & mask(l)) >>> 0) === p) [best, bl] = [v, l];
    return best;
  }
}

test('lpm: matches a linear-scan reference under random inserts, replaces and removes (overlapping prefixes of every length)', () => {
  // Prefixes drawn near a few bases so that they nest and overlap, including /0 and /32.
  const bases = [ip('10.0.0.0'), ip('10.1.2.0'), ip('192.0.2.0'), ip('255.255.255.0'), 0];
  const op = fc.record({
    kind: fc.constantFrom('insert', 'insert', 'remove'),
    base: fc.constantFrom(...bases),
    bits: fc.integer({ min: 0, max: 0xffff }),
    // Short prefixes write 2^(24-len) entries each (a /0 writes 16 M), so they are rarer.
    len: fc.oneof({ arbitrary: fc.integer({ min: 12, max: 32 }), weight: 20 }, { arbitrary: fc.constantFrom(16, 24, 25, 31, 32), weight: 10 }, { arbitrary: fc.integer({ min: 0, max: 11 }), weight: 1 }),
    value: fc.integer({ min: 0, max: 1000 }),
  });
  // One table for every run (a 2^24 tbl24 is 64 MB to zero): each run ends by emptying it,
  // so state left behind by one run would show in the next. A failed run starts a fresh one.
  let shared = new Lpm(1);
  fc.assert(
    fc.property(fc.array(op, { minLength: 1, maxLength: 60 }), fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 20, maxLength: 20 }), (ops, probes) => {
      if (shared.size !== 0) shared = new Lpm(1);
      const lpm = shared;
      const ref = new Naive();
      for (const o of ops) {
        const p = (o.base ^ o.bits) >>> 0;
        if (o.kind === 'insert') {
          lpm.insert(p, o.len, o.value);
          ref.insert(p, o.len, o.value);
        } else {
          assert.equal(lpm.remove(p, o.len), ref.remove(p, o.len));
        }
        assert.equal(lpm.size, ref.m.size);
      }
      for (const b of bases) for (const x of probes) {
        const a = (b ^ x) >>> 0;
        assert.equal(lpm.lookup(a), ref.lookup(a), `lookup ${a.toString(16)}`);
      }
      // Removing everything leaves an empty table with no groups in use.
      for (const [p, l] of [...ref.m.values()]) assert.ok(lpm.remove(p, l));
      assert.equal(lpm.size, 0);
      assert.equal(lpm.stats().tbl8Groups, 0);
      for (const b of bases) assert.equal(lpm.lookup(b), -1);
    }),
    { numRuns: 500 },
  );
});

test('lpm: a /32 under a /24 under a default route, and back', () => {
  const lpm = new Lpm();
  lpm.insert(0, 0, 1);
  lpm.insert(ip('198.51.100.0'), 24, 2);
  lpm.insert(ip('198.51.100.77'), 32, 3);
  assert.equal(lpm.lookup(ip('198.51.100.77')), 3);
  assert.equal(lpm.lookup(ip('198.51.100.78')), 2);
  assert.equal(lpm.lookup(ip('8.8.8.8')), 1);
  assert.equal(lpm.stats().tbl8Groups, 1);
  // Replacing the /24 keeps the /32 beneath it.
  lpm.insert(ip('198.51.100.0'), 24, 4);
  assert.equal(lpm.lookup(ip('198.51.100.77')), 3);
  assert.equal(lpm.lookup(ip('198.51.100.1')), 4);
  assert.ok(lpm.remove(ip('198.51.100.77'), 32));
  assert.equal(lpm.lookup(ip('198.51.100.77')), 4);
  assert.equal(lpm.stats().tbl8Groups, 0, 'the group collapsed back into tbl24');
  assert.ok(lpm.remove(ip('198.51.100.0'), 24));
  assert.equal(lpm.lookup(ip('198.51.100.77')), 1);
  assert.equal(lpm.remove(ip('198.51.100.0'), 24), false);
  assert.equal(lpm.get(0, 0), 1);
  assert.throws(() => lpm.insert(0, 33, 1), RangeError);
});

test('lpm: holds 1,000,000 routes; every lookup agrees with the exact-prefix index', () => {
  const lpm = new Lpm();
  const r = rng(7);
  const lens = [24, 24, 24, 24, 24, 24, 23, 22, 22, 21, 20, 19, 16, 32];
  let inserted = 0;
  while (lpm.size < 1_000_000) {
    const len = lens[r() % lens.length]!;
    // /32s cluster in subscriber pools (100.64.0.0/12), like an LNS's per-session routes.
    const p = len === 32 ? (ip('100.64.0.0') | (r() & 0x000fffff)) >>> 0 : r() >>> 0;
    lpm.insert(p, len, inserted++ & 0xfffff);
  }
  assert.equal(lpm.size, 1_000_000);
  // Reference: the longest l for which the exact index holds addr/l.
  for (let i = 0; i < 20000; i++) {
    const a = i & 1 ? r() >>> 0 : (ip('100.64.0.0') | (r() & 0x000fffff)) >>> 0;
    let want = -1;
    for (let l = 32; l >= 0; l--) {
      const v = lpm.get(a, l);
      if (v >= 0) { want = v; break; }
    }
    assert.equal(lpm.lookup(a), want);
  }
  const s = lpm.stats();
  assert.ok(s.tbl8Groups > 1000, `groups ${s.tbl8Groups}`);
  assert.ok(s.bytes < 200 * 1024 * 1024, `bytes ${s.bytes}`);
});

test('lpm: a small network\'s table is sized to what it holds; past FLAT_AT split chunks it turns flat and every lookup stays right', () => {
  const lpm = new Lpm();
  const ref = new Naive();
  const add = (p: number, l: number, v: number): void => {
    lpm.insert(p, l, v);
    ref.insert(p, l, v);
  };
  // What a router of the default topology holds: a default route, pools, links, a /32 per subscriber.
  add(0, 0, 1);
  add(ip('198.51.100.0'), 24, 2);
  add(ip('10.255.0.0'), 30, 3);
  add(ip('203.0.113.0'), 24, 4);
  for (let i = 0; i < 200; i++) add((ip('198.51.100.0') + i) >>> 0, 32, 10 + i);
  assert.equal(lpm.isFlat, false);
  assert.ok(lpm.stats().bytes < 512 * 1024, `a small table holds ${lpm.stats().bytes} bytes, not 64 MB`);
  const r = rng(5);
  const probes = [ip('198.51.100.7'), ip('198.51.101.7'), ip('10.255.0.2'), ip('10.255.0.9'), ip('203.0.113.10'), 0, 0xffffffff];
  for (let i = 0; i < 2000; i++) probes.push(r() >>> 0);
  const check = (what: string): void => { for (const a of probes) assert.equal(lpm.lookup(a), ref.lookup(a), `${what}: ${a.toString(16)}`); };
  check('chunked');
  // One /24 and one /28 in each of many /12s: every one splits a chunk of its own.
  const spread: [number, number][] = [];
  for (let k = 0; k < FLAT_AT + 100; k++) {
    const p = ((0x200 + k) << 20) >>> 0;
    spread.push([p, 24], [(p + 0x1230) >>> 0, 28]);
    probes.push((p + 5) >>> 0, (p + 0x1235) >>> 0, (p + 0x4000) >>> 0);
  }
  spread.forEach(([p, l], i) => {
    add(p, l, 1000 + i);
    if (i === 2 * (FLAT_AT - 3) - 1) {
      assert.equal(lpm.isFlat, false, 'still chunked at FLAT_AT chunks (three from the routes above)');
      check('chunked, nearly full');
    }
  });
  assert.equal(lpm.isFlat, true);
  check('flat');
  for (const [p, l] of spread) assert.ok(lpm.remove(p, l) && ref.remove(p, l));
  check('flat, after removes');
  assert.equal(lpm.stats().tbl8Groups, 2, 'only the groups of the /32s and the /30 are left');
});
