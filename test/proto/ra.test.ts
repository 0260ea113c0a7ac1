/**
 * The RA engine against RFC 4861: the initial burst and periodic times (§6.2.4, the §10
 * constants written out here), the RS answer's delay and rate limit (§6.2.6), the §6.1.1
 * checks on a solicitation, the advertisement's contents (§4.2, §4.6.2, §4.6.4, RFC 8106), and
 * bounded state however many solicitations arrive.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { RouterAdvertiser, raConfig, rsProblem, type RaTransmit } from '../../src/proto/ra.js';
import { ndpPacket } from '../../src/wire/ipv6-packets.js';
import { ipv6FromString as ip6, ipv6ToString, parseIpv6, ipv6UpperLayer } from '../../src/wire/ipv6.js';
import { RaFlag, PrefixFlag } from '../../src/wire/ndp.js';
import type { Counters } from '../../src/proto/ppp-common.js';
import { PcapngWriter } from '../../src/wire/pcap.js';
import { tsharkProblems, tsharkSummary } from '../helpers/tshark.js';
import { withChecksumChecks } from '../helpers/wsconfig.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const NTE_LL = ip6('fe80::1234:5678:9abc:def0');
const HOME_LL = ip6('fe80::7593:97b3:29ab:2448');
const ALL_ROUTERS = ip6('ff02::2');
const PREFIX = { prefix: ip6('2001:db8:100:10::'), length: 64 };
const DNS = [ip6('2001:db8:ffff:1::53')];

/** Runs the engine on a virtual clock up to `until`, returning when each RA went out. */
function run(ra: RouterAdvertiser, from: number, until: number, at: RaTransmit[] & { times?: number[] } = [], times: number[] = []): number[] {
  for (let t = ra.nextTimeout(); t !== undefined && t <= until; t = ra.nextTimeout()) {
    ra.handleTimeout(t);
    for (let x = ra.pollTransmit(); x; x = ra.pollTransmit()) {
      at.push(x);
      times.push(t - from);
    }
  }
  return times;
}

/** An RS as bytes: the ICMPv6 part of an IPv6 packet, with the header fields the checks need. */
function rs(opts: { src?: Uint8Array; hopLimit?: number; code?: number; options?: { kind: 'source-lla'; address: Uint8Array }[] } = {}): [Uint8Array, Uint8Array, number, Uint8Array] {
  const src = opts.src ?? HOME_LL;
  const pkt = ndpPacket({ src, dst: ALL_ROUTERS, hopLimit: opts.hopLimit ?? 255 }, { kind: 'rs', code: opts.code ?? 0, checksum: 0, reserved: 0, options: opts.options ?? [] });
  const ip = parseIpv6(pkt);
  assert.ok(ip.ok);
  const u = ipv6UpperLayer(ip.value);
  assert.ok(u.ok);
  return [src, ALL_ROUTERS, ip.value.hopLimit, u.value.data];
}

test('§6.2.4: the first RA at once, the first three at most 16 s apart, then every [MinRtrAdvInterval, MaxRtrAdvInterval]', () => {
  // random() = 0.999999: the longest interval each time (600 s), so the 16 s cap shows.
  const counters: Counters = {};
  const ra = new RouterAdvertiser(raConfig({ random: () => 0.999999 }), { source: NTE_LL, prefix: PREFIX, mtu: 1454, dns: DNS }, counters);
  const start = 1_000_000;
  ra.start(start);
  const first = ra.pollTransmit();
  assert.ok(first, 'the first RA as IPV6CP comes up');
  const times = [0, ...run(ra, start, start + 2_000_000)];
  // MAX_INITIAL_RTR_ADVERTISEMENTS = 3 with MAX_INITIAL_RTR_ADVERT_INTERVAL = 16 s, then MaxRtrAdvInterval 600 s.
  assert.deepEqual(times.slice(0, 6), [0, 16_000, 32_000, 632_000, 1_232_000, 1_832_000]);
  // random() = 0: the shortest, MinRtrAdvInterval = 0.33 × 600 s = 198 s (§6.2.1 default).
  const ra2 = new RouterAdvertiser(raConfig({ random: () => 0 }), { source: NTE_LL, mtu: 1454, dns: [] }, {});
  ra2.start(0);
  ra2.pollTransmit();
  assert.deepEqual([0, ...run(ra2, 0, 700_000)], [0, 16_000, 32_000, 230_000, 428_000, 626_000]);
  assert.equal(counters['ra.sent'], 6, 'the six up to 2,000 s');
});

