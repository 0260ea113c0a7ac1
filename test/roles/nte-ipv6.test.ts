/**
 * The nte's IPv6 control plane end to end on the virtual clock: the default topology with
 * each home's PPP link given IPV6CP (the dual-stack home itself is another branch's), so
 * IPV6CP comes up through sse → nte for isp-a and is Protocol-Rejected by isp-b's IPv4-only
 * LNS. The homes' side is scripted: they record what reaches them and send RS and DHCPv6 as
 * dhcpcd does. Expectations come from RFC 4861, RFC 8415, RFC 3162/4818/6911 and the
 * topology, not from the code. Every RA and DHCPv6 reply the nte sent is then judged by tshark.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Network } from '../../src/sim/network.js';
import { VirtualClock } from '../../src/sim/clock.js';
import { loadTopology, topologySchema } from '../../src/config/topology.js';
import { PppLink, pppLinkConfig } from '../../src/proto/ppp-link.js';
import { peerConfig } from '../../src/proto/ppp-auth.js';
import { ipcpConfig } from '../../src/proto/ipcp.js';
import { ipv6cpConfig } from '../../src/proto/ipv6cp.js';
import type { Home } from '../../src/roles/home.js';
import { u16 } from '../../src/wire/bytes.js';
import { PppProtocol } from '../../src/wire/ppp.js';
import { parseIpv6, ipv6UpperLayer, ipv6ToString, ipv6FromString as ip6, NextHeader } from '../../src/wire/ipv6.js';
import { parseNdp, RaFlag, PrefixFlag, type RouterAdvertisement } from '../../src/wire/ndp.js';
import { icmpv6ChecksumOk } from '../../src/wire/icmpv6.js';
import { parseUdp } from '../../src/wire/udp.js';
import { dhcpv6, parseDhcpv6, findOption, duidLl, Dhcpv6MessageType as T, Dhcpv6Status, type Dhcpv6ClientServer, type Dhcpv6Option } from '../../src/wire/dhcpv6.js';
import { ndpPacket, udp6Packet } from '../../src/wire/ipv6-packets.js';
import { encode } from '../../src/wire/result.js';
import { PcapngWriter } from '../../src/wire/pcap.js';
import { dhcpv6Messages } from '../helpers/ipv6-captures.js';
import { mulberry32 } from '../../src/proto/seeded.js';
import { tsharkProblems, tsharkSummary } from '../helpers/tshark.js';
import { withChecksumChecks } from '../helpers/wsconfig.js';

const dir = mkdtempSync(path.join(tmpdir(), 'v6nte-nte-ipv6-'));
after(() => rmSync(dir, { recursive: true, force: true }));

interface Got {
  at: number;
  /** The whole Ethernet frame (for the pcap) and the IPv6 packet in it. */
  frame: Uint8Array;
  ip: Uint8Array;
}

const ALL_NODES = 'ff02::1';
const ALL_ROUTERS = ip6('ff02::2');
const ALL_DHCP = ip6('ff02::1:2');

function dualStack(net: Network, identifiers: Record<string, Uint8Array> = {}): Map<string, Got[]> {
  const got = new Map<string, Got[]>();
  for (const h of net.homes) {
    const c = h.cfg;
    // The home's own link configuration (src/roles/home.ts) plus IPV6CP.
    (h as unknown as { link: PppLink }).link = new PppLink(pppLinkConfig({
      lcp: { mru: c.mru ?? 1454, authenticate: [], authenticateWith: ['chap-md5'], echoIntervalMs: c.echoIntervalMs ?? 30_000 },
      credentials: peerConfig({ name: c.user, secret: c.password }),
      ipcp: ipcpConfig({ localAddress: 0, requestDns: true }),
      ipv6cp: ipv6cpConfig(identifiers[c.name] ? { localIdentifier: identifiers[c.name]! } : {}),
      counters: h.counters,
    }));
    const list: Got[] = [];
    got.set(c.name, list);
    const orig = h.handleFrame.bind(h);
    h.handleFrame = (port, frame, now) => {
      // PPPoE session (0x8864), PPP protocol IPv6 (0x0057) after the 6-octet PPPoE header.
      if (u16(frame, 12) === 0x8864 && u16(frame, 20) === PppProtocol.IPV6) list.push({ at: now, frame: frame.slice(), ip: frame.slice(22, 22 + u16(frame, 18) - 2) });
      orig(port, frame, now);
    };
  }
  return got;
}

