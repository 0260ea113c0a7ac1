// A home that was built and never dialled: what it shows, that it sends and schedules nothing,
// that hanging up a line never dialled sends nothing, that its first dial is one PADI (RFC 2516
// §5.1); and a dual-stack home keeps its IPV6CP interface identifier across a redial (the link
// is made once, by the first dial, and kept).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assembleHome } from '../../src/config/assemble.js';
import { labMac } from '../../src/roles/framing.js';
import { start, topo } from '../helpers/net-run.js';

const T0 = Date.UTC(2026, 0, 1);

function idleHome(ipv6 = true) {
  const t = topo();
  const h = t.homes[0]!;
  return assembleHome(t, { name: 'idle-1', user: h.user, password: h.password, auth: h.auth, ipv6 }, labMac(0x11, 1), { homeCounters: {} });
}

test('a home never dialled shows an idle PPPoE state, session 0, no address, no PPP link up; it has no timer and nothing to send', () => {
  for (const dual of [true, false]) {
    const home = idleHome(dual);
    assert.deepEqual(home.show('sessions', T0), [{ state: 'idle', online: false, sessionId: 0, address: undefined, dns: [], redials: 0, failures: 0 }]);
    const ifs = home.show('interfaces', T0) as { ppp0: Record<string, unknown> };
    assert.deepEqual(ifs.ppp0, { kind: 'ppp', up: false, mtu: 1454, ipv4: undefined, dualStack: dual });
    assert.deepEqual(home.show('counters', T0), { home: {} });
    assert.deepEqual(home.show('arp', T0), []);
    assert.deepEqual(home.show('routes', T0), []);
    assert.equal(home.isOnline, false);
    assert.equal(home.sessionId, 0);
    assert.equal(home.pppoeState, 'idle');
    assert.equal(home.nextTimeout(), undefined);
    assert.equal(home.redialAt, undefined);
    assert.equal(home.pollTransmit(), undefined);
    assert.equal(home.pollEvent(), undefined);
    home.handleTimeout(T0 + 60_000);
    assert.equal(home.pollTransmit(), undefined);
  }
});

test('hanging up a home never dialled (disconnect, padt) sends no frame and plans no redial; start then sends one broadcast PADI', () => {
  const home = idleHome();
  home.disconnect(T0);
  home.padt(T0, 'switched off');
  assert.equal(home.pollTransmit(), undefined);
  assert.equal(home.redialAt, undefined);
  home.start(T0 + 1);
  const t = home.pollTransmit();
  assert.ok(t);
  assert.equal(home.pollTransmit(), undefined);
  const f = t.frame;
  assert.deepEqual([...f.subarray(0, 6)], [0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
  assert.equal((f[12]! << 8) | f[13]!, 0x8863); // PPPoE Discovery
  assert.equal(f[14], 0x11); // VER 1, TYPE 1
  assert.equal(f[15], 0x09); // PADI
  assert.equal((f[16]! << 8) | f[17]!, 0); // SESSION_ID 0
  assert.ok(home.nextTimeout() !== undefined, 'the PADI timeout is armed');
});

test('a dual-stack home keeps its IPV6CP interface identifier (its link-local address) across a redial', () => {
  const r = start(topo());
  assert.ok(r.up());
  const home = r.net.homes.find((h) => h.cfg.ipv6 !== undefined)!;
  assert.ok(home, 'a dual-stack home in the default topology');
  assert.ok(r.clock.runUntilTrue(() => home.ipv6?.isUp === true, r.clock.now() + 30_000));
  const ll = (home.show('interfaces', r.clock.now()) as { ppp0: { ipv6: { linkLocal: string } } }).ppp0.ipv6.linkLocal;
  const sid = home.sessionId;
  r.net.act(home.cfg.name, (now) => home.padt(now, 'test'));
  r.clock.runUntil(r.clock.now() + 2000);
  assert.equal(home.isOnline, false);
  r.net.act(home.cfg.name, (now) => home.start(now));
  assert.ok(r.clock.runUntilTrue(() => home.ipv6?.isUp === true, r.clock.now() + 30_000));
  assert.notEqual(home.sessionId, sid, 'a new PPPoE session');
  const ll2 = (home.show('interfaces', r.clock.now()) as { ppp0: { ipv6: { linkLocal: string } } }).ppp0.ipv6.linkLocal;
  assert.equal(ll2, ll);
});

test('homes with the same settings share one PPP link configuration, yet each authenticates with its own name and secret and draws its own IPV6CP identifier', () => {
  const r = start(topo());
  assert.ok(r.up());
  const dual = r.net.homes.filter((h) => h.cfg.ipv6 !== undefined);
  assert.ok(dual.length >= 2, 'two dual-stack homes in the default topology');
  const [a, b] = dual as [(typeof dual)[0], (typeof dual)[0]];
  assert.notEqual(a.cfg.user, b.cfg.user);
  assert.equal(a.link.cfg, b.link.cfg, 'one configuration object');
  // Online means the LNS's RADIUS accepted each CHAP Response: under each home's own name.
  assert.ok(a.isOnline && b.isOnline);
  const users = new Set(r.net.isps.flatMap((isp) => (isp.nte.show('sessions', r.clock.now()) as { user: string }[]).map((s) => s.user)));
  assert.ok(users.has(a.cfg.user) && users.has(b.cfg.user), `the LNS holds sessions of ${a.cfg.user} and ${b.cfg.user}`);
  assert.ok(r.clock.runUntilTrue(() => a.ipv6?.isUp === true && b.ipv6?.isUp === true, r.clock.now() + 30_000));
  const ll = (h: typeof a): string => (h.show('interfaces', r.clock.now()) as { ppp0: { ipv6: { linkLocal: string } } }).ppp0.ipv6.linkLocal;
  assert.notEqual(ll(a), ll(b));
});
