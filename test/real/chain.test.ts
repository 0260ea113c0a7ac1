/**
 * Issue 9 (1): the whole chain with real ends, one process per box on veth links.
 *
 *   pppd (VM, rp-pppoe, CHAP) ─br0─ [sse] ─veth─ [nte-a] ─veth─ [router] ─veth─ server ns (kernel)
 *                                                  └─veth─ FreeRADIUS ns (isp-radius, kernel UDP)
 *
 * pppd gets its address from FreeRADIUS (Framed-IP-Address); the VM pings the server and
 * the server pings the home back; pppd's LCP echo keeps working through the relay; stopping
 * pppd produces PADT, CDN and an Accounting-Stop; SIGTERM stops the boxes cleanly.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Lab, VmLab, notRoot, requireLab, requireAddon, delay, type Proc, type JsonLine } from './lab.js';
import { controlRequest } from '../../src/io/control.js';
import { startFreeRadius, type FreeRadius } from '../helpers/freeradius.js';

const skip = notRoot();
const lab = new Lab();
const vms = new VmLab();
const work = mkdtempSync(path.join(tmpdir(), 'pseudonet-real-chain-'));
const TOPO = path.join(work, 'topology.yaml');
const sock = (b: string): string => path.join(work, `${b}.sock`);
const VM = `pc${lab.tag}cli`;
const USER = 'user@isp-a.example';
let radius: FreeRadius | undefined;
let sse: Proc, nte: Proc, router: Proc;
let srvNs = '';

const ev = (p: Proc, kind: string, type: string, extra: (e: Record<string, unknown>) => boolean = () => true): Promise<JsonLine> =>
  p.waitFor((l) => l.kind === kind && (l.event as { type?: string } | undefined)?.type === type && extra(l.event as Record<string, unknown>), 30_000, `${kind} ${type}`);

before(async () => {
  if (skip) return;
  requireLab();
  requireAddon();
  const labNs = vms.up(`pnvmc${lab.tag}`);
  const sseNs = lab.ns('csse');
  const nteNs = lab.ns('cnte');
  const radNs = lab.ns('crad');
  const rtrNs = lab.ns('crtr');
  srvNs = lab.ns('csrv');
  vms.veth(labNs, 'acc', sseNs);
  lab.veth(sseNs, 'car0', nteNs, 'car1');
  lab.veth(nteNs, 'rad0', radNs, 'eth0');
  lab.veth(nteNs, 'core0', rtrNs, 'core1');
  lab.veth(rtrNs, 'srv0', srvNs, 'eth0');
  lab.exec(radNs, 'ip', ['addr', 'add', '172.16.0.2/24', 'dev', 'eth0']);
  lab.exec(srvNs, 'ip', ['addr', 'add', '203.0.113.10/24', 'dev', 'eth0']);
  lab.exec(srvNs, 'ip', ['route', 'add', 'default', 'via', '203.0.113.1']);
  radius = await startFreeRadius({
    netns: radNs,
    address: '172.16.0.2',
    users: `"${USER}" Cleartext-Password := "secret"\n\tFramed-IP-Address = 198.51.100.10,\n\tService-Type = Framed-User,\n\tFramed-Protocol = PPP\n`,
    clients: 'client nte-a {\n\tipaddr = 172.16.0.1\n\tsecret = radsecret\n}\n',
  });
  writeFileSync(TOPO, `name: real-chain
sse: { name: sse, address: 192.0.2.254, hostName: sse.carrier.example, interfaces: { access: acc, carrier: car0 } }
isps:
  - name: isp-a
    domain: isp-a.example
    lns: { name: nte-a, address: 192.0.2.1, hostName: nte-a.isp-a.example, tunnelSecret: l2tpsecret, interfaces: { carrier: car1, radius: rad0, core: core0 } }
    radius: { address: 172.16.0.2, authPort: ${radius.authPort}, acctPort: ${radius.acctPort}, secret: radsecret, requireMessageAuthenticator: false }
    pool: 198.51.100.0/24
    gateway: 198.51.100.1
    dns: [198.51.100.53]
server: { address: 203.0.113.10, gateway: 203.0.113.1 }
router: { ispSide: 10.255.0.1, serverSide: 203.0.113.1, interfaces: { core: core1, server: srv0 } }
`);
  router = lab.pseudonet('router', rtrNs, ['up', TOPO, '--box', 'router', '--control', sock('router')]);
  nte = lab.pseudonet('nte-a', nteNs, ['up', TOPO, '--box', 'nte-a', '--control', sock('nte-a')]);
  sse = lab.pseudonet('sse', sseNs, ['up', TOPO, '--box', 'sse', '--control', sock('sse')]);
  await Promise.all([router, nte, sse].map((p) => p.waitFor((l) => l.ev === 'ready', 20_000, `${p.name} ready`)));
  await vms.run('pppoe-client', labNs, VM, ['--user', USER, '--pass', 'secret', '--set', 'persist=0', '--set', 'lcp_echo=2', '--set', 'pppd_opts=noipv6', '--timeout', '90']);
}, { timeout: 150_000 });

after(async () => {
  if (skip) return;
  for (const b of ['sse', 'nte-a', 'router']) {
    try {
      writeFileSync(path.join(work, `${b}.counters.json`), JSON.stringify(await controlRequest(sock(b), '/show/counters', 3000), null, 1));
      writeFileSync(path.join(work, `${b}.events.json`), JSON.stringify(await controlRequest(sock(b), '/show/events', 3000), null, 1));
    } catch { /* stopped already */ }
  }
  if (radius) try { writeFileSync(path.join(work, 'freeradius.log'), readFileSync(radius.logFile, 'utf8')); } catch { /* none */ }
  const errs = [...(await lab.cleanup()), ...(await vms.cleanup(work))];
  await radius?.stop();
  console.error(`chain: logs in ${work}`);
  assert.deepEqual(errs, []);
}, { timeout: 60_000 });