/** Sends an IPv6 packet from a home on its PPPoE session (as its IP stack would). */
function send6(net: Network, h: Home, ip: Uint8Array): void {
  net.act(h.cfg.name, () => {
    const f = new Uint8Array(22 + ip.length);
    f.set(h.client.ac!, 0);
    f.set(h.mac, 6);
    f[12] = 0x88; f[13] = 0x64;
    f[14] = 0x11; f[15] = 0;
    f[16] = h.sessionId >> 8; f[17] = h.sessionId & 0xff;
    f[18] = (ip.length + 2) >> 8; f[19] = (ip.length + 2) & 0xff;
    f[20] = 0x00; f[21] = 0x57;
    f.set(ip, 22);
    (h as unknown as { tx: { push(t: { port: string; frame: Uint8Array }): boolean } }).tx.push({ port: 'access', frame: f });
  });
}

function ras(list: Got[]): { at: number; src: string; dst: string; hopLimit: number; ra: RouterAdvertisement; checksumOk: boolean }[] {
  const out = [];
  for (const g of list) {
    const p = parseIpv6(g.ip);
    if (!p.ok) continue;
    const u = ipv6UpperLayer(p.value);
    if (!u.ok || u.value.protocol !== NextHeader.ICMPV6) continue;
    const m = parseNdp(u.value.data);
    if (m.ok && m.value.kind === 'ra') out.push({ at: g.at, src: ipv6ToString(p.value.src), dst: ipv6ToString(p.value.dst), hopLimit: p.value.hopLimit, ra: m.value, checksumOk: icmpv6ChecksumOk(p.value.src, p.value.dst, u.value.data) });
  }
  return out;
}

function dhcpReplies(list: Got[]): { at: number; src: string; dst: string; srcPort: number; dstPort: number; m: Dhcpv6ClientServer }[] {
  const out = [];
  for (const g of list) {
    const p = parseIpv6(g.ip);
    if (!p.ok) continue;
    const u = ipv6UpperLayer(p.value);
    if (!u.ok || u.value.protocol !== NextHeader.UDP) continue;
    const d = parseUdp(u.value.data);
    if (!d.ok) continue;
    const m = parseDhcpv6(d.value.payload);
    if (m.ok && m.value.kind === 'message') out.push({ at: g.at, src: ipv6ToString(p.value.src), dst: ipv6ToString(p.value.dst), srcPort: d.value.srcPort, dstPort: d.value.dstPort, m: m.value });
  }
  return out;
}

function prefixOf(m: Dhcpv6ClientServer): string | undefined {
  const pd = findOption(m.options, 'ia-pd');
  const p = pd && findOption(pd.options, 'ia-prefix');
  return p && `${ipv6ToString(p.prefix)}/${p.prefixLength}`;
}

function pdStatus(m: Dhcpv6ClientServer): number | undefined {
  const pd = findOption(m.options, 'ia-pd');
  return pd && findOption(pd.options, 'status')?.status;
}

