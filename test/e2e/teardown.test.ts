/**
 * The network in one process, every teardown direction and the bad cases, asserted on
 * events, counters and accounting: nothing (session, route, accounting record) is left behind.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Topology } from '../../src/config/topology.js';
import { start, topo as defaultTopo, type Run } from '../helpers/net-run.js';

/** Each test looks at one teardown and what it leaves; homes dialling again is test/e2e/redial.test.ts. */
function topo(edit: (t: Record<string, any>) => void = () => {}): Topology {
  return defaultTopo((raw) => {
    for (const h of raw.homes) h.redial = false;
    edit(raw);
  });
}
import { pppoeSessionFrame } from '../../src/roles/framing.js';
import { PppProtocol } from '../../src/wire/ppp.js';
import { radiusPacket, textAttr, ipv4Attr, A, RadiusCode } from '../../src/wire/radius.js';
import { signPacket } from '../../src/wire/radius-crypto.js';
import { encode } from '../../src/wire/result.js';

function leftovers(r: Run): void {
  for (const b of r.net.isps) {
    assert.equal(b.nte.sessionCount, 0, `${b.isp.lns.name} sessions left`);
    assert.deepEqual(b.nte.router.showRoutes().filter((x) => x.prefix.endsWith('/32') && x.kind !== 'local'), [], 'no subscriber route left');
  }
  assert.deepEqual(r.net.sse.sessionsByState(), { lcp: 0, lookup: 0, opening: 0, relaying: 0, closing: 0 });
  const starts = r.acct.filter((a) => a.statusType === 'Start').map((a) => a.sessionId).sort();
  const stops = r.acct.filter((a) => a.statusType === 'Stop').map((a) => a.sessionId).sort();
  assert.deepEqual(stops, starts, 'one Stop for every Start');
}

test('LNS StopCCN: every home on that tunnel gets PADT, accounting closes, the other ISP is untouched', () => {
  const r = start(topo());
  r.up();
  assert.ok(r.net.homes.every((h) => h.isOnline));
  const a = r.net.isps[0]!;
  r.net.act(a.isp.lns.name, (now) => a.nte.stopAll(now));
  r.clock.runUntil(r.clock.now() + 5000);
  assert.equal(r.home('home1').isOnline, false);
  assert.equal(r.home('home2').isOnline, false);
  assert.equal(r.home('home3').isOnline, true, 'isp-b is not disturbed');
  const offline = r.events.filter((e) => e.kind === 'home' && e.event.type === 'offline').map((e) => [e.box, (e.event as { reason: string }).reason]);
  assert.deepEqual(offline.sort(), [['home1', 'padt-received'], ['home2', 'padt-received']]);
  assert.equal(r.acct.filter((x) => x.statusType === 'Stop').length, 2);
  assert.equal(a.nte.l2tp.tunnelInfo().filter((t) => t.state !== 'closing').length, 0);
  r.net.act('home3', (now) => r.home('home3').disconnect(now));
  r.clock.runUntil(r.clock.now() + 30_000);
  leftovers(r);
});

test('a cut carrier link: L2TP Hello and LCP echo time out and end everything, accounting closes', () => {
  const r = start(topo(), 10_000);
  r.up();
  const carrier = r.net.segments.get('carrier')!;
  carrier.impairments = { loss: 1 };
  r.clock.runUntil(r.clock.now() + 10 * 60_000);
  assert.ok(r.net.homes.every((h) => !h.isOnline), 'homes noticed (LCP echo failure)');
  carrier.impairments = {};
  r.clock.runUntil(r.clock.now() + 60_000);
  for (const b of r.net.isps) assert.equal(b.nte.sessionCount, 0);
  const stops = r.acct.filter((x) => x.statusType === 'Stop');
  assert.equal(stops.length, 3);
  assert.ok(stops.every((s) => s.terminateCause === 'Lost-Carrier'), stops.map((s) => s.terminateCause).join());
  leftovers(r);
});

test('a wrong password: CHAP Failure from the nte, PADT, Access-Reject counted; the other homes are unaffected', () => {
  const r = start(topo((t) => { t.homes[1].password = 'wrong'; }));
  r.up(['home1', 'home3']);
  r.net.act('home2', (now) => r.home('home2').start(now));
  r.clock.runUntil(r.clock.now() + 20_000);
  assert.equal(r.home('home2').isOnline, false);
  const failed = r.events.find((e) => e.box === 'home2' && e.kind === 'home' && e.event.type === 'auth-failed');
  assert.ok(failed, 'the home saw CHAP Failure');
  assert.ok(r.events.some((e) => e.kind === 'nte' && e.event.type === 'auth-rejected' && e.event.user === 'bob@isp-a.example'));
  assert.ok(r.events.some((e) => e.kind === 'radius' && e.event.type === 'auth' && !e.event.accepted));
  assert.equal(r.net.isps[0]!.nte.radius.counters.accessRejects, 1);
  assert.ok(r.home('home1').isOnline && r.home('home3').isOnline);
  assert.ok(r.events.some((e) => e.box === 'home2' && e.kind === 'home' && e.event.type === 'offline'), 'PADT ended the PPPoE session');
  assert.equal(r.net.sse.sessionsByState().relaying, 2);
});

