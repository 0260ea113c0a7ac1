import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  ipv6, parseIpv6, ipv6Chain, walkIpv6, ipv6UpperLayer, ipv6ToString, parseIpv6Address, ipv6FromString, linkLocalAddress,
  solicitedNodeAddress, NextHeader, IPV6_MAX_EXTENSION_HEADERS, type Ipv6Packet, type Ipv6Extension, type Ipv6Chain,
} from '../../src/wire/ipv6.js';
import { ipv6PseudoHeaderSum, ipv6UpperChecksum, fold } from '../../src/wire/checksum.js';
import { fromHex, hex, u16 } from '../../src/wire/bytes.js';
import { encode } from '../../src/wire/result.js';
import { checkReemit, propertyRoundTrip } from '../helpers/codec.js';
import { ipv6Packets } from '../helpers/ipv6-captures.js';

const u8 = fc.integer({ min: 0, max: 255 });
const addr = fc.uint8Array({ minLength: 16, maxLength: 16 });
const ipv6Arb: fc.Arbitrary<Ipv6Packet> = fc.record({
  trafficClass: u8,
  flowLabel: fc.integer({ min: 0, max: 0xfffff }),
  nextHeader: u8,
  hopLimit: u8,
  src: addr,
  dst: addr,
  payload: fc.uint8Array({ maxLength: 200 }),
});

test('ipv6: parse(emit(x)) = x for every header field and payload, at an offset in a 0xa5 buffer', () => {
  propertyRoundTrip(ipv6, ipv6Arb, 1000);
});

/** TLV lists that fill 8-octet units: options of random sizes then PadN/Pad1 to the boundary. */
const tlvsArb = fc.array(fc.record({ type: fc.integer({ min: 2, max: 255 }), data: fc.uint8Array({ maxLength: 12 }) }), { maxLength: 3 }).map((opts) => {
  let n = 2 + opts.reduce((s, o) => s + 2 + o.data.length, 0);
  const out = [...opts];
  const pad = (8 - (n % 8)) % 8;
  if (pad === 1) out.push({ type: 0, data: new Uint8Array(0) });
  else if (pad > 1) out.push({ type: 1, data: new Uint8Array(pad - 2) });
  n += pad;
  return out;
});
const extArb = (next: number): fc.Arbitrary<Ipv6Extension> => fc.oneof(
  tlvsArb.map((options) => ({ kind: 'destination' as const, nextHeader: next, options })),
  fc.record({ kind: fc.constant('routing' as const), nextHeader: fc.constant(next), routingType: u8, segmentsLeft: u8, data: fc.integer({ min: 0, max: 3 }).chain((k) => fc.uint8Array({ minLength: 4 + 8 * k, maxLength: 4 + 8 * k })) }),
  fc.record({ kind: fc.constant('fragment' as const), nextHeader: fc.constant(next), reserved: u8, fragmentOffset: fc.constant(0), res: fc.integer({ min: 0, max: 3 }), more: fc.boolean(), identification: fc.integer({ min: 0, max: 0xffffffff }) }),
);

test('ipv6 extension chain: parse(emit(x)) = x for hop-by-hop first, then destination / routing / fragment headers, to the upper layer', () => {
  // The chain is generated back to front so each header's Next Header names the one after it.
  const chainArb = fc.tuple(fc.integer({ min: 0, max: 4 }), fc.boolean()).chain(([n, hbh]) => {
    const kinds = fc.array(fc.constantFrom(NextHeader.DESTINATION, NextHeader.ROUTING, NextHeader.FRAGMENT), { minLength: n, maxLength: n });
    return fc.tuple(kinds, tlvsArb, fc.uint8Array({ maxLength: 40 })).chain(([types, hbhOpts, upper]) => {
      const order = hbh ? [NextHeader.HOP_BY_HOP, ...types] : types;
      const nexts = [...order.slice(1), NextHeader.UDP];
      const arbs = order.map((t, i) => {
        if (t === NextHeader.HOP_BY_HOP) return fc.constant<Ipv6Extension>({ kind: 'hop-by-hop', nextHeader: nexts[i]!, options: hbhOpts });
        return extArb(nexts[i]!).filter((e) => (t === NextHeader.DESTINATION ? e.kind === 'destination' : t === NextHeader.ROUTING ? e.kind === 'routing' : e.kind === 'fragment'));
      });
      return fc.tuple(...arbs).map((headers) => ({ first: order[0] ?? NextHeader.UDP, chain: { headers, upper } as Ipv6Chain }));
    });
  });
  fc.assert(fc.property(chainArb, ({ first, chain }) => {
    const codec = ipv6Chain(first);
    propertyRoundTrip(codec, fc.constant(chain), 1);
    const w = walkIpv6(first, encode(codec, chain));
    assert.ok(w.ok);
    assert.equal(w.value.protocol, NextHeader.UDP);
    assert.equal(w.value.offset, codec.encodedLength(chain) - chain.upper.length);
  }), { numRuns: 400 });
});

