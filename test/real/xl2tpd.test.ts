/**
 * Issue 9 (3), process per box, against xl2tpd 1.3.18 + pppd in the QEMU lab:
 *  - xl2tpd as LAC (VM 192.0.2.2, no proxy AVPs) → our nte process (192.0.2.10): our LNS
 *    runs LCP and CHAP itself (embedded RADIUS), IPCP, the VM pings the LNS;
 *  - our home process → our sse process (192.0.2.11) → xl2tpd as LNS (VM 192.0.2.1), whose
 *    pppd renegotiates LCP and authenticates in-band: the home still comes up and pings.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Lab, VmLab, notRoot, requireLab, requireAddon, type Proc } from './lab.js';
import { controlRequest } from '../../src/io/control.js';

const skip = notRoot();
const lab = new Lab();
const vms = new VmLab();
const work = mkdtempSync(path.join(tmpdir(), 'pseudonet-real-xl2tpd-'));
const TOPO = path.join(work, 'topology.yaml');
const sock = (b: string): string => path.join(work, `${b}.sock`);
const VM_LNS = `xp${lab.tag}lns`;
const VM_LAC = `xp${lab.tag}lac`;
const SECRET = 'lab-tunnel-secret';
let nte: Proc, sse: Proc, home: Proc;
let homeNs = '';

before(async () => {
  if (skip) return;
  requireLab();
  requireAddon();
  const labNs = vms.up(`pnvmx${lab.tag}`);
  const nteNs = lab.ns('xnte');
  const sseNs = lab.ns('xsse');
  homeNs = lab.ns('xhom');
  const coreNs = lab.ns('xcor');
  vms.veth(labNs, 'ncar', nteNs);
  vms.veth(labNs, 'scar', sseNs);
  lab.veth(nteNs, 'ncore', coreNs, 'eth0');
  lab.veth(homeNs, 'h1', sseNs, 'acc');
  // The core side is a kernel playing the router (10.255.0.1), with the pool routed back via our nte.
  lab.exec(coreNs, 'ip', ['addr', 'add', '10.255.0.1/24', 'dev', 'eth0']);
  lab.exec(coreNs, 'ip', ['route', 'add', '10.0.2.0/24', 'via', '10.255.0.2']);
  writeFileSync(TOPO, `name: real-xl2tpd
sse: { name: sse, address: 192.0.2.11, hostName: lab-lac, interfaces: { access: acc, carrier: scar } }
isps:
  - name: isp
    domain: isp.example
    lcpPolicy: accept-proxy
    lns: { name: nte-a, address: 192.0.2.10, hostName: pn-nte, tunnelSecret: ${SECRET}, interfaces: { carrier: ncar, core: ncore } }
    radius: embedded
    pool: 10.0.2.0/24
    gateway: 10.0.2.1
    dns: [10.0.2.53]
    users: [ { name: user@isp.example, password: secret } ]
  - name: vm
    domain: vm.example
    lns: { name: lns-vm, address: 192.0.2.1, hostName: lab-lns, tunnelSecret: ${SECRET} }
    pool: 10.0.1.0/24
    gateway: 10.0.1.1
    dns: [10.0.1.53]
homes:
  - { name: home1, user: user@vm.example, password: secret, interfaces: { access: h1 } }
server: { address: 203.0.113.10, gateway: 203.0.113.1 }
router: { ispSide: 10.255.0.1, serverSide: 203.0.113.1 }
`);
  nte = lab.pseudonet('nte-a', nteNs, ['up', TOPO, '--box', 'nte-a', '--control', sock('nte-a')]);
  sse = lab.pseudonet('sse', sseNs, ['up', TOPO, '--box', 'sse', '--control', sock('sse')]);
  await Promise.all([nte, sse].map((p) => p.waitFor((l) => l.ev === 'ready', 20_000, `${p.name} ready`)));
  await Promise.all([
    vms.run('lns', labNs, VM_LNS, ['--ip', '192.0.2.1/24', '--user', 'user@vm.example', '--pass', 'secret', '--set', `l2tp_secret=${SECRET}`, '--timeout', '90']),
    vms.run('lac', labNs, VM_LAC, ['--ip', '192.0.2.2/24', '--lns', '192.0.2.10', '--user', 'user@isp.example', '--pass', 'secret', '--set', `l2tp_secret=${SECRET}`, '--set', 'pppd_opts=noipv6', '--timeout', '90']),
  ]);
}, { timeout: 150_000 });

after(async () => {
  if (skip) return;
  for (const b of ['sse', 'nte-a']) {
    try {
      writeFileSync(path.join(work, `${b}.events.json`), JSON.stringify(await controlRequest(sock(b), '/show/events', 3000), null, 1));
    } catch { /* stopped */ }
  }
  const errs = [...(await lab.cleanup()), ...(await vms.cleanup(work))];
  console.error(`xl2tpd: logs in ${work}`);
  assert.deepEqual(errs, []);
}, { timeout: 60_000 });

