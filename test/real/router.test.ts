/**
 * Issue 9 (4): our router as its own process (`pseudonet up --box router`) on two veth
 * links between two kernel namespaces. The kernels resolve it with ARP, ping across it
 * both ways, traceroute shows it as the first hop; it answers ICMP host unreachable when
 * a next hop does not answer ARP; `show` reads its ARP cache, routes and counters; SIGTERM
 * ends it. Bad input: a missing interface, a control socket in use.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Lab, notRoot, requireAddon, type Proc } from './lab.js';
import { controlRequest } from '../../src/io/control.js';

const skip = notRoot();
const lab = new Lab();
const work = mkdtempSync(path.join(tmpdir(), 'pseudonet-real-router-'));
const TOPO = path.join(work, 'topology.yaml');
const CONTROL = path.join(work, 'router.sock');
let nsR = '', nsC = '', nsS = '';
let router: Proc;

function topology(core: string, server: string): string {
  return `name: real-router
sse: { address: 192.0.2.254 }
isps:
  - name: isp-a
    domain: isp-a.example
    lns: { name: nte-a, address: 192.0.2.1, hostName: nte-a.example, tunnelSecret: s }
    pool: 198.51.100.0/24
    gateway: 198.51.100.1
    dns: [198.51.100.53]
server: { address: 203.0.113.10, gateway: 203.0.113.1 }
router: { ispSide: 10.255.0.1, serverSide: 203.0.113.1, interfaces: { core: ${core}, server: ${server} } }
`;
}

before(async () => {
  if (skip) return;
  requireAddon();
  nsR = lab.ns('rtr');
  nsC = lab.ns('rtc');
  nsS = lab.ns('rts');
  lab.veth(nsC, 'eth0', nsR, 'rcore');
  lab.veth(nsS, 'eth0', nsR, 'rsrv');
  // nte-a's core side (10.255.0.2) is played by a kernel here; so is the server.
  lab.exec(nsC, 'ip', ['addr', 'add', '10.255.0.2/24', 'dev', 'eth0']);
  lab.exec(nsC, 'ip', ['route', 'add', 'default', 'via', '10.255.0.1']);
  lab.exec(nsS, 'ip', ['addr', 'add', '203.0.113.10/24', 'dev', 'eth0']);
  lab.exec(nsS, 'ip', ['route', 'add', 'default', 'via', '203.0.113.1']);
  writeFileSync(TOPO, topology('rcore', 'rsrv'));
  router = lab.pseudonet('router', nsR, ['up', TOPO, '--box', 'router', '--control', CONTROL]);
  await router.waitFor((l) => l.ev === 'ready', 20_000, 'the router to be ready');
});

after(async () => {
  if (skip) return;
  const errs = await lab.cleanup();
  rmSync(work, { recursive: true, force: true });
  assert.deepEqual(errs, []);
});

test('the kernels resolve our router with ARP and ping across it both ways', { skip, timeout: 30_000 }, async () => {
  const out = lab.exec(nsC, 'ping', ['-c', '3', '-i', '0.2', '-W', '2', '203.0.113.10']);
  assert.match(out, /3 received/, out);
  assert.match(lab.exec(nsS, 'ping', ['-c', '2', '-i', '0.2', '-W', '2', '10.255.0.2']), /2 received/);
  assert.match(lab.exec(nsC, 'ping', ['-c', '1', '-W', '2', '10.255.0.1']), /1 received/, 'the router answers for itself');
  const ready = router.lines.find((l) => l.ev === 'ready') as { ports: Record<string, { mac: string }> };
  const neigh = lab.exec(nsC, 'ip', ['neigh', 'show', '10.255.0.1', 'dev', 'eth0']);
  assert.match(neigh, new RegExp(`lladdr ${ready.ports.core!.mac}`), `kernel ARP entry for the router: ${neigh}`);
  const arp = (await controlRequest(CONTROL, '/show/arp')) as { ip: string; mac: string; interface: string; state: string }[];
  const cMac = lab.exec(nsC, 'cat', ['/sys/class/net/eth0/address']).trim();
  const sMac = lab.exec(nsS, 'cat', ['/sys/class/net/eth0/address']).trim();
  const ip = (a: { ip: unknown }): string => String(a.ip);
  assert.ok(arp.some((a) => ip(a).includes('10.255.0.2') && a.mac === cMac && a.interface === 'core'), JSON.stringify(arp));
  assert.ok(arp.some((a) => ip(a).includes('203.0.113.10') && a.mac === sMac && a.interface === 'server'), JSON.stringify(arp));
  const c = (await controlRequest(CONTROL, '/show/counters')) as { router: { forwarded: number; icmpOut: { echoReply: number } }; ports: Record<string, { counters: { rxFrames: number; txFrames: number } }> };
  assert.ok(c.router.forwarded >= 10, `forwarded ${c.router.forwarded}`);
  assert.ok(c.router.icmpOut.echoReply >= 1);
  assert.ok(c.ports.core!.counters.rxFrames > 0 && c.ports.server!.counters.txFrames > 0);
});

test('traceroute shows our router as the first hop', { skip, timeout: 30_000 }, async () => {
  const out = lab.exec(nsC, 'traceroute', ['-n', '-q', '1', '-w', '2', '-m', '5', '203.0.113.10'], 25_000);
  const hops = out.split('\n').slice(1).filter((l) => l.trim()).map((l) => l.trim().split(/\s+/)[1]);
  assert.deepEqual(hops, ['10.255.0.1', '203.0.113.10'], out);
  const c = (await controlRequest(CONTROL, '/show/counters')) as { router: { icmpOut: { timeExceeded: number } } };
  assert.ok(c.router.icmpOut.timeExceeded >= 1);
});

test('no ARP answer for the next hop: ICMP host unreachable comes back from the router', { skip, timeout: 30_000 }, async () => {
  let out = '';
  try {
    out = lab.exec(nsC, 'ping', ['-c', '1', '-W', '8', '203.0.113.99'], 20_000);
  } catch (e) {
    out = String((e as { stdout?: string }).stdout ?? e);
  }
  assert.match(out, /From (203\.0\.113\.1|10\.255\.0\.1) .*Destination Host Unreachable/, out);
});

test('show routes: connected subnets and the ISP pool via the LNS core address', { skip, timeout: 10_000 }, async () => {
  const routes = (await controlRequest(CONTROL, '/show/routes')) as { prefix: string; kind: string; interface: string }[];
  const s = JSON.stringify(routes);
  assert.match(s, /198\.51\.100\.0/);
  assert.match(s, /10\.255\.0\.0/);
  assert.match(s, /203\.0\.113\.0/);
});

test('bad input: a missing interface and a control socket in use are refused with a clear error', { skip, timeout: 30_000 }, async () => {
  const bad = path.join(work, 'bad.yaml');
  writeFileSync(bad, topology('nosuch0', 'rsrv'));
  const p = lab.pseudonet('bad-if', nsR, ['up', bad, '--box', 'router', '--control', path.join(work, 'bad.sock')]);
  await p.done;
  assert.equal(p.exited, 2);
  assert.match(p.stderr, /cannot open nosuch0: no such network interface/);
  const q = lab.pseudonet('dup', nsR, ['up', TOPO, '--box', 'router', '--control', CONTROL]);
  await q.done;
  assert.equal(q.exited, 2);
  assert.match(q.stderr, /control socket .* is in use: is box router already running/);
  // The running router was not disturbed.
  assert.match(lab.exec(nsC, 'ping', ['-c', '1', '-W', '2', '203.0.113.10']), /1 received/);
});

test('SIGTERM: the router stops cleanly and removes its control socket', { skip, timeout: 20_000 }, async () => {
  router.signal('SIGTERM');
  await router.waitFor((l) => l.ev === 'stopped', 10_000, 'stopped');
  await router.done;
  assert.equal(router.exited, 0);
  await assert.rejects(controlRequest(CONTROL, '/show/box'), /no box answers/);
});
