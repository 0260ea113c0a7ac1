/**
 * PAP through the LAC (issue 13 item 8), in one process: a home that authenticates with PAP
 * only Naks the sse's CHAP towards PAP; the sse takes the Authenticate-Request unchecked and
 * hands it to the LNS as proxy authentication type PAP (RFC 2661 §4.4.5: Type 3, Name, ID,
 * Response = the password); the nte checks it with RADIUS User-Password (RFC 2865 §5.2) and
 * answers in-band with PAP Authenticate-Ack/Nak (RFC 1334 §2.2). The renegotiating LNS runs
 * PAP itself. Asserted on the wire (captures of the carrier and RADIUS links) and on events.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { Network, type NetEvent } from '../../src/sim/network.js';
import { topologySchema } from '../../src/config/topology.js';
import { VirtualClock } from '../../src/sim/clock.js';
import { parseCapture } from '../../src/wire/pcap.js';
import { l2tp, findAvp, controlMessageType, MessageType, type ControlMessage } from '../../src/wire/l2tp.js';
import { radiusPacket } from '../../src/wire/radius.js';
import { A, RadiusCode } from '../../src/wire/radius-dictionary.js';
import { udpPayload } from '../helpers/udp-frame.js';
import { ipv4FromString } from '../../src/wire/bytes.js';
import { lcpPacket, type LcpOption } from '../../src/wire/ppp.js';

/** A proxy LCP AVP's value (a Configure-Request's body, after its 4-octet header) as option values. */
function optionsFromBytes(body: Uint8Array): LcpOption[] | undefined {
  const b = new Uint8Array(4 + body.length);
  b[0] = 1;
  b[2] = b.length >>> 8;
  b[3] = b.length & 0xff;
  b.set(body, 4);
  const r = lcpPacket.parse(b);
  return r.ok && r.value.kind === 'conf-req' ? [...r.value.options] : undefined;
}

function net(edit: (t: Record<string, any>) => void) {
  const raw = parse(readFileSync('topologies/default.yaml', 'utf8'));
  edit(raw);
  const clock = new VirtualClock(Date.UTC(2026, 0, 1));
  const n = new Network(topologySchema.parse(raw), { clock, capture: true });
  const events: NetEvent[] = [];
  n.onEvent((e) => events.push(e));
  for (const h of n.homes) n.act(h.cfg.name, (now) => h.start(now));
  return { n, clock, events };
}

/** UDP payloads seen on a link, with their destination address. */
function udpOn(n: Network, link: string, port: number): { dst: number; payload: Uint8Array }[] {
  const c = parseCapture(n.captures.get(link)!.bytes());
  assert.ok(c.ok);
  return c.value.packets.flatMap((p) => {
    const u = udpPayload(p.data);
    return u && (u.dstPort === port || u.srcPort === port) ? [{ dst: u.dst, payload: u.payload }] : [];
  });
}

function iccnsTo(n: Network, lns: string): ControlMessage[] {
  return udpOn(n, 'carrier', 1701).flatMap(({ dst, payload }) => {
    if (dst !== ipv4FromString(lns)) return [];
    const m = l2tp.parse(payload);
    return m.ok && m.value.kind === 'control' && controlMessageType(m.value) === MessageType.ICCN ? [m.value] : [];
  });
}

const online = (n: Network): boolean[] => n.homes.map((h) => h.isOnline);

test('every home with auth: pap comes up: proxy PAP to the accepting LNS, PAP renegotiated by the other', () => {
  const { n, clock, events } = net((t) => { for (const h of t.homes) h.auth = 'pap'; });
  clock.runUntilTrue(() => n.homes.every((h) => h.isOnline), clock.now() + 30_000);
  assert.deepEqual(online(n), [true, true, true]);
  const [a, b] = n.isps;
  assert.equal(a!.nte.counters['proxy.accepted'], 2, 'nte-a took the proxied LCP and PAP of both homes');
  assert.equal(b!.nte.counters['proxy.renegotiated-by-policy'], 1, 'nte-b renegotiated');
  // The ICCN to nte-a: Proxy Authen Type 3 with Name, ID and Response = the password, no Challenge.
  const iccns = iccnsTo(n, '192.0.2.1');
  assert.equal(iccns.length, 2);
  const byUser = new Map<string, ControlMessage>();
  for (const m of iccns) byUser.set(findAvp(m.avps, 'proxyAuthenName')!.name, m);
  for (const [user, password] of [['alice@isp-a.example', 'secret'], ['bob@isp-a.example', 'hunter2']] as const) {
    const m = byUser.get(user);
    assert.ok(m, `an ICCN for ${user}`);
    assert.equal(findAvp(m.avps, 'proxyAuthenType')!.authType, 3, 'PPP PAP');
    assert.equal(Buffer.from(findAvp(m.avps, 'proxyAuthenResponse')!.response).toString(), password, 'Response is the password');
    assert.ok(findAvp(m.avps, 'proxyAuthenId') !== undefined, 'ID present (§4.4.5: MUST for types 2, 3 and 5)');
    assert.equal(findAvp(m.avps, 'proxyAuthenChallenge'), undefined, 'no Challenge for PAP');
    // The proxied LCP is the one the home agreed with the sse: Auth-Protocol PAP (0xc023).
    const sent = optionsFromBytes(findAvp(m.avps, 'lastSentLcpConfReq')!.options) ?? [];
    assert.ok(sent.some((o) => o.kind === 'auth' && o.protocol === 0xc023), 'the LAC\'s last Configure-Request asked for PAP');
  }
  // nte-a's RADIUS: Access-Requests with User-Password, never CHAP-Password.
  const reqs = udpOn(n, 'radius-isp-a', 1812).flatMap(({ payload }) => {
    const r = radiusPacket.parse(payload);
    return r.ok && r.value.code === RadiusCode.ACCESS_REQUEST ? [r.value] : [];
  });
  assert.equal(reqs.length, 2);
  for (const r of reqs) {
    assert.ok(r.attributes.some((x) => x.type === A.USER_PASSWORD), 'User-Password');
    assert.ok(!r.attributes.some((x) => x.type === A.CHAP_PASSWORD), 'no CHAP-Password');
  }
  assert.ok(!events.some((e) => e.kind === 'sse' && e.event.type === 'session-ended'), 'no session refused');
  assert.ok(!events.some((e) => e.kind === 'home' && e.event.type === 'auth-failed'));
});

