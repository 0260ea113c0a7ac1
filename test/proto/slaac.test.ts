// SLAAC on a PPP link (RFC 4862 with RFC 4861's host side): Router Solicitations and their
// stop, the §6.1.2 validity checks, the address from the /64 + our identifier, the §5.5.3
// lifetime rules, the default router, the MTU option and RDNSS (RFC 8106).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Slaac, type SlaacEvent } from '../../src/proto/slaac.js';
import { mulberry32 } from '../../src/proto/seeded.js';
import { fromHex } from '../../src/wire/bytes.js';
import { ipv6FromString as ip6, ipv6ToString, linkLocalAddress, parseIpv6 } from '../../src/wire/ipv6.js';
import { ndpPacket } from '../../src/wire/ipv6-packets.js';
import { fillIcmpv6Checksum, icmpv6ChecksumOk } from '../../src/wire/icmpv6.js';
import { NDP_INFINITY, PrefixFlag, RaFlag, parseNdp, type NdpOption } from '../../src/wire/ndp.js';

const IID = fromHex('759397b329ab2448');
const LL = linkLocalAddress(IID);
const NTE = ip6('fe80::1');
const ALL_NODES = ip6('ff02::1');

function slaac(linkMtu = 1454): Slaac {
  return new Slaac({ interfaceId: IID, linkLocal: LL, linkMtu, random: mulberry32(3) }, {});
}

const prefix = (p: string, o: Partial<{ flags: number; valid: number; preferred: number; length: number }> = {}): NdpOption => ({
  kind: 'prefix', prefixLength: o.length ?? 64, flags: o.flags ?? (PrefixFlag.ON_LINK | PrefixFlag.AUTONOMOUS), validLifetime: o.valid ?? 7200, preferredLifetime: o.preferred ?? 3600, reserved: 0, prefix: ip6(p),
});

function ra(options: NdpOption[], o: Partial<{ src: Uint8Array; hopLimit: number; code: number; routerLifetime: number; flags: number; curHopLimit: number }> = {}): Uint8Array {
  return ndpPacket({ src: o.src ?? NTE, dst: ALL_NODES, hopLimit: o.hopLimit ?? 255 }, { kind: 'ra', code: o.code ?? 0, checksum: 0, curHopLimit: o.curHopLimit ?? 64, flags: o.flags ?? 0, routerLifetime: o.routerLifetime ?? 1800, reachableTime: 0, retransTimer: 0, options });
}

function feed(s: Slaac, packet: Uint8Array, now: number): boolean {
  const p = parseIpv6(packet);
  assert.ok(p.ok);
  return s.handleRa(p.value, p.value.payload, now);
}

function events(s: Slaac): SlaacEvent[] {
  const out: SlaacEvent[] = [];
  for (let e = s.pollEvent(); e; e = s.pollEvent()) out.push(e);
  return out;
}

function runRs(s: Slaac, until: number): { at: number; packet: Uint8Array }[] {
  const sent: { at: number; packet: Uint8Array }[] = [];
  for (let t = s.nextTimeout(); t !== undefined && t <= until; t = s.nextTimeout()) {
    s.handleTimeout(t);
    for (let p = s.pollTransmit(); p; p = s.pollTransmit()) sent.push({ at: t, packet: p });
  }
  return sent;
}

