/** The embedded RADIUS server core, sans-IO: configuration, decisions, duplicates, bad input. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RadiusServer, type RadiusServerEvent } from '../../src/roles/radius-server.js';
import { parseRadiusServerConfig, RadiusConfigError } from '../../src/config/radius-file.js';
import { bytesText, ipv4FromString, ipv4ToString, setU16, textBytes } from '../../src/wire/bytes.js';
import { A, RadiusCode, getAttr, getInt, intAttr, octetsAttr, radiusPacket, textAttr, type RadiusAttribute } from '../../src/wire/radius.js';
import {
  checkMessageAuthenticator, chapPasswordValue, hideUserPassword, messageAuthenticatorAttr, signPacket, verifyResponseAuthenticator,
} from '../../src/wire/radius-crypto.js';
import { readAccessReply } from '../../src/proto/radius-attributes.js';
import { encode } from '../../src/wire/result.js';

const SECRET = 'testing123';
const YAML = `
clients:
  - address: 127.0.0.1
    secret: ${SECRET}
  - address: 10.1.0.0/16
    secret: other-secret
    requireMessageAuthenticator: false
users:
  - name: alice@isp-a.example
    password: secret
    framedIp: 198.51.100.10
    replyMessage: welcome alice
realms:
  - domain: isp-a.example
    password: tunnel
    tunnels:
      - serverEndpoint: 192.0.2.2
        password: l2tpsecret
        assignmentId: isp-a
`;

function access(attrs: (ra: Uint8Array) => RadiusAttribute[], opts: { secret?: string; ma?: boolean; id?: number; ra?: Uint8Array } = {}): Uint8Array {
  const ra = opts.ra ?? Uint8Array.from({ length: 16 }, (_, i) => (i * 7 + (opts.id ?? 1)) & 0xff);
  const b = encode(radiusPacket, { code: 1, identifier: opts.id ?? 1, authenticator: ra, attributes: [...(opts.ma === false ? [] : [messageAuthenticatorAttr()]), ...attrs(ra)] });
  signPacket(b, opts.secret ?? SECRET);
  return b;
}

const papFor = (user: string, pw: string, secret = SECRET) => (ra: Uint8Array) => [textAttr(A.USER_NAME, user), octetsAttr(A.USER_PASSWORD, hideUserPassword(textBytes(pw), secret, ra))];

function ask(s: RadiusServer, bytes: Uint8Array, from = '127.0.0.1', service: 'auth' | 'acct' = 'auth', now = 0) {
  s.handle({ service, address: from, port: 5555, bytes }, now);
  const out = s.pollTransmit();
  const events: RadiusServerEvent[] = [];
  for (let e = s.pollEvent(); e; e = s.pollEvent()) events.push(e);
  return { out, events };
}

test('configuration: every problem named by its path; secrets never echoed', () => {
  const bad = `
clients:
  - address: 300.1.1.1
    secret: topsecret-value
  - address: 10.0.0.0/33
users:
  - name: a
    password: x
    framedIp: 1.2.3.4
    pool: nope
  - name: a
    password: y
pools:
  p1: 10.0.0.9-10.0.0.1
realms:
  - domain: isp.example
    tunnels: [{ serverEndpoint: 192.0.2.1, preference: -1 }]
  - domain: "bad domain"
unknownKey: 1
`;
  let err: RadiusConfigError | undefined;
  try {
    parseRadiusServerConfig(bad, 'x.yaml');
  } catch (e) {
    err = e as RadiusConfigError;
  }
  assert.ok(err instanceof RadiusConfigError);
  const msg = err.problems.join('\n');
  for (const p of ['clients[0].address', 'clients[1].address', 'clients[1].secret: required, missing', 'realms[0].tunnels[0].preference', 'realms[1].domain', 'unknownKey']) assert.match(msg, new RegExp(p.replace(/[[\].]/g, '\\$&')), p);
  assert.doesNotMatch(err.message, /topsecret-value/);
  // Cross-field problems come once the schema passes.
  try {
    parseRadiusServerConfig(`
clients: [{ address: 127.0.0.1, secret: s }]
users:
  - { name: a, password: x, framedIp: 1.2.3.4, pool: nope }
  - { name: a, password: y }
pools: { p1: 10.0.0.9-10.0.0.1 }
`);
    assert.fail('accepted');
  } catch (e) {
    assert.deepEqual((e as RadiusConfigError).problems, [
      'users[0]: framedIp and pool are exclusive',
      'users[0].pool: no pool "nope" (pools: p1)',
      'users[1].name: "a" is already users[0]',
      'pools.p1: the range "10.0.0.9-10.0.0.1" is empty',
    ]);
  }
});

test('PAP and CHAP decisions; answers signed, Message-Authenticator first; a realm answers its tunnels', () => {
  const s = new RadiusServer(parseRadiusServerConfig(YAML));
  const ok = access(papFor('alice@isp-a.example', 'secret'));
  const r = ask(s, ok).out!;
  assert.equal(r.bytes[0], RadiusCode.ACCESS_ACCEPT);
  assert.ok(verifyResponseAuthenticator(r.bytes, SECRET, ok.subarray(4, 20)));
  assert.equal(checkMessageAuthenticator(r.bytes, SECRET, ok.subarray(4, 20)), 'valid');
  assert.equal(r.packet!.attributes[0]!.type, A.MESSAGE_AUTHENTICATOR);
  assert.equal(ipv4ToString(getInt(r.packet!, A.FRAMED_IP_ADDRESS)!), '198.51.100.10');
  assert.equal(bytesText(getAttr(r.packet!, A.REPLY_MESSAGE)!.data), 'welcome alice');
  assert.equal(ask(s, access(papFor('alice@isp-a.example', 'secreT'), { id: 2 })).out!.bytes[0], RadiusCode.ACCESS_REJECT);
  const ch = Uint8Array.from({ length: 16 }, (_, i) => 200 - i);
  assert.equal(ask(s, access(() => [textAttr(A.USER_NAME, 'alice@isp-a.example'), octetsAttr(A.CHAP_PASSWORD, chapPasswordValue(5, 'secret', ch))], { id: 3, ra: ch })).out!.bytes[0], RadiusCode.ACCESS_ACCEPT);
  const ch2 = textBytes('a-longer-challenge-of-24b');
  assert.equal(ask(s, access(() => [textAttr(A.USER_NAME, 'alice@isp-a.example'), octetsAttr(A.CHAP_PASSWORD, chapPasswordValue(5, 'secret', ch2)), octetsAttr(A.CHAP_CHALLENGE, ch2)], { id: 4 })).out!.bytes[0], RadiusCode.ACCESS_ACCEPT);
  assert.equal(ask(s, access(() => [textAttr(A.USER_NAME, 'alice@isp-a.example'), octetsAttr(A.CHAP_PASSWORD, chapPasswordValue(5, 'wrong', ch))], { id: 5, ra: ch })).out!.bytes[0], RadiusCode.ACCESS_REJECT);
  // The carrier query: domain as user name with the realm password → tunnel attributes.
  const q = access(papFor('isp-a.example', 'tunnel'), { id: 6 });
  const t = ask(s, q).out!;
  assert.equal(t.bytes[0], RadiusCode.ACCESS_ACCEPT);
  const reply = readAccessReply(t.packet!, SECRET, q.subarray(4, 20));
  assert.deepEqual(reply.tunnels.map((x) => [x.tag, x.type, x.mediumType, x.serverEndpoint, bytesText(x.password!), x.assignmentId]), [[1, 3, 1, '192.0.2.2', 'l2tpsecret', 'isp-a']]);
  assert.equal(ask(s, access(papFor('isp-a.example', 'nope'), { id: 7 })).out!.bytes[0], RadiusCode.ACCESS_REJECT);
  assert.equal(ask(s, access(papFor('zed@nowhere.example', 'x'), { id: 8 })).out!.bytes[0], RadiusCode.ACCESS_REJECT);
  assert.deepEqual([s.counters.accessAccepts, s.counters.accessRejects], [4, 4]);
});

test('bad input to the server: wrong secret, no or bad Message-Authenticator, unknown client, lying lengths — silently discarded and counted', () => {
  const s = new RadiusServer(parseRadiusServerConfig(YAML));
  const none = (what: string, b: Uint8Array, from = '127.0.0.1', service: 'auth' | 'acct' = 'auth') => {
    const { out, events } = ask(s, b, from, service);
    assert.equal(out, undefined, `${what}: no answer`);
    assert.equal(events.length, 0, `${what}: no decision`);
  };
  none('wrong secret', access(papFor('alice@isp-a.example', 'secret', 'guess'), { secret: 'guess' }));
  none('no Message-Authenticator', access(papFor('alice@isp-a.example', 'secret'), { ma: false, id: 2 }));
  const flipped = access(papFor('alice@isp-a.example', 'secret'), { id: 3 });
  flipped[25]! ^= 1;
  none('one flipped octet', flipped);
  none('unknown client', access(papFor('alice@isp-a.example', 'secret'), { id: 4 }), '192.0.2.99');
  const lying = access((ra) => [...papFor('alice@isp-a.example', 'secret')(ra), textAttr(A.REPLY_MESSAGE, 'xy')], { id: 5 });
  lying[lying.length - 3] = 60; // Reply-Message claims 60 octets...
  signPacket(lying, SECRET); // ...and the Message-Authenticator vouches for those bytes
  none('an attribute Length past the end', lying);
  const longer = access(papFor('alice@isp-a.example', 'secret'), { id: 6 });
  setU16(longer, 2, longer.length + 1);
  none('packet Length past the datagram', longer);
  none('19 octets', access(papFor('alice@isp-a.example', 'secret'), { id: 7 }).subarray(0, 19));
  none('Access-Request on the accounting port', access(papFor('alice@isp-a.example', 'secret'), { id: 8 }), '127.0.0.1', 'acct');
  none('no password at all', access(() => [textAttr(A.USER_NAME, 'alice@isp-a.example')], { id: 9 }));
  const acct = encode(radiusPacket, { code: 4, identifier: 10, authenticator: new Uint8Array(16), attributes: [intAttr(A.ACCT_STATUS_TYPE, 1), textAttr(A.ACCT_SESSION_ID, 'x')] });
  signPacket(acct, 'guess');
  none('Accounting-Request with a wrong secret', acct, '127.0.0.1', 'acct');
  assert.deepEqual(s.counters.dropped, {
    'unknown-client': 1, short: 1, malformed: 2, 'wrong-service': 1, 'bad-authenticator': 1, 'bad-message-authenticator': 2,
    'missing-message-authenticator': 1, 'no-credentials': 1, 'response-too-large': 0,
  });
  // A client configured without the Message-Authenticator requirement (old NAS) is still served.
  const old = access(papFor('alice@isp-a.example', 'secret', 'other-secret'), { ma: false, secret: 'other-secret', id: 11 });
  assert.equal(ask(s, old, '10.1.2.3').out!.bytes[0], RadiusCode.ACCESS_ACCEPT);
});

test('unknown attributes in a request are kept out of the way: the request is still decided', () => {
  const s = new RadiusServer(parseRadiusServerConfig(YAML));
  const b = access((ra) => [...papFor('alice@isp-a.example', 'secret')(ra), { type: 240, data: Uint8Array.of(1, 2) }, { type: 26, vendorId: 9, vsas: [{ vendorType: 1, data: textBytes('x=y') }] }, { type: 26, data: Uint8Array.of(0, 0, 0, 1, 0xff) }]);
  assert.equal(ask(s, b).out!.bytes[0], RadiusCode.ACCESS_ACCEPT);
});

test('a retransmission (same source, port, id, authenticator) gets the cached answer, not a second decision; a new authenticator is a new request', () => {
  const s = new RadiusServer(parseRadiusServerConfig(YAML));
  const b = access(papFor('alice@isp-a.example', 'secret'));
  const first = ask(s, b, '127.0.0.1', 'auth', 0);
  const again = ask(s, b, '127.0.0.1', 'auth', 1000);
  assert.deepEqual(Buffer.from(again.out!.bytes), Buffer.from(first.out!.bytes));
  assert.equal(again.events.length, 0);
  assert.equal(s.counters.duplicates, 1);
  assert.equal(s.counters.accessRequests, 1);
  // After the window (5 s), or with a new authenticator, it is decided afresh.
  ask(s, b, '127.0.0.1', 'auth', 6000);
  ask(s, access(papFor('alice@isp-a.example', 'secret'), { ra: new Uint8Array(16).fill(9) }), '127.0.0.1', 'auth', 6001);
  assert.equal(s.counters.accessRequests, 3);
});

test('accounting: every attribute of the line by its dictionary name and type: enumerated names, addresses, text, octets as hex, repeats as a list, tags, vendors', () => {
  const s = new RadiusServer(parseRadiusServerConfig(YAML));
  const b = encode(radiusPacket, { code: 4, identifier: 1, authenticator: new Uint8Array(16), attributes: [
    intAttr(A.ACCT_STATUS_TYPE, 1), textAttr(A.ACCT_SESSION_ID, 's1'), intAttr(A.NAS_PORT_TYPE, 5), intAttr(A.NAS_PORT, 77), intAttr(A.ACCT_STATUS_TYPE, 1),
    intAttr(A.FRAMED_IP_ADDRESS, ipv4FromString('198.51.100.10')), octetsAttr(A.CLASS, Uint8Array.of(1, 2)), octetsAttr(A.CLASS, Uint8Array.of(0xfe)),
    octetsAttr(64, Uint8Array.of(1, 0, 0, 3)), // Tunnel-Type, tag 1, L2TP
    { type: A.VENDOR_SPECIFIC, data: Uint8Array.of(0, 0, 1, 0x37, 28, 6, 192, 0, 2, 53) }, // Microsoft MS-Primary-DNS-Server
  ] });
  signPacket(b, SECRET);
  const a = ask(s, b, '127.0.0.1', 'acct', 0);
  assert.equal(a.events.length, 1, JSON.stringify(s.counters));
  const line = (a.events[0] as Extract<RadiusServerEvent, { type: 'accounting' }>).line;
  assert.deepEqual(line.attributes, {
    'Acct-Status-Type': ['Start', 'Start'],
    'Acct-Session-Id': 's1',
    'NAS-Port-Type': 'Virtual',
    'NAS-Port': 77,
    'Framed-IP-Address': '198.51.100.10',
    Class: ['0102', 'fe'],
    'Tunnel-Type': 'L2TP',
    'MS-Primary-DNS-Server': '192.0.2.53',
  });
});

test('accounting: JSON line per record with well-known fields and every attribute; the same record with a new Acct-Delay-Time logged once', () => {
  const s = new RadiusServer(parseRadiusServerConfig(YAML));
  const rec = (delay: number, id: number) => {
    const b = encode(radiusPacket, { code: 4, identifier: id, authenticator: new Uint8Array(16), attributes: [
      textAttr(A.USER_NAME, 'alice@isp-a.example'), intAttr(A.ACCT_STATUS_TYPE, 2), textAttr(A.ACCT_SESSION_ID, '0001'), intAttr(A.ACCT_SESSION_TIME, 60),
      intAttr(A.ACCT_INPUT_OCTETS, 5), intAttr(A.ACCT_INPUT_GIGAWORDS, 3), intAttr(A.ACCT_OUTPUT_OCTETS, 7), intAttr(A.ACCT_TERMINATE_CAUSE, 4),
      intAttr(A.FRAMED_IP_ADDRESS, ipv4FromString('198.51.100.10')), intAttr(A.ACCT_DELAY_TIME, delay), { type: 250, data: Uint8Array.of(0xab) },
    ] });
    signPacket(b, SECRET);
    return b;
  };
  const a = ask(s, rec(0, 1), '127.0.0.1', 'acct', 0);
  assert.equal(a.out!.bytes[0], RadiusCode.ACCOUNTING_RESPONSE);
  assert.equal(a.events.length, 1);
  const line = (a.events[0] as Extract<RadiusServerEvent, { type: 'accounting' }>).line;
  assert.deepEqual({ ...line, attributes: undefined }, {
    at: 0, client: '127.0.0.1', statusType: 'Stop', sessionId: '0001', userName: 'alice@isp-a.example', sessionTime: 60, inputOctets: 3 * 2 ** 32 + 5,
    outputOctets: 7, terminateCause: 'Idle-Timeout', framedIpAddress: '198.51.100.10', delayTime: 0, attributes: undefined,
  });
  assert.equal(line.attributes['Attr-250'], 'ab', 'unknown attributes logged as hex');
  // The line is made once, when first read, and travels with the event as a plain field does.
  const ev = a.events[0] as Extract<RadiusServerEvent, { type: 'accounting' }>;
  assert.equal(ev.line, line, 'made once');
  assert.deepEqual(JSON.parse(JSON.stringify(ev)), { type: 'accounting', line: JSON.parse(JSON.stringify(line)) });
  assert.equal({ ...ev }.line, line);
  const b = ask(s, rec(30, 2), '127.0.0.1', 'acct', 30_000);
  assert.equal(b.out!.bytes[0], RadiusCode.ACCOUNTING_RESPONSE, 'answered');
  assert.equal(b.events.length, 0, 'not logged twice');
  assert.equal(s.counters.accountingDuplicates, 1);
  // The fingerprint leaves with its window (600 s from the first copy), though no request comes meanwhile.
  assert.equal(s.accountingDedupEntries, 1);
  assert.ok(s.nextTimeout()! <= 600_000);
  s.handleTimeout(599_999);
  assert.equal(s.accountingDedupEntries, 1);
  s.handleTimeout(600_000);
  assert.equal(s.accountingDedupEntries, 0);
  assert.equal(s.nextTimeout(), undefined);
  // After the window the same record is a new one (logged), and held again.
  const c = ask(s, rec(0, 3), '127.0.0.1', 'acct', 700_000);
  assert.equal(c.events.length, 1);
  assert.equal(s.accountingDedupEntries, 1);
});

test('Status-Server (RFC 5997) with a Message-Authenticator is answered on both ports', () => {
  const s = new RadiusServer(parseRadiusServerConfig(YAML));
  for (const service of ['auth', 'acct'] as const) {
    const b = encode(radiusPacket, { code: RadiusCode.STATUS_SERVER, identifier: 9, authenticator: new Uint8Array(16).fill(4), attributes: [messageAuthenticatorAttr()] });
    signPacket(b, SECRET);
    const r = ask(s, b, '127.0.0.1', service).out!;
    assert.equal(r.bytes[0], service === 'auth' ? RadiusCode.ACCESS_ACCEPT : RadiusCode.ACCOUNTING_RESPONSE);
    assert.ok(verifyResponseAuthenticator(r.bytes, SECRET, b.subarray(4, 20)));
  }
  const noMa = encode(radiusPacket, { code: RadiusCode.STATUS_SERVER, identifier: 10, authenticator: new Uint8Array(16).fill(5), attributes: [] });
  assert.equal(ask(s, noMa).out, undefined);
});

test('an answer that cannot be encoded (texts over 253 octets in UTF-8, 31 long tunnels over 4096) is a configuration error at start, not a throw on a request', () => {
  const tunnel = (i: number, text: string) => `      - { serverEndpoint: "${text}", assignmentId: "${text}", clientAuthId: "${text}", serverAuthId: "${text}", preference: ${i} }`;
  const cfg = (tunnels: string[]) => `clients:\n  - { address: 127.0.0.1, secret: s }\nrealms:\n  - domain: big.example\n    tunnels:\n${tunnels.join('\n')}\n`;
  // 150 three-octet characters are 450 octets: within the schema's 200 characters, over an attribute's 253.
  assert.throws(() => new RadiusServer(parseRadiusServerConfig(cfg([tunnel(1, 'あ'.repeat(150))]))), /big\.example.*radius\.attr-too-long/);
  assert.throws(() => new RadiusServer(parseRadiusServerConfig(cfg(Array.from({ length: 31 }, (_, i) => tunnel(i, 'x'.repeat(190)))))), /radius\.packet-too-long/);
  assert.doesNotThrow(() => new RadiusServer(parseRadiusServerConfig(cfg([tunnel(1, '192.0.2.1')]))));
});

test('users of one domain: plain ones share one answer yet each is checked against its own password; a user with fields of its own keeps its own answer, wherever it is listed', () => {
  const s = new RadiusServer(parseRadiusServerConfig(`
clients:
  - address: 127.0.0.1
    secret: ${SECRET}
pools:
  p: { range: 100.64.0.0/28 }
users:
  - { name: u1@isp-z.example, password: pw-one, pool: p, dns: [192.0.2.53] }
  - { name: fixed@isp-z.example, password: pw-fixed, framedIp: 198.51.100.7, replyMessage: fixed one }
  - { name: u2@isp-z.example, password: pw-two, pool: p, dns: [192.0.2.53] }
  - { name: U3@ISP-Z.example, password: pw-three, pool: p, dns: [192.0.2.53] }
`));
  let id = 0;
  const answer = (user: string, pw: string) => ask(s, access(papFor(user, pw), { id: ++id })).out!;
  for (const [user, pw] of [['u1@isp-z.example', 'pw-one'], ['u2@isp-z.example', 'pw-two'], ['U3@ISP-Z.example', 'pw-three']] as const) {
    const ok = answer(user, pw);
    assert.equal(ok.bytes[0], RadiusCode.ACCESS_ACCEPT, user);
    const a = ipv4ToString(getInt(ok.packet!, A.FRAMED_IP_ADDRESS)!);
    assert.ok(a.startsWith('100.64.0.'), `${user} gets a pool address, not ${a}`);
    assert.equal(getAttr(ok.packet!, A.REPLY_MESSAGE), undefined, `${user} has no reply message`);
    assert.equal(answer(user, 'pw-one' === pw ? 'pw-two' : 'pw-one').bytes[0], RadiusCode.ACCESS_REJECT, `${user} with another user's password`);
  }
  const fixed = answer('fixed@isp-z.example', 'pw-fixed');
  assert.equal(fixed.bytes[0], RadiusCode.ACCESS_ACCEPT);
  assert.equal(ipv4ToString(getInt(fixed.packet!, A.FRAMED_IP_ADDRESS)!), '198.51.100.7');
  assert.equal(bytesText(getAttr(fixed.packet!, A.REPLY_MESSAGE)!.data), 'fixed one');
  assert.equal(answer('fixed@isp-z.example', 'pw-one').bytes[0], RadiusCode.ACCESS_REJECT);
  assert.equal(answer('nobody@isp-z.example', 'pw-one').bytes[0], RadiusCode.ACCESS_REJECT, 'an unlisted user of the domain (no realm)');
});
