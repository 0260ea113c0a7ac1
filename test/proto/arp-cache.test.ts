import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ArpCache, type ArpTransmit } from '../../src/proto/arp-cache.js';
import { ArpOp, arpEthernetIpv4 } from '../../src/wire/arp.js';
import { ipv4FromString as ip, macFromString as mac, macToString } from '../../src/wire/bytes.js';

const US = mac('02:00:00:00:00:01');
const ME = ip('10.0.0.1');
const H = ip('10.0.0.2');
const HM = mac('02:00:00:00:00:02');
const EVIL = mac('02:00:00:00:00:66');
const ZERO = new Uint8Array(6);

function drain(a: ArpCache): ArpTransmit[] {
  const out: ArpTransmit[] = [];
  for (let t = a.pollTransmit(); t; t = a.pollTransmit()) out.push(t);
  return out;
}
function fresh(opts = {}): ArpCache {
  const a = new ArpCache(opts);
  a.addInterface(1, US, ME, 24, 0);
  return a;
}
const reply = (sha: Uint8Array, spa: number) => arpEthernetIpv4(ArpOp.REPLY, sha, spa, US, ME);
const pkt = (n: number): Uint8Array => new Uint8Array([n]);

test('arp: an interface coming up announces itself with a gratuitous ARP (RFC 5227 announcement)', () => {
  const a = new ArpCache({ gratuitousCount: 2 });
  a.addInterface(1, US, ME, 24, 0);
  const [g] = drain(a);
  assert.ok(g && g.packet.op === ArpOp.REQUEST && g.packet.spa === ME && g.packet.tpa === ME && macToString(g.dst) === 'ff:ff:ff:ff:ff:ff');
  assert.equal(a.nextTimeout(), 1000);
  a.handleTimeout(1000);
  assert.equal(drain(a).length, 1, 'the second announcement');
  assert.equal(a.counters.gratuitousSent, 2);
  assert.equal(a.nextTimeout(), undefined);
});

test('arp: INCOMPLETE → REACHABLE on the reply; waiting packets come back in order', () => {
  const a = fresh();
  drain(a);
  assert.equal(a.lookup(1, H, 0), undefined);
  for (let i = 0; i < 3; i++) assert.ok(a.enqueue(1, H, pkt(i), 0));
  const reqs = drain(a);
  assert.equal(reqs.length, 1, 'one request for three packets');
  assert.equal(reqs[0]!.packet.tpa, H);
  assert.equal(a.state(1, H, 0), 'INCOMPLETE');
  a.handle(1, reply(HM, H), 5);
  const ev = a.pollEvent();
  assert.ok(ev && ev.kind === 'resolved');
  assert.deepEqual(ev.packets.map((p) => p[0]), [0, 1, 2]);
  assert.equal(macToString(ev.mac), '02:00:00:00:00:02');
  assert.equal(a.state(1, H, 5), 'REACHABLE');
  assert.deepEqual(a.lookup(1, H, 6), HM);
  assert.equal(a.queuedPackets, 0);
});

test('arp: 3 requests 1 s apart, then failure hands every waiting packet back', () => {
  const a = fresh();
  drain(a);
  a.enqueue(1, H, pkt(1), 0);
  a.enqueue(1, H, pkt(2), 400);
  const times: number[] = [];
  let now = 0;
  times.push(...drain(a).map(() => now));
  for (let t = a.nextTimeout(); t !== undefined && t <= 10_000; t = a.nextTimeout()) {
    now = t;
    a.handleTimeout(now);
    times.push(...drain(a).map(() => now));
    const e = a.pollEvent();
    if (e) {
      assert.equal(e.kind, 'failed');
      assert.deepEqual(e.packets.map((p) => p[0]), [1, 2]);
      break;
    }
  }
  assert.deepEqual(times, [0, 1000, 2000]);
  assert.equal(now, 3000, 'fails one interval after the last request');
  assert.equal(a.state(1, H, now), undefined);
  assert.equal(a.counters.failed, 1);
  assert.equal(a.counters.requestsSent, 3);
});

