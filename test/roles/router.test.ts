/**
 * The router driven directly (no links): bad input is counted and dropped, ARP policy,
 * gratuitous ARP, robustness; unreachable routes (RFC 1812 §5.2.7.1) and tshark's verdict on
 * the errors they make.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Router, type Transmit, type RouterOptions } from '../../src/roles/router.js';
import { PcapngWriter } from '../../src/wire/pcap.js';
import { tsharkProblems, tsharkSummary } from '../helpers/tshark.js';
import { withChecksumChecks } from '../helpers/wsconfig.js';
import { ipv4FromString as ip, macFromString as mac, setU16 } from '../../src/wire/bytes.js';
import { arpEthernetIpv4, ArpOp, parseArp } from '../../src/wire/arp.js';
import { parseEthernet, EtherType } from '../../src/wire/ethernet.js';
import { IcmpType, parseIcmp } from '../../src/wire/icmp.js';
import { parseIpv4, ipv4HeaderChecksumOk } from '../../src/wire/ipv4.js';
import { arpFrame, icmpPacket, udpPacket, withEthernet } from '../../src/wire/packets.js';
import { internetChecksum } from '../../src/wire/checksum.js';
import { fuzzDecoder, rng } from '../helpers/codec.js';
import { ok } from '../../src/wire/result.js';

const R0 = mac('02:00:00:00:01:00');
const R1 = mac('02:00:00:00:01:01');
const A = mac('02:00:00:00:00:0a');
const B = mac('02:00:00:00:00:0b');
const EVIL = mac('02:00:00:00:00:66');

function drain(r: Router): Transmit[] {
  const out: Transmit[] = [];
  for (let t = r.pollTransmit(); t; t = r.pollTransmit()) out.push(t);
  return out;
}

/** A router with B (10.2.0.20) already resolved on eth1. */
function setup(o: RouterOptions = {}): Router {
  const r = new Router(o);
  r.addInterface({ kind: 'ethernet', name: 'eth0', mac: R0, address: ip('10.1.0.1'), prefixLength: 24 }, 0);
  r.addInterface({ kind: 'ethernet', name: 'eth1', mac: R1, address: ip('10.2.0.1'), prefixLength: 24 }, 0);
  drain(r);
  // Resolve B by sending it something and answering the ARP request.
  r.handle(0, withEthernet(udpPacket({ src: ip('10.1.0.10'), dst: ip('10.2.0.20') }, 1, 9, new Uint8Array(4), 14), R0, A), 0);
  r.handle(1, arpFrame(arpEthernetIpv4(ArpOp.REPLY, B, ip('10.2.0.20'), R1, ip('10.2.0.1')), B, R1), 1);
  drain(r);
  assert.equal(r.counters.forwarded, 1);
  return r;
}

const good = (): Uint8Array => withEthernet(udpPacket({ src: ip('10.1.0.10'), dst: ip('10.2.0.20'), ttl: 9 }, 1, 9, new Uint8Array(10), 14), R0, A);

test('router: an interface coming up sends a gratuitous ARP', () => {
  const r = new Router();
  r.addInterface({ kind: 'ethernet', name: 'eth0', mac: R0, address: ip('10.1.0.1'), prefixLength: 24 }, 0);
  const [t] = drain(r);
  assert.ok(t);
  const e = parseEthernet(t.frame);
  assert.ok(e.ok && e.value.ethertype === EtherType.ARP);
  const p = parseArp(e.value.payload);
  assert.ok(p.ok && p.value.spa === ip('10.1.0.1') && p.value.tpa === ip('10.1.0.1') && p.value.op === ArpOp.REQUEST);
  // Down and up again: announced again; p2p interfaces have no ARP.
  r.setUp(0, false, 5);
  assert.equal(r.showRoutes().length, 0);
  r.setUp(0, true, 6);
  assert.equal(drain(r).length, 1);
  r.addInterface({ kind: 'p2p', name: 'ppp0', peer: ip('100.64.0.1') }, 7);
  assert.equal(drain(r).length, 0);
});

