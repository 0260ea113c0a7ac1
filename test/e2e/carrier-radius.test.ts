/** The sse asks the carrier RADIUS where a domain's LNS is (RFC 2868 Tunnel-* attributes), with failover by Tunnel-Preference. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { Network, type NetEvent } from '../../src/sim/network.js';
import { topologySchema } from '../../src/config/topology.js';
import { VirtualClock } from '../../src/sim/clock.js';

function net(edit: (t: Record<string, any>) => void) {
  const raw = parse(readFileSync('topologies/default.yaml', 'utf8'));
  raw.sse.lnsLookup = 'radius';
  edit(raw);
  const clock = new VirtualClock(Date.UTC(2026, 0, 1));
  const n = new Network(topologySchema.parse(raw), { clock });
  const events: NetEvent[] = [];
  n.onEvent((e) => events.push(e));
  return { n, clock, events };
}

test('carrier RADIUS: every domain is routed by Tunnel-Server-Endpoint; an unknown domain is refused', () => {
  // home4 does not redial after its refusal, so that it asks once (redial is test/e2e/redial.test.ts).
  const { n, clock, events } = net((t) => { t.homes.push({ name: 'home4', user: 'dave@nowhere.example', password: 'x', redial: false }); });
  for (const h of n.homes) n.act(h.cfg.name, (now) => h.start(now));
  clock.runUntil(clock.now() + 20_000);
  assert.deepEqual(n.homes.map((h) => h.isOnline), [true, true, true, false]);
  const asked = events.filter((e) => e.box === 'carrier-radius' && e.kind === 'radius' && e.event.type === 'auth');
  assert.equal(asked.length, 4, 'one Access-Request per home');
  assert.equal(n.sse.counters['route.radius-accept'], 3);
  assert.equal(n.sse.counters['route.radius-reject'], 1);
  assert.ok(events.some((e) => e.box === 'home4' && e.kind === 'home' && e.event.type === 'auth-failed'), 'the home got CHAP Failure');
  assert.ok(events.some((e) => e.kind === 'sse' && e.event.type === 'no-lns' && e.event.domain === 'nowhere.example'));
  const lnsOf = events.flatMap((e) => (e.kind === 'sse' && e.event.type === 'relaying' ? [[e.event.user, e.event.lns]] : []));
  assert.deepEqual(lnsOf.sort(), [['alice@isp-a.example', 'nte-a'], ['bob@isp-a.example', 'nte-a'], ['carol@isp-b.example', 'nte-b']]);
});

test('carrier RADIUS: a preferred LNS that does not answer is given up and the next one by preference takes the call', () => {
  // Three tries (1 + 2 + 4 s, then 8 s) give the dead LNS up before the home's CHAP peer gives up (10 × 3 s).
  const { n, clock, events } = net((t) => {
    t.isps[0].alternateLns = [{ address: '192.0.2.99', preference: 1 }];
    t.sse.l2tpMaxRetries = 3;
  });
  const home = n.homes[0]!;
  n.act('home1', (now) => home.start(now));
  assert.ok(clock.runUntilTrue(() => home.isOnline, clock.now() + 120_000), 'home1 came online');
  assert.equal(n.sse.counters['route.failover'], 1);
  const relaying = events.find((e) => e.kind === 'sse' && e.event.type === 'relaying');
  assert.ok(relaying && relaying.kind === 'sse' && relaying.event.type === 'relaying' && relaying.event.lns === 'nte-a');
});
