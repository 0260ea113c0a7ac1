/**
 * The bugs the box fuzzer (fuzz/boxes.ts) found, each pinned by a small test of its own
 * so that it stays fixed whatever the fuzzer's seed happens to reach (each fails on the
 * code before its fix; docs/fuzzing.md lists them).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RadiusServer } from '../src/roles/radius-server.js';
import { parseRadiusServerConfig } from '../src/config/radius-file.js';
import { ipv4FromString, ipv4ToString, textBytes, u32 } from '../src/wire/bytes.js';
import { A, getAttr, octetsAttr, radiusPacket, textAttr } from '../src/wire/radius.js';
import { hideUserPassword, messageAuthenticatorAttr, signPacket } from '../src/wire/radius-crypto.js';
import { encode } from '../src/wire/result.js';
import { Network } from '../src/sim/network.js';
import { VirtualClock } from '../src/sim/clock.js';
import { sites } from '../src/config/assemble.js';
import { defaultTopology } from '../fuzz/boxes.js';
import { pppoeDiscoveryFrame } from '../src/roles/framing.js';
import { PppoeCode, PppoeTagType, tag } from '../src/wire/pppoe.js';

const SECRET = 'pool-secret';

test("a pool never leases a user's fixed Framed-IP-Address inside its range (RFC 2865 §5.8: that address is the user's)", () => {
  const s = new RadiusServer(parseRadiusServerConfig(`
clients:
  - address: 127.0.0.1
    secret: ${SECRET}
users:
  - { name: alice@isp.example, password: a, framedIp: 198.51.100.10 }
  - { name: bob@isp.example, password: b, pool: p }
  - { name: carol@isp.example, password: c, pool: p }
pools:
  p: 198.51.100.9-198.51.100.11
`));
  const address = (user: string, pw: string, id: number): string | undefined => {
    const ra = Uint8Array.from({ length: 16 }, (_, i) => (i * 13 + id) & 0xff);
    const b = encode(radiusPacket, { code: 1, identifier: id, authenticator: ra, attributes: [messageAuthenticatorAttr(), textAttr(A.USER_NAME, user), octetsAttr(A.USER_PASSWORD, hideUserPassword(textBytes(pw), SECRET, ra))] });
    signPacket(b, SECRET);
    s.handle({ service: 'auth', address: '127.0.0.1', port: 4000 + id, bytes: b }, 0);
    const out = s.pollTransmit();
    while (s.pollEvent()) { /* drain */ }
    assert.ok(out, `${user}: answered`);
    const p = radiusPacket.parse(out.bytes);
    assert.ok(p.ok && p.value.code === 2, `${user}: Access-Accept`);
    const f = getAttr(p.value, A.FRAMED_IP_ADDRESS);
    return f ? ipv4ToString(u32(f.data, 0)) : undefined;
  };
  assert.equal(address('bob@isp.example', 'b', 1), '198.51.100.9');
  assert.equal(address('carol@isp.example', 'c', 2), '198.51.100.11', ".10 is alice's, so carol gets the next one");
  assert.equal(address('alice@isp.example', 'a', 3), '198.51.100.10');
});

test('PPPoE session frames with VER/TYPE other than 0x11, CODE other than 0x00, a group destination, or (home) a LENGTH past the frame are dropped by the sse and the home (RFC 2516 §4, §5.4)', () => {
  const t = defaultTopology('static');
  const clock = new VirtualClock(Date.UTC(2026, 0, 1));
  const net = new Network(t, { clock });
  const home = net.homes[0]!;
  net.act(home.cfg.name, (now) => home.start(now));
  assert.ok(clock.runUntilTrue(() => home.isOnline, clock.now() + 30_000));
  const sseMac = sites(t)[0]!.macs.access!;
  const sid = home.sessionId;
  // LCP Terminate-Request (code 5, id 0x42), which would end the link if taken.
  const lcpTermReq = [0xc0, 0x21, 0x05, 0x42, 0x00, 0x04];
  const frame = (dst: Uint8Array, src: Uint8Array, verType: number, code: number): Uint8Array => {
    const f = new Uint8Array(20 + lcpTermReq.length);
    f.set(dst, 0);
    f.set(src, 6);
    f.set([0x88, 0x64, verType, code, sid >> 8, sid & 0xff, 0, lcpTermReq.length], 12);
    f.set(lcpTermReq, 20);
    return f;
  };
  const bcast = new Uint8Array(6).fill(0xff);
  for (const [verType, code, dst] of [[0x11, 0x48, home.mac], [0x12, 0x00, home.mac], [0x21, 0x00, home.mac], [0x11, 0x00, bcast]] as const) {
    net.drivers.get(home.cfg.name)!.input('access', frame(dst, sseMac, verType, code));
    net.drivers.get(t.sse.name)!.input('access', frame(dst === bcast ? bcast : sseMac, home.mac, verType, code));
  }
  // A well-formed header whose LENGTH says more than the frame holds (RFC 2516 §4): malformed, not a shorter payload.
  const long = frame(home.mac, sseMac, 0x11, 0x00);
  long[19] = 0x40;
  net.drivers.get(home.cfg.name)!.input('access', long);
  clock.runUntil(clock.now() + 5000);
  assert.ok(home.isOnline, 'the home did not take the Terminate-Request');
  assert.equal(net.events.filter((e) => e.kind === 'sse' && e.event.type === 'session-ended').length, 0, 'the sse relayed nothing that ended the session');
  // Counted as drops (whatever each reason is called): four bad headers and the long one at the home, four at the sse.
  const drops = (c: Record<string, number>, prefix: string): number => Object.entries(c).filter(([k]) => k.startsWith(prefix)).reduce((n, [, v]) => n + v, 0);
  assert.equal(drops(home.counters as Record<string, number>, 'home.drop.pppoe.'), 5);
  const sseCounters = (net.sse.show('counters', clock.now()) as { sse: Record<string, number> }).sse;
  assert.equal(drops(sseCounters, 'access.drop.pppoe.'), 4);
  net.close();
});

