/**
 * `pseudonet load --realtime` on veth pairs of its own: the sse and nte-a run as their own
 * `pseudonet up` processes (in namespaces named load*), the load command runs the home
 * emulator on the access veth and writes the same report, its phases from the access port in
 * wall ms and the CPU of the sse and nte processes from /proc.
 *
 *   [load: 60 homes] h0 ─veth─ acc [sse] car0 ─veth─ car1 [nte-a + embedded RADIUS]
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Lab, delay, notRoot, requireAddon, sh, startAccessChain } from './lab.js';
import { controlRequest } from '../../src/io/control.js';

const skip = notRoot();
const lab = new Lab();
const work = mkdtempSync(path.join(tmpdir(), 'pseudonet-load-rt-'));
const sock = (b: string): string => path.join(work, `${b}.sock`);

/** A namespace named load<prefix><tag>, removed at cleanup (its veths go with it). */
function ns(prefix: string): string {
  const name = `load${prefix}${lab.tag}`;
  if (sh('ip', ['netns', 'list']).split('\n').some((l) => l.split(' ')[0] === name)) sh('ip', ['netns', 'del', name]);
  sh('ip', ['netns', 'add', name]);
  lab.atCleanup(() => void sh('ip', ['netns', 'del', name]));
  sh('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
  sh('ip', ['netns', 'exec', name, 'sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1']);
  return name;
}

after(async () => {
  const errs = await lab.cleanup();
  rmSync(work, { recursive: true, force: true });
  assert.deepEqual(errs, []);
});

test('load --realtime: 60 homes through sse and nte processes, the report from the emulator', { skip, timeout: 58_000 }, async () => {
  requireAddon();
  const N = 60;
  const hns = ns('h');
  const sns = ns('s');
  const nns = ns('n');
  lab.veth(hns, 'h0', sns, 'acc');
  lab.veth(sns, 'car0', nns, 'car1');
  lab.veth(nns, 'core0', nns, 'core1');
  const topo = path.join(work, 'topology.yaml');
  const { sse, nte } = await startAccessChain(lab, { name: 'load-rt', sns, nns, topo, sock, homes: N });
  const out = path.join(work, 'out');
  const load = lab.pseudonet('load', hns, ['load', topo, '--homes', String(N), '--realtime', '--access', 'h0', '--window', '16', '--out', out, '--pid', `sse=${sse.pid}`, '--pid', `nte-a=${nte.pid}`, '--timeout', '30']);
  await load.done;
  assert.equal(load.exited, 0, load.stderr);
  const r = JSON.parse(readFileSync(path.join(out, 'report.json'), 'utf8'));
  assert.equal(r.mode, 'realtime');
  assert.equal(r.clock, 'wall');
  assert.equal(r.homes, N);
  assert.equal(r.online, N);
  assert.deepEqual(r.failed, {});
  assert.ok(r.setupsPerSecond > 0 && r.cryptoFloorSetupsPerSecond > r.setupsPerSecond);
  const s = r.setupMs;
  assert.ok(s.p50 > 0 && s.p50 <= s.p90 && s.p90 <= s.p99 && s.p99 <= s.max, JSON.stringify(s));
  // The emulator sees its access port only: the access-side phases, none of the inner ones.
  assert.deepEqual(Object.keys(r.phaseMs).sort(), ['auth', 'discovery', 'ipcp', 'lcp']);
  assert.ok(r.pacing.maxInSetup <= 16);
  for (const b of ['homes', 'sse', 'nte-a']) assert.ok(r.cpuSecondsPerBox[b] > 0, `CPU of ${b}: ${r.cpuSecondsPerBox[b]}`);
  // Every home hung up at the end: the LNS holds no session.
  let sessions: unknown[] = [];
  for (let i = 0; i < 50; i++) {
    sessions = (await controlRequest(sock('nte-a'), '/show/sessions')) as unknown[];
    if (sessions.length === 0) break;
    await delay(100);
  }
  assert.deepEqual(sessions, []);
});
