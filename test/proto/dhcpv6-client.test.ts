// The DHCPv6 client (IA_PD) against a scripted server written from RFC 8415 §18.3, on a
// virtual clock: Rapid Commit, Advertise + Request, §15 retransmission of lost messages,
// Renew at T1, Rebind at T2, the lease lost at the valid lifetime, Release, status codes,
// and replies with the wrong transaction id or Client Identifier dropped and counted.
// Finally dibbler-server's own Advertise and Reply from the capture.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Dhcpv6Client, DHCPV6_TIMING, type Dhcpv6ClientEvent } from '../../src/proto/dhcpv6-client.js';
import { mulberry32 } from '../../src/proto/seeded.js';
import { dhcpv6, duidLl, findOption, parseDhcpv6, Dhcpv6MessageType as T, Dhcpv6Status, type Dhcpv6ClientServer, type Dhcpv6Option } from '../../src/wire/dhcpv6.js';
import { encode } from '../../src/wire/result.js';
import { fromHex } from '../../src/wire/bytes.js';
import { ipv6ToString } from '../../src/wire/ipv6.js';
import { ScriptedDhcpv6Server, prefixText } from '../helpers/dhcpv6-script.js';
import { dhcpv6Messages } from '../helpers/ipv6-captures.js';

const MAC = fromHex('021000000001');

function client(seed = 1, o: { rapidCommit?: boolean } = {}): Dhcpv6Client {
  return new Dhcpv6Client({ duid: duidLl(MAC), iaid: 1, prefixLengthHint: 56, random: mulberry32(seed), ...o }, {});
}

interface Sent { at: number; msgType: number; m: Dhcpv6ClientServer }

interface Run {
  sent: Sent[];
  events: { at: number; e: Dhcpv6ClientEvent }[];
  now: number;
}

/** Moves messages between client and server until `until`; `lose(sent)` drops a client message, `answer` may rewrite or drop a reply. */
function run(c: Dhcpv6Client, s: ScriptedDhcpv6Server | undefined, until: number, o: { from?: number; r?: Run; lose?: (m: Sent, n: number) => boolean; answer?: (reply: Uint8Array, m: Sent) => Uint8Array | undefined } = {}): Run {
  const r: Run = o.r ?? { sent: [], events: [], now: o.from ?? 0 };
  let now = r.now;
  for (;;) {
    for (let m = c.pollTransmit(); m; m = c.pollTransmit()) {
      const p = parseDhcpv6(m);
      assert.ok(p.ok && p.value.kind === 'message');
      const sent: Sent = { at: now, msgType: p.value.msgType, m: p.value };
      r.sent.push(sent);
      if (o.lose?.(sent, r.sent.filter((x) => x.msgType === sent.msgType).length)) continue;
      let reply = s?.handle(m, now);
      if (reply && o.answer) reply = o.answer(reply, sent);
      if (reply) c.handle(reply, now);
    }
    for (let e = c.pollEvent(); e; e = c.pollEvent()) r.events.push({ at: now, e });
    const next = c.nextTimeout();
    if (next === undefined || next > until) break;
    now = Math.max(now, next);
    c.handleTimeout(now);
  }
  r.now = until;
  return r;
}

const of = (r: Run, t: number) => r.sent.filter((s) => s.msgType === t);
const gaps = (xs: Sent[]) => xs.slice(1).map((x, i) => x.at - xs[i]!.at);

