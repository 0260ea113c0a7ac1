import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import {
  l2tp, l2tpWithSecret, avp, hideAvps, revealAvps, challengeResponse, findAvp, controlMessageType,
  MessageType, AvpType, AVP_KINDS, avpHideable, L2tpDataView, writeDataHeader,
  FramingBits,
  type Avp, type AvpKind, type AvpValues, type ControlMessage, type DataMessage, type L2tpMessage,
} from '../../src/wire/l2tp.js';
import { encode } from '../../src/wire/result.js';
import { fromHex, textBytes, macFromString, ipv4FromString } from '../../src/wire/bytes.js';
import { PcapngWriter, LinkType } from '../../src/wire/pcap.js';
import { checkRoundTrip, checkReemit, propertyRoundTrip, plain } from '../helpers/codec.js';
import { loadCapture } from '../helpers/captures.js';
import { tsharkProblems, tsharkSummary } from '../helpers/tshark.js';
import { udpFrame, udpPayload } from '../helpers/udp-frame.js';
import { everyMessage, SAMPLE_SECRET } from '../helpers/l2tp-samples.js';

const CAPTURE = 'xl2tpd-lac-lns-chap-ipcp-ping.pcap';
const SECRET = textBytes('l2tp-tunnel-secret');

// ------------------------------------------------------------------ generators

const u8 = fc.integer({ min: 0, max: 0xff });
const u16a = fc.integer({ min: 0, max: 0xffff });
const u32a = fc.integer({ min: 0, max: 0xffffffff });
const text = (min = 0, max = 24): fc.Arbitrary<string> => fc.array(u8, { minLength: min, maxLength: max }).map((a) => String.fromCharCode(...a));
const bytes = (min = 0, max = 24): fc.Arbitrary<Uint8Array> => fc.uint8Array({ minLength: min, maxLength: max });

const VALUE: { [K in AvpKind]: fc.Arbitrary<AvpValues[K]> } = {
  messageType: u16a.map((messageType) => ({ messageType })),
  resultCode: fc.oneof(
    u16a.map((result) => ({ result })),
    fc.record({ result: u16a, error: u16a }),
    fc.record({ result: u16a, error: u16a, message: text(1) }),
  ),
  protocolVersion: fc.record({ version: u8, revision: u8 }),
  framingCapabilities: u32a.map((bits) => ({ bits })),
  bearerCapabilities: u32a.map((bits) => ({ bits })),
  tieBreaker: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }).map((value) => ({ value })),
  firmwareRevision: u16a.map((revision) => ({ revision })),
  hostName: text(1).map((name) => ({ name })),
  vendorName: text().map((name) => ({ name })),
  assignedTunnelId: u16a.map((id) => ({ id })),
  receiveWindowSize: u16a.map((size) => ({ size })),
  challenge: bytes(1).map((challenge) => ({ challenge })),
  challengeResponse: bytes(16, 16).map((response) => ({ response })),
  q931CauseCode: fc.oneof(fc.record({ cause: u16a, msg: u8 }), fc.record({ cause: u16a, msg: u8, advisory: text(1) })),
  assignedSessionId: u16a.map((id) => ({ id })),
  callSerialNumber: u32a.map((serial) => ({ serial })),
  minimumBps: u32a.map((bps) => ({ bps })),
  maximumBps: u32a.map((bps) => ({ bps })),
  bearerType: u32a.map((bits) => ({ bits })),
  framingType: u32a.map((bits) => ({ bits })),
  calledNumber: text().map((number) => ({ number })),
  callingNumber: text().map((number) => ({ number })),
  subAddress: text().map((subAddress) => ({ subAddress })),
  txConnectSpeed: u32a.map((bps) => ({ bps })),
  rxConnectSpeed: u32a.map((bps) => ({ bps })),
  physicalChannelId: u32a.map((id) => ({ id })),
  privateGroupId: bytes().map((groupId) => ({ groupId })),
  sequencingRequired: fc.constant({}),
  initialReceivedLcpConfReq: bytes().map((options) => ({ options })),
  lastSentLcpConfReq: bytes().map((options) => ({ options })),
  lastReceivedLcpConfReq: bytes().map((options) => ({ options })),
  proxyAuthenType: u16a.map((authType) => ({ authType })),
  proxyAuthenName: text().map((name) => ({ name })),
  proxyAuthenChallenge: bytes().map((challenge) => ({ challenge })),
  proxyAuthenId: u8.map((id) => ({ id })),
  proxyAuthenResponse: bytes().map((response) => ({ response })),
  callErrors: fc.record({ crcErrors: u32a, framingErrors: u32a, hardwareOverruns: u32a, bufferOverruns: u32a, timeoutErrors: u32a, alignmentErrors: u32a }),
  accm: fc.record({ sendAccm: u32a, receiveAccm: u32a }),
  randomVector: bytes(1).map((vector) => ({ vector })),
};

