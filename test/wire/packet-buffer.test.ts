import test from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { CELL, HEADROOM, MAX_IN_SLAB, SLAB, encodeInCell, headroomOf, packetBuffer, widen, widenAt } from '../../src/wire/packet-buffer.js';
import { dhcpv6, type Dhcpv6Message } from '../../src/wire/dhcpv6.js';
import { encode } from '../../src/wire/result.js';
import { udpHeadersInto, udpInPlace, udpPacket } from '../../src/wire/packets.js';
import { parseIpv4, IpProtocol } from '../../src/wire/ipv4.js';
import { parseUdp, udpChecksumOk } from '../../src/wire/udp.js';

test('packet-buffer: a packet has HEADROOM octets of its own in front, zeroed, and no more', () => {
  const a = packetBuffer(100);
  assert.equal(a.length, 100);
  assert.equal(headroomOf(a), HEADROOM);
  assert.ok(a.every((x) => x === 0));
  const w = widen(a, HEADROOM)!;
  assert.equal(w.length, 100 + HEADROOM);
  assert.equal(w.buffer, a.buffer, 'widened in place, not copied');
  assert.equal(widen(a, HEADROOM + 1), undefined);
  // Inside the packet the headroom grows with the offset: a header parsed off is room.
  assert.equal(headroomOf(a.subarray(20)), HEADROOM + 20);
});

test('packet-buffer: widening a packet never reaches the one built before it in the same slab', () => {
  const first = packetBuffer(CELL - HEADROOM); // fills its cell to the last octet
  first.fill(0xaa);
  const second = packetBuffer(60);
  assert.equal(second.buffer, first.buffer, 'the same slab');
  widen(second, headroomOf(second))!.fill(0x55, 0, headroomOf(second));
  assert.ok(first.every((x) => x === 0xaa), 'the first packet is untouched');
  assert.equal(widen(second, headroomOf(second) + 1), undefined);
});

test('packet-buffer: a cell is its packet and headroom rounded up to whole CELLs; one too big for a slab gets a buffer of its own, still with headroom', () => {
  let a = packetBuffer(10);
  while (a.byteOffset !== HEADROOM) a = packetBuffer(10); // the first packet of a slab
  const b = packetBuffer(200);
  const c = packetBuffer(CELL - HEADROOM);
  const d = packetBuffer(1);
  assert.equal(a.byteOffset, HEADROOM);
  assert.equal(b.byteOffset - a.byteOffset, CELL, '64 + 10 octets: one unit');
  assert.equal(c.byteOffset - b.byteOffset, 3 * CELL, '64 + 200 octets: three units');
  assert.equal(d.byteOffset - c.byteOffset, CELL, 'a packet that fills its unit exactly');
  const full = packetBuffer(MAX_IN_SLAB);
  assert.equal(full.buffer.byteLength, SLAB, 'a full frame still goes in a slab');
  const big = packetBuffer(MAX_IN_SLAB + 1);
  assert.equal(big.length, MAX_IN_SLAB + 1);
  assert.equal(headroomOf(big), HEADROOM);
  assert.equal(big.buffer.byteLength, MAX_IN_SLAB + 1 + HEADROOM);
});

test('packet-buffer: whatever the sizes, widening a packet by all its headroom reaches no other packet, and every packet is zeroed', () => {
  fc.assert(
    fc.property(fc.array(fc.oneof(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: MAX_IN_SLAB + 100 })), { minLength: 1, maxLength: 60 }), (sizes) => {
      const ps = sizes.map((n) => packetBuffer(n));
      for (const p of ps) assert.ok(p.every((x) => x === 0), 'zeroed');
      for (const p of ps) {
        const from = p.byteOffset - headroomOf(p);
        assert.ok(headroomOf(p) >= HEADROOM, 'a new packet has its headroom');
        for (const q of ps) {
          if (q === p || q.buffer !== p.buffer) continue;
          const apart = q.byteOffset + q.length <= from || q.byteOffset >= p.byteOffset + p.length;
          assert.ok(apart, `packet at ${q.byteOffset}+${q.length} inside ${from}..${p.byteOffset + p.length}`);
        }
      }
    }),
    { numRuns: 200 },
  );
});