test('Rapid Commit (RFC 8415 §18.2.1, §18.3.1): one Solicit, one Reply, the prefix bound; the Solicit carries what §18.2.1 asks for', () => {
  const c = client();
  const s = new ScriptedDhcpv6Server({ rapidCommit: true, dns: ['2001:db8:ffff:1::53'] });
  c.start(0);
  const r = run(c, s, 10_000);
  assert.deepEqual(r.sent.map((x) => x.msgType), [T.SOLICIT]);
  const sol = r.sent[0]!;
  assert.ok(sol.at >= 0 && sol.at <= DHCPV6_TIMING.SOL_MAX_DELAY, `first Solicit delayed ${sol.at} ms (SOL_MAX_DELAY 1 s)`);
  const o = sol.m.options;
  assert.deepEqual(findOption(o, 'client-id')?.duid, { kind: 'll', hardwareType: 1, linkLayer: MAC }, 'DUID-LL from the MAC (§11.4)');
  assert.equal(findOption(o, 'elapsed-time')?.value, 0, 'first message of an exchange: elapsed 0 (§21.9)');
  assert.ok(findOption(o, 'rapid-commit'));
  assert.ok(findOption(o, 'oro')?.codes.includes(82), 'ORO asks for SOL_MAX_RT (§18.2.1)');
  assert.ok(findOption(o, 'oro')?.codes.includes(23), 'and the DNS servers (RFC 3646)');
  const pd = findOption(o, 'ia-pd')!;
  assert.equal(pd.options[0]?.kind === 'ia-prefix' && pd.options[0].prefixLength, 56, 'a /56 hint with a zero prefix');
  assert.equal(findOption(o, 'server-id'), undefined);
  const bound = r.events.find((x) => x.e.type === 'bound')!.e;
  assert.ok(bound.type === 'bound');
  assert.equal(bound.rapidCommit, true);
  assert.deepEqual(bound.lease.prefixes.map(prefixText), ['2001:db8:8000:1000::/56']);
  assert.equal(bound.lease.t1, 1800);
  assert.equal(bound.lease.t2, 2880);
  assert.deepEqual(bound.lease.dns.map((d) => ipv6ToString(d)), ['2001:db8:ffff:1::53']);
  assert.equal(c.state, 'bound');
});

test('a lease keeps none of the received packet: the server DUID, the prefixes and the DNS servers are copies', () => {
  const c = client();
  const s = new ScriptedDhcpv6Server({ rapidCommit: true, dns: ['2001:db8:ffff:1::53'] });
  const replies: Uint8Array[] = [];
  c.start(0);
  const r = run(c, s, 10_000, { answer: (reply) => (replies.push(reply), reply) });
  const bound = r.events.find((x) => x.e.type === 'bound')!.e;
  assert.ok(bound.type === 'bound');
  assert.equal(replies.length, 1);
  const server = bound.lease.server;
  const kept = [server.kind === 'll' || server.kind === 'llt' ? server.linkLayer : server.kind === 'en' ? server.identifier : server.kind === 'uuid' ? server.uuid : server.data, ...bound.lease.prefixes.map((p) => p.prefix), ...bound.lease.dns];
  for (const b of kept) assert.notEqual(b.buffer, replies[0]!.buffer, 'a view into the Reply would keep the whole received buffer alive');
});

test('no Rapid Commit: Advertises are collected for the first RT, then Request → Reply (§18.2.1, §18.2.2)', () => {
  const c = client(2);
  const s = new ScriptedDhcpv6Server({ rapidCommit: false });
  c.start(0);
  const r = run(c, s, 10_000);
  assert.deepEqual(r.sent.map((x) => x.msgType), [T.SOLICIT, T.REQUEST]);
  const [sol, req] = r.sent as [Sent, Sent];
  // First RT of a Solicit: IRT + RAND·IRT with RAND in (0, 0.1] (§15).
  const wait = req.at - sol.at;
  assert.ok(wait > 1000 && wait <= 1100, `Request ${wait} ms after the Solicit`);
  assert.deepEqual(findOption(req.m.options, 'server-id')?.duid, s.duid, 'the Request names the advertising server');
  const pd = findOption(req.m.options, 'ia-pd')!;
  assert.deepEqual(pd.options.filter((x) => x.kind === 'ia-prefix').map((x) => x.kind === 'ia-prefix' && `${ipv6ToString(x.prefix)}/${x.prefixLength}`), ['2001:db8:8000:1000::/56']);
  assert.notEqual(req.m.transactionId, sol.m.transactionId, 'a new transaction id per exchange (§16.1)');
  const bound = r.events.find((x) => x.e.type === 'bound')!.e;
  assert.ok(bound.type === 'bound' && bound.rapidCommit === false);
});

test('an Advertise with preference 255 is acted on at once (§18.2.1)', () => {
  const c = client(3);
  const s = new ScriptedDhcpv6Server({ preference: 255 });
  c.start(0);
  const r = run(c, s, 10_000);
  assert.deepEqual(r.sent.map((x) => x.msgType), [T.SOLICIT, T.REQUEST]);
  assert.equal(r.sent[1]!.at, r.sent[0]!.at);
});