test('xl2tpd as LAC → our nte process: no proxy AVPs, our LNS runs LCP + CHAP + IPCP; the VM pings a kernel behind the LNS', { skip, timeout: 60_000 }, async () => {
  const on = await nte.waitFor((l) => l.kind === 'nte' && (l.event as { type?: string } | undefined)?.type === 'online', 40_000, 'a session online at our nte');
  const e = on.event as { user: string; proxyTaken: boolean; address: number };
  assert.equal(e.user, 'user@isp.example');
  assert.equal(e.proxyTaken, false);
  vms.vmctl(['wait', VM_LAC, 'LAB: ip-up ppp0 local=10\\.0\\.2\\.2 remote=10\\.0\\.2\\.1', '20']);
  const out = vms.vmctl(['exec', VM_LAC, '-t', '20', 'ip route replace 10.255.0.0/24 dev ppp0 && ping -c 3 -W 3 10.255.0.1 && echo PING-OK']);
  assert.match(out, /PING-OK/, out);
  const t = (await controlRequest(sock('nte-a'), '/show/tunnels')) as { peerHostName: string }[];
  assert.equal(t[0]?.peerHostName, 'lab-lac');
});

test('our home → our sse process → xl2tpd as LNS: its pppd renegotiates LCP and CHAP in-band, the home comes up and pings', { skip, timeout: 90_000 }, async () => {
  home = lab.pseudonet('home1', homeNs, ['up', TOPO, '--box', 'home1', '--control', sock('home1')]);
  const on = await home.waitFor((l) => l.kind === 'home' && (l.event as { type?: string } | undefined)?.type === 'online', 60_000, 'home1 online');
  assert.equal((on.event as { address: number }).address >>> 8, 0x0a0001, 'an address from the VM LNS range 10.0.1.x');
  const relaying = await sse.waitFor((l) => l.kind === 'sse' && (l.event as { type?: string } | undefined)?.type === 'relaying', 5000, 'sse relaying');
  assert.equal((relaying.event as { lns: string }).lns, 'lns-vm');
  vms.vmctl(['wait', VM_LNS, 'LAB: ip-up ppp0 local=10\\.0\\.1\\.1', '20']);
  const r = (await controlRequest(sock('home1'), '/ping?dst=10.0.1.1&count=3')) as { rtt: number | null }[];
  assert.ok(r.every((x) => x.rtt !== null), JSON.stringify(r));
  // The LNS's pppd ran LCP again with our home (through the relay) and checked CHAP itself.
  const log = vms.vmctl(['log', VM_LNS]);
  assert.match(log, /sent \[LCP ConfReq/);
  assert.match(log, /rcvd \[CHAP Response id=\S+ <[0-9a-f]+>, name = "user@vm\.example"\]/);
  assert.match(log, /sent \[CHAP Success/);
});

test('teardown: SIGTERM on the home (LCP Terminate, PADT → CDN), then the sse and nte stop cleanly', { skip, timeout: 60_000 }, async () => {
  home.signal('SIGTERM');
  await home.waitFor((l) => l.ev === 'stopped', 15_000, 'home stopped');
  await sse.waitFor((l) => l.kind === 'sse' && (l.event as { type?: string } | undefined)?.type === 'session-ended', 15_000, 'sse session ended');
  vms.vmctl(['wait', VM_LNS, 'LAB: ip-down', '20']);
  sse.signal('SIGTERM');
  nte.signal('SIGTERM');
  const [s, n] = await Promise.all([sse.waitFor((l) => l.ev === 'stopped', 15_000, 'sse stopped'), nte.waitFor((l) => l.ev === 'stopped', 15_000, 'nte stopped')]);
  assert.equal(n.clean, true, 'our nte: StopCCN acknowledged by xl2tpd, Accounting-Stop answered');
  assert.equal(s.clean, true, 'our sse: StopCCN acknowledged by xl2tpd');
  vms.vmctl(['wait', VM_LAC, 'LAB: ip-down', '20']);
});
