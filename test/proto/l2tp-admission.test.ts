/**
 * Issue 14 item 1, L2TP: an LNS holds no state for a peer it has not authenticated. Floods of
 * SCCRQs (unknown host names, and the real LAC's host name claimed in clear, from fresh source
 * ports and from spoofed addresses) leave at most the half-open cap of tunnel state, never make
 * us retransmit to the flooder, never throw; a genuine LAC gets its tunnel during and after.
 * Expectations from RFC 2661: StopCCN result 4 "not authorized" (§4.4.2), Nr acknowledging the
 * SCCRQ (§5.8); CDN result 4 "temporary lack of facilities" for calls we cannot take.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VirtualClock } from '../../src/sim/clock.js';
import { L2tpNode, DEFAULT_ADMISSION, type L2tpTransmit } from '../../src/proto/l2tp.js';
import { l2tp, avp, findAvp, controlMessageType, MessageType, StopCcnResult, CdnResult, GeneralError, type Avp, type ControlMessage } from '../../src/wire/l2tp.js';
import { encode } from '../../src/wire/result.js';
import { textBytes, fromHex } from '../../src/wire/bytes.js';
import { L2tpDriver } from '../helpers/l2tp-driver.js';

type Ep = { address: string; port: number };
const key = (e: Ep): string => `${e.address}:${e.port}`;
const SECRET = textBytes('isp-a-tunnel-secret');
const T0 = 1_700_000_000_000;
const LAC: Ep = { address: '192.0.2.2', port: 1701 };
const LNS: Ep = { address: '192.0.2.1', port: 1701 };

function sccrq(host: string, tunnelId: number, ns = 0, challenge = true): Uint8Array {
  const avps: Avp[] = [
    avp('messageType', { messageType: MessageType.SCCRQ }),
    avp('protocolVersion', { version: 1, revision: 0 }),
    avp('framingCapabilities', { bits: 3 }),
    avp('hostName', { name: host }),
    avp('assignedTunnelId', { id: tunnelId }),
    avp('receiveWindowSize', { size: 4 }),
  ];
  if (challenge) avps.push(avp('challenge', { challenge: fromHex('00112233445566778899aabbccddeeff') }));
  return encode(l2tp, { kind: 'control', tunnelId: 0, sessionId: 0, ns, nr: 0, avps });
}

function lnsNode(): L2tpNode<Ep> {
  return new L2tpNode<Ep>({ role: 'lns', hostName: 'nte-a', endpointKey: key, sourceKey: (e) => e.address, authorize: (h) => (h === 'sse-1' ? { secret: SECRET } : undefined) });
}

test('150,000 SCCRQs from fresh source ports and spoofed addresses: at most the half-open cap held, no retransmission to the flooder, no throw; a genuine LAC gets its tunnel during and after', (tc) => {
  const clock = new VirtualClock(T0);
  // What the LNS sends to anyone but the genuine LAC, per destination.
  const toFlooder = new Map<string, ControlMessage[]>();
  let lacD: L2tpDriver<Ep> | undefined;
  const lnsD = new L2tpDriver<Ep>(clock, lnsNode(), (to, b) => {
    if (key(to) === key(LAC)) return void clock.setTimer(clock.now() + 1, () => lacD!.input(LNS, b));
    const r = l2tp.parse(b);
    assert.ok(r.ok && r.value.kind === 'control', 'what we send the flooder parses');
    // Per SCCRQ: the destination endpoint and the tunnel id its SCCRQ assigned (ports repeat after 64,000).
    const k = `${key(to)}/${r.value.tunnelId}`;
    const list = toFlooder.get(k) ?? [];
    list.push(r.value);
    toFlooder.set(k, list);
  });
  lacD = new L2tpDriver<Ep>(clock, new L2tpNode<Ep>({ role: 'lac', hostName: 'sse-1', endpointKey: key }), (_to, b) => clock.setTimer(clock.now() + 1, () => lnsD.input(LAC, b)));
  const lns = lnsD.node;
  const cap = DEFAULT_ADMISSION.halfOpenMax;
  let maxTunnels = 0;
  let sent = 0;
  // 15 virtual seconds, 10,000 SCCRQs a second, in three kinds interleaved:
  //  - an unknown host name from one address, each from a fresh port;
  //  - the real LAC's host name (it travels in clear) from that address, fresh ports;
  //  - the real host name from spoofed addresses, one SCCRQ each (fills the half-open table).
  const N = 150_000;
  const flood = (i: number): void => {
    const port = 1024 + (i % 64_000);
    const kind = i % 3;
    const from: Ep = kind === 2 ? { address: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, port } : { address: '203.0.113.66', port };
    lnsD.input(from, sccrq(kind === 0 ? `bot-${i}` : 'sse-1', 1 + (i % 0xfffe)));
    sent++;
    maxTunnels = Math.max(maxTunnels, lns.counters.tunnels.active);
  };
  for (let ms = 0; ms < 15_000; ms++) clock.setTimer(T0 + ms, () => { for (let k = 0; k < 10; k++) flood(ms * 10 + k); });
  // The genuine LAC dials during the flood (at 5 s) and after it (at 20 s).
  let during = 0;
  let after = 0;
  clock.setTimer(T0 + 5000, () => { during = lacD!.node.openSession({ lns: LNS, secret: SECRET }, clock.now()); lacD!.pump(); });
  clock.runUntil(T0 + 20_000);
  assert.equal(sent, N);
  assert.ok(lacD.of('session-up').some((e) => e.session === during), 'the genuine LAC got its tunnel and call during the flood');
  after = lacD.node.openSession({ lns: LNS, secret: SECRET }, clock.now());
  lacD.pump();
  // Long after: every timer a flooder could have left has run out.
  clock.runUntil(T0 + 120_000);
  assert.ok(lacD.of('session-up').some((e) => e.session === after), 'and another call after it');
  assert.equal(lacD.of('tunnel-down').length, 0);
  // State: at most the cap of half-open tunnels (+ the genuine one) at any moment; none left.
  assert.ok(maxTunnels <= cap + 1, `max tunnels ${maxTunnels}`);
  assert.equal(lns.counters.tunnels.halfOpen, 0);
  assert.deepEqual(lns.tunnelInfo().map((t) => [t.state, t.peerHostName]), [['established', 'sse-1']]);
  // Nothing to any flooder endpoint more than once: no retransmission, no reflector.
  let stopccns = 0;
  let sccrps = 0;
  for (const [dest, msgs] of toFlooder) {
    assert.equal(msgs.length, 1, `one answer to ${dest}: ${msgs.map((m) => controlMessageType(m)).join(',')}`);
    const m = msgs[0]!;
    const type = controlMessageType(m);
    if (type === MessageType.StopCCN) {
      stopccns++;
      assert.equal(findAvp(m.avps, 'resultCode')?.result, StopCcnResult.NOT_AUTHORIZED);
      assert.equal(m.nr, 1, 'acknowledges the SCCRQ');
      assert.ok((findAvp(m.avps, 'assignedTunnelId')?.id ?? 0) !== 0);
    } else {
      assert.equal(type, MessageType.SCCRP);
      sccrps++;
    }
  }
  // The one flooding address got at most its token bucket's worth of answers (burst + rate × time).
  const fromOne = [...toFlooder.keys()].filter((k) => k.startsWith('203.0.113.66:')).length;
  assert.ok(fromOne <= DEFAULT_ADMISSION.answerBurst + DEFAULT_ADMISSION.answerRate * 15 + 1, `answers to the single flooder: ${fromOne}`);
  assert.ok(stopccns > 0 && sccrps > cap, `stopccns ${stopccns} sccrps ${sccrps}`);
  const ref = lns.counters.refusals;
  assert.ok((ref['sccrq-rate-limited'] ?? 0) + (ref['stopccn-rate-limited'] ?? 0) > 90_000, JSON.stringify(ref));
  assert.ok((ref['half-open-evicted'] ?? 0) > 40_000, JSON.stringify(ref));
  assert.equal(lns.counters.tunnels.established, 1 + 0, 'only the genuine LAC was ever established');
  tc.diagnostic(`max tunnels held ${maxTunnels} (cap ${cap}); answers to flooders: ${sccrps} SCCRP, ${stopccns} StopCCN, each once; refusals ${JSON.stringify(ref)}`);
});

test('a flood claiming the real host name is not authenticated by it: a wrong or missing Challenge Response is refused with one StopCCN, nothing kept', () => {
  const node = lnsNode();
  const from: Ep = { address: '203.0.113.7', port: 5000 };
  node.handle(from, sccrq('sse-1', 0x77), T0);
  const sccrp = node.pollTransmit()!;
  assert.equal(controlMessageType(sccrp.message as ControlMessage), MessageType.SCCRP);
  assert.equal(node.tunnelInfo()[0]?.halfOpen, true);
  assert.equal(node.pollEvent(), undefined, 'no tunnel-up for a half-open tunnel');
  // Its retransmission timer does not run: nothing comes out, however long we wait.
  assert.equal(node.nextTimeout(), T0 + DEFAULT_ADMISSION_TIMEOUT(), 'only the half-open expiry');
  for (let t = T0; t < T0 + 20_000; t += 500) {
    node.handleTimeout(t);
    assert.equal(node.pollTransmit(), undefined, `nothing retransmitted at +${t - T0} ms`);
  }
  // Its retransmitted SCCRQ gets the SCCRP again (one for one).
  node.handle(from, sccrq('sse-1', 0x77), T0 + 20_000);
  const again = node.pollTransmit()!;
  assert.equal(controlMessageType(again.message as ControlMessage), MessageType.SCCRP);
  assert.equal(node.pollTransmit(), undefined);
  // SCCCN with a wrong response: one StopCCN 4, acknowledging the SCCCN, and the state is gone.
  const tid = findAvp((sccrp.message as ControlMessage).avps, 'assignedTunnelId')!.id;
  node.handle(from, encode(l2tp, { kind: 'control', tunnelId: tid, sessionId: 0, ns: 1, nr: 1, avps: [avp('messageType', { messageType: MessageType.SCCCN }), avp('challengeResponse', { response: new Uint8Array(16) })] }), T0 + 20_010);
  const stop = node.pollTransmit()!.message as ControlMessage;
  assert.equal(controlMessageType(stop), MessageType.StopCCN);
  assert.deepEqual([findAvp(stop.avps, 'resultCode')?.result, stop.ns, stop.nr, stop.tunnelId], [StopCcnResult.NOT_AUTHORIZED, 1, 2, 0x77]);
  assert.deepEqual(node.tunnelInfo(), []);
  assert.equal(node.nextTimeout(), undefined, 'no hold, no retransmission for a peer never authenticated');
  assert.equal(node.counters.refusals['bad-challenge-response'], 1);
  assert.equal(node.counters.tunnels.established, 0);
  // Its acknowledgement of the StopCCN lands nowhere and is counted.
  node.handle(from, encode(l2tp, { kind: 'control', tunnelId: findAvp(stop.avps, 'assignedTunnelId')!.id, sessionId: 0, ns: 2, nr: 2, avps: [] }), T0 + 20_020);
  assert.equal(node.counters.drops['unknown-tunnel'], 1);
});

function DEFAULT_ADMISSION_TIMEOUT(): number {
  return 1000 + 2000 + 4000 + 8000 + 8000 + 8000; // §5.8 defaults: the LAC's full retransmission cycle
}

test('per-source half-open cap and per-source answer budget; the overall table evicts the oldest', () => {
  const node = new L2tpNode<Ep>({
    role: 'lns', hostName: 'nte-a', endpointKey: key, sourceKey: (e) => e.address, authorize: () => ({ secret: SECRET }),
    admission: { halfOpenMax: 10, halfOpenPerSource: 3, answerRate: 1, answerBurst: 5 },
  });
  const drain = (): L2tpTransmit<Ep>[] => { const out: L2tpTransmit<Ep>[] = []; for (let t = node.pollTransmit(); t; t = node.pollTransmit()) out.push(t); return out; };
  // One address, fresh ports: 3 half-open at most, 5 answers then 1 a second.
  let answers = 0;
  for (let p = 0; p < 8; p++) {
    node.handle({ address: '198.51.100.9', port: 2000 + p }, sccrq('sse-1', 100 + p), T0);
    answers += drain().length;
  }
  assert.equal(answers, 5, 'burst of 5 answers');
  assert.equal(node.tunnelInfo().length, 3, 'per-source cap 3');
  assert.equal(node.counters.refusals['sccrq-rate-limited'], 3);
  assert.equal(node.counters.refusals['half-open-source-evicted'], 2);
  node.handle({ address: '198.51.100.9', port: 3000 }, sccrq('sse-1', 200), T0 + 1000);
  assert.equal(drain().length, 1, 'one more after a second');
  // Many addresses: the table holds 10, the oldest go first.
  for (let a = 0; a < 30; a++) node.handle({ address: `10.0.0.${a}`, port: 1701 }, sccrq('sse-1', 1), T0 + 2000 + a);
  const held = node.tunnelInfo();
  assert.equal(held.length, 10);
  assert.equal(node.counters.tunnels.halfOpen, 10);
  assert.equal(node.counters.refusals['half-open-evicted'], 3 + 20, 'the 3 of the first address, then 20 of the new ones');
  drain();
  // After the expiry, nothing is left and nothing was sent.
  node.handleTimeout(T0 + 2100 + DEFAULT_ADMISSION_TIMEOUT());
  assert.deepEqual(node.tunnelInfo(), []);
  assert.deepEqual(drain(), []);
  assert.equal(node.counters.refusals['half-open-expired'], 10);
});

test('an ICRQ flood inside an established tunnel: at most the half-open-call cap held, the rest refused with CDN 4 and counted; a finished call still comes up', () => {
  const node = new L2tpNode<Ep>({ role: 'lns', hostName: 'nte-a', endpointKey: key, authorize: () => ({}), admission: { halfOpenCalls: 100 } });
  let ns = 0;
  let nr = 0;
  let tid = 0;
  const send = (sessionId: number, avps: Avp[]): void => {
    node.handle(LAC, encode(l2tp, { kind: 'control', tunnelId: tid, sessionId, ns, nr, avps }), T0);
    ns = (ns + 1) & 0xffff;
  };
  const take = (): ControlMessage[] => {
    const out: ControlMessage[] = [];
    for (let t = node.pollTransmit(); t; t = node.pollTransmit()) {
      const m = t.message as ControlMessage;
      if (m.avps.length && m.ns === nr) nr = (nr + 1) & 0xffff;
      out.push(m);
    }
    return out;
  };
  node.handle(LAC, sccrq('sse-1', 9, 0, false), T0);
  ns = 1;
  tid = findAvp(take()[0]!.avps, 'assignedTunnelId')!.id;
  send(0, [avp('messageType', { messageType: MessageType.SCCCN })]);
  take();
  const cdns: ControlMessage[] = [];
  const icrps: ControlMessage[] = [];
  for (let i = 1; i <= 2000; i++) {
    send(0, [avp('messageType', { messageType: MessageType.ICRQ }), avp('assignedSessionId', { id: i }), avp('callSerialNumber', { serial: i })]);
    for (const m of take()) {
      if (controlMessageType(m) === MessageType.CDN) cdns.push(m);
      if (controlMessageType(m) === MessageType.ICRP) icrps.push(m);
    }
  }
  // Acknowledge whatever is still queued (the LNS sends 4 at a time: our Receive Window Size).
  for (let k = 0; k < 1000 && node.tunnelInfo()[0]!.outstanding; k++) {
    send(0, [avp('messageType', { messageType: MessageType.HELLO })]);
    for (const m of take()) {
      if (controlMessageType(m) === MessageType.CDN) cdns.push(m);
      if (controlMessageType(m) === MessageType.ICRP) icrps.push(m);
    }
  }
  assert.equal(icrps.length, 100, 'the cap of calls between ICRQ and ICCN');
  assert.equal(cdns.length, 1900);
  assert.ok(cdns.every((m) => findAvp(m.avps, 'resultCode')?.result === CdnResult.NO_FACILITIES_TEMPORARY && findAvp(m.avps, 'resultCode')?.error === GeneralError.NO_RESOURCES));
  assert.equal(node.counters.refusals['icrq-half-open-cap'], 1900);
  assert.equal(node.tunnelInfo()[0]!.sessions, 100);
  // One of them completes with its ICCN: it comes up, and a new call fits again.
  const sid = findAvp(icrps[0]!.avps, 'assignedSessionId')!.id;
  send(sid, [avp('messageType', { messageType: MessageType.ICCN }), avp('txConnectSpeed', { bps: 1 }), avp('framingType', { bits: 1 })]);
  const ups: number[] = [];
  for (let e = node.pollEvent(); e; e = node.pollEvent()) if (e.type === 'session-up') ups.push(e.peerSessionId);
  assert.deepEqual(ups, [1]);
  send(0, [avp('messageType', { messageType: MessageType.ICRQ }), avp('assignedSessionId', { id: 5000 }), avp('callSerialNumber', { serial: 5000 })]);
  assert.ok(take().some((m) => controlMessageType(m) === MessageType.ICRP && m.sessionId === 5000));
  // Calls that never send their ICCN do not hold their slots for ever: four retransmission cycles later, CDN.
  node.handleTimeout(T0 + 4 * DEFAULT_ADMISSION_TIMEOUT() + 1);
  let timedOut: ControlMessage[] = [];
  for (let k = 0; k < 200 && node.tunnelInfo()[0]!.outstanding + timedOut.length < 100 + 1000; k++) {
    timedOut = timedOut.concat(take().filter((m) => controlMessageType(m) === MessageType.CDN));
    if (timedOut.length >= 100) break;
    send(0, [avp('messageType', { messageType: MessageType.HELLO })]);
  }
  assert.equal(timedOut.length, 100, '99 flood calls + call 5000, none with an ICCN');
  assert.ok(timedOut.every((m) => findAvp(m.avps, 'resultCode')?.message === 'no ICCN'));
  assert.equal(node.counters.refusals['call-setup-timeout'], 100);
  assert.equal(node.tunnelInfo()[0]!.sessions, 1, 'only the call that came up');
});

test('an LAC whose calls get no ICRP: 124 s later each ends with a CDN and the waiting calls go out', () => {
  const lac = new L2tpNode<string>({ role: 'lac', hostName: 'sse-1', admission: { pendingCalls: 2 } });
  const keys = [0, 1, 2].map(() => lac.openSession({ lns: 'lns' }, T0));
  const take = (): ControlMessage[] => { const out: ControlMessage[] = []; for (let t = lac.pollTransmit(); t; t = lac.pollTransmit()) out.push(t.message as ControlMessage); return out; };
  const [rq] = take();
  const lacTunnel = findAvp(rq!.avps, 'assignedTunnelId')!.id;
  lac.handle('lns', encode(l2tp, { kind: 'control', tunnelId: lacTunnel, sessionId: 0, ns: 0, nr: 1, avps: [
    avp('messageType', { messageType: MessageType.SCCRP }), avp('protocolVersion', { version: 1, revision: 0 }), avp('framingCapabilities', { bits: 3 }),
    avp('hostName', { name: 'nte-a' }), avp('assignedTunnelId', { id: 0x99 }), avp('receiveWindowSize', { size: 16 }),
  ] }), T0 + 1);
  const zlb = (nr: number, at: number): void => lac.handle('lns', encode(l2tp, { kind: 'control', tunnelId: lacTunnel, sessionId: 0, ns: 1, nr, avps: [] }), at);
  const out = take();
  zlb(3, T0 + 2); // the congestion window is 2 so far
  out.push(...take());
  assert.deepEqual(out.map((m) => controlMessageType(m)), [MessageType.SCCCN, MessageType.ICRQ, MessageType.ICRQ], 'two ICRQs: pendingCalls 2, the third call waits');
  assert.equal(lac.tunnelInfo()[0]!.callsWaiting, 1);
  // The LNS acknowledges everything and never answers the calls.
  zlb(4, T0 + 3);
  assert.deepEqual(take(), []);
  lac.handleTimeout(T0 + 1 + 4 * DEFAULT_ADMISSION_TIMEOUT());
  const after = take().filter((m) => controlMessageType(m) !== MessageType.HELLO); // 60 s of silence: a HELLO too
  assert.deepEqual(after.map((m) => controlMessageType(m)), [MessageType.CDN, MessageType.CDN, MessageType.ICRQ], 'two CDNs, then the waiting call\'s ICRQ');
  assert.ok(after.slice(0, 2).every((m) => findAvp(m.avps, 'resultCode')?.message === 'no ICRP'));
  const downs: [number, string][] = [];
  for (let e = lac.pollEvent(); e; e = lac.pollEvent()) if (e.type === 'session-down') downs.push([e.session, e.reason]);
  assert.deepEqual(downs, [[keys[0]!, 'call-setup-timeout'], [keys[1]!, 'call-setup-timeout']]);
  assert.equal(lac.counters.refusals['call-setup-timeout'], 2);
});

test('id exhaustion is a counted refusal, never a throw: 65,535 sessions fill a tunnel, 65,535 tunnels fill the node', () => {
  // A limit above the 16-bit id space, so that the ids run out before the LAC opens another tunnel.
  const lac = new L2tpNode<string>({ role: 'lac', hostName: 'sse-1', maxSessionsPerTunnel: 0x10000 });
  const keys = new Set<number>();
  for (let i = 0; i < 0xffff; i++) keys.add(lac.openSession({ lns: 'lns' }, T0));
  assert.equal(keys.size, 0xffff);
  assert.ok(![...keys].includes(-1));
  assert.equal(lac.openSession({ lns: 'lns' }, T0), -1);
  assert.equal(lac.counters.refusals['session-ids-exhausted'], 1);
  const many = new L2tpNode<number>({ role: 'lac', hostName: 'sse-1' });
  for (let i = 0; i < 0xffff; i++) assert.notEqual(many.openSession({ lns: i }, T0), -1);
  assert.equal(many.openSession({ lns: 0x10000 }, T0), -1);
  assert.equal(many.counters.refusals['tunnel-ids-exhausted'], 1);
});