test('lost Solicits are retransmitted per §15: first RT in (IRT, 1.1·IRT], then 2·RT ± 10 %, Elapsed Time growing', () => {
  for (const seed of [1, 7, 42, 1000]) {
    const c = client(seed);
    const s = new ScriptedDhcpv6Server({ rapidCommit: true });
    c.start(0);
    const r = run(c, s, 60_000, { lose: (m, n) => m.msgType === T.SOLICIT && n <= 4 });
    const sols = of(r, T.SOLICIT);
    assert.equal(sols.length, 5, `seed ${seed}`);
    const g = gaps(sols);
    assert.ok(g[0]! > 1000 && g[0]! <= 1100, `seed ${seed}: first RT ${g[0]}`);
    for (let i = 1; i < g.length; i++) assert.ok(g[i]! >= 1.9 * g[i - 1]! - 1 && g[i]! <= 2.1 * g[i - 1]! + 1, `seed ${seed}: RT ${g[i]} after ${g[i - 1]}`);
    // §21.9: hundredths of a second since the first Solicit.
    sols.forEach((x) => assert.equal(findOption(x.m.options, 'elapsed-time')?.value, Math.round((x.at - sols[0]!.at) / 10)));
    assert.ok(sols.every((x) => x.m.transactionId === sols[0]!.m.transactionId), 'retransmissions keep the transaction id (§15)');
    assert.equal(c.state, 'bound');
    assert.equal(c.counters['dhcpv6-client.retransmit'], 4);
  }
});

test('Solicit retransmission is capped at SOL_MAX_RT ± 10 % and never gives up (MRC 0, MRD 0)', () => {
  const c = client(5);
  c.start(0);
  const r = run(c, undefined, 6 * 3600_000);
  const g = gaps(of(r, T.SOLICIT));
  const late = g.slice(-3);
  for (const x of late) assert.ok(x >= 0.9 * 3600_000 && x <= 1.1 * 3600_000, `late RT ${x}`);
  assert.equal(c.state, 'soliciting');
});

test('a Request that is never answered: REQ_MAX_RC (10) transmissions, RT capped at REQ_MAX_RT ± 10 %, then back to Solicit', () => {
  const c = client(9);
  const s = new ScriptedDhcpv6Server({ rapidCommit: false });
  c.start(0);
  const r = run(c, s, 400_000, { lose: (m, n) => m.msgType === T.REQUEST && n <= 10 });
  const reqs = of(r, T.REQUEST);
  assert.equal(reqs.length, 11, 'ten lost, then the new exchange after a Solicit gets one through');
  const first10 = reqs.slice(0, 10);
  const g = gaps(first10);
  assert.ok(g[0]! >= 900 && g[0]! <= 1100, `first Request RT ${g[0]}`);
  for (const x of g) assert.ok(x <= 33_000, `RT ${x} above REQ_MAX_RT + 10 %`);
  assert.ok(g.slice(-2).every((x) => x >= 27_000), `late RTs ${g.slice(-2)} at REQ_MAX_RT ± 10 %`);
  // After the tenth, a Solicit (a new exchange), then Request again.
  const afterTenth = r.sent.filter((x) => x.at >= first10[9]!.at && x.msgType === T.SOLICIT);
  assert.ok(afterTenth.length >= 1);
  assert.equal(c.counters[`dhcpv6-client.exchange-failed-${T.REQUEST}`], 1);
  assert.equal(c.state, 'bound');
});

