import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import {
  A, ATTRIBUTES, RadiusCode, radiusPacket, decodeAttributes, getAttr, splitTag, taggedIntAttr, taggedTextAttr, textAttr,
  intAttr, ipv4Attr, octetsAttr, vendorAttr, fixedValueLength, getVendorAttrs, F,
  type RadiusAttribute, type RadiusPacket,
} from '../../src/wire/radius.js';
import {
  checkChapPassword, checkMessageAuthenticator, decryptTunnelPassword, encryptTunnelPassword, hideUserPassword,
  revealUserPassword, signPacket, verifyRequestAuthenticator, verifyResponseAuthenticator, chapPasswordValue,
  messageAuthenticatorAttr, tunnelPasswordAttr, isRequestCode,
} from '../../src/wire/radius-crypto.js';
import { encode } from '../../src/wire/result.js';
import { bytesText, fromHex, ipv4FromString, setU16, setU32, textBytes } from '../../src/wire/bytes.js';
import { internetChecksum, pseudoHeaderSum, onesSum, fold } from '../../src/wire/checksum.js';
import { PcapngWriter, LinkType } from '../../src/wire/pcap.js';
import { loadCapture } from '../helpers/captures.js';
import { checkReemit, checkRoundTrip, propertyRoundTrip, fuzzDecoder } from '../helpers/codec.js';
import { tsharkProblems } from '../helpers/tshark.js';

const SECRET = 'testing123';

/** RADIUS payloads of the FreeRADIUS capture: Ethernet (14) + IPv4 (IHL) + UDP (8) skipped by offset. */
function capturePackets(): { bytes: Uint8Array; srcPort: number; dstPort: number }[] {
  return loadCapture('freeradius-chap-pap-tunnel-acct.pcap').packets.map((p) => {
    const ip = 14;
    const udp = ip + (p.data[ip]! & 0x0f) * 4;
    return { bytes: p.data.subarray(udp + 8), srcPort: (p.data[udp]! << 8) | p.data[udp + 1]!, dstPort: (p.data[udp + 2]! << 8) | p.data[udp + 3]! };
  });
}

function parsed(b: Uint8Array): RadiusPacket {
  const r = radiusPacket.parse(b);
  if (!r.ok) assert.fail(JSON.stringify(r.error));
  return r.value;
}

// ---- property round trips -----------------------------------------------------------

const unknownTypes = Array.from({ length: 256 }, (_, i) => i).filter((t) => !ATTRIBUTES.has(t));
const knownTypes = [...ATTRIBUTES.keys()].filter((t) => t !== 26);

const arbRawAttr: fc.Arbitrary<RadiusAttribute> = fc.oneof(
  fc.constantFrom(...knownTypes).chain((type) => {
    const fixed = fixedValueLength(ATTRIBUTES.get(type)!);
    return fc.uint8Array(fixed === undefined ? { maxLength: 80 } : { minLength: fixed, maxLength: fixed }).map((data) => ({ type, data }));
  }),
  fc.record({ type: fc.constantFrom(...unknownTypes), data: fc.uint8Array({ maxLength: 80 }) }),
  // A Vendor-Specific too short to hold a sub-attribute stays raw.
  fc.record({ type: fc.constant(26), data: fc.uint8Array({ maxLength: 5 }) }),
  fc.record({
    type: fc.constant(26 as const),
    vendorId: fc.nat({ max: 0xffffffff }),
    vsas: fc.array(fc.record({ vendorType: fc.nat({ max: 255 }), data: fc.uint8Array({ maxLength: 30 }) }), { minLength: 1, maxLength: 4 }),
  }),
);

const arbPacket: fc.Arbitrary<RadiusPacket> = fc.record({
  code: fc.nat({ max: 255 }),
  identifier: fc.nat({ max: 255 }),
  authenticator: fc.uint8Array({ minLength: 16, maxLength: 16 }),
  attributes: fc.array(arbRawAttr, { maxLength: 30 }),
});

test('property: parse(emit(x)) = x, lengths agree, emit at an offset into 0xa5', () => {
  propertyRoundTrip(radiusPacket, arbPacket, 800);
});

