/** CHAP and PAP both sides, IPCP both sides, and the LAC → LNS hand-off with proxy LCP/authentication. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VirtualClock } from '../../src/sim/clock.js';
import { PppLink, pppLinkConfig, type PppLinkConfig } from '../../src/proto/ppp-link.js';
import { authenticatorConfig, peerConfig, type SecretLookup } from '../../src/proto/ppp-auth.js';
import { ipcpConfig } from '../../src/proto/ipcp.js';
import { chapMd5Verify, chapPacket, type ChapPacket } from '../../src/wire/chap.js';
import { PppProtocol, lcpPacket, type IpcpPacket, type LcpPacket } from '../../src/wire/ppp.js';
import { encode } from '../../src/wire/result.js';
import { fromHex, hex, ipv4FromString as ip, textBytes } from '../../src/wire/bytes.js';
import { Pair } from '../helpers/ppp-pair.js';
import type { PapPacket } from '../../src/wire/pap.js';

const users: SecretLookup = (n) => (new TextDecoder().decode(n) === 'user@isp-a.example' ? textBytes('secret') : undefined);

function home(c: { secret?: string; lcp?: Parameters<typeof pppLinkConfig>[0]['lcp'] } = {}): PppLinkConfig {
  return pppLinkConfig({
    lcp: { echoIntervalMs: 0, ...c.lcp },
    credentials: peerConfig({ name: 'user@isp-a.example', secret: c.secret ?? 'secret' }),
    ipcp: ipcpConfig({ requestDns: true }),
  });
}

function nte(c: { auth?: ('chap-md5' | 'pap')[]; verify?: 'local' | 'external'; lcp?: Parameters<typeof pppLinkConfig>[0]['lcp'] } = {}): PppLinkConfig {
  return pppLinkConfig({
    lcp: { authenticate: c.auth ?? ['chap-md5'], echoIntervalMs: 0, ...c.lcp },
    authenticator: authenticatorConfig({ name: 'lab-lns', verify: c.verify ?? 'local', secretFor: users }),
    ipcp: ipcpConfig({ localAddress: ip('10.0.0.1'), peerAddress: ip('198.51.100.10'), dns: [ip('192.0.2.53'), ip('192.0.2.54')] }),
  });
}

const chapOf = (p: Pair, side: 'a' | 'b'): ChapPacket[] => p.trace.filter((t) => t.from === side && t.m.protocol === PppProtocol.CHAP).map((t) => t.m.packet as ChapPacket);
const ipcpOf = (p: Pair, side: 'a' | 'b'): IpcpPacket[] => p.trace.filter((t) => t.from === side && t.m.protocol === PppProtocol.IPCP).map((t) => t.m.packet as IpcpPacket);

test('home ⇄ nte: LCP, CHAP-MD5, IPCP with a Nak to the assigned address and DNS (RFC 1877)', () => {
  const clock = new VirtualClock();
  const p = new Pair(clock, new PppLink(nte()), new PppLink(home()));
  p.start();
  clock.runUntil(10_000);
  assert.deepEqual(p.eventTypes('a'), ['lcp-up', 'authenticated', 'ipcp-up']);
  assert.deepEqual(p.eventTypes('b'), ['lcp-up', 'authenticated', 'ipcp-up']);
  const up = p.events.find((e) => e.side === 'b' && e.e.type === 'ipcp-up')!.e;
  assert.ok(up.type === 'ipcp-up');
  assert.deepEqual(up.negotiated, { localAddress: ip('198.51.100.10'), peerAddress: ip('10.0.0.1'), primaryDns: ip('192.0.2.53'), secondaryDns: ip('192.0.2.54') });
  const auth = p.events.find((e) => e.side === 'a' && e.e.type === 'authenticated')!.e;
  assert.ok(auth.type === 'authenticated' && new TextDecoder().decode(auth.name) === 'user@isp-a.example');
  const nak = ipcpOf(p, 'a').find((x) => x.kind === 'conf-nak')!;
  assert.deepEqual(nak.kind === 'conf-nak' && nak.options, [
    { kind: 'ip-address', address: ip('198.51.100.10') }, { kind: 'primary-dns', address: ip('192.0.2.53') }, { kind: 'secondary-dns', address: ip('192.0.2.54') },
  ]);
  const [ch] = chapOf(p, 'a');
  const [rs] = chapOf(p, 'b');
  assert.ok(ch!.kind === 'challenge' && rs!.kind === 'response' && rs.identifier === ch.identifier);
  assert.ok(chapMd5Verify(rs.identifier, textBytes('secret'), ch.value, rs.value));
  assert.equal(ch.value.length, 16);
  assert.equal(p.a.phase, 'network');
});

test('CHAP under loss: lost Challenge and lost Response are retransmitted (same identifier and value); a lost Success is recovered by the repeated Response', () => {
  for (const lose of ['challenge', 'response', 'success'] as const) {
    const clock = new VirtualClock();
    const p = new Pair(clock, new PppLink(nte()), new PppLink(home()));
    let lost = false;
    p.drop = (m) => !lost && m.protocol === PppProtocol.CHAP && m.packet.kind === lose && (lost = true);
    p.start();
    clock.runUntil(20_000);
    assert.equal(p.b.ipcp!.stateName, 'Opened', `${lose} lost: the session still comes up`);
    const ch = chapOf(p, 'a').filter((x) => x.kind === 'challenge');
    assert.ok(ch.every((x) => x.kind === 'challenge' && x.identifier === ch[0]!.identifier && hex(x.value) === hex((ch[0] as { value: Uint8Array }).value)));
    if (lose !== 'success') assert.equal(ch.length, 2, `${lose}: the challenge was sent again`);
    else {
      assert.equal(p.a.counters['chap.response-repeated'], 1, 'the repeated Response got the Success again');
      assert.equal(chapOf(p, 'a').filter((x) => x.kind === 'success').length, 2);
    }
  }
});

test('CHAP once authenticated: no machine is kept either side; a re-challenge is answered, a repeated Response gets the same Success, another identifier is refused', () => {
  const clock = new VirtualClock();
  const p = new Pair(clock, new PppLink(nte()), new PppLink(home()));
  p.start();
  clock.runUntil(10_000);
  assert.equal(p.b.ipcp!.stateName, 'Opened');
  assert.equal(p.a.authenticator, undefined, 'the authenticator machine is let go after Success');
  assert.equal(p.b.peer, undefined, 'the peer machine is let go after Success');
  const [first] = chapOf(p, 'a').filter((x) => x.kind === 'success');
  const [resp] = chapOf(p, 'b').filter((x) => x.kind === 'response');
  assert.ok(first?.kind === 'success' && resp?.kind === 'response');
  // The home's Response again (its Success lost): the LNS answers it with the same Success.
  const ppp = (m: ChapPacket): Uint8Array => {
    const body = encode(chapPacket, m);
    const f = new Uint8Array(2 + body.length);
    f.set([0xc2, 0x23]);
    f.set(body, 2);
    return f;
  };
  p.deliver('a', ppp(resp));
  const successes = chapOf(p, 'a').filter((x) => x.kind === 'success');
  assert.equal(successes.length, 2);
  assert.ok(successes[1]!.kind === 'success' && successes[1]!.identifier === first.identifier && hex(successes[1]!.message) === hex(first.message));
  assert.equal(p.a.counters['chap.response-repeated'], 1);
  p.deliver('a', ppp({ ...resp, identifier: (resp.identifier + 1) & 0xff }));
  assert.equal(p.a.counters['chap.bad-identifier'], 1);
  assert.equal(chapOf(p, 'a').filter((x) => x.kind === 'success').length, 2, 'another identifier gets nothing');
  // RFC 1994 §4.1: the authenticator may challenge again at any time; the home answers with the new value.
  const value = fromHex('00112233445566778899aabbccddeeff');
  p.deliver('b', ppp({ kind: 'challenge', identifier: 77, value, name: textBytes('lab-lns') }));
  const again = chapOf(p, 'b').filter((x) => x.kind === 'response').at(-1)!;
  assert.ok(again.kind === 'response' && again.identifier === 77 && chapMd5Verify(77, textBytes('secret'), value, again.value));
  p.deliver('b', ppp({ kind: 'success', identifier: 77, message: textBytes('ok') }));
  assert.deepEqual(p.eventTypes('b'), ['lcp-up', 'authenticated', 'ipcp-up'], 'the re-challenge reports no second authentication');
  assert.equal(p.b.ipcp!.stateName, 'Opened');
});

test('CHAP: a Response with the wrong identifier is counted and harms nothing; a wrong secret ends in Failure and LCP Terminate', () => {
  const clock = new VirtualClock();
  const p = new Pair(clock, new PppLink(nte()), new PppLink(home()));
  p.start();
  clock.runUntil(3);
  const ch = chapOf(p, 'a')[0]!;
  assert.ok(ch.kind === 'challenge');
  p.deliver('a', new Uint8Array([0xc2, 0x23, 2, (ch.identifier + 1) & 0xff, 0, 6, 1, 0]));
  assert.equal(p.a.counters['chap.bad-identifier'], 1);
  clock.runUntil(10_000);
  assert.equal(p.a.ipcp!.stateName, 'Opened');

  const c2 = new VirtualClock();
  const q = new Pair(c2, new PppLink(nte()), new PppLink(home({ secret: 'wrong' })));
  q.start();
  c2.runUntil(20_000);
  assert.deepEqual(q.eventTypes('a'), ['lcp-up', 'auth-failed', 'lcp-down', 'finished']);
  assert.deepEqual(q.eventTypes('b'), ['lcp-up', 'auth-failed', 'lcp-down', 'finished']);
  assert.equal(chapOf(q, 'a').at(-1)!.kind, 'failure');
  assert.equal(q.a.counters['chap.failure-bad-response'], 1);
  const term = q.trace.find((t) => t.from === 'a' && t.m.packet.kind === 'term-req')!;
  assert.ok(term.m.packet.kind === 'term-req' && new TextDecoder().decode(term.m.packet.data) === 'auth-failed');
});

test('external decision (the nte asks RADIUS): the Response is handed out, nothing is sent until decide()', () => {
  const clock = new VirtualClock();
  const p = new Pair(clock, new PppLink(nte({ verify: 'external' })), new PppLink(home()));
  p.start();
  clock.runUntil(100);
  const req = p.events.find((e) => e.e.type === 'chap-response')!.e;
  assert.ok(req.type === 'chap-response');
  assert.equal(new TextDecoder().decode(req.name), 'user@isp-a.example');
  assert.ok(chapMd5Verify(req.identifier, textBytes('secret'), req.challenge, req.response), 'what RADIUS would check');
  clock.runUntil(9_000); // RADIUS is slow: no Challenge retransmit while deciding
  assert.equal(chapOf(p, 'a').length, 1);
  p.a.authDecision(true, clock.now());
  p.pump('a');
  clock.runUntil(20_000);
  assert.equal(p.b.ipcp!.stateName, 'Opened');
});

test('LAC → LNS: the sse challenges, hands off with proxy LCP (AVPs 26–28) and CHAP (29–33), the nte takes them without renegotiating', () => {
  const clock = new VirtualClock();
  const lac = new PppLink(pppLinkConfig({
    lcp: { authenticate: ['chap-md5'], echoIntervalMs: 10_000, recordConfReqs: true },
    authenticator: authenticatorConfig({ name: 'sse', verify: 'external' }),
  }));
  const h = new PppLink(home());
  const p = new Pair(clock, lac, h);
  p.start();
  clock.runUntil(100);
  const resp = p.events.find((e) => e.side === 'a' && e.e.type === 'chap-response');
  assert.ok(resp);
  const proxy = lac.handOff();
  assert.equal(lac.nextTimeout(), undefined, 'no keepalive or retransmit after hand-off');
  const homeReq = p.trace.find((t) => t.from === 'b' && t.m.packet.kind === 'conf-req')!.m.packet as LcpPacket;
  const lacReq = p.trace.find((t) => t.from === 'a' && t.m.packet.kind === 'conf-req')!.m.packet as LcpPacket;
  assert.equal(hex(proxy.initialReceivedConfReq!), hex(encode(lcpPacket, homeReq).subarray(4)));
  assert.equal(hex(proxy.lastReceivedConfReq!), hex(encode(lcpPacket, homeReq).subarray(4)));
  assert.equal(hex(proxy.lastSentConfReq!), hex(encode(lcpPacket, lacReq).subarray(4)));
  assert.ok(proxy.chap && proxy.chap.response.length === 16 && new TextDecoder().decode(proxy.chap.name) === 'user@isp-a.example');
  assert.ok(chapMd5Verify(proxy.chap.identifier, textBytes('secret'), proxy.chap.challenge, proxy.chap.response));
  // From here the home talks to the nte (frames relayed unchanged).
  const lns = new PppLink(nte({ verify: 'external' }));
  const q = new Pair(clock, lns, h);
  assert.equal(lns.startWithProxy(proxy, clock.now()), true);
  q.pump('a');
  assert.equal(lns.lcp.stateName, 'Opened');
  assert.equal(lns.lcp.negotiated().magic, lac.lcp.negotiated().magic, 'the nte answers with the magic the home knows');
  const decide = q.events.find((e) => e.side === 'a' && e.e.type === 'chap-response')!.e;
  assert.ok(decide.type === 'chap-response' && decide.identifier === proxy.chap.identifier);
  lns.authDecision(true, clock.now());
  q.pump('a');
  clock.runUntil(10_000);
  assert.equal(q.trace.filter((t) => t.from === 'a' && t.m.protocol === PppProtocol.LCP).length, 0, 'no LCP renegotiation');
  assert.equal(h.ipcp!.stateName, 'Opened');
  assert.equal(lns.ipcp!.stateName, 'Opened');
  assert.equal(h.ipcp!.negotiated().localAddress, ip('198.51.100.10'));
});

test('LAC → LNS with PAP: a PAP-only home Naks CHAP, the sse takes PAP, hands off the Authenticate-Request; the nte answers it with its Identifier', () => {
  const clock = new VirtualClock();
  const lac = new PppLink(pppLinkConfig({
    lcp: { authenticate: ['chap-md5', 'pap'], echoIntervalMs: 10_000, recordConfReqs: true },
    authenticator: authenticatorConfig({ name: 'sse', verify: 'external' }),
  }));
  const h = new PppLink(home({ lcp: { authenticateWith: ['pap'] } }));
  const p = new Pair(clock, lac, h);
  p.start();
  clock.runUntil(100);
  // RFC 1661 §5.3: the home's Nak names PAP; our next request asks for it.
  const lcpFrom = (side: 'a' | 'b'): LcpPacket[] => p.trace.filter((t) => t.from === side && t.m.protocol === PppProtocol.LCP).map((t) => t.m.packet as LcpPacket);
  const nak = lcpFrom('b').find((x) => x.kind === 'conf-nak');
  assert.deepEqual(nak?.kind === 'conf-nak' && nak.options, [{ kind: 'auth', protocol: PppProtocol.PAP }]);
  const req = p.events.find((e) => e.side === 'a' && e.e.type === 'pap-request')?.e;
  assert.ok(req && req.type === 'pap-request' && new TextDecoder().decode(req.peerId) === 'user@isp-a.example');
  assert.equal(p.trace.filter((t) => t.from === 'a' && t.m.protocol === PppProtocol.PAP).length, 0, 'the sse answers nothing');
  const proxy = lac.handOff();
  assert.equal(lac.nextTimeout(), undefined, 'no PAP wait or keepalive after hand-off');
  assert.equal(proxy.chap, undefined);
  assert.ok(proxy.pap && proxy.pap.identifier === req.identifier && new TextDecoder().decode(proxy.pap.password) === 'secret');
  const lastSent = lcpFrom('a').filter((x) => x.kind === 'conf-req').at(-1)!;
  assert.equal(hex(proxy.lastSentConfReq!), hex(encode(lcpPacket, lastSent).subarray(4)), 'the request the home Acked (with PAP)');
  const lns = new PppLink(nte({ auth: ['chap-md5', 'pap'], verify: 'external' }));
  const q = new Pair(clock, lns, h);
  assert.equal(lns.startWithProxy(proxy, clock.now()), true);
  q.pump('a');
  const ask = q.events.find((e) => e.side === 'a' && e.e.type === 'pap-request')?.e;
  assert.ok(ask && ask.type === 'pap-request' && ask.identifier === proxy.pap.identifier && new TextDecoder().decode(ask.password) === 'secret', 'the nte hands the proxied credentials to RADIUS');
  lns.authDecision(true, clock.now());
  q.pump('a');
  clock.runUntil(10_000);
  const ack = q.trace.find((t) => t.from === 'a' && t.m.protocol === PppProtocol.PAP)?.m.packet as PapPacket | undefined;
  assert.ok(ack && ack.kind === 'auth-ack' && ack.identifier === proxy.pap.identifier, 'Authenticate-Ack with the request\'s Identifier (RFC 1334 §2.2.2)');
  assert.equal(q.trace.filter((t) => t.from === 'a' && t.m.protocol === PppProtocol.LCP).length, 0, 'no LCP renegotiation');
  assert.equal(h.ipcp!.stateName, 'Opened');
});

test('the nte renegotiates when the proxied LCP is not acceptable (PAP proxied, CHAP required)', () => {
  const lns = new PppLink(nte());
  const sent = encode(lcpPacket, { kind: 'conf-req', identifier: 1, options: [{ kind: 'mru', mru: 1454 }, { kind: 'auth', protocol: PppProtocol.PAP }, { kind: 'magic', magic: 7 }] }).subarray(4);
  const rcvd = encode(lcpPacket, { kind: 'conf-req', identifier: 1, options: [{ kind: 'mru', mru: 1454 }, { kind: 'magic', magic: 9 }] }).subarray(4);
  assert.equal(lns.startWithProxy({ lastSentConfReq: sent, lastReceivedConfReq: rcvd }, 0), false);
  assert.equal(lns.lcp.stateName, 'Req-Sent');
  assert.equal(lns.pollTransmit()!.packet.kind, 'conf-req');
  assert.equal(lns.counters['ppp.proxy-lcp-refused'], 1);
  const bad = fromHex('0104');
  assert.equal(new PppLink(nte()).startWithProxy({ lastSentConfReq: bad, lastReceivedConfReq: rcvd }, 0), false);
});

test('PAP both sides: success, a lost Authenticate-Request retransmitted, a lost Ack answered again, a wrong password Nak\'d', () => {
  for (const lose of ['none', 'auth-req', 'auth-ack'] as const) {
    const clock = new VirtualClock();
    const p = new Pair(clock, new PppLink(nte({ auth: ['pap'] })), new PppLink(home()));
    let lost = false;
    p.drop = (m) => lose !== 'none' && !lost && m.protocol === PppProtocol.PAP && m.packet.kind === lose && (lost = true);
    p.start();
    clock.runUntil(20_000);
    assert.equal(p.b.ipcp!.stateName, 'Opened', lose);
    const reqs = p.trace.filter((t) => t.from === 'b' && t.m.protocol === PppProtocol.PAP).map((t) => t.m.packet as PapPacket);
    assert.equal(reqs.length, lose === 'none' ? 1 : 2, lose);
    assert.ok(reqs.every((r) => r.identifier === reqs[0]!.identifier), 'a retransmission keeps its identifier');
    if (lose === 'auth-ack') assert.equal(p.a.counters['pap.request-repeated'], 1);
  }
  const clock = new VirtualClock();
  const p = new Pair(clock, new PppLink(nte({ auth: ['pap'] })), new PppLink(home({ secret: 'nope' })));
  p.start();
  clock.runUntil(20_000);
  assert.ok(p.trace.some((t) => t.from === 'a' && t.m.packet.kind === 'auth-nak'));
  assert.deepEqual(p.eventTypes('b'), ['lcp-up', 'auth-failed', 'lcp-down', 'finished']);
});

test('IPCP: VJ compression and NBNS are rejected; a peer that rejects IPCP brings LCP down ("no network protocols")', () => {
  const clock = new VirtualClock();
  const p = new Pair(clock, new PppLink(nte()), new PppLink(home()));
  p.start();
  clock.runUntil(5);
  assert.equal(p.a.phase, 'network');
  // pppd's IPCP request with VJ (frame 18 of the pppd capture) plus NBNS.
  p.deliver('a', fromHex('8021' + '01070016' + '0206002d0f01' + '03060a000002' + '8206' + '00000000'));
  const rej = ipcpOf(p, 'a').at(-1)!;
  assert.ok(rej.kind === 'conf-rej' && rej.identifier === 7);
  assert.deepEqual(rej.options.map((o) => (o.kind === 'raw' ? o.type : o.kind)), [2, 130]);
  // Protocol-Reject of IPCP: RXJ- on IPCP, then LCP closes because nothing is left to run.
  p.deliver('a', encodeLcp({ kind: 'proto-rej', identifier: 40, protocol: PppProtocol.IPCP, data: new Uint8Array(4) }));
  clock.runUntil(10_000);
  assert.ok(p.eventTypes('a').includes('finished'));
  const term = p.trace.find((t) => t.from === 'a' && t.m.protocol === PppProtocol.LCP && t.m.packet.kind === 'term-req')!;
  assert.ok(term.m.packet.kind === 'term-req' && new TextDecoder().decode(term.m.packet.data) === 'no-network-protocols');
});

function encodeLcp(p: LcpPacket): Uint8Array {
  const b = encode(lcpPacket, p);
  const out = new Uint8Array(2 + b.length);
  out[0] = 0xc0;
  out[1] = 0x21;
  out.set(b, 2);
  return out;
}