/** Any AVP except the Message Type: known kinds, vendor/unknown ones. `hidden` adds hidden ones. */
function arbAvp(hidden: boolean): fc.Arbitrary<Avp> {
  const known = fc.constantFrom(...AVP_KINDS.filter((k) => k !== 'messageType' && k !== 'randomVector')).chain((kind) =>
    fc.record({ v: VALUE[kind], m: fc.boolean(), h: hidden && avpHideable(kind) ? fc.option(bytes(0, 20), { nil: undefined }) : fc.constant(undefined) })
      .map(({ v, m, h }) => avp(kind, v as never, h === undefined ? { mandatory: m } : { mandatory: m, hidden: { padding: h } }) as Avp),
  );
  const unknown = fc.record({ vendorId: u16a, type: fc.integer({ min: 40, max: 0xffff }), m: fc.boolean(), data: bytes(0, 40), h: hidden ? fc.option(bytes(0, 8), { nil: undefined }) : fc.constant(undefined) })
    .map(({ vendorId, type, m, data, h }): Avp => (h === undefined
      ? { kind: 'unknown', vendorId, type, mandatory: m, data }
      : { kind: 'unknown', vendorId, type, mandatory: m, data, hidden: { padding: h } }));
  return fc.oneof({ arbitrary: known, weight: 4 }, { arbitrary: unknown, weight: 1 });
}

function arbControl(hidden: boolean): fc.Arbitrary<ControlMessage> {
  return fc.record({
    tunnelId: u16a, sessionId: u16a, ns: u16a, nr: u16a,
    zlb: fc.boolean(),
    type: u16a,
    rv: bytes(1, 20),
    avps: fc.array(arbAvp(hidden), { maxLength: 12 }),
  }).map(({ tunnelId, sessionId, ns, nr, zlb, type, rv, avps }) => ({
    kind: 'control', tunnelId, sessionId, ns, nr,
    avps: zlb ? [] : [avp('messageType', { messageType: type }), ...(hidden ? [avp('randomVector', { vector: rv })] : []), ...avps],
  }));
}

const arbData: fc.Arbitrary<DataMessage> = fc.record({
  tunnelId: u16a, sessionId: u16a, hasLength: fc.boolean(), priority: fc.boolean(),
  seq: fc.option(fc.record({ ns: u16a, nr: u16a }), { nil: undefined }),
  pad: fc.option(bytes(0, 8), { nil: undefined }),
  payload: bytes(0, 80),
}).map(({ tunnelId, sessionId, hasLength, priority, seq, pad, payload }) => {
  const m: { -readonly [K in keyof DataMessage]: DataMessage[K] } = { kind: 'data', tunnelId, sessionId, hasLength, priority, payload };
  if (seq) m.sequence = seq;
  if (pad) m.offsetPad = pad;
  return m;
});

// ------------------------------------------------------------------ round trips

test('property: control messages with every AVP kind round-trip (emit at an offset, 0xa5 guard)', () => {
  propertyRoundTrip(l2tp, arbControl(false) as fc.Arbitrary<L2tpMessage>, 1500);
});

