// The home dual-stack against a scripted LNS (test/helpers/home-v6-peer.ts): IPV6CP, SLAAC
// from the RA, a prefix by DHCPv6-PD, the LAN /64, home-ipv6-up, ping6 both ways, Release at
// hang-up; against an IPv4-only LNS it stays up on IPv4; runs are the same run by seed;
// and tshark finds nothing wrong with any RS, DHCPv6 message or ping6 the home emitted.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ScriptedLns, SERVER6, NTE_LL } from '../helpers/home-v6-peer.js';
import { Dhcpv6MessageType as T } from '../../src/wire/dhcpv6.js';
import { ipv6FromString as ip6, ipv6ToString, parseIpv6 } from '../../src/wire/ipv6.js';
import { icmpv6Packet } from '../../src/wire/ipv6-packets.js';
import { Icmpv6Type, parseIcmpv6 } from '../../src/wire/icmpv6.js';
import { PcapngWriter } from '../../src/wire/pcap.js';
import { u16 } from '../../src/wire/bytes.js';
import { tsharkProblems, tsharkSummary } from '../helpers/tshark.js';
import { withChecksumChecks } from '../helpers/wsconfig.js';
import { ipv6Packets } from '../helpers/ipv6-captures.js';
import { mulberry32 } from '../../src/proto/seeded.js';

