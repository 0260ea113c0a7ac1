/**
 * A fixed address outside its ISP's pool (issue 13 item 10): the core router gets a /32
 * toward that ISP's LNS, so the server's answers find their way back and the home's pings
 * are answered, in process on the virtual clock.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Network } from '../../src/sim/network.js';
import { VirtualClock } from '../../src/sim/clock.js';
import { loadTopology, topologySchema } from '../../src/config/topology.js';
import { ipv4FromString, ipv4ToString } from '../../src/wire/bytes.js';

test('alice with fixed 192.168.77.5, outside 198.51.100.0/24: online with it, and every ping of the server answered', () => {
  const base = loadTopology('topologies/default.yaml');
  const t = topologySchema.parse({
    ...base,
    homes: base.homes.slice(0, 1),
    isps: base.isps.map((isp, i) => (i === 0 ? { ...isp, users: isp.users.map((u) => (u.ip ? { ...u, ip: '192.168.77.5' } : u)) } : isp)),
  });
  const clock = new VirtualClock(Date.UTC(2026, 0, 1));
  const net = new Network(t, { clock });
  let address: string | undefined;
  let replies = 0;
  net.onEvent((e) => {
    if (e.kind !== 'home') return;
    if (e.event.type === 'online') address = ipv4ToString(e.event.address);
    if (e.event.type === 'ip' && e.event.event.kind === 'echo-reply') replies++;
  });
  const h = net.homes[0]!;
  net.act(h.cfg.name, (now) => h.start(now));
  clock.runUntil(clock.now() + 5000);
  assert.equal(address, '192.168.77.5');
  const server = ipv4FromString(t.server.address);
  for (let seq = 1; seq <= 5; seq++) {
    net.act(h.cfg.name, (now) => h.ping(server, seq, now));
    clock.runUntil(clock.now() + 1000);
  }
  assert.equal(replies, 5);
  net.close();
});
