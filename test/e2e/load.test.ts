/** 10,000 homes on the default topology come up and go down on the virtual clock; nothing is left behind. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Network } from '../../src/sim/network.js';
import { loadTopology } from '../../src/config/topology.js';
import { withHomes } from '../../src/config/generate.js';
import { VirtualClock } from '../../src/sim/clock.js';

test('10,000 homes come up and go down', () => {
  const N = 10_000;
  const t = withHomes(loadTopology('topologies/default.yaml'), N);
  const clock = new VirtualClock(Date.UTC(2026, 0, 1));
  const net = new Network(t, { clock });
  let online = 0;
  let offline = 0;
  let starts = 0;
  let stops = 0;
  const addresses = new Set<number>();
  net.onEvent((e) => {
    if (e.kind === 'home' && e.event.type === 'online') {
      online++;
      addresses.add(e.event.address);
    }
    if (e.kind === 'home' && e.event.type === 'offline') offline++;
    if (e.kind === 'radius' && e.event.type === 'accounting') {
      if (e.event.line.statusType === 'Start') starts++;
      if (e.event.line.statusType === 'Stop') stops++;
    }
  });
  for (const h of net.homes) net.act(h.cfg.name, (now) => h.start(now));
  assert.ok(clock.runUntilTrue(() => online === N, clock.now() + 120_000), `${online}/${N} online`);
  assert.equal(addresses.size, N, 'every home has its own address');
  assert.equal(net.isps.reduce((n, b) => n + b.nte.sessionCount, 0), N);
  assert.equal(net.sse.sessionsByState().relaying, N);
  for (const h of net.homes) net.act(h.cfg.name, (now) => h.disconnect(now));
  assert.ok(clock.runUntilTrue(() => offline === N, clock.now() + 120_000), `${offline}/${N} offline`);
  clock.runUntil(clock.now() + 30_000);
  assert.equal(net.isps.reduce((n, b) => n + b.nte.sessionCount, 0), 0);
  assert.deepEqual(net.sse.sessionsByState(), { lcp: 0, lookup: 0, opening: 0, relaying: 0, closing: 0 });
  assert.equal(starts, N);
  assert.equal(stops, N);
  for (const b of net.isps) assert.equal(b.nte.router.showRoutes().filter((r) => r.prefix.endsWith('/32') && r.kind !== 'local').length, 0);
});