test('property: User-Password hiding and Tunnel-Password salt encryption invert', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 128 }).map((p) => p.map((x) => x || 1)), fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.string({ minLength: 1, maxLength: 40 }), (pw, ra, secret) => {
      const hidden = hideUserPassword(pw, secret, ra);
      assert.equal(hidden.length % 16, 0);
      const back = revealUserPassword(hidden, secret, ra);
      assert.ok(back.ok);
      assert.deepEqual(Buffer.from(back.value), Buffer.from(pw));
    }),
    { numRuns: 300 },
  );
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 240 }), fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.nat({ max: 0xffff }), (pw, ra, salt) => {
      const enc = encryptTunnelPassword(pw, SECRET, ra, salt);
      assert.ok(enc[0]! & 0x80, 'salt high bit set (RFC 2868 §3.5)');
      const back = decryptTunnelPassword(enc, SECRET, ra);
      assert.ok(back.ok);
      assert.deepEqual(Buffer.from(back.value), Buffer.from(pw));
    }),
    { numRuns: 300 },
  );
});

test('property: every code signs and verifies; one flipped octet breaks the check', () => {
  fc.assert(
    fc.property(fc.constantFrom(...Object.values(RadiusCode)), fc.array(arbRawAttr, { maxLength: 6 }), fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.nat(), (code, attrs, ra, flipAt) => {
      const p: RadiusPacket = { code, identifier: 7, authenticator: ra, attributes: [...attrs.filter((a) => a.type !== A.MESSAGE_AUTHENTICATOR), messageAuthenticatorAttr()] };
      const b = encode(radiusPacket, p);
      const isReq = isRequestCode(code);
      const reqAuth = fromHex('00112233445566778899aabbccddeeff');
      signPacket(b, SECRET, isReq ? undefined : reqAuth);
      assert.equal(checkMessageAuthenticator(b, SECRET, isReq ? undefined : reqAuth), 'valid');
      if (code === 4 || code === 40 || code === 43) assert.ok(verifyRequestAuthenticator(b, SECRET));
      if (!isReq) assert.ok(verifyResponseAuthenticator(b, SECRET, reqAuth));
      const bad = new Uint8Array(b);
      bad[flipAt % bad.length]! ^= 0x01;
      const stillValid = checkMessageAuthenticator(bad, SECRET, isReq ? undefined : reqAuth) === 'valid'
        && (isReq ? !(code === 4 || code === 40 || code === 43) || verifyRequestAuthenticator(bad, SECRET) : verifyResponseAuthenticator(bad, SECRET, reqAuth));
      assert.equal(stillValid, false, 'a flipped octet is detected');
    }),
    { numRuns: 300 },
  );
});

// ---- the real FreeRADIUS capture ----------------------------------------------------

test('every RADIUS packet of the FreeRADIUS capture parses and re-emits byte for byte', () => {
  const pkts = capturePackets();
  assert.equal(pkts.length, 12);
  const codes = pkts.map((p, i) => checkReemit(radiusPacket, p.bytes, `frame ${i + 1}`).code);
  assert.deepEqual(codes, [1, 2, 1, 3, 1, 2, 1, 2, 4, 5, 4, 5]);
});

test('FreeRADIUS: Response Authenticators and Accounting Request Authenticators verify with testing123, not with another secret', () => {
  const pkts = capturePackets().map((p) => ({ ...p, v: parsed(p.bytes) }));
  let checked = 0;
  for (let i = 0; i < pkts.length; i += 2) {
    const req = pkts[i]!;
    const res = pkts[i + 1]!;
    assert.equal(req.v.identifier, res.v.identifier);
    assert.ok(verifyResponseAuthenticator(res.bytes, SECRET, req.v.authenticator), `frame ${i + 2}`);
    assert.equal(verifyResponseAuthenticator(res.bytes, 'testing124', req.v.authenticator), false);
    if (req.v.code === RadiusCode.ACCOUNTING_REQUEST) {
      assert.ok(verifyRequestAuthenticator(req.bytes, SECRET), `frame ${i + 1}`);
      assert.equal(verifyRequestAuthenticator(req.bytes, 'wrong'), false);
    } else {
      assert.equal(checkMessageAuthenticator(req.bytes, SECRET), 'valid', `frame ${i + 1} (radclient's Message-Authenticator)`);
      assert.equal(checkMessageAuthenticator(req.bytes, 'wrong'), 'invalid');
      // FreeRADIUS 3.2.1 answers without Message-Authenticator (see captures/README.md).
      assert.equal(checkMessageAuthenticator(res.bytes, SECRET, req.v.authenticator), 'absent');
    }
    checked++;
  }
  assert.equal(checked, 6);
});

