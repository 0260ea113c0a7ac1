import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Host, UDP_FRAME_HEADROOM, type HostEvent } from '../../src/roles/host.js';
import { udpPacket } from '../../src/wire/packets.js';
import { ipv4FromString as ip } from '../../src/wire/bytes.js';

const A = ip('192.0.2.1');
const B = ip('192.0.2.2');

const datagram = (dstPort: number, payload: Uint8Array): Uint8Array => udpPacket({ src: B, dst: A, ttl: 64, identification: 9 }, 1701, dstPort, payload);

function events(h: Host): HostEvent[] {
  const out: HostEvent[] = [];
  for (let e = h.pollEvent(); e; e = h.pollEvent()) out.push(e);
  return out;
}

test('a bound port hands each datagram to its sink during handle, counted, with no event; a listened port still gives events', () => {
  const h = new Host({ name: 'lns-carrier', kind: 'p2p', address: A }, 0);
  const got: { from: number; srcPort: number; dstPort: number; payload: Uint8Array; now: number }[] = [];
  h.bindUdp(1701, { udp: (from, srcPort, dstPort, b, offset, length, now) => void got.push({ from, srcPort, dstPort, payload: b.subarray(offset, offset + length), now }) });
  h.listenUdp(1812);
  const p = new Uint8Array([0x00, 0x02, 0xbe, 0xef, 0, 1, 0xff, 0x03]);
  const d = datagram(1701, p);
  h.handle(0, d, 42);
  assert.equal(got.length, 1);
  assert.deepEqual(got[0], { from: B, srcPort: 1701, dstPort: 1701, payload: p, now: 42 });
  assert.equal(got[0]!.payload.buffer, d.buffer, 'offsets into the frame, not a copy');
  assert.deepEqual(events(h), []);
  h.handle(0, datagram(1812, p), 43);
  const e = events(h);
  assert.equal(e.length, 1);
  assert.ok(e[0]!.kind === 'udp' && e[0]!.dstPort === 1812);
  assert.equal(got.length, 1);
  assert.equal(h.counters.udpReceived, 2);
  // sendUdp from the bound port keeps the sink (it listens on its source port for the answers).
  h.sendUdp(B, 1701, 1701, p, 44);
  h.handle(0, datagram(1701, p), 45);
  assert.equal(got.length, 2);
  // A port neither bound nor listened to: port unreachable, as before.
  h.handle(0, datagram(9999, p), 46);
  assert.equal(h.counters.drops.portUnreachable, 1);
  assert.equal(got.length, 2);
});

test('a datagram with a bad checksum never reaches the sink', () => {
  const h = new Host({ name: 'lns-carrier', kind: 'p2p', address: A }, 0);
  let calls = 0;
  h.bindUdp(1701, { udp: () => void calls++ });
  const d = datagram(1701, new Uint8Array([1, 2, 3, 4]));
  d[d.length - 1]! ^= 0xff;
  h.handle(0, d, 1);
  assert.equal(calls, 0);
  assert.equal(h.counters.drops.checksum, 1);
});

test('sendUdpFrame writes the headers sendUdp would into the room in front of the payload, without a copy', () => {
  const a = new Host({ name: 'a', kind: 'p2p', address: A }, 0);
  const b = new Host({ name: 'b', kind: 'p2p', address: A }, 0);
  const payload = new Uint8Array([0x00, 0x02, 0xbe, 0xef, 0, 1, 0xff, 0x03, 0xc0, 0x21]);
  a.sendUdp(B, 1701, 1702, payload, 1);
  const frame = new Uint8Array(UDP_FRAME_HEADROOM + payload.length);
  frame.set(payload, UDP_FRAME_HEADROOM);
  b.sendUdpFrame(B, 1701, 1702, frame, 1);
  const viaCopy = a.pollFrame()!;
  const inPlace = b.pollFrame()!;
  assert.deepEqual(inPlace, viaCopy);
  assert.equal(inPlace.buffer, frame.buffer, 'the frame given, not a copy');
});
