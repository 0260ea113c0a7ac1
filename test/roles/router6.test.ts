/**
 * The router's IPv6 path driven directly (no links), each expectation from its RFC:
 * forwarding with Hop Limit (RFC 8200 §3), ICMPv6 errors and their limits (RFC 4443), no
 * fragmentation and Packet Too Big (RFC 8200 §5), link-local scope (RFC 4291 §2.5.6, RFC 4007
 * §9), NDP resolution and the bounded waiting queue (RFC 4861 §7.2); and tshark's verdict
 * on everything the router emitted.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Router, type Transmit, type RouterOptions } from '../../src/roles/router.js';
import { ipv4FromString as ip, macFromString as mac, macToString } from '../../src/wire/bytes.js';
import { ipv6FromString as ip6, ipv6ToString, parseIpv6 } from '../../src/wire/ipv6.js';
import { icmpv6ChecksumOk, parseIcmpv6, type Icmpv6Message } from '../../src/wire/icmpv6.js';
import { lla, NaFlag, parseNdp, type NdpMessage } from '../../src/wire/ndp.js';
import { icmpv6Packet, ndpPacket, udp6Packet } from '../../src/wire/ipv6-packets.js';
import { udpPacket, withEthernet } from '../../src/wire/packets.js';
import { PcapngWriter } from '../../src/wire/pcap.js';
import { tsharkProblems, tsharkSummary } from '../helpers/tshark.js';
import { withChecksumChecks } from '../helpers/wsconfig.js';

const R0 = mac('02:00:00:00:01:00');
const R1 = mac('02:00:00:00:01:01');
const A = mac('02:00:00:00:00:0a');
const B = mac('02:00:00:00:00:0b');
const aIp = ip6('2001:db8:1::a');
const bIp = ip6('2001:db8:2::b');
const r0Ip = ip6('2001:db8:1::1');
const r1Ip = ip6('2001:db8:2::1');
// fe80:: + modified EUI-64 of 02:00:00:00:01:0x (RFC 4291 App. A: flip the U/L bit, ff:fe in the middle).
const r0Ll = ip6('fe80::ff:fe00:100');
const r1Ll = ip6('fe80::ff:fe00:101');
const subscriber = ip6('2001:db8:100:10::1234');
const IPV6 = 0x86dd;

const emitted: Uint8Array[] = [];
const dir = mkdtempSync(path.join(tmpdir(), 'pseudonet-router6-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function drain(r: Router): Transmit[] {
  const out: Transmit[] = [];
  for (let t = r.pollTransmit(); t; t = r.pollTransmit()) {
    out.push(t);
    if (t.frame.length >= 14 && t.frame[12] === 0x86 && t.frame[13] === 0xdd) emitted.push(new Uint8Array(t.frame));
  }
  return out;
}

/** eth0 2001:db8:1::1/64 (A on it), eth1 2001:db8:2::1/64 (B), ppp0 a p2p subscriber link with MTU 1454 and 2001:db8:100:10::/64. */
function setup(o: RouterOptions = {}): Router {
  const r = new Router(o);
  r.addInterface({ kind: 'ethernet', name: 'eth0', mac: R0, address: ip('10.1.0.1'), prefixLength: 24 }, 0);
  r.addInterface({ kind: 'ethernet', name: 'eth1', mac: R1, address: ip('10.2.0.1'), prefixLength: 24 }, 0);
  r.addInterface({ kind: 'p2p', name: 'ppp0', peer: ip('100.64.0.7'), mtu: 1454 }, 0);
  r.setAddress6(0, r0Ip, 64, 0);
  r.setAddress6(1, r1Ip, 64, 0);
  assert.ok(r.addRoute6({ prefix: ip6('2001:db8:100:10::'), prefixLength: 64, ifIndex: 2, kind: 'runtime' }));
  drain(r);
  return r;
}

const udpFrom = (src: Uint8Array, dst: Uint8Array, hopLimit = 64, size = 10, from = A, to = R0): Uint8Array => withEthernet(udp6Packet({ src, dst, hopLimit }, 4000, 9, new Uint8Array(size).fill(0x5a), 14), to, from, IPV6);

function ipOf(frame: Uint8Array, o = 14): { src: string; dst: string; hopLimit: number; nextHeader: number; payload: Uint8Array; raw: Uint8Array } {
  const p = parseIpv6(frame.subarray(o));
  assert.ok(p.ok, 'an IPv6 packet');
  return { src: ipv6ToString(p.value.src), dst: ipv6ToString(p.value.dst), hopLimit: p.value.hopLimit, nextHeader: p.value.nextHeader, payload: p.value.payload, raw: frame.subarray(o) };
}

