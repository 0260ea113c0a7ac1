import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { fillUdpChecksum, parseUdp, udp, udpChecksumOk, udpLengthAt, type UdpDatagram } from '../../src/wire/udp.js';
import { IpProtocol, parseIpv4 } from '../../src/wire/ipv4.js';
import { fromHex, ipv4FromString, u16 } from '../../src/wire/bytes.js';
import { fold, pseudoHeaderSum } from '../../src/wire/checksum.js';
import { encode } from '../../src/wire/result.js';
import { checkReemit, propertyRoundTrip } from '../helpers/codec.js';
import { allIpv4Packets } from '../helpers/ip-fixtures.js';

const u16a = fc.integer({ min: 0, max: 0xffff });
const arbUdp: fc.Arbitrary<UdpDatagram> = fc.record({ srcPort: u16a, dstPort: u16a, checksum: u16a, payload: fc.uint8Array({ maxLength: 200 }) });

test('udp: parse(emit(x)) = x at an offset in a 0xa5 buffer', () => {
  propertyRoundTrip(udp, arbUdp, 1000);
});

test('udp: filled checksums verify for any addresses and payload, and a flipped bit fails', () => {
  fc.assert(
    fc.property(arbUdp, fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 0xffffffff }), fc.nat(), (d, src, dst, at) => {
      const b = encode(udp, { ...d, checksum: 0 });
      fillUdpChecksum(src, dst, b, 0);
      assert.notEqual(u16(b, 6), 0, 'a computed zero is sent as 0xffff');
      assert.ok(udpChecksumOk(src, dst, b));
      const i = at % b.length;
      if (i === 6 || i === 7) return; // flipping the checksum field to zero would mean "none"
      b[i]! ^= 1 << (at % 8);
      assert.ok(!udpChecksumOk(src, dst, b));
    }),
    { numRuns: 1000 },
  );
});

test('udp: every UDP datagram in the captures re-emits byte for byte; checksums verify or are the sender\'s partial sum', () => {
  let n = 0;
  let partial = 0;
  for (const { name, data } of allIpv4Packets()) {
    const ip = parseIpv4(data);
    assert.ok(ip.ok);
    if (ip.value.protocol !== IpProtocol.UDP) continue;
    const d = checkReemit(udp, ip.value.payload, name);
    n++;
    if (d.checksum === 0) continue;
    // Captured on the sending host (lo, or the veth of the sender) before the NIC path filled the
    // checksum in (CHECKSUM_PARTIAL): the field holds the folded pseudo-header sum, uncomplemented.
    const pseudo = fold(pseudoHeaderSum(ip.value.src, ip.value.dst, IpProtocol.UDP, ip.value.payload.length));
    if (d.checksum === pseudo) partial++;
    else assert.ok(udpChecksumOk(ip.value.src, ip.value.dst, ip.value.payload), `${name}: checksum`);
  }
  // 12 RADIUS (FreeRADIUS on lo), 44 L2TP (xl2tpd sends checksum 0), 3 sent by Linux on the veth.
  assert.equal(n, 12 + 44 + 3);
  assert.equal(partial, 12 + 3);
});

test('udp: a RADIUS Access-Request from the FreeRADIUS capture reads as Wireshark shows it', () => {
  const p = allIpv4Packets().find((x) => x.name.startsWith('freeradius') && x.name.endsWith('#1'))!;
  const ip = parseIpv4(p.data);
  assert.ok(ip.ok && ip.value.src === ipv4FromString('127.0.0.1'));
  const d = parseUdp(ip.value.payload);
  assert.ok(d.ok);
  assert.equal(d.value.dstPort, 1812);
  assert.equal(d.value.payload[0], 1, 'Access-Request');
  assert.equal(d.value.payload.length, 169 - 14 - 20 - 8);
});

test('udp: bad input gives a code and an offset', () => {
  const cases: [string, string, number][] = [
    ['', 'udp.truncated', 0],
    ['06a506a50008', 'udp.truncated', 0],
    ['06a506a5000700000000', 'udp.bad-length', 4],
    ['06a506a5000b0000aabb', 'udp.truncated', 4],
  ];
  for (const [h, code, offset] of cases) {
    const r = parseUdp(fromHex(h));
    assert.ok(!r.ok, h);
    assert.deepEqual({ code: r.error.code, offset: r.error.offset }, { code, offset }, h);
  }
  // Length shorter than the input: the rest is not UDP's.
  const r = parseUdp(fromHex('06a506a5000a0000aabbccdd'));
  assert.ok(r.ok && r.value.payload.length === 2);
});

test('udpLengthAt takes exactly what parseUdp takes, at any offset, and gives its Length', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 40 }), fc.integer({ min: 0, max: 8 }), fc.integer({ min: 0, max: 40 }), (bytes, pad, lenField) => {
      const b = new Uint8Array(pad + bytes.length);
      b.set(bytes, pad);
      if (bytes.length >= 6) {
        // Length fields around the input's size: often valid, often just too long.
        b[pad + 4] = 0;
        b[pad + 5] = lenField;
      }
      const p = parseUdp(b.subarray(pad));
      const n = udpLengthAt(b, pad, bytes.length);
      assert.equal(n >= 0, p.ok);
      if (p.ok) assert.equal(n, 8 + p.value.payload.length);
    }),
    { numRuns: 2000 },
  );
});