test('FreeRADIUS: our signing reproduces its authenticators and radclient\'s Message-Authenticators byte for byte', () => {
  const pkts = capturePackets();
  for (let i = 0; i < pkts.length; i += 2) {
    const req = pkts[i]!.bytes;
    const res = pkts[i + 1]!.bytes;
    const reqAuth = req.subarray(4, 20);
    const r = new Uint8Array(res);
    r.fill(0, 4, 20);
    signPacket(r, SECRET, reqAuth);
    assert.deepEqual(Buffer.from(r), Buffer.from(res), `response frame ${i + 2}`);
    const q = new Uint8Array(req);
    const ma = (() => { const v = parsed(q); return getAttr(v, A.MESSAGE_AUTHENTICATOR); })();
    if (ma) ma.data.fill(0);
    else q.fill(0, 4, 20);
    signPacket(q, SECRET);
    assert.deepEqual(Buffer.from(q), Buffer.from(req), `request frame ${i + 1}`);
  }
});

test('FreeRADIUS: CHAP of alice@isp-a.example checks against "secret", PAP reveals it, Tunnel-Password decrypts to "l2tpsecret"', () => {
  const pkts = capturePackets().map((p) => parsed(p.bytes));
  const chapOk = pkts[0]!;
  assert.equal(bytesText(getAttr(chapOk, A.USER_NAME)!.data), 'alice@isp-a.example');
  assert.equal(getAttr(chapOk, A.CHAP_CHALLENGE), undefined, 'no CHAP-Challenge: the Request Authenticator is the challenge');
  assert.ok(checkChapPassword(getAttr(chapOk, A.CHAP_PASSWORD)!.data, 'secret', chapOk.authenticator));
  assert.equal(checkChapPassword(getAttr(chapOk, A.CHAP_PASSWORD)!.data, 'Secret', chapOk.authenticator), false);
  const chapBad = pkts[2]!;
  assert.equal(checkChapPassword(getAttr(chapBad, A.CHAP_PASSWORD)!.data, 'secret', chapBad.authenticator), false);
  const pap = pkts[4]!;
  const pw = revealUserPassword(getAttr(pap, A.USER_PASSWORD)!.data, SECRET, pap.authenticator);
  assert.ok(pw.ok && bytesText(pw.value) === 'secret');
  assert.deepEqual(Buffer.from(hideUserPassword(textBytes('secret'), SECRET, pap.authenticator)), Buffer.from(getAttr(pap, A.USER_PASSWORD)!.data));

  const tunnelReq = pkts[6]!;
  const accept = pkts[7]!;
  const d = decodeAttributes(accept);
  assert.ok(d.ok);
  assert.deepEqual(d.value.filter((x) => x.type !== A.TUNNEL_PASSWORD).map((x) => [x.name, x.tag, x.value, x.valueName]), [
    ['Tunnel-Type', 1, 3, 'L2TP'],
    ['Tunnel-Medium-Type', 1, 1, 'IPv4'],
    ['Tunnel-Server-Endpoint', 1, '192.0.2.2', undefined],
    ['Tunnel-Assignment-Id', 1, 'isp-a', undefined],
  ]);
  const tp = getAttr(accept, A.TUNNEL_PASSWORD)!;
  const { tag, value } = splitTag(tp.type, tp.data);
  assert.equal(tag, 1);
  const clear = decryptTunnelPassword(value, SECRET, tunnelReq.authenticator);
  assert.ok(clear.ok);
  assert.equal(bytesText(clear.value), 'l2tpsecret');
  // The same salt gives FreeRADIUS's exact bytes.
  const again = tunnelPasswordAttr(1, textBytes('l2tpsecret'), SECRET, tunnelReq.authenticator, (value[0]! << 8) | value[1]!);
  assert.deepEqual(Buffer.from(again.data), Buffer.from(tp.data));
  const wrongKey = decryptTunnelPassword(value, 'other', tunnelReq.authenticator);
  assert.ok(!wrongKey.ok || bytesText(wrongKey.value) !== 'l2tpsecret');
});

