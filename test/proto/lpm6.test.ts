import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Lpm6 } from '../../src/proto/lpm6.js';
import { RouteTable6 } from '../../src/proto/routes6.js';
import { ipv6FromString as ip6 } from '../../src/wire/ipv6.js';

/** Bit i (0 = most significant) of a 16-byte address. */
const bit = (a: Uint8Array, i: number): number => (a[i >>> 3]! >>> (7 - (i & 7))) & 1;
const covers = (p: Uint8Array, len: number, a: Uint8Array): boolean => {
  for (let i = 0; i < len; i++) if (bit(p, i) !== bit(a, i)) return false;
  return true;
};
const keyOf = (p: Uint8Array, len: number): string => {
  let s = '';
  for (let i = 0; i < len; i++) s += bit(p, i);
  return s;
};

/** The reference: a list scanned bit by bit for the longest covering prefix. */
class Naive {
  readonly m = new Map<string, [Uint8Array, number, number]>();
  insert(p: Uint8Array, l: number, v: number): void { this.m.set(keyOf(p, l), [p, l, v]); }
  remove(p: Uint8Array, l: number): boolean { return this.m.delete(keyOf(p, l)); }
  lookup(a: Uint8Array): number {
    let best = -1;
    let bl = -1;
    for (const [p, l, v] of this.m.values()) if (l > bl && covers(p, l, a)) [best, bl] = [v, l];
    return best;
  }
}

// Prefixes near a few bases so they nest and overlap (the same /16, the same /32, /64 boundaries), every length 0..128.
const bases = ['2001:db8::', '2001:db8:8000:1000::', '2001:db8:100:10::', 'fe80::', '::', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'].map(ip6);
const nearby = fc.record({ base: fc.constantFrom(...bases), flip: fc.array(fc.integer({ min: 0, max: 127 }), { maxLength: 3 }) }).map(({ base, flip }) => {
  const a = new Uint8Array(base);
  for (const i of flip) a[i >>> 3]! ^= 0x80 >>> (i & 7);
  return a;
});
const len = fc.oneof({ arbitrary: fc.integer({ min: 0, max: 128 }), weight: 3 }, { arbitrary: fc.constantFrom(0, 16, 17, 32, 48, 56, 63, 64, 65, 96, 127, 128), weight: 2 });

test('lpm6: matches a bit-by-bit reference under random inserts, replaces and removes (nested prefixes of every length)', () => {
  const op = fc.record({ kind: fc.constantFrom('insert', 'insert', 'remove'), p: nearby, len, value: fc.integer({ min: 0, max: 1000 }) });
  fc.assert(
    fc.property(fc.array(op, { minLength: 1, maxLength: 80 }), fc.array(nearby, { minLength: 20, maxLength: 20 }), (ops, probes) => {
      const lpm = new Lpm6({ initialSlots: 4 }); // tiny, so the table resizes and probe runs wrap
      const ref = new Naive();
      for (const o of ops) {
        if (o.kind === 'insert') {
          assert.ok(lpm.insert(o.p, o.len, o.value));
          ref.insert(o.p, o.len, o.value);
        } else assert.equal(lpm.remove(o.p, o.len), ref.remove(o.p, o.len));
        assert.equal(lpm.size, ref.m.size);
      }
      for (const a of [...probes, ...bases]) assert.equal(lpm.lookup(a), ref.lookup(a));
      for (const [p, l, v] of ref.m.values()) assert.equal(lpm.get(p, l), v);
      assert.equal([...lpm.entries()].length, ref.m.size);
      for (const [p, l] of [...ref.m.values()]) assert.ok(lpm.remove(p, l));
      assert.equal(lpm.size, 0);
      assert.equal(lpm.stats().lengths, 0);
      for (const a of probes) assert.equal(lpm.lookup(a), -1);
    }),
    { numRuns: 300 },
  );
});

test('lpm6: host bits are ignored; an address at an offset; the bound refuses and counts', () => {
  const lpm = new Lpm6({ maxPrefixes: 2 });
  assert.ok(lpm.insert(ip6('2001:db8:1:2:3:4:5:6'), 32, 7));
  assert.equal(lpm.get(ip6('2001:db8::'), 32), 7);
  const buf = new Uint8Array(30);
  buf.set(ip6('2001:db8:ffff::1'), 8);
  assert.equal(lpm.lookup(buf, 8), 7);
  assert.ok(lpm.insert(ip6('::'), 0, 1));
  assert.equal(lpm.insert(ip6('2001:db8:1::'), 48, 2), false);
  assert.equal(lpm.refused, 1);
  assert.ok(lpm.insert(ip6('2001:db8::'), 32, 9), 'replacing an existing prefix is not refused');
  assert.equal(lpm.lookup(ip6('2001:db9::')), 1);
  assert.equal(lpm.lookup(ip6('2001:db8:1::1')), 9);
});

test('lpm6: 200,000 random /48s and /64s against their own covering prefixes, then all removed', () => {
  let s = 0x1234567;
  const r = (): number => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) >>> 8) & 0xff;
  const lpm = new Lpm6();
  const ps: Uint8Array[] = [];
  for (let i = 0; i < 200_000; i++) {
    const p = new Uint8Array(16);
    p[0] = 0x20;
    for (let k = 1; k < 8; k++) p[k] = r();
    ps.push(p);
    lpm.insert(p, i & 1 ? 64 : 48, i);
  }
  lpm.insert(ip6('2000::'), 3, 999_999);
  for (let i = 0; i < ps.length; i += 97) {
    const a = new Uint8Array(ps[i]!);
    a[15] = 1;
    const v = lpm.lookup(a);
    // The value is i or a later prefix of the same or longer length covering it (random collisions are negligible).
    assert.ok(v === i || covers(ps[v]!, v & 1 ? 64 : 48, a), `lookup ${i} → ${v}`);
  }
  for (let i = 0; i < ps.length; i++) lpm.remove(ps[i]!, i & 1 ? 64 : 48);
  assert.equal(lpm.size, 1);
  assert.equal(lpm.lookup(ps[5]!), 999_999);
});

