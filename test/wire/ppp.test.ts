import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  pppFrame, lcpPacket, ipcpPacket, ipv6cpPacket, ccpPacket, PppProtocol, optionBytes, lcpOptions, cpCode, optionListWellFormed, parseOptions,
  type ControlPacket, type NcpPacket, type LcpOption, type IpcpOption, type RawOption, type PppFrame,
} from '../../src/wire/ppp.js';
import { chapPacket, chapMd5Response, chapMd5Verify, type ChapPacket } from '../../src/wire/chap.js';
import { papPacket, type PapPacket } from '../../src/wire/pap.js';
import { pppoeSession } from '../../src/wire/pppoe.js';
import { encode, type Codec } from '../../src/wire/result.js';
import { fromHex, hex, textBytes, ipv4FromString } from '../../src/wire/bytes.js';
import { checkReemit, propertyRoundTrip, fuzzDecoder } from '../helpers/codec.js';
import { pppoeFrames, l2tpPppFrames } from '../helpers/ppp-captures.js';

const bytes = (max: number, min = 0): fc.Arbitrary<Uint8Array> => fc.uint8Array({ minLength: min, maxLength: max });
const u8 = fc.integer({ min: 0, max: 255 });
const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.integer({ min: 0, max: 0xffffffff });

const frameArb: fc.Arbitrary<PppFrame> = fc.oneof(
  fc.record({ protocol: u16.map((p) => (p & 0xfeff) | 1), payload: bytes(40) }),
  fc.record({ acf: fc.constant(true as const), protocol: u16.map((p) => (p & 0xfeff) | 1), payload: bytes(40) }),
  fc.record({ pfc: fc.constant(true as const), protocol: u8.map((p) => p | 1).filter((p) => p !== 0xff), payload: bytes(40) }),
  fc.record({ acf: fc.constant(true as const), pfc: fc.constant(true as const), protocol: u8.map((p) => p | 1), payload: bytes(40) }),
);

const LCP_KNOWN = new Set([1, 2, 3, 5, 7, 8]);
const rawArb = (known: Set<number>): fc.Arbitrary<RawOption> =>
  fc.record({ kind: fc.constant('raw' as const), type: u8.filter((t) => !known.has(t)), data: bytes(30) });

export const lcpOptionArb: fc.Arbitrary<LcpOption> = fc.oneof(
  u16.map((mru) => ({ kind: 'mru' as const, mru })),
  u32.map((accm) => ({ kind: 'accm' as const, accm })),
  u32.map((magic) => ({ kind: 'magic' as const, magic })),
  fc.constant({ kind: 'pfc' as const }),
  fc.constant({ kind: 'acfc' as const }),
  u8.map((algorithm) => ({ kind: 'auth' as const, protocol: PppProtocol.CHAP, algorithm })),
  fc.tuple(u8, bytes(5, 1)).map(([algorithm, data]) => ({ kind: 'auth' as const, protocol: PppProtocol.CHAP, algorithm, data })),
  u16.filter((p) => p !== PppProtocol.CHAP).map((protocol) => ({ kind: 'auth' as const, protocol })),
  fc.tuple(u16.filter((p) => p !== PppProtocol.CHAP), bytes(5, 1)).map(([protocol, data]) => ({ kind: 'auth' as const, protocol, data })),
  rawArb(LCP_KNOWN),
);

const ipcpOptionArb: fc.Arbitrary<IpcpOption> = fc.oneof(
  fc.record({ kind: fc.constantFrom('ip-address' as const, 'primary-dns' as const, 'secondary-dns' as const), address: u32 }),
  rawArb(new Set([3, 129, 131])),
);

function cpArb<O>(opt: fc.Arbitrary<O>, lcp: boolean): fc.Arbitrary<ControlPacket<O>> {
  const id = u8;
  const common: fc.Arbitrary<ControlPacket<O>>[] = [
    fc.record({ kind: fc.constantFrom('conf-req' as const, 'conf-ack' as const, 'conf-nak' as const, 'conf-rej' as const), identifier: id, options: fc.array(opt, { maxLength: 6 }) }),
    fc.record({ kind: fc.constantFrom('term-req' as const, 'term-ack' as const), identifier: id, data: bytes(20) }),
    fc.record({ kind: fc.constant('code-rej' as const), identifier: id, rejected: bytes(20) }),
    fc.record({ kind: fc.constant('other' as const), code: u8.filter((c) => c === 0 || c > (lcp ? 11 : 7)), identifier: id, data: bytes(20) }),
  ];
  if (lcp) {
    common.push(
      fc.record({ kind: fc.constant('proto-rej' as const), identifier: id, protocol: u16, data: bytes(20) }),
      fc.record({ kind: fc.constantFrom('echo-req' as const, 'echo-reply' as const, 'discard-req' as const), identifier: id, magic: u32, data: bytes(20) }),
    );
  }
  return fc.oneof(...common);
}