test('property: data messages with every header option round-trip, payload a subarray of the input', () => {
  propertyRoundTrip(l2tp, arbData as fc.Arbitrary<L2tpMessage>, 800);
  const bytesIn = encode(l2tp, { kind: 'data', tunnelId: 1, sessionId: 2, hasLength: true, priority: false, sequence: { ns: 3, nr: 0 }, payload: fromHex('ff03c021') });
  const r = l2tp.parse(bytesIn);
  assert.ok(r.ok && r.value.kind === 'data');
  assert.equal(r.value.payload.buffer, bytesIn.buffer, 'no copy');
  assert.equal(r.value.payload.byteOffset, 12);
});

test('property: hidden AVPs round-trip through the codec with the secret, and via hideAvps/revealAvps', () => {
  const withSecret = l2tpWithSecret(SECRET);
  propertyRoundTrip(withSecret, arbControl(true) as fc.Arbitrary<L2tpMessage>, 600);
  fc.assert(fc.property(arbControl(true), (m) => {
    const direct = encode(withSecret, m);
    const concealed: ControlMessage = { ...m, avps: hideAvps(m.avps, SECRET) };
    assert.deepEqual(Buffer.from(encode(l2tp, concealed)), Buffer.from(direct), 'hideAvps + plain codec = codec with secret');
    const plainParse = l2tp.parse(direct);
    assert.ok(plainParse.ok && plainParse.value.kind === 'control');
    const revealed = revealAvps(plainParse.value.avps, SECRET);
    assert.ok(revealed.ok);
    assert.deepStrictEqual(plain(revealed.value), plain(m.avps as Avp[]));
  }), { numRuns: 300 });
});

test('hidden AVP bytes: the original length field, MD5 chaining over 16-octet blocks, padding kept', () => {
  const rv = fromHex('00112233445566778899aabbccddeeff');
  const name = 'a-very-long-proxy-user-name@isp-a.example'; // 41 octets: 3 key blocks
  const padding = fromHex('dead');
  const m: ControlMessage = {
    kind: 'control', tunnelId: 7, sessionId: 9, ns: 1, nr: 2,
    avps: [avp('messageType', { messageType: MessageType.ICCN }), avp('randomVector', { vector: rv }), avp('proxyAuthenName', { name }, { hidden: { padding } })],
  };
  const b = encode(l2tpWithSecret(SECRET), m);
  // The hidden AVP is the last: header 6 + (2 + 41 + 2).
  const h = b.subarray(b.length - 51);
  assert.equal(h[0]! & 0x40, 0x40, 'H bit');
  assert.equal(((h[0]! & 3) << 8) | h[1]!, 51);
  // Independent decryption written out from §4.3.
  const md5 = (...p: Uint8Array[]): Buffer => { const x = createHash('md5'); p.forEach((q) => x.update(q)); return x.digest(); };
  const c = h.subarray(6);
  const out = new Uint8Array(c.length);
  let key = md5(new Uint8Array([0, AvpType.PROXY_AUTHEN_NAME]), SECRET, rv);
  for (let i = 0; i < c.length; i += 16) {
    for (let j = 0; j < 16 && i + j < c.length; j++) out[i + j] = c[i + j]! ^ key[j]!;
    key = md5(SECRET, c.subarray(i, i + 16));
  }
  assert.equal((out[0]! << 8) | out[1]!, 41, 'original length');
  assert.equal(Buffer.from(out.subarray(2, 43)).toString('latin1'), name);
  assert.deepEqual(Buffer.from(out.subarray(43)), Buffer.from(padding));
  checkRoundTrip(l2tpWithSecret(SECRET), m as L2tpMessage);
  // Without the secret the AVP stays concealed and re-emits unchanged.
  const concealed = checkReemit(l2tp, b);
  assert.ok(concealed.kind === 'control');
  assert.equal(concealed.avps[2]!.kind, 'concealed');
  // The wrong secret is noticed through the original-length field (here it overflows).
  const wrong = l2tpWithSecret(textBytes('not-the-secret')).parse(b);
  assert.ok(!wrong.ok);
  assert.equal(wrong.error.code, 'l2tp.hidden-bad-length');
});

