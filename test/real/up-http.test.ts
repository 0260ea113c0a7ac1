/**
 * `pseudonet up -v --http` on real interfaces: an sse and a home as two processes in two
 * network namespaces of this test (http-…), joined by a veth (the sse's carrier is a veth to nowhere
 * interface: no LNS answers, so the home stops at CHAP). The home logs every frame in and
 * out as pino JSON lines (as `run -v` does) and its events as pino lines; its HTTP listener
 * serves the API and the page inside its namespace; its control socket serves the same
 * handlers, and its /metrics passes `promtool check metrics`.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import http from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Proc, ROOT, notRoot, requireAddon } from './lab.js';

const skip = notRoot();
const tag = (process.pid % 46656).toString(36);
const NS_SSE = `http-s${tag}`;
const NS_HOME = `http-h${tag}`;
const work = mkdtempSync(path.join(tmpdir(), 'http-up-'));
const TOPO = path.join(work, 'topology.yaml');
const sock = (b: string): string => path.join(work, `${b}.sock`);
const procs: Proc[] = [];
const sh = (cmd: string, args: string[]): string => execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

function up(ns: string, box: string, extra: string[]): Proc {
  const child = spawn('ip', ['netns', 'exec', ns, process.execPath, '--import', 'tsx', path.join(ROOT, 'src/cli/main.ts'), 'up', TOPO, '--box', box, '--control', sock(box), ...extra], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const p = new Proc(box, child);
  procs.push(p);
  return p;
}

const control = (p: string): Promise<{ status: number; text: string }> =>
  new Promise((resolve, reject) => {
    http.get({ socketPath: sock('home1'), path: p }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    }).on('error', reject);
  });

let home: Proc;

before(async () => {
  if (skip) return;
  requireAddon();
  for (const ns of [NS_SSE, NS_HOME]) {
    sh('ip', ['netns', 'add', ns]);
    sh('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    sh('ip', ['netns', 'exec', ns, 'sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1']);
  }
  sh('ip', ['-n', NS_SSE, 'link', 'add', 'hacc', 'type', 'veth', 'peer', 'name', 'hhome', 'netns', NS_HOME]);
  sh('ip', ['-n', NS_SSE, 'link', 'add', 'hcar', 'type', 'veth', 'peer', 'name', 'hcarx']); // nothing on the far end
  for (const [ns, i] of [[NS_SSE, 'hacc'], [NS_SSE, 'hcar'], [NS_SSE, 'hcarx'], [NS_HOME, 'hhome']] as const) sh('ip', ['-n', ns, 'link', 'set', i, 'up']);
  writeFileSync(TOPO, `name: up-http
sse: { address: 192.0.2.254, interfaces: { access: hacc, carrier: hcar } }
isps:
  - name: isp-a
    domain: isp-a.example
    lns: { name: nte-a, address: 192.0.2.1, hostName: nte-a.isp-a.example, tunnelSecret: s }
    pool: 198.51.100.0/24
    gateway: 198.51.100.1
    dns: [198.51.100.53]
homes:
  - { name: home1, user: alice@isp-a.example, password: secret, interfaces: { access: hhome } }
server: { address: 203.0.113.10, gateway: 203.0.113.1 }
router: { ispSide: 10.255.0.1, serverSide: 203.0.113.1 }
`);
  const sse = up(NS_SSE, 'sse', ['--quiet']);
  await sse.waitFor((l) => l.ev === 'ready', 20_000, 'sse ready');
  home = up(NS_HOME, 'home1', ['-v', '--http', '127.0.0.1:0']);
  await home.waitFor((l) => l.ev === 'ready', 20_000, 'home1 ready');
}, { timeout: 60_000 });

after(async () => {
  if (skip) return;
  await Promise.all(procs.map((p) => p.stop('SIGTERM', 5000)));
  for (const ns of [NS_HOME, NS_SSE]) spawnSync('ip', ['netns', 'del', ns]);
  rmSync(work, { recursive: true, force: true });
});

interface Line { level: number; msg?: string; port?: string; dir?: string; protocol?: string; kind?: string; event?: string; box?: string }

const pinoLines = (): Line[] => home.stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Line);

test('up -v: every frame in and out as a pino JSON line, named as Wireshark names it; events as pino lines', { skip, timeout: 30_000 }, async () => {
  const deadline = Date.now() + 15_000;
  const has = (f: (l: Line) => boolean): boolean => pinoLines().some(f);
  while (!has((l) => l.protocol === 'PPP CHAP' && l.dir === 'out') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  const frames = pinoLines().filter((l) => l.level === 20);
  const seen = frames.map((l) => `${l.dir} ${l.protocol} ${l.msg}`);
  for (const want of [/^out PPPoED Active Discovery Initiation \(PADI\)$/, /^in PPPoED Active Discovery Offer \(PADO\) AC-Name='flets-sse'$/, /^out PPPoED .*\(PADR\)$/, /^in PPPoED .*\(PADS\)$/, /^out PPP LCP Configuration Request$/, /^in PPP CHAP Challenge/, /^out PPP CHAP Response \(NAME='alice@isp-a.example'\)$/]) {
    assert.ok(seen.some((s) => want.test(s)), `${want} in:\n${seen.join('\n')}`);
  }
  assert.ok(frames.every((l) => l.port === 'access' && l.box === 'home1'));
  assert.ok(!home.stderr.includes('secret'), 'no secret in a log line');
  // The home's events (pppoe-up) as info lines.
  assert.ok(pinoLines().some((l) => l.level === 30 && l.kind === 'home' && l.event === 'pppoe-up'), home.stderr.slice(-2000));
});

test('up --http: the API and the page on TCP inside the box\'s namespace; the control socket serves the same handlers and /metrics passes promtool', { skip, timeout: 30_000 }, async () => {
  const ready = home.lines.find((l) => l.ev === 'ready')!;
  const url = String(ready.http);
  assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
  const curl = (p: string): string => sh('ip', ['netns', 'exec', NS_HOME, 'curl', '-sS', '--max-time', '5', `${url}${p}`]);
  const viaTcp = JSON.parse(curl('api/sessions')) as { home: string; user: string; state: string }[];
  assert.deepEqual(viaTcp.map((s) => [s.home, s.user]), [['home1', 'alice@isp-a.example']]);
  assert.notEqual(viaTcp[0]!.state, 'online', 'no LNS: the home never gets IPCP up');
  assert.match(curl(''), /<script src="\/vendor\/dagre.min.js">/);
  const viaSocket = JSON.parse((await control('/api/sessions')).text) as { home: string }[];
  assert.deepEqual(viaSocket.map((s) => s.home), ['home1']);
  const ladder = JSON.parse((await control('/api/sessions/home1/sequence')).text) as { messages: { from: string; to: string; label: string }[] };
  const l = ladder.messages.map((m) => `${m.from}>${m.to} ${m.label}`);
  assert.ok(l.some((x) => /^home1>sse Active Discovery Initiation \(PADI\)/.test(x)), l.join('\n'));
  assert.ok(l.some((x) => /Active Discovery Session-confirmation \(PADS\)/.test(x)), l.join('\n'));
  const metrics = await control('/metrics');
  assert.equal(metrics.status, 200);
  const r = spawnSync('promtool', ['check', 'metrics'], { input: metrics.text, encoding: 'utf8' });
  assert.ok(!r.error, 'promtool is missing: run scripts/deps.sh (Debian package prometheus)');
  assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
  assert.match(metrics.text, /^pseudonet_home_padi_out_total\{box="home1"\} [1-9]/m);
});