test('Renew at T1, Rebind at T2, the prefix lost at the end of its valid lifetime (§18.2.4, §18.2.5)', () => {
  const c = client(11);
  const s = new ScriptedDhcpv6Server({ rapidCommit: true, t1: 1800, t2: 2880, preferred: 3600, valid: 7200 });
  c.start(0);
  let r = run(c, s, 5000);
  const boundAt = r.events.find((x) => x.e.type === 'bound')!.at;
  // Answered Renew: renewed at T1 exactly, and the next Renew T1 later.
  r = run(c, s, boundAt + 1800_000 + 1000, { r });
  const renews = of(r, T.RENEW);
  assert.equal(renews.length, 1);
  assert.equal(renews[0]!.at, boundAt + 1800_000);
  assert.deepEqual(findOption(renews[0]!.m.options, 'server-id')?.duid, s.duid, 'Renew names the server (§18.2.4)');
  assert.ok(r.events.some((x) => x.e.type === 'renewed' && x.e.by === 'renew'));
  const renewedAt = renews[0]!.at;
  // Now every Renew and Rebind is lost: Renews until T2, Rebinds until the valid lifetime, then Solicit again.
  const lose = (m: Sent) => m.msgType === T.RENEW || m.msgType === T.REBIND;
  r = run(c, s, renewedAt + 7200_000 + 5000, { r, lose });
  const renews2 = of(r, T.RENEW).filter((x) => x.at > renewedAt);
  assert.equal(renews2[0]!.at, renewedAt + 1800_000, 'Renew at T1');
  const rg = gaps(renews2);
  assert.ok(rg[0]! >= 9000 && rg[0]! <= 11_000, `Renew RT ${rg[0]} = REN_TIMEOUT ± 10 %`);
  assert.ok(renews2.every((x) => x.at < renewedAt + 2880_000), 'no Renew after T2');
  const rebinds = of(r, T.REBIND);
  assert.equal(rebinds[0]!.at, renewedAt + 2880_000, 'Rebind at T2');
  assert.equal(findOption(rebinds[0]!.m.options, 'server-id'), undefined, 'Rebind has no Server Identifier (§18.2.5)');
  assert.ok(rebinds.every((x) => x.at < renewedAt + 7200_000), 'no Rebind after the valid lifetime');
  const lost = r.events.find((x) => x.e.type === 'lost')!;
  assert.equal(lost.at, renewedAt + 7200_000);
  assert.ok(of(r, T.SOLICIT).some((x) => x.at === lost.at), 'Solicit again at once');
  // Rebind answered this time: a fresh binding by Rebind.
  const c2 = client(12);
  c2.start(0);
  let r2 = run(c2, s, 5000);
  const b2 = r2.events.find((x) => x.e.type === 'bound')!.at;
  r2 = run(c2, s, b2 + 2880_000 + 60_000, { r: r2, lose: (m) => m.msgType === T.RENEW });
  assert.ok(r2.events.some((x) => x.e.type === 'renewed' && x.e.by === 'rebind' && x.at === b2 + 2880_000));
});

test('T1 and T2 of zero are the client\'s choice: 0.5 and 0.8 of the preferred lifetime (§21.21, §14.2)', () => {
  const c = client(13);
  const s = new ScriptedDhcpv6Server({ rapidCommit: true, t1: 0, t2: 0, preferred: 1000, valid: 2000 });
  c.start(0);
  const r = run(c, s, 5000);
  const b = r.events.find((x) => x.e.type === 'bound')!.e;
  assert.ok(b.type === 'bound');
  assert.equal(b.lease.t1, 500);
  assert.equal(b.lease.t2, 800);
});

test('Release at hang-up (§18.2.7): Server Identifier and the IA_PD with our prefix; the Reply ends it', () => {
  const c = client(14);
  const s = new ScriptedDhcpv6Server({ rapidCommit: true });
  c.start(0);
  const r = run(c, s, 5000);
  assert.equal(c.release(r.now), true);
  run(c, s, r.now + 5000, { r });
  const rel = of(r, T.RELEASE);
  assert.equal(rel.length, 1);
  assert.deepEqual(findOption(rel[0]!.m.options, 'server-id')?.duid, s.duid);
  const pd = findOption(rel[0]!.m.options, 'ia-pd')!;
  assert.deepEqual(pd.options.map((x) => x.kind === 'ia-prefix' && `${ipv6ToString(x.prefix)}/${x.prefixLength}`), ['2001:db8:8000:1000::/56']);
  assert.ok(r.events.some((x) => x.e.type === 'released'));
  assert.equal(c.state, 'stopped');
  // Unanswered: REL_MAX_RC transmissions, then abandoned.
  const c2 = client(15);
  c2.start(0);
  const r2 = run(c2, s, 5000);
  c2.release(r2.now);
  run(c2, s, r2.now + 60_000, { r: r2, lose: (m) => m.msgType === T.RELEASE });
  assert.equal(of(r2, T.RELEASE).length, DHCPV6_TIMING.REL_MAX_RC);
  assert.equal(c2.state, 'stopped');
});

function rewrite(reply: Uint8Array, f: (m: Dhcpv6ClientServer) => Dhcpv6ClientServer): Uint8Array {
  const p = parseDhcpv6(reply);
  assert.ok(p.ok && p.value.kind === 'message');
  return encode(dhcpv6, f(p.value));
}

