/**
 * Pool leases of the embedded RADIUS server core: an address belongs to one session (named
 * by the NAS and its NAS-Port, RFC 2865 §5.5), never to a fixed address, a DNS address or an
 * excluded one; it goes back at that session's Accounting-Stop (RFC 2866), when the lease
 * expires, or at the NAS's Accounting-On; an exhausted pool is an Access-Reject with a reason.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RadiusServer } from '../../src/roles/radius-server.js';
import { parseRadiusServerConfig } from '../../src/config/radius-file.js';
import { bytesText, ipv4FromString, ipv4ToString, textBytes } from '../../src/wire/bytes.js';
import { A, RadiusCode, getAttr, getInt, intAttr, octetsAttr, radiusPacket, textAttr, type RadiusAttribute } from '../../src/wire/radius.js';
import { hideUserPassword, messageAuthenticatorAttr, signPacket } from '../../src/wire/radius-crypto.js';
import { encode } from '../../src/wire/result.js';
import { ispRadiusConfig } from '../../src/config/derive.js';
import { loadTopology, topologySchema } from '../../src/config/topology.js';

const SECRET = 'testing123';
const YAML = `
clients: [{ address: 127.0.0.1, secret: ${SECRET} }]
users:
  - { name: alice@isp.example, password: pw, framedIp: 10.0.0.9 }
  - { name: bob@isp.example, password: pw, pool: p, dns: [10.0.0.13] }
  - { name: ivy@isp.example, password: pw, pool: p, interimInterval: 60 }
pools:
  p: { range: 10.0.0.0/28, exclude: [10.0.0.1, 10.0.0.4-10.0.0.6] }
leaseOfferSeconds: 30
`;

let nextId = 0;
function access(user: string, nasPort: number, password = 'pw'): Uint8Array {
  const id = nextId++ & 0xff;
  const ra = Uint8Array.from({ length: 16 }, (_, i) => (i * 31 + nextId * 7) & 0xff);
  const b = encode(radiusPacket, { code: RadiusCode.ACCESS_REQUEST, identifier: id, authenticator: ra, attributes: [
    messageAuthenticatorAttr(), textAttr(A.USER_NAME, user), octetsAttr(A.USER_PASSWORD, hideUserPassword(textBytes(password), SECRET, ra)),
    intAttr(A.NAS_IP_ADDRESS, ipv4FromString('127.0.0.1')), intAttr(A.NAS_PORT, nasPort),
  ] });
  signPacket(b, SECRET);
  return b;
}

function accounting(status: number, user: string, nasPort: number, sessionId: string, address?: string): Uint8Array {
  const attrs: RadiusAttribute[] = [
    textAttr(A.USER_NAME, user), intAttr(A.ACCT_STATUS_TYPE, status), textAttr(A.ACCT_SESSION_ID, sessionId),
    intAttr(A.NAS_IP_ADDRESS, ipv4FromString('127.0.0.1')), intAttr(A.NAS_PORT, nasPort),
    ...(address === undefined ? [] : [intAttr(A.FRAMED_IP_ADDRESS, ipv4FromString(address))]),
  ];
  const b = encode(radiusPacket, { code: RadiusCode.ACCOUNTING_REQUEST, identifier: nextId++ & 0xff, authenticator: new Uint8Array(16), attributes: attrs });
  signPacket(b, SECRET);
  return b;
}

function send(s: RadiusServer, b: Uint8Array, now: number, service: 'auth' | 'acct' = 'auth') {
  s.handle({ service, address: '127.0.0.1', port: 40000 + (nextId % 1000), bytes: b }, now);
  const out = s.pollTransmit()!;
  while (s.pollEvent());
  return out.packet!;
}

/** The address an Access-Request got, or the Reply-Message of its Reject. */
function login(s: RadiusServer, user: string, port: number, now = 0): string {
  const p = send(s, access(user, port), now);
  if (p.code === RadiusCode.ACCESS_ACCEPT) return ipv4ToString(getInt(p, A.FRAMED_IP_ADDRESS)!);
  return `reject: ${bytesText(getAttr(p, A.REPLY_MESSAGE)?.data ?? new Uint8Array())}`;
}