test('RA contents: source, all-nodes, hop limit 255, M=0 O=1, router lifetime, Prefix Information L+A with lifetimes, MTU, RDNSS', () => {
  const ra = new RouterAdvertiser(raConfig({ random: () => 0.5 }), { source: NTE_LL, prefix: PREFIX, mtu: 1454, dns: DNS }, {});
  ra.start(0);
  const t = ra.pollTransmit()!;
  assert.equal(ipv6ToString(t.src), 'fe80::1234:5678:9abc:def0');
  assert.equal(ipv6ToString(t.dst), 'ff02::1');
  assert.equal(t.hopLimit, 255);
  const m = t.message;
  assert.equal(m.curHopLimit, 64);
  assert.equal(m.flags & RaFlag.MANAGED, 0);
  assert.equal(m.flags & RaFlag.OTHER, RaFlag.OTHER);
  assert.equal(m.routerLifetime, 1800, 'AdvDefaultLifetime = 3 × MaxRtrAdvInterval');
  assert.deepEqual(m.options, [
    { kind: 'prefix', prefixLength: 64, flags: PrefixFlag.ON_LINK | PrefixFlag.AUTONOMOUS, validLifetime: 2_592_000, preferredLifetime: 604_800, reserved: 0, prefix: PREFIX.prefix },
    { kind: 'mtu', reserved: 0, mtu: 1454 },
    { kind: 'rdnss', reserved: 0, lifetime: 1800, servers: DNS },
  ]);
  // A link with no /64 (pool exhausted): link-local only, no Prefix Information.
  const bare = new RouterAdvertiser(raConfig(), { source: NTE_LL, mtu: 1454, dns: [] }, {});
  assert.deepEqual(bare.advertisement().options, [{ kind: 'mtu', reserved: 0, mtu: 1454 }]);
});

test('§6.2.6: an RS is answered after a random delay up to MAX_RA_DELAY_TIME, never sooner than MIN_DELAY_BETWEEN_RAS after the last RA; RSs meanwhile share it', () => {
  const counters: Counters = {};
  const ra = new RouterAdvertiser(raConfig({ random: () => 0.5 }), { source: NTE_LL, prefix: PREFIX, mtu: 1454, dns: DNS }, counters);
  ra.start(0);
  ra.pollTransmit();
  run(ra, 0, 100_000);
  // Burst done at 0, 16, 32 s (capped); the next periodic one is at 32 + 198 + 0.5 × 403 s.
  const sent: RaTransmit[] = [];
  assert.equal(ra.handleSolicitation(...rs(), 100_000), true);
  const t1 = run(ra, 0, 101_000, sent);
  assert.deepEqual(t1, [100_250], 'delay 0.5 × 500 ms');
  assert.equal(ra.handleSolicitation(...rs(), 100_300), true);
  assert.deepEqual(run(ra, 0, 110_000, sent), [103_250], '3 s after the last RA');
  // Many RSs in a row: one RA, state does not grow.
  for (let i = 0; i < 10_000; i++) ra.handleSolicitation(...rs(), 200_000 + i / 100);
  assert.deepEqual(run(ra, 0, 210_000, sent), [200_250]);
  assert.equal(counters['ra.rs-coalesced'], 9_999);
  assert.equal(counters['ra.solicited'], 3);
  // The periodic timer restarts after an answer (§6.2.4 "each time a multicast RA is sent").
  assert.ok(ra.nextTimeout()! >= 200_250 + 198_000);
  ra.stop();
  assert.equal(ra.handleSolicitation(...rs(), 300_000), false, 'a stopped link answers nothing');
  assert.equal(ra.nextTimeout(), undefined);
});

