/**
 * Issue 13 items 8 and 9 with real pppd (QEMU lab, ../shared/lab/vm): PAP through the LAC
 * and LNS failover inside the home's patience, one process per box on veth links.
 *
 *   pap-cli1 pppd PAP only (refuse-chap) alice@isp-a ─┐                   ┌─ car1 [nte-a] accept-proxy
 *   pap-cli2 pppd CHAP                   carol@isp-b ─┼ br0 ─ acc [sse] car0 ─ br0 ─┼─ car2 [nte-b] renegotiate
 *   pap-cli3 pppd PAP only (refuse-chap) dave@isp-b  ─┘   (pap-vm)        (pap-car) └─ rad0 carrier RADIUS
 *
 * The carrier RADIUS (`pseudonet radius`, kernel UDP) sends isp-b.example to 192.0.2.99 first
 * (Tunnel-Preference 1, nobody there) and to nte-b second; sse settings are the defaults
 * (five L2TP retransmissions, connect timeout 4 s). cli1's PAP goes to nte-a as proxy
 * authentication type PAP and is checked there with User-Password; cli2 and cli3 come up
 * through nte-b, which renegotiates LCP and authentication (CHAP, and PAP after pppd's Nak).
 * Namespaces and VMs are named pap-*, removed in after().
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Lab, VmLab, LAB, notRoot, requireLab, requireAddon, sh, type Proc, type JsonLine } from './lab.js';
import { controlRequest } from '../../src/io/control.js';

const skip = notRoot();
const lab = new Lab();
const vms = new VmLab();
const work = mkdtempSync(path.join(tmpdir(), 'pseudonet-real-pap-'));
const TOPO = path.join(work, 'topology.yaml');
const CARRIER = path.join(work, 'carrier-radius.yaml');
const sock = (b: string): string => path.join(work, `${b}.sock`);
const PAP_ONLY = 'noipv6 refuse-chap refuse-mschap refuse-mschap-v2 refuse-eap';
const VMS = {
  cli1: { name: 'pap-cli1', user: 'alice@isp-a.example', pass: 'secret', opts: PAP_ONLY },
  cli2: { name: 'pap-cli2', user: 'carol@isp-b.example', pass: 's3cret', opts: 'noipv6' },
  cli3: { name: 'pap-cli3', user: 'dave@isp-b.example', pass: 'd4ve', opts: PAP_ONLY },
} as const;
let sse: Proc, nteA: Proc, nteB: Proc, carrier: Proc;

const ev = (p: Proc, kind: string, type: string, extra: (e: Record<string, unknown>) => boolean = () => true, ms = 60_000): Promise<JsonLine> =>
  p.waitFor((l) => l.kind === kind && (l.event as { type?: string } | undefined)?.type === type && extra(l.event as Record<string, unknown>), ms, `${kind} ${type}`);

/** A namespace of this file's own (pap-*), removed at cleanup. */
function ns(name: string): string {
  if (sh('ip', ['netns', 'list']).split('\n').some((l) => l.split(' ')[0] === name)) sh('ip', ['netns', 'del', name]);
  sh('ip', ['netns', 'add', name]);
  lab.atCleanup(() => void sh('ip', ['netns', 'del', name]));
  sh('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
  sh('ip', ['netns', 'exec', name, 'sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1']);
  return name;
}

before(async () => {
  if (skip) return;
  requireLab();
  requireAddon();
  // Leftovers of an earlier run of this file (our names only).
  for (const n of ['pap-vm', 'pap-car']) try { sh(path.join(LAB, 'netns.sh'), ['down', n]); } catch { /* none */ }
  const vmNs = vms.up('pap-vm');
  const carNs = vms.up('pap-car');
  const sseNs = ns('pap-sse');
  const ntaNs = ns('pap-nta');
  const ntbNs = ns('pap-ntb');
  const radNs = ns('pap-rad');
  vms.veth(vmNs, 'acc', sseNs);
  vms.veth(carNs, 'car0', sseNs);
  vms.veth(carNs, 'car1', ntaNs);
  vms.veth(carNs, 'car2', ntbNs);
  vms.veth(carNs, 'rad0', radNs);
  lab.veth(ntaNs, 'core0', ntaNs, 'core1');
  lab.veth(ntbNs, 'core0', ntbNs, 'core1');
  lab.exec(radNs, 'ip', ['addr', 'add', '192.0.2.253/24', 'dev', 'rad0']);
  writeFileSync(TOPO, `name: pap-failover
sse: { name: sse, address: 192.0.2.254, hostName: sse.carrier.example, lnsLookup: radius, carrierRadiusAddress: 192.0.2.253, interfaces: { access: acc, carrier: car0 } }
isps:
  - name: isp-a
    domain: isp-a.example
    lcpPolicy: accept-proxy
    lns: { name: nte-a, address: 192.0.2.1, hostName: nte-a.isp-a.example, tunnelSecret: sa, interfaces: { carrier: car1, core: core0 } }
    pool: 198.51.100.0/24
    gateway: 198.51.100.1
    dns: [198.51.100.53]
    users: [{ name: alice@isp-a.example, password: secret }]
  - name: isp-b
    domain: isp-b.example
    lcpPolicy: renegotiate
    lns: { name: nte-b, address: 192.0.2.2, hostName: nte-b.isp-b.example, tunnelSecret: sb, interfaces: { carrier: car2, core: core0 } }
    pool: 100.64.0.0/24
    gateway: 100.64.0.1
    dns: [100.64.0.53]
    users: [{ name: carol@isp-b.example, password: s3cret }, { name: dave@isp-b.example, password: d4ve }]
server: { address: 203.0.113.10, gateway: 203.0.113.1 }
router: { ispSide: 10.255.0.1, serverSide: 203.0.113.1 }
`);
  // RFC 2868 Tunnel-Preference: lower is preferred; 192.0.2.99 answers nothing (not even ARP).
  writeFileSync(CARRIER, `clients: [{ name: sse, address: 192.0.2.254, secret: carrier-radius }]
realms:
  - domain: isp-a.example
    tunnels: [{ serverEndpoint: 192.0.2.1, password: sa, assignmentId: nte-a, preference: 10 }]
  - domain: isp-b.example
    tunnels:
      - { serverEndpoint: 192.0.2.99, password: sb, assignmentId: isp-b-dead, preference: 1 }
      - { serverEndpoint: 192.0.2.2, password: sb, assignmentId: nte-b, preference: 2 }
`);
  carrier = lab.pseudonet('carrier-radius', radNs, ['radius', '--config', CARRIER, '--bind', '192.0.2.253']);
  nteA = lab.pseudonet('nte-a', ntaNs, ['up', TOPO, '--box', 'nte-a', '--control', sock('nte-a')]);
  nteB = lab.pseudonet('nte-b', ntbNs, ['up', TOPO, '--box', 'nte-b', '--control', sock('nte-b')]);
  sse = lab.pseudonet('sse', sseNs, ['up', TOPO, '--box', 'sse', '--control', sock('sse')]);
  await carrier.waitFor((l) => String(l.raw ?? '').startsWith('pseudonet radius: listening'), 20_000, 'carrier RADIUS listening');
  await Promise.all([nteA, nteB, sse].map((p) => p.waitFor((l) => l.ev === 'ready', 20_000, `${p.name} ready`)));
  await Promise.all(Object.values(VMS).map((v) => vms.run('pppoe-client', vmNs, v.name, ['--user', v.user, '--pass', v.pass, '--set', 'persist=0', '--set', `pppd_opts=${v.opts}`, '--timeout', '120'])));
}, { timeout: 240_000 });

after(async () => {
  if (skip) return;
  for (const b of ['sse', 'nte-a', 'nte-b']) {
    try {
      writeFileSync(path.join(work, `${b}.counters.json`), JSON.stringify(await controlRequest(sock(b), '/show/counters', 3000), null, 1));
    } catch { /* stopped already */ }
  }
  const errs = [...(await lab.cleanup()), ...(await vms.cleanup(work))];
  console.error(`pap-failover: logs in ${work}`);
  assert.deepEqual(errs, []);
}, { timeout: 90_000 });

test('pppd with PAP only (refuse-chap) comes up through sse → nte-a: Nak to PAP, proxy PAP, User-Password, PAP Ack in-band', { skip, timeout: 90_000 }, async () => {
  const v = VMS.cli1;
  vms.vmctl(['wait', v.name, 'LAB: ip-up ppp0 local=198\\.51\\.100\\.[0-9]+ remote=198\\.51\\.100\\.1', '80']);
  const online = await ev(nteA, 'nte', 'online', (e) => e.user === v.user);
  assert.equal((online.event as { proxyTaken: boolean }).proxyTaken, true, 'nte-a took the proxied LCP and PAP');
  const log = vms.vmctl(['log', v.name]);
  assert.match(log, /rcvd \[LCP ConfReq id=0x[0-9a-f]+ <mru 1454> <auth chap MD5>/, 'the sse asked for CHAP first');
  assert.match(log, /sent \[LCP ConfNak id=0x[0-9a-f]+ <auth pap>\]/, 'pppd Nak\'d towards PAP');
  assert.match(log, /rcvd \[LCP ConfReq id=0x[0-9a-f]+ <mru 1454> <auth pap>/, 'the sse took the Nak and asked for PAP');
  assert.match(log, /sent \[PAP AuthReq id=0x[0-9a-f]+ user="alice@isp-a\.example" password=/);
  assert.match(log, /rcvd \[PAP AuthAck id=0x[0-9a-f]+ "Welcome to isp-a/, 'the PAP Ack came from nte-a, in-band through the relay');
  assert.doesNotMatch(log, /CHAP Challenge/, 'no CHAP at all');
  const c = (await controlRequest(sock('nte-a'), '/show/counters')) as Record<string, unknown>;
  assert.match(JSON.stringify(c), /"proxy\.accepted":1/);
  const out = vms.vmctl(['exec', v.name, '-t', '20', 'ping -c 2 -W 3 10.255.0.2 && echo PING-OK']);
  assert.match(out, /PING-OK/, out);
});

test('a dead preferred LNS at default settings: pppd (CHAP and PAP) comes up through preference 2, which renegotiates', { skip, timeout: 90_000 }, async () => {
  for (const v of [VMS.cli2, VMS.cli3]) {
    vms.vmctl(['wait', v.name, 'LAB: ip-up ppp0 local=100\\.64\\.0\\.[0-9]+ remote=100\\.64\\.0\\.1', '80']);
    const relaying = await ev(sse, 'sse', 'relaying', (e) => e.user === v.user);
    assert.equal((relaying.event as { lns: string }).lns, 'nte-b', `${v.user} relayed to preference 2`);
    const online = await ev(nteB, 'nte', 'online', (e) => e.user === v.user);
    assert.equal((online.event as { proxyTaken: boolean }).proxyTaken, false, 'nte-b renegotiated');
    const log = vms.vmctl(['log', v.name]);
    // pppd never heard a Success/Failure (Ack/Nak) from the sse: it waited, then renegotiated with nte-b.
    assert.doesNotMatch(log, /CHAP authentication failed|PAP authentication failed|No response to PAP/);
    if (v === VMS.cli2) assert.match(log, /rcvd \[CHAP Success id=0x[0-9a-f]+ "Welcome to isp-b/);
    else assert.match(log, /rcvd \[PAP AuthAck id=0x[0-9a-f]+ "Welcome to isp-b/);
  }
  const c = JSON.stringify(await controlRequest(sock('sse'), '/show/counters'));
  assert.match(c, /"route\.connect-timeout":2\b/, c);
  assert.match(c, /"route\.failover":2\b/, c);
  const t = (await controlRequest(sock('sse'), '/show/tunnels')) as { state: string; sessions: number; peerHostName: string }[];
  assert.deepEqual(t.filter((x) => x.state === 'established').map((x) => [x.peerHostName, x.sessions]).sort(), [['nte-a.isp-a.example', 1], ['nte-b.isp-b.example', 2]]);
});
