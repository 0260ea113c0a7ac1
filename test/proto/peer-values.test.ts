/**
 * The checks that stand between a peer's values and the calls that would throw on them:
 * addresses from text, RFC 2868 tunnels of a RADIUS reply, RADIUS request values that an
 * attribute cannot hold, and accounting records built from peer values. Expected values are
 * written from the RFCs, not taken from the code.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseIpv4, ipv4FromString, textBytes, bytesText } from '../../src/wire/bytes.js';
import { readTunnels, l2tpCandidates, isUnicastIpv4 } from '../../src/proto/radius-attributes.js';
import { RadiusClient, accessRequestProblem, type AccessRequestInput } from '../../src/proto/radius-client.js';
import { radiusPacket, type RadiusAttribute, type RadiusPacket } from '../../src/wire/radius.js';
import { tunnelPasswordAttr } from '../../src/wire/radius-crypto.js';

test('parseIpv4: dotted-decimal only (RFC 2868 §3.3); undefined, never a throw, for anything else', () => {
  assert.equal(parseIpv4('192.0.2.1'), 0xc0000201);
  assert.equal(parseIpv4('0.0.0.0'), 0);
  assert.equal(parseIpv4('255.255.255.255'), 0xffffffff);
  for (const bad of ['300.1.1.1', '1.1.1.256', '', 'lns.isp-a.example', '1.2.3', '1.2.3.4.5', '01.2.3.4', '1.2.3.4 ', ' 1.2.3.4', '1.2.3.4\0', '1..2.3', '-1.2.3.4', '1.2.3.0x4', '1234.1.1.1', '１.2.3.4']) {
    assert.equal(parseIpv4(bad), undefined, JSON.stringify(bad));
  }
  // Configuration keeps the throwing form: a typo there must stop the start.
  assert.throws(() => ipv4FromString('300.1.1.1'));
  assert.equal(isUnicastIpv4(0x0a000001), true);
  for (const a of [0, 0x7f000001, 0xe0000001, 0xf0000001, 0xffffffff]) assert.equal(isUnicastIpv4(a), false, a.toString(16));
});

const SECRET = 'carrier';
const AUTH = new Uint8Array(16).fill(0x42);
const tInt = (type: number, tag: number, v: number): RadiusAttribute => ({ type, data: Uint8Array.of(tag, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff) });
const tStr = (type: number, tag: number, s: string): RadiusAttribute => ({ type, data: Uint8Array.of(tag, ...textBytes(s)) });
const reply = (attributes: RadiusAttribute[]): RadiusPacket => ({ code: 2, identifier: 1, authenticator: new Uint8Array(16), attributes });
// RFC 2868: 64 Tunnel-Type (3 = L2TP), 65 Tunnel-Medium-Type (1 = IPv4), 67 Tunnel-Server-Endpoint, 69 Tunnel-Password, 83 Tunnel-Preference.
const l2tp = (tag: number, endpoint: string, pref?: number): RadiusAttribute[] => [tInt(64, tag, 3), tInt(65, tag, 1), tStr(67, tag, endpoint), ...(pref === undefined ? [] : [tInt(83, tag, pref)])];

test('RADIUS tunnels: every bad one is refused by its reason, the good ones come best preference first, at most `max`', () => {
  const pw = tunnelPasswordAttr(4, textBytes('s3'), SECRET, AUTH, 0x8001);
  const corruptPw: RadiusAttribute = { type: 69, data: Uint8Array.of(5, 0x80, 1, ...new Uint8Array(15)) }; // 15 octets after the salt: not a multiple of 16
  const { tunnels } = readTunnels(
    reply([
      ...l2tp(1, '300.1.1.1'),
      ...l2tp(2, 'lns.example'),
      ...l2tp(3, '127.0.0.1'),
      ...l2tp(4, '192.0.2.4', 20), pw,
      ...l2tp(5, '192.0.2.5'), corruptPw,
      ...l2tp(6, '192.0.2.6', 10), tInt(83, 6, 11), // two preferences under one tag
      tInt(64, 7, 1), tInt(65, 7, 1), tStr(67, 7, '192.0.2.7'), // PPTP
      tInt(64, 8, 3), tInt(65, 8, 2), tStr(67, 8, '192.0.2.8'), // IPv6 medium
      tInt(64, 9, 3), tInt(65, 9, 1), tStr(67, 9, ''), // empty endpoint
      tInt(83, 10, 1), // a preference alone: no Tunnel-Type
      tInt(64, 0x41, 3), tInt(65, 0x41, 1), // tag 0x41 on integers: invalid (RFC 2868 §3.1)
      ...l2tp(11, '192.0.2.11', 5),
    ]),
    SECRET,
    AUTH,
  );
  const r = l2tpCandidates(tunnels, 8);
  assert.deepEqual(r.candidates.map((c) => [c.tag, c.address, c.secret && bytesText(c.secret)]), [[11, 0xc000020b, undefined], [4, 0xc0000204, 's3']]);
  assert.deepEqual(r.refused, {
    'endpoint-not-ipv4': 2, 'endpoint-not-unicast': 1, 'undecryptable-password': 1, 'duplicate-attribute': 1,
    'not-l2tp': 1, 'medium-not-ipv4': 1, 'no-endpoint': 1, 'no-tunnel-type': 1, 'bad-tag': 1,
  });
  assert.equal(r.overCap, 0);
  // The cap: 31 good tunnels, 8 taken (the best by preference), 23 counted.
  const many = readTunnels(reply(Array.from({ length: 31 }, (_, i) => l2tp(i + 1, `192.0.2.${i + 1}`, 100 - i)).flat()), SECRET, AUTH).tunnels;
  const m = l2tpCandidates(many, 8);
  assert.deepEqual(m.candidates.map((c) => c.tag), [31, 30, 29, 28, 27, 26, 25, 24]);
  assert.equal(m.overCap, 23);
});

test('RADIUS tunnels: any packet a peer can send (random tags, types, values) reads without a throw', () => {
  let seed = 7;
  const rnd = (k: number) => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % k);
  for (let i = 0; i < 2000; i++) {
    const attrs: RadiusAttribute[] = Array.from({ length: rnd(60) }, () => ({ type: [64, 65, 66, 67, 69, 81, 82, 83, 90, 91][rnd(10)]!, data: Uint8Array.from({ length: rnd(40) }, () => rnd(256)) }));
    const r = l2tpCandidates(readTunnels(reply(attrs), SECRET, AUTH).tunnels, 8);
    assert.ok(r.candidates.length <= 8);
  }
});

const base: AccessRequestInput = { userName: 'alice@isp-a.example', auth: { type: 'chap', id: 1, challenge: new Uint8Array(16), response: new Uint8Array(16) } };

test('accessRequestProblem: values over an attribute (253 octets; a password over 128, RFC 2865 §5.2) are named; accessRequest throws only on such misuse', () => {
  assert.equal(accessRequestProblem(base), undefined);
  assert.equal(accessRequestProblem({ ...base, userName: 'n'.repeat(253) }), undefined);
  assert.equal(accessRequestProblem({ ...base, userName: 'n'.repeat(254) }), 'user-name-too-long');
  assert.equal(accessRequestProblem({ ...base, userName: 'é'.repeat(127) }), 'user-name-too-long', '254 octets of UTF-8');
  assert.equal(accessRequestProblem({ ...base, auth: { type: 'pap', password: 'p'.repeat(128) } }), undefined);
  assert.equal(accessRequestProblem({ ...base, auth: { type: 'pap', password: 'p'.repeat(129) } }), 'password-too-long');
  assert.equal(accessRequestProblem({ ...base, auth: { type: 'chap', id: 1, challenge: new Uint8Array(254), response: new Uint8Array(16) } }), 'chap-challenge-too-long');
  assert.equal(accessRequestProblem({ ...base, callingStationId: 'c'.repeat(254) }), 'station-id-too-long');
  assert.equal(accessRequestProblem({ ...base, nasPortId: 'p'.repeat(254) }), 'nas-port-id-too-long');
  assert.equal(accessRequestProblem({ ...base, state: new Uint8Array(254) }), 'state-too-long');
  const c = new RadiusClient({ servers: [{ address: '10.0.0.1', secret: 's' }], nasIpAddress: 0x0a000002 });
  assert.throws(() => c.accessRequest({ ...base, userName: 'n'.repeat(300) }, 0), RangeError);
  assert.ok(c.accessRequest({ ...base, userName: 'n'.repeat(253) }, 0) > 0);
  assert.ok(c.pollTransmit()!.bytes.length <= 4096);
});

test('accounting built from peer values always goes out: over-long text cut to 253, Class attributes that do not fit left out, counted', () => {
  const c = new RadiusClient({ servers: [{ address: '10.0.0.1', secret: 's' }], nasIpAddress: 0x0a000002 });
  // Twenty Class attributes of 253 octets (an ISP RADIUS may send them, RFC 2865 §5.25) are 5,100 octets: more than a packet.
  const klass = Array.from({ length: 20 }, (_, i) => new Uint8Array(253).fill(i));
  c.account({ statusType: 1, sessionId: 's1', userName: 'alice', callingStationId: 'c'.repeat(400), class: klass }, 0);
  const t = c.pollTransmit()!;
  assert.ok(t.bytes.length <= 4096, `${t.bytes.length} octets`);
  const p = radiusPacket.parse(t.bytes);
  assert.ok(p.ok);
  const classes = p.value.attributes.filter((a) => a.type === 25);
  assert.ok(classes.length >= 14 && classes.length < 20, `${classes.length} Class attributes fit`);
  assert.equal(c.counters.acctClassDropped, 20 - classes.length);
  const calling = p.value.attributes.find((a) => a.type === 31);
  assert.ok(calling && 'data' in calling && calling.data.length === 253);
  assert.equal(c.counters.acctValuesTruncated, 1);
});