test('a wrong PAP password: Access-Reject at the LNS, PAP Authenticate-Nak in-band, the home fails authentication', () => {
  const { n, clock, events } = net((t) => {
    t.homes = [{ name: 'home1', user: 'alice@isp-a.example', password: 'wrong', auth: 'pap' }, { name: 'home3', user: 'carol@isp-b.example', password: 'wrong', auth: 'pap' }];
  });
  clock.runUntil(clock.now() + 20_000);
  assert.deepEqual(online(n), [false, false]);
  const failed = events.filter((e) => e.kind === 'home' && e.event.type === 'auth-failed').map((e) => e.box).sort();
  assert.deepEqual([...new Set(failed)], ['home1', 'home3'], 'both homes were told no (proxied, and renegotiated)');
  const rejects = events.filter((e) => e.kind === 'radius' && e.event.type === 'auth' && !e.event.accepted && e.box !== 'carrier-radius');
  assert.ok(rejects.length >= 2, 'each LNS asked its RADIUS and got Access-Reject');
  assert.ok((n.isps[0]!.nte.counters['proxy.accepted'] ?? 0) >= 1, 'nte-a decided on the proxied PAP');
});

test('sse.auth: [pap] offers PAP only: a PAP home comes up, a CHAP-only home is refused (it Naks towards CHAP)', () => {
  const { n, clock, events } = net((t) => {
    t.sse.auth = ['pap'];
    t.homes = [{ name: 'home1', user: 'alice@isp-a.example', password: 'secret', auth: 'pap' }, { name: 'home2', user: 'bob@isp-a.example', password: 'hunter2', auth: 'chap' }];
  });
  clock.runUntil(clock.now() + 20_000);
  assert.deepEqual(online(n), [true, false]);
  const ended = events.flatMap((e) => (e.kind === 'sse' && e.event.type === 'session-ended' ? [e.event.reason] : []));
  assert.ok(ended.includes('peer-refused-auth'), `the CHAP-only home could not have the link: ${ended.join(', ')}`);
});

test('an unknown domain with PAP: the sse answers the Authenticate-Request with a Nak (carrier RADIUS and static table)', () => {
  for (const lookup of ['radius', 'static']) {
    const { n, clock, events } = net((t) => {
      t.sse.lnsLookup = lookup;
      t.homes = [{ name: 'home4', user: 'dave@nowhere.example', password: 'x', auth: 'pap' }];
    });
    clock.runUntil(clock.now() + 10_000);
    assert.deepEqual(online(n), [false], lookup);
    assert.ok(events.some((e) => e.box === 'home4' && e.kind === 'home' && e.event.type === 'auth-failed'), `${lookup}: the home got a PAP Nak`);
    assert.ok(events.some((e) => e.kind === 'sse' && e.event.type === 'no-lns'), lookup);
  }
});

test('hideAvps: the password travels hidden (RFC 2661 §4.3) and is revealed by the LNS with the tunnel secret', () => {
  const { n, clock } = net((t) => {
    t.sse.hideAvps = true;
    t.homes = [{ name: 'home1', user: 'alice@isp-a.example', password: 'secret', auth: 'pap' }];
  });
  clock.runUntilTrue(() => n.homes[0]!.isOnline, clock.now() + 30_000);
  assert.deepEqual(online(n), [true]);
  assert.equal(n.isps[0]!.nte.counters['proxy.accepted'], 1);
  const [iccn] = iccnsTo(n, '192.0.2.1');
  assert.ok(iccn);
  // Without the secret the proxy authentication AVPs are ciphertext: no password on the wire.
  assert.equal(findAvp(iccn.avps, 'proxyAuthenResponse'), undefined);
  const concealed = iccn.avps.filter((a) => a.kind === 'concealed').map((a) => (a as { type: number }).type);
  for (const type of [29, 30, 32, 33]) assert.ok(concealed.includes(type), `AVP ${type} hidden`);
  const raw = parseCapture(n.captures.get('carrier')!.bytes());
  assert.ok(raw.ok && !raw.value.packets.some((p) => Buffer.from(p.data).includes('secret')), 'the password is in no frame in the clear');
});