test('Challenge Response is MD5(message type of the response ‖ secret ‖ challenge) (§4.4.3)', () => {
  const challenge = fromHex('0123456789abcdef0123456789abcdef');
  const expect = createHash('md5').update(Buffer.from([MessageType.SCCRP])).update(SECRET).update(challenge).digest();
  assert.deepEqual(Buffer.from(challengeResponse(MessageType.SCCRP, SECRET, challenge)), expect);
  assert.notDeepEqual(Buffer.from(challengeResponse(MessageType.SCCCN, SECRET, challenge)), expect, 'the type is part of it');
  assert.equal(challengeResponse(3, SECRET, challenge).length, 16);
});

// ------------------------------------------------------------------ real bytes

function l2tpPackets(): { frame: number; payload: Uint8Array }[] {
  const out: { frame: number; payload: Uint8Array }[] = [];
  loadCapture(CAPTURE).packets.forEach((p, i) => {
    const u = udpPayload(p.data);
    if (u && (u.srcPort === 1701 || u.dstPort === 1701)) out.push({ frame: i + 1, payload: u.payload });
  });
  return out;
}

test('every L2TP packet of the xl2tpd capture parses and re-emits byte for byte', () => {
  const pkts = l2tpPackets();
  assert.equal(pkts.length, 44);
  const types: string[] = [];
  let data = 0;
  for (const { frame, payload } of pkts) {
    const m = checkReemit(l2tp, payload, `frame ${frame}`);
    if (m.kind === 'control') types.push(String(controlMessageType(m) ?? 'ZLB'));
    else {
      data++;
      assert.equal(m.payload[0], 0xff, 'PPP address');
      assert.equal(m.payload[1], 0x03, 'PPP control');
      assert.equal(m.payload.buffer, payload.buffer, 'payload is a subarray of the capture');
    }
  }
  assert.deepEqual(types, ['1', '2', '3', 'ZLB', '10', '11', 'ZLB', '12', 'ZLB', '14', 'ZLB', '4', 'ZLB']);
  assert.equal(data, 31);
  // Typed values of a few AVPs, as tshark shows them.
  const sccrq = l2tp.parse(pkts[0]!.payload);
  assert.ok(sccrq.ok && sccrq.value.kind === 'control');
  assert.equal(findAvp(sccrq.value.avps, 'hostName')?.name, 'lab-lac');
  assert.equal(findAvp(sccrq.value.avps, 'vendorName')?.name, 'xelerance.com');
  assert.equal(findAvp(sccrq.value.avps, 'vendorName')?.mandatory, false);
  assert.equal(findAvp(sccrq.value.avps, 'assignedTunnelId')?.id, 15231);
  assert.equal(findAvp(sccrq.value.avps, 'framingCapabilities')?.bits, FramingBits.SYNC | FramingBits.ASYNC);
  assert.deepEqual(findAvp(sccrq.value.avps, 'protocolVersion'), { kind: 'protocolVersion', mandatory: true, version: 1, revision: 0 });
  const stop = l2tp.parse(pkts.find((p) => { const m = l2tp.parse(p.payload); return m.ok && m.value.kind === 'control' && controlMessageType(m.value) === 4; })!.payload);
  assert.ok(stop.ok && stop.value.kind === 'control');
  assert.deepEqual(findAvp(stop.value.avps, 'resultCode'), { kind: 'resultCode', mandatory: true, result: 1, error: 0, message: 'Server closing' });
});

test('the data view agrees with the codec on the capture, without copying', () => {
  const view = new L2tpDataView();
  for (const { payload } of l2tpPackets()) {
    const m = l2tp.parse(payload);
    assert.ok(m.ok);
    if (m.value.kind === 'control') {
      assert.equal(view.parse(payload), false);
      assert.equal(view.error, 'l2tp.not-data');
      continue;
    }
    assert.equal(view.parse(payload), true);
    assert.equal(view.tunnelId, m.value.tunnelId);
    assert.equal(view.sessionId, m.value.sessionId);
    assert.deepEqual(Buffer.from(payload.subarray(view.payloadOffset, view.payloadOffset + view.payloadLength)), Buffer.from(m.value.payload));
  }
});

