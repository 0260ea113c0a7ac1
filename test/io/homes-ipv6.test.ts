// The home emulator builds its homes with the assembler, so they are dual-stack exactly where
// the topology says (homes[].ipv6, default on, and the user's ISP has ipv6), and `online`
// still means IPv4.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BoxProcess } from '../../src/io/box.js';
import { memoryLab, oneIspTopology } from '../helpers/memory-lab.js';
import { HomesBox } from '../../src/io/homes.js';
import { parseTopology } from '../../src/config/topology.js';
import { withHomes } from '../../src/config/generate.js';
import { homeIpv6Config, homeMac } from '../../src/config/assemble.js';
import { ipv6FromString } from '../../src/wire/ipv6.js';

const V6 = oneIspTopology().replace('    dns: [198.51.100.53]', '    dns: [198.51.100.53]\n    ipv6: { wanPrefixPool: 2001:db8:100::/40, pdPool: 2001:db8:8000::/34, pdLength: 56, dns: [2001:db8:ffff:1::53] }');

test('the emulator\'s homes are dual-stack where the topology says: IPv6 up from the nte, online on IPv4 as before', async () => {
  const base = withHomes(parseTopology(V6), 4);
  assert.ok(base.isps[0]!.ipv6, 'the topology parsed with isp-a ipv6');
  const t = { ...base, homes: base.homes.map((h, i) => (i === 1 ? { ...h, ipv6: false } : h)) };
  const { clock, open } = memoryLab();
  new BoxProcess(t, 'sse', { clock, open: open(1) });
  new BoxProcess(t, 'nte-a', { clock, open: open(2) });
  const homes = new HomesBox(t, { clock, open: open(3), access: 'acc' });
  const dual = homes.members.map((m) => m.home.cfg.ipv6 !== undefined);
  assert.deepEqual(dual, [true, false, true, true]);
  assert.equal(homes.members[0]!.home.cfg.ipv6!.prefixLengthHint, 56, 'the ISP pdLength as the IA_PD hint');
  assert.ok(homes.members[0]!.home.link.ipv6cp, 'IPV6CP configured on the dual-stack homes');
  assert.equal(homes.members[1]!.home.link.ipv6cp, undefined);
  clock.runUntil(clock.now() + 10_000);
  assert.equal(homes.setup().online, 4);
  // The nte runs IPV6CP, RAs and DHCPv6: the dual-stack homes have IPv6 up (in show), the other
  // not; online is IPv4's as before.
  clock.runUntil(clock.now() + 10_000);
  assert.deepEqual(homes.members.map((m) => m.home.ipv6?.isUp === true), [true, false, true, true]);
  const rows = (homes.show('sessions') as { homes: Record<string, unknown>[] }).homes;
  assert.deepEqual(rows.map((r) => 'ipv6' in r), [true, false, true, true]);
  assert.ok(rows.every((r) => typeof r.address === 'string'));
  // ping6 like ping: an unknown home is an error.
  await assert.rejects(homes.ping6(ipv6FromString('2001:db8:ffff:1::10'), 10, 56, 'nobody'), /no home named/);
});

test('homeIpv6Config: off for ipv6: false and for an ISP without ipv6; seeded per topology seed and MAC', () => {
  const t = withHomes(parseTopology(V6), 2);
  const noV6 = withHomes(parseTopology(oneIspTopology()), 2);
  assert.equal(homeIpv6Config(noV6, noV6.homes[0]!, homeMac(1)), undefined);
  assert.equal(homeIpv6Config(t, { ...t.homes[0]!, ipv6: false }, homeMac(1)), undefined);
  const a = homeIpv6Config(t, t.homes[0]!, homeMac(1))!;
  const b = homeIpv6Config(t, t.homes[0]!, homeMac(1))!;
  const c = homeIpv6Config(t, t.homes[1]!, homeMac(2))!;
  const d = homeIpv6Config({ ...t, seed: t.seed + 1 }, t.homes[0]!, homeMac(1))!;
  const draw = (o: { random: () => number }) => [o.random(), o.random(), o.random()];
  assert.deepEqual(draw(a), draw(b));
  assert.notDeepEqual(draw(homeIpv6Config(t, t.homes[0]!, homeMac(1))!), draw(c));
  assert.notDeepEqual(draw(homeIpv6Config(t, t.homes[0]!, homeMac(1))!), draw(d));
});
