/** PPPoE discovery engines on their own: the AC's answers, cookies, limits and ids; the client's retransmission and choice. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { PppoeAc, pppoeAcConfig, macKey } from '../../src/proto/pppoe-ac.js';
import { PppoeClient, pppoeClientConfig, BROADCAST } from '../../src/proto/pppoe-client.js';
import { PppoeCode, PppoeTagType, tag, findTag, tagText, pppMaxPayload, pppMaxPayloadTag, type PppoeDiscovery, type PppoeTag } from '../../src/wire/pppoe.js';
import { fromHex, hex, macFromString } from '../../src/wire/bytes.js';
import { clientMac } from '../helpers/pppoe-net.js';

const SECRET = new Uint8Array(32).fill(7);
const AC_MAC = macFromString('02:aa:00:00:00:01');
const HOST = clientMac(1);

function acWith(c: Parameters<typeof pppoeAcConfig>[0] = {}): PppoeAc {
  return new PppoeAc(pppoeAcConfig({ acName: 'sse-1', serviceNames: ['flets', 'isp-b'], cookieSecret: SECRET, ...c }));
}

function padi(tags: PppoeTag[] = [tag(PppoeTagType.SERVICE_NAME), tag(PppoeTagType.HOST_UNIQ, fromHex('7f000000'))]): PppoeDiscovery {
  return { code: PppoeCode.PADI, sessionId: 0, tags };
}

function drain(ac: PppoeAc): { dst: Uint8Array; packet: PppoeDiscovery }[] {
  const out = [];
  for (let t = ac.pollTransmit(); t; t = ac.pollTransmit()) out.push(t);
  return out;
}

/** PADI → PADO → the PADR a client would send (Service-Name, Host-Uniq, Cookie, Relay-Session-Id). */
function padrFor(ac: PppoeAc, mac: Uint8Array, now: number, service = '', extra: PppoeTag[] = []): PppoeDiscovery {
  const hu = tag(PppoeTagType.HOST_UNIQ, mac.subarray(2));
  ac.handle(mac, padi([tag(PppoeTagType.SERVICE_NAME, service), hu, ...extra]), now);
  const [o] = drain(ac);
  assert.ok(o && o.packet.code === PppoeCode.PADO);
  return { code: PppoeCode.PADR, sessionId: 0, tags: [tag(PppoeTagType.SERVICE_NAME, service), hu, findTag(o.packet.tags, PppoeTagType.AC_COOKIE)!, ...extra] };
}