test('CHAP with a CHAP-Challenge attribute (RFC 2865 §5.40) and tagged-attribute builders', () => {
  const challenge = fromHex('0102030405060708090a0b0c0d0e0f1011');
  const v = chapPasswordValue(0x42, 'pw', challenge);
  assert.equal(v[0], 0x42);
  assert.ok(checkChapPassword(v, 'pw', challenge));
  assert.equal(checkChapPassword(v, 'pw', challenge.subarray(1)), false);
  assert.equal(checkChapPassword(v.subarray(0, 16), 'pw', challenge), false);
  // Tagged text: tag 0 and printable text → no tag octet; text starting with 0x01 → explicit 0 tag.
  assert.deepEqual([...taggedTextAttr(A.TUNNEL_SERVER_ENDPOINT, 0, 'a').data], [0x61]);
  assert.deepEqual([...taggedTextAttr(A.TUNNEL_SERVER_ENDPOINT, 0, '\x01a').data], [0, 1, 0x61]);
  assert.deepEqual([...taggedTextAttr(A.TUNNEL_SERVER_ENDPOINT, 3, 'a').data], [3, 0x61]);
  assert.deepEqual(splitTag(A.TUNNEL_SERVER_ENDPOINT, textBytes('a')), { tag: 0, value: textBytes('a') });
  assert.deepEqual([...taggedIntAttr(A.TUNNEL_PREFERENCE, 2, 0x123456).data], [2, 0x12, 0x34, 0x56]);
});

// ---- unknown things are kept ----------------------------------------------------------

test('unknown attributes, unknown codes and vendor layouts other than RFC 2865 §5.26 survive a round trip', () => {
  const p: RadiusPacket = {
    code: 250,
    identifier: 1,
    authenticator: new Uint8Array(16),
    attributes: [
      { type: 200, data: fromHex('deadbeef') },
      { type: 17, data: new Uint8Array(0) },
      vendorAttr(9, [{ vendorType: 1, data: textBytes('ip:addr-pool=isp-a') }]),
      vendorAttr(99999, [{ vendorType: 7, data: fromHex('00000001') }, { vendorType: 8, data: new Uint8Array() }]),
    ],
  };
  const b = checkRoundTrip(radiusPacket, p);
  // A vendor that uses 4-octet sub-attribute types (USR style): not the suggested format, kept raw.
  const raw = new Uint8Array([...b, 26, 12, 0, 0, 0x01, 0xad, 0, 0, 0x90, 0x01, 0xff, 0xee]);
  setU16(raw, F.LENGTH, raw.length);
  const back = checkReemit(radiusPacket, raw);
  const last = back.attributes.at(-1)!;
  assert.ok(!('vsas' in last) && last.type === 26 && last.data.length === 10);
  assert.equal(getVendorAttrs(back, 9, 1).length, 1);
  const d = decodeAttributes(back);
  assert.ok(d.ok);
  assert.deepEqual(d.value.map((x) => x.name), ['Attr-200', 'Attr-17', 'Cisco-AVPair', 'Vendor-99999-Attr-7', 'Vendor-99999-Attr-8', 'Vendor-Specific']);
});

test('padding after Length is ignored (RFC 2865 §3)', () => {
  const b = capturePackets()[9]!.bytes;
  const padded = new Uint8Array([...b, 0, 0, 0]);
  const r = radiusPacket.parse(padded);
  assert.ok(r.ok);
  assert.equal(radiusPacket.encodedLength(r.value), b.length);
  assert.ok(verifyResponseAuthenticator(padded, SECRET, capturePackets()[8]!.bytes.subarray(4, 20)));
});

// ---- bad input ---------------------------------------------------------------------

function withAttrs(...attrs: number[][]): Uint8Array {
  const body = attrs.flat();
  const b = new Uint8Array(20 + body.length);
  b[0] = 1;
  setU16(b, 2, b.length);
  b.set(body, 20);
  return b;
}