test('dual-stack PPP through sse → nte: IPV6CP, RAs (burst, periodic, RS answer), DHCPv6-PD, accounting, prefixes freed at the end; tshark-clean', () => {
  const base = loadTopology('topologies/default.yaml');
  const t = topologySchema.parse({ ...base, homes: base.homes.map((h) => ({ ...h, redial: false, ipv6: false })) });
  const clock = new VirtualClock(Date.UTC(2026, 0, 1));
  const net = new Network(t, { clock, keep: 100_000 });
  const got = dualStack(net);
  const home = (n: string) => net.homes.find((h) => h.cfg.name === n)!;
  const [alice, bob, carol] = [home('home1'), home('home2'), home('home3')];
  const t0 = clock.now();
  for (const h of net.homes) net.act(h.cfg.name, (now) => h.start(now));
  clock.runUntil(t0 + 5_000);
  for (const h of net.homes) assert.ok(h.isOnline, `${h.cfg.name} online over IPv4`);

  // IPV6CP: up for isp-a's homes; isp-b's LNS has no ipv6 and Protocol-Rejects it (the link stays up).
  assert.equal(alice.link.ipv6cp!.opened, true, 'alice IPV6CP Opened');
  assert.equal(bob.link.ipv6cp!.opened, true, 'bob IPV6CP Opened');
  assert.equal(carol.link.ipv6cp!.opened, false, 'carol: IPV6CP not opened against an IPv4-only LNS');
  const nteA = net.isps[0]!.nte;
  const up6 = net.events.filter((e) => e.kind === 'nte' && e.event.type === 'ipv6-up').map((e) => (e.kind === 'nte' && e.event.type === 'ipv6-up' ? e.event : undefined)!);
  assert.equal(up6.length, 2, 'one ipv6-up per isp-a session, none for isp-b');
  const aliceUp = up6.find((e) => e.user === 'alice@isp-a.example')!;
  assert.equal(aliceUp.wanPrefix, '2001:db8:100:10::/64', "alice's fixed Framed-IPv6-Prefix from RADIUS");
  assert.equal(aliceUp.delegatedPrefix, '2001:db8:8000:1000::/56', "alice's fixed Delegated-IPv6-Prefix from RADIUS");
  const bobUp = up6.find((e) => e.user === 'bob@isp-a.example')!;
  assert.match(bobUp.wanPrefix!, /^2001:db8:1[0-9a-f]{2}:[0-9a-f:]*\/64$/, 'bob: a /64 of wanPrefixPool 2001:db8:100::/40');
  assert.notEqual(bobUp.wanPrefix, aliceUp.wanPrefix);
  assert.match(bobUp.delegatedPrefix!, /\/56$/);
  assert.notEqual(bobUp.delegatedPrefix, aliceUp.delegatedPrefix);
  const bobPd = ip6(bobUp.delegatedPrefix!.split('/')[0]!);
  assert.ok((bobPd[4]! & 0xc0) === 0x80 && bobPd[2] === 0x0d && bobPd[3] === 0xb8, 'bob: a /56 of pdPool 2001:db8:8000::/34');

  // RAs on alice's link: from fe80:: + the nte's IPV6CP identifier (what alice's IPV6CP learnt as the peer's), to all-nodes, hop limit 255.
  const nteLl = ipv6ToString(alice.link.ipv6cp!.negotiated().peerLinkLocal!);
  assert.match(nteLl, /^fe80::/);
  clock.runUntil(t0 + 60_000);
  let a = ras(got.get('home1')!);
  assert.ok(a.length >= 3, `the initial burst: ${a.length} RAs in the first minute`);
  for (const r of a) {
    assert.equal(r.src, nteLl);
    assert.equal(r.dst, ALL_NODES);
    assert.equal(r.hopLimit, 255, 'RFC 4861 §6.1.2');
    assert.equal(r.checksumOk, true);
  }
  // RFC 4861 §6.2.4: the first MAX_INITIAL_RTR_ADVERTISEMENTS (3) at most MAX_INITIAL_RTR_ADVERT_INTERVAL (16 s) apart.
  assert.ok(a[1]!.at - a[0]!.at <= 16_000 && a[2]!.at - a[1]!.at <= 16_000, `burst gaps ${a[1]!.at - a[0]!.at}, ${a[2]!.at - a[1]!.at}`);
  const ra = a[0]!.ra;
  assert.equal(ra.flags & RaFlag.MANAGED, 0, 'M=0: no addresses from DHCPv6, the WAN address is SLAAC');
  assert.equal(ra.flags & RaFlag.OTHER, RaFlag.OTHER, 'O=1: DNS and the delegated prefix from DHCPv6');
  assert.ok(ra.routerLifetime > 0, 'we are the default router');
  const pio = ra.options.find((o) => o.kind === 'prefix');
  assert.ok(pio && pio.kind === 'prefix');
  assert.equal(`${ipv6ToString(pio.prefix)}/${pio.prefixLength}`, '2001:db8:100:10::/64');
  assert.equal(pio.flags & (PrefixFlag.ON_LINK | PrefixFlag.AUTONOMOUS), PrefixFlag.ON_LINK | PrefixFlag.AUTONOMOUS);
  assert.ok(pio.validLifetime >= pio.preferredLifetime && pio.preferredLifetime > 0);
  const mtu = ra.options.find((o) => o.kind === 'mtu');
  assert.ok(mtu && mtu.kind === 'mtu' && mtu.mtu === t.sse.mru, 'MTU option: the link MTU');
  const rdnss = ra.options.find((o) => o.kind === 'rdnss');
  assert.ok(rdnss && rdnss.kind === 'rdnss');
  assert.deepEqual(rdnss.servers.map((x) => ipv6ToString(x)), ['2001:db8:ffff:1::53'], "RDNSS: isp-a's ipv6.dns");
  // Bob's RAs carry bob's /64.
  const bobPio = ras(got.get('home2')!)[0]!.ra.options.find((o) => o.kind === 'prefix');
  assert.ok(bobPio && bobPio.kind === 'prefix' && `${ipv6ToString(bobPio.prefix)}/64` === bobUp.wanPrefix);
  assert.equal(ras(got.get('home3')!).length, 0, 'no RA from an IPv4-only LNS');

  // After the burst: nothing before MinRtrAdvInterval (0.33 × 600 s) from the last one.
  clock.runUntil(t0 + 150_000);
  a = ras(got.get('home1')!);
  const last = a[a.length - 1]!;
  assert.ok(a.length <= 4, `no RA flood: ${a.length}`);

  // A Router Solicitation (as dhcpcd sends it: from the link-local, to ff02::2, no options) is answered within MAX_RA_DELAY_TIME.
  const aliceLl = alice.link.ipv6cp!.negotiated().localLinkLocal!;
  const rs = ndpPacket({ src: aliceLl, dst: ALL_ROUTERS }, { kind: 'rs', code: 0, checksum: 0, reserved: 0, options: [] });
  const before = a.length;
  const rsAt = clock.now();
  send6(net, alice, rs);
  clock.runUntil(rsAt + 2_000);
  a = ras(got.get('home1')!);
  assert.equal(a.length, before + 1, 'one RA answers the RS');
  assert.ok(a[before]!.at - rsAt <= 500 + 20, `answered ${a[before]!.at - rsAt} ms after the RS`);
  assert.ok(a[before]!.at - last.at >= 3_000);
  // A second RS at once: §6.2.6 rate limit, the answer waits MIN_DELAY_BETWEEN_RAS (3 s) after the last RA.
  const rs2At = clock.now();
  send6(net, alice, rs);
  clock.runUntil(rs2At + 5_000);
  a = ras(got.get('home1')!);
  assert.equal(a.length, before + 2);
  assert.ok(a[before + 1]!.at - a[before]!.at >= 3_000, `rate-limited: ${a[before + 1]!.at - a[before]!.at} ms apart`);
  // Bad solicitations (§6.1.1) are dropped and counted: hop limit 64, code 1, SLLAO from the unspecified address.
  const counters = nteA.counters;
  const drops = () => ['hop-limit', 'code', 'sllao-from-unspecified'].map((k) => counters[`ra.rs-drop.${k}`] ?? 0);
  send6(net, alice, ndpPacket({ src: aliceLl, dst: ALL_ROUTERS, hopLimit: 64 }, { kind: 'rs', code: 0, checksum: 0, reserved: 0, options: [] }));
  send6(net, alice, ndpPacket({ src: aliceLl, dst: ALL_ROUTERS }, { kind: 'rs', code: 1, checksum: 0, reserved: 0, options: [] }));
  send6(net, alice, ndpPacket({ src: new Uint8Array(16), dst: ALL_ROUTERS }, { kind: 'rs', code: 0, checksum: 0, reserved: 0, options: [{ kind: 'source-lla', address: alice.mac }] }));
  const badAt = clock.now();
  clock.runUntil(badAt + 5_000);
  assert.deepEqual(drops(), [1, 1, 1]);
  assert.equal(ras(got.get('home1')!).filter((r) => r.at > badAt).length, 0, 'no RA for a bad RS');

  // DHCPv6: dhcpcd's own Solicit from the capture (IA_NA + IA_PD hint /56, ORO, vendor class), from alice's link-local to ff02::1:2.
  const captured = dhcpv6Messages();
  const solicitBytes = captured.find((m) => m.message[0] === T.SOLICIT)!.message;
  const solicit = parseDhcpv6(solicitBytes);
  assert.ok(solicit.ok && solicit.value.kind === 'message');
  const udp = (src: Uint8Array, dst: Uint8Array, payload: Uint8Array) => udp6Packet({ src, dst, hopLimit: 1 }, 546, 547, payload);
  send6(net, alice, udp(aliceLl, ALL_DHCP, solicitBytes));
  clock.runUntil(clock.now() + 1_000);
  let d = dhcpReplies(got.get('home1')!);
  assert.equal(d.length, 1);
  const adv = d[0]!;
  assert.equal(adv.m.msgType, T.ADVERTISE, 'no Rapid Commit asked: Advertise');
  assert.equal(adv.m.transactionId, solicit.value.transactionId);
  assert.equal(adv.src, nteLl);
  assert.equal(adv.dst, ipv6ToString(aliceLl));
  assert.deepEqual([adv.srcPort, adv.dstPort], [547, 546]);
  assert.equal(prefixOf(adv.m), '2001:db8:8000:1000::/56', "alice's delegated prefix");
  const client = findOption(adv.m.options, 'client-id');
  assert.deepEqual(client?.duid, { kind: 'll', hardwareType: 1, linkLayer: Uint8Array.from([0x52, 0x54, 0x00, 0x5f, 0x78, 0x80]) }, "dhcpcd's Client Identifier echoed");
  const serverId = findOption(adv.m.options, 'server-id')!;
  assert.ok(serverId);
  // dhcpcd's IA_NA: one address of alice's /64 (::1; her SLAAC address is the /64 + her identifier).
  const na = findOption(adv.m.options, 'ia-na');
  const naAddr = na && findOption(na.options, 'ia-address');
  assert.equal(naAddr && ipv6ToString(naAddr.address), '2001:db8:100:10::1');
  // dhcpcd's Request from the capture, addressed to our Server Identifier instead of dibbler's.
  const req = parseDhcpv6(captured.find((m) => m.message[0] === T.REQUEST)!.message);
  assert.ok(req.ok && req.value.kind === 'message');
  const request: Dhcpv6ClientServer = { ...req.value, options: req.value.options.map((o): Dhcpv6Option => (o.kind === 'server-id' ? serverId : o)) };
  send6(net, alice, udp(aliceLl, ALL_DHCP, encode(dhcpv6, request)));
  clock.runUntil(clock.now() + 1_000);
  d = dhcpReplies(got.get('home1')!);
  assert.equal(d.length, 2);
  assert.equal(d[1]!.m.msgType, T.REPLY);
  assert.equal(prefixOf(d[1]!.m), '2001:db8:8000:1000::/56', 'the Reply delegates the /56, not the hint');
  const pdReply = findOption(d[1]!.m.options, 'ia-pd')!;
  assert.ok(pdReply.t1 > 0 && pdReply.t2 >= pdReply.t1);
  const naReply = findOption(d[1]!.m.options, 'ia-na')!;
  assert.equal(ipv6ToString(findOption(naReply.options, 'ia-address')!.address), '2001:db8:100:10::1', "the IA_NA address, not dibbler's hint");
  // Bob asks with Rapid Commit and DNS in the ORO: a Reply at once, with DNS.
  const bobLl = bob.link.ipv6cp!.negotiated().localLinkLocal!;
  const bobSolicit: Dhcpv6ClientServer = { kind: 'message', msgType: T.SOLICIT, transactionId: 0x123456, options: [
    { kind: 'client-id', duid: duidLl(bob.mac) }, { kind: 'rapid-commit' }, { kind: 'oro', codes: [23] }, { kind: 'elapsed-time', value: 0 },
    { kind: 'ia-pd', iaid: 7, t1: 0, t2: 0, options: [] },
  ] };
  send6(net, bob, udp(bobLl, ALL_DHCP, encode(dhcpv6, bobSolicit)));
  clock.runUntil(clock.now() + 1_000);
  const bd = dhcpReplies(got.get('home2')!);
  assert.equal(bd.length, 1);
  assert.equal(bd[0]!.m.msgType, T.REPLY);
  assert.ok(findOption(bd[0]!.m.options, 'rapid-commit'), 'Reply carries Rapid Commit (RFC 8415 §18.3.1)');
  assert.equal(prefixOf(bd[0]!.m), bobUp.delegatedPrefix);
  assert.deepEqual(findOption(bd[0]!.m.options, 'dns-servers')?.servers.map((x) => ipv6ToString(x)), ['2001:db8:ffff:1::53']);
  // Bob asking with alice's Server Identifier but on his own link cannot touch alice's binding: a Renew of alice's IAID from bob's link has no binding.
  const aliceClient = findOption(solicit.value.options, 'client-id')!;
  send6(net, bob, udp(bobLl, ALL_DHCP, encode(dhcpv6, { kind: 'message', msgType: T.RENEW, transactionId: 9, options: [aliceClient, serverId, { kind: 'ia-pd', iaid: 2, t1: 0, t2: 0, options: [] }] })));
  clock.runUntil(clock.now() + 1_000);
  const renew = dhcpReplies(got.get('home2')!)[1]!;
  assert.equal(pdStatus(renew.m), Dhcpv6Status.NO_BINDING, "another session's binding is not renewable from this link");

  // Alice's address is the DHCPv6 one she was given (Framed-IPv6-Address); a packet from her SLAAC address does not replace it.
  const slaac = new Uint8Array(16);
  slaac.set(ip6('2001:db8:100:10::').subarray(0, 8));
  slaac.set(aliceLl.subarray(8), 8);
  send6(net, alice, ndpPacket({ src: slaac, dst: ALL_ROUTERS }, { kind: 'rs', code: 0, checksum: 0, reserved: 0, options: [] }));
  clock.runUntil(clock.now() + 5_000);
  const rows = nteA.listSessions();
  const aliceRow = rows.find((r) => r.user === 'alice@isp-a.example')!;
  assert.deepEqual({ ...aliceRow.ipv6, inOctets: 0, outOctets: 0 }, { wanPrefix: '2001:db8:100:10::/64', delegatedPrefix: '2001:db8:8000:1000::/56', address: '2001:db8:100:10::1', inOctets: 0, outOctets: 0 });
  assert.ok(aliceRow.ipv6!.inOctets > 0 && aliceRow.ipv6!.outOctets > 0, 'IPv6 octets counted both ways');
  assert.equal(net.isps[1]!.nte.listSessions()[0]!.ipv6, undefined, 'no ipv6 row on isp-b');

  // Accounting: Start carries both prefixes (RFC 3162 §2.3, RFC 4818 §3); Bob's Stop after his hang-up too.
  const start = net.accounting.find((l) => l.userName === 'alice@isp-a.example' && l.statusType === 'Start')!;
  assert.equal(start.attributes['Framed-IPv6-Prefix'], '2001:db8:100:10::/64');
  assert.equal(start.attributes['Delegated-IPv6-Prefix'], '2001:db8:8000:1000::/56');
  const poolInUse = () => (nteA.show('counters', clock.now()) as { pool6: { wan: { inUse: number }; pd: { inUse: number } } }).pool6;
  assert.deepEqual([poolInUse().wan.inUse, poolInUse().pd.inUse], [1, 1], "bob's two pool prefixes (alice's are fixed)");
  net.homeDown('home2');
  clock.runUntil(clock.now() + 5_000);
  const stop = net.accounting.find((l) => l.userName === 'bob@isp-a.example' && l.statusType === 'Stop')!;
  assert.ok(stop, 'bob Stop');
  assert.equal(stop.attributes['Framed-IPv6-Prefix'], bobUp.wanPrefix);
  assert.equal(stop.attributes['Delegated-IPv6-Prefix'], bobUp.delegatedPrefix);
  assert.ok((stop.inputOctets ?? 0) > 0);
  assert.deepEqual([poolInUse().wan.inUse, poolInUse().pd.inUse], [0, 0], 'session end frees both prefixes');
  assert.equal(nteA.dhcpv6!.linkCount, 1, "bob's DHCPv6 link is gone");
  // Alice's Stop carries the address DHCPv6 gave her (RFC 6911 §3.1).
  net.homeDown('home1');
  clock.runUntil(clock.now() + 5_000);
  const aliceStop = net.accounting.find((l) => l.userName === 'alice@isp-a.example' && l.statusType === 'Stop')!;
  assert.equal(aliceStop.attributes['Framed-IPv6-Address'], '2001:db8:100:10::1');
  assert.equal(aliceStop.attributes['Framed-IPv6-Prefix'], '2001:db8:100:10::/64');

  // Every RA and DHCPv6 reply the nte sent, as the homes received them in PPPoE: tshark finds nothing wrong.
  const w = new PcapngWriter();
  const ifc = w.addInterface(1, 'access');
  const frames = [...got.values()].flat().sort((x, y) => x.at - y.at);
  assert.ok(frames.length >= 10);
  frames.forEach((g, i) => w.write(ifc, g.at + i / 1000, g.frame));
  const file = path.join(dir, 'nte-ipv6.pcapng');
  writeFileSync(file, w.bytes());
  withChecksumChecks(dir, () => {
    const summary = tsharkSummary(file);
    assert.equal(summary.length, frames.length);
    assert.ok(summary.some((l) => /Router Advertisement/.test(l)), summary.join('\n'));
    assert.ok(summary.some((l) => /Advertise/.test(l) && /DHCPv6/.test(l)), summary.join('\n'));
    assert.ok(summary.some((l) => /Reply/.test(l) && /DHCPv6/.test(l)), summary.join('\n'));
    assert.deepEqual(tsharkProblems(file), []);
  });
  net.close();
});