test('RS (RFC 4861 §6.3.7): first within MAX_RTR_SOLICITATION_DELAY, then every RTR_SOLICITATION_INTERVAL, MAX_RTR_SOLICITATIONS in all, then "no router"', () => {
  const s = slaac();
  s.start(0);
  const sent = runRs(s, 60_000);
  assert.equal(sent.length, 3);
  assert.ok(sent[0]!.at >= 0 && sent[0]!.at <= 1000, `first RS at ${sent[0]!.at}`);
  assert.equal(sent[1]!.at - sent[0]!.at, 4000);
  assert.equal(sent[2]!.at - sent[1]!.at, 4000);
  for (const { packet } of sent) {
    const p = parseIpv6(packet);
    assert.ok(p.ok);
    assert.equal(ipv6ToString(p.value.src), 'fe80::7593:97b3:29ab:2448', 'from our link-local');
    assert.equal(ipv6ToString(p.value.dst), 'ff02::2', 'to all-routers');
    assert.equal(p.value.hopLimit, 255);
    assert.ok(icmpv6ChecksumOk(p.value.src, p.value.dst, p.value.payload));
    const m = parseNdp(p.value.payload);
    assert.ok(m.ok && m.value.kind === 'rs' && m.value.code === 0);
    assert.deepEqual(m.value.options, [], 'no Source Link-Layer Address option on PPP (RFC 5072 §5)');
  }
  assert.deepEqual(events(s).map((e) => e.type), ['no-router']);
});

test('RS stop after a valid RA with a non-zero Router Lifetime (§6.3.7)', () => {
  const s = slaac();
  s.start(0);
  const first = runRs(s, 1000);
  assert.equal(first.length, 1);
  assert.equal(feed(s, ra([prefix('2001:db8:100:10::')]), 2000), true);
  assert.deepEqual(runRs(s, 60_000), []);
  assert.ok(!events(s).some((e) => e.type === 'no-router'));
});

test('a valid RA: the address is the /64 + our identifier, the RA source the default router, MTU and RDNSS taken, M/O reported', () => {
  const s = slaac();
  s.start(0);
  const ok = feed(s, ra([prefix('2001:db8:100:10::'), { kind: 'mtu', reserved: 0, mtu: 1280 }, { kind: 'rdnss', reserved: 0, lifetime: 600, servers: [ip6('2001:db8:ffff:1::53')] }], { flags: RaFlag.MANAGED | RaFlag.OTHER, curHopLimit: 32 }), 100);
  assert.equal(ok, true);
  assert.equal(ipv6ToString(s.address!), '2001:db8:100:10:7593:97b3:29ab:2448');
  assert.equal(ipv6ToString(s.defaultRouter!), 'fe80::1');
  assert.equal(s.mtu, 1280);
  assert.equal(s.hopLimit, 32);
  assert.deepEqual(s.dns.map((d) => ipv6ToString(d.server)), ['2001:db8:ffff:1::53']);
  const ev = events(s);
  assert.deepEqual(ev.map((e) => e.type), ['router', 'address-added', 'ra']);
  const r = ev.find((e) => e.type === 'ra')!;
  assert.ok(r.type === 'ra' && r.managed && r.other);
  // The MTU option above the link MTU is ignored (§6.3.4); RDNSS expires with its lifetime (RFC 8106 §5.1).
  feed(s, ra([{ kind: 'mtu', reserved: 0, mtu: 1500 }]), 200);
  assert.equal(s.mtu, 1280);
  assert.equal(s.counters['slaac.mtu-out-of-range'], 1);
  s.handleTimeout(100 + 600_000);
  assert.deepEqual(s.dns, []);
  // Router Lifetime 0 from the router: no longer a default router.
  feed(s, ra([], { routerLifetime: 0 }), 700_000);
  assert.equal(s.defaultRouter, undefined);
});