test('an unknown domain: the sse answers CHAP Failure with a clear message and PADT, no tunnel is opened', () => {
  const r = start(topo((t) => { t.homes[1].user = 'dave@nowhere.example'; }));
  r.up(['home1']);
  const tunnels = r.net.sse.l2tp.tunnelInfo().length;
  r.net.act('home2', (now) => r.home('home2').start(now));
  r.clock.runUntil(r.clock.now() + 20_000);
  const noLns = r.events.find((e) => e.kind === 'sse' && e.event.type === 'no-lns');
  assert.ok(noLns && noLns.kind === 'sse' && noLns.event.type === 'no-lns' && noLns.event.domain === 'nowhere.example');
  assert.ok(r.events.some((e) => e.box === 'home2' && e.kind === 'home' && e.event.type === 'auth-failed'));
  assert.equal(r.net.sse.l2tp.tunnelInfo().length, tunnels, 'no new tunnel');
  assert.equal(r.net.sse.counters['route.no-lns'], 1);
  assert.ok(r.home('home1').isOnline);
  assert.equal(r.net.sse.sessionsByState().closing, 0, 'the refused session is gone');
});

test('an LNS that refuses the tunnel: the home is refused, the other ISP works', () => {
  const r = start(topo((t) => { t.isps[1].lns.refuseTunnels = true; }));
  r.up(['home1']);
  r.net.act('home3', (now) => r.home('home3').start(now));
  r.clock.runUntil(r.clock.now() + 60_000);
  assert.equal(r.home('home3').isOnline, false);
  assert.ok(r.events.some((e) => e.kind === 'sse' && e.event.type === 'session-ended' && e.event.user === 'carol@isp-b.example'));
  assert.ok(r.home('home1').isOnline);
  assert.ok((r.net.isps[1]!.nte.l2tp.counters.teardowns['unknown-lac'] ?? r.net.isps[1]!.nte.l2tp.counters.tunnels.refused) >= 1, JSON.stringify(r.net.isps[1]!.nte.l2tp.counters));
});

test('isp-b always renegotiates LCP; isp-a takes the proxied LCP and CHAP', () => {
  const r = start(topo());
  r.up();
  const online: [string, boolean][] = [];
  for (const e of r.events) if (e.kind === 'nte' && e.event.type === 'online') online.push([e.event.user, e.event.proxyTaken]);
  assert.deepEqual(online.sort(), [['alice@isp-a.example', true], ['bob@isp-a.example', true], ['carol@isp-b.example', false]]);
  assert.equal(r.net.isps[1]!.nte.counters['proxy.renegotiated-by-policy'], 1);
});

test('a LAC that sends no proxy AVPs: the LNS runs LCP and CHAP with the home in-band itself', () => {
  const r = start(topo((t) => { t.sse.proxyAvps = false; }));
  r.up();
  assert.ok(r.net.homes.every((h) => h.isOnline));
  const online: [string, boolean][] = [];
  for (const e of r.events) if (e.kind === 'nte' && e.event.type === 'online') online.push([e.event.user, e.event.proxyTaken]);
  assert.deepEqual(online.sort(), [['alice@isp-a.example', false], ['bob@isp-a.example', false], ['carol@isp-b.example', false]]);
  assert.equal(r.net.isps[0]!.nte.counters['proxy.none'], 2);
  // The home answered two CHAP Challenges: the sse's (not checked) and the LNS's (checked by RADIUS).
  assert.ok(r.events.filter((e) => e.kind === 'radius' && e.event.type === 'auth' && e.box.endsWith('isp-a-radius')).length >= 2);
});

test('Acct-Terminate-Cause of every teardown direction (RFC 2866 §5.10)', () => {
  const causeOf = (edit: (t: Record<string, any>) => void, act: (r: Run) => void, waitMs = 30_000): string[] => {
    const r = start(topo(edit));
    r.up(['home1']);
    act(r);
    r.clock.runUntil(r.clock.now() + waitMs);
    return r.acct.filter((x) => x.statusType === 'Stop' && x.userName === 'alice@isp-a.example').map((x) => String(x.terminateCause));
  };
  // The home hangs up: PADT (the sse's CDN carries Q.931 "normal call clearing") or LCP Terminate-Request.
  assert.deepEqual(causeOf(() => {}, (r) => r.net.act('home1', (n) => r.home('home1').padt(n))), ['User-Request']);
  assert.deepEqual(causeOf(() => {}, (r) => r.net.act('home1', (n) => r.home('home1').disconnect(n))), ['User-Request']);
  // The ISP's RADIUS (Disconnect-Request) and the carrier's operator (the sse's CDN, Result 3): administrative.
  assert.deepEqual(causeOf(() => {}, (r) => r.net.disconnectRequest('isp-a', 'alice@isp-a.example')), ['Admin-Reset']);
  assert.deepEqual(causeOf(() => {}, (r) => r.net.act('sse', (n) => r.net.sse.disconnect(r.net.sse.relaying()[0]!.pppoeSessionId, n))), ['Admin-Reset']);
  // The LNS shuts down (StopCCN from the nte): NAS-Reboot.
  assert.deepEqual(causeOf(() => {}, (r) => r.net.act('nte-a', (n) => r.net.isps[0]!.nte.stopAll(n))), ['NAS-Reboot']);
  // The LAC stops the tunnel with the call in it: the service is gone.
  assert.deepEqual(causeOf(() => {}, (r) => r.net.act('sse', (n) => { for (const t of r.net.sse.l2tp.tunnelInfo()) r.net.sse.l2tp.closeTunnel(t.tunnelId, n); })), ['Lost-Service']);
  // The home stops answering the LNS's LCP echo (its access line is cut): Lost-Carrier.
  assert.deepEqual(causeOf((t) => { t.isps[0].lns.lcpEchoInterval = 5; }, (r) => { r.net.segments.get('access')!.impairments = { loss: 1 }; }, 120_000), ['Lost-Carrier']);
});