test('bad input: typed error code and offset, nothing thrown', () => {
  const base = capturePackets()[0]!.bytes;
  const lengthSet = (n: number) => { const b = new Uint8Array(base); setU16(b, 2, n); return b; };
  const cases: [string, Uint8Array, string, number][] = [
    ['empty', new Uint8Array(0), 'radius.truncated', 0],
    ['19 octets', base.subarray(0, 19), 'radius.truncated', 0],
    ['Length 19', lengthSet(19), 'radius.bad-length', 2],
    ['Length 4097', lengthSet(4097), 'radius.bad-length', 2],
    ['Length past the datagram', lengthSet(base.length + 1), 'radius.length-exceeds-data', 2],
    ['datagram cut inside an attribute', (() => { const b = new Uint8Array(base.subarray(0, 30)); setU16(b, 2, 30); return b; })(), 'radius.attr.overrun', 21],
    ['one stray octet after the attributes', withAttrs([1, 3, 0x61], [5]), 'radius.attr.truncated', 23],
    ['attribute Length 0 (a loop if trusted)', withAttrs([1, 0, 0x61, 0x62]), 'radius.attr.bad-length', 21],
    ['attribute Length 1', withAttrs([1, 3, 0x61], [18, 1, 0]), 'radius.attr.bad-length', 24],
    ['attribute Length past the packet', withAttrs([1, 3, 0x61], [18, 9, 0x61]), 'radius.attr.overrun', 24],
    ['NAS-Port of 3 octets', withAttrs([5, 5, 0, 0, 1]), 'radius.attr.bad-value-length', 21],
    ['Framed-IP-Address of 5 octets', withAttrs([8, 7, 1, 2, 3, 4, 5]), 'radius.attr.bad-value-length', 21],
    ['Message-Authenticator of 15 octets', withAttrs([80, 17, ...new Uint8Array(15)]), 'radius.attr.bad-value-length', 21],
    ['CHAP-Password of 16 octets', withAttrs([3, 18, ...new Uint8Array(16)]), 'radius.attr.bad-value-length', 21],
    ['Tunnel-Type of 3 octets', withAttrs([64, 5, 1, 0, 3]), 'radius.attr.bad-value-length', 21],
  ];
  for (const [what, bytes, code, offset] of cases) {
    const r = radiusPacket.parse(bytes);
    assert.equal(r.ok, false, what);
    if (!r.ok) assert.deepEqual({ code: r.error.code, offset: r.error.offset }, { code, offset }, what);
  }
  const ra = new Uint8Array(16);
  for (const [what, r, code] of [
    ['User-Password of 15 octets', revealUserPassword(new Uint8Array(15), SECRET, ra), 'radius.user-password.bad-length'],
    ['User-Password of 144 octets', revealUserPassword(new Uint8Array(144), SECRET, ra), 'radius.user-password.bad-length'],
    ['Tunnel-Password without the salt high bit', decryptTunnelPassword(new Uint8Array(18), SECRET, ra), 'radius.tunnel-password.bad-salt'],
    ['Tunnel-Password of 17 octets', decryptTunnelPassword(new Uint8Array(17).fill(0x80), SECRET, ra), 'radius.tunnel-password.bad-length'],
  ] as const) {
    assert.equal(r.ok, false, what);
    if (!r.ok) assert.equal(r.error.code, code, what);
  }
  // A Tunnel-Password whose decrypted length octet claims more than it carries.
  const enc = encryptTunnelPassword(textBytes('x'), SECRET, ra, 0x8001);
  const lying = new Uint8Array(enc);
  lying[2]! ^= 0x7f; // length octet 1 → 0x7e after decryption
  const r = decryptTunnelPassword(lying, SECRET, ra);
  assert.ok(!r.ok && r.error.code === 'radius.tunnel-password.bad-length');
  // A Message-Authenticator check on a packet too short to have one never throws.
  assert.equal(checkMessageAuthenticator(new Uint8Array(3), SECRET), 'invalid');
  assert.equal(verifyRequestAuthenticator(new Uint8Array(3), SECRET), false);
});

test('mutations of the real packets never throw and errors stay in range', () => {
  const r = fuzzDecoder(radiusPacket.parse, capturePackets().map((p) => p.bytes), 20_000, 99);
  assert.ok(r.ok > 0 && r.errors.size > 3, JSON.stringify([...r.errors]));
});

// ---- tshark ---------------------------------------------------------------------

/** Ethernet + IPv4 + UDP by hand (the IP codecs live elsewhere), checksums right. */
function udpFrame(src: string, dst: string, sport: number, dport: number, payload: Uint8Array, ipId: number): Uint8Array {
  const f = new Uint8Array(14 + 20 + 8 + payload.length);
  f.set([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00]);
  const ip = 14;
  f[ip] = 0x45;
  setU16(f, ip + 2, 20 + 8 + payload.length);
  setU16(f, ip + 4, ipId);
  f[ip + 6] = 0x40;
  f[ip + 8] = 64;
  f[ip + 9] = 17;
  setU32(f, ip + 12, ipv4FromString(src));
  setU32(f, ip + 16, ipv4FromString(dst));
  setU16(f, ip + 10, internetChecksum(f, ip, ip + 20));
  const u = ip + 20;
  setU16(f, u, sport);
  setU16(f, u + 2, dport);
  setU16(f, u + 4, 8 + payload.length);
  f.set(payload, u + 8);
  const sum = onesSum(f, u, f.length, pseudoHeaderSum(ipv4FromString(src), ipv4FromString(dst), 17, 8 + payload.length));
  setU16(f, u + 6, ~fold(sum) & 0xffff || 0xffff);
  return f;
}

