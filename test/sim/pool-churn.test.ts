/**
 * Pool leases under churn and loss, in process on the virtual clock: 24 homes over 12 pool
 * users (two homes per user), Session-Timeout 60 s and Interim 20 s from the embedded
 * RADIUS, 2 % loss on the access, carrier and RADIUS links (so Accounting-Requests are
 * retransmitted and arrive late), every home dialling again 2 s after it went down, for two
 * virtual hours. No address is ever held by two live sessions — neither as the homes see
 * it nor in the server's accounting log — and at the end every address is back.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Network } from '../../src/sim/network.js';
import { VirtualClock } from '../../src/sim/clock.js';
import { loadTopology, topologySchema } from '../../src/config/topology.js';
import { ipv4ToString } from '../../src/wire/bytes.js';

const HOURS = 2;

test(`24 homes on 12 pool users, Session-Timeout 60 s, 2 % loss, ${HOURS} virtual hours: never one address for two live sessions`, (t0) => {
  const base = loadTopology('topologies/default.yaml');
  const isp = base.isps[0]!;
  const users = Array.from({ length: 12 }, (_, i) => ({ name: `u${i}@isp-a.example`, password: `pw${i}`, sessionTimeout: 60, interimInterval: 20 }));
  const lossy = { loss: 0.02, delay: 1 };
  const t = topologySchema.parse({
    ...base,
    sse: { ...base.sse, lnsLookup: 'static' },
    // A small pool (a /27: 30 addresses, minus gateway, alice's and DNS not inside it) so addresses are reused often.
    isps: [{ ...isp, pool: '198.51.100.0/27', users: [isp.users[0]!, ...users] }],
    homes: Array.from({ length: 24 }, (_, i) => ({ name: `h${i}`, user: users[i % 12]!.name, password: users[i % 12]!.password, redial: false })),
    links: { access: lossy, carrier: lossy, 'radius-isp-a': lossy, core: { delay: 0.2 }, server: { delay: 0.2 } },
  });
  const clock = new VirtualClock(Date.UTC(2026, 0, 1));
  const net = new Network(t, { clock, keep: 100_000 });
  // Live sessions as the LNS has them (a home may not notice at once that its session
  // ended — its PADT can be lost — but its address is no longer its own then).
  const live = new Map<string, string>();
  const conflicts: string[] = [];
  const sessions = new Set<string>();
  net.onEvent((e) => {
    if (e.kind !== 'nte') return;
    if (e.event.type === 'online') {
      const a = ipv4ToString(e.event.address);
      const id = `${e.event.tunnelId}/${e.event.sessionId}`;
      // (IPCP may come up twice in one session under loss: that is the same holder.)
      for (const [s, b] of live) if (b === a && s !== id) conflicts.push(`${e.event.user} ${id} got ${a} at ${e.at}, held by ${s}`);
      live.set(id, a);
      sessions.add(`${id} ${e.event.acctSessionId}`);
    } else if (e.event.type === 'session-ended') live.delete(`${e.event.tunnelId}/${e.event.sessionId}`);
  });
  const end = clock.now() + HOURS * 3_600_000;
  const downSince = new Map<string, number>();
  for (const h of net.homes) net.act(h.cfg.name, (now) => h.start(now));
  while (clock.now() < end) {
    clock.runUntil(clock.now() + 1000);
    for (const h of net.homes) {
      if (h.isOnline) {
        downSince.delete(h.cfg.name);
        continue;
      }
      const since = downSince.get(h.cfg.name) ?? clock.now();
      downSince.set(h.cfg.name, since);
      // pppd's holdoff, and a 30 s give-up for an attempt lost on the way.
      const d = clock.now() - since;
      if (d >= 2000 && (d - 2000) % 30_000 < 1000) net.act(h.cfg.name, (now) => h.start(now));
    }
  }
  assert.deepEqual(conflicts, []);
  assert.ok(sessions.size > 24 * HOURS * 40, `sessions ${sessions.size}: about one a minute per home`);
  // The server's own log: per address, Start..Stop intervals never overlap.
  const byAddress = new Map<string, { at: number; start: boolean; sid: string }[]>();
  for (const l of net.accounting) {
    if (l.framedIpAddress === undefined || (l.statusType !== 'Start' && l.statusType !== 'Stop')) continue;
    const list = byAddress.get(l.framedIpAddress) ?? [];
    list.push({ at: l.at, start: l.statusType === 'Start', sid: l.sessionId! });
    byAddress.set(l.framedIpAddress, list);
  }
  const overlaps: string[] = [];
  for (const [a, list] of byAddress) {
    const open = new Set<string>();
    for (const r of list) {
      if (r.start) {
        if (open.size) overlaps.push(`${a}: ${r.sid} started while ${[...open].join(', ')} held it`);
        open.add(r.sid);
      } else open.delete(r.sid);
    }
  }
  assert.deepEqual(overlaps.slice(0, 5), []);
  // Everything ends: every address goes back — at its Stop, or (a login cut off before its
  // session came up) when its offer runs out, leaseOfferSeconds (300 s) later.
  for (const h of net.homes) net.act(h.cfg.name, (now) => h.disconnect(now));
  clock.runUntil(clock.now() + 400_000);
  const server = net.isps[0]!.radiusBox!.server;
  assert.deepEqual(server.leases('isp-a'), []);
  assert.equal(server.counters.leaseConflicts, 0);
  const c = server.counters;
  t0.diagnostic(`${sessions.size} sessions; leases granted ${c.leasesGranted}, released ${c.leasesReleased}, expired ${c.leasesExpired}; duplicates answered from the cache ${c.duplicates}; accounting records logged once across attempts ${c.accountingDuplicates}`);
  net.close();
});