function icmpOf(frame: Uint8Array, o = 14): Icmpv6Message & { ip: ReturnType<typeof ipOf> } {
  const x = ipOf(frame, o);
  assert.equal(x.nextHeader, 58);
  assert.ok(icmpv6ChecksumOk(x.raw.subarray(8, 24), x.raw.subarray(24, 40), x.payload), 'ICMPv6 checksum');
  const m = parseIcmpv6(x.payload);
  assert.ok(m.ok);
  return { ...m.value, ip: x };
}

function ndpOf(frame: Uint8Array): NdpMessage & { ip: ReturnType<typeof ipOf> } {
  const x = ipOf(frame);
  const m = parseNdp(x.payload);
  assert.ok(m.ok);
  return { ...m.value, ip: x };
}

/** An NDP Neighbor Solicitation (ICMPv6 type 135 right after a bare IPv6 header)? */
const isNs = (frame: Uint8Array): boolean => frame[14 + 6] === 58 && frame[14 + 40] === 135;

const na = (from: Uint8Array, fromIp: Uint8Array, to: Uint8Array, toIp: Uint8Array, flags: number, hopLimit = 255): Uint8Array =>
  withEthernet(ndpPacket({ src: fromIp, dst: toIp, hopLimit }, { kind: 'na', code: 0, checksum: 0, flags: flags >>> 0, target: fromIp, options: [lla('target-lla', from)] }, 14), to, from, IPV6);

/** Resolves B on eth1 (NS out, NA back) with one packet A → B. */
function resolveB(r: Router): Transmit[] {
  r.handle(0, udpFrom(aIp, bIp), 1);
  drain(r);
  r.handle(1, na(B, bIp, R1, r1Ll, NaFlag.SOLICITED | NaFlag.OVERRIDE), 2);
  return drain(r);
}

test('router6: a packet to an unresolved neighbour waits; the NS goes to its solicited-node group from our link-local; the NA releases it with Hop Limit - 1', () => {
  const r = setup();
  const sent = udpFrom(aIp, bIp, 64);
  const copy = new Uint8Array(sent);
  r.handle(0, sent, 1);
  const [ns, ...rest] = drain(r);
  assert.equal(rest.length, 0);
  assert.equal(ns!.ifIndex, 1);
  // RFC 2464 §7: 33:33 + the last four octets of ff02::1:ff00:b.
  assert.equal(macToString(ns!.frame.subarray(0, 6)), '33:33:ff:00:00:0b');
  const m = ndpOf(ns!.frame);
  assert.equal(m.kind, 'ns');
  assert.equal(m.ip.dst, 'ff02::1:ff00:b');
  assert.equal(m.ip.src, 'fe80::ff:fe00:101');
  assert.equal(m.ip.hopLimit, 255, 'RFC 4861 §7.1.1');
  assert.ok(m.kind === 'ns' && ipv6ToString(m.target) === '2001:db8:2::b');
  assert.deepEqual(m.options.map((x) => x.kind === 'source-lla' && macToString(x.address)), ['02:00:00:00:01:01']);
  assert.equal(r.ndp.state(1, bIp, 1), 'INCOMPLETE');
  // An NA with Hop Limit 254 crossed a router: not valid (§7.1.2), nothing is released.
  r.handle(1, na(B, bIp, R1, r1Ll, NaFlag.SOLICITED | NaFlag.OVERRIDE, 254), 2);
  assert.equal(drain(r).length, 0);
  assert.equal(r.ndp.counters.drops.hopLimit, 1);
  r.handle(1, na(B, bIp, R1, r1Ll, NaFlag.SOLICITED | NaFlag.OVERRIDE), 3);
  const [out] = drain(r);
  assert.equal(out!.ifIndex, 1);
  assert.equal(macToString(out!.frame.subarray(0, 6)), '02:00:00:00:00:0b');
  assert.equal(macToString(out!.frame.subarray(6, 12)), '02:00:00:00:01:01');
  assert.equal(out!.frame.buffer, sent.buffer, 'forwarded in place, not copied');
  // Everything but the Ethernet addresses and the Hop Limit is what A sent.
  copy[14 + 7] = 63;
  assert.deepEqual(out!.frame.subarray(12), copy.subarray(12));
  assert.equal(r.ndp.state(1, bIp, 3), 'REACHABLE');
  // The next packet goes at once.
  r.handle(0, udpFrom(aIp, bIp, 2), 4);
  const [next] = drain(r);
  assert.equal(ipOf(next!.frame).hopLimit, 1);
  assert.equal(r.counters6.forwarded, 2);
  assert.ok(r.showArp().some((e) => e.ip === '2001:db8:2::b' && e.mac === '02:00:00:00:00:0b' && e.interface === 'eth1'));
});

