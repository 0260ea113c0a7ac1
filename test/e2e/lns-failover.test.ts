/**
 * LNS failover inside a home's patience (issue 13 item 9), in one process and at default
 * settings: the carrier RADIUS's preferred LNS (Tunnel-Preference, RFC 2868 §3.8) is an
 * address nobody answers; the sse gives up a tunnel that has not come up after its own
 * connect timeout (sse.lnsConnectTimeout, default 4 s), not after the RFC 2661 §5.8
 * retransmission budget (5 tries, about 31 s, longer than the homes' 30 s of CHAP/PAP
 * patience), and every home, CHAP and PAP, comes up through preference 2, its LCP keepalive
 * answered by the sse meanwhile.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { Network, type NetEvent } from '../../src/sim/network.js';
import { topologySchema } from '../../src/config/topology.js';
import { VirtualClock } from '../../src/sim/clock.js';

const DEAD_A = '192.0.2.99';
const DEAD_B = '192.0.2.98';

function net(edit: (t: Record<string, any>) => void = () => {}, homeEchoIntervalMs?: number) {
  const raw = parse(readFileSync('topologies/default.yaml', 'utf8'));
  raw.sse.lnsLookup = 'radius';
  // Preference 1 is preferred over the real LNS's default 10: the carrier RADIUS lists the dead one first.
  raw.isps[0].alternateLns = [{ address: DEAD_A, preference: 1 }];
  raw.isps[1].alternateLns = [{ address: DEAD_B, preference: 1 }];
  edit(raw);
  const t = topologySchema.parse(raw);
  const clock = new VirtualClock(Date.UTC(2026, 0, 1));
  const n = new Network(t, { clock, ...(homeEchoIntervalMs ? { homeEchoIntervalMs } : {}) });
  const events: NetEvent[] = [];
  n.onEvent((e) => events.push(e));
  return { n, t, clock, events };
}

test('default settings: the preferred LNS is dead; every home (CHAP and PAP) comes up through preference 2 within its patience', () => {
  const { n, t, clock, events } = net((raw) => {
    assert.equal(raw.sse.l2tpMaxRetries, undefined, 'the RFC default retransmission budget');
    assert.equal(raw.sse.lnsConnectTimeout, undefined, 'the default connect timeout');
    raw.homes[1].auth = 'pap';
    // More homes behind isp-a, dialling at once and a few seconds apart, CHAP and PAP alternately.
    for (let i = 0; i < 12; i++) {
      raw.isps[0].users.push({ name: `u${i}@isp-a.example`, password: `pw${i}` });
      raw.homes.push({ name: `h${i}`, user: `u${i}@isp-a.example`, password: `pw${i}`, auth: i % 2 ? 'pap' : 'chap' });
    }
  }, 1000); // LCP echo every second, three unanswered end the link (a short pppd lcp-echo-interval)
  assert.equal(t.sse.lnsConnectTimeout, 4);
  const t0 = clock.now();
  n.homes.forEach((h, i) => clock.setTimer(t0 + (i < 9 ? 0 : (i - 8) * 1500), () => n.act(h.cfg.name, (now) => h.start(now))));
  const done = clock.runUntilTrue(() => n.homes.every((h) => h.isOnline), t0 + 60_000);
  const upAt = new Map<string, number>();
  for (const e of events) if (e.kind === 'home' && e.event.type === 'online' && !upAt.has(e.box)) upAt.set(e.box, e.at - t0);
  assert.ok(done, `online: ${n.homes.filter((h) => h.isOnline).length}/${n.homes.length}`);
  assert.ok(!events.some((e) => e.kind === 'home' && e.event.type === 'auth-failed'), 'no home gave up authentication');
  const lnsOf = new Map(events.flatMap((e) => (e.kind === 'sse' && e.event.type === 'relaying' ? [[e.event.user, e.event.lns] as const] : [])));
  for (const [user, lns] of lnsOf) assert.equal(lns, user.endsWith('@isp-b.example') ? 'nte-b' : 'nte-a', user);
  assert.equal(lnsOf.size, n.homes.length, 'one call per home, none ended and redialled');
  assert.equal(n.sse.counters['route.failover'], n.homes.length, 'every call failed over once');
  assert.equal(n.sse.counters['route.connect-timeout'], n.homes.length, 'by the connect timeout');
  const worst = Math.max(...upAt.values());
  // 4 s connect timeout + tunnel + call + LCP/auth/IPCP at the LNS, for the latest starter (12 s) too.
  assert.ok(worst < 12_000 + 6_000, `slowest home online after ${worst} ms`);
  for (let i = 0; i < 9; i++) assert.ok(upAt.get(n.homes[i]!.cfg.name)! >= 4000 && upAt.get(n.homes[i]!.cfg.name)! < 6000, `${n.homes[i]!.cfg.name}: ${upAt.get(n.homes[i]!.cfg.name)} ms`);
  // The attempts on the dead LNS were stopped once no call waited on them: only the two live tunnels are left.
  const live = n.sse.l2tp.tunnelInfo().filter((x) => x.state !== 'closing');
  assert.deepEqual(live.map((x) => [x.state, x.peerHostName]).sort(), [['established', 'nte-a.isp-a.example'], ['established', 'nte-b.isp-b.example']]);
  assert.ok(events.filter((e) => e.kind === 'sse' && e.event.type === 'tunnel-down').length >= 2, 'the dead attempts (one per ISP at least) ended');
  // The homes waited: no CHAP Failure / PAP Nak, and their repeated Responses / Requests (3 s) went unanswered meanwhile.
  assert.ok((n.sse.counters['access.drop.frame-while-opening'] ?? 0) > 0, 'the homes\' repeats while the sse was opening were dropped');
  // …but their LCP keepalive was answered by the sse, which still owns LCP until the LNS takes the call.
  assert.ok((n.sse.counters['lcp.echo-answered-while-waiting'] ?? 0) >= n.homes.length * 3, `echoes answered: ${n.sse.counters['lcp.echo-answered-while-waiting']}`);
});

test('sse.lnsConnectTimeout sets how long the sse waits; two dead LNS in a row are passed over one after the other', () => {
  const { n, clock, events } = net((raw) => { raw.sse.lnsConnectTimeout = 1.5; raw.homes = [raw.homes[0]]; });
  const t0 = clock.now();
  n.act('home1', (now) => n.homes[0]!.start(now));
  assert.ok(clock.runUntilTrue(() => n.homes[0]!.isOnline, t0 + 30_000));
  const at = events.find((e) => e.kind === 'home' && e.event.type === 'online')!.at - t0;
  assert.ok(at >= 1500 && at < 3000, `online after ${at} ms`);

  const two = net((raw) => {
    raw.isps[0].alternateLns = [{ address: DEAD_A, preference: 1 }, { address: DEAD_B, preference: 2 }];
    raw.homes = [raw.homes[0], { ...raw.homes[1], auth: 'pap' }];
  });
  const t1 = two.clock.now();
  for (const h of two.n.homes) two.n.act(h.cfg.name, (now) => h.start(now));
  assert.ok(two.clock.runUntilTrue(() => two.n.homes.every((h) => h.isOnline), t1 + 30_000), 'both homes online through preference 3');
  assert.equal(two.n.sse.counters['route.connect-timeout'], 4, 'two homes × two dead LNS');
  assert.ok(two.clock.now() - t1 < 8000 + 2000, `after ${two.clock.now() - t1} ms`);
});

test('a silent LNS with no next one to try is not timed out: the call keeps the tunnel\'s whole retransmission budget', () => {
  const { n, clock, events } = net((raw) => { raw.sse.lnsLookup = 'static'; raw.homes = [raw.homes[0]]; });
  // The static table sends isp-a to an address nobody answers (one LNS per domain: nothing to fail over to).
  (n.sse.cfg.lns as Map<string, { name: string; address: number; port: number }>).set('isp-a.example', { name: 'dead', address: 0xc0000263, port: 1701 });
  const t0 = clock.now();
  n.act('home1', (now) => n.homes[0]!.start(now));
  clock.runUntil(t0 + 10_000);
  assert.equal(n.sse.counters['route.connect-timeout'] ?? 0, 0);
  assert.equal(n.sse.sessionsByState().opening, 1, 'still waiting for the tunnel after 10 s');
  clock.runUntil(t0 + 40_000);
  const down = events.find((e) => e.kind === 'sse' && e.event.type === 'tunnel-down');
  assert.ok(down && down.at - t0 > 25_000, `the tunnel gave up after its retransmissions (${down && down.at - t0} ms)`);
});
