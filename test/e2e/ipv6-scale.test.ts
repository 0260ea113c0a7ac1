/**
 * Issue 17, in process: 10,000 dual-stack homes through home → sse → nte → router come up
 * with a /64 on their WAN link and a delegated /56 each, every one distinct, inside the ISP's
 * pools; a sample of them ping6 the server through the chain.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Network } from '../../src/sim/network.js';
import { parseTopology } from '../../src/config/topology.js';
import { withHomes } from '../../src/config/generate.js';
import { VirtualClock } from '../../src/sim/clock.js';
import { ipv6FromString } from '../../src/wire/ipv6.js';

const HOMES = 10_000;

/** The prefix `p` (text, a/len) is inside `pool` (text, b/len2): len >= len2 and the first len2 bits agree. */
function inside(p: string, pool: string): boolean {
  const [a, la] = p.split('/') as [string, string];
  const [b, lb] = pool.split('/') as [string, string];
  const x = ipv6FromString(a);
  const y = ipv6FromString(b);
  const n = Number(lb);
  if (Number(la) < n) return false;
  for (let bit = 0; bit < n; bit++) if ((x[bit >> 3]! ^ y[bit >> 3]!) & (0x80 >> (bit & 7))) return false;
  return true;
}

test(`${HOMES} dual-stack homes: distinct /64s and /56s inside the pools, ping6 to the server through the chain`, () => {
  const base = parseTopology(readFileSync('topologies/default.yaml', 'utf8'));
  // Only the ISP with IPv6, so every generated home is dual stack.
  const t = withHomes({ ...base, isps: base.isps.filter((i) => i.ipv6) }, HOMES);
  const v6 = t.isps[0]!.ipv6!;
  const clock = new VirtualClock(Date.UTC(2026, 0, 1));
  const net = new Network(t, { clock });
  const up = new Map<string, { address: string; delegatedPrefix: string; lanPrefix: string }>();
  const lnsUp: { wanPrefix?: string | undefined; delegatedPrefix?: string | undefined }[] = [];
  let replies = 0;
  net.onEvent((e) => {
    if (e.kind === 'home' && e.event.type === 'home-ipv6-up') up.set(e.event.home, e.event);
    if (e.kind === 'nte' && e.event.type === 'ipv6-up') lnsUp.push(e.event);
    if (e.kind === 'home' && e.event.type === 'ip6' && e.event.event.kind === 'echo-reply') replies++;
  });
  let i = 0;
  for (const h of net.homes) {
    const at = clock.now() + Math.floor(i++ / 20); // 20 homes a millisecond
    clock.setTimer(at, () => net.act(h.cfg.name, (now) => h.start(now)));
  }
  assert.ok(clock.runUntilTrue(() => up.size === HOMES, clock.now() + 120_000), `${up.size}/${HOMES} homes with IPv6 up`);
  const pd = new Set<string>();
  for (const [home, u] of up) {
    assert.match(u.delegatedPrefix, /\/56$/, home);
    assert.ok(inside(u.delegatedPrefix, v6.pdPool), `${home}: ${u.delegatedPrefix} inside ${v6.pdPool}`);
    assert.ok(inside(u.lanPrefix, u.delegatedPrefix) && u.lanPrefix.endsWith('/64'), `${home}: LAN ${u.lanPrefix} is a /64 of ${u.delegatedPrefix}`);
    assert.ok(inside(`${u.address}/128`, v6.wanPrefixPool), `${home}: WAN address ${u.address} inside ${v6.wanPrefixPool}`);
    pd.add(u.delegatedPrefix);
  }
  assert.equal(pd.size, HOMES, 'every delegated prefix distinct');
  assert.equal(lnsUp.length, HOMES, 'the LNS reported IPv6 up once per session');
  assert.equal(new Set(lnsUp.map((e) => e.wanPrefix)).size, HOMES, 'every WAN /64 distinct');
  assert.equal(new Set(lnsUp.map((e) => e.delegatedPrefix)).size, HOMES);
  // What the LNS reported is what the homes took.
  assert.deepEqual(new Set(lnsUp.map((e) => e.delegatedPrefix)), pd);

  const server = ipv6FromString(t.server.address6!);
  // One ping first: the router resolves the server by NDP (RFC 4861 §7.2.2), and its queue of
  // packets waiting for that holds 16 per neighbour, as it should; then 20 at once.
  net.act(net.homes[1]!.cfg.name, (now) => net.homes[1]!.ping6(server, 1, now));
  clock.runUntil(clock.now() + 1000);
  assert.equal(replies, 1, 'the first ping6 answered');
  replies = 0;
  const sample = net.homes.filter((_, k) => k % 500 === 0);
  for (const h of sample) net.act(h.cfg.name, (now) => h.ping6(server, 1, now));
  clock.runUntil(clock.now() + 2000);
  assert.equal(replies, sample.length, 'every sampled home got its ping6 answered by the server');
});