test('router6: the waiting queue is bounded per neighbour and overall; a failed resolution (3 solicitations, RFC 4861 §7.2.2) answers Address Unreachable', () => {
  const r = setup({ ndp: { queuePerHop: 2, queueGlobal: 3 } });
  for (let i = 0; i < 4; i++) r.handle(0, udpFrom(aIp, bIp), 1);
  r.handle(0, udpFrom(aIp, ip6('2001:db8:2::c')), 1);
  r.handle(0, udpFrom(aIp, ip6('2001:db8:2::c')), 1);
  assert.equal(r.ndp.queuedPackets, 3);
  assert.equal(r.ndp.counters.drops.queuePerHop, 2);
  assert.equal(r.ndp.counters.drops.queueGlobal, 1);
  assert.equal(r.counters6.drops.ndpQueueFull, 3);
  let ns = drain(r).length;
  for (let t = 1; t <= 5000; t += 100) {
    r.handleTimeout(t);
    const out = drain(r);
    for (const x of out) {
      if (x.ifIndex === 1) ns++;
      else if (isNs(x.frame)) r.handle(0, na(A, aIp, R0, r0Ll, NaFlag.SOLICITED | NaFlag.OVERRIDE), t);
      else {
        // An ICMPv6 Destination Unreachable, code 3, to A for each packet that waited.
        const m = icmpOf(x.frame);
        assert.ok(m.kind === 'dest-unreachable' && m.code === 3);
        assert.equal(m.ip.dst, '2001:db8:1::a');
        assert.equal(m.ip.src, '2001:db8:1::1');
      }
    }
  }
  assert.equal(ns, 6, 'MAX_MULTICAST_SOLICIT = 3 solicitations for each of the two neighbours');
  assert.equal(r.counters6.drops.ndpFailed, 3);
  assert.equal(r.ndp.queuedPackets, 0);
  assert.deepEqual(r.showArp().filter((e) => e.ip.includes(':')).map((e) => e.ip), ['2001:db8:1::a'], 'only A, which answered, is left');
});

test('router6: Hop Limit 1 or 0 gets Time Exceeded code 0 from the address of the interface toward the source, quoting the packet (RFC 4443 §3.3)', () => {
  const r = setup();
  resolveB(r);
  for (const hl of [1, 0]) {
    const f = udpFrom(aIp, bIp, hl);
    const quoted = new Uint8Array(f.subarray(14));
    r.handle(0, f, 10);
    const out = drain(r);
    assert.equal(out.length, 1);
    // A's link address is not known yet the first time: an NS for A first.
    const [t] = out;
    if (isNs(t!.frame)) {
      r.handle(0, na(A, aIp, R0, r0Ll, NaFlag.SOLICITED | NaFlag.OVERRIDE), 11);
      out.splice(0, 1, ...drain(r));
    }
    const m = icmpOf(out[0]!.frame);
    assert.ok(m.kind === 'time-exceeded' && m.code === 0);
    assert.equal(m.ip.src, '2001:db8:1::1');
    assert.equal(m.ip.dst, '2001:db8:1::a');
    assert.ok(m.kind === 'time-exceeded' && Buffer.from(m.original).equals(Buffer.from(quoted)));
  }
  assert.equal(r.counters6.drops.hopLimitExceeded, 2);
  assert.equal(r.counters6.icmpOut.timeExceeded, 2);
});

function resolved(o: RouterOptions = {}): Router {
  const r = setup(o);
  resolveB(r);
  r.handle(0, udpFrom(aIp, bIp, 1), 10);
  drain(r);
  r.handle(0, na(A, aIp, R0, r0Ll, NaFlag.SOLICITED | NaFlag.OVERRIDE), 11);
  drain(r);
  return r;
}

