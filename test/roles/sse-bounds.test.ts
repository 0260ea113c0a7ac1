/**
 * The sse under hostile subscribers, on the in-process network: PPPoE session frames with a
 * bad header (RFC 2516 §4/§6) are counted and dropped, a PADR flood with valid cookies stops
 * at the cap on sessions being set up, and a flood of LCP / CHAP frames on a session not yet
 * handed off ends that session only. The homes already online keep every ping.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { Network, type NetEvent } from '../../src/sim/network.js';
import { topologySchema } from '../../src/config/topology.js';
import { VirtualClock } from '../../src/sim/clock.js';
import { ethernetFrame } from '../helpers/ethernet-frame.js';
import { macToString, u16 } from '../../src/wire/bytes.js';

const SERVER = 0xcb00710a; // 203.0.113.10
const BROADCAST = Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff);

function net(edit: (t: Record<string, any>) => void = () => {}, start = true) {
  const raw = parse(readFileSync('topologies/default.yaml', 'utf8'));
  raw.sse.lnsLookup = 'static';
  edit(raw);
  const clock = new VirtualClock(Date.UTC(2026, 0, 1));
  const n = new Network(topologySchema.parse(raw), { clock });
  const events: NetEvent[] = [];
  n.onEvent((e) => events.push(e));
  if (!start) return { n, clock, events };
  // A home named "late" (if any) is left for the test to start.
  const first = n.homes.filter((h) => h.cfg.name !== 'late');
  for (const h of first) n.act(h.cfg.name, (now) => h.start(now));
  clock.runUntil(clock.now() + 10_000);
  assert.ok(first.every((h) => h.isOnline), 'every home online before the attack');
  return { n, clock, events };
}

/** Pings from every online home; returns how many came back. */
function pingAll(n: Network, clock: VirtualClock, events: NetEvent[], seq: number): { sent: number; answered: number } {
  const before = events.length;
  const homes = n.homes.filter((h) => h.isOnline);
  for (const h of homes) n.act(h.cfg.name, (now) => h.ping(SERVER, seq, now));
  clock.runUntil(clock.now() + 2000);
  const answered = events.slice(before).filter((e) => e.kind === 'home' && e.event.type === 'ip' && e.event.event.kind === 'echo-reply' && e.event.event.sequence === seq).length;
  return { sent: homes.length, answered };
}

/** Not padded to 60 octets: each frame is octet for octet what the test builds. */
const frame = (dst: Uint8Array, src: Uint8Array, type: number, payload: Uint8Array): Uint8Array => ethernetFrame(dst, src, type, payload, 0);

/** A PPPoE header (RFC 2516 §4) with the fields as given, then `body`. */
function pppoe(verType: number, code: number, sessionId: number, body: Uint8Array, length = body.length): Uint8Array {
  return Uint8Array.of(verType, code, sessionId >>> 8, sessionId & 0xff, length >>> 8, length & 0xff, ...body);
}

/** Discovery tag (RFC 2516 Appendix A). */
const tag = (type: number, data: Uint8Array = new Uint8Array(0)) => Uint8Array.of(type >>> 8, type & 0xff, data.length >>> 8, data.length & 0xff, ...data);
const spoofed = (i: number) => Uint8Array.of(0x02, 0xee, (i >>> 24) & 0xff, (i >>> 16) & 0xff, (i >>> 8) & 0xff, i & 0xff);

/** An ICMP echo request from home1's address inside PPP (protocol 0x0021), as its own bytes. */
function homePing(n: Network): Uint8Array {
  // Take home1's real next frame: its IP stack builds the echo request.
  const h = n.homes[0]!;
  h.ping(SERVER, 999, n.clock.now());
  const f = h.pollTransmit()!.frame;
  assert.equal(u16(f, 12), 0x8864);
  return f;
}

