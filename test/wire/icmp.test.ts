import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { icmp, icmpChecksumOk, IcmpType, isIcmpError, parseIcmp, parseQuotedIpv4, TimeExceededCode, UnreachCode, type IcmpMessage } from '../../src/wire/icmp.js';
import { IpProtocol, parseIpv4 } from '../../src/wire/ipv4.js';
import { fromHex, ipv4FromString } from '../../src/wire/bytes.js';
import { encode } from '../../src/wire/result.js';
import { checkReemit, checkRoundTrip, plain } from '../helpers/codec.js';
import { allIpv4Packets } from '../helpers/ip-fixtures.js';
import { echoPacket, icmpPacket } from '../../src/wire/packets.js';

const u16 = fc.integer({ min: 0, max: 0xffff });
const bytes = fc.uint8Array({ maxLength: 120 });
const arbIcmp: fc.Arbitrary<IcmpMessage> = fc.oneof(
  fc.record({ kind: fc.constant('echo' as const), type: fc.constantFrom(0, 8), code: fc.constant(0), identifier: u16, sequence: u16, data: bytes }),
  fc.record({ kind: fc.constant('dest-unreachable' as const), code: fc.integer({ min: 0, max: 15 }), unused: u16, nextHopMtu: u16, original: bytes }),
  fc.record({ kind: fc.constant('time-exceeded' as const), code: fc.constantFrom(0, 1), unused: fc.integer({ min: 0, max: 0xffffffff }), original: bytes }),
  fc.record({
    kind: fc.constant('other' as const),
    type: fc.integer({ min: 0, max: 255 }).filter((t) => t !== 0 && t !== 3 && t !== 8 && t !== 11),
    code: fc.integer({ min: 0, max: 255 }),
    rest: fc.integer({ min: 0, max: 0xffffffff }),
    body: bytes,
  }),
);
const noChecksum = (m: IcmpMessage): unknown => plain({ ...m, checksum: undefined });

test('icmp: parse(emit(x)) = x for echo, unreachable, time exceeded and other types; the checksum verifies', () => {
  fc.assert(
    fc.property(arbIcmp, (m) => {
      assert.ok(icmpChecksumOk(checkRoundTrip(icmp, m, noChecksum)));
    }),
    { numRuns: 1000 },
  );
});

function realIcmp(): { name: string; msg: IcmpMessage; data: Uint8Array }[] {
  const out: { name: string; msg: IcmpMessage; data: Uint8Array }[] = [];
  for (const { name, data } of allIpv4Packets()) {
    const ip = parseIpv4(data);
    assert.ok(ip.ok);
    if (ip.value.protocol !== IpProtocol.ICMP || ip.value.fragmentOffset !== 0) continue;
    out.push({ name, msg: checkReemit(icmp, ip.value.payload, name), data: ip.value.payload });
  }
  return out;
}

test('icmp: every ICMP message in the captures re-emits byte for byte and its checksum verifies', () => {
  const all = realIcmp();
  assert.ok(all.length >= 10);
  for (const { name, data } of all) assert.ok(icmpChecksumOk(data), name);
  const kinds = new Set(all.map((x) => x.msg.kind));
  assert.deepEqual([...kinds].sort(), ['dest-unreachable', 'echo', 'time-exceeded']);
});

test('icmp: Linux\'s frag-needed carries next-hop MTU 1400 and quotes the datagram it refused', () => {
  const fn = realIcmp().find((x) => x.msg.kind === 'dest-unreachable' && x.msg.code === UnreachCode.FRAG_NEEDED);
  assert.ok(fn && fn.msg.kind === 'dest-unreachable');
  assert.equal(fn.msg.nextHopMtu, 1400);
  const q = parseQuotedIpv4(fn.msg.original);
  assert.ok(q.ok);
  assert.equal(q.value.protocol, IpProtocol.UDP);
  assert.equal(q.value.dst, ipv4FromString('10.2.0.2'));
  // The quote is a subarray of the packet, not a copy.
  assert.equal(fn.msg.original.buffer, fn.data.buffer);
  const te = realIcmp().find((x) => x.msg.kind === 'time-exceeded');
  assert.ok(te && te.msg.kind === 'time-exceeded' && te.msg.code === TimeExceededCode.TTL);
  const tq = parseQuotedIpv4(te.msg.original);
  assert.ok(tq.ok && tq.value.ttl === 1 && tq.value.leading.length >= 8);
  const pu = realIcmp().find((x) => x.msg.kind === 'dest-unreachable' && x.msg.code === UnreachCode.PORT);
  assert.ok(pu);
});

