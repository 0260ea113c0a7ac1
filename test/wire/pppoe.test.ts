import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  pppoeDiscovery, pppoeSession, PppoeSessionView, PppoeCode, PppoeTagType, tag, findTag, tagText, pppMaxPayload,
  pppMaxPayloadTag, errorTag, writeSessionHeader, sessionFrameProblem, discoveryDestinationProblem, type PppoeDiscovery, type PppoeTag,
} from '../../src/wire/pppoe.js';
import { encode } from '../../src/wire/result.js';
import { fromHex, hex } from '../../src/wire/bytes.js';
import { checkReemit, propertyRoundTrip, fuzzDecoder } from '../helpers/codec.js';
import { pppoeFrames } from '../helpers/ppp-captures.js';

const bytes = (max: number): fc.Arbitrary<Uint8Array> => fc.uint8Array({ maxLength: max });

const FIXED = new Set<number>([PppoeTagType.END_OF_LIST, PppoeTagType.PPP_MAX_PAYLOAD, PppoeTagType.VENDOR_SPECIFIC]);
export const pppoeTagArb: fc.Arbitrary<PppoeTag> = fc.oneof(
  fc.record({ type: fc.constantFrom(0x0101, 0x0102, 0x0103, 0x0104, 0x0110, 0x0201, 0x0202, 0x0203), data: bytes(40) }),
  fc.constant({ type: PppoeTagType.END_OF_LIST, data: new Uint8Array(0) }),
  fc.integer({ min: 0, max: 0xffff }).map((n) => pppMaxPayloadTag(n)),
  fc.uint8Array({ minLength: 4, maxLength: 20 }).map((d) => ({ type: PppoeTagType.VENDOR_SPECIFIC, data: d })),
  fc.record({ type: fc.integer({ min: 0, max: 0xffff }).filter((t) => !FIXED.has(t)), data: bytes(30) }),
);

const discoveryArb: fc.Arbitrary<PppoeDiscovery> = fc.record({
  code: fc.oneof(fc.constantFrom(0x09, 0x07, 0x19, 0x65, 0xa7), fc.integer({ min: 1, max: 255 })),
  sessionId: fc.integer({ min: 0, max: 0xffff }),
  tags: fc.array(pppoeTagArb, { maxLength: 8 }),
});

test('discovery: parse(emit(x)) = x, lengths agree, emit at an offset into 0xa5', () => {
  propertyRoundTrip(pppoeDiscovery, discoveryArb, 1000);
});

test('session: parse(emit(x)) = x', () => {
  propertyRoundTrip(pppoeSession, fc.record({ sessionId: fc.integer({ min: 0, max: 0xffff }), payload: bytes(100) }), 500);
});

test('every PPPoE frame of the pppd / pppoe-server capture re-emits byte for byte', () => {
  const frames = pppoeFrames();
  const disc = frames.filter((f) => f.ethertype === 0x8863);
  const sess = frames.filter((f) => f.ethertype === 0x8864);
  assert.deepEqual(disc.map((f) => f.frame), [1, 2, 3, 4, 45]);
  assert.equal(sess.length, 40);
  const codes = disc.map((f) => checkReemit(pppoeDiscovery, f.pppoe, `frame ${f.frame}`).code);
  assert.deepEqual(codes, [PppoeCode.PADI, PppoeCode.PADO, PppoeCode.PADR, PppoeCode.PADS, PppoeCode.PADT]);
  for (const f of sess) {
    const v = checkReemit(pppoeSession, f.pppoe, `frame ${f.frame}`);
    assert.equal(v.sessionId, 1);
    // The payload is a view into the capture, not a copy.
    assert.equal(v.payload.buffer, f.pppoe.buffer);
  }
  const pado = pppoeDiscovery.parse(disc[1]!.pppoe);
  assert.ok(pado.ok);
  assert.equal(tagText(findTag(pado.value.tags, PppoeTagType.AC_NAME)), 'lab-ac');
  assert.equal(hex(findTag(pado.value.tags, PppoeTagType.HOST_UNIQ)!.data), '7f000000');
  assert.equal(findTag(pado.value.tags, PppoeTagType.AC_COOKIE)!.data.length, 20);
  assert.equal(findTag(pado.value.tags, PppoeTagType.SERVICE_NAME)!.data.length, 0);
  const padt = pppoeDiscovery.parse(disc[4]!.pppoe);
  assert.ok(padt.ok);
  assert.equal(padt.value.sessionId, 1);
  assert.equal(tagText(errorTag(padt.value.tags)), 'RP-PPPoE: Child pppd process terminated');
});

