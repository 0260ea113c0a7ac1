/**
 * Real pppd against our engines. (1) The client frames of the pppd / pppoe-server capture,
 * at their capture times, fed into our AC + LCP + CHAP + IPCP, get the answers a correct AC
 * gives, packet by packet (byte for byte where our configuration matches pppoe-server's).
 * (2) Our client, configured as that pppd was, sends frames of the same shape as pppd's.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pppoeFrames, type PppoeCaptured } from '../helpers/ppp-captures.js';
import { PppoeAc, pppoeAcConfig, type AcSession } from '../../src/proto/pppoe-ac.js';
import { PppLink, pppLinkConfig, type PppLinkEvent } from '../../src/proto/ppp-link.js';
import { authenticatorConfig } from '../../src/proto/ppp-auth.js';
import { ipcpConfig } from '../../src/proto/ipcp.js';
import { encodePppMessage } from '../../src/proto/ppp-common.js';
import { pppoeDiscovery, pppoeSession, writeSessionHeader, PppoeTagType, findTag, tag, type PppoeDiscovery } from '../../src/wire/pppoe.js';
import { pppFrame, lcpPacket, ipcpPacket, PppProtocol, type LcpPacket } from '../../src/wire/ppp.js';
import { chapPacket } from '../../src/wire/chap.js';
import { fromHex, hex, ipv4FromString as ip, setU16, textBytes, u16 } from '../../src/wire/bytes.js';
import { VirtualClock } from '../../src/sim/clock.js';
import { encode } from '../../src/wire/result.js';
import { Segment } from '../../src/sim/link.js';
import { AcHost, ClientHost } from '../helpers/pppoe-net.js';
import { pppoeClientConfig } from '../../src/proto/pppoe-client.js';
import { peerConfig } from '../../src/proto/ppp-auth.js';

const frames = pppoeFrames();
const CLIENT = frames[0]!.src.slice(); // the PADI's source: 52:54:00:e9:d3:ce
const AC_MAC = frames[1]!.src.slice(); // the PADO's source: 52:54:00:26:7d:d6
const T0 = frames[0]!.timestampMs;
const at = (n: number): number => frames.find((f) => f.frame === n)!.timestampMs - T0;
const cap = (n: number): Uint8Array => frames.find((f) => f.frame === n)!.ether;
const fromClient = (f: PppoeCaptured): boolean => hex(f.src) === hex(CLIENT);

/** A random source that hands out fixed values in order (the capture's magic, CHAP identifier and challenge). */
function fixed(...values: string[]): (n: number) => Uint8Array {
  const q = values.map(fromHex);
  return (n) => {
    const v = q.shift();
    if (!v || v.length !== n) throw new Error(`unexpected random(${n})`);
    return v;
  };
}

/** Our AC configured as the capture's pppoe-server + pppd were: AC-Name, MRU 1492, CHAP name, addresses. */
function labAc(): { ac: PppoeAc; link: () => PppLink } {
  const ac = new PppoeAc(pppoeAcConfig({ acName: 'lab-ac' }));
  const link = (): PppLink =>
    new PppLink(pppLinkConfig({
      lcp: { mru: 1492, authenticate: ['chap-md5'], random: fixed('cff49cc2') },
      authenticator: authenticatorConfig({
        name: 'pppoe-srv',
        challengeLength: 19,
        random: fixed('54', '24282eb8730a8037ab1f12980db5ff5be7a61b'),
        secretFor: (n) => (new TextDecoder().decode(n) === 'user@isp.example' ? textBytes('secret') : undefined),
      }),
      ipcp: ipcpConfig({ localAddress: ip('10.0.0.1'), peerAddress: ip('10.0.0.2') }),
    }));
  return { ac, link };
}

function ether(dst: Uint8Array, type: number, payload: Uint8Array): Uint8Array {
  const f = new Uint8Array(14 + payload.length);
  f.set(dst, 0);
  f.set(AC_MAC, 6);
  setU16(f, 12, type);
  f.set(payload, 14);
  return f;
}

interface Out {
  readonly cause: string;
  readonly frame: Uint8Array;
}