test('router6: no route gets Destination Unreachable code 0; a packet too big for the next link gets Packet Too Big with that MTU and is never fragmented', () => {
  const r = resolved();
  r.handle(0, udpFrom(aIp, ip6('2001:db8:99::1')), 20);
  let [t] = drain(r);
  let m = icmpOf(t!.frame);
  assert.ok(m.kind === 'dest-unreachable' && m.code === 0);
  // 1500 octets of IPv6 toward the subscriber link (MTU 1454).
  const big = udpFrom(aIp, subscriber, 64, 1500 - 48);
  assert.equal(big.length - 14, 1500);
  r.handle(0, big, 21);
  const out = drain(r);
  assert.equal(out.length, 1, 'nothing leaves on ppp0');
  m = icmpOf(out[0]!.frame);
  assert.ok(m.kind === 'packet-too-big' && m.mtu === 1454);
  // RFC 4443 §2.4 (c): as much of the packet as fits in 1280 octets.
  assert.equal(m.ip.raw.length, 1280);
  assert.ok(m.kind === 'packet-too-big' && m.original.length === 1280 - 48);
  // One that fits goes out bare on the p2p link (the LNS puts PPP 0x0057 in front).
  r.handle(0, udpFrom(aIp, subscriber, 64, 1454 - 48), 22);
  [t] = drain(r);
  assert.equal(t!.ifIndex, 2);
  assert.equal(t!.frame[0]! >>> 4, 6);
  assert.equal(t!.frame.length, 1454);
  assert.equal(r.counters6.drops.tooBig, 1);
  assert.equal(r.counters6.drops.noRoute, 1);
});

test('router6: ICMPv6 errors are rate-limited by a token bucket (RFC 4443 §2.4 (f))', () => {
  const r = resolved({ icmp6Rate: { perSecond: 10, burst: 3 } });
  const before = r.counters6.icmpOut.timeExceeded;
  const base = r.counters6.icmpSuppressed.rateLimited;
  for (let i = 0; i < 10; i++) r.handle(0, udpFrom(aIp, bIp, 1), 10_000);
  drain(r);
  assert.equal(r.counters6.icmpOut.timeExceeded - before, 3);
  assert.equal(r.counters6.icmpSuppressed.rateLimited - base, 7);
  // 10 per second: 200 ms later two more tokens.
  for (let i = 0; i < 5; i++) r.handle(0, udpFrom(aIp, bIp, 1), 10_200);
  assert.equal(r.counters6.icmpOut.timeExceeded - before, 5);
});

test('router6: no error about an ICMPv6 error, to a multicast destination, or from an unspecified source (RFC 4443 §2.4 (e))', () => {
  const r = resolved();
  const sent = r.counters6.localOut;
  // A Time Exceeded from A with Hop Limit 1.
  const te = icmpv6Packet({ src: aIp, dst: bIp, hopLimit: 1 }, { kind: 'time-exceeded', code: 0, checksum: 0, unused: 0, original: new Uint8Array(48) }, 14);
  r.handle(0, withEthernet(te, R0, A, IPV6), 30);
  assert.equal(r.counters6.icmpSuppressed.aboutIcmpError, 1);
  // An Echo Request with Hop Limit 1 is not an error: it gets one.
  const echo = icmpv6Packet({ src: aIp, dst: bIp, hopLimit: 1 }, { kind: 'echo', type: 128, code: 0, checksum: 0, identifier: 1, sequence: 1, data: new Uint8Array(8) }, 14);
  r.handle(0, withEthernet(echo, R0, A, IPV6), 30);
  assert.equal(r.counters6.localOut, sent + 1);
  // Global multicast is not routed here, and no error is sent about it.
  r.handle(0, udpFrom(aIp, ip6('ff0e::1'), 1, 10, A, mac('33:33:00:00:00:01')), 30);
  assert.equal(r.counters6.drops.notForwardable, 1);
  // A unicast destination inside an Ethernet multicast frame is not forwarded.
  r.handle(0, udpFrom(aIp, bIp, 64, 10, A, mac('33:33:00:00:00:01')), 30);
  assert.equal(r.counters6.drops.notForwardable, 2);
  // From ::, never forwarded (RFC 4291 §2.5.2), no error.
  r.handle(0, udpFrom(ip6('::'), bIp, 1), 30);
  assert.equal(r.counters6.drops.martianSource, 1);
  // From a multicast source: dropped.
  r.handle(0, udpFrom(ip6('ff02::1'), bIp), 30);
  assert.equal(r.counters6.drops.martianSource, 2);
  drain(r);
  assert.equal(r.counters6.localOut, sent + 1);
});