test('PADI → PADO: AC-Name, the Service-Name asked plus the ones offered, a cookie, Host-Uniq and Relay-Session-Id echoed; no state kept', () => {
  const ac = acWith({ maxPayload: 1500 });
  const relay = tag(PppoeTagType.RELAY_SESSION_ID, fromHex('0a0b0c0d'));
  ac.handle(HOST, padi([tag(PppoeTagType.SERVICE_NAME), tag(PppoeTagType.HOST_UNIQ, fromHex('7f000000')), relay, pppMaxPayloadTag(1500)]), 0);
  const [o, more] = drain(ac);
  assert.equal(more, undefined);
  assert.equal(hex(o!.dst), hex(HOST));
  const t = o!.packet.tags;
  assert.deepEqual(t.map((x) => x.type), [0x0102, 0x0101, 0x0101, 0x0101, 0x0104, 0x0103, 0x0110, 0x0120]);
  assert.equal(tagText(findTag(t, PppoeTagType.AC_NAME)), 'sse-1');
  assert.deepEqual(t.filter((x) => x.type === 0x0101).map((x) => tagText(x)), ['', 'flets', 'isp-b']);
  // The cookie: the time bucket, then the first 16 octets of HMAC-SHA256(secret, MAC ‖ bucket) (node:crypto as the reference).
  const cookie = findTag(t, PppoeTagType.AC_COOKIE)!.data;
  assert.equal(cookie.length, 20);
  const bucket = cookie.subarray(0, 4);
  assert.equal(hex(bucket), '00000000', 'the first bucket at t = 0');
  assert.equal(hex(cookie.subarray(4)), createHmac('sha256', SECRET).update(HOST).update(bucket).digest('hex').slice(0, 32));
  assert.equal(hex(findTag(t, PppoeTagType.HOST_UNIQ)!.data), '7f000000');
  assert.equal(hex(findTag(t, PppoeTagType.RELAY_SESSION_ID)!.data), '0a0b0c0d');
  assert.equal(pppMaxPayload(t), 1500, 'RFC 4638');
  assert.equal(ac.sessionCount, 0);
  // A named service is echoed alone; an unknown one is not answered (RFC 2516 §5.2).
  ac.handle(HOST, padi([tag(PppoeTagType.SERVICE_NAME, 'isp-b')]), 0);
  assert.deepEqual(drain(ac)[0]!.packet.tags.filter((x) => x.type === 0x0101).map((x) => tagText(x)), ['isp-b']);
  ac.handle(HOST, padi([tag(PppoeTagType.SERVICE_NAME, 'nope')]), 0);
  ac.handle(HOST, padi([tag(PppoeTagType.HOST_UNIQ, fromHex('01'))]), 0);
  ac.handle(HOST, padi([tag(PppoeTagType.SERVICE_NAME), tag(PppoeTagType.SERVICE_NAME)]), 0);
  ac.handle(HOST, { code: PppoeCode.PADI, sessionId: 5, tags: [tag(PppoeTagType.SERVICE_NAME)] }, 0);
  assert.deepEqual(drain(ac), []);
  assert.equal(ac.counters['drop.padi-service-not-offered'], 1);
  assert.equal(ac.counters['drop.padi-service-name-count'], 2);
  assert.equal(ac.counters['drop.padi-session-id-not-zero'], 1);
});

test('PADR: a valid cookie gets a session; forged, foreign and stale cookies are dropped and counted', () => {
  const ac = acWith();
  const r = padrFor(ac, HOST, 1000);
  const cookie = findTag(r.tags, PppoeTagType.AC_COOKIE)!.data;
  const forged = new Uint8Array(cookie);
  forged[10]! ^= 1;
  ac.handle(HOST, { ...r, tags: r.tags.map((t) => (t.type === PppoeTagType.AC_COOKIE ? tag(t.type, forged) : t)) }, 1000);
  ac.handle(clientMac(2), r, 1000); // someone else's cookie
  ac.handle(HOST, { ...r, tags: r.tags.filter((t) => t.type !== PppoeTagType.AC_COOKIE) }, 1000);
  ac.handle(HOST, r, 1000 + 2 * 60_000 + 1); // two buckets later
  assert.deepEqual(drain(ac), []);
  assert.equal(ac.counters['drop.padr-bad-cookie'], 4);
  assert.equal(ac.sessionCount, 0);
  ac.handle(HOST, r, 60_500); // the next bucket is still fine
  const [s] = drain(ac);
  assert.equal(s!.packet.code, PppoeCode.PADS);
  assert.equal(s!.packet.sessionId, 1);
  assert.equal(hex(findTag(s!.packet.tags, PppoeTagType.HOST_UNIQ)!.data), hex(HOST.subarray(2)));
  const ev = ac.pollEvent();
  assert.ok(ev?.type === 'session-up' && ev.session.id === 1 && ev.session.macKey === macKey(HOST));
});

test('a repeated PADR gets the same PADS, not a second session; once the session carried frames, a PADR makes a new one', () => {
  const ac = acWith();
  const r = padrFor(ac, HOST, 0);
  ac.handle(HOST, r, 0);
  ac.handle(HOST, r, 10);
  const pads = drain(ac);
  assert.deepEqual(pads.map((p) => p.packet.sessionId), [1, 1]);
  assert.equal(ac.sessionCount, 1);
  assert.equal(ac.counters['padr.repeated'], 1);
  assert.ok(ac.sessionFor(HOST, 1));
  ac.handle(HOST, r, 20);
  assert.equal(drain(ac)[0]!.packet.sessionId, 2);
  assert.equal(ac.sessionCount, 2);
});