test('router: a good packet is forwarded in place: TTL −1, checksum still right, MACs rewritten, same buffer', () => {
  const r = setup();
  const f = good();
  r.handle(0, f, 10);
  const [t] = drain(r);
  assert.ok(t && t.ifIndex === 1);
  assert.equal(t.frame.buffer, f.buffer, 'no copy');
  assert.deepEqual(t.frame.subarray(0, 6), B);
  assert.deepEqual(t.frame.subarray(6, 12), R1);
  assert.equal(t.frame[14 + 8], 8);
  assert.ok(ipv4HeaderChecksumOk(t.frame, 14));
});

test('router: bad input is dropped and counted by reason, nothing sent', () => {
  const r = setup();
  const d = r.counters.drops;
  const cases: [string, (f: Uint8Array) => Uint8Array, keyof typeof d][] = [
    ['bad IPv4 checksum', (f) => { f[14 + 10]! ^= 0x40; return f; }, 'ipv4Checksum'],
    ['IHL below 5', (f) => { f[14] = 0x44; return f; }, 'ipv4HeaderLength'],
    ['IHL beyond the frame (header length lies)', (f) => { f[14] = 0x4f; return f.subarray(0, 14 + 40); }, 'ipv4HeaderLength'],
    ['total length below the header', (f) => { setU16(f, 16, 19); return f; }, 'ipv4TotalLength'],
    ['total length beyond the frame (length lies)', (f) => { setU16(f, 16, 1000); return f; }, 'ipv4Truncated'],
    ['frame cut inside the IP header', (f) => f.subarray(0, 14 + 12), 'truncated'],
    ['frame shorter than Ethernet', (f) => f.subarray(0, 10), 'truncated'],
    ['IPv6 version in an IPv4 frame', (f) => { f[14] = 0x65; return f; }, 'ipv4Version'],
    ['802.1Q-tagged', (f) => { const g = new Uint8Array(f.length + 4); g.set(f.subarray(0, 12)); g.set([0x81, 0, 0, 5], 12); g.set(f.subarray(12), 16); return g; }, 'vlan'],
    ['unknown EtherType', (f) => { f[12] = 0x88; f[13] = 0xcc; return f; }, 'ethertype'],
    ['unicast for another station', (f) => { f.set(EVIL, 0); return f; }, 'otherHost'],
    ['martian source 127.0.0.1', (f) => fixSum(f, () => f.set([127, 0, 0, 1], 14 + 12)), 'martianSource'],
    ['martian source 0.0.0.0', (f) => fixSum(f, () => f.set([0, 0, 0, 0], 14 + 12)), 'martianSource'],
    ['destination 127.0.0.1', (f) => fixSum(f, () => f.set([127, 0, 0, 1], 14 + 16)), 'martianDestination'],
    ['unicast IP in a link broadcast', (f) => { f.fill(0xff, 0, 6); return f; }, 'notForwardable'],
    ['multicast destination', (f) => fixSum(f, () => f.set([224, 0, 0, 5], 14 + 16)), 'notForwardable'],
    ['directed broadcast of a connected subnet', (f) => fixSum(f, () => f.set([10, 2, 0, 255], 14 + 16)), 'notForwardable'],
    ['no route', (f) => fixSum(f, () => f.set([192, 0, 2, 1], 14 + 16)), 'noRoute'],
  ];
  for (const [what, mutate, reason] of cases) {
    const before = d[reason];
    const fwd = r.counters.forwarded;
    r.handle(0, mutate(good()), 20);
    assert.equal(d[reason], before + 1, what);
    assert.equal(r.counters.forwarded, fwd, what);
    const out = drain(r);
    // Only "no route" answers (net unreachable to the source); everything else is silent.
    assert.equal(out.length, reason === 'noRoute' ? 1 : 0, what);
  }
  r.handle(5, good(), 20);
  assert.equal(d.ifaceDown, 1, 'an interface that does not exist');
  r.handle(0, withEthernet(new Uint8Array(14 + 10), R0, A, EtherType.ARP), 20);
  assert.equal(d.arpMalformed, 1);
});

function fixSum(f: Uint8Array, change: () => void): Uint8Array {
  change();
  setU16(f, 14 + 10, 0);
  setU16(f, 14 + 10, internetChecksum(f, 14, 34));
  return f;
}