test('PPPoE session frames: VER/TYPE, CODE, group destination and LENGTH are checked before anything is relayed', () => {
  const { n, clock, events } = net();
  const good = homePing(n);
  const sse = n.sse;
  const relayed = () => sse.counters['relay.up'] ?? 0;
  const inject = (f: Uint8Array) => n.act('sse', (now) => sse.handleFrame('access', f, now));

  const variants: [string, (f: Uint8Array) => Uint8Array][] = [
    ['pppoe.bad-version-type', (f) => { f[14] = 0x12; return f; }],
    ['pppoe.bad-version-type', (f) => { f[14] = 0x21; return f; }],
    ['pppoe.not-session-code', (f) => { f[15] = 0x09; return f; }],
    ['pppoe.not-session-code', (f) => { f[15] = 0xa7; return f; }],
    ['pppoe.group-destination', (f) => { f.set(BROADCAST, 0); return f; }],
    ['pppoe.group-destination', (f) => { f[0] = 0x01; f[1] = 0x00; f[2] = 0x5e; return f; }],
    ['pppoe.length-exceeds-frame', (f) => { f[18] = 0x05; f[19] = 0xdc; return f; }],
    ['pppoe.no-ppp-protocol', (f) => { f[18] = 0; f[19] = 1; return f; }],
  ];
  for (const [code, edit] of variants) {
    const before = relayed();
    const k = `access.drop.${code}`;
    const count = sse.counters[k] ?? 0;
    inject(edit(new Uint8Array(good)));
    assert.equal(sse.counters[k], count + 1, code);
    assert.equal(relayed(), before, `${code}: not relayed`);
  }
  const short = sse.counters['access.drop.short'] ?? 0;
  inject(good.slice(0, 17));
  assert.equal(sse.counters['access.drop.short'], short + 1, 'shorter than Ethernet + PPPoE headers');
  // RFC 2516 §5.5: a PADT goes to a unicast address; one broadcast "from" home1 ends nothing.
  const h1 = n.homes[0]!;
  const padt = frame(BROADCAST, h1.mac, 0x8863, pppoe(0x11, 0xa7, h1.sessionId, new Uint8Array(0)));
  inject(padt);
  assert.equal(sse.counters['access.drop.discovery.pppoe.group-destination'], 1);
  assert.equal(sse.ac.sessionCount, 3, 'no session ended');
  // The same frame unchanged is relayed: the checks refuse only what the RFC refuses.
  const before = relayed();
  inject(new Uint8Array(good));
  assert.equal(relayed(), before + 1);
  clock.runUntil(clock.now() + 1000);
  assert.deepEqual(pingAll(n, clock, events, 1), { sent: 3, answered: 3 });
});

test('the home checks the PPPoE session header too (and counts by reason)', () => {
  const { n, clock, events } = net();
  const h = n.homes[0]!;
  const ac = h.client.ac!;
  const lcpEcho = Uint8Array.of(0xc0, 0x21, 9, 7, 0, 8, 0, 0, 0, 0); // LCP Echo-Request (RFC 1661 §5.8)
  const base = () => frame(h.mac, ac, 0x8864, pppoe(0x11, 0x00, h.sessionId, lcpEcho));
  const cases: [string, Uint8Array][] = [
    ['pppoe.bad-version-type', (() => { const f = base(); f[14] = 0x10; return f; })()],
    ['pppoe.not-session-code', (() => { const f = base(); f[15] = 0x65; return f; })()],
    ['pppoe.group-destination', (() => { const f = base(); f.set(BROADCAST, 0); return f; })()],
    ['pppoe.length-exceeds-frame', frame(h.mac, ac, 0x8864, pppoe(0x11, 0, h.sessionId, lcpEcho, 400))],
  ];
  // RFC 2516 §5.5: a PADT to a group address is not one the home acts on.
  n.act(h.cfg.name, (now) => h.handleFrame('access', frame(BROADCAST, ac, 0x8863, pppoe(0x11, 0xa7, h.sessionId, new Uint8Array(0))), now));
  assert.equal(n.homeCounters['home.drop.discovery.pppoe.group-destination'], 1);
  assert.ok(h.isOnline, 'still online');
  let echoReplies = 0;
  n.segments.get('access')!.observe((f, from) => {
    if (from === h.cfg.name && u16(f, 12) === 0x8864 && u16(f, 20) === 0xc021 && f[22] === 10) echoReplies++;
  });
  for (const [code, f] of cases) {
    const k = `home.drop.${code}`;
    const before = n.homeCounters[k] ?? 0;
    n.act(h.cfg.name, (now) => h.handleFrame('access', f, now));
    clock.runUntil(clock.now() + 10);
    assert.equal(n.homeCounters[k], before + 1, code);
    assert.equal(echoReplies, 0, `${code}: no Echo-Reply to a frame that was dropped`);
  }
  // The good frame is answered (Echo-Reply), so the checks are not what keeps the others quiet.
  n.act(h.cfg.name, (now) => h.handleFrame('access', base(), now));
  clock.runUntil(clock.now() + 1000);
  assert.equal(echoReplies, 1);
  assert.ok(h.isOnline);
  assert.deepEqual(pingAll(n, clock, events, 2), { sent: 3, answered: 3 });
});

