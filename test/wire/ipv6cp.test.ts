import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ipv6cpPacket, ipv6cpOptions, optionBytes, PppProtocol, type Ipv6cpOption, type Ipv6cpPacket } from '../../src/wire/ppp.js';
import { fromHex, hex } from '../../src/wire/bytes.js';
import { checkReemit, propertyRoundTrip } from '../helpers/codec.js';
import { pppPayloads } from '../helpers/ipv6-captures.js';

const u8 = fc.integer({ min: 0, max: 255 });
const optionArb: fc.Arbitrary<Ipv6cpOption> = fc.oneof(
  fc.uint8Array({ minLength: 8, maxLength: 8 }).map((id) => ({ kind: 'interface-id' as const, id })),
  // Anything else, and an Interface-Identifier whose length is not 8, stays raw.
  fc.record({ kind: fc.constant('raw' as const), type: u8.filter((t) => t !== 1), data: fc.uint8Array({ maxLength: 20 }) }),
  fc.record({ kind: fc.constant('raw' as const), type: fc.constant(1), data: fc.uint8Array({ maxLength: 20 }).filter((d) => d.length !== 8) }),
);
const packetArb: fc.Arbitrary<Ipv6cpPacket> = fc.oneof(
  fc.record({ kind: fc.constantFrom('conf-req' as const, 'conf-ack' as const, 'conf-nak' as const, 'conf-rej' as const), identifier: u8, options: fc.array(optionArb, { maxLength: 4 }) }),
  fc.record({ kind: fc.constantFrom('term-req' as const, 'term-ack' as const), identifier: u8, data: fc.uint8Array({ maxLength: 20 }) }),
  fc.record({ kind: fc.constant('code-rej' as const), identifier: u8, rejected: fc.uint8Array({ maxLength: 20 }) }),
  fc.record({ kind: fc.constant('other' as const), code: u8.filter((c) => c === 0 || c > 7), identifier: u8, data: fc.uint8Array({ maxLength: 20 }) }),
);

test('ipv6cp: parse(emit(x)) = x for every code, the Interface-Identifier and raw options', () => {
  propertyRoundTrip(ipv6cpPacket, packetArb, 1000);
});

test('ipv6cp: the Interface-Identifier option as RFC 5072 §4.1 draws it (type 1, length 10, 64 bits); other lengths kept raw', () => {
  const r = ipv6cpPacket.parse(fromHex('0101000e 010a 759397b329ab2448'));
  assert.ok(r.ok && r.value.kind === 'conf-req');
  const o = r.value.options[0]!;
  assert.ok(o.kind === 'interface-id' && hex(o.id) === '759397b329ab2448');
  assert.equal(hex(optionBytes(ipv6cpOptions, o)), '010a759397b329ab2448');
  const odd = checkReemit(ipv6cpPacket, fromHex('0102000a 0106 01020304'), 'length 6');
  assert.ok(odd.kind === 'conf-req' && odd.options[0]!.kind === 'raw');
  // IPv6-Compression-Protocol (type 2) is raw.
  const c = checkReemit(ipv6cpPacket, fromHex('01030008 0204 0003'), 'compression');
  assert.ok(c.kind === 'conf-req' && c.options[0]!.kind === 'raw' && c.options[0]!.type === 2);
});

test('ipv6cp: bad input gives the error code and offset', () => {
  const cases: [string, string, string, number][] = [
    ['3 octets', '010100', 'ipv6cp.truncated-header', 0],
    ['length below the header', '01010003', 'ipv6cp.length-below-header', 2],
    ['length beyond the frame', '0101000e010a', 'ipv6cp.length-exceeds-frame', 2],
    ['an option of length 1', '01010006 0101', 'ipv6cp.option-length-below-2', 5],
    ['an option beyond the packet', '01010008 010a 0000', 'ipv6cp.option-exceeds-packet', 5],
  ];
  for (const [name, h, code, offset] of cases) {
    const r = ipv6cpPacket.parse(fromHex(h));
    assert.ok(!r.ok, name);
    assert.deepEqual(r.error, { code, offset }, name);
  }
});

test('ipv6cp: every IPV6CP packet of the capture (pppd both ends) re-emits byte for byte', () => {
  const frames = pppPayloads(PppProtocol.IPV6CP);
  assert.equal(frames.length, 4);
  const seen = frames.map(({ frame, payload }) => {
    const p = checkReemit(ipv6cpPacket, payload, `frame ${frame}`);
    assert.ok(p.kind === 'conf-req' || p.kind === 'conf-ack');
    const o = p.options[0]!;
    assert.ok(o.kind === 'interface-id');
    return `${p.kind} ${hex(o.id)}`;
  });
  assert.deepEqual(seen, ['conf-req 759397b329ab2448', 'conf-req 0000000000000001', 'conf-ack 0000000000000001', 'conf-ack 759397b329ab2448']);
});
