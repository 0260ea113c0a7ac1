/**
 * Session limits from the topology through the embedded RADIUS to the LNS, on the virtual
 * clock: Session-Timeout (RFC 2865 §5.27) ends a session that long after it came up, with
 * Acct-Terminate-Cause Session-Timeout (RFC 2866 §5.10); Idle-Timeout (§5.28) ends one with no
 * IP traffic that long, cause Idle-Timeout; Acct-Interim-Interval (RFC 2869 §5.16) brings an
 * Interim-Update every interval while the session lives.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Network } from '../../src/sim/network.js';
import { VirtualClock } from '../../src/sim/clock.js';
import { loadTopology, topologySchema } from '../../src/config/topology.js';
import { ipv4FromString } from '../../src/wire/bytes.js';

test('sessionTimeout 20 s with interimInterval 5 s, idleTimeout 15 s, and neither: Stops with the right cause and time, Interim-Updates at 5, 10, 15 s', () => {
  const base = loadTopology('topologies/default.yaml');
  const t = topologySchema.parse({
    ...base,
    homes: base.homes.map((h) => ({ ...h, redial: false })),
    isps: base.isps.map((isp) => ({
      ...isp,
      users: isp.users.map((u) =>
        u.name.startsWith('bob') ? { ...u, sessionTimeout: 20, interimInterval: 5 } : u.name.startsWith('carol') ? { ...u, idleTimeout: 15 } : u,
      ),
    })),
  });
  const clock = new VirtualClock(Date.UTC(2026, 0, 1));
  const net = new Network(t, { clock, keep: 100_000 });
  const onlineAt = new Map<string, number>();
  net.onEvent((e) => {
    if (e.kind === 'home' && e.event.type === 'online') onlineAt.set(e.box, e.at);
  });
  for (const h of net.homes) net.act(h.cfg.name, (now) => h.start(now));
  const server = ipv4FromString(t.server.address);
  // alice and bob ping every second; carol sends nothing after coming up.
  for (let seq = 1; seq <= 40; seq++) {
    clock.runUntil(clock.now() + 1000);
    for (const h of net.homes) if (h.cfg.name !== 'home3' && h.isOnline) net.act(h.cfg.name, (now) => h.ping(server, seq, now));
  }
  const home = (n: string) => net.homes.find((h) => h.cfg.name === n)!;
  assert.equal(home('home1').isOnline, true, 'alice has no limit');
  assert.equal(home('home2').isOnline, false, 'bob ended at his Session-Timeout');
  assert.equal(home('home3').isOnline, false, 'carol ended at her Idle-Timeout');
  const recs = (user: string) => net.accounting.filter((l) => l.userName === user);
  const bob = recs('bob@isp-a.example');
  assert.deepEqual(bob.map((l) => l.statusType), ['Start', 'Interim-Update', 'Interim-Update', 'Interim-Update', 'Stop']);
  const stop = bob[4]!;
  assert.equal(stop.terminateCause, 'Session-Timeout');
  assert.equal(stop.sessionTime, 20);
  assert.deepEqual(bob.slice(1, 4).map((l) => l.sessionTime), [5, 10, 15]);
  assert.ok((stop.inputPackets ?? 0) >= 15, 'bob\'s pings were counted');
  const carol = recs('carol@isp-b.example');
  assert.deepEqual(carol.map((l) => l.statusType), ['Start', 'Stop']);
  assert.equal(carol[1]!.terminateCause, 'Idle-Timeout');
  assert.equal(carol[1]!.sessionTime, 15);
  assert.deepEqual(recs('alice@isp-a.example').map((l) => l.statusType), ['Start']);
  // The Stop came at the limit, measured from the session's own start on the virtual clock.
  const nteStop = net.events.find((e) => e.kind === 'nte' && e.event.type === 'session-ended' && e.event.user === 'bob@isp-a.example');
  assert.ok(nteStop && nteStop.kind === 'nte' && nteStop.event.type === 'session-ended');
  assert.equal(nteStop.event.cause, 5, 'Acct-Terminate-Cause 5 Session-Timeout');
  net.close();
});

test('idle time is measured from the last packet: a home that pings every 10 s never reaches an Idle-Timeout of 15 s', () => {
  const base = loadTopology('topologies/default.yaml');
  const t = topologySchema.parse({ ...base, homes: base.homes.slice(2), isps: base.isps.map((isp) => ({ ...isp, users: isp.users.map((u) => ({ ...u, idleTimeout: 15 })) })) });
  const clock = new VirtualClock(Date.UTC(2026, 0, 1));
  const net = new Network(t, { clock, keep: 100_000 });
  const h = net.homes[0]!;
  net.act(h.cfg.name, (now) => h.start(now));
  const server = ipv4FromString(t.server.address);
  for (let seq = 1; seq <= 12; seq++) {
    clock.runUntil(clock.now() + 10_000);
    assert.ok(h.isOnline, `online at ${seq * 10} s`);
    net.act(h.cfg.name, (now) => h.ping(server, seq, now));
  }
  clock.runUntil(clock.now() + 16_000);
  assert.equal(h.isOnline, false, 'quiet for 16 s: ended');
  const stop = net.accounting.find((l) => l.statusType === 'Stop');
  assert.equal(stop?.terminateCause, 'Idle-Timeout');
  net.close();
});
