/**
 * Issue 9, bad input: a peer that vanishes mid-session, and a UDP port in use.
 *
 *   [homes A: h1 h2] ─┐
 *                     ├─ h0 ─veth─ acc [sse] car0 ─veth─ car1 [nte-a + embedded RADIUS] core0 ─veth─ core1
 *   [homes B: h3]    ─┘        (two emulator processes on one interface, disjoint slices)
 *
 * Three sessions come up through the sse and nte processes; homes B is killed with SIGKILL
 * (no PADT, no LCP Terminate: the home is gone as if unplugged). The nte's LCP echo (1 s,
 * 3 unanswered, from the topology) ends that session: CDN to the sse, which sends PADT and
 * frees the PPPoE session; Accounting-Stop with Acct-Terminate-Cause Lost-Carrier reaches the
 * embedded RADIUS (seen with `pseudonet show events`); a capture on the access link shows the
 * Echo-Requests, Terminate-Requests and the PADT going to the silent home. Meanwhile h1 and h2 keep their sessions
 * and their pings through the whole episode, and h3 dials again from a new process with the
 * same MAC. Last, `pseudonet radius` on a UDP port that is in use exits 2 with a clear error.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import dgram from 'node:dgram';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Lab, ROOT, notRoot, requireAddon, delay, sh, type Proc, type JsonLine , startAccessChain } from './lab.js';
import { controlRequest } from '../../src/io/control.js';

const skip = notRoot();
const lab = new Lab();
const work = mkdtempSync(path.join(tmpdir(), 'pseudonet-real-bad-'));
const TOPO = path.join(work, 'topology.yaml');
const sock = (b: string): string => path.join(work, `${b}.sock`);
const LNS_CORE = '10.255.0.2'; // router ispSide + 1: the nte answers pings there
let hns = '';
let sse: Proc, nte: Proc, homesA: Proc, homesB: Proc;

const ev = (p: Proc, kind: string, type: string, extra: (e: Record<string, unknown>) => boolean = () => true, ms = 30_000): Promise<JsonLine> =>
  p.waitFor((l) => l.kind === kind && (l.event as { type?: string } | undefined)?.type === type && extra(l.event as Record<string, unknown>), ms, `${kind} ${type}`);

const homesUp = (name: string, args: string[]): Proc =>
  lab.pseudonet(name, hns, ['up', TOPO, '--box', 'homes', '--homes', '3', '--access', 'h0', '--echo-interval', '1', '--control', sock(name), ...args]);

interface HomeView { name: string; phase: string; address?: string }
const homesOf = async (b: string): Promise<HomeView[]> => ((await controlRequest(sock(b), '/show/sessions')) as { homes: HomeView[] }).homes;
const ping = async (b: string, from: string, count = 1): Promise<(number | null)[]> =>
  ((await controlRequest(sock(b), `/ping?dst=${LNS_CORE}&count=${count}&from=${from}`)) as { rtt: number | null }[]).map((x) => x.rtt);

before(async () => {
  if (skip) return;
  requireAddon();
  hns = lab.ns('bhom');
  const sns = lab.ns('bsse');
  const nns = lab.ns('bnte');
  lab.veth(hns, 'h0', sns, 'acc');
  lab.veth(sns, 'car0', nns, 'car1');
  lab.veth(nns, 'core0', nns, 'core1');
  ({ nte, sse } = await startAccessChain(lab, { name: 'bad-input', sns, nns, topo: TOPO, sock, homes: 3 }));
  homesA = homesUp('homesA', ['--count', '2']);
  homesB = homesUp('homesB', ['--from', '3']);
  await Promise.all([homesA, homesB].map((p) => p.waitFor((l) => l.ev === 'setup-done', 20_000, `${p.name} setup-done`)));
}, { timeout: 60_000 });

after(async () => {
  if (skip) return;
  const errs = await lab.cleanup();
  rmSync(work, { recursive: true, force: true });
  assert.deepEqual(errs, []);
}, { timeout: 60_000 });

test('three homes from two emulator processes on one interface come up through the sse and nte processes', { skip, timeout: 30_000 }, async () => {
  assert.deepEqual((await homesOf('homesA')).map((h) => [h.name, h.phase]), [['h1', 'online'], ['h2', 'online']]);
  assert.deepEqual((await homesOf('homesB')).map((h) => [h.name, h.phase]), [['h3', 'online']]);
  const s = (await controlRequest(sock('nte-a'), '/show/sessions')) as { user: string; state: string }[];
  assert.deepEqual(s.map((x) => [x.user, x.state]).sort(), [['user1@isp-a.example', 'up'], ['user2@isp-a.example', 'up'], ['user3@isp-a.example', 'up']]);
  for (const [b, h] of [['homesA', 'h1'], ['homesA', 'h2'], ['homesB', 'h3']] as const) assert.equal(typeof (await ping(b, h))[0], 'number', `${h} pings the LNS`);
});

test('SIGKILL of the emulator holding h3: LCP echo ends its session, PADT, CDN, Accounting-Stop (Lost-Carrier); h1 and h2 keep pinging', { skip, timeout: 50_000 }, async () => {
  // Everything addressed to or from h3 on the access link, as the sse sees the gone home.
  const pcap = path.join(work, 'h3.pcapng');
  const cap = lab.spawn('dumpcap', hns, 'dumpcap', ['-i', 'h0', '-f', 'ether host 02:10:00:00:00:03', '-w', pcap]);
  for (let i = 0; i < 50 && !/Capturing on/.test(cap.stderr); i++) await delay(100);
  assert.match(cap.stderr, /Capturing on/, cap.stderr);
  const killedAt = Date.now();
  let endedAfter = 0;
  homesB.signal('SIGKILL');
  await homesB.done;
  // While the nte finds out, the other sessions keep working: a ping every 500 ms from h1 and h2.
  const pings: (number | null)[] = [];
  let watching = true;
  const watcher = (async () => {
    while (watching) {
      pings.push(...(await ping('homesA', 'h1')), ...(await ping('homesA', 'h2')));
      await delay(500);
    }
  })();
  try {
    const ended = await ev(nte, 'nte', 'session-ended', (e) => e.user === 'user3@isp-a.example', 30_000);
    const e = ended.event as { reason: string; cause: number };
    assert.equal(e.reason, 'echo-timeout');
    assert.equal(e.cause, 2, 'Acct-Terminate-Cause Lost-Carrier');
    endedAfter = Date.now() - killedAt;
    assert.ok(endedAfter >= 3000 && endedAfter < 20_000, `ended ${endedAfter} ms after the kill (3 echoes at 1 s, then LCP Terminate-Requests)`);
    const sseEnded = await ev(sse, 'sse', 'session-ended', (x) => x.user === 'user3@isp-a.example', 10_000);
    assert.ok(sseEnded);
    await delay(300);
    await cap.stop('SIGTERM');
    await ev(nte, 'nte', 'accounting', (x) => (x.record as { statusType: number; userName?: string }).statusType === 2 && (x.record as { userName?: string }).userName === 'user3@isp-a.example', 10_000);
  } finally {
    watching = false;
    await watcher;
  }
  assert.ok(pings.length >= 8, `pings during the episode: ${pings.length}`);
  assert.deepEqual(pings.filter((r) => r === null), [], 'no ping of h1 or h2 was lost');

  // On the wire to h3 after the kill: the nte's Echo-Requests (relayed by the sse), its
  // Terminate-Requests, then the sse's PADT; and nothing from h3 any more.
  const frames = (filter: string): number[] =>
    sh('tshark', ['-r', pcap, '-Y', filter, '-T', 'fields', '-e', 'frame.number']).split('\n').filter((l) => l.trim()).map(Number);
  const H3 = '02:10:00:00:00:03';
  const all = frames('frame');
  const echoes = frames(`eth.dst == ${H3} && lcp && ppp.code == 9`);
  const terms = frames(`eth.dst == ${H3} && lcp && ppp.code == 5`);
  const padt = frames(`eth.dst == ${H3} && pppoe.code == 0xa7`);
  // h3 may still have spoken between the start of the capture and the kill; never after.
  const lastFromH3 = Math.max(0, ...frames(`eth.src == ${H3}`));
  const unanswered = echoes.filter((n) => n > lastFromH3);
  assert.ok(unanswered.length >= 3, `unanswered Echo-Requests to h3: ${unanswered.length} (${echoes.length} in all, ${all.length} frames)`);
  assert.ok(terms.length >= 1 && Math.min(...terms) > Math.max(...unanswered), 'Terminate-Requests after the unanswered Echo-Requests');
  assert.equal(padt.length, 1, 'one PADT');
  assert.equal(padt[0], Math.max(...all), 'the PADT is the last frame');
  console.error(`bad-input: ${unanswered.length} unanswered Echo-Requests, ${terms.length} Terminate-Requests, PADT; ended ${endedAfter} ms after the kill; ${pings.length} pings of h1/h2 meanwhile, none lost`);

  // What an operator sees: `pseudonet show events` on the nte has the embedded RADIUS's Accounting-Stop.
  const out = await new Promise<string>((resolve, reject) =>
    execFile(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/cli/main.ts'), 'show', 'events', '--control', sock('nte-a')], { cwd: ROOT, maxBuffer: 1 << 24 }, (err, stdout) => (err ? reject(err) : resolve(stdout))),
  );
  const events = JSON.parse(out) as { kind: string; event: { type: string; line?: { statusType: string; userName?: string; attributes: Record<string, unknown> } } }[];
  const stops = events.filter((x) => x.kind === 'radius' && x.event.type === 'accounting' && x.event.line?.statusType === 'Stop');
  assert.equal(stops.length, 1, JSON.stringify(stops));
  assert.equal(stops[0]!.event.line!.userName, 'user3@isp-a.example');
  assert.equal(stops[0]!.event.line!.attributes['Acct-Terminate-Cause'], 'Lost-Carrier');

  // The boxes serve the other two and hold nothing of the third.
  const s = (await controlRequest(sock('nte-a'), '/show/sessions')) as { user: string }[];
  assert.deepEqual(s.map((x) => x.user).sort(), ['user1@isp-a.example', 'user2@isp-a.example']);
  const relaying = ((await controlRequest(sock('sse'), '/show/sessions')) as { relaying: { mac: string }[] }).relaying;
  assert.deepEqual(relaying.map((x) => x.mac).sort(), ['02:10:00:00:00:01', '02:10:00:00:00:02']);
  assert.deepEqual((await homesOf('homesA')).map((h) => h.phase), ['online', 'online']);
  assert.equal(homesA.lines.filter((l) => l.kind === 'home' && (l.event as { type: string }).type === 'offline').length, 0, 'h1 and h2 never went offline');
});

test('h3 dials again from a new process with the same MAC: the sse took its old PPPoE session back', { skip, timeout: 30_000 }, async () => {
  const again = homesUp('homesB2', ['--from', '3']);
  const done = (await again.waitFor((l) => l.ev === 'setup-done', 20_000, 'h3 again')) as { online: number };
  assert.equal(done.online, 1);
  assert.equal(typeof (await ping('homesB2', 'h3'))[0], 'number');
  const s = (await controlRequest(sock('nte-a'), '/show/sessions')) as { user: string }[];
  assert.equal(s.length, 3);
});

test('a UDP port in use: pseudonet radius exits 2 and names the port and what to do', { timeout: 30_000 }, async () => {
  const cfg = path.join(work, 'radius.yaml');
  writeFileSync(cfg, 'clients:\n  - { name: t, address: 127.0.0.1, secret: s }\nusers:\n  - { name: a@b.example, password: p }\n');
  const holder = dgram.createSocket('udp4');
  await new Promise<void>((r) => holder.bind(0, '127.0.0.1', () => r()));
  const port = holder.address().port;
  try {
    const r = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const c = execFile(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/cli/main.ts'), 'radius', '--config', cfg, '--bind', '127.0.0.1', '--auth-port', String(port), '--acct-port', '0'], { cwd: ROOT, timeout: 20_000 }, (_e, stdout, stderr) => resolve({ code: c.exitCode, stdout, stderr }));
    });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, new RegExp(`UDP port ${port} on 127\\.0\\.0\\.1 \\(authentication\\) is in use: is another RADIUS server running\\?`));
    assert.doesNotMatch(r.stderr, /at .*\.ts:\d+/, 'no stack trace');
    assert.doesNotMatch(r.stdout, /listening/);
  } finally {
    holder.close();
  }
});