test('replies with another transaction id or another Client Identifier, or none, are dropped and counted (§16.3, §16.10); the retransmission goes on', () => {
  const c = client(16);
  const s = new ScriptedDhcpv6Server({ rapidCommit: true });
  c.start(0);
  let k = 0;
  const r = run(c, s, 20_000, {
    answer: (reply) => {
      k++;
      if (k === 1) return rewrite(reply, (m) => ({ ...m, transactionId: (m.transactionId + 1) & 0xffffff }));
      if (k === 2) return rewrite(reply, (m) => ({ ...m, options: m.options.map((o): Dhcpv6Option => (o.kind === 'client-id' ? { kind: 'client-id', duid: duidLl(fromHex('021000000002')) } : o)) }));
      if (k === 3) return rewrite(reply, (m) => ({ ...m, options: m.options.filter((o) => o.kind !== 'client-id') }));
      if (k === 4) return rewrite(reply, (m) => ({ ...m, options: m.options.filter((o) => o.kind !== 'server-id') }));
      return reply;
    },
  });
  assert.equal(c.counters['dhcpv6-client.drop.transaction-id-mismatch'], 1);
  assert.equal(c.counters['dhcpv6-client.drop.client-id-mismatch'], 1);
  assert.equal(c.counters['dhcpv6-client.drop.no-client-id'], 1);
  assert.equal(c.counters['dhcpv6-client.drop.no-server-id'], 1);
  assert.equal(of(r, T.SOLICIT).length, 5, 'four bad replies, four retransmissions');
  assert.equal(c.state, 'bound');
  // Garbage and server-bound message types are dropped too.
  c.handle(new Uint8Array([7, 1]), r.now);
  c.handle(encode(dhcpv6, { kind: 'message', msgType: T.SOLICIT, transactionId: 1, options: [] }), r.now);
  assert.ok(Object.keys(c.counters).some((k) => k.startsWith('dhcpv6-client.drop.malformed')));
  assert.equal(c.counters[`dhcpv6-client.drop.unexpected-type-${T.SOLICIT}`], 1);
});

test('status codes: an Advertise with NoPrefixAvail is ignored; NoPrefixAvail to a Request → Solicit again; NoBinding to Renew → Request; UnspecFail → retransmit', () => {
  // §18.2.9: no prefix in the Advertise: ignored, the Solicits go on.
  const c = client(17);
  const s = new ScriptedDhcpv6Server({ noPrefix: true });
  c.start(0);
  const r = run(c, s, 10_000);
  assert.ok(c.counters['dhcpv6-client.drop.advertise-no-prefix']! >= 2);
  assert.deepEqual(new Set(r.sent.map((x) => x.msgType)), new Set([T.SOLICIT]));
  // NoPrefixAvail in the Reply to Request (§18.2.10.1): a no-prefix event, and a new Solicit.
  const c2 = client(18);
  const s2 = new ScriptedDhcpv6Server({ preference: 255 });
  c2.start(0);
  const r2 = run(c2, s2, 2000, { answer: (reply, m) => (m.msgType === T.REQUEST ? rewrite(reply, (x) => ({ ...x, options: x.options.map((o): Dhcpv6Option => (o.kind === 'ia-pd' ? { ...o, options: [{ kind: 'status', status: Dhcpv6Status.NO_PREFIX_AVAIL, message: new Uint8Array(0) }] } : o)) })) : reply) });
  const np = r2.events.find((x) => x.e.type === 'no-prefix')!;
  assert.ok(np.e.type === 'no-prefix' && np.e.status === Dhcpv6Status.NO_PREFIX_AVAIL);
  const sols2 = of(r2, T.SOLICIT);
  assert.ok(sols2.length >= 2, 'Solicit again');
  // Not at once: a server refusing every time must not get a Solicit/Request storm (the wait starts at SOL_TIMEOUT and doubles).
  assert.ok(sols2[1]!.at - np.at >= 900, `next Solicit ${sols2[1]!.at - np.at} ms after the refusal`);
  assert.ok(sols2.length <= 3);
  // NoBinding to Renew (§18.2.10.1): Request with the prefix we hold.
  const c3 = client(19);
  const s3 = new ScriptedDhcpv6Server({ rapidCommit: true, t1: 100, t2: 160 });
  c3.start(0);
  let r3 = run(c3, s3, 2000);
  s3.o.noBinding = true;
  r3 = run(c3, s3, 110_000, { r: r3 });
  const ren = of(r3, T.RENEW)[0]!;
  const req = of(r3, T.REQUEST)[0]!;
  assert.equal(req.at, ren.at, 'Request at once');
  assert.equal(c3.counters['dhcpv6-client.no-binding'], 1);
  // UnspecFail at the top level: that Reply is not acted on; the retransmitted Solicit is.
  const c4 = client(20);
  const s4 = new ScriptedDhcpv6Server({ rapidCommit: true });
  c4.start(0);
  let first = true;
  const r4 = run(c4, s4, 10_000, { answer: (reply) => (first ? ((first = false), rewrite(reply, (x) => ({ ...x, options: [...x.options.filter((o) => o.kind !== 'ia-pd'), { kind: 'status', status: Dhcpv6Status.UNSPEC_FAIL, message: new Uint8Array(0) }] }))) : reply) });
  assert.equal(c4.counters[`dhcpv6-client.drop.reply-status-${Dhcpv6Status.UNSPEC_FAIL}`], 1);
  assert.equal(of(r4, T.SOLICIT).length, 2);
  assert.equal(c4.state, 'bound');
});

