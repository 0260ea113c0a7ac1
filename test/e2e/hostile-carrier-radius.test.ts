/**
 * A carrier RADIUS that answers with hostile Tunnel-* values (RFC 2868): the sse refuses
 * that home with CHAP Failure before its PADT and counts the reason; the other homes of the
 * network come online and stay online. The answers are built here, byte by byte, in place of
 * the embedded carrier RADIUS's own (same secret, signed for the request they answer).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { Network, type NetEvent } from '../../src/sim/network.js';
import { topologySchema } from '../../src/config/topology.js';
import { VirtualClock } from '../../src/sim/clock.js';
import { RadiusServer } from '../../src/roles/radius-server.js';
import { CARRIER_RADIUS_SECRET } from '../../src/config/derive.js';
import { CARRIER_RADIUS_PORT } from '../../src/roles/sse.js';
import { radiusPacket, getAttr, A, type RadiusAttribute } from '../../src/wire/radius.js';
import { signPacket, tunnelPasswordAttr } from '../../src/wire/radius-crypto.js';
import { encode } from '../../src/wire/result.js';
import { bytesText, macToString, textBytes, u16 } from '../../src/wire/bytes.js';

// RFC 2868 values, written out here rather than taken from the code under test.
const TUNNEL_TYPE = 64, TUNNEL_MEDIUM_TYPE = 65, TUNNEL_SERVER_ENDPOINT = 67, TUNNEL_PASSWORD = 69, TUNNEL_ASSIGNMENT_ID = 82, TUNNEL_PREFERENCE = 83;
const L2TP = 3, PPTP = 1, IPV4 = 1, IPV6 = 2;
const NTE_A = '192.0.2.1';
const SECRET_A = 'l2tpsecret-a';

/** Tagged integer (RFC 2868 §3.1): tag octet, then 24 bits. */
const tInt = (type: number, tag: number, v: number): RadiusAttribute => ({ type, data: Uint8Array.of(tag, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff) });
/** Tagged string (RFC 2868 §3.3): a tag octet, then the text. */
const tStr = (type: number, tag: number, s: string): RadiusAttribute => ({ type, data: Uint8Array.of(tag, ...textBytes(s)) });
const pw = (tag: number, auth: Uint8Array) => tunnelPasswordAttr(tag, textBytes(SECRET_A), CARRIER_RADIUS_SECRET, auth, 0x8123 + tag);
/** One complete tunnel under `tag`. */
const tunnel = (tag: number, auth: Uint8Array, o: { type?: number; medium?: number; endpoint?: string; pref?: number } = {}): RadiusAttribute[] => [
  tInt(TUNNEL_TYPE, tag, o.type ?? L2TP),
  tInt(TUNNEL_MEDIUM_TYPE, tag, o.medium ?? IPV4),
  tStr(TUNNEL_SERVER_ENDPOINT, tag, o.endpoint ?? NTE_A),
  pw(tag, auth),
  tStr(TUNNEL_ASSIGNMENT_ID, tag, `t${tag}`),
  ...(o.pref === undefined ? [] : [tInt(TUNNEL_PREFERENCE, tag, o.pref)]),
];

