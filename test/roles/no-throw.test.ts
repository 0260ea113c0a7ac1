/**
 * Peer values that no attribute or AVP can hold — each of these used to throw out of a box
 * (and out of the whole in-process network's clock): now each is a counted refusal in the
 * peer's own protocol, and the network keeps running.
 * - a CHAP name longer than a RADIUS User-Name (253 octets, RFC 2865 §5.1) at the sse;
 * - a Configure-Request longer than an L2TP AVP (1023 octets, RFC 2661 §4.1), recorded for
 *   the proxy LCP AVPs;
 * - at the nte, from an LAC: a proxied CHAP name over 253 octets, a Calling Number over 253.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { Network, type NetEvent } from '../../src/sim/network.js';
import { topologySchema } from '../../src/config/topology.js';
import { VirtualClock } from '../../src/sim/clock.js';
import { Host } from '../../src/roles/host.js';
import { L2tpNode, encodeTransmit, type L2tpEvent, type OpenSessionRequest } from '../../src/proto/l2tp.js';
import type { UdpEndpoint } from '../../src/roles/sse.js';
import { ipv4FromString, macToString, textBytes, u16 } from '../../src/wire/bytes.js';

const SERVER = 0xcb00710a;

function net(lookup: 'static' | 'radius', extraHomes: { name: string; user: string }[] = []) {
  const raw = parse(readFileSync('topologies/default.yaml', 'utf8'));
  raw.sse.lnsLookup = lookup;
  // The refused homes do not dial again, so each refusal is counted once (redial: test/e2e/redial.test.ts).
  for (const h of extraHomes) raw.homes.push({ name: h.name, user: h.user, password: 'pw', redial: false });
  const clock = new VirtualClock(Date.UTC(2026, 0, 1));
  const n = new Network(topologySchema.parse(raw), { clock });
  const events: NetEvent[] = [];
  n.onEvent((e) => events.push(e));
  return { n, clock, events };
}

function allPing(n: Network, clock: VirtualClock, events: NetEvent[], names: string[], seq: number): void {
  const before = events.length;
  for (const h of n.homes.filter((x) => names.includes(x.cfg.name))) n.act(h.cfg.name, (now) => h.ping(SERVER, seq, now));
  clock.runUntil(clock.now() + 2000);
  const got = new Set(events.slice(before).flatMap((e) => (e.kind === 'home' && e.event.type === 'ip' && e.event.event.kind === 'echo-reply' ? [e.box] : [])));
  assert.deepEqual([...got].sort(), [...names].sort(), 'the other homes answer pings');
}

for (const lookup of ['static', 'radius'] as const) {
  test(`sse (${lookup} lookup): a CHAP name longer than a RADIUS User-Name gets CHAP Failure, counted`, () => {
    const long = `${'n'.repeat(300)}@isp-a.example`;
    const { n, clock, events } = net(lookup, [{ name: 'longname', user: long }]);
    for (const h of n.homes) n.act(h.cfg.name, (now) => h.start(now));
    clock.runUntil(clock.now() + 20_000);
    assert.deepEqual(n.homes.map((h) => h.isOnline), [true, true, true, false]);
    assert.equal(n.sse.counters['route.refused.user-name-too-long'], 1);
    assert.ok(events.some((e) => e.box === 'longname' && e.kind === 'home' && e.event.type === 'auth-failed'), 'CHAP Failure to that home');
    allPing(n, clock, events, ['home1', 'home2', 'home3'], 1);
  });
}

test('sse: a Configure-Request too long for a proxy LCP AVP is not proxied (the LNS negotiates LCP itself), counted', () => {
  const { n, clock, events } = net('static');
  for (const h of n.homes) n.act(h.cfg.name, (now) => h.start(now));
  clock.runUntil(clock.now() + 10_000);
  const sse = n.sse;
  const mac = Uint8Array.of(0x02, 0xee, 0, 0, 0, 9);
  const eth = (type: number, body: number[] | Uint8Array) => Uint8Array.of(...sse.cfg.accessMac, ...mac, type >>> 8, type & 0xff, ...body);
  const session = (id: number, ppp: number[]) => eth(0x8864, [0x11, 0, id >>> 8, id & 0xff, ppp.length >>> 8, ppp.length & 0xff, ...ppp]);
  const seen: Uint8Array[] = [];
  n.segments.get('access')!.observe((f, from) => {
    if (from === 'sse' && macToString(f, 0) === macToString(mac)) seen.push(new Uint8Array(f));
  });
  const send = (f: Uint8Array) => {
    n.act('sse', (now) => sse.handleFrame('access', f, now));
    clock.runUntil(clock.now() + 5);
  };
  const last = (pred: (f: Uint8Array) => boolean) => [...seen].reverse().find(pred);
  // Discovery: PADI, then the PADO's tags back in a PADR (RFC 2516 §5.1-5.3).
  send(Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, ...mac, 0x88, 0x63, 0x11, 0x09, 0, 0, 0, 4, 0x01, 0x01, 0, 0));
  const pado = last((f) => u16(f, 12) === 0x8863 && f[15] === 0x07)!;
  send(eth(0x8863, [0x11, 0x19, ...pado.subarray(16)]));
  const id = u16(last((f) => u16(f, 12) === 0x8863 && f[15] === 0x65)!, 16);
  assert.ok(id > 0);
  // LCP (RFC 1661 §5.1): a Configure-Request with 1,200 octets of an unknown option (type 99), rejected...
  const big = [99, 200, ...new Array(198).fill(0xab)];
  const opts = [...big, ...big, ...big, ...big, ...big, ...big];
  send(session(id, [0xc0, 0x21, 1, 1, (opts.length + 4) >>> 8, (opts.length + 4) & 0xff, ...opts]));
  assert.ok(last((f) => u16(f, 20) === 0xc021 && f[22] === 4), 'Configure-Reject');
  // ...then a plain one, which is acked, and an Ack for the sse's own Configure-Request.
  send(session(id, [0xc0, 0x21, 1, 2, 0, 10, 5, 6, 1, 2, 3, 4]));
  const req = last((f) => u16(f, 20) === 0xc021 && f[22] === 1)!;
  send(session(id, [0xc0, 0x21, 2, ...req.subarray(23, 20 + u16(req, 18))]));
  // CHAP (RFC 1994 §4.1): the Challenge, answered (the sse does not check the value).
  const chal = last((f) => u16(f, 20) === 0xc223 && f[22] === 1);
  assert.ok(chal, 'CHAP Challenge once LCP is open');
  const name = [...textBytes('mallory@isp-a.example')];
  send(session(id, [0xc2, 0x23, 2, chal[23]!, 0, 4 + 1 + 16 + name.length, 16, ...new Array(16).fill(7), ...name]));
  clock.runUntil(clock.now() + 2000);
  assert.equal(sse.counters['proxy.lcp-too-long'], 1);
  const nte = n.isps[0]!.nte.counters;
  assert.equal(nte['proxy.accepted'], 2, 'alice and bob were proxied');
  assert.equal(nte['proxy.renegotiated'], 1, "mallory's call reached the LNS without proxy LCP, so it negotiates LCP itself");
  allPing(n, clock, events, ['home1', 'home2', 'home3'], 2);
});

/** An LAC of our own on the carrier link (it knows nte-a's tunnel secret): peer values the sse would never send. */
function evilLac(n: Network, clock: VirtualClock) {
  const now = clock.now();
  const host = new Host({ name: 'evil-lac', mac: Uint8Array.of(0x02, 0xee, 0, 0, 1, 1), address: ipv4FromString('192.0.2.250'), prefixLength: 24 }, now);
  host.listenUdp(1701);
  const lac = new L2tpNode<UdpEndpoint>({ role: 'lac', hostName: n.topology.sse.hostName, vendorName: 'evil', endpointKey: (e) => `${e.address}:${e.port}` });
  const events: L2tpEvent<UdpEndpoint>[] = [];
  let timer: number | undefined;
  const pump = (): void => {
    const t = clock.now();
    for (let busy = true; busy; ) {
      busy = false;
      for (let x = lac.pollTransmit(); x; x = lac.pollTransmit(), busy = true) host.sendUdp(x.to.address, 1701, x.to.port, encodeTransmit(x), t);
      for (let e = host.pollEvent(); e; e = host.pollEvent(), busy = true) if (e.kind === 'udp') lac.handle({ address: e.from, port: e.srcPort }, e.payload, t);
      for (let x = host.pollTransmit(); x; x = host.pollTransmit(), busy = true) port.send(x.frame);
      for (let e = lac.pollEvent(); e; e = lac.pollEvent(), busy = true) events.push(e);
    }
    const next = [lac.nextTimeout(), host.nextTimeout()].filter((x): x is number => x !== undefined).sort((a, b) => a - b)[0];
    if (timer !== undefined) clock.cancel(timer as never);
    timer = next === undefined ? undefined : (clock.setTimer(next, () => {
      timer = undefined;
      lac.handleTimeout(clock.now());
      host.handleTimeout(clock.now());
      pump();
    }) as unknown as number);
  };
  const port = n.segments.get('carrier')!.attach('evil-lac', (f) => {
    host.handle(0, f, clock.now());
    pump();
  });
  return {
    events,
    open(req: OpenSessionRequest<UdpEndpoint>): number {
      const k = lac.openSession(req, clock.now());
      pump();
      return k;
    },
  };
}