test('replay: pppd\'s frames into our AC + LCP + CHAP + IPCP get a correct AC\'s answers, packet by packet', () => {
  const { ac, link: makeLink } = labAc();
  const out: Out[] = [];
  const events: PppLinkEvent['type'][] = [];
  let session: AcSession | undefined;
  let link: PppLink | undefined;
  let dataFrames = 0;
  let droppedBeforePpp = 0;
  let now = 0;
  let cause = '';

  const flush = (): void => {
    for (let t = ac.pollTransmit(); t; t = ac.pollTransmit()) out.push({ cause, frame: ether(t.dst, 0x8863, encode(pppoeDiscovery, t.packet)) });
    for (let e = ac.pollEvent(); e; e = ac.pollEvent()) if (e.type === 'session-up') session = e.session;
    if (!link || !session) return;
    for (let m = link.pollTransmit(); m; m = link.pollTransmit()) {
      const f = encodePppMessage(m, 14 + 6);
      f.set(session.mac, 0);
      f.set(AC_MAC, 6);
      setU16(f, 12, 0x8864);
      writeSessionHeader(f, 14, session.id, f.length - 20);
      out.push({ cause, frame: f });
    }
    for (let e = link.pollEvent(); e; e = link.pollEvent()) {
      events.push(e.type);
      if (e.type === 'finished') ac.terminate(session);
    }
    for (let t = ac.pollTransmit(); t; t = ac.pollTransmit()) out.push({ cause, frame: ether(t.dst, 0x8863, encode(pppoeDiscovery, t.packet)) });
  };
  /** Runs our timers up to `t`, as the capture's clock advances. */
  const advance = (t: number): void => {
    for (;;) {
      const n = link?.nextTimeout();
      if (n === undefined || n > t) break;
      now = n;
      cause = `timer@${Math.round(n)}`;
      link!.handleTimeout(n);
      flush();
    }
    now = t;
  };

  // pppoe-server hands the session to pppd, whose first LCP packet (frame 6) leaves 1.1 s after the PADS;
  // our PPP starts at that moment too, so the Restart timers run as the real AC's did.
  const pppStart = at(6);
  let padoCookie: Uint8Array | undefined;
  for (const f of frames.filter(fromClient)) {
    if (!link && f.timestampMs - T0 >= pppStart && session) {
      advance(pppStart);
      link = makeLink();
      cause = 'ppp-start';
      link.start(pppStart);
      flush();
    }
    advance(f.timestampMs - T0);
    cause = `frame ${f.frame}`;
    if (f.ethertype === 0x8863) {
      let p = pppoeDiscovery.parse(f.pppoe);
      assert.ok(p.ok);
      // The client echoes the cookie it was given: ours, not pppoe-server's.
      if (p.value.code === 0x19 && padoCookie) p = { ok: true, value: { ...p.value, tags: p.value.tags.map((t) => (t.type === PppoeTagType.AC_COOKIE ? tag(t.type, padoCookie!) : t)) } };
      ac.handle(f.src, p.value, now);
      flush();
      const pado = out.find((o) => o.frame[15] === 0x07);
      if (pado && !padoCookie) padoCookie = findTag((pppoeDiscovery.parse(pado.frame.subarray(14)) as { value: PppoeDiscovery }).value.tags, PppoeTagType.AC_COOKIE)!.data;
      continue;
    }
    const s = pppoeSession.parse(f.pppoe);
    assert.ok(s.ok);
    const fr = pppFrame.parse(s.value.payload);
    assert.ok(fr.ok);
    const sess = ac.sessionFor(f.src, s.value.sessionId);
    assert.ok(sess, `frame ${f.frame}: our AC knows session ${s.value.sessionId}`);
    if (!link) {
      droppedBeforePpp++;
      continue;
    }
    let payload = fr.value.payload;
    // The client's IPCP replies answer the real AC's requests, whose identifiers ran ahead of ours (it also asked for VJ,
    // which we never do): an answer carries the identifier of the request it answers.
    if (fr.value.protocol === PppProtocol.IPCP && payload[0]! >= 2 && payload[0]! <= 4) {
      payload = payload.slice();
      payload[1] = link.ipcp!.reqId;
    }
    if (!link.handleFrame(fr.value.protocol, payload, now)) dataFrames++;
    flush();
  }
  advance(at(45) + 1000);

  const byCause = (c: string): Out[] => out.filter((o) => o.cause === c);
  const same = (o: Out | undefined, n: number, what: string): void => assert.equal(hex(o!.frame), hex(cap(n)), `${what} is byte for byte frame ${n}`);
  const lcpOf = (o: Out): LcpPacket => (lcpPacket.parse(o.frame.subarray(22)) as { ok: true; value: LcpPacket }).value;

  // PADI → PADO: the same tags in the same order as pppoe-server's (AC-Name, Service-Name, AC-Cookie, Host-Uniq); only the cookie differs.
  const [pado] = byCause('frame 1');
  const ours = (pppoeDiscovery.parse(pado!.frame.subarray(14)) as { value: PppoeDiscovery }).value;
  const theirs = (pppoeDiscovery.parse(cap(2).subarray(14)) as { value: PppoeDiscovery }).value;
  assert.deepEqual(ours.tags.map((t) => t.type), theirs.tags.map((t) => t.type));
  assert.deepEqual(ours.tags.filter((t) => t.type !== PppoeTagType.AC_COOKIE).map((t) => hex(t.data)), theirs.tags.filter((t) => t.type !== PppoeTagType.AC_COOKIE).map((t) => hex(t.data)));
  assert.equal(pado!.frame.length, cap(2).length, 'a 20-octet cookie, like pppoe-server\'s');
  // PADR → PADS, byte for byte (session 1, Service-Name, Host-Uniq).
  same(byCause('frame 3')[0], 4, 'PADS');
  assert.equal(byCause('frame 3').length, 1);
  // Frame 5 arrived before PPP ran, at the real AC as here: dropped, and the client retransmitted it (frame 8).
  assert.equal(droppedBeforePpp, 1);
  same(byCause('ppp-start')[0], 6, 'our LCP Configure-Request (MRU 1492, CHAP-MD5, Magic-Number)');
  assert.equal(byCause('frame 7').length, 0, 'the client\'s Ack: Ack-Rcvd, nothing to send');
  const f8 = byCause('frame 8');
  same(f8[0], 9, 'Configure-Ack of the client\'s request');
  same(f8[1], 11, 'CHAP Challenge (the capture\'s identifier and value)');
  assert.equal(f8.length, 2, 'pppoe-server\'s pppd also sent an Echo-Request here (frame 10); ours waits for its echo interval');
  same(byCause('frame 12')[0], 14, 'Echo-Reply with our magic');
  assert.equal(byCause('frame 13').length, 0, 'an Echo-Reply to an Echo-Request we never sent is taken silently');
  const f15 = byCause('frame 15');
  same(f15[0], 16, 'CHAP Success after checking pppd\'s MD5 Response with "secret"');
  const ipcpReq = (ipcpPacket.parse(f15[1]!.frame.subarray(22)) as { value: unknown }).value;
  assert.deepEqual(ipcpReq, { kind: 'conf-req', identifier: 1, options: [{ kind: 'ip-address', address: ip('10.0.0.1') }] }, 'our IPCP request (pppd\'s AC also asked for VJ)');
  same(byCause('frame 20')[0], 22, 'IPCP Nak with the assigned 10.0.0.2');
  // IPV6CP and CCP are rejected cleanly, and so is the IPv6 Router Solicitation pppd sends anyway (frame 32).
  for (const [n, proto] of [[21, 0x8057], [23, 0x80fd], [24, 0x80fd], [27, 0x8057], [32, 0x0057], [34, 0x80fd]] as const) {
    const o = byCause(`frame ${n}`);
    assert.equal(o.length, 1, `frame ${n}`);
    const p = lcpOf(o[0]!);
    assert.ok(p.kind === 'proto-rej' && p.protocol === proto, `frame ${n}: Protocol-Reject of ${proto.toString(16)}`);
    assert.equal(hex(p.data), hex(cap(n).subarray(22)), `frame ${n}: the rejected information, copied`);
  }
  assert.equal(byCause('frame 25').length, 0, 'a Configure-Reject of an option we never asked for is discarded');
  assert.equal(link!.counters['ipcp.bad-reject'], 1);
  same(byCause('frame 28')[0], 36, 'IPCP Configure-Ack of 10.0.0.2');
  assert.equal(dataFrames, 3, 'the three pings are left to the data path');
  same(byCause('frame 43')[0], 44, 'Terminate-Ack');
  // pppd's LCP waits one restart period in Stopping, then the session goes: PADT, as pppoe-server did 3.1 s later.
  const padt = out.filter((o) => o.frame[12] === 0x88 && o.frame[13] === 0x63 && o.frame[15] === 0xa7);
  assert.equal(padt.length, 1);
  assert.equal(padt[0]!.cause, `timer@${Math.round(at(43) + 3000)}`);
  assert.equal(u16(padt[0]!.frame, 16), 1);
  assert.deepEqual(events, ['lcp-up', 'authenticated', 'ipcp-up', 'ipcp-down', 'lcp-down', 'finished']);
  assert.equal(ac.sessionCount, 0);
  // Nothing else was sent.
  assert.equal(out.length, 1 + 1 + 1 + 2 + 1 + 2 + 1 + 6 + 1 + 1 + 1, out.map((o) => `${o.cause}: ${hex(o.frame.subarray(12, 30))}`).join("\n"));
});

