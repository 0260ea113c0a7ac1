import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  icmpv6, parseIcmpv6, icmpv6ChecksumOk, fillIcmpv6Checksum, icmpv6Checksum, isIcmpv6Error, Icmpv6Type, type Icmpv6Message,
} from '../../src/wire/icmpv6.js';
import { ndp, parseNdp, parseNdpOptions, lla, NaFlag, PrefixFlag, RaFlag, type NdpMessage, type NdpOption } from '../../src/wire/ndp.js';
import { ipv6FromString, ipv6ToString, parseIpv6, NextHeader } from '../../src/wire/ipv6.js';
import { icmpv6Packet, ndpPacket } from '../../src/wire/ipv6-packets.js';
import { fromHex, hex, macFromString } from '../../src/wire/bytes.js';
import { encode } from '../../src/wire/result.js';
import { checkReemit, propertyRoundTrip } from '../helpers/codec.js';
import { icmpv6Messages } from '../helpers/ipv6-captures.js';

const u8 = fc.integer({ min: 0, max: 255 });
const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const bytes = fc.uint8Array({ maxLength: 120 });
const addr = fc.uint8Array({ minLength: 16, maxLength: 16 });

const icmpv6Arb: fc.Arbitrary<Icmpv6Message> = fc.oneof(
  fc.record({ kind: fc.constant('echo' as const), type: fc.constantFrom(128, 129), code: u8, checksum: u16, identifier: u16, sequence: u16, data: bytes }),
  fc.record({ kind: fc.constant('dest-unreachable' as const), code: u8, checksum: u16, unused: u32, original: bytes }),
  fc.record({ kind: fc.constant('packet-too-big' as const), code: u8, checksum: u16, mtu: u32, original: bytes }),
  fc.record({ kind: fc.constant('time-exceeded' as const), code: u8, checksum: u16, unused: u32, original: bytes }),
  fc.record({ kind: fc.constant('parameter-problem' as const), code: u8, checksum: u16, pointer: u32, original: bytes }),
  fc.record({ kind: fc.constant('other' as const), type: u8.filter((t) => !(t >= 1 && t <= 4) && t !== 128 && t !== 129), code: u8, checksum: u16, body: bytes }),
);

test('icmpv6: parse(emit(x)) = x for echo, the four RFC 4443 errors and any other type', () => {
  propertyRoundTrip(icmpv6, icmpv6Arb, 1500);
});

test('icmpv6: bad input gives the error code and offset', () => {
  assert.deepEqual(parseIcmpv6(fromHex('8000 00')), { ok: false, error: { code: 'icmpv6.truncated', offset: 0 } });
  // An echo request needs identifier and sequence (RFC 4443 §4.1).
  assert.deepEqual(parseIcmpv6(fromHex('8000 0000 0001')), { ok: false, error: { code: 'icmpv6.truncated', offset: 4 } });
  assert.deepEqual(parseIcmpv6(fromHex('0200 0000 0000')), { ok: false, error: { code: 'icmpv6.truncated', offset: 4 } });
  // Types it does not type need no more than the header.
  assert.ok(parseIcmpv6(fromHex('8f00 0000')).ok);
  assert.ok(isIcmpv6Error(Icmpv6Type.PACKET_TOO_BIG) && !isIcmpv6Error(Icmpv6Type.ECHO_REQUEST) && !isIcmpv6Error(Icmpv6Type.ROUTER_ADVERTISEMENT));
});

test('icmpv6 checksum: a packet built by icmpv6Packet verifies, a flipped bit does not, and the value is RFC 8200 §8.1\'s', () => {
  const src = ipv6FromString('2001:db8:ffff::1000');
  const dst = ipv6FromString('2001:db8:ffff::1');
  fc.assert(fc.property(icmpv6Arb, (m) => {
    const pkt = icmpv6Packet({ src, dst }, m);
    const ip = parseIpv6(pkt);
    assert.ok(ip.ok && ip.value.nextHeader === NextHeader.ICMPV6 && ip.value.hopLimit === 64);
    const body = ip.value.payload;
    assert.ok(icmpv6ChecksumOk(src, dst, body));
    body[body.length - 1]! ^= 0x10;
    assert.ok(!icmpv6ChecksumOk(src, dst, body));
  }), { numRuns: 300 });
  // The capture's frame 62 (Linux ping6 2001:db8:ffff::1000 → ::1): its checksum field is what we compute.
  const f62 = icmpv6Messages().find((p) => p.frame === 62)!;
  const copy = f62.upper.slice();
  copy[2] = 0;
  copy[3] = 0;
  fillIcmpv6Checksum(f62.src, f62.dst, copy, 0, copy.length);
  assert.equal(hex(copy), hex(f62.upper));
  assert.equal(icmpv6Checksum(f62.src, f62.dst, f62.upper, 0, f62.upper.length), (f62.upper[2]! << 8) | f62.upper[3]!);
});