test('§6.1.2: RAs failing a validity check are discarded and counted, nothing taken', () => {
  const cases: [string, Uint8Array, string][] = [
    ['hop limit 64', ra([prefix('2001:db8:1::')], { hopLimit: 64 }), 'slaac.ra-hop-limit-not-255'],
    ['global source', ra([prefix('2001:db8:1::')], { src: ip6('2001:db8::1') }), 'slaac.ra-source-not-link-local'],
    ['ICMP code 1', ra([prefix('2001:db8:1::')], { code: 1 }), 'slaac.ra-code-not-0'],
  ];
  const bad = ra([prefix('2001:db8:1::')]);
  bad[40 + 2]! ^= 0x01;
  cases.push(['bad checksum', bad, 'slaac.ra-checksum']);
  // An option of length 0 (§6.1.2 "all included options have a length that is greater than zero"), checksum correct.
  const zero = ra([prefix('2001:db8:1::')]);
  const withZero = new Uint8Array(zero.length + 8);
  withZero.set(zero);
  withZero[40 + zero.length - 40] = 1; // option type 1, length 0
  withZero[5] = withZero[5]! + 8; // payload length
  fillIcmpv6Checksum(NTE, ALL_NODES, withZero, 40, withZero.length - 40);
  cases.push(['zero-length option', withZero, 'slaac.ra-ndp.option-length-zero']);
  // Shorter than an RA (16 octets of ICMP).
  const short = ndpPacket({ src: NTE, dst: ALL_NODES }, { kind: 'rs', code: 0, checksum: 0, reserved: 0, options: [] });
  short[40] = 134;
  fillIcmpv6Checksum(NTE, ALL_NODES, short, 40, short.length - 40);
  cases.push(['8 octets', short, 'slaac.ra-too-short']);
  for (const [name, pkt, counter] of cases) {
    const s = slaac();
    s.start(0);
    assert.equal(feed(s, pkt, 10), false, name);
    assert.equal(s.counters[counter], 1, `${name}: ${JSON.stringify(s.counters)}`);
    assert.equal(s.address, undefined, name);
    assert.equal(s.defaultRouter, undefined, name);
    assert.equal(runRs(s, 60_000).length, 3, `${name}: the RS go on`);
  }
});

test('§5.5.3: no A flag, a link-local prefix, preferred above valid, a /48: no address', () => {
  const s = slaac();
  feed(s, ra([
    prefix('2001:db8:1::', { flags: PrefixFlag.ON_LINK }),
    prefix('fe80::'),
    prefix('2001:db8:2::', { preferred: 9000, valid: 100 }),
    prefix('2001:db8:3::', { length: 48 }),
  ]), 0);
  assert.deepEqual(s.addresses, []);
  assert.equal(s.counters['slaac.prefix-link-local'], 1);
  assert.equal(s.counters['slaac.prefix-preferred-above-valid'], 1);
  assert.equal(s.counters['slaac.prefix-length-not-64'], 1);
});

test('§5.5.3 e): the valid lifetime and the two-hour rule; the address goes when its valid lifetime ends', () => {
  const H = 3600_000;
  const s = slaac();
  feed(s, ra([prefix('2001:db8:100:10::', { valid: 3 * 3600, preferred: 1800 })]), 0);
  const a = s.addresses[0]!;
  assert.equal(a.validUntil, 3 * H);
  // A short lifetime while more than two hours remain: two hours from now.
  feed(s, ra([prefix('2001:db8:100:10::', { valid: 60, preferred: 30 })]), 1000);
  assert.equal(a.validUntil, 1000 + 2 * H);
  assert.equal(a.preferredUntil, 1000 + 30_000, 'the preferred lifetime is reset as received');
  // Two hours or less remain: a shorter one is ignored.
  feed(s, ra([prefix('2001:db8:100:10::', { valid: 60, preferred: 30 })]), 2000);
  assert.equal(a.validUntil, 1000 + 2 * H);
  assert.equal(s.counters['slaac.valid-lifetime-kept'], 1);
  // Longer than the remaining: taken. Infinity: never expires.
  feed(s, ra([prefix('2001:db8:100:10::', { valid: 3 * 3600, preferred: 3600 })]), 3000);
  assert.equal(a.validUntil, 3000 + 3 * H);
  events(s);
  s.handleTimeout(3000 + 3 * H);
  assert.deepEqual(s.addresses, []);
  assert.deepEqual(events(s).filter((e) => e.type.startsWith('address')).map((e) => e.type), ['address-removed']);
  feed(s, ra([prefix('2001:db8:100:10::', { valid: NDP_INFINITY, preferred: NDP_INFINITY })]), 0);
  assert.equal((s.addresses as { validUntil: number | undefined }[])[0]!.validUntil, undefined);
});
