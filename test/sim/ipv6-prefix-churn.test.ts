/**
 * IPv6 prefix leases under churn, in process on the virtual clock: 20 homes (once with only
 * IPV6CP on their PPP link, once fully dual-stack with their own DHCPv6 client) on isp-a with pools of only 16 /64s and 16 /56s, so prefixes
 * run out and are reused; Session-Timeout 60 s, 2 % loss on the access and carrier links,
 * every home dialling again after it went down, for 30 virtual minutes. No /64 or delegated
 * prefix is ever held by two live sessions — as the LNS has them, and in the RADIUS server's
 * accounting log (Framed-IPv6-Prefix / Delegated-IPv6-Prefix Start..Stop never overlap) — and
 * at the end every pool prefix is back.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Network } from '../../src/sim/network.js';
import { VirtualClock } from '../../src/sim/clock.js';
import { loadTopology, topologySchema } from '../../src/config/topology.js';
import { PppLink, pppLinkConfig } from '../../src/proto/ppp-link.js';
import { peerConfig } from '../../src/proto/ppp-auth.js';
import { ipcpConfig } from '../../src/proto/ipcp.js';
import { ipv6cpConfig } from '../../src/proto/ipv6cp.js';

const MINUTES = 30;

for (const native of [false, true]) test(`20 ${native ? 'dual-stack homes (their own SLAAC and DHCPv6-PD client)' : 'homes with IPV6CP only'}, 16 /64s and 16 /56s, Session-Timeout 60 s, 2 % loss, ${MINUTES} virtual minutes: never one prefix for two live sessions`, (t0) => {
  const base = loadTopology('topologies/default.yaml');
  const isp = base.isps[0]!;
  const users = Array.from({ length: 20 }, (_, i) => ({ name: `u${i}@isp-a.example`, password: `pw${i}`, sessionTimeout: 60, interimInterval: 20 }));
  const lossy = { loss: 0.02, delay: 1 };
  const t = topologySchema.parse({
    ...base,
    isps: [{ ...isp, ipv6: { ...isp.ipv6!, wanPrefixPool: '2001:db8:100::/60', pdPool: '2001:db8:8000::/52' }, users: [isp.users[0]!, ...users] }],
    homes: users.map((u, i) => ({ name: `h${i}`, user: u.name, password: u.password, redial: false, ipv6: native })),
    links: { access: lossy, carrier: lossy, 'radius-isp-a': { delay: 1 }, core: { delay: 0.2 }, server: { delay: 0.2 } },
  });
  const clock = new VirtualClock(Date.UTC(2026, 0, 1));
  const net = new Network(t, { clock, keep: 200_000 });
  if (!native) for (const h of net.homes) {
    const c = h.cfg;
    (h as unknown as { link: PppLink }).link = new PppLink(pppLinkConfig({
      lcp: { mru: c.mru ?? 1454, authenticate: [], authenticateWith: ['chap-md5'], echoIntervalMs: c.echoIntervalMs ?? 30_000 },
      credentials: peerConfig({ name: c.user, secret: c.password }),
      ipcp: ipcpConfig({ localAddress: 0, requestDns: true }),
      ipv6cp: ipv6cpConfig({}),
      counters: h.counters,
    }));
  }
  const nte = net.isps[0]!.nte;
  const conflicts: string[] = [];
  let ups = 0;
  const check = (when: string) => {
    const seen = new Map<string, string>();
    for (const r of nte.listSessions()) {
      for (const p of [r.ipv6?.wanPrefix, r.ipv6?.delegatedPrefix]) {
        if (p === undefined) continue;
        const other = seen.get(p);
        if (other !== undefined) conflicts.push(`${when}: ${p} held by ${other} and ${r.acctSessionId}`);
        seen.set(p, r.acctSessionId);
      }
    }
  };
  net.onEvent((e) => {
    if (e.kind === 'nte' && e.event.type === 'ipv6-up') {
      ups++;
      check(`ipv6-up of ${e.event.acctSessionId} at ${e.at}`);
    }
  });
  const end = clock.now() + MINUTES * 60_000;
  const downSince = new Map<string, number>();
  for (const h of net.homes) net.act(h.cfg.name, (now) => h.start(now));
  while (clock.now() < end) {
    clock.runUntil(clock.now() + 1000);
    check(`t=${clock.now()}`);
    for (const h of net.homes) {
      if (h.isOnline) {
        downSince.delete(h.cfg.name);
        continue;
      }
      const since = downSince.get(h.cfg.name) ?? clock.now();
      downSince.set(h.cfg.name, since);
      const d = clock.now() - since;
      if (d >= 2000 && (d - 2000) % 30_000 < 1000) net.act(h.cfg.name, (now) => h.start(now));
    }
  }
  assert.deepEqual(conflicts.slice(0, 5), []);
  assert.ok(ups > 20 * MINUTES / 2, `ipv6-up ${ups} times: sessions came and went`);
  assert.ok((nte.counters['ipv6.pd-pool-exhausted'] ?? 0) > 0, '20 homes on 16 prefixes: the pools ran out at times');
  // The server's log: per prefix, Start..Stop intervals never overlap.
  const overlaps: string[] = [];
  for (const attr of ['Framed-IPv6-Prefix', 'Delegated-IPv6-Prefix']) {
    const open = new Map<string, Set<string>>();
    for (const l of net.accounting) {
      const p = l.attributes[attr];
      if (typeof p !== 'string' || (l.statusType !== 'Start' && l.statusType !== 'Stop')) continue;
      const holders = open.get(p) ?? new Set<string>();
      if (l.statusType === 'Start') {
        if (holders.size) overlaps.push(`${attr} ${p}: ${l.sessionId} started while ${[...holders].join(', ')} held it`);
        holders.add(l.sessionId!);
      } else holders.delete(l.sessionId!);
      open.set(p, holders);
    }
  }
  assert.deepEqual(overlaps.slice(0, 5), []);
  // Everything ends (held down, so no home dials again; a session whose end was lost ends at its Session-Timeout).
  for (const h of net.homes) net.homeDown(h.cfg.name);
  clock.runUntil(clock.now() + 120_000);
  const pools = (nte.show('counters', clock.now()) as { pool6: { wan: { inUse: number; leased: number }; pd: { inUse: number; leased: number } } }).pool6;
  assert.equal(nte.sessionCount, 0, JSON.stringify(nte.listSessions()));
  assert.deepEqual([pools.wan.inUse, pools.pd.inUse], [0, 0], 'every pool prefix back');
  assert.equal(nte.dhcpv6!.linkCount, 0);
  if (native) assert.ok((nte.counters['dhcpv6.event.bound'] ?? 0) > 20 * MINUTES / 4, `the homes' DHCPv6 clients bound prefixes: ${nte.counters['dhcpv6.event.bound']}`);
  t0.diagnostic(`${ups} IPv6 sessions; /64 leases ${pools.wan.leased}, /56 leases ${pools.pd.leased}; exhausted ${nte.counters['ipv6.pd-pool-exhausted']}; DHCPv6 bindings ${nte.counters['dhcpv6.event.bound'] ?? 0}, releases ${nte.counters['dhcpv6.released'] ?? 0}`);
  net.close();
});