test('a PADR flood with valid cookies stops at the cap on sessions being set up; live sessions keep every ping; the table empties by itself', () => {
  const { n, clock, events } = net((t) => t.homes.push({ name: 'late', user: 'bob@isp-a.example', password: 'hunter2' }));
  const sse = n.sse;
  const cap = 16_384;
  const flood = cap + 300;
  // Collect one valid AC-Cookie per spoofed MAC from the PADOs the sse sends.
  const cookies = new Map<string, Uint8Array>();
  n.segments.get('access')!.observe((f, from) => {
    if (from !== 'sse' || u16(f, 12) !== 0x8863 || f[15] !== 0x07) return;
    for (let o = 20; o + 4 <= 20 + u16(f, 18); o += 4 + u16(f, o + 2)) {
      if (u16(f, o) === 0x0104) cookies.set(macToString(f, 0), f.slice(o + 4, o + 4 + u16(f, o + 2)));
    }
  });
  const service = tag(0x0101);
  for (let i = 0; i < flood; i++) n.act('sse', (now) => sse.handleFrame('access', frame(BROADCAST, spoofed(i), 0x8863, pppoe(0x11, 0x09, 0, service)), now));
  clock.runUntil(clock.now() + 100);
  assert.equal(cookies.size, flood, 'a PADO (with a cookie) per PADI: a PADI costs no state');
  assert.equal(sse.ac.sessionCount, 3, 'PADIs made no session');
  let most = 0;
  for (let i = 0; i < flood; i++) {
    const mac = spoofed(i);
    const padr = pppoe(0x11, 0x19, 0, Uint8Array.of(...service, ...tag(0x0104, cookies.get(macToString(mac))!)));
    n.act('sse', (now) => sse.handleFrame('access', frame(n.sse.cfg.accessMac, mac, 0x8863, padr), now));
    most = Math.max(most, sse.ac.pendingSessions);
    if (i % 4000 === 0) assert.deepEqual(pingAll(n, clock, events, 100 + i), { sent: 3, answered: 3 }, 'live homes answered during the flood');
  }
  assert.equal(most, cap, 'never more sessions being set up than the cap');
  assert.equal(sse.ac.counters['pads.limit-pending'], flood - cap, 'each refused with AC-System-Error, counted');
  assert.equal(sse.ac.sessionCount, 3 + cap);
  // Per-MAC limit (1 on this topology) holds for a flooder with valid cookies too.
  const again = spoofed(0);
  const padr = pppoe(0x11, 0x19, 0, Uint8Array.of(...service, ...tag(0x0103, Uint8Array.of(1)), ...tag(0x0104, cookies.get(macToString(again))!)));
  n.act('sse', (now) => sse.handleFrame('access', frame(n.sse.cfg.accessMac, again, 0x8863, padr), now));
  assert.equal(sse.ac.counters['pads.limit-per-mac'], 1);
  assert.deepEqual(pingAll(n, clock, events, 7), { sent: 3, answered: 3 });
  // The flooder never answers LCP: every half-open session goes within the hand-off deadline.
  clock.runUntil(clock.now() + 61_000);
  assert.equal(sse.ac.pendingSessions, 0);
  assert.equal(sse.ac.sessionCount, 3, 'only the live sessions are left');
  assert.deepEqual(pingAll(n, clock, events, 8), { sent: 3, answered: 3 });
  // And a new home connects afterwards.
  const late = n.homes.find((h) => h.cfg.name === 'late')!;
  n.act('late', (now) => late.start(now));
  clock.runUntil(clock.now() + 10_000);
  assert.ok(late.isOnline);
});