test('pppd gets its address from FreeRADIUS through sse → L2TP → nte', { skip, timeout: 60_000 }, async () => {
  vms.vmctl(['wait', VM, 'LAB: ip-up ppp0 local=198\\.51\\.100\\.10 remote=198\\.51\\.100\\.1', '40']);
  const relaying = await ev(sse, 'sse', 'relaying');
  assert.equal((relaying.event as { user: string }).user, USER);
  const online = await ev(nte, 'nte', 'online');
  assert.equal((online.event as { address: number }).address, 0xc633640a);
  const s = (await controlRequest(sock('nte-a'), '/show/sessions')) as { user: string; address: string; state: string }[];
  assert.deepEqual(s.map((x) => [x.user, x.address, x.state]), [[USER, '198.51.100.10', 'up']]);
  const t = (await controlRequest(sock('sse'), '/show/tunnels')) as { state: string; sessions: number }[];
  assert.equal(t.length, 1);
  assert.equal(t[0]!.sessions, 1);
});

test('the VM pings the server; the server pings the home back; LCP echo keeps working', { skip, timeout: 60_000 }, async () => {
  const out = vms.vmctl(['exec', VM, '-t', '25', 'ping -c 3 -W 3 203.0.113.10 && echo PING-OK']);
  assert.match(out, /PING-OK/, out);
  assert.match(lab.exec(srvNs, 'ping', ['-c', '3', '-i', '0.3', '-W', '3', '198.51.100.10']), /3 received/);
  await delay(6000); // three of pppd's 2-second LCP echoes
  const log = vms.vmctl(['log', VM]);
  assert.match(log, /rcvd \[LCP EchoRep/);
  assert.doesNotMatch(log, /LAB: ip-down/);
  const routes = JSON.stringify(await controlRequest(sock('nte-a'), '/show/routes'));
  assert.match(routes, /198\.51\.100\.10/, 'a /32 for the subscriber');
  // Copy-free on real interfaces too: AF_PACKET frames arrive with headroom, so the sse's
  // L2TP/UDP/IP headers and the LNS's PPP/L2TP ones are written in front of them.
  const sse = (await controlRequest(sock('sse'), '/show/counters')) as { sse: Record<string, number> };
  const nte = (await controlRequest(sock('nte-a'), '/show/counters')) as { nte: Record<string, number> };
  assert.ok((sse.sse['relay.up'] ?? 0) > 6 && (sse.sse['relay.down'] ?? 0) > 6, `pings relayed: ${JSON.stringify(sse.sse)}`);
  assert.equal(sse.sse['relay.up.copied'], undefined, `the sse relayed without a copy: ${JSON.stringify(sse.sse)}`);
  assert.equal(nte.nte['data.copied-for-headroom'], undefined, `the LNS sent toward the subscriber without a copy: ${JSON.stringify(nte.nte)}`);
});

test('stopping pppd: PADT to the sse, CDN to the nte, Accounting-Stop at FreeRADIUS', { skip, timeout: 60_000 }, async () => {
  vms.vmctl(['exec', VM, '-t', '10', 'kill $(pidof pppd); sleep 2; echo DONE']);
  const ended = await ev(sse, 'sse', 'session-ended');
  assert.ok(ended);
  const nteEnded = await ev(nte, 'nte', 'session-ended');
  assert.equal((nteEnded.event as { user: string }).user, USER);
  await ev(nte, 'nte', 'accounting', (e) => (e.record as { statusType?: number; status?: number } | undefined) !== undefined && JSON.stringify(e).includes('"statusType":2') || JSON.stringify(e).includes('Stop'));
  const deadline = Date.now() + 10_000;
  while (!/Acct-Status-Type = Stop/.test(radius!.detail()) && Date.now() < deadline) await delay(200);
  const detail = radius!.detail();
  assert.match(detail, /Acct-Status-Type = Start/);
  assert.match(detail, /Acct-Status-Type = Stop/);
  assert.match(detail, new RegExp(`User-Name = "${USER}"`));
  const log = vms.vmctl(['log', VM]);
  assert.match(log, /Connection terminated|Terminating on signal/);
});

test('SIGTERM: every box stops cleanly (StopCCN both sides), exit 0', { skip, timeout: 40_000 }, async () => {
  sse.signal('SIGTERM');
  const s = await sse.waitFor((l) => l.ev === 'stopped', 15_000, 'sse stopped');
  nte.signal('SIGTERM');
  const n = await nte.waitFor((l) => l.ev === 'stopped', 15_000, 'nte stopped');
  router.signal('SIGTERM');
  await router.waitFor((l) => l.ev === 'stopped', 15_000, 'router stopped');
  await Promise.all([sse.done, nte.done, router.done]);
  assert.deepEqual([sse.exited, nte.exited, router.exited], [0, 0, 0]);
  assert.equal(s.clean, true);
  assert.equal(n.clean, true);
});