test('router6: link-local sources and destinations are not forwarded; a link-local source gets Beyond Scope of Source Address back on its own link (RFC 4291 §2.5.6, RFC 4007 §9)', () => {
  const r = resolved();
  const fwd = r.counters6.forwarded;
  r.handle(0, udpFrom(ip6('fe80::a'), bIp), 40);
  let out = drain(r);
  // The error goes to fe80::a on eth0: NDP resolves it there first.
  assert.equal(out.length, 1);
  const ns = ndpOf(out[0]!.frame);
  assert.ok(ns.kind === 'ns' && ipv6ToString(ns.target) === 'fe80::a' && out[0]!.ifIndex === 0);
  r.handle(0, na(A, ip6('fe80::a'), R0, r0Ll, NaFlag.SOLICITED | NaFlag.OVERRIDE), 41);
  out = drain(r);
  const m = icmpOf(out[0]!.frame);
  assert.ok(m.kind === 'dest-unreachable' && m.code === 2);
  assert.equal(m.ip.src, 'fe80::ff:fe00:100');
  assert.equal(m.ip.dst, 'fe80::a');
  r.handle(0, udpFrom(aIp, ip6('fe80::b')), 42);
  assert.equal(drain(r).length, 0);
  assert.equal(r.counters6.drops.linkLocal, 2);
  assert.equal(r.counters6.forwarded, fwd);
});

test('router6: answers Echo Requests to its addresses and Neighbor Solicitations for them (R, S, O set, RFC 4861 §7.2.4)', () => {
  const r = resolved();
  for (const [dst, from] of [[r0Ip, '2001:db8:1::1'], [r1Ip, '2001:db8:2::1'], [r0Ll, 'fe80::ff:fe00:100']] as const) {
    const src = dst === r0Ll ? ip6('fe80::a') : aIp;
    if (dst === r0Ll) r.handle(0, na(A, src, R0, r0Ll, NaFlag.OVERRIDE), 50); // unsolicited: no entry, nothing learned
    const echo = icmpv6Packet({ src, dst }, { kind: 'echo', type: 128, code: 0, checksum: 0, identifier: 7, sequence: 9, data: new Uint8Array([1, 2, 3]) }, 14);
    r.handle(0, withEthernet(echo, R0, A, IPV6), 50);
    let out = drain(r);
    if (out.length && isNs(out[0]!.frame)) {
      r.handle(0, na(A, src, R0, r0Ll, NaFlag.SOLICITED | NaFlag.OVERRIDE), 51);
      out = drain(r);
    }
    const m = icmpOf(out[0]!.frame);
    assert.ok(m.kind === 'echo' && m.type === 129 && m.identifier === 7 && m.sequence === 9 && Buffer.from(m.data).equals(Buffer.from([1, 2, 3])));
    assert.equal(m.ip.src, from);
  }
  assert.equal(r.counters6.icmpOut.echoReply, 3);
  // An NS from A for the router's address, to its solicited-node group.
  const ns = (hopLimit: number): Uint8Array => withEthernet(ndpPacket({ src: aIp, dst: ip6('ff02::1:ff00:1'), hopLimit }, { kind: 'ns', code: 0, checksum: 0, reserved: 0, target: r0Ip, options: [lla('source-lla', A)] }, 14), mac('33:33:ff:00:00:01'), A, IPV6);
  r.handle(0, ns(255), 60);
  const [t] = drain(r);
  assert.equal(macToString(t!.frame.subarray(0, 6)), '02:00:00:00:00:0a');
  const m = ndpOf(t!.frame);
  assert.ok(m.kind === 'na');
  assert.equal(m.flags >>> 0, (NaFlag.ROUTER | NaFlag.SOLICITED | NaFlag.OVERRIDE) >>> 0);
  assert.equal(ipv6ToString(m.target), '2001:db8:1::1');
  assert.equal(m.ip.src, '2001:db8:1::1');
  assert.equal(m.ip.dst, '2001:db8:1::a');
  assert.equal(m.ip.hopLimit, 255);
  assert.deepEqual(m.options.map((x) => x.kind === 'target-lla' && macToString(x.address)), ['02:00:00:00:01:00']);
  // The same NS with Hop Limit 254 is not answered (§7.1.1).
  r.handle(0, ns(254), 61);
  assert.equal(drain(r).length, 0);
  // UDP to the router: Port Unreachable (code 4).
  r.handle(0, udpFrom(aIp, r0Ip), 62);
  const pu = icmpOf(drain(r)[0]!.frame);
  assert.ok(pu.kind === 'dest-unreachable' && pu.code === 4);
});