test('router: ARP for other networks, replies nobody asked for, and poisoning attempts change nothing', () => {
  const r = setup();
  const ad = r.arp.counters.drops;
  const arpIn = (ifIndex: number, op: number, sha: Uint8Array, spa: string, tha: Uint8Array, tpa: string, dst = ifIndex ? R1 : R0): void =>
    r.handle(ifIndex, arpFrame(arpEthernetIpv4(op, sha, ip(spa), tha, ip(tpa)), sha, dst), 30);
  // A request for our address from a sender on another network: not answered, not learnt.
  arpIn(0, ArpOp.REQUEST, EVIL, '192.0.2.9', new Uint8Array(6), '10.1.0.1', mac('ff:ff:ff:ff:ff:ff'));
  assert.equal(ad.otherNetwork, 1);
  assert.equal(drain(r).length, 0);
  // A reply nobody asked for.
  arpIn(0, ArpOp.REPLY, EVIL, '10.1.0.77', R0, '10.1.0.1');
  assert.equal(ad.unsolicited, 1);
  assert.ok(!r.showArp().some((e) => e.ip === '10.1.0.77'));
  // A reply claiming B's address with another MAC.
  arpIn(1, ArpOp.REPLY, EVIL, '10.2.0.20', R1, '10.2.0.1');
  assert.equal(ad.poisonRefused, 1);
  assert.equal(r.showArp().find((e) => e.ip === '10.2.0.20')!.mac, '02:00:00:00:00:0b');
  // Traffic still goes to B's real MAC.
  r.handle(0, good(), 31);
  assert.deepEqual(drain(r)[0]!.frame.subarray(0, 6), B);
  // A gratuitous ARP for B's address (B moved to a new NIC) is accepted, as STALE.
  const NEW = mac('02:00:00:00:00:bb');
  arpIn(1, ArpOp.REQUEST, NEW, '10.2.0.20', new Uint8Array(6), '10.2.0.20', mac('ff:ff:ff:ff:ff:ff'));
  const e = r.showArp().find((x) => x.ip === '10.2.0.20')!;
  assert.deepEqual([e.mac, e.state], ['02:00:00:00:00:bb', 'STALE']);
  r.handle(0, good(), 32);
  const out = drain(r);
  assert.deepEqual(out.find((t) => t.frame[12] === 0x08 && t.frame[13] === 0x00)!.frame.subarray(0, 6), NEW);
  assert.ok(out.some((t) => t.frame[13] === 0x06), 'and the STALE entry is re-probed');
  // A request for our address from a host on the subnet is answered (and teaches us nothing).
  arpIn(0, ArpOp.REQUEST, A, '10.1.0.10', new Uint8Array(6), '10.1.0.1', mac('ff:ff:ff:ff:ff:ff'));
  const [rep] = drain(r);
  const p = parseArp(rep!.frame.subarray(14));
  assert.ok(p.ok && p.value.op === ArpOp.REPLY && p.value.tpa === ip('10.1.0.10'));
  assert.deepEqual(rep!.frame.subarray(0, 6), A);
});

test('router: no ICMP error about a non-first fragment; time exceeded quotes at most 576 octets', () => {
  const r = setup();
  const frag = good();
  fixSum(frag, () => { setU16(frag, 14 + 6, 0x0010); frag[14 + 8] = 1; });
  r.handle(0, frag, 40);
  assert.equal(r.counters.icmpSuppressed.nonFirstFragment, 1);
  assert.equal(drain(r).length, 0);
  // A big datagram with TTL 1: the error holds 548 octets of it (576 − 20 − 8).
  const big = withEthernet(udpPacket({ src: ip('10.1.0.10'), dst: ip('10.2.0.20'), ttl: 1 }, 1, 9, new Uint8Array(1400), 14), R0, A);
  r.handle(0, big, 41);
  r.handle(0, arpFrame(arpEthernetIpv4(ArpOp.REPLY, A, ip('10.1.0.10'), R0, ip('10.1.0.1')), A, R0), 42);
  const sent = drain(r).filter((t) => t.frame[13] === 0x00);
  assert.equal(sent.length, 1);
  const ipv = parseIpv4(sent[0]!.frame.subarray(14));
  assert.ok(ipv.ok && ipv.value.payload.length + 20 === 576);
  const m = parseIcmp(ipv.value.payload);
  assert.ok(m.ok && m.value.kind === 'time-exceeded' && m.value.original.length === 548);
  assert.equal(ipv.value.src, ip('10.1.0.1'));
});