test('limits per MAC and in total are answered with PADS(0) + AC-System-Error; an unknown service with Service-Name-Error', () => {
  const ac = acWith({ maxSessionsPerMac: 2, maxSessions: 3 });
  const pads: { dst: Uint8Array; packet: PppoeDiscovery }[] = [];
  let n = 0;
  for (const mac of [HOST, HOST, HOST, clientMac(2), clientMac(3)]) {
    const r = padrFor(ac, mac, 0);
    // A distinct Host-Uniq per attempt so that none is taken for a repeat.
    ac.handle(mac, { ...r, tags: r.tags.map((t) => (t.type === PppoeTagType.HOST_UNIQ ? tag(t.type, new Uint8Array([n++])) : t)) }, 0);
    pads.push(...drain(ac));
  }
  const summary = pads.map((p) => [p.packet.sessionId, tagText(findTag(p.packet.tags, PppoeTagType.AC_SYSTEM_ERROR))]);
  assert.deepEqual(summary, [[1, undefined], [2, undefined], [0, 'too many sessions for this MAC'], [3, undefined], [0, 'no free session']]);
  assert.equal(ac.counters['pads.limit-per-mac'], 1);
  assert.equal(ac.counters['pads.limit-total'], 1);
  const ac2 = acWith();
  const r = padrFor(ac2, HOST, 0);
  ac2.handle(HOST, { ...r, tags: r.tags.map((t) => (t.type === PppoeTagType.SERVICE_NAME ? tag(t.type, 'other') : t)) }, 0);
  const [e] = drain(ac2);
  assert.equal(e!.packet.sessionId, 0);
  assert.equal(tagText(findTag(e!.packet.tags, PppoeTagType.SERVICE_NAME_ERROR)), 'service not offered');
});

test('session ids are 1..0xFFFE and never two live at once, through a full id space and reuse', () => {
  const ac = acWith({ maxSessionsPerMac: 1 });
  const live = new Set<number>();
  for (let i = 0; i < 0xfffe; i++) {
    ac.handle(clientMac(i), padrFor(ac, clientMac(i), 0), 0);
    const [p] = drain(ac);
    const id = p!.packet.sessionId;
    assert.ok(id >= 1 && id <= 0xfffe && !live.has(id));
    live.add(id);
  }
  assert.equal(ac.sessionCount, 0xfffe);
  const extra = clientMac(0x10000);
  ac.handle(extra, padrFor(ac, extra, 0), 0);
  assert.equal(drain(ac)[0]!.packet.sessionId, 0, 'full: refused with an error tag');
  // Free three; the next sessions get exactly those ids, and no live one.
  for (const id of [5, 777, 0xfffe]) ac.terminate(ac.session(id)!);
  assert.equal(drain(ac).filter((p) => p.packet.code === PppoeCode.PADT).length, 3);
  const got: number[] = [];
  for (let i = 0; i < 3; i++) {
    const m = clientMac(0x20000 + i);
    ac.handle(m, padrFor(ac, m, 0), 0);
    got.push(drain(ac)[0]!.packet.sessionId);
  }
  assert.deepEqual(got.sort((a, b) => a - b), [5, 777, 0xfffe]);
});