test('arp: REACHABLE ages to STALE; using it sends a unicast probe; the reply confirms; unused STALE goes', () => {
  const a = fresh({ reachableTime: 30_000, staleTime: 60_000 });
  drain(a);
  a.enqueue(1, H, pkt(0), 0);
  drain(a);
  a.handle(1, reply(HM, H), 0);
  a.pollEvent();
  assert.equal(a.state(1, H, 29_999), 'REACHABLE');
  assert.equal(a.state(1, H, 30_000), 'STALE');
  assert.deepEqual(a.lookup(1, H, 31_000), HM, 'STALE is still used');
  const probe = drain(a);
  assert.equal(probe.length, 1);
  assert.equal(macToString(probe[0]!.dst), '02:00:00:00:00:02', 'refresh is unicast');
  a.handle(1, reply(HM, H), 31_010);
  assert.equal(a.state(1, H, 31_010), 'REACHABLE');
  // Unanswered refresh: after 3 probes the entry goes (next use resolves from scratch).
  a.lookup(1, H, 70_000);
  let t = 70_000;
  while (a.state(1, H, t) !== undefined && t < 80_000) {
    t = a.nextTimeout()!;
    a.handleTimeout(t);
  }
  assert.equal(drain(a).length, 3);
  assert.equal(a.counters.probesFailed, 1);
  assert.equal(a.state(1, H, t), undefined);
  // A STALE entry nobody uses is swept after staleTime.
  a.enqueue(1, H, pkt(0), t);
  a.handle(1, reply(HM, H), t);
  a.pollEvent();
  for (let n = a.nextTimeout(); n !== undefined && n < t + 200_000; n = a.nextTimeout()) a.handleTimeout(n);
  assert.equal(a.state(1, H, t + 200_000), undefined);
});

test('arp: per-hop and global queue bounds drop the (N+1)th packet and count it', () => {
  const a = fresh({ queuePerHop: 2, queueGlobal: 3 });
  assert.ok(a.enqueue(1, H, pkt(0), 0));
  assert.ok(a.enqueue(1, H, pkt(1), 0));
  assert.equal(a.enqueue(1, H, pkt(2), 0), false);
  assert.equal(a.counters.drops.queuePerHop, 1);
  assert.ok(a.enqueue(1, ip('10.0.0.3'), pkt(3), 0));
  assert.equal(a.enqueue(1, ip('10.0.0.3'), pkt(4), 0), false);
  assert.equal(a.counters.drops.queueGlobal, 1);
  assert.equal(a.queuedPackets, 3);
});

test('arp: answers requests for our address, to the asker, without caching the asker', () => {
  const a = fresh();
  drain(a);
  a.handle(1, arpEthernetIpv4(ArpOp.REQUEST, HM, H, ZERO, ME), 0);
  const [r] = drain(a);
  assert.ok(r && r.packet.op === ArpOp.REPLY && r.packet.spa === ME && r.packet.tpa === H);
  assert.deepEqual(r.dst, HM);
  assert.deepEqual(r.packet.tha, HM);
  assert.equal(a.state(1, H, 0), undefined, 'no entry created by a request (poisoning policy)');
  // An RFC 5227 probe (sender 0.0.0.0) for our address is answered too, and teaches nothing.
  a.handle(1, arpEthernetIpv4(ArpOp.REQUEST, HM, 0, ZERO, ME), 0);
  assert.equal(drain(a).length, 1);
  // A request for somebody else is not answered.
  a.handle(1, arpEthernetIpv4(ArpOp.REQUEST, HM, H, ZERO, ip('10.0.0.9')), 0);
  assert.equal(drain(a).length, 0);
  assert.equal(a.counters.drops.notForUs, 1);
});