test('§6.1.1: solicitations that fail the validity checks are dropped and counted, never answered', () => {
  const counters: Counters = {};
  const ra = new RouterAdvertiser(raConfig({ random: () => 0 }), { source: NTE_LL, prefix: PREFIX, mtu: 1454, dns: DNS }, counters);
  ra.start(0);
  ra.pollTransmit();
  const [src, dst, hl, icmp] = rs();
  const badSum = icmp.slice();
  badSum[2]! ^= 0xff;
  const zeroOpt = new Uint8Array(16);
  zeroOpt.set(icmp.subarray(0, 8));
  const cases: [string, Parameters<typeof rsProblem>][] = [
    ['hop-limit', rs({ hopLimit: 64 })],
    ['code', rs({ code: 1 })],
    ['checksum', [src, dst, hl, badSum]],
    ['short', [src, dst, hl, icmp.subarray(0, 6)]],
    ['sllao-from-unspecified', rs({ src: new Uint8Array(16), options: [{ kind: 'source-lla', address: Uint8Array.of(2, 0, 0, 0, 0, 0xa) }] })],
  ];
  for (const [reason, args] of cases) {
    assert.equal(rsProblem(...args), reason);
    assert.equal(ra.handleSolicitation(...args, 50_000), false, reason);
    assert.equal(counters[`ra.rs-drop.${reason}`], 1, reason);
  }
  // An option of length zero (§4.6 "MUST silently discard"): the checksum made right for it.
  const z = ndpPacket({ src, dst: ALL_ROUTERS }, { kind: 'rs', code: 0, checksum: 0, reserved: 0, options: [{ kind: 'raw', type: 99, data: new Uint8Array(6) }] });
  z[40 + 9] = 0; // option Length
  const zp = parseIpv6(z);
  assert.ok(zp.ok);
  const zu = ipv6UpperLayer(zp.value);
  assert.ok(zu.ok);
  const fixed = ndpFix(src, dst, zu.value.data);
  assert.equal(rsProblem(src, dst, 255, fixed), 'malformed');
  // Unspecified source without SLLAO is fine (a host before it has an address).
  assert.equal(rsProblem(...rs({ src: new Uint8Array(16) })), undefined);
  assert.equal(run(ra, 0, 60_000).length, 2, 'only the burst: nothing answered the bad ones');
});

/** Recomputes the ICMPv6 checksum of an edited message. */
function ndpFix(src: Uint8Array, dst: Uint8Array, icmp: Uint8Array): Uint8Array {
  const b = icmp.slice();
  b[2] = 0;
  b[3] = 0;
  let sum = 0;
  const add = (x: Uint8Array) => {
    for (let i = 0; i < x.length; i += 2) sum += (x[i]! << 8) | (x[i + 1] ?? 0);
  };
  add(src);
  add(dst);
  sum += b.length;
  sum += 58;
  add(b);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  const c = ~sum & 0xffff;
  b[2] = c >> 8;
  b[3] = c & 0xff;
  return b;
}

test('tshark dissects the RAs the engine builds (with a /64, link-local only, without RDNSS), as the nte sends them: no malformed packet, no expert warning', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'v6nte-ra-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const links = [
    { source: NTE_LL, prefix: PREFIX, mtu: 1454, dns: DNS },
    { source: NTE_LL, mtu: 1454, dns: DNS },
    { source: NTE_LL, prefix: PREFIX, mtu: 1492, dns: [] },
    { source: NTE_LL, prefix: PREFIX, mtu: 1454, dns: [ip6('2001:db8::53'), ip6('2001:db8::54')] },
  ];
  const w = new PcapngWriter();
  const ifc = w.addInterface(1, 'subscriber');
  links.forEach((l, i) => {
    const ra = new RouterAdvertiser(raConfig(), l, {});
    ra.start(0);
    const t = ra.pollTransmit()!;
    const ip = ndpPacket({ src: t.src, dst: t.dst, hopLimit: t.hopLimit }, t.message);
    const f = new Uint8Array(14 + ip.length);
    f.set([0x33, 0x33, 0, 0, 0, 1, 2, 0, 0, 0, 0, 0xb, 0x86, 0xdd]);
    f.set(ip, 14);
    w.write(ifc, 1_700_000_000_000 + i, f);
  });
  const file = path.join(dir, 'ra.pcapng');
  writeFileSync(file, w.bytes());
  withChecksumChecks(dir, () => {
    const summary = tsharkSummary(file);
    assert.equal(summary.length, links.length);
    assert.ok(summary.every((l) => /^ICMPv6\tRouter Advertisement/.test(l)), summary.join('\n'));
    assert.deepEqual(tsharkProblems(file), []);
  });
});
