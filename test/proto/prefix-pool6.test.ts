/**
 * IPv6 prefix pools: the prefixes a pool cuts (written out from the pool's bits), never one
 * leased twice or a reserved one leased, exhaustion, and a pool of 2^23 /56s (isp-a's pdPool)
 * that costs memory only for its leases.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { PrefixPool6, parseIpv6Prefix, ipv6PrefixFromString as P, ipv6PrefixToString as S, prefixContains, prefixesOverlap } from '../../src/proto/prefix-pool6.js';

test('prefix text: parsed strictly (no bits past the length), printed RFC 5952', () => {
  assert.equal(S(P('2001:DB8:8000::/33')), '2001:db8:8000::/33');
  assert.equal(parseIpv6Prefix('2001:db8:8000::/32'), undefined, 'bit 32 set past a /32');
  assert.equal(parseIpv6Prefix('2001:db8::/129'), undefined);
  assert.equal(parseIpv6Prefix('2001:db8::'), undefined);
  assert.equal(parseIpv6Prefix('nonsense/64'), undefined);
  assert.ok(prefixContains(P('2001:db8::/32'), P('2001:db8:100::/40')));
  assert.ok(!prefixContains(P('2001:db8:100::/40'), P('2001:db8::/32')));
  assert.ok(prefixesOverlap(P('2001:db8:100::/40'), P('2001:db8::/32')));
  assert.ok(!prefixesOverlap(P('2001:db8:100::/40'), P('2001:db8:8000::/33')));
});

test("isp-a's pdPool 2001:db8:8000::/33 in /56s: 2^23 of them, first, second and last written out by hand", () => {
  const pool = new PrefixPool6(P('2001:db8:8000::/33'), 56);
  assert.equal(pool.size, 2 ** 23);
  assert.equal(S(pool.prefixAt(0)), '2001:db8:8000::/56');
  assert.equal(S(pool.prefixAt(1)), '2001:db8:8000:100::/56');
  assert.equal(S(pool.prefixAt(2 ** 23 - 1)), '2001:db8:ffff:ff00::/56');
  assert.equal(pool.indexOf(P('2001:db8:8000:1000::/56')), 0x10);
  assert.equal(pool.indexOf(P('2001:db8:7fff:ff00::/56')), undefined, 'outside the pool');
  assert.equal(pool.indexOf(P('2001:db8:8000:1000::/64')), undefined, 'another length');
  const wan = new PrefixPool6(P('2001:db8:100::/40'), 64);
  assert.equal(wan.size, 2 ** 24);
  assert.equal(S(wan.prefixAt(0x10)), '2001:db8:100:10::/64');
  assert.equal(S(wan.prefixAt(2 ** 24 - 1)), '2001:db8:1ff:ffff::/64');
  assert.throws(() => new PrefixPool6(P('2001:db8::/32'), 72), /cannot cut/);
  assert.throws(() => new PrefixPool6(P('2001:db8::/56'), 48), /cannot cut/);
});

test('reserved prefixes are never leased; every prefix once, then exhausted, then a released one comes back', () => {
  const pool = new PrefixPool6(P('2001:db8:0:10::/60'), 64);
  assert.equal(pool.size, 16);
  assert.equal(pool.reserve(P('2001:db8:0:13::/64')), 1);
  assert.equal(pool.reserve(P('2001:db8:0:18::/62')), 4, 'a shorter fixed prefix reserves the /64s it covers');
  assert.equal(pool.reserve(P('2001:db8:1::/64')), 0, 'outside the pool: nothing');
  const got = new Set<string>();
  for (let p = pool.lease(); p; p = pool.lease()) got.add(S(p));
  assert.equal(got.size, 11);
  for (const r of ['2001:db8:0:13::/64', '2001:db8:0:18::/64', '2001:db8:0:19::/64', '2001:db8:0:1a::/64', '2001:db8:0:1b::/64']) assert.ok(!got.has(r), r);
  assert.equal(pool.counters.exhausted, 1);
  assert.equal(pool.lease(), undefined);
  assert.equal(pool.release(P('2001:db8:0:15::/64')), true);
  assert.equal(pool.release(P('2001:db8:0:15::/64')), false, 'not leased any more');
  assert.equal(pool.counters.releaseUnknown, 1);
  assert.equal(S(pool.lease()!), '2001:db8:0:15::/64');
  assert.equal(pool.leaseExact(P('2001:db8:0:13::/64')), false, 'a reserved prefix, even asked for by name');
});

test('random lease / release / leaseExact: never a prefix to two holders, exhaustion only when all are taken', () => {
  fc.assert(fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 2 }), fc.nat(63)), { maxLength: 400 }), fc.nat(3), (ops, limit) => {
    const pool = new PrefixPool6(P('2001:db8::/58'), 64, limit);
    pool.reserve(P('2001:db8:0:7::/64'));
    const held = new Set<number>();
    for (const [op, n] of ops) {
      if (op === 0) {
        const p = pool.lease();
        if (!p) {
          assert.equal(held.size, 63, 'exhausted only with every unreserved prefix held');
          continue;
        }
        const i = pool.indexOf(p)!;
        assert.ok(!held.has(i), `index ${i} leased twice`);
        assert.notEqual(i, 7, 'the reserved one');
        held.add(i);
      } else if (op === 1) {
        const i = [...held][n % Math.max(1, held.size)];
        if (i === undefined) continue;
        assert.equal(pool.release(pool.prefixAt(i)), true);
        held.delete(i);
      } else {
        const ok = pool.leaseExact(pool.prefixAt(n));
        assert.equal(ok, !held.has(n) && n !== 7);
        if (ok) held.add(n);
      }
      assert.equal(pool.inUse, held.size);
    }
  }), { numRuns: 300 });
});

test('a 2^23 pool costs memory for its leases only: 200,000 leases and releases of churn in bounded memory', () => {
  global.gc?.();
  const before = process.memoryUsage().heapUsed;
  const pool = new PrefixPool6(P('2001:db8:8000::/33'), 56);
  const live: ReturnType<PrefixPool6['lease']>[] = [];
  const seen = new Set<number>();
  for (let i = 0; i < 200_000; i++) {
    const p = pool.lease()!;
    const k = pool.indexOf(p)!;
    live.push(p);
    if (live.length > 1000) pool.release(live.shift()!);
    seen.add(k);
  }
  assert.equal(pool.inUse, 1000);
  assert.equal(new Set(live.map((p) => S(p!))).size, 1000, 'the live leases are distinct');
  const after = process.memoryUsage().heapUsed;
  // The churn only ever holds 1,000 leases and a bounded queue of given-back prefixes: far
  // below one word per prefix of the pool (2^23 × 8 octets = 64 MiB).
  assert.ok(after - before < 48 * 2 ** 20, `heap grew ${((after - before) / 2 ** 20).toFixed(1)} MiB`);
  assert.ok(seen.size >= 65_536, 'fresh prefixes first: a given-back one waits before it is reused');
});