test('writeDataHeader writes what the codec reads', () => {
  const b = new Uint8Array(40).fill(0xa5);
  const p = writeDataHeader(b, 3, 10, 20, 16 + 4, true, 5, true, 2);
  b.set([0xff, 0x03, 0x00, 0x21], p);
  const r = l2tp.parse(b.subarray(3, p + 4));
  assert.ok(r.ok && r.value.kind === 'data');
  assert.deepEqual(plain(r.value), { kind: 'data', tunnelId: 10, sessionId: 20, hasLength: true, priority: true, sequence: { ns: 5, nr: 0 }, offsetPad: new Uint8Array(2), payload: fromHex('ff030021') });
});

// ------------------------------------------------------------------ bad input

test('bad input gives a stable error code and the offset of the fault', () => {
  const sccrq = l2tpPackets()[0]!.payload;
  const cases: [string, Uint8Array, string, number][] = [];
  const mut = (f: (b: Uint8Array) => void): Uint8Array => { const b = new Uint8Array(sccrq); f(b); return b; };
  cases.push(['empty', new Uint8Array(0), 'l2tp.truncated', 0]);
  cases.push(['version 3 (L2TPv3)', mut((b) => { b[1] = 0x03; }), 'l2tp.bad-version', 1]);
  cases.push(['control without L', mut((b) => { b[0] = 0x88; }), 'l2tp.control-without-length', 0]);
  cases.push(['control without S', mut((b) => { b[0] = 0xc0; }), 'l2tp.control-without-sequence', 0]);
  cases.push(['control with O', mut((b) => { b[1] = 0x02 | 0x00; b[0] = 0xca; }), 'l2tp.control-with-offset', 0]);
  cases.push(['Length larger than the datagram', mut((b) => { b[3] = 200; }), 'l2tp.truncated', 2]);
  cases.push(['Length smaller than the header', mut((b) => { b[2] = 0; b[3] = 8; }), 'l2tp.bad-length', 2]);
  // AVPs start at 12: Message Type (8), Protocol Version at 20, Framing Caps at 28.
  cases.push(['AVP length lies (past the end)', mut((b) => { b[29] = 0xff; b[28] = 0x83; }), 'l2tp.avp-overrun', 28]);
  cases.push(['zero-length AVP', mut((b) => { b[28] = 0x80; b[29] = 0; }), 'l2tp.avp-short-length', 28]);
  cases.push(['AVP length 5 (< header)', mut((b) => { b[21] = 5; }), 'l2tp.avp-short-length', 20]);
  cases.push(['fixed-size AVP with the wrong length', mut((b) => { b[21] = 7; }), 'l2tp.avp-bad-length', 20]);
  cases.push(['first AVP is not Message Type', mut((b) => { b[17] = 7; }), 'l2tp.first-avp-not-message-type', 12]);
  cases.push(['hidden AVP with no Random Vector before it', mut((b) => { b[28] |= 0x40; }), 'l2tp.hidden-without-random-vector', 28]);
  cases.push(['hidden Protocol Version (must not be hidden)', (() => {
    const m = encode(l2tp, { kind: 'control', tunnelId: 0, sessionId: 0, ns: 0, nr: 0, avps: [avp('messageType', { messageType: 1 }), avp('randomVector', { vector: fromHex('01') })] });
    const extra = fromHex('c008000000020100');
    const b = new Uint8Array(m.length + 8);
    b.set(m);
    b.set(extra, m.length);
    b[3] = b.length;
    return b;
  })(), 'l2tp.avp-must-not-be-hidden', 27]);
  cases.push(['truncated AVP header', sccrq.subarray(0, 16).map((x, i) => (i === 3 ? 16 : x)), 'l2tp.avp-truncated', 12]);
  const data = fromHex('0202 0001 0002 0010 00'); // O bit, offset size 16, 1 octet left
  cases.push(['offset size past the end', data, 'l2tp.offset-overrun', 6]);
  for (const [what, b, code, offset] of cases) {
    const r = l2tp.parse(b);
    assert.ok(!r.ok, `${what}: rejected`);
    assert.equal(r.error.code, code, what);
    assert.equal(r.error.offset, offset, `${what}: offset`);
  }
  // With a secret, a hidden AVP shorter than its length field.
  const short = encode(l2tp, { kind: 'control', tunnelId: 0, sessionId: 0, ns: 0, nr: 0, avps: [avp('messageType', { messageType: 1 }), avp('randomVector', { vector: fromHex('01') }), { kind: 'concealed', mandatory: false, vendorId: 0, type: 30, data: fromHex('01') }] });
  const r = l2tpWithSecret(SECRET).parse(short);
  assert.ok(!r.ok);
  assert.deepEqual(r.error.code, 'l2tp.hidden-too-short');
  assert.equal(r.error.offset, 12 + 8 + 7);
});