test('router: echo requests to the router with a bad ICMP checksum are dropped', () => {
  const r = setup();
  const f = withEthernet(icmpPacket({ src: ip('10.1.0.10'), dst: ip('10.1.0.1') }, { kind: 'echo', type: IcmpType.ECHO_REQUEST, code: 0, identifier: 1, sequence: 1, data: new Uint8Array(8) }, 14), R0, A);
  f[14 + 20 + 9]! ^= 1;
  r.handle(0, f, 50);
  assert.equal(r.counters.drops.icmpChecksum, 1);
  assert.equal(r.counters.icmpOut.echoReply, 0);
});

test('router: 200,000 random and mutated frames never throw, and the router still forwards after', () => {
  const r = setup();
  const seeds = [good(), arpFrame(arpEthernetIpv4(ArpOp.REQUEST, A, ip('10.1.0.10'), new Uint8Array(6), ip('10.1.0.1')), A),
    withEthernet(icmpPacket({ src: ip('10.1.0.10'), dst: ip('10.1.0.1') }, { kind: 'echo', type: 8, code: 0, identifier: 1, sequence: 1, data: new Uint8Array(8) }, 14), R0, A)];
  let now = 100;
  const rand = rng(3);
  fuzzDecoder((b) => {
    // Half the inputs keep our MAC so they get past the Ethernet filter.
    if (b.length >= 6 && rand() & 1) b.set(R0, 0);
    r.handle(0, b, now++);
    if ((now & 1023) === 0) r.handleTimeout(now);
    drain(r);
    return ok(null);
  }, seeds, 200_000, 99);
  const sum = Object.values(r.counters.drops).reduce((x, y) => x + y, 0);
  assert.ok(sum > 100_000, `drops ${sum}`);
  // Still a router: whatever the fuzz did to the ARP cache (within the policy), B resolves and traffic flows.
  now += 10_000;
  r.handleTimeout(now);
  drain(r);
  const f = good();
  r.handle(0, f, now);
  r.handle(1, arpFrame(arpEthernetIpv4(ArpOp.REPLY, B, ip('10.2.0.20'), R1, ip('10.2.0.1')), B, R1), now);
  const out = drain(r);
  assert.ok(out.some((t) => t.frame.buffer === f.buffer), 'the good frame was forwarded in place');
});

test('router: interfaces taken away are given again — a p2p interface per session does not grow the table with every login', () => {
  const r = new Router();
  r.addInterface({ kind: 'ethernet', name: 'core', mac: mac('02:00:00:00:00:01'), address: ip('10.0.0.1'), prefixLength: 24 }, 0);
  const seen = new Set<number>();
  for (let i = 0; i < 1000; i++) {
    const a = r.addInterface({ kind: 'p2p', name: `ppp${i}`, peer: (ip('100.64.0.0') + (i % 2) + 2) >>> 0 }, i);
    const b = r.addInterface({ kind: 'p2p', name: `ppp${i}b`, peer: (ip('100.64.1.0') + (i % 2) + 2) >>> 0 }, i);
    seen.add(a).add(b);
    r.removeInterface(a, i);
    r.removeInterface(b, i);
  }
  assert.deepEqual([...seen].sort(), [1, 2], 'two indexes, given again and again');
  assert.equal(r.showInterfaces().length, 1);
  // A new session on a given-again index gets its own routes, none of the old session's.
  const c = r.addInterface({ kind: 'p2p', name: 'pppX', peer: ip('100.64.9.9') }, 2000);
  assert.ok(c === 1 || c === 2);
  assert.deepEqual(r.showRoutes().filter((x) => x.interface === 'pppX').map((x) => x.prefix), ['100.64.9.9/32']);
  assert.equal(r.showRoutes().filter((x) => x.prefix.startsWith('100.64.0.') || x.prefix.startsWith('100.64.1.')).length, 0);
});

// ---- unreachable routes (the LNS's discard route for its pool) ------------------------------

const dir = mkdtempSync(path.join(tmpdir(), 'pseudonet-router4-'));
after(() => rmSync(dir, { recursive: true, force: true }));
/** The ICMP frames the unreachable-route tests saw leave, for tshark. */
const icmpSent: Uint8Array[] = [];

/**
 * setup() plus what an LNS has: ppp0 to a subscriber holding 100.64.0.7 (its /32), the pool
 * 100.64.0.0/16 as an unreachable route, and a default route to B (the core router), which a
 * packet to an unused pool address must not follow.
 */