test('the pool never gives a fixed, DNS or excluded address; an exhausted pool is a Reject with a reason, counted', () => {
  const s = new RadiusServer(parseRadiusServerConfig(YAML));
  // 10.0.0.0/28 hands out .1–.14; minus .1, .4–.6 (excluded), .9 (alice), .13 (a DNS address): eight left.
  const got = Array.from({ length: 8 }, (_, i) => login(s, 'bob@isp.example', 100 + i));
  assert.deepEqual(got.sort(), ['10.0.0.10', '10.0.0.11', '10.0.0.12', '10.0.0.14', '10.0.0.2', '10.0.0.3', '10.0.0.7', '10.0.0.8']);
  assert.equal(login(s, 'bob@isp.example', 200), 'reject: No address available in pool p');
  assert.equal(s.counters.poolExhausted, 1);
  assert.equal(login(s, 'alice@isp.example', 201), '10.0.0.9', 'alice keeps her fixed address');
});

test('one lease per session: two logins of one user get two addresses; the same port again keeps its address; a Stop frees only its own session', () => {
  const s = new RadiusServer(parseRadiusServerConfig(YAML));
  const a = login(s, 'bob@isp.example', 1);
  const b = login(s, 'bob@isp.example', 2);
  assert.notEqual(a, b);
  send(s, accounting(1, 'bob@isp.example', 1, 'S1', a), 1, 'acct');
  send(s, accounting(2, 'bob@isp.example', 1, 'S1', a), 2, 'acct'); // S1 ends on port 1
  assert.equal(s.leases('p').length, 1);
  const c = login(s, 'bob@isp.example', 1, 3); // port 1's next session, S2
  send(s, accounting(1, 'bob@isp.example', 1, 'S2', c), 4, 'acct');
  // S1's Stop again, late (a retransmission after a new attempt): S2 keeps its address.
  send(s, accounting(2, 'bob@isp.example', 1, 'S1', a), 5, 'acct');
  assert.deepEqual(s.leases('p').map((l) => l.address).sort(), [b, c].sort());
  assert.ok(!s.leases('p').some((l) => l.address === a && c !== a));
  // Only S2's Stop frees it.
  send(s, accounting(2, 'bob@isp.example', 1, 'S2', c), 6, 'acct');
  assert.deepEqual(s.leases('p').map((l) => l.address), [b]);
});

test('a lease without an Accounting-Start expires after leaseOfferSeconds; one whose Interim-Updates stop expires after two intervals and a minute', () => {
  const s = new RadiusServer(parseRadiusServerConfig(YAML));
  login(s, 'bob@isp.example', 1, 0);
  // First the cached answer leaves its duplicate window (5 s), then the offered lease expires.
  assert.equal(s.nextTimeout(), 5_000);
  assert.equal(s.duplicateCacheEntries, 1);
  s.handleTimeout(5_000);
  assert.equal(s.duplicateCacheEntries, 0, 'let go when its window passed, with no request since');
  assert.equal(s.nextTimeout(), 30_000);
  s.handleTimeout(29_999);
  assert.equal(s.leases('p').length, 1);
  s.handleTimeout(30_000);
  assert.equal(s.leases('p').length, 0);
  assert.equal(s.counters.leasesExpired, 1);
  // ivy's reply carries Acct-Interim-Interval 60: her lease lives 2 × 60 + 60 s past each update.
  const ip = login(s, 'ivy@isp.example', 2, 100_000);
  send(s, accounting(1, 'ivy@isp.example', 2, 'I1', ip), 101_000, 'acct');
  send(s, accounting(3, 'ivy@isp.example', 2, 'I1', ip), 161_000, 'acct');
  s.handleTimeout(161_000 + 179_999);
  assert.equal(s.leases('p').length, 1, 'still within 180 s of the last update');
  s.handleTimeout(161_000 + 180_000);
  assert.equal(s.leases('p').length, 0);
  assert.equal(s.counters.leasesExpired, 2);
  // bob's reply has no interval: after his Start the lease waits for the Stop however long.
  const b = login(s, 'bob@isp.example', 3, 400_000);
  send(s, accounting(1, 'bob@isp.example', 3, 'B1', b), 401_000, 'acct');
  s.handleTimeout(401_000 + 86_400_000);
  assert.equal(s.leases('p').length, 1);
});