test('packet-buffer: a buffer of one packet never claims more room than it has', () => {
  const plain = new Uint8Array(300);
  assert.equal(headroomOf(plain), 0);
  assert.equal(headroomOf(plain.subarray(40)), 40);
  assert.equal(widen(plain, 1), undefined);
  // Past the first cell of a big buffer the answer is smaller than the truth (a copy too many), never larger.
  const big = new Uint8Array(5000);
  assert.ok(headroomOf(big.subarray(3000)) <= 3000);
});

test('udpInPlace: the headers of udpPacket, written in front of the payload without copying it', () => {
  const h = { src: 0xc0000201, dst: 0xc00002fe, ttl: 64, identification: 0x1234 };
  const payload = Uint8Array.from({ length: 37 }, (_, i) => (i * 7) & 0xff);
  const room = packetBuffer(payload.length);
  room.set(payload);
  const inPlace = udpInPlace(h.src, h.dst, h.ttl, h.identification, 0, 1701, 1701, room, 14)!;
  assert.equal(inPlace.buffer, room.buffer, 'no new buffer');
  assert.equal(inPlace.length, 14 + 20 + 8 + payload.length);
  assert.deepEqual(inPlace.subarray(14), udpPacket(h, 1701, 1701, payload, 14).subarray(14));
  const ip = parseIpv4(inPlace.subarray(14));
  assert.ok(ip.ok);
  assert.equal(ip.value.protocol, IpProtocol.UDP);
  const d = parseUdp(ip.value.payload);
  assert.ok(d.ok);
  assert.deepEqual(d.value.payload, payload);
  assert.ok(udpChecksumOk(h.src, h.dst, ip.value.payload));
  // No room in front (a received frame in a buffer of its own): the caller copies.
  assert.equal(udpInPlace(h.src, h.dst, h.ttl, h.identification, 0, 1701, 1701, payload, 14), undefined);
});

test('widenAt: the same view as widen of a subarray', () => {
  const p = packetBuffer(100);
  const a = widenAt(p, 20, 50, 30)!;
  const b = widen(p.subarray(20, 70), 30)!;
  assert.equal(a.byteOffset, b.byteOffset);
  assert.equal(a.length, b.length);
  assert.equal(widenAt(p, 20, 50, HEADROOM + 21), undefined);
  assert.ok(widenAt(p, 20, 50, HEADROOM + 20));
});

test('encodeInCell: the octets of encode, in a cell of a slab (no buffer of its own), for a message of any size', () => {
  const small: Dhcpv6Message = { kind: 'message', msgType: 8, transactionId: 0x123456, options: [{ kind: 'raw', code: 8, data: new Uint8Array([0, 0]) }] };
  const big: Dhcpv6Message = { ...small, options: [{ kind: 'raw', code: 16, data: new Uint8Array(MAX_IN_SLAB).fill(7) }] };
  for (const m of [small, big]) {
    const b = encodeInCell(dhcpv6, m);
    assert.deepEqual(b, encode(dhcpv6, m));
    assert.equal(headroomOf(b), HEADROOM);
  }
  const s1 = encodeInCell(dhcpv6, small);
  const s2 = encodeInCell(dhcpv6, small);
  assert.equal(s1.buffer, s2.buffer, 'small messages share a slab');
  assert.equal(s1.buffer.byteLength, SLAB);
});

test('udpHeadersInto: the IPv4 and UDP headers of udpPacket, written in front of a payload already in the frame', () => {
  const h = { src: 0xc0000201, dst: 0xc00002fe, ttl: 64, identification: 0x4321, flags: 2 };
  const payload = Uint8Array.from({ length: 41 }, (_, i) => (i * 13 + 5) & 0xff);
  const frame = new Uint8Array(14 + 28 + payload.length).fill(0xa5);
  frame.set(payload, 14 + 28);
  assert.equal(udpHeadersInto(h.src, h.dst, h.ttl, h.identification, h.flags, 1701, 1702, frame, 14), frame);
  assert.deepEqual(frame.subarray(14), udpPacket(h, 1701, 1702, payload, 14).subarray(14));
  assert.deepEqual([...frame.subarray(0, 14)], new Array(14).fill(0xa5), 'the link header is not its to write');
});