const chapArb: fc.Arbitrary<ChapPacket> = fc.oneof(
  fc.record({ kind: fc.constantFrom('challenge' as const, 'response' as const), identifier: u8, value: bytes(255), name: bytes(30) }),
  fc.record({ kind: fc.constantFrom('success' as const, 'failure' as const), identifier: u8, message: bytes(30) }),
  fc.record({ kind: fc.constant('other' as const), code: u8.filter((c) => c === 0 || c > 4), identifier: u8, data: bytes(20) }),
);

const papArb: fc.Arbitrary<PapPacket> = fc.oneof(
  fc.record({ kind: fc.constant('auth-req' as const), identifier: u8, peerId: bytes(255), password: bytes(255) }),
  fc.record({ kind: fc.constantFrom('auth-ack' as const, 'auth-nak' as const), identifier: u8, message: bytes(255) }),
  fc.record({ kind: fc.constant('other' as const), code: u8.filter((c) => c === 0 || c > 3), identifier: u8, data: bytes(20) }),
);

test('PPP frame: parse(emit(x)) = x with and without Address/Control and PFC', () => {
  propertyRoundTrip(pppFrame, frameArb, 1000);
});

test('LCP: parse(emit(x)) = x for every code and option', () => {
  propertyRoundTrip(lcpPacket, cpArb(lcpOptionArb, true), 1500);
});

test('IPCP, IPV6CP, CCP: parse(emit(x)) = x', () => {
  propertyRoundTrip(ipcpPacket, cpArb(ipcpOptionArb, false) as fc.Arbitrary<NcpPacket<IpcpOption>>, 800);
  const raw = cpArb(rawArb(new Set()), false) as fc.Arbitrary<NcpPacket<RawOption>>;
  // IPV6CP's Interface-Identifier (type 1) has its own arbitrary in test/wire/ipv6cp.test.ts.
  propertyRoundTrip(ipv6cpPacket, cpArb(rawArb(new Set([1])), false) as fc.Arbitrary<NcpPacket<RawOption>>, 300);
  propertyRoundTrip(ccpPacket, raw, 300);
});

test('CHAP and PAP: parse(emit(x)) = x', () => {
  propertyRoundTrip(chapPacket, chapArb, 800);
  propertyRoundTrip(papPacket, papArb, 800);
});

const CODECS: Record<number, Codec<unknown>> = {
  [PppProtocol.LCP]: lcpPacket as Codec<unknown>,
  [PppProtocol.IPCP]: ipcpPacket as Codec<unknown>,
  [PppProtocol.IPV6CP]: ipv6cpPacket as Codec<unknown>,
  [PppProtocol.CCP]: ccpPacket as Codec<unknown>,
  [PppProtocol.CHAP]: chapPacket as Codec<unknown>,
  [PppProtocol.PAP]: papPacket as Codec<unknown>,
};

function reemitPpp(ppp: Uint8Array, what: string): { protocol: number; value: unknown } {
  const f = checkReemit(pppFrame, ppp, what);
  const c = CODECS[f.protocol];
  return { protocol: f.protocol, value: c ? checkReemit(c, f.payload, `${what} ${f.protocol.toString(16)}`) : undefined };
}

test('every PPP frame of the pppd capture (in PPPoE) re-emits byte for byte, at every layer', () => {
  const seen = new Map<number, number>();
  for (const f of pppoeFrames().filter((x) => x.ethertype === 0x8864)) {
    const s = pppoeSession.parse(f.pppoe);
    assert.ok(s.ok);
    const { protocol } = reemitPpp(s.value.payload, `frame ${f.frame}`);
    seen.set(protocol, (seen.get(protocol) ?? 0) + 1);
  }
  assert.deepEqual(Object.fromEntries([...seen].map(([k, v]) => [PppProtocol.LCP === k ? 'lcp' : k.toString(16), v])), {
    lcp: 11, c223: 3, '80fd': 6, '8021': 8, '8057': 4, '57': 2, '21': 6,
  });
});