test('Accounting-On from a NAS (it restarted) gives back every address it held', () => {
  const s = new RadiusServer(parseRadiusServerConfig(YAML));
  for (let i = 0; i < 3; i++) login(s, 'bob@isp.example', i);
  assert.equal(s.leases('p').length, 3);
  const on = encode(radiusPacket, { code: RadiusCode.ACCOUNTING_REQUEST, identifier: 77, authenticator: new Uint8Array(16), attributes: [
    intAttr(A.ACCT_STATUS_TYPE, 7), textAttr(A.ACCT_SESSION_ID, 'on'), intAttr(A.NAS_IP_ADDRESS, ipv4FromString('127.0.0.1')),
  ] });
  signPacket(on, SECRET);
  assert.equal(send(s, on, 10, 'acct').code, RadiusCode.ACCOUNTING_RESPONSE);
  assert.equal(s.leases('p').length, 0);
  assert.equal(s.counters.leasesReleasedByNas, 3);
});

test('the topology\'s ISP RADIUS: gateway, DNS, fixed addresses and the other ISP\'s pool out of the pool; sessionTimeout and interimInterval in the Access-Accept', () => {
  const base = loadTopology('topologies/default.yaml');
  const t = topologySchema.parse({
    ...base,
    isps: base.isps.map((x, i) => (i === 0 ? { ...x, users: [...x.users.map((u) => (u.name.startsWith('bob') ? { ...u, sessionTimeout: 600, interimInterval: 300, idleTimeout: 120 } : u))] } : x)),
  });
  const cfg = ispRadiusConfig(t, 0);
  const s = new RadiusServer({ ...cfg, clients: [{ address: '127.0.0.1', secret: SECRET, requireMessageAuthenticator: true }] });
  const p = send(s, access('bob@isp-a.example', 1, 'hunter2'), 0);
  assert.equal(p.code, RadiusCode.ACCESS_ACCEPT);
  assert.equal(getInt(p, A.SESSION_TIMEOUT), 600, 'Session-Timeout (27)');
  assert.equal(getInt(p, A.ACCT_INTERIM_INTERVAL), 300, 'Acct-Interim-Interval (85)');
  assert.equal(getInt(p, A.IDLE_TIMEOUT), 120, 'Idle-Timeout (28)');
  // Every address of 198.51.100.0/24 bob's sessions can get: never .1 (gateway), .10 (alice), .53/.54 (DNS).
  const seen = new Set([ipv4ToString(getInt(p, A.FRAMED_IP_ADDRESS)!)]);
  for (let port = 2; ; port++) {
    const r = send(s, access('bob@isp-a.example', port, 'hunter2'), 0);
    if (r.code !== RadiusCode.ACCESS_ACCEPT) break;
    seen.add(ipv4ToString(getInt(r, A.FRAMED_IP_ADDRESS)!));
  }
  assert.equal(seen.size, 254 - 4, 'the /24 minus network, broadcast, gateway, alice and two DNS');
  for (const a of ['198.51.100.0', '198.51.100.1', '198.51.100.10', '198.51.100.53', '198.51.100.54', '198.51.100.255']) assert.ok(!seen.has(a), a);
  assert.ok(cfg.pools['isp-a'] && typeof cfg.pools['isp-a'] !== 'string' && cfg.pools['isp-a'].exclude.includes('100.64.0.0/24'), 'isp-b\'s pool excluded');
});
