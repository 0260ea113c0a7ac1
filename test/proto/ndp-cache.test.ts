/** The neighbour cache alone, each expectation from RFC 4861 §7.2–§7.3 and its §10 constants. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NdpCache, multicastMac, ndpKey, type NdpIp } from '../../src/proto/ndp-cache.js';
import { ipv6FromString as ip6, ipv6ToString } from '../../src/wire/ipv6.js';
import { lla, NaFlag, type NeighborAdvertisement, type NeighborSolicitation } from '../../src/wire/ndp.js';
import { macFromString as mac, macToString } from '../../src/wire/bytes.js';

const ME = mac('02:00:00:00:01:00');
const N1 = mac('02:00:00:00:00:0a');
const N2 = mac('02:00:00:00:00:0b');
const myLl = ip6('fe80::1');
const mine = ip6('2001:db8:1::1');
const peer = ip6('2001:db8:1::a');

function cache(o = {}): NdpCache {
  const c = new NdpCache(o);
  c.addInterface(0, ME, myLl, [mine]);
  return c;
}
const ipHdr = (src: Uint8Array, dst: Uint8Array, hopLimit = 255, ethSrc = N1): NdpIp => ({ src, dst, hopLimit, length: 32, ethSrc });
const naMsg = (flags: number, m = N1, target = peer): NeighborAdvertisement => ({ kind: 'na', code: 0, checksum: 0, flags: flags >>> 0, target, options: [lla('target-lla', m)] });
const nsMsg = (target: Uint8Array, m?: Uint8Array): NeighborSolicitation => ({ kind: 'ns', code: 0, checksum: 0, reserved: 0, target, options: m ? [lla('source-lla', m)] : [] });
const drainTx = (c: NdpCache): ReturnType<NdpCache['pollTransmit']>[] => {
  const out = [];
  for (let t = c.pollTransmit(); t; t = c.pollTransmit()) out.push(t);
  return out;
};

test('ndp: REACHABLE for ReachableTime, then STALE; use of a STALE entry → DELAY → PROBE after 5 s with unicast NS, removed after 3 unanswered (§7.3.3)', () => {
  const c = cache();
  assert.ok(c.enqueue(0, peer, 0, new Uint8Array(60), 0));
  const [ns] = drainTx(c);
  assert.equal(ipv6ToString(ns!.dst), 'ff02::1:ff00:a');
  assert.equal(macToString(ns!.dstMac), '33:33:ff:00:00:0a');
  c.handleNa(0, ipHdr(peer, myLl), naMsg(NaFlag.SOLICITED | NaFlag.OVERRIDE), 100);
  assert.equal(c.pollEvent()?.kind, 'resolved');
  assert.equal(c.state(0, peer, 100), 'REACHABLE');
  assert.equal(c.state(0, peer, 100 + 30_000), 'STALE');
  // Using it: the packet goes (the MAC is known), the entry waits in DELAY.
  assert.equal(macToString(c.lookup(0, peer, 0, 30_200)!), '02:00:00:00:00:0a');
  assert.equal(c.state(0, peer, 30_200), 'DELAY');
  c.handleTimeout(30_200 + 4999);
  assert.equal(drainTx(c).length, 0, 'no probe before DELAY_FIRST_PROBE_TIME');
  c.handleTimeout(30_200 + 5000);
  assert.equal(c.state(0, peer, 35_200), 'PROBE');
  const [p1] = drainTx(c);
  assert.equal(ipv6ToString(p1!.dst), '2001:db8:1::a', 'a unicast probe');
  assert.equal(macToString(p1!.dstMac), '02:00:00:00:00:0a');
  c.handleTimeout(36_200);
  c.handleTimeout(37_200);
  assert.equal(drainTx(c).length, 2);
  c.handleTimeout(38_200);
  assert.equal(c.state(0, peer, 38_200), undefined, 'removed after MAX_UNICAST_SOLICIT probes');
  assert.equal(c.counters.probesFailed, 1);
});

test('ndp: a solicited NA in PROBE makes it REACHABLE again; an NA without Override and a new address is not taken (§7.2.5)', () => {
  const c = cache();
  c.enqueue(0, peer, 0, new Uint8Array(60), 0);
  c.handleNa(0, ipHdr(peer, myLl), naMsg(NaFlag.SOLICITED), 0);
  c.lookup(0, peer, 0, 40_000);
  c.handleTimeout(45_000);
  assert.equal(c.state(0, peer, 45_000), 'PROBE');
  c.handleNa(0, ipHdr(peer, myLl), naMsg(NaFlag.SOLICITED, N2), 45_100);
  assert.equal(c.counters.drops.overrideRefused, 1);
  assert.equal(macToString(c.lookup(0, peer, 0, 45_100)!), '02:00:00:00:00:0a');
  c.handleNa(0, ipHdr(peer, myLl), naMsg(NaFlag.SOLICITED), 45_200);
  assert.equal(c.state(0, peer, 45_200), 'REACHABLE');
  // With Override, unsolicited: the new address is taken and the entry goes STALE.
  c.handleNa(0, ipHdr(peer, ip6('ff02::1')), naMsg(NaFlag.OVERRIDE, N2), 45_300);
  assert.equal(c.state(0, peer, 45_300), 'STALE');
  assert.equal(macToString(c.lookup(0, peer, 0, 45_300)!), '02:00:00:00:00:0b');
  // To a multicast destination with Solicited set: invalid (§7.1.2).
  c.handleNa(0, ipHdr(peer, ip6('ff02::1')), naMsg(NaFlag.SOLICITED | NaFlag.OVERRIDE), 45_400);
  assert.equal(c.counters.drops.solicitedToMulticast, 1);
});

test('ndp: NS for our address answered (to all-nodes without Solicited when from ::, §7.2.4), the §7.1.1 checks, nothing learned from strangers', () => {
  const c = cache();
  c.handleNs(0, ipHdr(peer, ip6('ff02::1:ff00:1')), nsMsg(mine, N1), 0);
  const [na] = drainTx(c);
  assert.ok(na && na.message.kind === 'na');
  assert.equal(ipv6ToString(na.dst), '2001:db8:1::a');
  assert.equal(macToString(na.dstMac), '02:00:00:00:00:0a');
  assert.equal((na.message.flags >>> 0), (NaFlag.ROUTER | NaFlag.SOLICITED | NaFlag.OVERRIDE) >>> 0);
  assert.equal(c.size, 0, 'an NS does not create an entry');
  // DAD probe from :: to the solicited-node group: answered to ff02::1, Solicited clear.
  c.handleNs(0, ipHdr(ip6('::'), ip6('ff02::1:ff00:1')), nsMsg(mine), 1);
  const [dad] = drainTx(c);
  assert.equal(ipv6ToString(dad!.dst), 'ff02::1');
  assert.equal(macToString(dad!.dstMac), macToString(multicastMac(ip6('ff02::1'))));
  assert.ok(dad!.message.kind === 'na' && (dad!.message.flags & NaFlag.SOLICITED) === 0);
  // From :: with a source link-layer option, or to a unicast destination: invalid.
  c.handleNs(0, ipHdr(ip6('::'), ip6('ff02::1:ff00:1')), nsMsg(mine, N1), 2);
  c.handleNs(0, ipHdr(ip6('::'), mine), nsMsg(mine), 2);
  assert.equal(c.counters.drops.badUnspecified, 2);
  c.handleNs(0, ipHdr(peer, mine, 64), nsMsg(mine, N1), 2);
  assert.equal(c.counters.drops.hopLimit, 1);
  c.handleNs(0, ipHdr(peer, ip6('ff02::1:ff00:1')), nsMsg(ip6('ff02::1'), N1), 2);
  assert.equal(c.counters.drops.multicastTarget, 1);
  c.handleNs(0, ipHdr(peer, ip6('ff02::1:ff00:2')), nsMsg(ip6('2001:db8:1::2'), N1), 2);
  assert.equal(c.counters.drops.notForUs, 1);
  c.handleNa(0, ipHdr(peer, myLl), naMsg(NaFlag.SOLICITED | NaFlag.OVERRIDE), 3);
  assert.equal(c.counters.drops.unsolicited, 1);
  c.handleNa(0, ipHdr(peer, myLl), naMsg(NaFlag.OVERRIDE, N1, mine), 3);
  assert.equal(c.counters.drops.addressConflict, 1);
  assert.equal(drainTx(c).length, 0);
  assert.equal(c.size, 0);
});

test('ndp: the table and the queues are bounded, every refusal counted; removing the interface fails what waited', () => {
  const c = cache({ maxEntries: 2, queuePerHop: 1, queueGlobal: 2 });
  const a = (i: number): Uint8Array => ip6(`2001:db8:1::${i}`);
  assert.ok(c.enqueue(0, a(1), 0, new Uint8Array(1), 0));
  assert.equal(c.enqueue(0, a(1), 0, new Uint8Array(1), 0), false);
  assert.ok(c.enqueue(0, a(2), 0, new Uint8Array(1), 0));
  assert.equal(c.enqueue(0, a(3), 0, new Uint8Array(1), 0), false);
  assert.deepEqual([c.counters.drops.queuePerHop, c.counters.drops.tableFull], [1, 1]);
  assert.equal(c.enqueue(5, a(1), 0, new Uint8Array(1), 0), false);
  assert.equal(c.counters.drops.noInterface, 1);
  c.removeInterface(0);
  const ev = [c.pollEvent(), c.pollEvent()];
  assert.deepEqual(ev.map((e) => e?.kind), ['failed', 'failed']);
  assert.equal(c.queuedPackets, 0);
  assert.equal(ndpKey(1, a(1)).length, 9);
});