test('a flood of LCP Configure-Requests and CHAP Responses on a session not yet handed off ends that session only', () => {
  const { n, clock, events } = net();
  const sse = n.sse;
  const mac = spoofed(77);
  let pado: Uint8Array | undefined;
  let pads: number | undefined;
  let toAttacker = 0;
  n.segments.get('access')!.observe((f, from) => {
    if (from !== 'sse' || macToString(f, 0) !== macToString(mac)) return;
    toAttacker++;
    if (u16(f, 12) === 0x8863 && f[15] === 0x07) pado = f.slice(14);
    if (u16(f, 12) === 0x8863 && f[15] === 0x65) pads = u16(f, 16);
  });
  n.act('sse', (now) => sse.handleFrame('access', frame(BROADCAST, mac, 0x8863, pppoe(0x11, 0x09, 0, tag(0x0101))), now));
  clock.runUntil(clock.now() + 10);
  n.act('sse', (now) => sse.handleFrame('access', frame(sse.cfg.accessMac, mac, 0x8863, Uint8Array.of(0x11, 0x19, ...pado!.subarray(2))), now));
  clock.runUntil(clock.now() + 10);
  assert.ok(pads && pads > 0, 'the attacker has a session');
  const confReq = (id: number) => Uint8Array.of(0xc0, 0x21, 1, id, 0, 8, 5, 6, 0x11, 0x22, 0x33, id); // Configure-Request, Magic-Number (RFC 1661 §6.4)
  const chapResp = (id: number) => Uint8Array.of(0xc2, 0x23, 2, id, 0, 26, 16, ...new Uint8Array(16).fill(id), 0x78, 0x40, 0x79, 0x2e, 0x7a); // Response "x@y.z" (RFC 1994 §4.1)
  for (let i = 0; i < 1000; i++) {
    const ppp = i % 2 ? chapResp(i & 0xff) : confReq(i & 0xff);
    n.act('sse', (now) => sse.handleFrame('access', frame(sse.cfg.accessMac, mac, 0x8864, pppoe(0x11, 0, pads!, ppp)), now));
  }
  clock.runUntil(clock.now() + 100);
  assert.equal(sse.counters['access.refused.frame-budget'], 1, 'the session was ended once');
  assert.equal(sse.ac.sessionCount, 3, 'its session is gone, the three live ones are not');
  assert.ok((sse.counters['access.drop.unknown-session'] ?? 0) >= 1000 - 257, 'the rest of the flood is dropped as for no session');
  assert.ok(toAttacker < 300, `what the flood got back is bounded (${toAttacker} frames)`);
  assert.deepEqual(pingAll(n, clock, events, 3), { sent: 3, answered: 3 });
});

test('a session that does not reach hand-off within the deadline is ended (here: a peer gone quiet while the call tries dead LNSs)', () => {
  const { n, clock, events } = net((t) => {
    t.sse.lnsLookup = 'radius';
    // Eight dead LNSs (the most the sse tries), 10 s each before the next: 80 s, past the 60 s hand-off deadline.
    t.sse.lnsConnectTimeout = 10;
    t.isps[0].alternateLns = Array.from({ length: 8 }, (_, i) => ({ address: `192.0.2.${90 + i}`, preference: 1 + i }));
  }, false);
  const [home1, , home3] = n.homes as [typeof n.homes[0], typeof n.homes[0], typeof n.homes[0]];
  // carol (isp-b) is online through nte-b; alice (isp-a) is the one whose call cannot be placed.
  n.act('home3', (now) => home3.start(now));
  clock.runUntil(clock.now() + 10_000);
  assert.ok(home3.isOnline);
  // home1 answers CHAP, then goes quiet: no LCP Terminate, no PADT ever reaches the sse.
  const poll = home1.pollTransmit.bind(home1);
  let quiet = false;
  home1.pollTransmit = () => {
    if (!quiet) return poll();
    while (poll()) {}
    return undefined;
  };
  const start = clock.now();
  n.act('home1', (now) => home1.start(now));
  assert.ok(clock.runUntilTrue(() => n.sse.sessionsByState().opening === 1, clock.now() + 10_000), 'the call is being placed');
  quiet = true;
  clock.runUntil(start + 59_000);
  assert.equal(n.sse.sessionsByState().opening, 1, 'still trying dead LNSs before the deadline');
  assert.equal(n.sse.counters['session.handoff-timeout'], undefined);
  clock.runUntil(start + 62_000);
  assert.equal(n.sse.counters['session.handoff-timeout'], 1);
  assert.deepEqual(n.sse.sessionsByState(), { lcp: 0, lookup: 0, opening: 0, relaying: 1, closing: 0 });
  assert.equal(n.sse.ac.pendingSessions, 0);
  assert.equal(n.sse.ac.sessionCount, 1);
  assert.deepEqual(pingAll(n, clock, events, 4), { sent: 1, answered: 1 });
});
