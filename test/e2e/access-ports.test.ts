/**
 * Several sse access ports (topology `sse.accessPorts`), each its own PPPoE AC and session-id
 * space: homes on different ports get the same PPPoE session ids and all come up; generated
 * homes spread over as many ports as they need.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { Network } from '../../src/sim/network.js';
import { topologySchema, parseTopology } from '../../src/config/topology.js';
import { withHomes, accessPortsFor, HOMES_PER_ACCESS_PORT } from '../../src/config/generate.js';
import { VirtualClock } from '../../src/sim/clock.js';
import { ipv4FromString } from '../../src/wire/bytes.js';

test('homes on two access ports: both ports number their sessions from the same space, all online, pings answered', () => {
  const raw = parse(readFileSync('topologies/default.yaml', 'utf8'));
  raw.sse.accessPorts = ['access', 'access-2'];
  raw.homes[1].access = 'access-2';
  raw.homes[2].access = 'access-2';
  const t = topologySchema.parse(raw);
  const clock = new VirtualClock(Date.UTC(2026, 0, 1));
  const net = new Network(t, { clock });
  for (const h of net.homes) net.act(h.cfg.name, (now) => h.start(now));
  assert.ok(clock.runUntilTrue(() => net.homes.every((h) => h.isOnline), clock.now() + 30_000), 'every home online');
  assert.deepEqual(net.sse.ports, ['access', 'access-2', 'carrier']);
  const [h1, h2, h3] = net.homes;
  // Each port's AC gives out its own first id: home1 (alone on access) and home2 (first on access-2) share one.
  assert.equal(h1!.sessionId, h2!.sessionId, 'the same PPPoE session id on two ports');
  assert.notEqual(h2!.sessionId, h3!.sessionId);
  assert.equal(net.sse.acs.get('access')!.sessionCount, 1);
  assert.equal(net.sse.acs.get('access-2')!.sessionCount, 2);
  const relays = net.sse.relaying();
  assert.deepEqual(relays.map((r) => r.port).sort(), ['access', 'access-2', 'access-2']);
  const server = ipv4FromString(t.server.address);
  let replies = 0;
  net.onEvent((e) => { if (e.kind === 'home' && e.event.type === 'ip' && e.event.event.kind === 'echo-reply') replies++; });
  for (const h of net.homes) net.act(h.cfg.name, (now) => h.ping(server, 1, now));
  clock.runUntil(clock.now() + 1000);
  assert.equal(replies, 3);
  // A disconnect names the port: the id alone is ambiguous.
  net.act('sse', (now) => net.sse.disconnect(h2!.sessionId, now, 'test', 'access-2'));
  clock.runUntil(clock.now() + 2000);
  assert.ok(!h2!.isOnline && h1!.isOnline && h3!.isOnline, 'only home2 ended');
});

test('a topology names its access ports once; a home names one the sse has', () => {
  const base = readFileSync('topologies/default.yaml', 'utf8');
  assert.throws(() => parseTopology(base.replace('sse:', 'sse:\n  accessPorts: [access, access]\n ')), /sse.accessPorts\[1\]: "access" is listed twice/);
  const raw = parse(base);
  raw.homes[0].access = 'access-9';
  assert.throws(() => parseTopology(JSON.stringify(raw)), /homes\[0\]\.access: the sse has no access port "access-9"/);
});

test('generated homes spread over as many access ports as they need', () => {
  assert.deepEqual(accessPortsFor(1), ['access']);
  assert.deepEqual(accessPortsFor(HOMES_PER_ACCESS_PORT), ['access']);
  assert.deepEqual(accessPortsFor(HOMES_PER_ACCESS_PORT + 1), ['access', 'access-2']);
  assert.equal(accessPortsFor(1_000_000).length, Math.ceil(1_000_000 / HOMES_PER_ACCESS_PORT));
  const t = withHomes(parseTopology(readFileSync('topologies/default.yaml', 'utf8')), 130_000);
  assert.deepEqual(t.sse.accessPorts, ['access', 'access-2', 'access-3']);
  const per = new Map<string, number>();
  for (const h of t.homes) per.set(h.access ?? 'access', (per.get(h.access ?? 'access') ?? 0) + 1);
  for (const n of per.values()) assert.ok(n <= 65_534, `at most 65,534 PPPoE sessions per port (${n})`);
  assert.equal([...per.values()].reduce((a, b) => a + b), 130_000);
  // Each ISP's pool holds its share of the homes, and no two pools overlap (checked by the topology's own meaning checks).
  assert.doesNotThrow(() => topologySchema.parse(withHomes(parseTopology(readFileSync('topologies/default.yaml', 'utf8')), 1_000_000)));
  const million = withHomes(parseTopology(readFileSync('topologies/default.yaml', 'utf8')), 1_000_000);
  assert.doesNotThrow(() => parseTopology(JSON.stringify({ ...million, homes: million.homes.slice(0, 3), isps: million.isps.map((i) => ({ ...i, users: i.users.slice(0, 3) })) })), 'a million homes\' pools pass validate');
  for (const isp of [...t.isps, ...million.isps]) {
    const len = Number(isp.pool.split('/')[1]);
    assert.ok(2 ** (32 - len) > isp.users.length, `${isp.pool} holds ${isp.users.length}`);
  }
});

test('more homes of one ISP than a tunnel carries: the sse opens more tunnels to its LNS, every home online and answered', () => {
  // sse.l2tpMaxSessionsPerTunnel 2 stands for the 16-bit Session ID space (RFC 2661 §3.1): isp-a's
  // five homes need three tunnels to nte-a, which takes each as its own.
  const base = parseTopology(readFileSync('topologies/default.yaml', 'utf8'));
  const g = withHomes(base, 10);
  const t = topologySchema.parse({ ...g, sse: { ...g.sse, l2tpMaxSessionsPerTunnel: 2 } });
  const clock = new VirtualClock(Date.UTC(2026, 0, 1));
  const net = new Network(t, { clock });
  for (const h of net.homes) net.act(h.cfg.name, (now) => h.start(now));
  assert.ok(clock.runUntilTrue(() => net.homes.every((h) => h.isOnline), clock.now() + 30_000), `online: ${net.homes.filter((h) => h.isOnline).length}/10`);
  const tunnels = net.sse.show('tunnels', clock.now()) as { peerHostName: string; sessions: number }[];
  const byLns = new Map<string, number[]>();
  for (const x of tunnels) byLns.set(x.peerHostName, [...(byLns.get(x.peerHostName) ?? []), x.sessions]);
  assert.equal(byLns.size, 2, JSON.stringify(tunnels));
  for (const [lns, s] of byLns) assert.deepEqual(s.sort(), [1, 2, 2], `${lns}: five sessions in tunnels of at most two`);
  for (const isp of Object.values(net.isps)) assert.equal((isp.nte!.show('tunnels', clock.now()) as unknown[]).length, 3, 'the LNS holds three tunnels from the one LAC');
  const server = ipv4FromString(t.server.address);
  let replies = 0;
  net.onEvent((e) => { if (e.kind === 'home' && e.event.type === 'ip' && e.event.event.kind === 'echo-reply') replies++; });
  for (const h of net.homes) net.act(h.cfg.name, (now) => h.ping(server, 1, now));
  clock.runUntil(clock.now() + 1000);
  assert.equal(replies, 10, 'a ping through every tunnel');
});
