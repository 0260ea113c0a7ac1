/** `pseudonet demo` end to end: the result, the files, and what tshark says about every packet. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync as require_write } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { runDemo } from '../../src/sim/demo.js';
import { loadTopology } from '../../src/config/topology.js';
import { tsharkProblems } from '../helpers/tshark.js';

const out = mkdtempSync(path.join(tmpdir(), 'pseudonet-demo-'));
const lines: string[] = [];
const r = runDemo(loadTopology('topologies/default.yaml'), { out, log: (l) => lines.push(l) });

test('every home gets an address and DNS, every ping is answered, nothing is left behind', () => {
  assert.deepEqual(r.problems, []);
  assert.equal(r.ok, true);
  assert.equal(r.sessions.length, 3);
  for (const s of r.sessions) {
    assert.ok(s.ip, `${s.user} has an address`);
    assert.ok(s.dns.length >= 1);
    assert.ok(s.pingOk);
    assert.ok(s.tunnelId && s.sessionId);
  }
  // RADIUS gave alice her fixed address; the others came from their ISP's pool.
  assert.equal(r.sessions[0]!.ip, '198.51.100.10');
  assert.match(r.sessions[2]!.ip!, /^100\.64\.0\./);
  assert.deepEqual(r.sessions.map((s) => s.lns), ['nte-a', 'nte-a', 'nte-b']);
});

test('each teardown direction is accounted with its own cause', () => {
  const stops = r.accounting.filter((a) => a.statusType === 'Stop');
  assert.equal(stops.length, 3);
  const cause = Object.fromEntries(stops.map((a) => [a.userName, a.terminateCause]));
  // RFC 2866 §5.10: a PADT from the home is the user's request (accel-ppp accounts it so too), as is its LCP Terminate.
  assert.deepEqual(cause, { 'alice@isp-a.example': 'User-Request', 'bob@isp-a.example': 'User-Request', 'carol@isp-b.example': 'Admin-Reset' });
  for (const s of stops) assert.ok((s.inputPackets ?? 0) >= 3 && (s.outputPackets ?? 0) >= 3, 'pings were counted');
  assert.ok(lines.some((l) => l.includes('got Disconnect-ACK')));
});

test('the files are written: pcapng per link, sequence diagram, accounting, summary', () => {
  const files = readdirSync(out).sort();
  for (const f of ['access.pcapng', 'carrier.pcapng', 'core.pcapng', 'server.pcapng', 'radius-isp-a.pcapng', 'radius-isp-b.pcapng', 'sequence.mmd', 'sequence.html', 'accounting.jsonl', 'summary.json']) assert.ok(files.includes(f), f);
  const summary = JSON.parse(readFileSync(path.join(out, 'summary.json'), 'utf8'));
  assert.equal(summary.ok, true);
  // isp-a's sessions are dual-stack (the nte's RA and DHCPv6-PD): "ipv6" is there for them only.
  assert.deepEqual(Object.keys(summary.sessions[0]).sort(), ['dns', 'ip', 'ipv6', 'lns', 'pingOk', 'sessionId', 'tunnelId', 'user']);
  const byUser = Object.fromEntries((summary.sessions as { user: string; ipv6?: unknown }[]).map((x) => [x.user, x.ipv6]));
  assert.deepEqual(byUser['alice@isp-a.example'], { delegatedPrefix: '2001:db8:8000:1000::/56', pingOk: true });
  assert.equal(byUser['carol@isp-b.example'], undefined);
  const mmd = readFileSync(path.join(out, 'sequence.mmd'), 'utf8');
  assert.ok(mmd.includes('sse->>carrier-radius: RADIUS Access-Request'), 'the sse asks the carrier RADIUS for the LNS');
  for (const m of ['PADI', 'PADS', 'CHAP Challenge', 'SCCRQ', 'ICCN', 'Access-Request', 'Access-Accept', 'IPCP Configuration Ack', 'Accounting-Request', 'Echo (ping) request', 'PADT', 'CDN']) assert.ok(mmd.includes(m), `diagram shows ${m}`);
  const html = readFileSync(path.join(out, 'sequence.html'), 'utf8');
  assert.ok(!/<script|https?:\/\//i.test(html.replace('http://www.w3.org/2000/svg', '')), 'the HTML loads nothing from the network');
  assert.equal(readFileSync(path.join(out, 'accounting.jsonl'), 'utf8').trim().split('\n').length, 6);
});

test('tshark: no malformed packet and no expert warning in any link capture', () => {
  for (const f of readdirSync(out).filter((f) => f.endsWith('.pcapng'))) {
    assert.deepEqual(tsharkProblems(path.join(out, f)), [], f);
  }
});

test('tshark: the ICCN carries all eight proxy AVPs (26-33)', () => {
  const o = execFileSync('tshark', ['-r', path.join(out, 'carrier.pcapng'), '-Y', 'l2tp.avp.type == 26', '-T', 'fields', '-e', 'l2tp.avp.type'], { encoding: 'utf8' });
  const first = o.trim().split('\n')[0]!.split(',').map(Number);
  for (let t = 26; t <= 33; t++) assert.ok(first.includes(t), `AVP ${t} in ${first}`);
});

test('the CHAP Success the home sees came from the nte, relayed by the sse', () => {
  const o = execFileSync('tshark', ['-r', path.join(out, 'access.pcapng'), '-Y', 'chap.code == 3', '-T', 'fields', '-e', 'chap.message'], { encoding: 'utf8' });
  const msgs = o.trim().split('\n');
  assert.equal(msgs.length, 3);
  assert.ok(msgs.every((m) => /^Welcome to isp-[ab] \(nte-[ab]\)$/.test(m)), msgs.join('|'));
});

test('`pseudonet demo` on the command line exits 0 and prints each home online', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'pseudonet-cli-'));
  const p = spawnSync(process.execPath, ['bin/pseudonet.js', 'demo', '--out', dir], { encoding: 'utf8' });
  assert.equal(p.status, 0, p.stderr + p.stdout);
  assert.equal((p.stdout.match(/ online /g) ?? []).length, 3);
  assert.match(p.stdout, /OK: 3\/3 homes got an address/);
  rmSync(dir, { recursive: true });
});

test('a topology with a typo: a clear error naming the field, exit 2, nothing starts', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'pseudonet-bad-'));
  const f = path.join(dir, 'bad.yaml');
  require_write(f, readFileSync('topologies/default.yaml', 'utf8').replace('lcpPolicy: accept-proxy', 'lcpPolcy: accept-proxy'));
  const p = spawnSync(process.execPath, ['bin/pseudonet.js', 'demo', '--topology', f, '--out', path.join(dir, 'o')], { encoding: 'utf8' });
  assert.equal(p.status, 2);
  assert.match(p.stderr, /isps\[0\]: Unrecognized key: "lcpPolcy"/);
  assert.deepEqual(readdirSync(dir), ['bad.yaml'], 'no output written');
  rmSync(dir, { recursive: true });
});