function lns(o: RouterOptions = {}): Router {
  const r = setup(o);
  r.addInterface({ kind: 'p2p', name: 'ppp0', peer: ip('100.64.0.7') }, 0);
  assert.ok(r.addRoute({ prefix: ip('100.64.0.0'), prefixLength: 16, kind: 'unreachable' }));
  assert.ok(r.addRoute({ prefix: 0, prefixLength: 0, nextHop: ip('10.2.0.20') }));
  // A resolved on eth0 (a Time Exceeded to it makes the router ask), so errors to it leave at once.
  r.handle(0, withEthernet(udpPacket({ src: ip('10.1.0.10'), dst: ip('10.2.0.20'), ttl: 1 }, 1, 9, new Uint8Array(4), 14), R0, A), 0);
  r.handle(0, arpFrame(arpEthernetIpv4(ArpOp.REPLY, A, ip('10.1.0.10'), R0, ip('10.1.0.1')), A, R0), 0);
  drain(r);
  assert.equal(r.showArp().find((e) => e.ip === '10.1.0.10')?.state, 'REACHABLE');
  return r;
}

const toPool = (dst: string, ttl = 9, src = '10.1.0.10'): Uint8Array => withEthernet(udpPacket({ src: ip(src), dst: ip(dst), ttl }, 4000, 33434, new Uint8Array(20).fill(0x5a), 14), R0, A);

function sentOut(r: Router): Transmit[] {
  const out = drain(r);
  for (const t of out) if (t.frame.length >= 34 && t.frame[12] === 0x08 && t.frame[13] === 0x00 && t.frame[14 + 9] === 1) icmpSent.push(new Uint8Array(t.frame));
  return out;
}

/** The code of the one Destination Unreachable in `out`. */
function icmpCode(out: Transmit[]): number {
  assert.equal(out.length, 1);
  const ipv = parseIpv4(out[0]!.frame.subarray(14));
  assert.ok(ipv.ok && ipv.value.protocol === 1);
  const m = parseIcmp(ipv.value.payload);
  assert.ok(m.ok && m.value.kind === 'dest-unreachable');
  return m.value.code;
}

test('router: a packet matching an unreachable route is not forwarded (not even by the default route): Destination Unreachable, Host Unreachable (code 1, RFC 1812 §5.2.7.1), quoting the datagram as received', () => {
  const r = lns();
  const fwd = r.counters.forwarded;
  const f = toPool('100.64.9.9');
  const quoted = new Uint8Array(f.subarray(14));
  r.handle(0, f, 10);
  const out = sentOut(r);
  assert.equal(out.length, 1, 'one error, nothing toward the default route');
  assert.equal(out[0]!.ifIndex, 0);
  assert.deepEqual(out[0]!.frame.subarray(0, 6), A);
  const ipv = parseIpv4(out[0]!.frame.subarray(14));
  assert.ok(ipv.ok && ipv4HeaderChecksumOk(out[0]!.frame, 14));
  assert.equal(ipv.value.protocol, 1);
  // From the address of the interface toward the source (RFC 1812 §4.3.2.4), to the source.
  assert.equal(ipv.value.src, ip('10.1.0.1'));
  assert.equal(ipv.value.dst, ip('10.1.0.10'));
  assert.equal(internetChecksum(ipv.value.payload), 0, 'ICMP checksum');
  const m = parseIcmp(ipv.value.payload);
  assert.ok(m.ok && m.value.kind === 'dest-unreachable');
  assert.equal(m.value.code, 1);
  // RFC 792 / RFC 1812 §4.3.2.3: the IP header and at least 8 octets of data; this one is small enough to be whole, TTL as received.
  assert.ok(Buffer.from(m.value.original).equals(Buffer.from(quoted)));
  assert.equal(r.counters.forwarded, fwd);
  assert.equal(r.counters.drops.unreachableRoute, 1);
  assert.equal(r.counters.drops.noRoute, 0);
  assert.equal(r.counters.icmpOut.hostUnreachable, 1);
  // Longest match: the subscriber's /32 in the pool still goes to ppp0, TTL − 1.
  r.handle(0, toPool('100.64.0.7'), 11);
  const [t] = sentOut(r);
  assert.equal(t!.ifIndex, 1 + 1, 'ppp0');
  assert.equal(t!.frame[8], 8);
  // Outside the pool, the default route.
  r.handle(0, toPool('100.65.0.1'), 12);
  assert.equal(sentOut(r)[0]!.ifIndex, 1);
  assert.equal(r.counters.forwarded, fwd + 2);
  // show routes: the kind, no interface, no next hop.
  assert.deepEqual(r.showRoutes().filter((x) => x.kind === 'unreachable'), [{ prefix: '100.64.0.0/16', nextHop: undefined, ifIndex: -1, kind: 'unreachable', interface: '-' }]);
});