const optionArb: fc.Arbitrary<NdpOption> = fc.oneof(
  fc.record({ kind: fc.constantFrom('source-lla' as const, 'target-lla' as const), address: fc.integer({ min: 1, max: 3 }).chain((k) => fc.uint8Array({ minLength: 8 * k - 2, maxLength: 8 * k - 2 })) }),
  fc.record({ kind: fc.constant('prefix' as const), prefixLength: u8, flags: u8, validLifetime: u32, preferredLifetime: u32, reserved: u32, prefix: addr }),
  fc.record({ kind: fc.constant('mtu' as const), reserved: u16, mtu: u32 }),
  fc.record({ kind: fc.constant('rdnss' as const), reserved: u16, lifetime: u32, servers: fc.array(addr, { minLength: 1, maxLength: 3 }) }),
  fc.record({ kind: fc.constant('raw' as const), type: u8.filter((t) => ![1, 2, 3, 5, 25].includes(t)), data: fc.integer({ min: 1, max: 3 }).chain((k) => fc.uint8Array({ minLength: 8 * k - 2, maxLength: 8 * k - 2 })) }),
);
const opts = fc.array(optionArb, { maxLength: 4 });
const ndpArb: fc.Arbitrary<NdpMessage> = fc.oneof(
  fc.record({ kind: fc.constant('rs' as const), code: u8, checksum: u16, reserved: u32, options: opts }),
  fc.record({ kind: fc.constant('ra' as const), code: u8, checksum: u16, curHopLimit: u8, flags: u8, routerLifetime: u16, reachableTime: u32, retransTimer: u32, options: opts }),
  fc.record({ kind: fc.constant('ns' as const), code: u8, checksum: u16, reserved: u32, target: addr, options: opts }),
  fc.record({ kind: fc.constant('na' as const), code: u8, checksum: u16, flags: u32, target: addr, options: opts }),
  fc.record({ kind: fc.constant('redirect' as const), code: u8, checksum: u16, body: bytes }),
);

test('ndp: parse(emit(x)) = x for RS, RA, NS, NA (every option kind) and the opaque redirect', () => {
  propertyRoundTrip(ndp, ndpArb, 1500);
});

test('ndp: an RA written out from RFC 4861 §4.2 / §4.6 and RFC 8106 §5.1 octet by octet parses to its fields', () => {
  const ra = fromHex(
    '86 00 0000' + // type 134, code 0, checksum
    '40 c0 0708' + // cur hop limit 64, M and O, router lifetime 1800 s
    '00000000 00000000' + // reachable time, retrans timer
    '03 04 40 c0 00278d00 00093a80 00000000 20010db8ffff00000000000000000000' + // prefix 2001:db8:ffff::/64 L A, 30 days / 7 days
    '05 01 0000 000005d4' + // MTU 1492
    '19 03 0000 00000e10 20010db8000000000000000000000053' + // RDNSS lifetime 3600, 2001:db8::53
    '01 01 020000000001', // source link-layer address 02:00:00:00:00:01
  );
  const r = parseNdp(ra);
  assert.ok(r.ok && r.value.kind === 'ra');
  const v = r.value;
  assert.equal(v.curHopLimit, 64);
  assert.equal(v.flags, RaFlag.MANAGED | RaFlag.OTHER);
  assert.equal(v.routerLifetime, 1800);
  const [pi, mtu, rdnss, sll] = v.options;
  assert.ok(pi?.kind === 'prefix' && pi.prefixLength === 64 && pi.flags === (PrefixFlag.ON_LINK | PrefixFlag.AUTONOMOUS));
  assert.equal(pi.validLifetime, 2592000);
  assert.equal(pi.preferredLifetime, 604800);
  assert.equal(ipv6ToString(pi.prefix), '2001:db8:ffff::');
  assert.ok(mtu?.kind === 'mtu' && mtu.mtu === 1492);
  assert.ok(rdnss?.kind === 'rdnss' && rdnss.lifetime === 3600 && rdnss.servers.length === 1 && ipv6ToString(rdnss.servers[0]!) === '2001:db8::53');
  assert.ok(sll?.kind === 'source-lla' && hex(sll.address) === '020000000001');
  checkReemit(ndp, ra, 'RA');
  assert.deepEqual(encode(ndp, { kind: 'ra', code: 0, checksum: 0, curHopLimit: 64, flags: 0xc0, routerLifetime: 1800, reachableTime: 0, retransTimer: 0, options: [pi, mtu, rdnss, lla('source-lla', macFromString('02:00:00:00:00:01'))] }), ra);
  // An NA with R, S, O (RFC 4861 §4.4: the top three bits).
  const na = parseNdp(fromHex('8800 0000 e0000000 fe800000000000000000000000000001'));
  assert.ok(na.ok && na.value.kind === 'na' && na.value.flags === (NaFlag.ROUTER | NaFlag.SOLICITED | NaFlag.OVERRIDE) >>> 0);
});