test('PADT both ways; frames for unknown sessions, PADT from the wrong MAC and garbage are counted and harm no session', () => {
  const ac = acWith();
  ac.handle(HOST, padrFor(ac, HOST, 0), 0);
  drain(ac);
  ac.pollEvent();
  ac.handle(clientMac(9), { code: PppoeCode.PADT, sessionId: 1, tags: [] }, 0);
  assert.equal(ac.counters['drop.padt-unknown-session'], 1);
  assert.equal(ac.sessionFor(clientMac(9), 1), undefined);
  assert.equal(ac.sessionFor(HOST, 99), undefined);
  assert.equal(ac.counters['session.unknown-session'], 2);
  for (const g of ['', '11', '1109000000ff0101', '2109000000000000', '110900000004010100', '110900000004' + '01010008']) ac.handleFrame(HOST, fromHex(g), 0);
  assert.deepEqual(Object.keys(ac.counters).filter((k) => k.startsWith('drop.pppoe.')).sort(), [
    'drop.pppoe.bad-version-type', 'drop.pppoe.length-exceeds-frame', 'drop.pppoe.tag-exceeds-payload', 'drop.pppoe.truncated-header',
  ]);
  assert.ok(ac.session(1), 'the session is untouched');
  ac.handle(HOST, { code: PppoeCode.PADT, sessionId: 1, tags: [] }, 0);
  const ev = ac.pollEvent();
  assert.ok(ev?.type === 'session-down' && ev.session.id === 1);
  assert.equal(ac.sessionCount, 0);
  ac.handle(HOST, padrFor(ac, HOST, 0), 0);
  drain(ac);
  ac.terminate(ac.session(2)!, 'admin');
  const [t] = drain(ac);
  assert.equal(t!.packet.code, PppoeCode.PADT);
  assert.equal(tagText(findTag(t!.packet.tags, PppoeTagType.GENERIC_ERROR)), 'admin');
});

test('client: PADI retransmitted with doubling timeouts, then gives up; PADR retransmitted, then discovery restarts', () => {
  const c = new PppoeClient(pppoeClientConfig({ padiTries: 6 }));
  c.start(0);
  const sent: [number, number][] = [];
  let now = 0;
  for (let i = 0; i < 10; i++) {
    for (let t = c.pollTransmit(); t; t = c.pollTransmit()) sent.push([now, t.packet.code]);
    const n = c.nextTimeout();
    if (n === undefined) break;
    now = n;
    c.handleTimeout(now);
  }
  assert.deepEqual(sent.map((s) => s[0]), [0, 1000, 3000, 7000, 15000, 31000]);
  assert.ok(sent.every((s) => s[1] === PppoeCode.PADI));
  assert.equal(c.state, 'failed');
  assert.deepEqual(c.pollEvent(), { type: 'failed', reason: 'no-pado' });

  const ac = acWith();
  const d = new PppoeClient(pppoeClientConfig({ padrTries: 2 }));
  d.start(0);
  const p1 = d.pollTransmit()!;
  assert.equal(hex(p1.dst), hex(BROADCAST));
  ac.handle(HOST, p1.packet, 0);
  d.handle(AC_MAC, drain(ac)[0]!.packet, 1);
  assert.equal(d.state, 'padr-sent');
  assert.equal(d.pollTransmit()!.packet.code, PppoeCode.PADR);
  d.handleTimeout(1001);
  assert.equal(d.pollTransmit()!.packet.code, PppoeCode.PADR);
  d.handleTimeout(3001);
  assert.equal(d.state, 'padi-sent');
  assert.equal(d.pollTransmit()!.packet.code, PppoeCode.PADI);
});

