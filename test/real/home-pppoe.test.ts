/**
 * Issue 9 (2): our home as its own process (`pseudonet up --box home1`) on a veth into the
 * QEMU lab's bridge, against Debian's pppoe-server + pppd (CHAP) in a VM: discovery, LCP,
 * CHAP, IPCP up with the VM's addresses; pings both ways; SIGTERM sends LCP
 * Terminate-Request and PADT, and the VM's pppd goes down.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Lab, VmLab, notRoot, requireLab, labHomeTopology, requireAddon, type Proc } from './lab.js';
import { controlRequest } from '../../src/io/control.js';

const skip = notRoot();
const lab = new Lab();
const vms = new VmLab();
const work = mkdtempSync(path.join(tmpdir(), 'pseudonet-real-home-'));
const TOPO = path.join(work, 'topology.yaml');
const CONTROL = path.join(work, 'home1.sock');
const VM = `ph${lab.tag}srv`;
let home: Proc;
let labNs = '';

before(async () => {
  if (skip) return;
  requireLab();
  requireAddon();
  labNs = vms.up(`pnvmh${lab.tag}`);
  const homeNs = lab.ns('home');
  vms.veth(labNs, 'h1', homeNs);
  writeFileSync(TOPO, labHomeTopology('real-home', 'h1'));
  await vms.run('pppoe-server', labNs, VM, ['--set', 'local=10.0.0.1', '--set', 'pool=10.0.0.2', '--set', 'lcp_echo=2', '--timeout', '90']);
  home = lab.pseudonet('home1', homeNs, ['up', TOPO, '--box', 'home1', '--control', CONTROL]);
  await home.waitFor((l) => l.ev === 'ready', 20_000, 'home1 ready');
}, { timeout: 120_000 });

after(async () => {
  if (skip) return;
  const errs = [...(await lab.cleanup()), ...(await vms.cleanup(work))];
  console.error(`home-pppoe: logs in ${work}`);
  assert.deepEqual(errs, []);
}, { timeout: 60_000 });

type Ev = { ev: string; kind?: string; event?: { type?: string; address?: number; peer?: number; reason?: string } };

test('our home against pppoe-server + pppd: CHAP, IPCP up with 10.0.0.2 ↔ 10.0.0.1', { skip, timeout: 60_000 }, async () => {
  const on = (await home.waitFor((l) => (l as Ev).kind === 'home' && (l as Ev).event?.type === 'online', 45_000, 'home1 online')) as Ev;
  assert.equal(on.event!.address, 0x0a000002);
  assert.equal(on.event!.peer, 0x0a000001);
  vms.vmctl(['wait', VM, 'LAB: ip-up ppp0 local=10.0.0.1 remote=10.0.0.2', '20']);
  const s = (await controlRequest(CONTROL, '/show/sessions')) as { online: boolean; address: string; state: string }[];
  assert.deepEqual([s[0]!.online, s[0]!.address, s[0]!.state], [true, '10.0.0.2', 'session']);
});

test('pings both ways: ours to 10.0.0.1, and pppd\'s side to us; LCP echo keeps the link', { skip, timeout: 60_000 }, async () => {
  const r = (await controlRequest(CONTROL, '/ping?dst=10.0.0.1&count=3')) as { rtt: number | null }[];
  assert.ok(r.every((x) => x.rtt !== null), JSON.stringify(r));
  const out = vms.vmctl(['exec', VM, '-t', '20', 'ping -c 3 -W 3 10.0.0.2 && echo PING-OK']);
  assert.match(out, /PING-OK/, out);
  // lcp_echo=2: pppd sends an LCP Echo-Request every 2 s; after 5 s the link must still be up.
  await new Promise((res) => setTimeout(res, 5000));
  const log = vms.vmctl(['log', VM]);
  assert.doesNotMatch(log, /LAB: ip-down/);
  assert.doesNotMatch(log, /No response to \d+ echo-requests/);
});

test('SIGTERM: our home sends LCP Terminate-Request and PADT; pppd goes down; the process exits 0', { skip, timeout: 40_000 }, async () => {
  home.signal('SIGTERM');
  const st = await home.waitFor((l) => l.ev === 'stopped', 15_000, 'stopped');
  assert.equal(st.clean, true);
  assert.ok(home.lines.some((l) => (l as Ev).kind === 'home' && (l as Ev).event?.type === 'offline'));
  await home.done;
  assert.equal(home.exited, 0);
  vms.vmctl(['wait', VM, 'LAB: ip-down', '20']);
  const log = vms.vmctl(['log', VM]);
  assert.match(log, /LCP terminated by peer|Connection terminated|Modem hangup|PADT/i);
});