test('ndp: known options with a length the RFC does not allow, and unknown ones, are kept raw and re-emit', () => {
  // Prefix information of 3 units, MTU of 2, RDNSS of 2 (RFC 8106: 1 + 2n), DNSSL (31) unknown here.
  const rs = fromHex('8500 0000 00000000' + '0303' + '00'.repeat(22) + '0502' + '00'.repeat(14) + '1902' + '00'.repeat(14) + '1f01 000000000000');
  const r = checkReemit(ndp, rs, 'RS with odd options');
  assert.ok(r.kind === 'rs');
  assert.deepEqual(r.options.map((o) => (o.kind === 'raw' ? o.type : o.kind)), [3, 5, 25, 31]);
});

test('ndp: bad input gives the error code and offset', () => {
  const cases: [string, string, string, number][] = [
    ['3 octets', '8500 00', 'ndp.truncated', 0],
    ['not an NDP type', '8000 0000 0000 0000', 'ndp.not-ndp', 0],
    ['an RA cut in its fixed part', '8600 0000 4000 0000', 'ndp.truncated', 4],
    ['an NS without its target', '8700 0000 00000000 fe80', 'ndp.truncated', 4],
    // RFC 4861 §4.6: "Nodes MUST silently discard an ND packet that contains an option with length zero."
    ['an option of length zero', '8500 0000 00000000 0100 000000000000', 'ndp.option-length-zero', 9],
    ['an option beyond the message', '8500 0000 00000000 0102 000000000000', 'ndp.option-exceeds-message', 9],
    ['one octet of option', '8500 0000 00000000 01', 'ndp.option-truncated', 8],
  ];
  for (const [name, h, code, offset] of cases) {
    const r = parseNdp(fromHex(h));
    assert.ok(!r.ok, name);
    assert.deepEqual(r.error, { code, offset }, name);
  }
  assert.ok(parseNdpOptions(new Uint8Array(0), 0).ok);
  assert.throws(() => encode(ndp, { kind: 'rs', code: 0, checksum: 0, reserved: 0, options: [{ kind: 'source-lla', address: new Uint8Array(5) }] }), /units of 8/);
});

test('icmpv6 and ndp: every ICMPv6 message of the capture re-emits byte for byte and its checksum verifies; RS, RA, NA read as radvd and Linux sent them', () => {
  const msgs = icmpv6Messages();
  const kinds: string[] = [];
  for (const m of msgs) {
    const v = checkReemit(icmpv6, m.upper, `frame ${m.frame}`);
    assert.ok(icmpv6ChecksumOk(m.src, m.dst, m.upper), `frame ${m.frame} checksum`);
    if (v.kind === 'other' && v.type >= 133 && v.type <= 137) {
      const n = checkReemit(ndp, m.upper, `frame ${m.frame} NDP`);
      kinds.push(n.kind);
      if (n.kind === 'ra') {
        // radvd: prefix 2001:db8:ffff::/64, on-link and autonomous (the capture's README).
        const pi = n.options.find((o) => o.kind === 'prefix');
        assert.ok(pi?.kind === 'prefix' && ipv6ToString(pi.prefix) === '2001:db8:ffff::' && pi.prefixLength === 64 && (pi.flags & 0xc0) === 0xc0);
        assert.equal(n.flags & RaFlag.OTHER, RaFlag.OTHER);
      }
      if (n.kind === 'na') assert.equal(n.flags & NaFlag.OVERRIDE, NaFlag.OVERRIDE);
    } else kinds.push(v.kind === 'other' ? `type-${v.type}` : v.kind);
  }
  const tally = Object.fromEntries([...new Set(kinds)].map((k) => [k, kinds.filter((x) => x === k).length]));
  assert.deepEqual(tally, { rs: 3, 'type-143': 6, ra: 2, na: 6, echo: 18 });
});

test('ndpPacket: hop limit 255 (RFC 4861 §6.1.2) and a checksum that verifies', () => {
  const src = ipv6FromString('fe80::1');
  const dst = ipv6FromString('ff02::1');
  const pkt = ndpPacket({ src, dst }, { kind: 'ra', code: 0, checksum: 0, curHopLimit: 64, flags: 0, routerLifetime: 1800, reachableTime: 0, retransTimer: 0, options: [] });
  const ip = parseIpv6(pkt);
  assert.ok(ip.ok && ip.value.hopLimit === 255);
  assert.ok(icmpv6ChecksumOk(src, dst, ip.value.payload));
});
