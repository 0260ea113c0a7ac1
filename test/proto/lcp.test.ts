/** LCP between two of our links on the virtual clock, through the real codecs. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VirtualClock } from '../../src/sim/clock.js';
import { PppLink, pppLinkConfig, type PppLinkConfig } from '../../src/proto/ppp-link.js';
import { authenticatorConfig, peerConfig } from '../../src/proto/ppp-auth.js';
import { QueueSink, DEFAULT_FSM } from '../../src/proto/ppp-fsm.js';
import { Lcp, lcpConfig, type LcpConfig } from '../../src/proto/lcp.js';
import { PppProtocol, type LcpPacket } from '../../src/wire/ppp.js';
import { fromHex, hex, textBytes } from '../../src/wire/bytes.js';
import { encodePppMessage } from '../../src/proto/ppp-common.js';
import { Pair } from '../helpers/ppp-pair.js';

/** A random source that starts with `first` and then counts, so tests are reproducible. */
function seq(first: number[], start = 1): (n: number) => Uint8Array {
  const q = [...first];
  let c = start;
  return (n) => Uint8Array.from({ length: n }, () => (q.length ? q.shift()! : (c = (c * 73 + 41) & 0xff)));
}

function lcpOnly(c: Partial<LcpConfig>): PppLinkConfig {
  return pppLinkConfig({ lcp: { echoIntervalMs: 0, ...c } });
}

function lcpSent(p: Pair, side: 'a' | 'b'): LcpPacket[] {
  return p.trace.filter((t) => t.from === side && t.m.protocol === PppProtocol.LCP).map((t) => t.m.packet as LcpPacket);
}

test('LCP converges through option conflicts: MRU above the PPPoE limit, an auth protocol the peer will not do, equal magic numbers', () => {
  const clock = new VirtualClock();
  const same = [0x11, 0x11, 0x11, 0x11];
  const a = new PppLink(pppLinkConfig({
    lcp: { authenticate: ['chap-md5', 'pap'], echoIntervalMs: 0, random: seq(same, 3) },
    authenticator: authenticatorConfig({ name: 'ac', secretFor: (n) => (new TextDecoder().decode(n) === 'home' ? textBytes('pw') : undefined), random: seq([], 9) }),
  }));
  const b = new PppLink(pppLinkConfig({
    lcp: { mru: 1600, maxPeerMru: 1600, authenticateWith: ['pap'], echoIntervalMs: 0, random: seq(same, 5) },
    credentials: peerConfig({ name: 'home', secret: 'pw' }),
  }));
  const p = new Pair(clock, a, b);
  p.start();
  clock.runUntil(20_000);
  assert.equal(a.lcp.stateName, 'Opened');
  assert.equal(b.lcp.stateName, 'Opened');
  const na = a.lcp.negotiated();
  const nb = b.lcp.negotiated();
  assert.equal(nb.mru, 1492, 'B took the Nak: 1492 is the PPPoE maximum (RFC 2516 §7)');
  assert.equal(na.peerMru, 1492);
  assert.equal(na.authenticate, 'pap', 'A moved from CHAP to PAP after the Nak');
  assert.equal(nb.authenticateWith, 'pap');
  assert.notEqual(na.magic, nb.magic);
  assert.equal(na.peerMagic, nb.magic);
  assert.ok(a.lcp.loops >= 1 && b.lcp.loops >= 1, 'the magic collision was seen on both sides');
  const naks = lcpSent(p, 'a').filter((x) => x.kind === 'conf-nak');
  assert.ok(naks.some((n) => n.kind === 'conf-nak' && n.options.some((o) => o.kind === 'mru' && o.mru === 1492)));
  assert.ok(lcpSent(p, 'b').some((n) => n.kind === 'conf-nak' && n.options.some((o) => o.kind === 'auth' && o.protocol === PppProtocol.PAP)));
  assert.deepEqual(p.eventTypes('a'), ['lcp-up', 'authenticated']);
  assert.deepEqual(p.eventTypes('b'), ['lcp-up', 'authenticated']);
  assert.ok(clock.now() >= 0 && p.events.at(-1)!.at < 100, 'no timer was needed: converged in round trips');
});

test('a lost Configure-Request is recovered by the Restart timer (same identifier, 3 s later)', () => {
  const clock = new VirtualClock();
  const a = new PppLink(lcpOnly({}));
  const b = new PppLink(lcpOnly({}));
  const p = new Pair(clock, a, b);
  let lost = false;
  p.drop = (m, from) => {
    if (!lost && from === 'a' && m.protocol === PppProtocol.LCP && m.packet.kind === 'conf-req') return (lost = true);
    return false;
  };
  p.start();
  clock.runUntil(10_000);
  assert.equal(a.lcp.stateName, 'Opened');
  assert.equal(b.lcp.stateName, 'Opened');
  const reqs = p.trace.filter((t) => t.from === 'a' && t.m.packet.kind === 'conf-req');
  assert.deepEqual(reqs.map((t) => [t.at, t.m.packet.identifier, t.dropped]), [[0, 1, true], [3000, 1, false]]);
  assert.equal(p.events.find((e) => e.side === 'a' && e.e.type === 'lcp-up')!.at, 3002);
});