test('Ethernet padding after LENGTH is not part of the value', () => {
  const padi = pppoeFrames()[0]!.pppoe;
  const padded = new Uint8Array(46);
  padded.set(padi);
  const r = pppoeDiscovery.parse(padded);
  assert.ok(r.ok);
  assert.equal(hex(encode(pppoeDiscovery, r.value)), hex(padi));
});

test('tag helpers: PPP-Max-Payload, text tags, errors', () => {
  const v: PppoeDiscovery = { code: PppoeCode.PADI, sessionId: 0, tags: [tag(PppoeTagType.SERVICE_NAME, ''), pppMaxPayloadTag(1500)] };
  const b = encode(pppoeDiscovery, v);
  assert.equal(hex(b), '11090000000a' + '01010000' + '0120000205dc');
  const r = pppoeDiscovery.parse(b);
  assert.ok(r.ok);
  assert.equal(pppMaxPayload(r.value.tags), 1500);
  assert.equal(pppMaxPayload([]), undefined);
  assert.equal(errorTag(r.value.tags), undefined);
});

const badDiscovery: [string, string, string, number][] = [
  ['empty', '', 'pppoe.truncated-header', 0],
  ['five octets', '1109000000', 'pppoe.truncated-header', 0],
  ['VER/TYPE 2/1', '210900000000', 'pppoe.bad-version-type', 0],
  ['LENGTH beyond the frame', '110900000010' + '01010000', 'pppoe.length-exceeds-frame', 4],
  ['code 0 on the discovery Ethertype', '110000000000', 'pppoe.session-code-on-discovery', 1],
  ['three octets of tag header', '110900000003' + '010100', 'pppoe.truncated-tag-header', 6],
  ['tag length beyond LENGTH', '110900000008' + '01030008aabbccdd', 'pppoe.tag-exceeds-payload', 8],
  ['tag length beyond LENGTH, lying by one', '110900000008' + '01030005aabbccdd', 'pppoe.tag-exceeds-payload', 8],
  ['End-Of-List with a length', '110900000005' + '0000000100', 'pppoe.end-of-list-not-empty', 8],
  ['PPP-Max-Payload of zero length', '110900000004' + '01200000', 'pppoe.bad-ppp-max-payload-length', 8],
  ['PPP-Max-Payload of three octets', '110900000007' + '01200003050000', 'pppoe.bad-ppp-max-payload-length', 8],
  ['Vendor-Specific shorter than the vendor id', '110900000007' + '01050003000001', 'pppoe.short-vendor-specific', 8],
];

test('bad discovery input gives the error code and offset, never a throw', () => {
  for (const [what, h, code, offset] of badDiscovery) {
    const r = pppoeDiscovery.parse(fromHex(h));
    assert.equal(r.ok, false, what);
    if (!r.ok) assert.deepEqual({ code: r.error.code, offset: r.error.offset }, { code, offset }, what);
  }
});

test('a loop of zero-length tags is a long list, not a hang; a payload full of them parses in one pass', () => {
  const n = 370;
  const b = new Uint8Array(6 + 4 * n);
  b.set(fromHex('11090000'));
  b[4] = (4 * n) >> 8;
  b[5] = (4 * n) & 0xff;
  for (let i = 0; i < n; i++) b.set(fromHex('0103'), 6 + 4 * i);
  const r = pppoeDiscovery.parse(b);
  assert.ok(r.ok);
  assert.equal(r.value.tags.length, n);
  assert.equal(hex(encode(pppoeDiscovery, r.value)), hex(b));
});

test('session codec and zero-copy view', () => {
  assert.deepEqual(pppoeSession.parse(fromHex('110700000000')), { ok: false, error: { code: 'pppoe.not-session-code', offset: 1 } });
  assert.deepEqual(pppoeSession.parse(fromHex('110000010009c021')), { ok: false, error: { code: 'pppoe.length-exceeds-frame', offset: 4 } });
  const frame = pppoeFrames().find((f) => f.frame === 37)!; // an ICMP echo in IPv4
  const buf = new Uint8Array(frame.ether);
  const v = PppoeSessionView.check(buf, 14);
  assert.ok(v instanceof PppoeSessionView);
  assert.equal(v.sessionId, 1);
  assert.equal(v.protocol, 0x0021);
  assert.equal(v.length, 0x56);
  assert.equal(v.payload.buffer, buf.buffer);
  assert.equal(v.payloadOffset, 20);
  v.sessionId = 0xbeef;
  assert.equal(hex(buf.subarray(14, 20)), '1100beef0056');
  const e = PppoeSessionView.check(buf.subarray(0, 30), 14);
  assert.ok(!(e instanceof PppoeSessionView));
  assert.deepEqual(e, { code: 'pppoe.length-exceeds-frame', offset: 18 });
  const out = new Uint8Array(8).fill(0xa5);
  writeSessionHeader(out, 1, 7, 2);
  assert.equal(hex(out), 'a511000007000' + '2a5');
});