test('router6: p2p interfaces take bare IPv6 and IPv4 by the version nibble; removing one takes its IPv6 routes', () => {
  const r = resolved();
  // A packet in a buffer of its own (as from outside) has no room in front: copied once.
  const pkt = udp6Packet({ src: subscriber, dst: bIp, hopLimit: 9 }, 1, 2, new Uint8Array(4)).slice();
  r.handle(2, pkt, 70);
  const [t] = drain(r);
  assert.equal(t!.ifIndex, 1);
  assert.equal(ipOf(t!.frame).hopLimit, 8);
  assert.equal(r.counters6.headroomCopies, 1, 'p2p → Ethernet needs 14 octets in front');
  // One built here lives in a packet cell with room in front: the Ethernet header goes in place.
  r.handle(2, udp6Packet({ src: subscriber, dst: bIp, hopLimit: 9 }, 1, 2, new Uint8Array(4)), 70);
  assert.equal(drain(r)[0]!.ifIndex, 1);
  assert.equal(r.counters6.headroomCopies, 1, 'no copy for a packet with room in front');
  r.handle(2, udpPacket({ src: ip('100.64.0.7'), dst: ip('10.2.0.99') }, 1, 2, new Uint8Array(4)), 70);
  assert.equal(r.counters.forwarded, 1);
  assert.equal(r.arp.queuedPackets, 1, 'the IPv4 packet went the IPv4 way (waiting for ARP)');
  drain(r);
  assert.ok(r.showRoutes().some((x) => x.prefix === '2001:db8:100:10::/64' && x.interface === 'ppp0'));
  r.removeInterface(2, 71);
  assert.ok(!r.showRoutes().some((x) => x.prefix === '2001:db8:100:10::/64'));
  r.handle(0, udpFrom(aIp, subscriber), 72);
  const m = icmpOf(drain(r)[0]!.frame);
  assert.ok(m.kind === 'dest-unreachable' && m.code === 0);
  const ifs = r.showInterfaces();
  assert.equal(ifs[0]!.address6, '2001:db8:1::1');
  assert.equal(ifs[0]!.linkLocal6, 'fe80::ff:fe00:100');
});

test('router6: addRoute6 through a next hop on a connected prefix, removeRoute6; bad input never throws', () => {
  const r = resolved();
  assert.ok(r.addRoute6({ prefix: ip6('2001:db8:8000::'), prefixLength: 33, nextHop: bIp }));
  r.handle(0, udpFrom(aIp, ip6('2001:db8:8000:1000::1')), 80);
  const [t] = drain(r);
  assert.equal(t!.ifIndex, 1);
  assert.equal(macToString(t!.frame.subarray(0, 6)), '02:00:00:00:00:0b');
  assert.ok(r.removeRoute6(ip6('2001:db8:8000::'), 33));
  assert.throws(() => r.addRoute6({ prefix: ip6('2001:db8:9::'), prefixLength: 48, nextHop: ip6('2001:db8:77::1') }));
  // Truncated, a Payload Length beyond the frame, random bytes.
  const f = udpFrom(aIp, bIp);
  r.handle(0, f.subarray(0, 14 + 39), 81);
  const long = new Uint8Array(f);
  long[14 + 5] = 200;
  r.handle(0, long, 81);
  assert.equal(r.counters6.drops.truncated, 1);
  assert.equal(r.counters6.drops.payloadLength, 1);
  let s = 7;
  for (let i = 0; i < 3000; i++) {
    const g = new Uint8Array(14 + (i % 120));
    for (let k = 0; k < g.length; k++) g[k] = (s = (Math.imul(s, 1103515245) + 12345) >>> 0) >>> 24;
    g.set(R0, 0);
    g[12] = 0x86;
    g[13] = 0xdd;
    if (g.length > 14) g[14] = 0x60 | (g[14]! & 0x0f);
    r.handle(0, g, 82);
    r.handle(2, g.subarray(14), 82);
  }
  drain(r);
});

test('router6: an Ethernet interface without an IPv6 address takes no IPv6 (no forwarding, no NDP there)', () => {
  const r = new Router();
  r.addInterface({ kind: 'ethernet', name: 'eth0', mac: R0, address: ip('10.1.0.1'), prefixLength: 24 }, 0);
  r.addInterface({ kind: 'ethernet', name: 'eth1', mac: R1, address: ip('10.2.0.1'), prefixLength: 24, address6: r1Ip, prefixLength6: 64 }, 0);
  drain(r);
  r.handle(0, udpFrom(aIp, bIp), 1);
  assert.equal(r.counters.drops.ethertype, 1);
  assert.equal(drain(r).length, 0);
  assert.equal(r.showInterfaces()[0]!.address6, undefined);
  assert.equal(r.showInterfaces()[1]!.address6, '2001:db8:2::1');
  // RFC 8200 §5: no IPv6 on a link below 1280 octets.
  const small = r.addInterface({ kind: 'ethernet', name: 'eth2', mac: mac('02:00:00:00:01:02'), address: ip('10.3.0.1'), prefixLength: 24, mtu: 1279 }, 0);
  assert.throws(() => r.setAddress6(small, ip6('2001:db8:3::1'), 64, 0), /1280/);
});