test('Max-Configure: ten Configure-Requests 3 s apart, then TO- takes the layer to Stopped (tlf)', () => {
  const clock = new VirtualClock();
  const a = new PppLink(lcpOnly({}));
  const b = new PppLink(lcpOnly({}));
  const p = new Pair(clock, a, b);
  p.cut = true;
  p.start();
  clock.runUntil(60_000);
  const reqs = p.trace.filter((t) => t.from === 'a' && t.m.packet.kind === 'conf-req');
  assert.deepEqual(reqs.map((t) => t.at), [0, 3000, 6000, 9000, 12000, 15000, 18000, 21000, 24000, 27000]);
  assert.equal(a.lcp.stateName, 'Stopped');
  const fin = p.events.find((e) => e.side === 'a' && e.e.type === 'finished')!;
  assert.equal(fin.at, 30_000);
  assert.deepEqual(fin.e, { type: 'finished', reason: 'max-configure' });
  assert.equal(a.phase, 'dead');
});

test('Max-Failure: after five Naks the peer\'s insisted option is rejected instead', () => {
  const sink = new QueueSink();
  const lcp = new Lcp(lcpConfig({ echoIntervalMs: 0, authenticateWith: [] }), sink);
  lcp.open(0);
  lcp.up(0);
  sink.tx.length = 0;
  for (let i = 0; i < 8; i++) lcp.input({ kind: 'conf-req', identifier: 10 + i, options: [{ kind: 'mru', mru: 9000 }, { kind: 'magic', magic: 0x1234 }] }, i);
  const replies = sink.tx.map((m) => m.packet as LcpPacket);
  assert.deepEqual(replies.map((r) => r.kind), ['conf-nak', 'conf-nak', 'conf-nak', 'conf-nak', 'conf-nak', 'conf-rej', 'conf-rej', 'conf-rej']);
  const rej = replies[5]!;
  assert.ok(rej.kind === 'conf-rej');
  assert.deepEqual(rej.options, [{ kind: 'mru', mru: 9000 }], 'only the option we kept Nak-ing is rejected');
  assert.equal(lcp.counters['lcp.max-failure-nak-to-reject'], 3);
  // Once the peer gives in, the Ack resets the failure count.
  lcp.input({ kind: 'conf-req', identifier: 30, options: [{ kind: 'magic', magic: 0x1234 }] }, 9);
  assert.equal(sink.tx.at(-1)!.packet.kind, 'conf-ack');
  assert.equal(lcp.failureCount, 0);
  assert.equal(DEFAULT_FSM.maxFailure, 5);
});

test('echo keepalive: replies keep the link; three unanswered Echo-Requests take it down (Terminate, then tlf)', () => {
  const clock = new VirtualClock();
  const a = new PppLink(pppLinkConfig({ lcp: { echoIntervalMs: 10_000, echoFailure: 3 } }));
  const b = new PppLink(pppLinkConfig({ lcp: { echoIntervalMs: 0 } }));
  const p = new Pair(clock, a, b);
  p.start();
  clock.runUntil(35_000);
  assert.equal(a.lcp.stateName, 'Opened');
  assert.deepEqual(lcpSent(p, 'a').filter((x) => x.kind === 'echo-req').length, 3);
  assert.equal(lcpSent(p, 'b').filter((x) => x.kind === 'echo-reply').length, 3);
  assert.equal(a.lcp.echoPending, 0);
  p.cut = true;
  const cutAt = clock.now();
  clock.runUntil(200_000);
  const sentAfter = p.trace.filter((t) => t.from === 'a' && t.at > cutAt).map((t) => `${t.at} ${t.m.packet.kind}`);
  assert.deepEqual(sentAfter, ['40002 echo-req', '50002 echo-req', '60002 echo-req', '70002 term-req', '73002 term-req']);
  const fin = p.events.find((e) => e.side === 'a' && e.e.type === 'finished')!;
  assert.deepEqual([fin.at, fin.e], [76_002, { type: 'finished', reason: 'echo-timeout' }]);
  assert.equal(a.counters['lcp.echo-failure'], 1);
  const term = lcpSent(p, 'a').find((x) => x.kind === 'term-req')!;
  assert.ok(term.kind === 'term-req' && new TextDecoder().decode(term.data) === 'echo-timeout');
});