test('arp: poisoning policy — unsolicited replies, other networks, MAC changes and gratuitous ARPs', () => {
  const a = fresh();
  drain(a);
  const d = a.counters.drops;
  // A reply nobody asked for creates nothing.
  a.handle(1, reply(EVIL, H), 0);
  assert.equal(d.unsolicited, 1);
  assert.equal(a.state(1, H, 0), undefined);
  // Sender outside the interface's subnet.
  a.handle(1, reply(EVIL, ip('192.0.2.7')), 0);
  assert.equal(d.otherNetwork, 1);
  // Someone claiming our own address, or sending from our MAC or a group MAC.
  a.handle(1, reply(EVIL, ME), 0);
  assert.equal(d.addressConflict, 1);
  a.handle(1, reply(US, H), 0);
  a.handle(1, reply(mac('01:00:5e:00:00:01'), H), 0);
  assert.equal(d.badSender, 2);
  // Gratuitous ARP for an address we do not know: ignored.
  a.handle(1, arpEthernetIpv4(ArpOp.REQUEST, EVIL, H, ZERO, H), 0);
  assert.equal(d.gratuitousUnknown, 1);
  assert.equal(a.state(1, H, 0), undefined);
  // Resolve H properly.
  a.enqueue(1, H, pkt(0), 0);
  a.handle(1, reply(HM, H), 1);
  a.pollEvent();
  // A reply (not gratuitous) claiming H with another MAC is refused.
  a.handle(1, reply(EVIL, H), 2);
  a.handle(1, arpEthernetIpv4(ArpOp.REQUEST, EVIL, H, ZERO, ME), 2);
  assert.equal(d.poisonRefused, 2);
  assert.deepEqual(a.lookup(1, H, 3), HM);
  assert.equal(a.show(3)[0]!.mac, '02:00:00:00:00:02');
  // A gratuitous ARP for the known address moves it (failover), as STALE so it is re-probed.
  const NEW = mac('02:00:00:00:00:22');
  a.handle(1, arpEthernetIpv4(ArpOp.REQUEST, NEW, H, ZERO, H), 4);
  assert.equal(a.state(1, H, 4), 'STALE');
  assert.deepEqual(a.lookup(1, H, 5), NEW);
  // Wrong hardware/protocol types are not ours to learn from.
  a.handle(1, { ...reply(HM, H), ptype: 0x86dd }, 6);
  a.handle(1, { ...reply(HM, H), op: 9 }, 6);
  assert.equal(d.unsupported, 2);
  // An interface ARP does not run on.
  a.handle(7, reply(HM, H), 6);
  assert.equal(d.noInterface, 1);
});

test('arp: removing an interface fails its waiting packets', () => {
  const a = fresh();
  a.enqueue(1, H, pkt(9), 0);
  a.removeInterface(1);
  const e = a.pollEvent();
  assert.ok(e && e.kind === 'failed' && e.packets.length === 1);
  assert.equal(a.queuedPackets, 0);
  assert.equal(a.enqueue(1, H, pkt(1), 0), false);
});

test('arp: lookups alternating between next hops each get their own MAC, and a dropped entry is not answered from the last lookup', () => {
  const a = fresh();
  a.addInterface(2, US, ip('10.0.1.1'), 24, 0);
  drain(a);
  const H2 = ip('10.0.0.3');
  const H2M = mac('02:00:00:00:00:03');
  const OTHER = ip('10.0.1.2');
  const OM = mac('02:00:00:00:00:04');
  for (const [ifIndex, addr, m] of [[1, H, HM], [1, H2, H2M], [2, OTHER, OM]] as const) {
    assert.ok(a.enqueue(ifIndex, addr, pkt(0), 0));
    a.handle(ifIndex, arpEthernetIpv4(ArpOp.REPLY, m, addr, US, ifIndex === 1 ? ME : ip('10.0.1.1')), 1);
  }
  for (let i = 0; i < 4; i++) {
    assert.deepEqual(a.lookup(1, H, 2), HM);
    assert.deepEqual(a.lookup(1, H, 2), HM);
    assert.deepEqual(a.lookup(1, H2, 2), H2M);
    assert.deepEqual(a.lookup(2, OTHER, 2), OM);
  }
  // The same address on another interface is another entry.
  assert.equal(a.lookup(2, H, 2), undefined);
  assert.deepEqual(a.lookup(2, OTHER, 2), OM);
  a.removeInterface(2);
  assert.equal(a.lookup(2, OTHER, 3), undefined, 'the entry went with its interface');
  assert.deepEqual(a.lookup(1, H, 3), HM);
});
