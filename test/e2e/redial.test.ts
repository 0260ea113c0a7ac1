/**
 * Homes dial again as a home router running pppd with `persist` does: after every end they
 * did not ask for (PADT from the AC, LCP Terminate from the peer, echo timeout, a failed
 * setup), after a holdoff that doubles per consecutive failed setup, until `maxfail`; never
 * after `disconnect()`/`padt()` until `start()`; not at all with `redial: false`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Topology } from '../../src/config/topology.js';
import { start as startRun, topo, type Run } from '../helpers/net-run.js';
const S = 1000;

/** The shared run, with `up()` asserting that the homes came online. */
function start(t: Topology, homeEchoIntervalMs = 30_000): Run {
  const r = startRun(t, homeEchoIntervalMs);
  return { ...r, up: (names?: string[]) => { assert.ok(r.up(names), 'homes online'); return true; } };
}

/** The wait pppd's holdoff with our back-off allows: base × [0.5, 1.5), base = min(holdoff × 2^failures, cap). */
function allowed(waitedMs: number, failures: number, holdoff = 5, cap = 120): boolean {
  const base = Math.min(holdoff * 2 ** failures, cap) * S;
  return waitedMs >= 0.5 * base && waitedMs < 1.5 * base;
}

test('the topology default: redial on, holdoff 5 s, back-off cap 120 s, maxfail 0 (forever); redial: false and explicit values parse', () => {
  const t = topo((r) => {
    r.homes[1].redial = false;
    r.homes[2].redial = { holdoff: 1, maxfail: 4 };
  });
  assert.deepEqual(t.homes[0]!.redial, { holdoff: 5, maxHoldoff: 120, maxfail: 0 });
  assert.equal(t.homes[1]!.redial, false);
  assert.deepEqual(t.homes[2]!.redial, { holdoff: 1, maxHoldoff: 120, maxfail: 4 });
  assert.throws(() => topo((r) => { r.homes[0].redial = { holdoff: -1 }; }));
  assert.throws(() => topo((r) => { r.homes[0].redial = true; }));
});

test('LNS StopCCN (PADT from the AC): the homes of that LNS dial again after the holdoff and come back with a new accounting session', () => {
  const r = start(topo());
  r.up();
  const a = r.net.isps[0]!;
  const t0 = r.clock.now();
  r.net.act(a.isp.lns.name, (now) => a.nte.stopAll(now));
  r.clock.runUntil(t0 + 2000);
  assert.equal(r.home('home1').isOnline, false);
  assert.equal(r.home('home2').isOnline, false);
  assert.ok(r.clock.runUntilTrue(() => r.home('home1').isOnline && r.home('home2').isOnline, t0 + 30_000), 'back online');
  for (const n of ['home1', 'home2']) {
    const redials = r.homeEvents(n, 'redial');
    assert.equal(redials.length, 1, n);
    const e = redials[0]!;
    assert.ok(e.kind === 'home' && e.event.type === 'redial');
    assert.equal(e.event.failures, 0, 'the session had been online: not a failure');
    assert.ok(allowed(e.event.waitedMs, 0), `${n} waited ${e.event.waitedMs} ms`);
    assert.ok(e.at - t0 >= 2500 && e.at - t0 < 7600, `${n} redialled ${e.at - t0} ms after the PADT`);
  }
  assert.equal(r.homeEvents('home3', 'redial').length, 0, 'isp-b untouched');
  const starts = r.acct.filter((x) => x.statusType === 'Start');
  assert.equal(starts.length, 5, 'three first Starts and two new ones');
  assert.equal(new Set(starts.map((x) => x.sessionId)).size, 5, 'a new Acct-Session-Id per session');
});

test('Disconnect-Request (LCP Terminate from the peer): the home redials; a user disconnect and a user PADT do not', () => {
  const r = start(topo());
  r.up();
  r.net.disconnectRequest('isp-a', 'alice@isp-a.example');
  r.net.act('home2', (now) => r.home('home2').disconnect(now));
  r.net.act('home3', (now) => r.home('home3').padt(now));
  r.clock.runUntil(r.clock.now() + 10 * 60_000);
  assert.equal(r.homeEvents('home1', 'redial').length, 1);
  assert.ok(r.home('home1').isOnline, 'home1 came back');
  for (const n of ['home2', 'home3']) {
    assert.equal(r.homeEvents(n, 'redial').length, 0, `${n} was told to stop`);
    assert.equal(r.home(n).isOnline, false);
    assert.equal(r.home(n).redialAt, undefined);
  }
  // start() again: the user wants the link back, and from now on it is kept up.
  r.up(['home2']);
  const b = r.net.isps[0]!;
  r.net.act(b.isp.lns.name, (now) => b.nte.stopAll(now));
  r.clock.runUntil(r.clock.now() + 60_000);
  assert.ok(r.home('home2').isOnline && r.home('home1').isOnline);
  assert.equal(r.homeEvents('home2', 'redial').length, 1);
});