test('a Reply to Solicit without Rapid Commit is not a binding (§18.2.1), nor is any Reply when we did not offer it', () => {
  const c = client(21, { rapidCommit: false });
  const s = new ScriptedDhcpv6Server({ rapidCommit: true });
  c.start(0);
  const r = run(c, s, 10_000);
  assert.ok(findOption(of(r, T.SOLICIT)[0]!.m.options, 'rapid-commit') === undefined);
  assert.deepEqual(r.sent.map((x) => x.msgType).slice(0, 2), [T.SOLICIT, T.REQUEST], 'the server Advertised since we did not offer Rapid Commit');
  const c2 = client(22);
  c2.start(0);
  run(c2, s, 3000, { answer: (reply) => rewrite(reply, (m) => ({ ...m, options: m.options.filter((o) => o.kind !== 'rapid-commit') })) });
  assert.ok(c2.counters['dhcpv6-client.drop.reply-to-solicit-without-rapid-commit']! >= 1);
  assert.equal(c2.state, 'soliciting');
});

test("dibbler-server's own Advertise and Reply (capture frames 49, 51) bind its prefix; only the transaction id and the Client Identifier are rewritten to ours", () => {
  const cap = dhcpv6Messages();
  const msg = (frame: number) => {
    const p = parseDhcpv6(cap.find((x) => x.frame === frame)!.message);
    assert.ok(p.ok && p.value.kind === 'message');
    return p.value;
  };
  const adv = msg(49);
  const rep = msg(51);
  assert.equal(adv.msgType, T.ADVERTISE);
  assert.equal(rep.msgType, T.REPLY);
  const c = client(23, { rapidCommit: false });
  c.start(0);
  const ours = duidLl(MAC);
  // The capture's client was dhcpcd with another MAC and its own transaction ids: those two fields become ours, nothing else.
  const asOurs = (m: Dhcpv6ClientServer, xid: number) => encode(dhcpv6, { ...m, transactionId: xid, options: m.options.map((o): Dhcpv6Option => (o.kind === 'client-id' ? { kind: 'client-id', duid: ours } : o)) });
  const r = run(c, undefined, 5000, {
    answer: () => undefined,
  });
  const sol = of(r, T.SOLICIT)[0]!;
  // dibbler's IA_PD has IAID 2 (dhcpcd's numbering): ours is 1, so the IAID is rewritten too — inside the IA_PD, the only other field touched.
  const withIaid = (m: Dhcpv6ClientServer): Dhcpv6ClientServer => ({ ...m, options: m.options.map((o): Dhcpv6Option => (o.kind === 'ia-pd' ? { ...o, iaid: 1 } : o)) });
  c.handle(asOurs(withIaid(adv), sol.m.transactionId), r.now);
  // Preference 255: Request at once.
  const req = parseDhcpv6(c.pollTransmit()!);
  assert.ok(req.ok && req.value.kind === 'message' && req.value.msgType === T.REQUEST);
  assert.deepEqual(findOption(req.value.options, 'server-id')?.duid, findOption(adv.options, 'server-id')?.duid, "the Request names dibbler's DUID-LLT");
  const pd = findOption(req.value.options, 'ia-pd')!;
  assert.deepEqual(pd.options.map((x) => x.kind === 'ia-prefix' && `${ipv6ToString(x.prefix)}/${x.prefixLength}`), ['2001:db8:100::/56']);
  c.handle(asOurs(withIaid(rep), req.value.transactionId), r.now);
  const e = c.pollEvent()!;
  assert.ok(e.type === 'bound');
  assert.deepEqual(e.lease.prefixes.map(prefixText), ['2001:db8:100::/56']);
  assert.equal(e.lease.t1, 1800);
  assert.equal(e.lease.t2, 2880);
  assert.equal(e.lease.prefixes[0]!.validLifetime, 7200);
});