/**
 * resolved() plus what an LNS has: its pools 2001:db8:100::/40 (WAN /64s) and
 * 2001:db8:8000::/33 (delegated /56s) as unreachable routes, a session's delegated /56 on
 * ppp0 beside its /64, and ::/0 toward B (the core router), which a packet to an unused pool
 * prefix must not follow.
 */
function lns6(o: RouterOptions = {}): Router {
  const r = resolved(o);
  assert.ok(r.addRoute6({ prefix: ip6('2001:db8:100::'), prefixLength: 40, kind: 'unreachable' }));
  assert.ok(r.addRoute6({ prefix: ip6('2001:db8:8000::'), prefixLength: 33, kind: 'unreachable' }));
  assert.ok(r.addRoute6({ prefix: ip6('2001:db8:8000:1000::'), prefixLength: 56, ifIndex: 2, kind: 'runtime' }));
  assert.ok(r.addRoute6({ prefix: ip6('::'), prefixLength: 0, nextHop: bIp }));
  return r;
}

test('router6: a packet matching an unreachable route is not forwarded (not even by ::/0): Destination Unreachable code 3, Address Unreachable (RFC 4443 §3.1), quoting the packet as received', () => {
  const r = lns6();
  const fwd = r.counters6.forwarded;
  for (const [dst, n] of [['2001:db8:100:99::1', 1], ['2001:db8:8000:2000::1', 2]] as const) {
    const f = udpFrom(aIp, ip6(dst), 64);
    const quoted = new Uint8Array(f.subarray(14));
    r.handle(0, f, 100);
    const out = drain(r);
    assert.equal(out.length, 1, 'one error, nothing toward ::/0');
    assert.equal(out[0]!.ifIndex, 0);
    assert.equal(macToString(out[0]!.frame.subarray(0, 6)), '02:00:00:00:00:0a');
    const m = icmpOf(out[0]!.frame);
    assert.ok(m.kind === 'dest-unreachable' && m.code === 3);
    assert.equal(m.ip.src, '2001:db8:1::1');
    assert.equal(m.ip.dst, '2001:db8:1::a');
    // §3.1: "As much of invoking packet as possible without the ICMPv6 packet exceeding the minimum IPv6 MTU"; Hop Limit as received.
    assert.ok(m.kind === 'dest-unreachable' && Buffer.from(m.original).equals(Buffer.from(quoted)));
    assert.equal(r.counters6.drops.unreachableRoute, n);
    assert.equal(r.counters6.icmpOut.addressUnreachable, n);
  }
  assert.equal(r.counters6.forwarded, fwd);
  assert.equal(r.counters6.drops.noRoute, 0);
  // Longest match: the session's /64 and /56 inside the pools still go to ppp0, Hop Limit − 1.
  for (const dst of ['2001:db8:100:10::1234', '2001:db8:8000:1000:1::5']) {
    r.handle(0, udpFrom(aIp, ip6(dst), 64), 101);
    const [t] = drain(r);
    assert.equal(t!.ifIndex, 2);
    assert.equal(ipOf(t!.frame, 0).hopLimit, 63);
  }
  // Outside the pools, ::/0.
  r.handle(0, udpFrom(aIp, ip6('2001:db8:200::1'), 64), 102);
  assert.equal(drain(r)[0]!.ifIndex, 1);
  assert.equal(r.counters6.forwarded, fwd + 3);
  assert.deepEqual(r.showRoutes().filter((x) => x.kind === 'unreachable'), [
    { prefix: '2001:db8:100::/40', nextHop: undefined, ifIndex: -1, kind: 'unreachable', interface: '-' },
    { prefix: '2001:db8:8000::/33', nextHop: undefined, ifIndex: -1, kind: 'unreachable', interface: '-' },
  ]);
  // The router's own packets to such an address go nowhere either.
  assert.equal(r.ping6(ip6('2001:db8:100:99::1'), 1, 1, 8, 103), false);
  assert.equal(drain(r).length, 0);
});