test('routes6: connected and local routes survive static adds; removeInterface takes only its own', () => {
  const t = new RouteTable6();
  assert.ok(t.add({ prefix: ip6('2001:db8:ffff::'), prefixLength: 64, ifIndex: 0, kind: 'connected' }));
  assert.ok(t.add({ prefix: ip6('2001:db8:ffff::1'), prefixLength: 128, ifIndex: 0, kind: 'local' }));
  assert.equal(t.add({ prefix: ip6('2001:db8:ffff::'), prefixLength: 64, nextHop: ip6('2001:db8:ffff::2'), ifIndex: 0, kind: 'static' }), false);
  assert.ok(t.add({ prefix: ip6('2001:db8:100::'), prefixLength: 40, nextHop: ip6('2001:db8:ffff::2'), ifIndex: 0, kind: 'static' }));
  assert.ok(t.add({ prefix: ip6('2001:db8:100:10::'), prefixLength: 64, ifIndex: 3, kind: 'runtime' }));
  const id = t.lookup(ip6('2001:db8:100:10::99'));
  assert.equal(t.ifIndex[id], 3);
  assert.equal(t.gateway(id), undefined);
  assert.deepEqual(t.gateway(t.lookup(ip6('2001:db8:100:11::1'))), ip6('2001:db8:ffff::2'));
  assert.equal(t.remove(ip6('2001:db8:ffff::'), 64), false, 'a connected route is not removed by hand');
  assert.equal(t.removeInterface(3), 1);
  assert.equal(t.ifIndex[t.lookup(ip6('2001:db8:100:10::99'))], 0);
  assert.deepEqual(t.show().map((x) => x.prefix), ['2001:db8:100::/40', '2001:db8:ffff::/64', '2001:db8:ffff::1/128'], 'by address, then most specific first');
});

test('lpm6: many /32s with long prefixes under them, removed in random order, checked against the reference all along (the /32 maps grow, collide and shrink)', () => {
  let s = 99;
  const r = (n: number): number => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) >>> 8) % n;
  const lpm = new Lpm6({ initialSlots: 4 });
  const ref = new Naive();
  const tops = Array.from({ length: 300 }, () => [0x20, r(256), r(256), r(256)]);
  const live: [Uint8Array, number][] = [];
  const probe = (): void => {
    for (let k = 0; k < 20; k++) {
      const a = new Uint8Array(16);
      if (live.length && r(2)) a.set(live[r(live.length)]![0]);
      else a.set(tops[r(tops.length)]!);
      a[15] ^= r(2);
      a[7] ^= r(2) << 3;
      assert.equal(lpm.lookup(a), ref.lookup(a));
    }
  };
  for (let i = 0; i < 1500; i++) {
    const p = new Uint8Array(16);
    p.set(tops[r(tops.length)]!);
    for (let k = 4; k < 16; k++) p[k] = r(4);
    const len = [20, 28, 32, 33, 40, 48, 56, 64, 96, 128][r(10)]!;
    lpm.insert(p, len, i);
    ref.insert(p, len, i);
    live.push([p, len]);
    if (i % 100 === 0) probe();
  }
  assert.equal(lpm.size, ref.m.size);
  while (live.length) {
    const [p, len] = live.splice(r(live.length), 1)[0]!;
    assert.equal(lpm.remove(p, len), ref.remove(p, len));
    if (live.length % 50 === 0) probe();
  }
  assert.equal(lpm.size, 0);
});