test('router: errors for unreachable routes follow RFC 1812 §4.3.2.7 (none about an ICMP error, a non-first fragment, or from one of our addresses) and the rate limit (§4.3.2.8)', () => {
  const r = lns({ icmpRate: { perSecond: 10, burst: 3 } });
  const s = r.counters.icmpSuppressed;
  // At 1 s the bucket is full again (3) whatever lns() took from it.
  // An ICMP error toward an unused pool address.
  const err = withEthernet(icmpPacket({ src: ip('10.1.0.10'), dst: ip('100.64.9.9'), ttl: 9 }, { kind: 'dest-unreachable', code: 3, unused: 0, nextHopMtu: 0, original: new Uint8Array(28) }, 14), R0, A);
  r.handle(0, err, 1000);
  assert.equal(s.aboutIcmpError, 1);
  // An Echo Request is not an error: it gets one.
  r.handle(0, withEthernet(icmpPacket({ src: ip('10.1.0.10'), dst: ip('100.64.9.9'), ttl: 9 }, { kind: 'echo', type: IcmpType.ECHO_REQUEST, code: 0, identifier: 1, sequence: 1, data: new Uint8Array(8) }, 14), R0, A), 1000);
  // A non-first fragment.
  const frag = toPool('100.64.9.9');
  fixSum(frag, () => setU16(frag, 14 + 6, 0x0010));
  r.handle(0, frag, 1000);
  assert.equal(s.nonFirstFragment, 1);
  // From one of our own addresses.
  r.handle(0, toPool('100.64.9.9', 9, '10.2.0.1'), 1000);
  assert.equal(s.badSource, 1);
  assert.equal(r.counters.drops.unreachableRoute, 4);
  assert.equal(sentOut(r).length, 1, 'only the Echo Request got an error');
  assert.equal(r.counters.icmpOut.hostUnreachable, 1);
  // Burst 3, one token used: two more errors, then rate-limited.
  for (let i = 0; i < 6; i++) r.handle(0, toPool(`100.64.9.${10 + i}`), 1000);
  assert.equal(sentOut(r).length, 2);
  assert.equal(s.rateLimited, 4);
  assert.equal(r.counters.icmpOut.hostUnreachable, 3);
});

test('router: a route of the same prefix as an unreachable one replaces it while it lasts; when it goes (removed or its interface gone) the unreachable route is back', () => {
  const r = lns();
  // A pool of one address (a /32 no session holds, then held).
  assert.ok(r.addRoute({ prefix: ip('100.66.0.1'), prefixLength: 32, kind: 'unreachable' }));
  const ppp = r.addInterface({ kind: 'p2p', name: 'ppp1' }, 30);
  assert.ok(r.addRoute({ prefix: ip('100.66.0.1'), prefixLength: 32, ifIndex: ppp, kind: 'runtime' }));
  r.handle(0, toPool('100.66.0.1'), 31);
  assert.equal(sentOut(r)[0]!.ifIndex, ppp);
  assert.ok(r.removeRoute(ip('100.66.0.1'), 32));
  r.handle(0, toPool('100.66.0.1'), 32);
  assert.equal(icmpCode(sentOut(r)), 1);
  // Again, with the interface going away (a session ending).
  assert.ok(r.addRoute({ prefix: ip('100.66.0.1'), prefixLength: 32, ifIndex: ppp, kind: 'runtime' }));
  r.removeInterface(ppp, 33);
  assert.deepEqual(r.showRoutes().filter((x) => x.prefix === '100.66.0.1/32').map((x) => x.kind), ['unreachable']);
  r.handle(0, toPool('100.66.0.1'), 34);
  assert.equal(icmpCode(sentOut(r)), 1);
  // The unreachable route itself is removed like a static one, and then the default route takes the address.
  assert.ok(r.removeRoute(ip('100.66.0.1'), 32));
  r.handle(0, toPool('100.66.0.1'), 35);
  assert.equal(sentOut(r)[0]!.ifIndex, 1);
  assert.ok(r.removeRoute(ip('100.64.0.0'), 16));
  assert.equal(r.showRoutes().filter((x) => x.kind === 'unreachable').length, 0);
});