test("hostile IPv6 from a subscriber (random packets, RSs with random options, DHCPv6 of random bytes) never throws; the session lives, drops are counted", () => {
  const base = loadTopology('topologies/default.yaml');
  const t = topologySchema.parse({ ...base, homes: base.homes.slice(0, 1).map((h) => ({ ...h, redial: false, ipv6: false })) });
  const clock = new VirtualClock(Date.UTC(2026, 0, 1));
  const net = new Network(t, { clock, keep: 1000 });
  const got = dualStack(net);
  const alice = net.homes[0]!;
  net.act(alice.cfg.name, (now) => alice.start(now));
  clock.runUntil(clock.now() + 5_000);
  assert.ok(alice.link.ipv6cp!.opened);
  const ll = alice.link.ipv6cp!.negotiated().localLinkLocal!;
  const nteLl = alice.link.ipv6cp!.negotiated().peerLinkLocal!;
  const rand = mulberry32(17);
  const bytes = (n: number) => Uint8Array.from({ length: n }, () => Math.floor(rand() * 256));
  for (let i = 0; i < 3000; i++) {
    const kind = i % 4;
    let pkt: Uint8Array;
    if (kind === 0) {
      pkt = bytes(Math.floor(rand() * 120));
      if (pkt.length) pkt[0] = 0x60 | (pkt[0]! & 0x0f);
    } else if (kind === 1) {
      pkt = ndpPacket({ src: rand() < 0.2 ? new Uint8Array(16) : ll, dst: ALL_ROUTERS, hopLimit: rand() < 0.8 ? 255 : 64 }, { kind: 'rs', code: 0, checksum: 0, reserved: 0, options: [{ kind: 'raw', type: Math.floor(rand() * 256), data: bytes(6 + 8 * Math.floor(rand() * 3)) }] });
    } else {
      const payload = bytes(4 + Math.floor(rand() * 200));
      payload[0] = 1 + Math.floor(rand() * 13);
      pkt = udp6Packet({ src: ll, dst: rand() < 0.7 ? ALL_DHCP : nteLl, hopLimit: 1 }, 546, 547, payload);
    }
    send6(net, alice, pkt);
    if (i % 100 === 0) clock.runUntil(clock.now() + 50);
  }
  clock.runUntil(clock.now() + 5_000);
  assert.ok(alice.isOnline && alice.link.ipv6cp!.opened, 'the session lives');
  const c = net.isps[0]!.nte.counters;
  const dropped = Object.entries(c).filter(([k]) => k.startsWith('dhcpv6.drop.') || k.startsWith('ra.rs-drop.')).reduce((n, [, v]) => n + v, 0);
  assert.ok(dropped > 500, `drops counted: ${dropped}`);
  assert.ok((c['ra.rs-coalesced'] ?? 0) > 0, 'valid RSs share one RA');
  assert.ok(ras(got.get('home1')!).length < 20, 'no RA flood');
  assert.equal(net.isps[0]!.nte.sessionCount, 1);
  net.close();
});