test('the LNS gives an address to one session at a time: a second session RADIUS gives the same address is refused, the first keeps it', () => {
  const t = defaultTopology('static');
  const isp = t.isps[1]! as { users: { name: string; ip?: string }[] };
  for (const u of isp.users) u.ip = '100.64.0.9';
  const clock = new VirtualClock(Date.UTC(2026, 0, 1));
  const net = new Network(t, { clock });
  const [carol, dave] = [net.homes.find((h) => h.cfg.name === 'home3')!, net.homes.find((h) => h.cfg.name === 'home4')!];
  net.act('home3', (now) => carol.start(now));
  assert.ok(clock.runUntilTrue(() => carol.isOnline, clock.now() + 30_000));
  net.act('home4', (now) => dave.start(now));
  clock.runUntil(clock.now() + 20_000);
  assert.equal(dave.isOnline, false, 'the second session got no address');
  const nte = net.isps[1]!.nte;
  // Refused each time it asks (a home redials after a failure).
  assert.ok((nte.counters['radius.address-in-use'] ?? 0) >= 1, 'counted');
  let answered = 0;
  net.onEvent((e) => { if (e.box === 'home3' && e.kind === 'home' && e.event.type === 'ip' && e.event.event.kind === 'echo-reply') answered++; });
  for (let k = 1; k <= 3; k++) {
    net.act('home3', (now) => carol.ping(ipv4FromString(t.server.address), k, now));
    clock.runUntil(clock.now() + 1000);
  }
  assert.equal(answered, 3, 'the first session still owns its route');
  net.close();
});

test('a PADI whose Service-Name is not UTF-8 text gets no PADO (RFC 2516 Appendix A); a text one does, its name echoed', () => {
  const t = defaultTopology('static');
  const clock = new VirtualClock(Date.UTC(2026, 0, 1));
  const net = new Network(t, { clock });
  const pados: Uint8Array[] = [];
  net.segments.get('access')!.observe((f, from) => { if (from === t.sse.name && f[12] === 0x88 && f[13] === 0x63 && f[15] === 0x07) pados.push(new Uint8Array(f)); });
  const padi = (name: Uint8Array, hostUniq: number): Uint8Array =>
    pppoeDiscoveryFrame(new Uint8Array(6).fill(0xff), Uint8Array.of(2, 0x10, 0, 0, 0x77, hostUniq), { code: PppoeCode.PADI, sessionId: 0, tags: [tag(PppoeTagType.SERVICE_NAME, name), tag(PppoeTagType.HOST_UNIQ, Uint8Array.of(hostUniq))] });
  clock.runUntil(clock.now() + 10);
  net.drivers.get(t.sse.name)!.input('access', padi(Uint8Array.of(0, 0, 0, 2), 1));
  net.drivers.get(t.sse.name)!.input('access', padi(Uint8Array.of(0x66, 0xff, 0xfe), 2));
  net.drivers.get(t.sse.name)!.input('access', padi(textBytes('internet'), 3));
  clock.runUntil(clock.now() + 100);
  assert.equal(pados.length, 1, 'only the text Service-Name got a PADO');
  assert.ok(Buffer.from(pados[0]!).includes(Buffer.from('internet')), 'the PADO echoes it');
  net.close();
});