/** One of every packet code and every attribute kind, signed with testing123. */
function everyKind(): { frames: { port: number; fromServer: boolean; bytes: Uint8Array }[]; papPassword: string } {
  const frames: { port: number; fromServer: boolean; bytes: Uint8Array }[] = [];
  let id = 0;
  const ra = (n: number) => new Uint8Array(16).map((_, i) => (i * 37 + n * 11) & 0xff);
  const nas = [ipv4Attr(A.NAS_IP_ADDRESS, ipv4FromString('192.0.2.2')), textAttr(A.NAS_IDENTIFIER, 'sse-1'), intAttr(A.NAS_PORT, 7),
    textAttr(A.NAS_PORT_ID, 'eth0:7'), intAttr(A.NAS_PORT_TYPE, 5), intAttr(A.SERVICE_TYPE, 2), intAttr(A.FRAMED_PROTOCOL, 1),
    textAttr(A.CALLING_STATION_ID, '02:00:00:00:00:01'), textAttr(A.CALLED_STATION_ID, 'sse-1')];
  const exchange = (port: number, req: RadiusPacket, res: (reqAuth: Uint8Array) => RadiusPacket) => {
    const q = encode(radiusPacket, req);
    signPacket(q, SECRET);
    frames.push({ port, fromServer: false, bytes: q });
    const r = encode(radiusPacket, res(q.subarray(4, 20)));
    signPacket(r, SECRET, q.subarray(4, 20));
    frames.push({ port, fromServer: true, bytes: r });
  };
  const MA = messageAuthenticatorAttr;
  const papPassword = 'pap-password';
  // PAP → Accept with address, timers, Class, vendor and unknown attributes.
  const a1 = ra(1);
  exchange(1812, { code: 1, identifier: id++, authenticator: a1, attributes: [textAttr(A.USER_NAME, 'alice@isp-a.example'), octetsAttr(A.USER_PASSWORD, hideUserPassword(textBytes(papPassword), SECRET, a1)), ...nas, MA()] },
    () => ({ code: 2, identifier: 0, authenticator: new Uint8Array(16), attributes: [intAttr(A.SERVICE_TYPE, 2), intAttr(A.FRAMED_PROTOCOL, 1), ipv4Attr(A.FRAMED_IP_ADDRESS, ipv4FromString('198.51.100.10')), ipv4Attr(A.FRAMED_IP_NETMASK, 0xffffffff), intAttr(A.FRAMED_MTU, 1454), intAttr(A.SESSION_TIMEOUT, 3600), intAttr(A.IDLE_TIMEOUT, 600), intAttr(A.ACCT_INTERIM_INTERVAL, 300), octetsAttr(A.CLASS, textBytes('class-1')), textAttr(A.REPLY_MESSAGE, 'welcome'), textAttr(A.FILTER_ID, 'std'), vendorAttr(9, [{ vendorType: 1, data: textBytes('ip:dns-servers=192.0.2.53') }]), MA()] }));
  // CHAP with a CHAP-Challenge → Reject.
  const ch = fromHex('a1a2a3a4a5a6a7a8a9aaabacadaeafb0');
  exchange(1812, { code: 1, identifier: id++, authenticator: ra(2), attributes: [textAttr(A.USER_NAME, 'bob@isp-a.example'), octetsAttr(A.CHAP_PASSWORD, chapPasswordValue(9, 'wrong', ch)), octetsAttr(A.CHAP_CHALLENGE, ch), ...nas, MA()] },
    () => ({ code: 3, identifier: 1, authenticator: new Uint8Array(16), attributes: [textAttr(A.REPLY_MESSAGE, 'bad password'), MA()] }));
  // Domain → tunnel: two tagged LNS.
  const a3 = ra(3);
  exchange(1812, { code: 1, identifier: id++, authenticator: a3, attributes: [textAttr(A.USER_NAME, 'isp-a.example'), octetsAttr(A.USER_PASSWORD, hideUserPassword(textBytes('tunnel'), SECRET, a3)), ...nas, MA()] },
    (qa) => ({ code: 2, identifier: 2, authenticator: new Uint8Array(16), attributes: [1, 2].flatMap((tag) => [
      taggedIntAttr(A.TUNNEL_TYPE, tag, 3), taggedIntAttr(A.TUNNEL_MEDIUM_TYPE, tag, 1), taggedTextAttr(A.TUNNEL_CLIENT_ENDPOINT, tag, '192.0.2.2'),
      taggedTextAttr(A.TUNNEL_SERVER_ENDPOINT, tag, `192.0.2.${10 + tag}`), tunnelPasswordAttr(tag, textBytes('l2tpsecret'), SECRET, qa, 0x8000 + tag),
      taggedTextAttr(A.TUNNEL_ASSIGNMENT_ID, tag, 'isp-a'), taggedIntAttr(A.TUNNEL_PREFERENCE, tag, tag * 10),
      taggedTextAttr(A.TUNNEL_CLIENT_AUTH_ID, tag, 'sse'), taggedTextAttr(A.TUNNEL_SERVER_AUTH_ID, tag, 'lns')]).concat([MA()]) }));
  // EAP → Access-Challenge with State.
  exchange(1812, { code: 1, identifier: id++, authenticator: ra(4), attributes: [textAttr(A.USER_NAME, 'carol'), octetsAttr(A.EAP_MESSAGE, fromHex('0201000a01636172 6f6c')), ...nas, MA()] },
    () => ({ code: 11, identifier: 3, authenticator: new Uint8Array(16), attributes: [octetsAttr(A.EAP_MESSAGE, fromHex('010200060d20')), octetsAttr(A.STATE, fromHex('00112233')), textAttr(A.REPLY_MESSAGE, 'go on'), MA()] }));
  // Status-Server (RFC 5997) → Access-Accept.
  exchange(1812, { code: 12, identifier: id++, authenticator: ra(5), attributes: [MA()] },
    () => ({ code: 2, identifier: 4, authenticator: new Uint8Array(16), attributes: [MA()] }));
  // Status-Client (RFC 2865 §3 reserves it; no answer is defined): a lone request.
  const sc = encode(radiusPacket, { code: 13, identifier: id++, authenticator: ra(6), attributes: [MA()] });
  signPacket(sc, SECRET);
  frames.push({ port: 1812, fromServer: false, bytes: sc });
  // Accounting Start / Interim-Update / Stop.
  const acct = (status: number, extra: RadiusAttribute[]) => exchange(1813, { code: 4, identifier: id++, authenticator: new Uint8Array(16), attributes: [
    textAttr(A.USER_NAME, 'alice@isp-a.example'), intAttr(A.ACCT_STATUS_TYPE, status), textAttr(A.ACCT_SESSION_ID, '0000002a'),
    ipv4Attr(A.FRAMED_IP_ADDRESS, ipv4FromString('198.51.100.10')), intAttr(A.ACCT_AUTHENTIC, 1), intAttr(A.ACCT_DELAY_TIME, 0),
    intAttr(A.EVENT_TIMESTAMP, 1_700_000_000), ...nas, ...extra] },
  () => ({ code: 5, identifier: id - 1, authenticator: new Uint8Array(16), attributes: [] }));
  const counters = [intAttr(A.ACCT_SESSION_TIME, 600), intAttr(A.ACCT_INPUT_OCTETS, 1000), intAttr(A.ACCT_OUTPUT_OCTETS, 2000), intAttr(A.ACCT_INPUT_GIGAWORDS, 1), intAttr(A.ACCT_OUTPUT_GIGAWORDS, 2), intAttr(A.ACCT_INPUT_PACKETS, 10), intAttr(A.ACCT_OUTPUT_PACKETS, 20)];
  acct(1, []);
  acct(3, counters);
  acct(2, [...counters, intAttr(A.ACCT_TERMINATE_CAUSE, 1), textAttr(A.ACCT_MULTI_SESSION_ID, 'm-1')]);
  // Dynamic Authorization (RFC 5176) on 3799: Disconnect ACK and NAK, CoA ACK and NAK.
  const dae = (code: number, ans: number, extra: RadiusAttribute[], ansAttrs: RadiusAttribute[]) =>
    exchange(3799, { code, identifier: id++, authenticator: new Uint8Array(16), attributes: [textAttr(A.USER_NAME, 'alice@isp-a.example'), textAttr(A.ACCT_SESSION_ID, '0000002a'), ipv4Attr(A.NAS_IP_ADDRESS, ipv4FromString('192.0.2.2')), ...extra, MA()] },
      () => ({ code: ans, identifier: id - 1, authenticator: new Uint8Array(16), attributes: [...ansAttrs, MA()] }));
  dae(40, 41, [], []);
  dae(40, 42, [], [intAttr(A.ERROR_CAUSE, 503)]);
  dae(43, 44, [intAttr(A.SESSION_TIMEOUT, 60), textAttr(A.FILTER_ID, 'slow')], []);
  dae(43, 45, [intAttr(A.SERVICE_TYPE, 17), octetsAttr(A.STATE, fromHex('0102'))], [intAttr(A.ERROR_CAUSE, 401)]);
  return { frames, papPassword };
}