test('client: chooses the PADO by Host-Uniq, AC-Name and Service-Name; PADS error tags fail it; PADT from its AC ends the session', () => {
  const want = new PppoeClient(pppoeClientConfig({ acName: 'sse-2', serviceName: 'flets' }));
  want.start(0);
  const myPadi = want.pollTransmit()!.packet;
  const hu = findTag(myPadi.tags, PppoeTagType.HOST_UNIQ)!;
  const pado = (name: string, service: string, h: PppoeTag | undefined): PppoeDiscovery => ({
    code: PppoeCode.PADO, sessionId: 0,
    tags: [tag(PppoeTagType.AC_NAME, name), tag(PppoeTagType.SERVICE_NAME, service), tag(PppoeTagType.AC_COOKIE, fromHex('c0ffee')), ...(h ? [h] : [])],
  });
  want.handle(macFromString('02:aa:00:00:00:01'), pado('sse-1', 'flets', hu), 10);
  want.handle(macFromString('02:aa:00:00:00:02'), pado('sse-2', 'other', hu), 11);
  want.handle(macFromString('02:aa:00:00:00:03'), pado('sse-2', 'flets', tag(PppoeTagType.HOST_UNIQ, fromHex('00'))), 12);
  assert.equal(want.state, 'padi-sent');
  assert.equal(want.counters['drop.pado-ac-name-mismatch'], 1);
  assert.equal(want.counters['drop.pado-service-mismatch'], 1);
  assert.equal(want.counters['drop.pado-host-uniq'], 1);
  const acMac = macFromString('02:aa:00:00:00:04');
  want.handle(acMac, pado('sse-2', 'flets', hu), 13);
  const padr = want.pollTransmit()!;
  assert.equal(hex(padr.dst), hex(acMac));
  assert.deepEqual(padr.packet.tags.map((t) => t.type), [0x0101, 0x0103, 0x0104], 'rp-pppoe order: Service-Name, Host-Uniq, AC-Cookie');
  want.handle(macFromString('02:aa:00:00:00:05'), { code: PppoeCode.PADS, sessionId: 3, tags: [hu] }, 14);
  assert.equal(want.counters['drop.pads-unexpected'], 1);
  want.handle(acMac, { code: PppoeCode.PADS, sessionId: 3, tags: [hu] }, 15);
  assert.deepEqual(want.pollEvent(), { type: 'session-up', sessionId: 3, ac: acMac, maxPayload: undefined });
  want.handle(acMac, { code: PppoeCode.PADT, sessionId: 4, tags: [] }, 16);
  assert.equal(want.state, 'session');
  want.handle(acMac, { code: PppoeCode.PADT, sessionId: 3, tags: [] }, 17);
  assert.deepEqual(want.pollEvent(), { type: 'session-down', reason: 'padt' });

  const refused = new PppoeClient(pppoeClientConfig());
  refused.start(0);
  const h2 = findTag(refused.pollTransmit()!.packet.tags, PppoeTagType.HOST_UNIQ)!;
  refused.handle(acMac, pado('x', '', h2), 1);
  refused.pollTransmit();
  refused.handle(acMac, { code: PppoeCode.PADS, sessionId: 0, tags: [h2, tag(PppoeTagType.AC_SYSTEM_ERROR, 'no free session')] }, 2);
  assert.deepEqual(refused.pollEvent(), { type: 'failed', reason: 'ac-system-error', message: 'no free session' });
});

test('sessions not yet established are capped (maxPending): PADS(0) + AC-System-Error beyond it; established ones free their place', () => {
  const ac = acWith({ maxPending: 2, maxSessionsPerMac: 1 });
  const ids: number[] = [];
  for (let i = 10; i < 13; i++) {
    ac.handle(clientMac(i), padrFor(ac, clientMac(i), 0), 0);
    ids.push(drain(ac)[0]!.packet.sessionId);
  }
  assert.equal(ids[2], 0, 'the third is refused while two are being set up');
  assert.equal(ac.counters['pads.limit-pending'], 1);
  assert.equal(ac.pendingSessions, 2);
  // The owner says the first carries traffic now: it stops counting, and one more may be set up.
  ac.established(ac.session(ids[0]!)!);
  ac.established(ac.session(ids[0]!)!); // twice is harmless
  assert.equal(ac.pendingSessions, 1);
  ac.handle(clientMac(13), padrFor(ac, clientMac(13), 0), 0);
  assert.ok(drain(ac)[0]!.packet.sessionId > 0);
  // A pending session that ends (PADT, terminate) frees its place too.
  ac.terminate(ac.session(ids[1]!)!);
  assert.equal(ac.pendingSessions, 1);
  assert.equal(ac.sessionCount, 2);
});
