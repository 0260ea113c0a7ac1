/**
 * The in-process network's embedded RADIUS pool, the issue-13 failures replayed: bob redials
 * many times while alice (fixed 198.51.100.10, inside the pool) is online; two homes log in
 * as one user; the gateway and DNS addresses sit inside the pool. No address may ever be
 * held by two live sessions, and none of those addresses may be handed out.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Network } from '../../src/sim/network.js';
import { VirtualClock } from '../../src/sim/clock.js';
import { loadTopology, topologySchema } from '../../src/config/topology.js';
import { ipv4FromString, ipv4ToString } from '../../src/wire/bytes.js';

function network() {
  const base = loadTopology('topologies/default.yaml');
  // A fourth home logged in as bob: two live sessions of one user.
  const t = topologySchema.parse({ ...base, homes: [...base.homes, { name: 'home4', user: 'bob@isp-a.example', password: 'hunter2' }] });
  const clock = new VirtualClock(Date.UTC(2026, 0, 1));
  const net = new Network(t, { clock });
  return { net, clock };
}

test('bob redials 30 times while alice and a second bob are online: never alice\'s, the gateway\'s or a DNS address, never one held by another live session', () => {
  const { net, clock } = network();
  const home = (n: string) => net.homes.find((h) => h.cfg.name === n)!;
  const live = new Map<string, string>(); // home → address while online
  const conflicts: string[] = [];
  net.onEvent((e) => {
    if (e.kind !== 'home') return;
    if (e.event.type === 'online') {
      const a = ipv4ToString(e.event.address);
      for (const [h, b] of live) if (b === a && h !== e.box) conflicts.push(`${e.box} got ${a}, held by ${h}`);
      live.set(e.box, a);
    } else if (e.event.type === 'offline') live.delete(e.box);
  });
  for (const h of ['home1', 'home3', 'home4']) net.act(h, (now) => home(h).start(now));
  clock.runUntil(clock.now() + 10_000);
  assert.equal(live.get('home1'), '198.51.100.10', 'alice online with her fixed address');
  assert.ok(live.has('home4'), 'the second bob online');
  const bobs: string[] = [];
  for (let i = 0; i < 30; i++) {
    net.act('home2', (now) => home('home2').start(now));
    clock.runUntil(clock.now() + 5_000);
    assert.ok(home('home2').isOnline, `redial ${i + 1} came up`);
    bobs.push(live.get('home2')!);
    net.act('home2', (now) => home('home2').disconnect(now));
    clock.runUntil(clock.now() + 5_000);
  }
  assert.deepEqual(conflicts, []);
  const forbidden = ['198.51.100.10', '198.51.100.1', '198.51.100.53', '198.51.100.54', '198.51.100.0', '198.51.100.255', live.get('home4')!];
  for (const a of bobs) {
    assert.ok(!forbidden.includes(a), `bob got ${a}`);
    const n = ipv4FromString(a);
    assert.ok(n > ipv4FromString('198.51.100.0') && n < ipv4FromString('198.51.100.255'), `${a} is in the pool`);
  }
  assert.notEqual(live.get('home4'), undefined);
  // Every Stop gave its address back: the server holds leases for the two live pool sessions only.
  const leases = net.isps[0]!.radiusBox!.server.leases('isp-a');
  assert.deepEqual(leases.map((l) => l.address).sort(), [live.get('home4')!]);
  net.close();
});

test('two homes logged in as one user at once get two addresses', () => {
  const { net, clock } = network();
  const addr = new Map<string, string>();
  net.onEvent((e) => {
    if (e.kind === 'home' && e.event.type === 'online') addr.set(e.box, ipv4ToString(e.event.address));
  });
  for (const h of ['home2', 'home4']) net.act(h, (now) => net.homes.find((x) => x.cfg.name === h)!.start(now));
  clock.runUntil(clock.now() + 10_000);
  assert.ok(addr.get('home2') && addr.get('home4'), JSON.stringify([...addr]));
  assert.notEqual(addr.get('home2'), addr.get('home4'));
  net.close();
});