test('IPCP renegotiated inside a live session (a new Configure-Request in Opened): one Accounting-Start, one interface, the address kept', () => {
  const r = start(topo());
  r.up(['home1']);
  const h = r.home('home1');
  const nte = r.net.isps[0]!.nte;
  const address = h.address;
  const ifaces = nte.router.showInterfaces().length;
  // The home asks again for its address (RFC 1661 §4.1: RCR in Opened → tld, scr, sca/scn).
  const m = { protocol: PppProtocol.IPCP, packet: { kind: 'conf-req', identifier: 0x77, options: [{ kind: 'ip-address', address }] } } as const;
  const frame = pppoeSessionFrame(r.net.sse.cfg.accessMac, h.mac, h.sessionId, m);
  r.net.drivers.get('sse')!.input('access', frame);
  r.clock.runUntil(r.clock.now() + 5_000);
  assert.ok(h.isOnline);
  assert.equal(h.address, address);
  assert.equal(nte.counters['ipcp.renegotiated'], 1, 'the LNS saw IPCP up a second time');
  assert.equal(nte.router.showInterfaces().length, ifaces, 'no second subscriber interface');
  assert.equal(r.acct.filter((a) => a.statusType === 'Start').length, 1, 'one Accounting-Start');
  r.net.act('home1', (now) => h.disconnect(now));
  r.clock.runUntil(r.clock.now() + 10_000);
  leftovers(r);
});

test('Disconnect-Request by Acct-Session-Id (RFC 5176 §3): the exact id ends that session only; an id in another case, of another LNS or unknown ends nothing and is NAKed', () => {
  const r = start(topo());
  r.up(['home1', 'home2']);
  const b = r.net.isps[0]!;
  const nte = b.nte;
  const alice = nte.listSessions().find((s) => s.user === 'alice@isp-a.example')!;
  const disconnect = (acctSessionId: string, identifier: number): void => {
    const bytes = encode(radiusPacket, { code: RadiusCode.DISCONNECT_REQUEST, identifier, authenticator: new Uint8Array(16), attributes: [textAttr(A.ACCT_SESSION_ID, acctSessionId), ipv4Attr(A.NAS_IP_ADDRESS, b.addresses.radiusNte)] });
    signPacket(bytes, b.addresses.radiusSecret);
    r.net.act(`${b.isp.name}-radius`, (now) => b.radiusBox!.sendDae(b.addresses.radiusNte, bytes, now));
    r.clock.runUntil(r.clock.now() + 2_000);
  };
  // Hex digits in capitals (the ids are random: should they hold no letter, a trailing space instead).
  const id = alice.acctSessionId;
  const capitals = nte.cfg.name + id.slice(nte.cfg.name.length).toUpperCase();
  disconnect(capitals !== id ? capitals : `${id} `, 2);
  disconnect(alice.acctSessionId.replace(nte.cfg.name, 'nte-b'), 3); // another LNS's name
  disconnect(`${alice.acctSessionId}0`, 4); // a longer sequence number
  disconnect(alice.acctSessionId.replace(/-([0-9a-f]+)$/, '-0$1'), 6); // the same numbers, another text (a leading zero)
  assert.equal(nte.sessionCount, 2, 'no near miss ends a session');
  assert.deepEqual([nte.dae!.counters.disconnectRequests, nte.dae!.counters.naks, nte.dae!.counters.acks], [4, 4, 0], 'each near miss answered with a NAK');
  disconnect(alice.acctSessionId, 5);
  assert.deepEqual([nte.dae!.counters.naks, nte.dae!.counters.acks], [4, 1]);
  assert.deepEqual(nte.listSessions().map((s) => s.user), ['bob@isp-a.example'], 'the exact id ends alice, not bob');
  assert.deepEqual(r.acct.filter((x) => x.statusType === 'Stop').map((x) => [x.userName, x.sessionId, String(x.terminateCause)]), [['alice@isp-a.example', alice.acctSessionId, 'Admin-Reset']]);
});