test('nte: an LAC that proxies a CHAP name over 253 octets gets CHAP Failure in-band; a Calling Number over 253 is left out of RADIUS; counted', () => {
  const { n, clock, events } = net('static');
  // A real hand-off first, to borrow its proxy LCP values (what the LNS accepts).
  let proxyLcp: unknown;
  const orig = L2tpNode.prototype.openSession;
  L2tpNode.prototype.openSession = function (req, now) {
    proxyLcp ??= req.call?.proxyLcp;
    return orig.call(this, req, now);
  };
  for (const h of n.homes) n.act(h.cfg.name, (now) => h.start(now));
  clock.runUntil(clock.now() + 10_000);
  L2tpNode.prototype.openSession = orig;
  assert.ok(proxyLcp && n.homes.every((h) => h.isOnline));
  const nte = n.isps[0]!.nte;
  const lac = evilLac(n, clock);
  const call = (name: string, calling: string) => ({
    callingNumber: calling, calledNumber: 'evil', framingType: 1, bearerType: 1, txConnectSpeed: 1e9, rxConnectSpeed: 1e9,
    proxyLcp: proxyLcp as never, proxyAuth: { type: 2, name, challenge: new Uint8Array(16).fill(1), id: 1, response: new Uint8Array(16).fill(2) },
  });
  const lns = { address: ipv4FromString(n.topology.isps[0]!.lns.address), port: 1701 };
  const secret = textBytes(n.topology.isps[0]!.lns.tunnelSecret);
  const longName = lac.open({ lns, secret, call: call(`${'n'.repeat(300)}@isp-a.example`, '02:ee:00:00:01:01') });
  // (A made-up CHAP response: RADIUS rejects it; what matters is that the request could be sent.)
  const longCalling = lac.open({ lns, secret, call: call('alice@isp-a.example', 'c'.repeat(400)) });
  clock.runUntil(clock.now() + 5000);
  assert.equal(nte.counters['radius.refused.user-name-too-long'], 1);
  assert.ok(events.some((e) => e.kind === 'nte' && e.event.type === 'auth-rejected' && e.event.reason === 'user-name-too-long'));
  // CHAP Failure (0xC223 code 4) came back as L2TP data on the first call.
  const chapFailure = (p: Uint8Array) => (p[0] === 0xff ? u16(p, 2) : u16(p, 0)) === 0xc223 && (p[0] === 0xff ? p[4] : p[2]) === 4;
  const failed = lac.events.flatMap((e) => (e.type === 'data' && chapFailure(e.payload) ? [e.session] : []));
  assert.ok(failed.includes(longName), 'CHAP Failure to the long name, without asking RADIUS');
  assert.equal(nte.counters['radius.access-reject'], 1, 'the other call was sent to RADIUS (and rejected for its made-up response)');
  assert.ok(failed.includes(longCalling));
  assert.ok((nte.counters['radius.station-id-omitted'] ?? 0) >= 1, 'the long Calling-Station-Id was left out');
  allPing(n, clock, events, ['home1', 'home2', 'home3'], 3);
});
