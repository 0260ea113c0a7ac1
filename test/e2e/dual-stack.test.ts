/**
 * The whole chain dual-stack, in process on the virtual clock, with nothing scripted: the
 * default topology's homes (their own IPV6CP, SLAAC and DHCPv6-PD client) through sse → nte
 * (its IPV6CP, RAs and DHCPv6 server) → router → server. isp-a's homes get their /64 by SLAAC
 * and their /56 by DHCPv6 — alice her fixed ones from RADIUS, bob pool ones — and ping6 the
 * server; isp-b's home stays IPv4 only. Hanging up sends the home's Release and frees both
 * prefixes; the accounting carries them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Network } from '../../src/sim/network.js';
import { VirtualClock } from '../../src/sim/clock.js';
import { loadTopology, topologySchema } from '../../src/config/topology.js';
import { ipv6FromString as ip6 } from '../../src/wire/ipv6.js';
import { ipv6PrefixFromString, prefixContains } from '../../src/proto/prefix-pool6.js';

test('dual-stack homes through sse → nte → router: SLAAC /64 and DHCPv6 /56 from the nte, ping6 to the server answered, prefixes freed at hang-up', () => {
  const base = loadTopology('topologies/default.yaml');
  const t = topologySchema.parse({ ...base, homes: base.homes.map((h) => ({ ...h, redial: false })) });
  const clock = new VirtualClock(Date.UTC(2026, 0, 1));
  const net = new Network(t, { clock, keep: 100_000 });
  const up = new Map<string, { address: string; delegatedPrefix: string; lanPrefix: string }>();
  const pongs = new Map<string, number>();
  net.onEvent((e) => {
    if (e.kind !== 'home') return;
    if (e.event.type === 'home-ipv6-up') up.set(e.box, e.event);
    if (e.event.type === 'ip6' && e.event.event.kind === 'echo-reply') pongs.set(e.box, (pongs.get(e.box) ?? 0) + 1);
  });
  for (const h of net.homes) net.act(h.cfg.name, (now) => h.start(now));
  clock.runUntil(clock.now() + 15_000);
  for (const h of net.homes) assert.ok(h.isOnline, `${h.cfg.name} online (IPv4)`);
  const alice = up.get('home1');
  assert.ok(alice, `alice IPv6 up: ${JSON.stringify([...up])}`);
  assert.equal(alice.delegatedPrefix, '2001:db8:8000:1000::/56', "alice's Delegated-IPv6-Prefix from RADIUS");
  assert.match(alice.address, /^2001:db8:100:10:/, "alice's SLAAC address in her Framed-IPv6-Prefix");
  assert.equal(alice.lanPrefix, '2001:db8:8000:1000::/64');
  const bob = up.get('home2');
  assert.ok(bob, 'bob IPv6 up');
  const pd = ipv6PrefixFromString(bob.delegatedPrefix);
  assert.ok(pd.length === 56 && prefixContains(ipv6PrefixFromString('2001:db8:8000::/34'), pd), `${bob.delegatedPrefix}: a /56 of pdPool 2001:db8:8000::/34`);
  assert.ok(prefixContains(ipv6PrefixFromString('2001:db8:100::/40'), { prefix: ip6(bob.address), length: 128 }), `${bob.address} in wanPrefixPool 2001:db8:100::/40`);
  assert.equal(up.get('home3'), undefined, 'carol (isp-b) stays IPv4 only');
  // ping6 the server from both isp-a homes.
  const server6 = ip6(t.server.address6!);
  for (let seq = 1; seq <= 3; seq++) {
    for (const n of ['home1', 'home2']) {
      const h = net.homes.find((x) => x.cfg.name === n)!;
      net.act(n, (now) => assert.ok(h.ping6(server6, seq, now), `${n} can ping6`));
    }
    clock.runUntil(clock.now() + 1000);
  }
  assert.deepEqual([pongs.get('home1'), pongs.get('home2')], [3, 3], 'every ping6 answered');
  const nte = net.isps[0]!.nte;
  const rows = nte.listSessions();
  const aliceRow = rows.find((r) => r.user === 'alice@isp-a.example')!;
  assert.equal(aliceRow.ipv6!.wanPrefix, '2001:db8:100:10::/64');
  assert.ok(aliceRow.ipv6!.inOctets > 0 && aliceRow.ipv6!.outOctets > 0);
  const bound = (nte.counters['dhcpv6.event.bound'] ?? 0);
  assert.equal(bound, 2, 'each home bound its prefix once');
  // Hang-up: bob's client sends Release first (its binding freed), then LCP ends; both pool prefixes go back.
  const pools = () => (nte.show('counters', clock.now()) as { pool6: { wan: { inUse: number }; pd: { inUse: number } } }).pool6;
  assert.deepEqual([pools().wan.inUse, pools().pd.inUse], [1, 1]);
  net.homeDown('home2');
  clock.runUntil(clock.now() + 5_000);
  assert.equal(nte.counters['dhcpv6.released'], 1, "bob's Release reached the server");
  assert.deepEqual([pools().wan.inUse, pools().pd.inUse], [0, 0]);
  const stop = net.accounting.find((l) => l.userName === 'bob@isp-a.example' && l.statusType === 'Stop')!;
  assert.equal(stop.attributes['Delegated-IPv6-Prefix'], bob.delegatedPrefix);
  assert.equal(stop.attributes['Framed-IPv6-Address'], bob.address, 'the address the home used');
  net.close();
});