test('router6: errors for unreachable routes follow RFC 4443 §2.4 (e) (none about an ICMPv6 error, none to a source of ours) and the (f) rate limit', () => {
  const r = lns6({ icmp6Rate: { perSecond: 10, burst: 3 } });
  const s = r.counters6.icmpSuppressed;
  const base = { ...s };
  const dst = ip6('2001:db8:100:99::1');
  // An ICMPv6 error toward an unused pool address: no error about it (e.1).
  const err = icmpv6Packet({ src: aIp, dst, hopLimit: 64 }, { kind: 'dest-unreachable', code: 4, checksum: 0, unused: 0, original: new Uint8Array(48) }, 14);
  r.handle(0, withEthernet(err, R0, A, IPV6), 10_000);
  assert.equal(s.aboutIcmpError - base.aboutIcmpError, 1);
  // An Echo Request is informational: it gets one.
  const echo = icmpv6Packet({ src: aIp, dst, hopLimit: 64 }, { kind: 'echo', type: 128, code: 0, checksum: 0, identifier: 3, sequence: 1, data: new Uint8Array(8) }, 14);
  r.handle(0, withEthernet(echo, R0, A, IPV6), 10_000);
  // From one of the router's own addresses (e.3: the source does not name another node).
  r.handle(0, udpFrom(r1Ip, dst), 10_000);
  assert.equal(s.badSource - base.badSource, 1);
  let out = drain(r);
  assert.equal(out.length, 1, 'only the Echo Request got an error');
  assert.ok(icmpOf(out[0]!.frame).kind === 'dest-unreachable');
  assert.equal(r.counters6.drops.unreachableRoute, 3);
  // Burst 3, one token used: two more, then rate-limited.
  for (let i = 0; i < 6; i++) r.handle(0, udpFrom(aIp, ip6(`2001:db8:100:99::${i + 10}`)), 10_000);
  out = drain(r);
  assert.equal(out.length, 2);
  assert.equal(s.rateLimited - base.rateLimited, 4);
});

test('router6: a route of the same prefix as an unreachable one (a pool of one /64) replaces it while it lasts; when it goes the unreachable route is back', () => {
  const r = lns6();
  const p = ip6('2001:db8:100:20::');
  assert.ok(r.addRoute6({ prefix: p, prefixLength: 64, kind: 'unreachable' }));
  const ppp = r.addInterface({ kind: 'p2p', name: 'ppp1' }, 110);
  const code = (): number => {
    r.handle(0, udpFrom(aIp, ip6('2001:db8:100:20::9')), 111);
    const out = drain(r);
    assert.equal(out.length, 1);
    if (out[0]!.ifIndex === ppp) return -1;
    const m = icmpOf(out[0]!.frame);
    assert.ok(m.kind === 'dest-unreachable');
    return m.code;
  };
  assert.equal(code(), 3);
  assert.ok(r.addRoute6({ prefix: p, prefixLength: 64, ifIndex: ppp, kind: 'runtime' }));
  assert.equal(code(), -1, 'forwarded to the session');
  assert.ok(r.removeRoute6(p, 64));
  assert.equal(code(), 3);
  assert.ok(r.addRoute6({ prefix: p, prefixLength: 64, ifIndex: ppp, kind: 'runtime' }));
  r.removeInterface(ppp, 112);
  assert.deepEqual(r.showRoutes().filter((x) => x.prefix === '2001:db8:100:20::/64').map((x) => x.kind), ['unreachable']);
  assert.equal(code(), 3);
  assert.ok(r.removeRoute6(p, 64));
  // Now the /40 pool route holds it.
  assert.equal(code(), 3);
  assert.equal(r.showRoutes().filter((x) => x.prefix === '2001:db8:100:20::/64').length, 0);
});

test('router6: tshark dissects every NDP message and ICMPv6 error the router emitted, checksums checked: no malformed packet, no expert warning', () => {
  assert.ok(emitted.length >= 10);
  const w = new PcapngWriter();
  const ifc = w.addInterface(1, 'router6');
  emitted.forEach((f, i) => w.write(ifc, 1000 + i, f.length < 60 ? Uint8Array.from([...f, ...new Uint8Array(60 - f.length)]) : f));
  const file = path.join(dir, 'router6.pcapng');
  writeFileSync(file, w.bytes());
  withChecksumChecks(dir, () => {
    const summary = tsharkSummary(file).join('\n');
    for (const what of ['Neighbor Solicitation', 'Neighbor Advertisement', 'Time Exceeded', 'Destination Unreachable', 'Packet Too Big', 'Echo (ping) reply']) assert.match(summary, new RegExp(what.replace(/[()]/g, '\\$&')));
    assert.deepEqual(tsharkProblems(file), []);
  });
});