test('shape: our client, configured as that pppd was, sends what pppd sends (tags, options, identifiers, lengths)', () => {
  /** A frame's shape: protocol, kind, tag types or option kinds, length on the wire. */
  const shape = (ether: Uint8Array): string => {
    const type = u16(ether, 12);
    if (type === 0x8863) {
      const p = (pppoeDiscovery.parse(ether.subarray(14)) as { value: PppoeDiscovery }).value;
      const name = { 0x09: 'PADI', 0x19: 'PADR', 0xa7: 'PADT' }[p.code] ?? p.code;
      return `${name} [${p.tags.map((t) => t.type.toString(16)).join(',')}] ${ether.length}`;
    }
    const len = u16(ether, 18);
    const f = (pppFrame.parse(ether.subarray(20, 20 + len)) as { value: { protocol: number; payload: Uint8Array } }).value;
    if (f.protocol === PppProtocol.CHAP) {
      const c = (chapPacket.parse(f.payload) as { value: { kind: string } }).value;
      return `CHAP ${c.kind} ${ether.length}`;
    }
    const codec = f.protocol === PppProtocol.LCP ? lcpPacket : ipcpPacket;
    const p = (codec.parse(f.payload) as { value: LcpPacket }).value;
    const opts = 'options' in p ? `[${p.options.map((o) => o.kind).join(',')}]` : '';
    // A reply carries the identifier of the peer's request, which depends on the AC; a request carries ours.
    const id = p.kind === 'conf-ack' || p.kind === 'conf-nak' || p.kind === 'conf-rej' || p.kind === 'term-ack' ? '' : `id${p.identifier}`;
    return `${f.protocol === PppProtocol.LCP ? 'LCP' : 'IPCP'} ${p.kind} ${id} ${opts} ${ether.length}`.replace(/ +/g, ' ');
  };
  // pppd's frames, without the ones that answer what our AC does not do (CCP, IPV6CP, VJ, its Echo-Request)
  // and without frame 5 (lost at the real AC, retransmitted as frame 8).
  const skip = new Set([5, 13, 21, 23, 24, 25, 27, 34, 12]);
  const pppd = frames.filter((f) => fromClient(f) && !skip.has(f.frame) && !(f.ethertype === 0x8864 && [0x0021, 0x0057].includes(u16(f.pppoe, 6)))).map((f) => shape(f.ether));

  const clock = new VirtualClock();
  const seg = new Segment('lan', clock, { delay: 1 });
  const wire: Uint8Array[] = [];
  seg.observe((f) => {
    if (hex(f.subarray(6, 12)) === hex(CLIENT)) wire.push(f);
  });
  const { link: makeLink } = labAc();
  const acLinkCfg = makeLink().cfg;
  const host = new AcHost(clock, seg, AC_MAC, pppoeAcConfig({ acName: 'lab-ac' }), { ...acLinkCfg, lcp: { ...acLinkCfg.lcp, random: (n) => new Uint8Array(n).fill(0x42) }, authenticator: { ...acLinkCfg.authenticator!, random: (n) => new Uint8Array(n).fill(0x54) } }, ip('10.0.0.2'));
  const home = new ClientHost(clock, seg, CLIENT, pppoeClientConfig(), pppLinkConfig({
    lcp: { mru: 1492 },
    credentials: peerConfig({ name: 'user@isp.example', secret: 'secret' }),
    ipcp: ipcpConfig(),
  }));
  home.start();
  clock.runUntil(1000);
  assert.ok(home.upAt !== undefined && host.established === 1);
  home.close('User request');
  clock.runUntil(20_000);
  const oursShapes = wire.map(shape);
  // The same frames; the order differs only where pppd's first Configure-Request was lost (its Ack went first)
  // and where the real AC's IPCP asked for VJ first (so pppd's IPCP Ack came after its own second request).
  assert.deepEqual([...oursShapes.slice(0, pppd.length)].sort(), [...pppd].sort(), 'every frame, up to and including the Terminate-Request');
  const phase = (s: string): number => ['PAD', 'LCP conf', 'CHAP', 'IPCP', 'LCP term'].findIndex((p) => s.startsWith(p));
  const phases = oursShapes.slice(0, pppd.length).map(phase);
  assert.deepEqual(phases, [...phases].sort(), 'discovery, LCP, CHAP, IPCP, Terminate, in that order');
  // pppd's session ended with pppoe-server's PADT (frame 45); ours ends it itself once LCP is finished.
  assert.deepEqual(oursShapes.slice(pppd.length), ['PADT [] 20']);
});