test('every PPP frame carried in L2TP by xl2tpd re-emits byte for byte (Address/Control kept)', () => {
  const frames = l2tpPppFrames();
  assert.equal(frames.length, 31);
  const kinds: string[] = [];
  for (const f of frames) {
    const r = reemitPpp(f.ppp, `frame ${f.frame}`);
    const fr = pppFrame.parse(f.ppp);
    assert.ok(fr.ok && fr.value.acf === true && fr.value.pfc === undefined, `frame ${f.frame} has ff 03`);
    if (r.protocol === PppProtocol.LCP) kinds.push((r.value as ControlPacket<LcpOption>).kind);
  }
  assert.deepEqual(kinds, ['conf-req', 'conf-req', 'conf-ack', 'conf-ack', 'echo-req', 'echo-req', 'echo-reply', 'echo-reply', 'term-req', 'term-ack']);
});

test('the real CHAP-MD5 Responses check against "secret" (pppd in PPPoE and in L2TP)', () => {
  const secret = textBytes('secret');
  for (const [frames, name] of [
    [pppoeFrames().filter((f) => f.ethertype === 0x8864).map((f) => { const s = pppoeSession.parse(f.pppoe); assert.ok(s.ok); return s.value.payload; }), 'pppoe'],
    [l2tpPppFrames().map((f) => f.ppp), 'l2tp'],
  ] as const) {
    const chap = frames.map((b) => pppFrame.parse(b)).flatMap((r) => (r.ok && r.value.protocol === PppProtocol.CHAP ? [chapPacket.parse(r.value.payload)] : []));
    const ch = chap.find((r) => r.ok && r.value.kind === 'challenge');
    const rs = chap.find((r) => r.ok && r.value.kind === 'response');
    assert.ok(ch?.ok && ch.value.kind === 'challenge' && rs?.ok && rs.value.kind === 'response', name);
    assert.equal(rs.value.identifier, ch.value.identifier);
    assert.equal(new TextDecoder().decode(rs.value.name), 'user@isp.example');
    assert.ok(chapMd5Verify(rs.value.identifier, secret, ch.value.value, rs.value.value), `${name}: response verifies`);
    assert.ok(!chapMd5Verify(rs.value.identifier, textBytes('wrong'), ch.value.value, rs.value.value));
    assert.ok(!chapMd5Verify(rs.value.identifier ^ 1, secret, ch.value.value, rs.value.value));
    assert.equal(hex(chapMd5Response(rs.value.identifier, secret, ch.value.value)), hex(rs.value.value));
  }
});

test('option helpers and known options with a wrong length kept raw', () => {
  assert.equal(hex(optionBytes(lcpOptions, { kind: 'auth', protocol: PppProtocol.CHAP, algorithm: 5 })), '0305c22305');
  assert.equal(hex(optionBytes(lcpOptions, { kind: 'auth', protocol: PppProtocol.PAP })), '0304c023');
  // MRU with three octets, Magic with two: not decodable, so raw (and the engine rejects them).
  const r = lcpPacket.parse(fromHex('0101000d' + '010305' + '05040102' + '0702'));
  assert.ok(r.ok && r.value.kind === 'conf-req');
  assert.deepEqual(r.value.options.map((o) => o.kind), ['raw', 'raw', 'pfc']);
  assert.equal(cpCode(r.value), 1);
  // IPCP DNS options (RFC 1877).
  const ip = encode(ipcpPacket, { kind: 'conf-nak', identifier: 3, options: [{ kind: 'ip-address', address: ipv4FromString('10.0.0.2') }, { kind: 'primary-dns', address: ipv4FromString('192.0.2.53') }, { kind: 'secondary-dns', address: ipv4FromString('192.0.2.54') }] });
  assert.equal(hex(ip), '03030016' + '03060a000002' + '8106c0000235' + '8306c0000236');
});