test('tshark: one of every packet code and attribute kind, no malformed packet or expert warning; Wireshark checks our authenticators', (t) => {
  const { frames, papPassword } = everyKind();
  const dir = mkdtempSync(path.join(tmpdir(), 'pseudonet-radius-'));
  t.after(() => process.env.KEEP || rmSync(dir, { recursive: true, force: true }));
  if (process.env.KEEP) console.log(dir);
  const w = new PcapngWriter();
  const ifc = w.addInterface(LinkType.ETHERNET, 'nas-radius');
  frames.forEach((f, i) => {
    const [src, dst, sport, dport] = f.fromServer ? ['192.0.2.100', '192.0.2.2', f.port, 40000 + f.port % 100] : ['192.0.2.2', '192.0.2.100', 40000 + f.port % 100, f.port];
    w.write(ifc, 1_700_000_000_000 + i, udpFrame(src, dst, sport as number, dport as number, f.bytes, i));
  });
  const file = path.join(dir, 'radius-every-kind.pcapng');
  writeFileSync(file, w.bytes());
  assert.deepEqual(tsharkProblems(file), []);
  // The check can fail: the same capture plus one packet whose attribute Length lies.
  const lying = withAttrs([1, 9, 0x61]);
  w.write(ifc, 1_700_000_001_000, udpFrame('192.0.2.2', '192.0.2.100', 40012, 1812, lying, 99));
  const bad = path.join(dir, 'radius-lying.pcapng');
  writeFileSync(bad, w.bytes());
  assert.deepEqual(tsharkProblems(bad).map((x) => [x.frame, x.message]), [[frames.length + 1, 'Not enough room in packet for AVP']]);
  // Every code we sent is dissected as RADIUS with the right code name.
  const out = execFileSync('tshark', ['-2', '-r', file, '-o', `radius.shared_secret:${SECRET}`, '-o', 'radius.validate_authenticator:TRUE',
    '-T', 'fields', '-e', 'radius.code', '-e', 'radius.authenticator.valid', '-e', 'radius.authenticator.invalid', '-e', 'radius.User_Password', '-e', 'radius.Tunnel_Type'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const rows = out.trim().split('\n').map((l) => l.split('\t'));
  assert.deepEqual(rows.map((r) => Number(r[0])), frames.map((f) => f.bytes[0]));
  assert.deepEqual([...new Set(rows.map((r) => Number(r[0])))].sort((a, b) => a - b), [1, 2, 3, 4, 5, 11, 12, 13, 40, 41, 42, 43, 44, 45]);
  for (const [i, r] of rows.entries()) {
    assert.notEqual(r[2], '1', `frame ${i + 1}: Wireshark finds the authenticator invalid`);
    // Wireshark checks Accounting-Request and every response it matches to a request; it
    // does not match an Access-Accept to a Status-Server (RFC 5997), so that one goes unchecked.
    const statusServerAnswer = frames[i]!.fromServer && frames[i - 1]!.bytes[0] === 12;
    if ((frames[i]!.fromServer && !statusServerAnswer) || r[0] === '4') assert.equal(r[1], '1', `frame ${i + 1} (code ${r[0]}): Wireshark confirms the authenticator`);
  }
  assert.equal(rows[0]![3], papPassword, 'Wireshark reveals our hidden User-Password');
  assert.equal(rows[5]![4], '3,3', 'two tagged Tunnel-Type = L2TP');
});

test('intAttr: a small value is one shared, frozen attribute per type and value; any other value its own', () => {
  fc.assert(fc.property(fc.integer({ min: 1, max: 255 }), fc.integer({ min: 0, max: 0xffffffff }), (type, n) => {
    const a = intAttr(type, n);
    const b = intAttr(type, n);
    assert.equal(a.type, type);
    assert.equal(Buffer.from(a.data).toString('hex'), n.toString(16).padStart(8, '0'));
    assert.deepEqual(b, a);
    if (n < 32) {
      assert.equal(b, a, 'the small value is shared');
      assert.ok(Object.isFrozen(a));
    } else assert.notEqual(b.data, a.data, 'a large value (an address, a counter) gets its own octets');
  }));
  // The same value under another type is another attribute.
  assert.notEqual(intAttr(A.SERVICE_TYPE, 2), intAttr(A.FRAMED_PROTOCOL, 2));
  assert.equal(intAttr(A.FRAMED_PROTOCOL, 2).type, A.FRAMED_PROTOCOL);
});