test('router: tshark dissects the Host Unreachable errors, checksums checked: no malformed packet, no expert warning', () => {
  assert.ok(icmpSent.length >= 4);
  const w = new PcapngWriter();
  const ifc = w.addInterface(1, 'router4');
  icmpSent.forEach((f, i) => w.write(ifc, 1000 + i, f.length < 60 ? Uint8Array.from([...f, ...new Uint8Array(60 - f.length)]) : f));
  const file = path.join(dir, 'router4.pcapng');
  writeFileSync(file, w.bytes());
  withChecksumChecks(dir, () => {
    const summary = tsharkSummary(file).join('\n');
    assert.match(summary, /Destination unreachable \(Host unreachable\)/);
    assert.deepEqual(tsharkProblems(file), []);
  });
});

test('router: an interface added without a name is named by the namer when shown, else #ifIndex; addresses at and above 2^31 read back unsigned', () => {
  const r = new Router();
  const core = r.addInterface({ kind: 'ethernet', name: 'core', mac: mac('02:00:00:00:00:01'), address: ip('192.0.2.1'), prefixLength: 24 }, 0);
  const sub = r.addInterface({ kind: 'p2p', peer: ip('198.51.100.7') }, 0);
  assert.equal(r.interfaceName(sub), `#${sub}`, 'no namer yet');
  r.nameInterfaces((i) => (i === sub ? 'l2tp-1-2' : undefined));
  assert.equal(r.interfaceName(sub), 'l2tp-1-2');
  assert.equal(r.interfaceName(core), 'core', 'an interface\'s own name comes first');
  const view = r.showInterfaces();
  assert.deepEqual(view.map((v) => [v.name, v.address, v.peer]), [['core', '192.0.2.1', undefined], ['l2tp-1-2', undefined, '198.51.100.7']]);
  assert.deepEqual(r.showRoutes().filter((x) => x.interface === 'l2tp-1-2').map((x) => x.prefix), ['198.51.100.7/32']);
});

test('an interface is refused, naming it, when its MTU, MSS clamp or prefix length is out of range; the values it keeps read back as given', () => {
  const r = new Router();
  assert.throws(() => r.addInterface({ kind: 'p2p', name: 'ppp9', address: ip('10.9.0.1'), peer: ip('10.9.0.2'), mtu: 65536 }, 0), /ppp9: MTU 65536 out of 68\.\.65535/);
  assert.throws(() => r.addInterface({ kind: 'p2p', name: 'ppp9', address: ip('10.9.0.1'), peer: ip('10.9.0.2'), mssClamp: 70000 }, 0), /ppp9: MSS clamp 70000 out of 0\.\.65535/);
  assert.throws(() => r.addInterface({ kind: 'ethernet', name: 'eth9', mac: R0, address: ip('10.9.0.1'), prefixLength: 33 }, 0), /eth9: prefix length 33 out of 0\.\.32/);
  const i = r.addInterface({ kind: 'p2p', name: 'ppp0', address: ip('10.9.0.1'), peer: ip('10.9.0.2'), mtu: 65535, mssClamp: 65495 }, 0);
  const e = r.addInterface({ kind: 'ethernet', name: 'eth0', mac: R0, address: ip('10.1.0.1'), prefixLength: 24, mtu: 9000 }, 0);
  const show = r.showInterfaces();
  const p = show.find((x) => x.name === 'ppp0')!;
  const q = show.find((x) => x.name === 'eth0')!;
  assert.deepEqual([p.kind, p.mtu, p.mssClamp, p.up, p.peer], ['p2p', 65535, 65495, true, '10.9.0.2']);
  assert.deepEqual([q.kind, q.mtu, q.mssClamp, q.up, q.address, q.prefixLength], ['ethernet', 9000, undefined, true, '10.1.0.1', 24]);
  assert.ok(i !== e);
});