test('an exhausted pdPool: the session still comes up (IPv6 with its /64), its Solicit gets NoPrefixAvail; the prefix is free again when its holder ends', () => {
  const base = loadTopology('topologies/default.yaml');
  const t = topologySchema.parse({
    ...base,
    homes: base.homes.slice(0, 2).map((h) => ({ ...h, redial: false, ipv6: false })),
    isps: base.isps.map((isp, i) => (i === 0 ? {
      ...isp,
      ipv6: { ...isp.ipv6!, pdPool: '2001:db8:8000::/56' }, // one /56
      users: isp.users.map((u) => ({ name: u.name, password: u.password })),
    } : isp)),
  });
  const clock = new VirtualClock(Date.UTC(2026, 0, 1));
  const net = new Network(t, { clock, keep: 1000 });
  // Bob asks the LNS for an identifier (all zeros): RFC 5072 §4.1, the nte Naks with one.
  const got = dualStack(net, { home2: new Uint8Array(8) });
  const [alice, bob] = net.homes as [Home, Home];
  net.act(alice.cfg.name, (now) => alice.start(now));
  clock.runUntil(clock.now() + 3_000);
  net.act(bob.cfg.name, (now) => bob.start(now));
  clock.runUntil(clock.now() + 3_000);
  assert.ok(alice.link.ipv6cp!.opened && bob.link.ipv6cp!.opened);
  const nte = net.isps[0]!.nte;
  const bobIds = bob.link.ipv6cp!.negotiated();
  assert.ok(bobIds.localIdentifier!.some((b) => b !== 0), 'bob took the identifier the nte suggested');
  assert.notDeepEqual(bobIds.localIdentifier, bobIds.peerIdentifier);
  assert.equal(nte.counters['ipv6cp.nak-zero-identifier'], 1);
  const rows = nte.listSessions();
  assert.equal(rows.find((r) => r.user === 'alice@isp-a.example')!.ipv6!.delegatedPrefix, '2001:db8:8000::/56', 'the only /56');
  const bobRow = rows.find((r) => r.user === 'bob@isp-a.example')!;
  assert.equal(bobRow.ipv6!.delegatedPrefix, undefined, 'none left for bob');
  assert.match(bobRow.ipv6!.wanPrefix!, /\/64$/, 'but his /64');
  assert.ok((nte.counters['ipv6.pd-pool-exhausted'] ?? 0) >= 1);
  const bobLl = bob.link.ipv6cp!.negotiated().localLinkLocal!;
  const sol: Dhcpv6ClientServer = { kind: 'message', msgType: T.SOLICIT, transactionId: 1, options: [{ kind: 'client-id', duid: duidLl(bob.mac) }, { kind: 'rapid-commit' }, { kind: 'ia-pd', iaid: 1, t1: 0, t2: 0, options: [] }] };
  send6(net, bob, udp6Packet({ src: bobLl, dst: ALL_DHCP, hopLimit: 1 }, 546, 547, encode(dhcpv6, sol)));
  clock.runUntil(clock.now() + 1_000);
  const r = dhcpReplies(got.get('home2')!)[0]!;
  assert.equal(r.m.msgType, T.ADVERTISE, 'nothing to commit: no Rapid Commit Reply');
  assert.equal(pdStatus(r.m), Dhcpv6Status.NO_PREFIX_AVAIL);
  // Alice hangs up: her /56 is free; dialling again, bob gets it.
  net.homeDown(alice.cfg.name);
  net.homeDown(bob.cfg.name);
  clock.runUntil(clock.now() + 5_000);
  assert.equal(nte.sessionCount, 0);
  net.homeUp(bob.cfg.name);
  clock.runUntil(clock.now() + 5_000);
  assert.equal(nte.listSessions()[0]!.ipv6!.delegatedPrefix, '2001:db8:8000::/56');
  net.close();
});