test('ipv6: the upper layer behind hop-by-hop (router alert) + fragment header is found, and the fragment fields read as RFC 8200 §4.5 lays them out', () => {
  // Hop-by-hop: next = 44, len 0, Router Alert (5, 2, 0x0000), PadN(0).  Fragment: next = 58,
  // reserved 0, offset 0x0000 with M = 1 (octets 00 01), identification 0xdeadbeef. Then 8 octets of ICMPv6.
  const payload = fromHex('2c00 0502 0000 0100' + '3a00 0001 deadbeef' + '8000 0000 0001 0002');
  const w = walkIpv6(NextHeader.HOP_BY_HOP, payload);
  assert.ok(w.ok);
  assert.equal(w.value.protocol, NextHeader.ICMPV6);
  assert.equal(w.value.offset, 16);
  assert.deepEqual({ ...w.value.fragment }, { kind: 'fragment', nextHeader: 58, reserved: 0, fragmentOffset: 0, res: 0, more: true, identification: 0xdeadbeef });
  // A later fragment (offset 185 = 1480 octets, M = 0): the walk stops at it, the bytes after it are not a header.
  const later = fromHex('1100 05c8 00000007' + 'ffff');
  const l = walkIpv6(NextHeader.FRAGMENT, later);
  assert.ok(l.ok);
  assert.equal(l.value.fragment?.fragmentOffset, 185);
  assert.equal(l.value.fragment?.more, false);
  assert.equal(l.value.offset, 8);
});

test('ipv6: bad input gives the error code and the offset where it was found', () => {
  const good = encode(ipv6, { trafficClass: 0, flowLabel: 0, nextHeader: 59, hopLimit: 64, src: new Uint8Array(16), dst: new Uint8Array(16), payload: new Uint8Array(8) });
  const cases: [string, Uint8Array, string, number][] = [
    ['39 octets', good.subarray(0, 39), 'ipv6.truncated', 0],
    ['version 4', Uint8Array.from([0x45, ...good.subarray(1)]), 'ipv6.bad-version', 0],
    ['payload length beyond the frame', good.subarray(0, 47), 'ipv6.truncated', 4],
  ];
  for (const [name, b, code, offset] of cases) {
    const r = parseIpv6(b);
    assert.ok(!r.ok, name);
    assert.deepEqual(r.error, { code, offset }, name);
  }
  // Octets after Payload Length are link padding, not IPv6's.
  const padded = new Uint8Array(good.length + 6);
  padded.set(good);
  const p = parseIpv6(padded);
  assert.ok(p.ok && p.value.payload.length === 8);

  const walk: [string, number, string, string, number][] = [
    ['a header cut short', NextHeader.DESTINATION, '3a', 'ipv6.extension-truncated', 0],
    ['a length beyond the payload', NextHeader.DESTINATION, '3a01 0000 0000 0000', 'ipv6.extension-truncated', 1],
    ['an option beyond its header', NextHeader.DESTINATION, '3a00 0105 0000 0000', 'ipv6.option-exceeds-header', 3],
    ['a fragment header of 6 octets', NextHeader.FRAGMENT, '3a00 0000 0000', 'ipv6.extension-truncated', 0],
    // RFC 8200 §4.1: Hop-by-Hop only right after the IPv6 header; the second header here is one.
    ['hop-by-hop after a destination header', NextHeader.DESTINATION, '0000 0104 0000 0000' + '3a00 0104 0000 0000', 'ipv6.hop-by-hop-not-first', 8],
  ];
  for (const [name, first, h, code, offset] of walk) {
    const r = walkIpv6(first, fromHex(h));
    assert.ok(!r.ok, name);
    assert.deepEqual(r.error, { code, offset }, name);
  }
});