test('unknown AVPs keep vendor id, type, M and H bits and their bytes', () => {
  const m: ControlMessage = {
    kind: 'control', tunnelId: 1, sessionId: 0, ns: 0, nr: 0,
    avps: [avp('messageType', { messageType: MessageType.HELLO }), { kind: 'unknown', vendorId: 9, type: 1, mandatory: true, data: fromHex('0102') }, { kind: 'unknown', vendorId: 0, type: 20, mandatory: false, data: new Uint8Array(0) }],
  };
  const b = checkRoundTrip(l2tp, m);
  assert.equal(b[20], 0x80, 'M bit of the vendor AVP');
  assert.deepEqual([...b.subarray(22, 26)], [0, 9, 0, 1]);
});

// ------------------------------------------------------------------ tshark

test('tshark dissects one of every message (and hidden + proxy AVPs) with no malformed packet or expert warning', () => {
  const w = new PcapngWriter();
  const iface = w.addInterface(LinkType.ETHERNET, 'sse-nte');
  const lac = { mac: macFromString('02:00:00:00:00:01'), ip: ipv4FromString('192.0.2.2'), port: 1701 };
  const lns = { mac: macFromString('02:00:00:00:00:02'), ip: ipv4FromString('192.0.2.1'), port: 1701 };
  const msgs = everyMessage();
  msgs.forEach(({ message, secret }, i) => {
    const b = encode(secret ? l2tpWithSecret(SAMPLE_SECRET) : l2tp, message);
    w.write(iface, 1_700_000_000_000 + i, udpFrame(i % 2 ? lns : lac, i % 2 ? lac : lns, b));
  });
  const dir = mkdtempSync(path.join(tmpdir(), 'pseudonet-l2tp-'));
  const f = path.join(dir, 'l2tp-every-message.pcapng');
  writeFileSync(f, w.bytes());
  const summary = tsharkSummary(f);
  assert.equal(summary.length, msgs.length);
  const expectInfo = ['SCCRQ', 'SCCRP', 'SCCCN', 'ZLB', 'Hello', 'OCRQ', 'OCRP', 'OCCN', 'ICRQ', 'ICRP', 'ICCN', 'ICCN', 'WEN', 'SLI', 'CDN', 'StopCCN'];
  expectInfo.forEach((x, i) => assert.match(summary[i]!, new RegExp(`L2TP\\t.*${x}`), `frame ${i + 1}: ${summary[i]}`));
  assert.match(summary[16]!, /LCP/, summary[16]);
  assert.match(summary[17]!, /LCP/, summary[17]);
  assert.deepEqual(tsharkProblems(f), []);
  // The check is not vacuous: an AVP whose length runs past its value is reported.
  const bad = new PcapngWriter();
  const bi = bad.addInterface(LinkType.ETHERNET, 'bad');
  bad.write(bi, 0, udpFrame(lac, lns, fromHex('c802 001a 0000 0000 0000 0000 8008 0000 0000 0001 800a 0000 000d 0102 0304')));
  const fb = path.join(dir, 'bad.pcapng');
  writeFileSync(fb, bad.bytes());
  assert.equal(tsharkProblems(fb).length, 1);
});
