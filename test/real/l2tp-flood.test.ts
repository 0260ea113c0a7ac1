/**
 * Issue 14, what must be shown: an SCCRQ flood at a real nte process while a home pings through it.
 *
 *   [homes h1, later h2] ─veth─ acc [sse] car0 ─veth─┐
 *                                                     br0 (carrier ns) ─veth─ car1 [nte-a + embedded RADIUS] core0 ─ core1
 *   attacker ns (192.0.2.64–71, raw UDP sockets) ─veth─┘
 *
 * 100,000 SCCRQs from fresh source ports (half claiming the sse's real host name) go to the nte
 * while h1 pings the LNS through sse → L2TP → nte. Shown: ≥ 90 % of the pings answered, the nte's
 * RSS up by ≤ 100 MB, ≤ 1,000 tunnels held at any moment (the nte's own high-water counter and
 * `pseudonet show tunnels` sampled meanwhile), a new home connects afterwards, and tshark finds
 * nothing malformed in what the nte sent back to the attacker (captured in the attacker's namespace).
 * Namespaces are ours: `l2tp-*`.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Lab, ROOT, notRoot, requireAddon, delay, sh, type Proc } from './lab.js';
import { controlRequest } from '../../src/io/control.js';
import { tsharkProblems } from '../helpers/tshark.js';

const skip = notRoot();
const lab = new Lab();
const work = mkdtempSync(path.join(tmpdir(), 'pseudonet-real-l2tp-flood-'));
const TOPO = path.join(work, 'topology.yaml');
const sock = (b: string): string => path.join(work, `${b}.sock`);
const LNS_CORE = '10.255.0.2'; // the nte's core address: a ping there crosses sse → L2TP → nte
const SSE_HOST = 'sse.carrier.example';
const ATTACKERS = Array.from({ length: 8 }, (_, i) => `192.0.2.${64 + i}`);
const FLOOD = 100_000;
const RATE = Number(process.env.L2TP_FLOOD_RATE ?? 20_000);
const ns = (k: string): string => `l2tp-${k}${lab.tag}`;
let nte: Proc, sse: Proc, homesA: Proc;

const homes = (name: string, args: string[]): Proc => lab.pseudonet(name, ns('h'), ['up', TOPO, '--box', 'homes', '--homes', '3', '--access', 'h0', '--control', sock(name), ...args]);
const ping = async (from: string): Promise<number | null> =>
  ((await controlRequest(sock('homesA'), `/ping?dst=${LNS_CORE}&count=1&from=${from}`, 5000)) as { rtt: number | null }[])[0]?.rtt ?? null;
const rssMb = (pid: number): number => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;
const cli = (args: string[]): Promise<string> =>
  new Promise((resolve, reject) => execFile(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/cli/main.ts'), ...args], { cwd: ROOT, maxBuffer: 1 << 26 }, (err, out) => (err ? reject(err) : resolve(out))));

/** A namespace of this test (`l2tp-…`), loopback up, IPv6 off; deleted by lab.cleanup(). */
function netns(name: string): string {
  if (sh('ip', ['netns', 'list']).split('\n').some((l) => l.split(' ')[0] === name)) sh('ip', ['netns', 'del', name]);
  sh('ip', ['netns', 'add', name]);
  lab.atCleanup(() => void sh('ip', ['netns', 'del', name]));
  sh('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
  lab.exec(name, 'sysctl', ['-qw', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1']);
  return name;
}

before(async () => {
  if (skip) return;
  requireAddon();
  const [hns, sns, nns, cns, xns] = ['h', 's', 'n', 'c', 'x'].map((k) => netns(ns(k)));
  lab.veth(hns!, 'h0', sns!, 'acc');
  lab.veth(sns!, 'car0', cns!, 'cs');
  lab.veth(nns!, 'car1', cns!, 'cn');
  lab.veth(xns!, 'atk0', cns!, 'ca');
  lab.veth(nns!, 'core0', nns!, 'core1');
  sh('ip', ['-n', cns!, 'link', 'add', 'br0', 'type', 'bridge', 'forward_delay', '0']);
  for (const p of ['cs', 'cn', 'ca']) sh('ip', ['-n', cns!, 'link', 'set', p, 'master', 'br0']);
  sh('ip', ['-n', cns!, 'link', 'set', 'br0', 'up']);
  for (const a of ATTACKERS) sh('ip', ['-n', xns!, 'addr', 'add', `${a}/24`, 'dev', 'atk0']);
  writeFileSync(TOPO, `name: l2tp-flood
sse: { name: sse, address: 192.0.2.254, hostName: ${SSE_HOST}, interfaces: { access: acc, carrier: car0 } }
isps:
  - name: isp-a
    domain: isp-a.example
    lns: { name: nte-a, address: 192.0.2.1, hostName: nte-a.isp-a.example, tunnelSecret: s, interfaces: { carrier: car1, core: core0 } }
    pool: 198.51.100.0/24
    gateway: 198.51.100.1
    dns: [198.51.100.53]
server: { address: 203.0.113.10, gateway: 203.0.113.1 }
router: { ispSide: 10.255.0.1, serverSide: 203.0.113.1 }
`);
  nte = lab.pseudonet('nte-a', nns!, ['up', TOPO, '--box', 'nte-a', '--homes', '3', '--control', sock('nte-a')]);
  sse = lab.pseudonet('sse', sns!, ['up', TOPO, '--box', 'sse', '--control', sock('sse')]);
  await Promise.all([nte, sse].map((p) => p.waitFor((l) => l.ev === 'ready', 20_000, `${p.name} ready`)));
  homesA = homes('homesA', ['--count', '1']);
  await homesA.waitFor((l) => l.ev === 'setup-done', 20_000, 'h1 online');
}, { timeout: 60_000 });

after(async () => {
  if (skip) return;
  for (const b of ['sse', 'nte-a']) {
    try {
      writeFileSync(path.join(work, `${b}.counters.json`), JSON.stringify(await controlRequest(sock(b), '/show/counters', 3000), null, 1));
    } catch { /* stopped already */ }
  }
  const errs = await lab.cleanup();
  if (!process.env.KEEP) rmSync(work, { recursive: true, force: true });
  else console.error(`l2tp-flood: files in ${work}`);
  assert.deepEqual(errs, []);
}, { timeout: 60_000 });

interface TunnelView { state: string; halfOpen?: boolean; peerHostName: string }
interface L2tpCountersView { tunnels: { peak: number; active: number; halfOpen: number; established: number }; refusals: Record<string, number> }

test('100,000 SCCRQs from fresh source ports at the nte while h1 pings through it: ≥ 90 % of pings answered, RSS +≤ 100 MB, ≤ 1,000 tunnels held, a new home connects after, nothing malformed sent back', { skip, timeout: 120_000 }, async () => {
  assert.equal(typeof (await ping('h1')), 'number', 'h1 pings the LNS before the flood');
  const before = (await controlRequest(sock('nte-a'), '/show/counters')) as { l2tp: L2tpCountersView };
  assert.equal(before.l2tp.tunnels.active, 1, 'the sse\'s tunnel');
  // Let the nte settle, then take its RSS.
  await delay(1000);
  const rss0 = rssMb(nte.pid);

  // What the nte sends back to the attacker, captured in the attacker's namespace.
  const pcap = path.join(work, 'to-attacker.pcapng');
  const cap = lab.spawn('dumpcap', ns('x'), 'dumpcap', ['-q', '-i', 'atk0', '-f', 'udp and src host 192.0.2.1', '-w', pcap]);
  for (let i = 0; i < 50 && !/Capturing on/.test(cap.stderr); i++) await delay(100);
  assert.match(cap.stderr, /Capturing on/, cap.stderr);

  const flood = lab.spawn('flood', ns('x'), 'python3', [path.join(ROOT, 'test/real/l2tp-sccrq-flood.py'), '192.0.2.1', String(FLOOD), String(RATE), ATTACKERS.join(','), SSE_HOST]);
  const pings: (number | null)[] = [];
  let rssMax = rss0;
  let shownMax = 0;
  let shownByCli = -1;
  let flooding = true;
  const pinger = (async () => {
    while (flooding) {
      pings.push(await ping('h1'));
      await delay(150);
    }
  })();
  const sampler = (async () => {
    while (flooding) {
      rssMax = Math.max(rssMax, rssMb(nte.pid));
      const t = (await controlRequest(sock('nte-a'), '/show/tunnels', 5000)) as TunnelView[];
      shownMax = Math.max(shownMax, t.length);
      await delay(100);
    }
  })();
  // Once, the way an operator would look: `pseudonet show tunnels` of the nte while the flood runs.
  const operator = (async () => {
    await delay(1500);
    shownByCli = (JSON.parse(await cli(['show', 'tunnels', '--control', sock('nte-a')])) as TunnelView[]).length;
  })();
  let done: { sent: number; errors: number; seconds: number };
  try {
    done = (await flood.waitFor((l) => l.ev === 'done', 60_000, 'flood done')) as unknown as typeof done;
    await operator;
    await delay(1000); // the last SCCRQs are still being handled
  } finally {
    flooding = false;
    await Promise.all([pinger, sampler]);
  }
  rssMax = Math.max(rssMax, rssMb(nte.pid));
  await delay(500);
  await cap.stop('SIGTERM');

  assert.equal(done.sent, FLOOD);
  assert.equal(done.errors, 0, 'every SCCRQ went out');
  const after = (await controlRequest(sock('nte-a'), '/show/counters')) as { l2tp: L2tpCountersView & { datagramsIn: number } };
  const l = after.l2tp;
  const received = l.datagramsIn - (before.l2tp as unknown as { datagramsIn: number }).datagramsIn;
  const answered = pings.filter((r) => r !== null).length;
  const ratio = answered / pings.length;
  const refusals = Object.entries(l.refusals).map(([k, v]) => `${k} ${v}`).join(', ');
  console.error(`l2tp-flood: ${done.sent} SCCRQs in ${done.seconds} s (${received} L2TP datagrams reached the nte); pings ${answered}/${pings.length} (${(100 * ratio).toFixed(1)} %); RSS ${rss0.toFixed(0)} → max ${rssMax.toFixed(0)} MB (+${(rssMax - rss0).toFixed(0)}); tunnels peak ${l.tunnels.peak}, max shown ${shownMax}, shown by pseudonet show ${shownByCli}; refusals: ${refusals}`);
  assert.ok(received >= FLOOD * 0.9, `the flood reached the nte: ${received}`);
  assert.ok(pings.length >= 10, `pings during the flood: ${pings.length}`);
  assert.ok(ratio >= 0.9, `pings answered ${answered}/${pings.length}`);
  assert.ok(rssMax - rss0 <= 100, `RSS ${rss0.toFixed(0)} → ${rssMax.toFixed(0)} MB`);
  assert.ok(l.tunnels.peak <= 1000, `tunnels held at most ${l.tunnels.peak} at one moment`);
  assert.ok(shownMax <= 1000 && shownByCli >= 1 && shownByCli <= 1000, `pseudonet show tunnels: ${shownMax} max, ${shownByCli} by the CLI`);
  assert.ok(l.refusals['sccrq-not-authorized']! > 0 && (l.refusals['sccrq-rate-limited'] ?? 0) > 0, refusals);
  assert.equal(l.tunnels.established, before.l2tp.tunnels.established, 'no flooder got a tunnel');

  // The sse's tunnel lived through it; nothing of the flood is held once half-open tunnels expire.
  const tunnels = (await controlRequest(sock('nte-a'), '/show/tunnels')) as TunnelView[];
  assert.deepEqual(tunnels.filter((t) => !t.halfOpen).map((t) => [t.state, t.peerHostName]), [['established', SSE_HOST]]);

  // What went back to the attacker: well-formed to tshark, only SCCRPs and StopCCNs, each once per SCCRQ.
  assert.deepEqual(tsharkProblems(pcap), []);
  const rows = sh('tshark', ['-r', pcap, '-Y', 'l2tp', '-T', 'fields', '-E', 'separator=,', '-e', 'udp.dstport', '-e', 'l2tp.tunnel', '-e', 'l2tp.Ns', '-e', 'l2tp.avp.message_type', '-E', 'occurrence=f']).split('\n').filter(Boolean);
  const types = new Map<string, number>();
  const seen = new Set<string>();
  for (const r of rows) {
    const [port, tunnel, nsv, type] = r.split(',');
    types.set(type!, (types.get(type!) ?? 0) + 1);
    const k = `${port}/${tunnel}/${nsv}/${type}`;
    assert.ok(!seen.has(k), `answer repeated (a retransmission to the attacker): ${k}`);
    seen.add(k);
  }
  assert.ok([...types.keys()].every((t) => t === '2' || t === '4'), `only SCCRP (2) and StopCCN (4) went back: ${JSON.stringify([...types])}`);
  assert.ok(rows.length > 0 && rows.length < FLOOD / 10, `answers to the attacker: ${rows.length} for ${FLOOD} SCCRQs`);
  console.error(`l2tp-flood: back to the attacker ${rows.length} datagrams (${[...types].map(([t, n]) => `type ${t}: ${n}`).join(', ')}), no repeat, tshark: nothing malformed`);

  // A new home connects afterwards, and h1 still pings.
  const homesB = homes('homesB', ['--from', '2', '--count', '1']);
  const setup = (await homesB.waitFor((x) => x.ev === 'setup-done', 30_000, 'h2 online')) as { online?: number };
  assert.equal(setup.online, 1);
  assert.equal(typeof (await ping('h1')), 'number');
  const s = (await controlRequest(sock('nte-a'), '/show/sessions')) as { user: string; state: string }[];
  assert.deepEqual(s.map((x) => [x.user, x.state]).sort(), [['user1@isp-a.example', 'up'], ['user2@isp-a.example', 'up']]);
});