test('discovery and session decoders survive 20,000 mutated real frames', () => {
  const frames = pppoeFrames();
  const seeds = frames.map((f) => f.pppoe);
  const r = fuzzDecoder(pppoeDiscovery.parse, seeds.filter((_, i) => frames[i]!.ethertype === 0x8863), 20_000, 3);
  assert.ok(r.ok > 0 && r.errors.size > 3);
  const s = fuzzDecoder(pppoeSession.parse, seeds, 20_000, 4);
  assert.ok(s.ok > 0 && s.errors.size > 1);
});

test('sessionFrameProblem: RFC 2516 §4 VER/TYPE 0x11, §6 CODE 0x00 and a unicast destination, LENGTH within the frame and at least the PPP protocol', () => {
  // dst 02:.., src 02:.., 0x8864, 11 00 1234 0004, c021 0901 (LCP, truncated body on purpose: only the header is judged).
  const good = fromHex('020000000001 020000000002 8864 11 00 1234 0004 c021 0901');
  assert.equal(sessionFrameProblem(good, 14), undefined);
  const edit = (at: number, v: number) => {
    const f = new Uint8Array(good);
    f[at] = v;
    return f;
  };
  assert.equal(sessionFrameProblem(edit(14, 0x12), 14), 'pppoe.bad-version-type', 'TYPE 2');
  assert.equal(sessionFrameProblem(edit(14, 0x21), 14), 'pppoe.bad-version-type', 'VER 2');
  assert.equal(sessionFrameProblem(edit(15, 0x09), 14), 'pppoe.not-session-code', 'a PADI code on 0x8864');
  assert.equal(sessionFrameProblem(edit(0, 0xff), 14), 'pppoe.group-destination', 'broadcast');
  assert.equal(sessionFrameProblem(edit(0, 0x01), 14), 'pppoe.group-destination', 'multicast (I/G bit)');
  assert.equal(sessionFrameProblem(edit(0, 0x03), 14), 'pppoe.group-destination', 'locally administered multicast');
  assert.equal(sessionFrameProblem(edit(19, 0x05), 14), 'pppoe.length-exceeds-frame');
  assert.equal(sessionFrameProblem(edit(19, 0x01), 14), 'pppoe.no-ppp-protocol');
  assert.equal(sessionFrameProblem(good.subarray(0, 19), 14), 'pppoe.truncated-header');
  assert.equal(sessionFrameProblem(good.subarray(0, 3), 14), 'pppoe.truncated-header');
  // Ethernet padding after LENGTH is fine (a 60-octet minimum frame).
  const padded = new Uint8Array(60);
  padded.set(good);
  assert.equal(sessionFrameProblem(padded, 14), undefined);
  // Any bytes at all: a code or undefined, never a throw.
  fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), (b) => {
    const r = sessionFrameProblem(b, 14);
    return r === undefined || r.startsWith('pppoe.');
  }));
});

test('discoveryDestinationProblem: only a PADI may go to a group address (RFC 2516 §5.1-5.5)', () => {
  const at = (dst: string, code: number) => fromHex(`${dst} 020000000002 8863 11 ${code.toString(16).padStart(2, '0')} 0000 0000`);
  assert.equal(discoveryDestinationProblem(at('ffffffffffff', 0x09), 14), undefined, 'PADI broadcast');
  for (const code of [0x07, 0x19, 0x65, 0xa7]) {
    assert.equal(discoveryDestinationProblem(at('ffffffffffff', code), 14), 'pppoe.group-destination', code.toString(16));
    assert.equal(discoveryDestinationProblem(at('01005e000001', code), 14), 'pppoe.group-destination', `${code.toString(16)} multicast`);
    assert.equal(discoveryDestinationProblem(at('020000000001', code), 14), undefined, `${code.toString(16)} unicast`);
  }
  assert.equal(discoveryDestinationProblem(fromHex('ffffffffffff'), 14), undefined, 'too short to judge: the parser counts it');
});