/** User name (local part) → the Tunnel-* attributes the hostile carrier RADIUS answers with. */
const HOSTILE: Record<string, (auth: Uint8Array) => RadiusAttribute[]> = {
  // The case that used to take the whole network down: passes a \d+.\d+.\d+.\d+ pattern.
  ep300: (a) => tunnel(1, a, { endpoint: '300.1.1.1' }),
  epempty: (a) => tunnel(1, a, { endpoint: '' }),
  epname: (a) => tunnel(1, a, { endpoint: 'lns.isp-a.example' }),
  epmulticast: (a) => tunnel(1, a, { endpoint: '224.0.0.1' }),
  // Tag 0x40 on the integers and the password (invalid, RFC 2868 §3.1); on the string it is text ('@').
  badtag: (a) => [tInt(TUNNEL_TYPE, 0x40, L2TP), tInt(TUNNEL_MEDIUM_TYPE, 0x40, IPV4), tStr(TUNNEL_SERVER_ENDPOINT, 0x40, NTE_A), { type: TUNNEL_PASSWORD, data: Uint8Array.of(0x40, ...pw(1, a).data.subarray(1)) }],
  ipv6: (a) => tunnel(1, a, { medium: IPV6 }),
  pptp: (a) => tunnel(1, a, { type: PPTP }),
  // A hundred Tunnel-Preference attributes over ten tunnels: every tag gets ten, so which one counts is unknowable.
  // (Answers stay under 1472 octets: the sse's IP stack takes no fragments.)
  hundred: (a) => [...Array.from({ length: 10 }, (_, i) => tunnel(i + 1, a).slice(0, 3)).flat(), ...Array.from({ length: 100 }, (_, i) => tInt(TUNNEL_PREFERENCE, (i % 10) + 1, 1000 - i))],
  // Usable answers mixed with bad ones: the usable one is taken.
  mixed: (a) => [...tunnel(1, a, { endpoint: '300.1.1.1', pref: 0 }), ...tunnel(2, a, { type: PPTP, pref: 1 }), ...tunnel(3, a, { pref: 5 })],
  // 20 usable tunnels: only the first few by preference are considered.
  many: (a) => Array.from({ length: 20 }, (_, i) => tunnel(i + 1, a, { pref: i }).filter((x) => x.type !== TUNNEL_ASSIGNMENT_ID)).flat(),
};
const REFUSED = ['ep300', 'epempty', 'epname', 'epmulticast', 'badtag', 'ipv6', 'pptp', 'hundred'];
const GOOD = ['mixed', 'many'];

// ---- the hostile answers, in place of the embedded carrier RADIUS's own
const asked = new Map<string, { user: string; auth: Uint8Array }>();
const origHandle = RadiusServer.prototype.handle;
const origPoll = RadiusServer.prototype.pollTransmit;
RadiusServer.prototype.handle = function (d, now) {
  if (d.service === 'auth' && d.port >= CARRIER_RADIUS_PORT && d.port < CARRIER_RADIUS_PORT + 256) {
    const p = radiusPacket.parse(d.bytes);
    const name = p.ok ? getAttr(p.value, A.USER_NAME) : undefined;
    if (p.ok && name) asked.set(`${d.address}:${d.port}:${p.value.identifier}`, { user: bytesText(name.data), auth: new Uint8Array(p.value.authenticator) });
  }
  origHandle.call(this, d, now);
};
RadiusServer.prototype.pollTransmit = function () {
  const x = origPoll.call(this);
  if (!x || x.service !== 'auth' || x.bytes[0] !== 2 || x.port < CARRIER_RADIUS_PORT || x.port >= CARRIER_RADIUS_PORT + 256) return x;
  const q = asked.get(`${x.address}:${x.port}:${x.bytes[1]}`);
  const make = q && HOSTILE[q.user.slice(0, q.user.indexOf('@'))];
  if (!q || !make) return x;
  const orig = radiusPacket.parse(x.bytes);
  assert.ok(orig.ok);
  const keep = orig.value.attributes.filter((a) => ![64, 65, 66, 67, 69, 81, 82, 83, 90, 91].includes(a.type)); // every Tunnel-* attribute goes
  const packet = { ...orig.value, authenticator: new Uint8Array(16), attributes: [...keep, ...make(q.auth)] };
  const bytes = encode(radiusPacket, packet);
  signPacket(bytes, CARRIER_RADIUS_SECRET, q.auth);
  return { ...x, bytes, packet };
};
after(() => {
  RadiusServer.prototype.handle = origHandle;
  RadiusServer.prototype.pollTransmit = origPoll;
});