test('icmp: an echo request encodes as RFC 792 lays it out', () => {
  const m: IcmpMessage = { kind: 'echo', type: IcmpType.ECHO_REQUEST, code: 0, identifier: 0x009f, sequence: 0, data: fromHex('0102') };
  assert.deepEqual(encode(icmp, m), fromHex('0800 f65e 009f 0000 0102'));
});

test('icmp: error classification follows RFC 1812 §4.3.2.7', () => {
  assert.ok(isIcmpError(IcmpType.DEST_UNREACHABLE) && isIcmpError(IcmpType.TIME_EXCEEDED) && isIcmpError(IcmpType.PARAMETER_PROBLEM) && isIcmpError(IcmpType.REDIRECT));
  assert.ok(!isIcmpError(IcmpType.ECHO_REQUEST) && !isIcmpError(IcmpType.ECHO_REPLY) && !isIcmpError(13));
});

test('icmp: bad input gives a code and an offset', () => {
  const cases: [string, string, number, (b: Uint8Array) => unknown][] = [
    ['', 'icmp.truncated', 0, parseIcmp],
    ['0800f65e009f00', 'icmp.truncated', 0, parseIcmp],
    ['4500001c', 'icmp.quote-truncated', 0, parseQuotedIpv4],
    ['55000000000000000000000000000000000000000000', 'icmp.quote-bad-version', 0, parseQuotedIpv4],
    ['46000000000000000000000000000000000000000000', 'icmp.quote-bad-header-length', 0, parseQuotedIpv4],
    ['44000000000000000000000000000000000000000000', 'icmp.quote-bad-header-length', 0, parseQuotedIpv4],
  ];
  for (const [h, code, offset, parse] of cases) {
    const r = parse(fromHex(h)) as ReturnType<typeof parseIcmp>;
    assert.ok(!r.ok, h);
    assert.deepEqual({ code: r.error.code, offset: r.error.offset }, { code, offset }, h);
  }
  // A corrupted message parses but its checksum does not verify.
  const b = encode(icmp, { kind: 'echo', type: 8, code: 0, identifier: 1, sequence: 2, data: new Uint8Array(4) });
  b[9]! ^= 0x10;
  assert.ok(parseIcmp(b).ok && !icmpChecksumOk(b));
});

test('echoPacket writes the same bytes as icmpPacket with an echo message, for any fields and headroom', () => {
  fc.assert(
    fc.property(
      fc.record({
        src: fc.nat(0xffffffff), dst: fc.nat(0xffffffff), ttl: fc.nat(255), identification: fc.nat(0xffff), flags: fc.constantFrom(0, 2),
        type: fc.constantFrom(IcmpType.ECHO_REQUEST, IcmpType.ECHO_REPLY), identifier: fc.nat(0xffff), sequence: fc.nat(0xffff),
        data: fc.uint8Array({ maxLength: 120 }), headroom: fc.constantFrom(0, 14),
      }),
      (x) => {
        const fast = echoPacket(x.src, x.dst, x.ttl, x.identification, x.flags, x.type, x.identifier, x.sequence, x.data, x.headroom);
        const built = icmpPacket({ src: x.src, dst: x.dst, ttl: x.ttl, identification: x.identification, flags: x.flags }, { kind: 'echo', type: x.type, code: 0, identifier: x.identifier, sequence: x.sequence, data: x.data }, x.headroom);
        assert.deepEqual(fast.subarray(x.headroom), built.subarray(x.headroom));
        assert.equal(fast.length, built.length);
        const ip = parseIpv4(fast.subarray(x.headroom));
        assert.ok(ip.ok && icmpChecksumOk(ip.value.payload));
      },
    ),
  );
});