test('a cut carrier: echo timeout ends the session, failed setups back off (doubling, capped), the home is back soon after the carrier is', () => {
  const r = start(topo(), 10_000);
  r.up(['home1']);
  const carrier = r.net.segments.get('carrier')!;
  carrier.impairments = { loss: 1 };
  r.clock.runUntil(r.clock.now() + 20 * 60_000);
  assert.equal(r.home('home1').isOnline, false);
  const offline = r.homeEvents('home1', 'offline');
  assert.ok(offline.length >= 1);
  const redials = r.homeEvents('home1', 'redial').map((e) => (e.kind === 'home' && e.event.type === 'redial' ? e.event : undefined)!);
  assert.ok(redials.length >= 4, `${redials.length} redials in 20 minutes`);
  assert.equal(redials[0]!.failures, 0, 'the first after the online session');
  redials.forEach((x, i) => {
    assert.equal(x.failures, i, 'each setup through a dead carrier fails');
    assert.ok(allowed(x.waitedMs, x.failures), `redial ${i + 1}: waited ${x.waitedMs} ms after ${x.failures} failures`);
  });
  assert.ok(redials.length < 30, 'backed off: not a redial storm');
  carrier.impairments = {};
  // The wait is at most 1.5 × the 120 s cap plus one setup.
  assert.ok(r.clock.runUntilTrue(() => r.home('home1').isOnline, r.clock.now() + 240_000), 'online again');
  assert.equal(r.home('home1').failures, 0, 'online resets the count');
});

test('a wrong password with maxfail 3: three failed setups, waits doubling, then it gives up', () => {
  const r = start(topo((t) => {
    t.homes[1].password = 'wrong';
    t.homes[1].redial = { holdoff: 2, maxfail: 3 };
  }));
  r.net.act('home2', (now) => r.home('home2').start(now));
  r.clock.runUntil(r.clock.now() + 10 * 60_000);
  assert.equal(r.homeEvents('home2', 'auth-failed').length, 3);
  const redials = r.homeEvents('home2', 'redial').map((e) => (e.kind === 'home' && e.event.type === 'redial' ? e.event : undefined)!);
  assert.deepEqual(redials.map((x) => x.failures), [1, 2]);
  redials.forEach((x) => assert.ok(allowed(x.waitedMs, x.failures, 2), `waited ${x.waitedMs} after ${x.failures}`));
  const gaveUp = r.homeEvents('home2', 'redial-given-up');
  assert.equal(gaveUp.length, 1);
  assert.equal(r.home('home2').redialAt, undefined);
  assert.equal(r.net.isps[0]!.nte.radius.counters.accessRejects, 3);
});

test('redial: false: a home whose session the LNS ended stays down', () => {
  const r = start(topo((t) => { for (const h of t.homes) h.redial = false; }));
  r.up();
  const a = r.net.isps[0]!;
  r.net.act(a.isp.lns.name, (now) => a.nte.stopAll(now));
  r.clock.runUntil(r.clock.now() + 10 * 60_000);
  assert.equal(r.home('home1').isOnline, false);
  assert.equal(r.homeEvents('home1', 'redial').length, 0);
});

test('the same seed gives the same waits (the jitter is seeded, not Math.random)', () => {
  const waits = (): number[] => {
    const r = start(topo(), 10_000);
    r.up(['home1']);
    r.net.segments.get('carrier')!.impairments = { loss: 1 };
    r.clock.runUntil(r.clock.now() + 10 * 60_000);
    return r.homeEvents('home1', 'redial').map((e) => (e.kind === 'home' && e.event.type === 'redial' ? e.event.waitedMs : -1));
  };
  const a = waits();
  assert.ok(a.length >= 3);
  assert.deepEqual(waits(), a);
});