test('hostile Tunnel-* answers: that home gets CHAP Failure before PADT and a counted reason; every other home comes and stays online', () => {
  const raw = parse(readFileSync('topologies/default.yaml', 'utf8'));
  raw.sse.lnsLookup = 'radius';
  for (const u of [...REFUSED, ...GOOD]) {
    raw.homes.push({ name: u, user: `${u}@isp-a.example`, password: 'pw', redial: false }); // one refusal each, counted once
    raw.isps[0].users.push({ name: `${u}@isp-a.example`, password: 'pw' });
  }
  const clock = new VirtualClock(Date.UTC(2026, 0, 1));
  const n = new Network(topologySchema.parse(raw), { clock });
  const events: NetEvent[] = [];
  n.onEvent((e) => events.push(e));
  // What the sse sends each home, in order: CHAP (0xC223) Failure (4) and PADT (0xA7).
  const toHome = new Map<string, string[]>();
  n.segments.get('access')!.observe((f, from) => {
    if (from !== 'sse') return;
    const dst = n.macOwner.get(macToString(f, 0)) ?? '?';
    const list = toHome.get(dst) ?? [];
    toHome.set(dst, list);
    if (u16(f, 12) === 0x8863 && f[15] === 0xa7) list.push('PADT');
    if (u16(f, 12) === 0x8864 && u16(f, 20) === 0xc223 && f[22] === 4) list.push('CHAP-Failure');
  });
  for (const h of n.homes) n.act(h.cfg.name, (now) => h.start(now));
  clock.runUntil(clock.now() + 30_000);

  const online = Object.fromEntries(n.homes.map((h) => [h.cfg.name, h.isOnline]));
  for (const h of ['home1', 'home2', 'home3', ...GOOD]) assert.equal(online[h], true, `${h} online`);
  for (const h of REFUSED) {
    assert.equal(online[h], false, `${h} refused`);
    assert.ok(events.some((e) => e.box === h && e.kind === 'home' && e.event.type === 'auth-failed'), `${h} saw CHAP Failure`);
    const seq = toHome.get(h) ?? [];
    assert.ok(seq.indexOf('CHAP-Failure') >= 0 && seq.indexOf('CHAP-Failure') < seq.indexOf('PADT'), `${h}: CHAP Failure then PADT (${seq.join(', ')})`);
  }
  const c = n.sse.counters;
  assert.equal(c['route.radius-no-usable-tunnel'], REFUSED.length);
  // One reason per refused tunnel, by RFC 2868 field.
  assert.equal(c['route.tunnel-refused.endpoint-not-ipv4'], 3, 'ep300, epname, mixed tag 1'); // "300.1.1.1" twice, a name once
  assert.equal(c['route.tunnel-refused.no-endpoint'], 1, 'epempty');
  assert.equal(c['route.tunnel-refused.endpoint-not-unicast'], 1, 'epmulticast');
  assert.equal(c['route.tunnel-refused.bad-tag'], 1, 'badtag: the 0x40 group');
  assert.equal(c['route.tunnel-refused.no-tunnel-type'], 1, 'badtag: the untagged endpoint "@192.0.2.1" alone');
  assert.equal(c['route.tunnel-refused.medium-not-ipv4'], 1, 'ipv6');
  assert.equal(c['route.tunnel-refused.not-l2tp'], 2, 'pptp, mixed tag 2');
  assert.equal(c['route.tunnel-refused.duplicate-attribute'], 10, 'hundred: all ten tags');
  assert.equal(c['route.tunnel-over-cap'], 20 - 8, 'many: 8 of 20 considered');

  // The others keep working: every good home answers pings from the server side.
  const before = events.filter((e) => e.kind === 'home' && e.event.type === 'offline').length;
  const good = n.homes.filter((h) => h.isOnline);
  for (const h of good) n.act(h.cfg.name, (now) => h.ping(0xcb00710a, 1, now));
  clock.runUntil(clock.now() + 5000);
  const replies = new Set(events.flatMap((e) => (e.kind === 'home' && e.event.type === 'ip' && e.event.event.kind === 'echo-reply' ? [e.box] : [])));
  assert.deepEqual([...replies].sort(), good.map((h) => h.cfg.name).sort());
  assert.equal(events.filter((e) => e.kind === 'home' && e.event.type === 'offline').length, before, 'no home went offline');
});