test('ipv6: the walk is bounded: the header past IPV6_MAX_EXTENSION_HEADERS fails at its offset', () => {
  const one = (next: number): string => `${next.toString(16).padStart(2, '0')}00 0104 0000 0000`;
  const chain = (n: number): Uint8Array => fromHex(Array.from({ length: n }, (_, i) => one(i === n - 1 ? 58 : 60)).join('') + '80000000');
  const atLimit = walkIpv6(NextHeader.DESTINATION, chain(IPV6_MAX_EXTENSION_HEADERS));
  assert.ok(atLimit.ok && atLimit.value.protocol === 58 && atLimit.value.offset === 8 * IPV6_MAX_EXTENSION_HEADERS);
  const over = walkIpv6(NextHeader.DESTINATION, chain(IPV6_MAX_EXTENSION_HEADERS + 1));
  assert.ok(!over.ok);
  assert.deepEqual(over.error, { code: 'ipv6.too-many-extension-headers', offset: 8 * IPV6_MAX_EXTENSION_HEADERS });
  // A smaller limit is honoured too.
  const r = walkIpv6(NextHeader.DESTINATION, chain(3), 2);
  assert.ok(!r.ok && r.error.code === 'ipv6.too-many-extension-headers' && r.error.offset === 16);
  // 10,000 headers in a 64 KiB payload cost no more than the limit.
  assert.ok(!walkIpv6(NextHeader.DESTINATION, chain(8000)).ok);
});

test('ipv6: every IPv6 packet of the pppd/dhcpcd/radvd/dibbler capture re-emits byte for byte, its extension chain too', () => {
  const pkts = ipv6Packets();
  assert.equal(pkts.length, 39);
  let withHbh = 0;
  for (const p of pkts) {
    const v = checkReemit(ipv6, p.ip, `frame ${p.frame}`);
    const chain = checkReemit(ipv6Chain(v.nextHeader), v.payload, `frame ${p.frame} extension headers`);
    if (chain.headers.length) {
      withHbh++;
      // MLDv2 reports carry a Hop-by-Hop header with Router Alert (RFC 3810 §5, RFC 2711: value 0 = MLD).
      assert.equal(v.nextHeader, NextHeader.HOP_BY_HOP);
      const h = chain.headers[0]!;
      assert.ok(h.kind === 'hop-by-hop' && h.options.some((o) => o.type === 5 && hex(o.data) === '0000'), `frame ${p.frame}`);
    }
    const u = ipv6UpperLayer(v);
    assert.ok(u.ok);
    assert.ok(u.value.protocol === NextHeader.ICMPV6 || u.value.protocol === NextHeader.UDP);
  }
  assert.equal(withHbh, 6); // frames 37, 38, 39, 41, 42, 45
});

test('ipv6 pseudo-header checksum (RFC 8200 §8.1): every ICMPv6 and UDP checksum Linux wrote in the capture is what we compute', () => {
  let n = 0;
  for (const p of ipv6Packets()) {
    const at = p.protocol === NextHeader.UDP ? 6 : 2;
    assert.equal(ipv6UpperChecksum(p.src, p.dst, p.protocol, p.upper, 0, p.upper.length, at), u16(p.upper, at), `frame ${p.frame}`);
    n++;
  }
  assert.equal(n, 39);
  // By hand: ::1 to ::2, next header 58, length 0x10004: sum = 1 + 2 + 1 + 4 + 58.
  const a = new Uint8Array(16);
  const b = new Uint8Array(16);
  a[15] = 1;
  b[15] = 2;
  assert.equal(fold(ipv6PseudoHeaderSum(a, b, 58, 0x10004)), 66);
});

test('ipv6 addresses: RFC 5952 text out, strict text in', () => {
  const cases: [string, string][] = [
    ['2001:0db8:0000:0000:0000:ff00:0042:8329', '2001:db8::ff00:42:8329'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'], // the first of two equal runs (§4.2.3)
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'], // one zero group is not shortened (§4.2.2)
    ['::', '::'],
    ['::1', '::1'],
    ['fe80::7593:97b3:29ab:2448', 'fe80::7593:97b3:29ab:2448'],
    ['::ffff:192.0.2.1', '::ffff:c000:201'],
    ['FF02::1:2', 'ff02::1:2'],
  ];
  for (const [input, text] of cases) {
    const a = parseIpv6Address(input);
    assert.ok(a, input);
    assert.equal(ipv6ToString(a), text, input);
  }
  for (const bad of ['', ':', '1::2::3', '2001:db8::g', '12345::', '1:2:3:4:5:6:7', '1:2:3:4:5:6:7:8:9', 'fe80::1%eth0', '2001:db8::/32', '::1.2.3.256', '::01.2.3.4']) {
    assert.equal(parseIpv6Address(bad), undefined, bad);
  }
  assert.throws(() => ipv6FromString('nope'), /bad IPv6 address/);
  fc.assert(fc.property(addr, (a) => assert.deepEqual(parseIpv6Address(ipv6ToString(a)), a)), { numRuns: 500 });
  assert.equal(ipv6ToString(linkLocalAddress(fromHex('7593 97b3 29ab 2448'))), 'fe80::7593:97b3:29ab:2448');
  assert.equal(ipv6ToString(solicitedNodeAddress(ipv6FromString('2001:db8::ff00:42:8329'))), 'ff02::1:ff42:8329');
});