const dir = mkdtempSync(path.join(tmpdir(), 'pseudonet-v6home-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function up(o: ConstructorParameters<typeof ScriptedLns>[0] = {}, until = 20_000): ScriptedLns {
  const n = new ScriptedLns(o);
  n.start();
  n.run(until);
  return n;
}

test('dual stack: IPV6CP, SLAAC address from the RA, a /56 by DHCPv6-PD (Rapid Commit), its first /64 as the LAN prefix, home-ipv6-up', () => {
  const n = up();
  assert.equal(n.home.isOnline, true, 'IPv4 online');
  assert.equal(n.homeEvents('online').length, 1);
  const v6 = n.home.ipv6!;
  const iid = n.home.link.ipv6cp!.negotiated().localIdentifier!;
  const ours = ip6('2001:db8:100:10::');
  ours.set(iid, 8);
  assert.equal(ipv6ToString(v6.address!), ipv6ToString(ours), 'the RA /64 + the IPV6CP identifier (RFC 4862 §5.5.3 d)');
  const ups = n.homeEvents('home-ipv6-up');
  assert.equal(ups.length, 1);
  assert.deepEqual(ups[0], { type: 'home-ipv6-up', home: 'home1', address: ipv6ToString(ours), delegatedPrefix: '2001:db8:8000:1000::/56', lanPrefix: '2001:db8:8000:1000::/64' });
  // The home's first IPv6 packets: an RS, and a Solicit from its link-local (RFC 8415 §13).
  assert.equal(n.kinds()[0] === 'icmpv6-133' || n.kinds()[0] === `dhcpv6-${T.SOLICIT}`, true, n.kinds().join(','));
  const sol = n.up6.find((x) => x.kind === `dhcpv6-${T.SOLICIT}`)!;
  const p = parseIpv6(sol.packet);
  assert.ok(p.ok);
  assert.equal(ipv6ToString(p.value.src), ipv6ToString(n.home.link.ipv6cp!.negotiated().localLinkLocal!));
  assert.equal(ipv6ToString(p.value.dst), 'ff02::1:2');
  assert.deepEqual(n.dhcp!.types(), [T.SOLICIT], 'Rapid Commit: one message');
  // show
  const row = (n.home.show('sessions', n.now) as Record<string, unknown>[])[0]!;
  assert.deepEqual(row.ipv6, { wanPrefix: '2001:db8:100:10::/64', delegatedPrefix: '2001:db8:8000:1000::/56', address: ipv6ToString(ours), lanPrefix: '2001:db8:8000:1000::/64', lanPort: 'none: the emulated home has no LAN port; the LAN /64 is recorded, not routed' });
  const ifs = n.home.show('interfaces', n.now) as Record<string, any>;
  assert.equal(ifs.ppp0.ipv6.slaac.defaultRouter, 'fe80::1');
  assert.equal(ifs.ppp0.ipv6.peerLinkLocal, 'fe80::1');
  assert.deepEqual(ifs.ppp0.ipv6.slaac.dns, ['2001:db8:ffff:1::53']);
  assert.equal(ifs.ppp0.ipv6.dhcpv6.state, 'bound');
  assert.deepEqual(ifs.ppp0.ipv6.dhcpv6.prefixes, ['2001:db8:8000:1000::/56']);
  assert.equal(ifs.lan.kind, 'none', 'no LAN port, said so');
  assert.deepEqual(n.home.show('routes', n.now), [{ prefix: '::/0', nextHop: 'fe80::1', interface: 'ppp0' }]);
});

test('ping6 from the home to the server is answered and matched; the home answers ping6 to its global address from that address', () => {
  const n = up();
  for (let k = 1; k <= 3; k++) n.act((now) => assert.equal(n.home.ping6(SERVER6, k, now), true));
  n.run(n.now + 1000);
  const replies = n.homeEvents('ip6').filter((e) => e.type === 'ip6' && e.event.kind === 'echo-reply');
  assert.equal(replies.length, 3);
  const r = replies[0]!;
  assert.ok(r.type === 'ip6' && r.event.kind === 'echo-reply' && r.event.from === '2001:db8:ffff:1::10' && r.event.sequence === 1 && r.event.bytes === 56);
  const req = n.up6.find((x) => x.kind === 'icmpv6-128')!;
  const p = parseIpv6(req.packet);
  assert.ok(p.ok);
  assert.equal(ipv6ToString(p.value.src), ipv6ToString(n.home.ipv6!.address!), 'from the SLAAC address');
  // An unmatched reply is counted, not reported.
  n.act(() => n.sendToHome(icmpv6Packet({ src: SERVER6, dst: n.home.ipv6!.address! }, { kind: 'echo', type: Icmpv6Type.ECHO_REPLY, code: 0, checksum: 0, identifier: 1, sequence: 99, data: new Uint8Array(8) })));
  assert.equal(n.home.counters['home6.drop.echo-reply-unmatched'], 1);
  // Echo request to our global address (RFC 4443 §4.2): a reply from that address with the same id, sequence and data.
  const before = n.up6.length;
  const addr = n.home.ipv6!.address!;
  n.act(() => n.sendToHome(icmpv6Packet({ src: SERVER6, dst: addr }, { kind: 'echo', type: Icmpv6Type.ECHO_REQUEST, code: 0, checksum: 0, identifier: 0x1234, sequence: 7, data: new Uint8Array([1, 2, 3, 4]) })));
  const out = n.up6.slice(before).find((x) => x.kind === 'icmpv6-129')!;
  const q = parseIpv6(out.packet);
  assert.ok(q.ok);
  assert.equal(ipv6ToString(q.value.src), ipv6ToString(addr));
  assert.equal(ipv6ToString(q.value.dst), '2001:db8:ffff:1::10');
  const m = parseIcmpv6(q.value.payload);
  assert.ok(m.ok && m.value.kind === 'echo' && m.value.identifier === 0x1234 && m.value.sequence === 7);
  assert.deepEqual([...m.value.data], [1, 2, 3, 4]);
  // Addressed to another host of the LAN prefix: no LAN port to go to, dropped and counted.
  const lanHost = ip6('2001:db8:8000:1000::42');
  n.act(() => n.sendToHome(icmpv6Packet({ src: SERVER6, dst: lanHost }, { kind: 'echo', type: Icmpv6Type.ECHO_REQUEST, code: 0, checksum: 0, identifier: 1, sequence: 1, data: new Uint8Array(0) })));
  assert.equal(n.home.counters['home6.drop.lan-no-port'], 1);
});

test('hang-up: the DHCPv6 Release goes out before the LCP Terminate-Request (RFC 8415 §18.2.7); a PADT sends none', () => {
  const n = up();
  n.act((now) => n.home.disconnect(now));
  n.run(n.now + 10_000);
  assert.deepEqual(n.dhcp!.types(), [T.SOLICIT, T.RELEASE]);
  const rel = n.homeFrames.findIndex((f) => u16(f.frame, 20) === 0x0057 && f.frame[22 + 40 + 8] === T.RELEASE);
  const term = n.homeFrames.findIndex((f) => u16(f.frame, 20) === 0xc021 && f.frame[22] === 5);
  assert.ok(rel >= 0 && term > rel, `Release frame ${rel}, Terminate-Request frame ${term}`);
  assert.equal(n.home.ipv6, undefined);
  assert.equal(n.homeEvents('home-ipv6-down').length, 1);
  const m = up();
  m.act((now) => m.home.padt(now));
  m.run(m.now + 5000);
  assert.deepEqual(m.dhcp!.types(), [T.SOLICIT]);
});

test('an IPv4-only LNS Protocol-Rejects IPV6CP: the home stays online on IPv4, sends no IPv6, and show has no ipv6', () => {
  const n = up({ ipv6cp: false }, 120_000);
  assert.equal(n.home.isOnline, true);
  assert.equal(n.homeEvents('offline').length, 0);
  assert.equal(n.home.ipv6, undefined);
  assert.deepEqual(n.up6, []);
  assert.equal(n.homeEvents('home-ipv6-up').length, 0);
  assert.equal(n.home.link.ipv6cp!.state <= 3, true, 'IPV6CP Closed/Stopped');
  const row = (n.home.show('sessions', n.now) as Record<string, unknown>[])[0]!;
  assert.equal('ipv6' in row, false);
  // IPv4 still works.
  n.act((now) => n.home.ping(0x0a000001, 1, now));
  assert.ok(n.home.counters['ppp.ipv6-before-ipv6cp'] === undefined);
});

test('no RA at all: three RS, the prefix is still asked for and delegated, and the home sources from lanPrefix::1', () => {
  const n = up({ ra: false }, 30_000);
  assert.equal(n.kinds().filter((k) => k === 'icmpv6-133').length, 3);
  const ups = n.homeEvents('home-ipv6-up');
  assert.equal(ups.length, 1);
  assert.ok(ups[0]!.type === 'home-ipv6-up' && ups[0]!.address === '2001:db8:8000:1000::1');
  n.act((now) => n.home.ping6(SERVER6, 1, now));
  n.run(n.now + 1000);
  assert.equal(n.homeEvents('ip6').filter((e) => e.type === 'ip6' && e.event.kind === 'echo-reply').length, 1);
});

test('lost Solicits and a lost RS are retransmitted on the virtual clock, then everything comes up', () => {
  const n = up({ loseUp: (kind, k) => (kind === `dhcpv6-${T.SOLICIT}` && k <= 2) || (kind === 'icmpv6-133' && k === 1) }, 30_000);
  assert.equal(n.kinds().filter((k) => k === `dhcpv6-${T.SOLICIT}`).length, 3);
  assert.equal(n.kinds().filter((k) => k === 'icmpv6-133').length, 2);
  assert.equal(n.homeEvents('home-ipv6-up').length, 1);
});

test('the same seed is the same run (identifier, delays, transaction ids); another seed another identifier', () => {
  const a = up({ seed: 5 });
  const b = up({ seed: 5 });
  const c = up({ seed: 6 });
  // The IPv6 packets, byte for byte and to the millisecond (LCP magic numbers and CHAP are node:crypto's, as they must be: not compared).
  const bytes = (n: ScriptedLns) => n.up6.map((f) => `${f.at}:${Buffer.from(f.packet).toString('hex')}`);
  assert.ok(bytes(a).length >= 2);
  assert.deepEqual(bytes(a), bytes(b));
  assert.notDeepEqual(a.home.link.ipv6cp!.negotiated().localIdentifier, c.home.link.ipv6cp!.negotiated().localIdentifier);
});

test('tshark: every RS, DHCPv6 message (Solicit, Request, Renew, Rebind, Release) and ping6 the home emitted dissects cleanly, checksums checked', () => {
  // Without Rapid Commit (Solicit → Advertise → Request), the Renew lost so that Rebind follows at T2, then ping6 both ways and Release.
  const n = new ScriptedLns({ dhcp: { rapidCommit: false, t1: 60, t2: 90, preferred: 120, valid: 240 }, loseUp: (kind) => kind === `dhcpv6-${T.RENEW}` });
  n.start();
  n.run(100_000);
  n.act((now) => n.home.ping6(SERVER6, 1, now));
  n.act(() => n.sendToHome(icmpv6Packet({ src: SERVER6, dst: n.home.ipv6!.address! }, { kind: 'echo', type: Icmpv6Type.ECHO_REQUEST, code: 0, checksum: 0, identifier: 9, sequence: 1, data: new Uint8Array(16) })));
  n.act((now) => n.home.disconnect(now));
  n.run(n.now + 5000);
  const kinds = new Set(n.kinds());
  for (const k of ['icmpv6-133', 'icmpv6-128', 'icmpv6-129', ...[T.SOLICIT, T.REQUEST, T.RENEW, T.REBIND, T.RELEASE].map((t) => `dhcpv6-${t}`)]) assert.ok(kinds.has(k), `${k} emitted: ${[...kinds]}`);
  const frames = n.homeFrames.filter((f) => u16(f.frame, 12) === 0x8864 && u16(f.frame, 20) === 0x0057);
  assert.equal(frames.length, n.up6.length);
  const w = new PcapngWriter();
  const ifc = w.addInterface(1, 'home-access');
  frames.forEach((f, i) => w.write(ifc, 1000 + i, f.frame));
  const file = path.join(dir, 'home-ipv6.pcapng');
  writeFileSync(file, w.bytes());
  withChecksumChecks(dir, () => {
    const summary = tsharkSummary(file);
    assert.equal(summary.length, frames.length);
    for (const [i, s] of summary.entries()) assert.match(s, /^(ICMPv6|DHCPv6)\t/, `frame ${i + 1}: ${s}`);
    assert.ok(summary.some((s) => /Router Solicitation/.test(s)));
    for (const name of ['Solicit', 'Request', 'Renew', 'Rebind', 'Release']) assert.ok(summary.some((s) => new RegExp(`DHCPv6\\t${name} XID`).test(s)), `${name}: ${summary.join('\n')}`);
    assert.ok(summary.some((s) => /Echo \(ping\) request/.test(s)));
    assert.ok(summary.some((s) => /Echo \(ping\) reply/.test(s)));
    assert.deepEqual(tsharkProblems(file), []);
  });
  void NTE_LL;
});

test('in the whole network: isp-a homes are dual-stack (IPV6CP, SLAAC and a delegated prefix from the nte) and online on IPv4, isp-b homes are IPv4 only', async () => {
  const { topo, start } = await import('../helpers/net-run.js');
  const r = start(topo());
  assert.equal(r.up(), true);
  assert.ok(r.home('home1').cfg.ipv6 && r.home('home2').cfg.ipv6, 'isp-a has ipv6');
  assert.equal(r.home('home3').cfg.ipv6, undefined, 'isp-b has none');
  r.clock.runUntil(r.clock.now() + 60_000);
  for (const n of ['home1', 'home2', 'home3']) assert.equal(r.home(n).isOnline, true, n);
  for (const n of ['home1', 'home2']) {
    assert.equal(r.home(n).link.ipv6cp!.opened, true, `${n}: IPV6CP Opened with the nte`);
    assert.equal(r.home(n).ipv6?.isUp, true, `${n}: IPv6 up`);
  }
  assert.equal(r.home('home3').ipv6, undefined, 'isp-b: no IPv6 stack');
  assert.equal(r.events.filter((e) => e.kind === 'home' && e.event.type === 'offline').length, 0);
});

test('garbage and mutated IPv6 packets (captured RA and DHCPv6 Reply with bytes flipped, truncations) never throw and leave the home up', () => {
  const n = up();
  const rnd = mulberry32(77);
  const addr = n.home.ipv6!.address!;
  const seeds = [
    icmpv6Packet({ src: SERVER6, dst: addr }, { kind: 'echo', type: Icmpv6Type.ECHO_REQUEST, code: 0, checksum: 0, identifier: 1, sequence: 1, data: new Uint8Array(8) }),
    ...ipv6Packets().map((p) => p.ip),
  ];
  for (let i = 0; i < 3000; i++) {
    const base = seeds[i % seeds.length]!;
    const b = base.slice(0, Math.max(1, Math.floor(rnd() * (base.length + 1))));
    for (let k = 0; k < 3; k++) b[Math.floor(rnd() * b.length)] = Math.floor(rnd() * 256);
    if (b.length >= 40 && rnd() < 0.5) b.set(addr, 24);
    n.act(() => n.sendToHome(b));
  }
  n.run(n.now + 5000);
  assert.equal(n.home.isOnline, true);
  assert.equal(n.home.ipv6?.isUp, true);
});

test('ping6 in flight is bounded: past 1024 unanswered, the oldest is forgotten and its late reply counted unmatched', () => {
  const n = up({});
  const far = ip6('2001:db8:dead::1'); // nobody answers
  for (let k = 0; k < 1030; k++) n.act((now) => assert.equal(n.home.ping6(far, k, now), true));
  assert.equal(n.home.counters['home6.ping-forgotten'], 6);
  const addr = n.home.ipv6!.address!;
  n.act(() => n.sendToHome(icmpv6Packet({ src: far, dst: addr }, { kind: 'echo', type: Icmpv6Type.ECHO_REPLY, code: 0, checksum: 0, identifier: 0x6e6f, sequence: 0, data: new Uint8Array(56).map((_, i) => i) })));
  assert.equal(n.home.counters['home6.drop.echo-reply-unmatched'], 1);
  n.act(() => n.sendToHome(icmpv6Packet({ src: far, dst: addr }, { kind: 'echo', type: Icmpv6Type.ECHO_REPLY, code: 0, checksum: 0, identifier: 0x6e6f, sequence: 1029, data: new Uint8Array(56).map((_, i) => i) })));
  assert.equal(n.homeEvents('ip6').length, 1);
});