test('Terminate both ways: the closing side ends in Closed at the Ack, the other in Stopped after one restart period', () => {
  for (const closer of ['a', 'b'] as const) {
    const clock = new VirtualClock();
    const p = new Pair(clock, new PppLink(lcpOnly({})), new PppLink(lcpOnly({})));
    p.start();
    clock.runUntil(100);
    const other = closer === 'a' ? 'b' : 'a';
    p.link(closer).close(clock.now(), 'User request');
    p.pump(closer);
    clock.runUntil(10_000);
    assert.equal(p.link(closer).lcp.stateName, 'Closed');
    assert.equal(p.link(other).lcp.stateName, 'Stopped');
    const ends = p.events.filter((e) => e.e.type === 'finished').map((e) => [e.side, e.at, e.e.type === 'finished' && e.e.reason]);
    assert.deepEqual(ends, [[closer, 102, 'User request'], [other, 3101, 'peer-terminated']]);
    assert.deepEqual(p.kinds().slice(-2), [`${closer}:LCP term-req`, `${other}:LCP term-ack`]);
  }
});

test('unknown protocols get Protocol-Reject (IPV6CP, CCP as pppd sends them); unknown codes get Code-Reject; nothing else changes', () => {
  const clock = new VirtualClock();
  const p = new Pair(clock, new PppLink(lcpOnly({})), new PppLink(lcpOnly({})));
  p.start();
  clock.runUntil(100);
  const ipv6cp = fromHex('8057' + '0101000e010ac85fb2665a097eb2');
  const ccp = fromHex('80fd' + '0101000f1a0478001804780015032f');
  const ident = fromHex('c021' + '0c0100084e616d65'); // RFC 1570 Identification, which we do not implement
  p.deliver('a', ipv6cp);
  p.deliver('a', ccp);
  p.deliver('a', ident);
  const out = lcpSent(p, 'a').slice(-3);
  assert.deepEqual(out.map((x) => x.kind), ['proto-rej', 'proto-rej', 'code-rej']);
  assert.ok(out[0]!.kind === 'proto-rej' && out[0]!.protocol === 0x8057 && hex(out[0]!.data) === hex(ipv6cp.subarray(2)));
  assert.ok(out[1]!.kind === 'proto-rej' && out[1]!.protocol === 0x80fd);
  assert.ok(out[2]!.kind === 'code-rej' && hex(out[2]!.rejected) === hex(ident.subarray(2)));
  clock.runUntil(200);
  assert.equal(p.a.lcp.stateName, 'Opened');
  assert.equal(p.b.lcp.stateName, 'Opened', 'the peer takes RXJ+ for an NCP and stays up');
  assert.equal(p.a.counters['ppp.protocol-reject-8057'], 1);
});

test('a looped-back link is detected by Magic-Number and closed', () => {
  const clock = new VirtualClock();
  const link = new PppLink(lcpOnly({ loopbackLimit: 3 }));
  const events: string[] = [];
  const pump = (): void => {
    for (let m = link.pollTransmit(); m; m = link.pollTransmit()) {
      const bytes = encodePppMessage(m);
      clock.setTimer(clock.now() + 1, () => {
        link.handleFrame(0xc021, bytes.subarray(2), clock.now());
        pump();
      });
    }
    for (let e = link.pollEvent(); e; e = link.pollEvent()) events.push(e.type === 'finished' ? `finished:${e.reason}` : e.type);
    const t = link.nextTimeout();
    if (t !== undefined) clock.setTimer(t, () => { link.handleTimeout(clock.now()); pump(); });
  };
  link.start(0);
  pump();
  clock.runUntil(60_000);
  assert.ok(link.lcp.loops >= 3);
  assert.ok(events.includes('finished:looped-back'), events.join(' '));
});

test('bad LCP input: options with lengths that lie are dropped and counted; a known option with a wrong length is rejected raw', () => {
  const clock = new VirtualClock();
  const p = new Pair(clock, new PppLink(lcpOnly({})), new PppLink(lcpOnly({})));
  p.a.start(0);
  p.pump('a');
  const before = p.trace.length;
  p.deliver('a', fromHex('c021' + '01050008' + '0100' + '0000'));
  p.deliver('a', fromHex('c021' + '01050008' + '0109' + '0000'));
  p.deliver('a', fromHex('c021' + '0105ffff' + '010405d4'));
  assert.equal(p.trace.length, before, 'nothing answered');
  assert.equal(p.a.counters['lcp.option-length-below-2'], 1);
  assert.equal(p.a.counters['lcp.option-exceeds-packet'], 1);
  assert.equal(p.a.counters['lcp.length-exceeds-frame'], 1);
  assert.equal(p.a.lcp.stateName, 'Req-Sent');
  p.deliver('a', fromHex('c021' + '0106000d' + '010305' + '05060000beef'));
  const rej = lcpSent(p, 'a').at(-1)!;
  assert.ok(rej.kind === 'conf-rej' && rej.identifier === 6);
  assert.equal(hex(encodePppMessage({ protocol: PppProtocol.LCP, packet: rej })), 'c021' + '04060007' + '010305');
});
