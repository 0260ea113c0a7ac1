/**
 * FreeRADIUS's radclient against `pseudonet radius` (the CLI, as its own process on
 * loopback): the answers radclient accepts, the records we write, what we refuse.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { radclient, received } from '../helpers/radclient.js';
import { A, octetsAttr, radiusPacket, textAttr } from '../../src/wire/radius.js';
import { hideUserPassword, messageAuthenticatorAttr, signPacket } from '../../src/wire/radius-crypto.js';
import { textBytes } from '../../src/wire/bytes.js';
import { encode } from '../../src/wire/result.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const dir = mkdtempSync(path.join(tmpdir(), 'pseudonet-radclient-'));
const CONFIG = `
clients:
  - address: 127.0.0.0/8
    secret: testing123
users:
  - name: alice@isp-a.example
    password: secret
    framedIp: 198.51.100.10
    dns: [192.0.2.53, 192.0.2.54]
    sessionTimeout: 3600
    interimInterval: 300
  - name: bob@isp-a.example
    password: hunter2
    pool: isp-a
pools:
  isp-a: 198.51.100.128/25
realms:
  - domain: isp-b.example
    password: tunnel
    tunnels:
      - { serverEndpoint: 192.0.2.21, password: lns1secret, assignmentId: isp-b, preference: 1 }
      - { serverEndpoint: 192.0.2.22, password: lns2secret, assignmentId: isp-b, preference: 2 }
accounting:
  file: accounting.jsonl
`;

let proc: ChildProcess;
let out = '';
let authPort = 0;
let acctPort = 0;
let exited: Promise<void>;

before(async () => {
  writeFileSync(path.join(dir, 'radius.yaml'), CONFIG);
  proc = spawn(process.execPath, [path.join(ROOT, 'bin/pseudonet.js'), 'radius', '--config', path.join(dir, 'radius.yaml'), '--auth-port', '0', '--acct-port', '0', '--bind', '127.0.0.1'], { stdio: ['ignore', 'pipe', 'pipe'] });
  exited = new Promise((r) => proc.once('exit', () => r()));
  proc.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  proc.stderr!.on('data', (b: Buffer) => (out += b.toString()));
  const deadline = Date.now() + 20_000;
  while (!/listening/.test(out)) {
    if (Date.now() > deadline || proc.exitCode !== null) throw new Error(`pseudonet radius did not start:\n${out}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  authPort = Number(/auth (\d+)/.exec(out)![1]);
  acctPort = Number(/acct (\d+)/.exec(out)![1]);
});

after(async () => {
  if (proc && proc.exitCode === null) {
    proc.kill('SIGTERM');
    await exited;
  }
  rmSync(dir, { recursive: true, force: true });
});

async function auth(attrs: string, opts?: { timeout?: number; retries?: number }, secret = 'testing123') {
  const r = await radclient(authPort, 'auth', secret, attrs, opts);
  return { ...r, answer: received(r.stdout) };
}

test('PAP and CHAP: radclient gets Accept with Framed-IP, DNS, timers for the right password and Reject for a wrong one', async () => {
  const pap = await auth('User-Name = "alice@isp-a.example", User-Password = "secret", Message-Authenticator = 0x00');
  assert.equal(pap.answer?.code, 'Access-Accept', pap.stdout + pap.stderr);
  for (const a of ['Framed-IP-Address = 198.51.100.10', 'Framed-IP-Netmask = 255.255.255.255', 'Service-Type = Framed-User', 'Framed-Protocol = PPP',
    'MS-Primary-DNS-Server = 192.0.2.53', 'MS-Secondary-DNS-Server = 192.0.2.54', 'Session-Timeout = 3600', 'Acct-Interim-Interval = 300']) {
    assert.ok(pap.answer.attributes.includes(a), `${a} in\n${pap.answer.attributes.join('\n')}`);
  }
  assert.match(pap.answer.attributes[0]!, /^Message-Authenticator = 0x[0-9a-f]{32}$/, 'Message-Authenticator first (radclient checked it)');
  const chap = await auth('User-Name = "alice@isp-a.example", CHAP-Password = "secret", Message-Authenticator = 0x00');
  assert.equal(chap.answer?.code, 'Access-Accept', chap.stdout);
  const chapChallenge = await auth('User-Name = "alice@isp-a.example", CHAP-Password = "secret", CHAP-Challenge = 0x0102030405060708090a0b0c0d0e0f1011, Message-Authenticator = 0x00');
  assert.equal(chapChallenge.answer?.code, 'Access-Accept', chapChallenge.stdout);
  for (const wrong of ['User-Password = "Secret"', 'CHAP-Password = "Secret"']) {
    const r = await auth(`User-Name = "alice@isp-a.example", ${wrong}, Message-Authenticator = 0x00`);
    assert.equal(r.answer?.code, 'Access-Reject', r.stdout);
  }
  const unknown = await auth('User-Name = "mallory@isp-a.example", User-Password = "x", Message-Authenticator = 0x00');
  assert.equal(unknown.answer?.code, 'Access-Reject');
});

test('a pool user gets an address from the pool; the realm gives two tagged LNS with Tunnel-Passwords radclient decrypts', async () => {
  const bob = await auth('User-Name = "bob@isp-a.example", User-Password = "hunter2", Message-Authenticator = 0x00');
  assert.equal(bob.answer?.code, 'Access-Accept');
  assert.ok(bob.answer.attributes.includes('Framed-IP-Address = 198.51.100.129'), bob.answer.attributes.join('\n'));
  const realm = await auth('User-Name = "isp-b.example", User-Password = "tunnel", Message-Authenticator = 0x00');
  assert.equal(realm.answer?.code, 'Access-Accept');
  for (const a of ['Tunnel-Type:1 = L2TP', 'Tunnel-Medium-Type:1 = IPv4', 'Tunnel-Server-Endpoint:1 = "192.0.2.21"', 'Tunnel-Password:1 = "lns1secret"', 'Tunnel-Assignment-Id:1 = "isp-b"', 'Tunnel-Preference:1 = 1',
    'Tunnel-Type:2 = L2TP', 'Tunnel-Server-Endpoint:2 = "192.0.2.22"', 'Tunnel-Password:2 = "lns2secret"', 'Tunnel-Preference:2 = 2']) {
    assert.ok(realm.answer.attributes.includes(a), `${a} in\n${realm.answer.attributes.join('\n')}`);
  }
});

test('accounting: radclient gets Accounting-Responses and every record is a JSON line', async () => {
  for (const status of ['Start', 'Interim-Update', 'Stop']) {
    const r = await radclient(acctPort, 'acct', 'testing123', `User-Name = "alice@isp-a.example", Acct-Status-Type = ${status}, Acct-Session-Id = "rc-1", Acct-Session-Time = 60, Acct-Input-Octets = 10, Acct-Input-Gigawords = 2, Framed-IP-Address = 198.51.100.10`);
    assert.equal(received(r.stdout)?.code, 'Accounting-Response', r.stdout + r.stderr);
  }
  const lines = readFileSync(path.join(dir, 'accounting.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.sessionId === 'rc-1');
  assert.deepEqual(lines.map((l) => [l.statusType, l.userName, l.inputOctets, l.framedIpAddress]), [
    ['Start', 'alice@isp-a.example', 2 * 2 ** 32 + 10, '198.51.100.10'],
    ['Interim-Update', 'alice@isp-a.example', 2 * 2 ** 32 + 10, '198.51.100.10'],
    ['Stop', 'alice@isp-a.example', 2 * 2 ** 32 + 10, '198.51.100.10'],
  ]);
});

test('Status-Server (RFC 5997) is answered', async () => {
  const r = await radclient(authPort, 'status', 'testing123', 'Message-Authenticator = 0x00');
  assert.equal(received(r.stdout)?.code, 'Access-Accept', r.stdout + r.stderr);
});

test('no answer without Message-Authenticator or with a wrong secret; a retransmission gets the same bytes; counters show each', async () => {
  const noMa = await auth('User-Name = "alice@isp-a.example", User-Password = "secret"', { timeout: 1, retries: 1 });
  assert.equal(noMa.answer, undefined, noMa.stdout);
  const wrong = await auth('User-Name = "alice@isp-a.example", User-Password = "secret", Message-Authenticator = 0x00', { timeout: 1, retries: 1 }, 'not-the-secret');
  assert.equal(wrong.answer, undefined, wrong.stdout);
  // The same datagram twice from one socket (a retransmission): identical answers.
  const ra = Uint8Array.from({ length: 16 }, (_, i) => i * 3);
  const req = encode(radiusPacket, { code: 1, identifier: 77, authenticator: ra, attributes: [messageAuthenticatorAttr(), textAttr(A.USER_NAME, 'alice@isp-a.example'), octetsAttr(A.USER_PASSWORD, hideUserPassword(textBytes('secret'), 'testing123', ra))] });
  signPacket(req, 'testing123');
  const s = dgram.createSocket('udp4');
  const answers: Buffer[] = [];
  s.on('message', (m) => answers.push(m));
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  s.send(req, authPort, '127.0.0.1');
  await new Promise((r) => setTimeout(r, 200));
  s.send(req, authPort, '127.0.0.1');
  const deadline = Date.now() + 3000;
  while (answers.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  s.close();
  assert.equal(answers.length, 2);
  assert.deepEqual(answers[1], answers[0]);
  // Stop the server: it prints its counters.
  proc.kill('SIGTERM');
  await exited;
  const m = /counters (\{.*\})/.exec(out);
  assert.ok(m, out);
  const c = JSON.parse(m[1]!) as { duplicates: number; dropped: Record<string, number>; accessAccepts: number };
  assert.equal(c.duplicates, 1);
  assert.ok(c.dropped['missing-message-authenticator']! >= 1, JSON.stringify(c));
  assert.ok(c.dropped['bad-message-authenticator']! >= 1, JSON.stringify(c));
  assert.doesNotMatch(out, /testing123|hunter2|lns1secret/, 'no secret in the output');
});