const BAD: [Codec<unknown>, string, string, string, number][] = [
  [pppFrame as Codec<unknown>, 'empty frame', '', 'ppp.truncated-protocol', 0],
  [pppFrame as Codec<unknown>, 'only ff 03', 'ff03', 'ppp.truncated-protocol', 2],
  [pppFrame as Codec<unknown>, 'one even octet', 'c0', 'ppp.truncated-protocol', 0],
  [pppFrame as Codec<unknown>, 'even protocol', 'c020', 'ppp.protocol-not-odd', 1],
  [lcpPacket as Codec<unknown>, 'three octets', '010100', 'lcp.truncated-header', 0],
  [lcpPacket as Codec<unknown>, 'Length 3', '01010003', 'lcp.length-below-header', 2],
  [lcpPacket as Codec<unknown>, 'Length beyond the frame', '0101000a010405d4', 'lcp.length-exceeds-frame', 2],
  [lcpPacket as Codec<unknown>, 'option length 0 (would loop)', '0101000a01000000' + '0000', 'lcp.option-length-below-2', 5],
  [lcpPacket as Codec<unknown>, 'option length 1 (would loop)', '010100060101', 'lcp.option-length-below-2', 5],
  [lcpPacket as Codec<unknown>, 'option beyond Length', '0101000801060000', 'lcp.option-exceeds-packet', 5],
  [lcpPacket as Codec<unknown>, 'one octet of option', '0101000501', 'lcp.truncated-option', 4],
  [lcpPacket as Codec<unknown>, 'echo without magic', '0900000600ff', 'lcp.echo-without-magic', 2],
  [lcpPacket as Codec<unknown>, 'protocol-reject without protocol', '0801000500', 'lcp.protocol-reject-without-protocol', 2],
  [ipcpPacket as Codec<unknown>, 'IPCP option length 0', '010100060300', 'ipcp.option-length-below-2', 5],
  [chapPacket as Codec<unknown>, 'CHAP Challenge without Value-Size', '01010004', 'chap.missing-value-size', 2],
  [chapPacket as Codec<unknown>, 'CHAP Value-Size lying', '0101000610aa', 'chap.value-exceeds-packet', 4],
  [chapPacket as Codec<unknown>, 'CHAP Length lying', '0301000a4f4b', 'chap.length-exceeds-frame', 2],
  [papPacket as Codec<unknown>, 'PAP Peer-ID length lying', '0101000705616263', 'pap.peer-id-exceeds-packet', 4],
  [papPacket as Codec<unknown>, 'PAP password length lying', '010100080161' + '0570', 'pap.password-exceeds-packet', 6],
  [papPacket as Codec<unknown>, 'PAP Ack without Msg-Length', '02010004', 'pap.missing-msg-length', 2],
  [papPacket as Codec<unknown>, 'PAP octets after the password', '0101000801610070', 'pap.trailing-octets', 7],
];

test('bad PPP input gives the error code and offset, never a throw', () => {
  for (const [codec, what, h, code, offset] of BAD) {
    const r = codec.parse(fromHex(h));
    assert.equal(r.ok, false, what);
    if (!r.ok) assert.deepEqual({ code: r.error.code, offset: r.error.offset }, { code, offset }, what);
  }
});

test('PPP decoders survive 20,000 mutated real packets each', () => {
  const payloads = new Map<number, Uint8Array[]>();
  for (const f of l2tpPppFrames()) {
    const fr = pppFrame.parse(f.ppp);
    if (fr.ok) payloads.set(fr.value.protocol, [...(payloads.get(fr.value.protocol) ?? []), fr.value.payload]);
  }
  for (const [p, codec] of Object.entries(CODECS)) {
    const seeds = payloads.get(Number(p)) ?? [encode(papPacket, { kind: 'auth-req', identifier: 1, peerId: textBytes('u'), password: textBytes('p') })];
    const r = fuzzDecoder(codec.parse, seeds, 20_000, Number(p));
    assert.ok(r.ok > 0 && r.errors.size > 0, `protocol ${p}`);
  }
  const r = fuzzDecoder(pppFrame.parse, l2tpPppFrames().map((f) => f.ppp), 20_000, 9);
  assert.ok(r.ok > 0 && r.errors.size > 0);
});

test('optionListWellFormed agrees with parseOptions over LCP options, for any octets', () => {
  const e = { truncated: 't', lengthTooSmall: 's', lengthExceeds: 'x', optionTruncated: 'ot', optionBadLength: 'ob', optionOverrun: 'oo', echoShort: 'e', protoRejShort: 'p' };
  // Lists of options whose Length is right or often wrong (0, 1, too long, too short), and arbitrary octets, cut anywhere.
  const option = fc.tuple(fc.integer({ min: 0, max: 255 }), fc.uint8Array({ maxLength: 8 }), fc.integer({ min: -3, max: 2 }))
    .map(([t, d, off]) => [t, off === 2 ? d.length + 2 : Math.max(0, d.length + 2 + off), ...d]);
  const list = fc.array(option, { maxLength: 6 }).map((os) => Uint8Array.from(os.flat()));
  fc.assert(fc.property(fc.oneof(list, fc.uint8Array({ maxLength: 40 })), fc.nat(), (b, cut) => {
    const end = b.length === 0 ? 0 : cut % (b.length + 1);
    assert.equal(optionListWellFormed(b, 0, end), parseOptions(lcpOptions, b, 0, end, e).ok);
  }));
  assert.equal(optionListWellFormed(fromHex('010405d4 05061a2b3c4d'), 0, 10), true);
  assert.equal(optionListWellFormed(fromHex('0101'), 0, 2), false, 'a Length below 2');
  assert.equal(optionListWellFormed(fromHex('01010102'), 0, 4), false, 'a Length of 1 before a whole option');
  assert.equal(optionListWellFormed(fromHex('010405'), 0, 3), false, 'an option cut short');
});
