/**
 * IPv6 forwarding in process, on the virtual clock, with the default topology's addresses:
 * the server (2001:db8:ffff:1::10) answers ping6 from the core router and from an nte's core
 * address (2001:db8:ffff::2, derived as router.ispSide6 + 1 + i) through the router, and
 * the server reaches both. Then the nte's subscriber data path: with IPV6CP opened on a
 * session (both links given an IPV6CP config here, as the IPv6 control plane will) and the
 * session's WAN /64 and delegated /56 set by hand, IPv6 from the subscriber (PPP 0x0057)
 * reaches the server through nte → router, and the answer goes back as PPP 0x0057. A
 * packet to a pool address no session holds gets Destination Unreachable from the nte at
 * once (its discard routes for the pools), IPv4 and IPv6, and tshark finds nothing wrong
 * with those errors on the wire.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ipv4FromString as ip, ipv4ToString } from '../../src/wire/bytes.js';
import { tsharkProblems, tsharkSummary } from '../helpers/tshark.js';
import { withChecksumChecks } from '../helpers/wsconfig.js';
import { Network } from '../../src/sim/network.js';
import { VirtualClock } from '../../src/sim/clock.js';
import { loadTopology, topologySchema } from '../../src/config/topology.js';
import { ipv6FromString as ip6, ipv6ToString } from '../../src/wire/ipv6.js';
import { icmpv6Packet } from '../../src/wire/ipv6-packets.js';
import { PppLink, type PppLinkConfig } from '../../src/proto/ppp-link.js';
import { ipv6cpConfig } from '../../src/proto/ipv6cp.js';
import { pppoeIpFrame } from '../../src/roles/framing.js';
import { PppProtocol } from '../../src/wire/ppp.js';
import type { NteSession } from '../../src/roles/nte.js';

function network(homes: number, capture = false): { net: Network; clock: VirtualClock; t: ReturnType<typeof topologySchema.parse> } {
  const base = loadTopology('topologies/default.yaml');
  const t = topologySchema.parse({ ...base, homes: base.homes.slice(0, homes) });
  const clock = new VirtualClock(Date.UTC(2026, 0, 1));
  return { net: new Network(t, { clock, capture }), clock, t };
}

const dir = mkdtempSync(path.join(tmpdir(), 'pseudonet-ipv6-fwd-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('ipv6: the server answers ping6 from the router and from nte-a core address through the router, and pings both back', () => {
  const { net, clock, t } = network(0);
  const server6 = ip6(t.server.address6!);
  const nte = net.isps[0]!.nte;
  assert.equal(ipv6ToString(net.isps[0]!.addresses.core6!), '2001:db8:ffff::2');
  assert.equal(ipv6ToString(net.isps[1]!.addresses.core6!), '2001:db8:ffff::3');
  // From the router (its server-side address).
  for (let seq = 1; seq <= 3; seq++) net.act(t.router.name, (now) => assert.ok(net.router.ping6(server6, 1, seq, 56, now)));
  clock.runUntil(clock.now() + 2000);
  // The first request waits for NDP and still goes: nothing lost. (The router box takes the replies as its events.)
  assert.equal(net.router.counters6.echoRepliesReceived, 3);
  assert.equal(net.server.counters.echoRequestsAnswered, 3);
  // From nte-a: its default route ::/0 to router.ispSide6, the router's connected /64 to the server.
  for (let seq = 1; seq <= 3; seq++) net.act(nte.name, (now) => assert.ok(nte.router.ping6(server6, 2, seq, 100, now)));
  clock.runUntil(clock.now() + 2000);
  const fromNte: string[] = [];
  for (let r = nte.router.pollEchoReply6(); r; r = nte.router.pollEchoReply6()) fromNte.push(`${r.from} ${r.sequence}`);
  assert.deepEqual(fromNte, ['2001:db8:ffff:1::10 1', '2001:db8:ffff:1::10 2', '2001:db8:ffff:1::10 3']);
  assert.equal(net.router.counters6.forwarded, 6, 'three requests and three replies crossed the router');
  assert.equal(net.server.counters.echoRequestsAnswered, 6);
  // And the server pings the router and nte-a.
  const replies: string[] = [];
  net.onEvent((e) => {
    if (e.kind === 'server' && e.event.kind === 'echo-reply6') replies.push(`${e.event.from} ${e.event.sequence}`);
  });
  net.act(t.server.name, (now) => assert.ok(net.server.ping6(ip6('2001:db8:ffff:1::1'), { sequence: 1 }, now)));
  net.act(t.server.name, (now) => assert.ok(net.server.ping6(ip6('2001:db8:ffff::2'), { sequence: 2 }, now)));
  clock.runUntil(clock.now() + 2000);
  assert.deepEqual(replies.sort(), ['2001:db8:ffff:1::1 1', '2001:db8:ffff::2 2'].sort());
  // The router's routes toward isp-a's pools go through nte-a's core address; isp-b has no IPv6.
  const r6 = net.router.showRoutes().filter((r) => r.prefix.includes(':'));
  assert.ok(r6.some((r) => r.prefix === '2001:db8:100::/40' && r.nextHop === '2001:db8:ffff::2'));
  assert.ok(r6.some((r) => r.prefix === '2001:db8:8000::/34' && r.nextHop === '2001:db8:ffff::2'));
  assert.ok(!r6.some((r) => r.nextHop === '2001:db8:ffff::3'));
  assert.ok(nte.router.showRoutes().some((r) => r.prefix === '::/0' && r.nextHop === '2001:db8:ffff::1'));
  net.close();
});

test('ipv6: subscriber IPv6 (PPP 0x0057) goes through nte → router to the server, the reply comes back as 0x0057; the per-session routes come and go', () => {
  const { net, clock, t } = network(1);
  const nte = net.isps[0]!.nte;
  // IPV6CP on both ends of the session (the IPv6 control plane's job, done by hand here).
  const n = nte as unknown as { linkConfig: PppLinkConfig; sessions(): IterableIterator<NteSession> };
  n.linkConfig = { ...n.linkConfig, ipv6cp: ipv6cpConfig({}) };
  const h = net.homes[0]!;
  (h as unknown as { link: PppLink }).link = new PppLink({ ...h.link.cfg, ipv6cp: ipv6cpConfig({}) }, h.cfg);
  const toHome: Uint8Array[] = [];
  const orig = h.handleFrame.bind(h);
  h.handleFrame = (port, frame, now) => {
    // PPPoE session frame: Ethernet 14, PPPoE 6, then the PPP protocol.
    // The nte's own RAs and DHCPv6 replies (its control plane) are not the forwarded packets looked for here.
    const control = (frame[22 + 6] === 58 && frame[22 + 40]! >= 133 && frame[22 + 40]! <= 137) || (frame[22 + 6] === 17 && frame[22 + 42] === 0x02 && frame[22 + 43] === 0x22);
    if (frame[12] === 0x88 && frame[13] === 0x64 && frame[20] === 0x00 && frame[21] === 0x57 && !control) toHome.push(new Uint8Array(frame.subarray(22)));
    orig(port, frame, now);
  };
  net.act(h.cfg.name, (now) => h.start(now));
  clock.runUntil(clock.now() + 5000);
  assert.ok(h.isOnline);
  assert.ok(h.link.ipv6cp?.opened, 'IPV6CP opened on the home side');
  const s = [...n.sessions()][0]!;
  assert.ok(s.link.ipv6cp?.opened, 'and on the nte side');
  s.wanPrefix6 = { prefix: ip6('2001:db8:100:10::'), length: 64 };
  s.delegatedPrefix6 = { prefix: ip6('2001:db8:8000:1000::'), length: 56 };
  net.act(nte.name, (now) => nte.subscriberRoutes6(s, true, now));
  const routes = nte.router.showRoutes().filter((r) => r.interface === `l2tp-${s.tunnelId}-${s.sessionId}`).map((r) => r.prefix);
  assert.deepEqual(routes.filter((p) => p.includes(':')).sort(), ['2001:db8:100:10::/64', '2001:db8:8000:1000::/56']);
  // The home sends an Echo Request to the server from its WAN address.
  const wan = ip6('2001:db8:100:10::1');
  const echo = icmpv6Packet({ src: wan, dst: ip6(t.server.address6!), hopLimit: 64 }, { kind: 'echo', type: 128, code: 0, checksum: 0, identifier: 9, sequence: 1, data: new Uint8Array(32) });
  const inBefore = s.inOctets;
  const send = (pkt: Uint8Array): void => {
    const f = pppoeIpFrame(h.client.ac!, h.mac, h.client.sessionId, PppProtocol.IPV6, pkt);
    net.act(h.cfg.name, () => (h as unknown as { send(f: Uint8Array): void }).send(f));
  };
  send(echo);
  clock.runUntil(clock.now() + 1000);
  assert.equal(s.inOctets - inBefore, echo.length, 'counted in the session octets');
  assert.equal(net.server.counters.echoRequestsAnswered, 1);
  assert.equal(toHome.length, 1, 'the Echo Reply came back to the home as PPP 0x0057');
  const reply = toHome[0]!;
  assert.equal(reply[0]! >>> 4, 6);
  assert.equal(ipv6ToString(reply.subarray(24, 40)), '2001:db8:100:10::1');
  assert.equal(reply[40], 129);
  // Hop Limit: 64 from the server, minus the core router and the nte.
  assert.equal(reply[7], 62);
  // The server reaches a host on the delegated prefix, too.
  const lan = ip6('2001:db8:8000:1000:1::5');
  net.act(t.server.name, (now) => net.server.ping6(lan, { sequence: 5 }, now));
  clock.runUntil(clock.now() + 1000);
  assert.equal(toHome.length, 2);
  assert.equal(ipv6ToString(toHome[1]!.subarray(24, 40)), '2001:db8:8000:1000:1::5');
  // Routes down: the server's ping now gets No Route from the nte.
  net.act(nte.name, (now) => nte.subscriberRoutes6(s, false, now));
  assert.ok(!nte.router.showRoutes().some((r) => r.prefix === '2001:db8:8000:1000::/56'));
  const errors: string[] = [];
  net.onEvent((e) => {
    if (e.kind === 'server' && e.event.kind === 'icmp6-error') errors.push(`${e.event.from} ${e.event.type}/${e.event.code}`);
  });
  const fwd = net.router.counters6.forwarded;
  net.act(t.server.name, (now) => net.server.ping6(lan, { sequence: 6 }, now));
  clock.runUntil(clock.now() + 1000);
  assert.equal(toHome.length, 2);
  // The router sends the pool to the nte and the nte's ::/0 points back, but the nte's
  // discard route for its pdPool answers: Destination Unreachable, code 3 (Address
  // Unreachable, RFC 4443 §3.1), from nte-a's core address. The request crossed the router
  // once and the error once: no loop, no Time Exceeded.
  assert.deepEqual(errors, ['2001:db8:ffff::2 1/3']);
  assert.equal(net.router.counters6.forwarded - fwd, 2);
  assert.equal(nte.router.counters6.drops.unreachableRoute, 1);
  net.close();
});

test('a ping from the server to a pool address no session holds gets Destination Unreachable from the ISP\'s nte at once (IPv4 Host Unreachable, IPv6 Address Unreachable), not Time Exceeded after a loop; tshark finds no fault in them', () => {
  const { net, clock, t } = network(0, true);
  const [a, b] = [net.isps[0]!, net.isps[1]!];
  // The nte's discard routes, in show routes.
  assert.deepEqual(a.nte.router.showRoutes().filter((r) => r.kind === 'unreachable').map((r) => `${r.prefix} ${r.interface}`), ['198.51.100.0/24 -', '2001:db8:100::/40 -', '2001:db8:8000::/34 -']);
  assert.deepEqual(b.nte.router.showRoutes().filter((r) => r.kind === 'unreachable').map((r) => r.prefix), ['100.64.0.0/24']);
  const errors: string[] = [];
  const replies: string[] = [];
  net.onEvent((e) => {
    if (e.kind !== 'server') return;
    if (e.event.kind === 'icmp-error') errors.push(`${ipv4ToString(e.event.from)} ${e.event.type}/${e.event.code} at ${e.at - start}`);
    if (e.event.kind === 'icmp6-error') errors.push(`${e.event.from} ${e.event.type}/${e.event.code} at ${e.at - start}`);
    if (e.event.kind === 'echo-reply') replies.push(ipv4ToString(e.event.from));
  });
  const fwd4 = net.router.counters.forwarded;
  const fwd6 = net.router.counters6.forwarded;
  const start = clock.now();
  // isp-a's and isp-b's IPv4 pools (no home online), isp-a's WAN and delegated-prefix pools.
  net.act(t.server.name, (now) => net.server.ping(ip('198.51.100.200'), { sequence: 1 }, now));
  net.act(t.server.name, (now) => net.server.ping(ip('100.64.0.99'), { sequence: 2 }, now));
  net.act(t.server.name, (now) => assert.ok(net.server.ping6(ip6('2001:db8:100:ab::1'), { sequence: 3 }, now)));
  net.act(t.server.name, (now) => assert.ok(net.server.ping6(ip6('2001:db8:8000:ab00::1'), { sequence: 4 }, now)));
  clock.runUntil(clock.now() + 2000);
  assert.deepEqual(replies, []);
  // RFC 1812 §5.2.7.1: Host Unreachable (3/1); RFC 4443 §3.1: Address Unreachable (1/3); each from the nte's core address.
  const got = errors.map((x) => x.replace(/ at [\d.]+$/, '')).sort();
  assert.deepEqual(got, [`${ipv4ToString(a.addresses.core)} 3/1`, `${ipv4ToString(b.addresses.core)} 3/1`, '2001:db8:ffff::2 1/3', '2001:db8:ffff::2 1/3'].sort());
  // No loop: each request crossed the router once, each error once.
  assert.equal(net.router.counters.forwarded - fwd4, 4);
  assert.equal(net.router.counters6.forwarded - fwd6, 4);
  assert.equal(net.router.counters.icmpOut.timeExceeded + net.router.counters6.icmpOut.timeExceeded, 0);
  assert.equal(a.nte.router.counters.drops.unreachableRoute, 1);
  assert.equal(b.nte.router.counters.drops.unreachableRoute, 1);
  assert.equal(a.nte.router.counters6.drops.unreachableRoute, 2);
  // At once: a few link crossings (ARP / NDP included), where a loop of 64 hops would take far longer.
  for (const x of errors) assert.ok(Number(/at ([\d.]+)$/.exec(x)![1]) < 10, `at once: ${x}`);
  // tshark over the core and server links, checksums checked.
  for (const seg of ['core', 'server']) {
    const file = path.join(dir, `${seg}.pcapng`);
    writeFileSync(file, net.captures.get(seg)!.bytes());
    withChecksumChecks(dir, () => {
      const summary = tsharkSummary(file).join('\n');
      assert.match(summary, /Destination unreachable \(Host unreachable\)/, seg);
      assert.match(summary, /Destination Unreachable \(Address unreachable\)/, seg);
      assert.deepEqual(tsharkProblems(file), [], seg);
    });
  }
  net.close();
});
