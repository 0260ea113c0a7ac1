/**
 * IPV6CP (RFC 5072 §4.1) on the RFC 1661 automaton: two machines against each other on
 * the virtual clock (every packet encoded and parsed by the real codec), with loss, and
 * the Interface-Identifier cases of §4.1 written out as bytes from the RFC's text.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VirtualClock, type TimerId } from '../../src/sim/clock.js';
import { Ipv6cp, ipv6cpConfig, type Ipv6cpConfig } from '../../src/proto/ipv6cp.js';
import { DEFAULT_FSM, QueueSink, type LayerAction, type PppSink, type ControlProtocol } from '../../src/proto/ppp-fsm.js';
import { encodePppMessage, type PppMessage, type RandomBytes } from '../../src/proto/ppp-common.js';
import { ipv6cpPacket, PppProtocol, type Ipv6cpPacket } from '../../src/wire/ppp.js';
import { fromHex, hex, u16 } from '../../src/wire/bytes.js';
import { encode } from '../../src/wire/result.js';
import { ipv6ToString } from '../../src/wire/ipv6.js';
import { rng } from '../helpers/codec.js';
import { pppPayloads } from '../helpers/ipv6-captures.js';

/** Random octets from a list of 8-octet values, in order, then from a seeded generator. */
function scripted(values: string[], seed = 7): RandomBytes {
  const r = rng(seed);
  let i = 0;
  return (n) => {
    if (i < values.length) {
      const v = fromHex(values[i++]!);
      assert.equal(v.length, n);
      return v;
    }
    return Uint8Array.from({ length: n }, () => r() & 0xff);
  };
}

type Side = 'a' | 'b';

/** Two IPV6CP machines wired back to back; `drop` loses packets. */
class NcpPair {
  readonly trace: { at: number; from: Side; p: Ipv6cpPacket; dropped: boolean }[] = [];
  readonly layers: { at: number; side: Side; action: LayerAction }[] = [];
  drop: (p: Ipv6cpPacket, from: Side, index: number) => boolean = () => false;
  readonly a: Ipv6cp;
  readonly b: Ipv6cp;
  private timers: Record<Side, TimerId | undefined> = { a: undefined, b: undefined };

  constructor(readonly clock: VirtualClock, ca: Ipv6cpConfig, cb: Ipv6cpConfig, readonly delay = 1) {
    this.a = new Ipv6cp(ca, this.sink('a'));
    this.b = new Ipv6cp(cb, this.sink('b'));
  }

  private sink(side: Side): PppSink {
    return {
      send: (m: PppMessage) => {
        assert.equal(m.protocol, PppProtocol.IPV6CP);
        const p = m.packet as Ipv6cpPacket;
        const dropped = this.drop(p, side, this.trace.length);
        this.trace.push({ at: this.clock.now(), from: side, p, dropped });
        if (dropped) return;
        const bytes = encodePppMessage(m);
        const to: Side = side === 'a' ? 'b' : 'a';
        this.clock.setTimer(this.clock.now() + this.delay, () => this.deliver(to, bytes));
      },
      layer: (_cp: ControlProtocol<never>, action: LayerAction, now: number) => void this.layers.push({ at: now, side, action }),
    };
  }

  cp(s: Side): Ipv6cp {
    return s === 'a' ? this.a : this.b;
  }

  private deliver(s: Side, bytes: Uint8Array): void {
    assert.equal(u16(bytes, 0), PppProtocol.IPV6CP);
    const r = ipv6cpPacket.parse(bytes.subarray(2));
    assert.ok(r.ok, JSON.stringify(!r.ok && r.error));
    this.cp(s).input(r.value, this.clock.now(), bytes.subarray(2));
    this.arm(s);
  }

  arm(s: Side): void {
    const cp = this.cp(s);
    const t = this.timers[s];
    if (t !== undefined) this.clock.cancel(t);
    const at = cp.nextTimeout();
    this.timers[s] = at === undefined ? undefined : this.clock.setTimer(at, () => {
      this.timers[s] = undefined;
      cp.handleTimeout(this.clock.now());
      this.arm(s);
    });
  }

  start(): void {
    for (const s of ['a', 'b'] as const) {
      this.cp(s).open(this.clock.now());
      this.cp(s).up(this.clock.now());
      this.arm(s);
    }
  }

  kinds(): string[] {
    return this.trace.map((t) => `${t.from}:${t.p.kind}${t.dropped ? '(lost)' : ''}`);
  }
}

function idOf(p: Ipv6cpPacket): string | undefined {
  if (p.kind !== 'conf-req' && p.kind !== 'conf-ack' && p.kind !== 'conf-nak' && p.kind !== 'conf-rej') return undefined;
  const o = p.options.find((x) => x.kind === 'interface-id');
  return o?.kind === 'interface-id' ? hex(o.id) : undefined;
}

function assertAgreed(p: NcpPair): void {
  assert.equal(p.a.stateName, 'Opened');
  assert.equal(p.b.stateName, 'Opened');
  const na = p.a.negotiated();
  const nb = p.b.negotiated();
  assert.ok(na.localIdentifier && nb.localIdentifier);
  assert.equal(hex(na.localIdentifier), hex(nb.peerIdentifier!));
  assert.equal(hex(nb.localIdentifier), hex(na.peerIdentifier!));
  assert.notEqual(hex(na.localIdentifier), hex(nb.localIdentifier), 'the two ends have different identifiers');
  assert.notEqual(hex(na.localIdentifier), '0000000000000000');
  assert.notEqual(hex(nb.localIdentifier), '0000000000000000');
}

test('two machines with different random identifiers: one request and one Ack each way, both Opened, link-locals fe80::/64 + the identifiers', () => {
  const clock = new VirtualClock();
  const p = new NcpPair(clock, ipv6cpConfig({ random: scripted(['759397b329ab2448']) }), ipv6cpConfig({ random: scripted(['0000000000000001']) }));
  p.start();
  clock.runUntil(10_000);
  assertAgreed(p);
  // Both requests leave at 0; a's reaches b first (it was sent first), so b Acks first.
  assert.deepEqual(p.kinds(), ['a:conf-req', 'b:conf-req', 'b:conf-ack', 'a:conf-ack']);
  assert.equal(ipv6ToString(p.a.negotiated().localLinkLocal!), 'fe80::7593:97b3:29ab:2448');
  assert.equal(ipv6ToString(p.a.negotiated().peerLinkLocal!), 'fe80::1');
  assert.deepEqual(p.layers.filter((l) => l.action === 'tlu').map((l) => l.side).sort(), ['a', 'b']);
});

test('a peer asking with a zero identifier is Nak\'d with the nte\'s suggestion, takes it, and both open', () => {
  const clock = new VirtualClock();
  const home = ipv6cpConfig({ localIdentifier: new Uint8Array(8) });
  const nte = ipv6cpConfig({ random: scripted(['0000000000000001']), peerIdentifier: fromHex('021122fffe334455') });
  const p = new NcpPair(clock, home, nte);
  p.start();
  clock.runUntil(10_000);
  assertAgreed(p);
  const naks = p.trace.filter((t) => t.p.kind === 'conf-nak');
  assert.equal(naks.length, 1);
  assert.equal(naks[0]!.from, 'b');
  assert.equal(idOf(naks[0]!.p), '021122fffe334455');
  assert.equal(hex(p.a.negotiated().localIdentifier!), '021122fffe334455');
  assert.equal(p.b.counters['ipv6cp.nak-zero-identifier'], 1);
});

test('a clash (both ends chose the same identifier) is Nak\'d both ways with different suggestions; both take them and open with distinct identifiers', () => {
  const clock = new VirtualClock();
  const same = 'a1a2a3a4a5a6a7a8';
  const p = new NcpPair(clock, ipv6cpConfig({ random: scripted([same, 'b1b2b3b4b5b6b7b8']) }), ipv6cpConfig({ random: scripted([same, 'c1c2c3c4c5c6c7c8']) }));
  p.start();
  clock.runUntil(10_000);
  assertAgreed(p);
  const naks = p.trace.filter((t) => t.p.kind === 'conf-nak');
  // b (receiving first) suggests c1.. to a, a suggests b1.. to b; each takes what it was told.
  assert.deepEqual(naks.map((n) => `${n.from}:${idOf(n.p)}`), ['b:c1c2c3c4c5c6c7c8', 'a:b1b2b3b4b5b6b7b8']);
  assert.equal(hex(p.a.negotiated().localIdentifier!), 'c1c2c3c4c5c6c7c8');
  assert.equal(hex(p.b.negotiated().localIdentifier!), 'b1b2b3b4b5b6b7b8');
  assert.equal(p.a.counters['ipv6cp.nak-clashing-identifier'], 1);
  assert.equal(p.b.counters['ipv6cp.nak-clashing-identifier'], 1);
});

test('with loss: the first three packets lost, then 30% of everything lost (seeded), both ends still open and agree', () => {
  for (let seed = 1; seed <= 30; seed++) {
    const clock = new VirtualClock();
    const r = rng(seed);
    const p = new NcpPair(clock, ipv6cpConfig({ random: scripted([], seed) }), ipv6cpConfig({ random: scripted([], seed + 1000), localIdentifier: seed % 3 === 0 ? new Uint8Array(8) : undefined }));
    p.drop = (_pkt, _from, i) => i < 3 || r() % 10 < 3;
    p.start();
    clock.runUntil(120_000);
    assertAgreed(p);
    // Retransmissions come from the Restart timer (3 s), never faster.
    const aReqs = p.trace.filter((t) => t.from === 'a' && t.p.kind === 'conf-req').map((t) => t.at);
    for (let i = 1; i < aReqs.length; i++) assert.ok(aReqs[i]! - aReqs[i - 1]! >= 1, `seed ${seed}`);
    assert.equal(p.trace[0]!.dropped, true);
  }
});

test('total loss: Max-Configure Configure-Requests 3 s apart, then tlf (RFC 1661 §4.6), no identifier negotiated', () => {
  const clock = new VirtualClock();
  const p = new NcpPair(clock, ipv6cpConfig({ random: scripted([]) }), ipv6cpConfig({ random: scripted([], 99) }));
  p.drop = () => true;
  p.start();
  clock.runUntil(60_000);
  const reqs = p.trace.filter((t) => t.from === 'a').map((t) => t.at);
  assert.deepEqual(reqs, [0, 3000, 6000, 9000, 12000, 15000, 18000, 21000, 24000, 27000]);
  assert.equal(p.a.stateName, 'Stopped');
  assert.ok(p.layers.some((l) => l.side === 'a' && l.action === 'tlf' && l.at === 30_000));
  assert.equal(p.a.negotiated().peerIdentifier, undefined);
});

// ---- RFC 5072 §4.1, case by case, as bytes ----------------------------------------

/** One machine with identifier `ours`, opened, its own Configure-Request (identifier 1) already sent. */
function machine(ours: string, extra: Partial<Ipv6cpConfig> = {}): { cp: Ipv6cp; sink: QueueSink; out: () => string[] } {
  const sink = new QueueSink();
  const cp = new Ipv6cp(ipv6cpConfig({ localIdentifier: fromHex(ours), random: scripted(['5555555555555555', '6666666666666666']), ...extra }), sink);
  cp.open(0);
  cp.up(0);
  return { cp, sink, out: () => sink.tx.splice(0).map((m) => hex(encodePppMessage(m))) };
}

function feed(cp: Ipv6cp, h: string, now = 1): void {
  const r = ipv6cpPacket.parse(fromHex(h));
  assert.ok(r.ok);
  cp.input(r.value, now);
}

test('RFC 5072 §4.1 received side: zero → Nak with a non-zero suggestion; different non-zero → Ack; equal non-zero → Nak with a different one; both zero → Reject; no support → Reject', () => {
  // Our request: 8057, Conf-Req id 1, length 14, option 1 length 10, our identifier.
  const m = machine('0000000000000001');
  assert.deepEqual(m.out(), ['8057' + '01010' + '00e' + '010a' + '0000000000000001']);

  // "If the two Interface-Identifiers are different but the received Interface-Identifier
  // is zero, a Configure-Nak is sent with a non-zero Interface-Identifier value suggested
  // for use by the remote peer ... different from the Interface-Identifier of the last
  // Configure-Request sent to the peer." (the first scripted random: 5555...)
  feed(m.cp, '0107000e010a0000000000000000');
  assert.deepEqual(m.out(), ['8057' + '0307000e' + '010a' + '5555555555555555']);

  // "If the two Interface-Identifiers are different and the received Interface-Identifier is
  // not zero, the Interface-Identifier MUST be acknowledged".
  feed(m.cp, '0108000e010a759397b329ab2448');
  assert.deepEqual(m.out(), ['8057' + '0208000e' + '010a' + '759397b329ab2448']);

  // "If the two Interface-Identifiers are equal and are not zero, a Configure-Nak MUST be
  // sent specifying a different non-zero Interface-Identifier value".
  feed(m.cp, '0109000e010a0000000000000001');
  assert.deepEqual(m.out(), ['8057' + '0309000e' + '010a' + '6666666666666666']);

  // "If the two Interface-Identifiers are equal to zero, the Interface-Identifiers
  // negotiation MUST be terminated by transmitting the Configure-Reject with the
  // Interface-Identifier value set to zero."
  const z = machine('0000000000000000');
  z.out();
  feed(z.cp, '010a000e010a0000000000000000');
  assert.deepEqual(z.out(), ['8057' + '040a000e' + '010a' + '0000000000000000']);

  // IPv6-Compression-Protocol (type 2, RFC 5072 §4.2; ROHC 0x0003 here) is not implemented: Configure-Reject.
  feed(m.cp, '010b0012' + '010a759397b329ab2448' + '02040003');
  assert.deepEqual(m.out(), ['8057' + '040b0008' + '02040003']);
});

test('RFC 5072 §4.1 requesting side: a Nak\'s suggestion is taken; a Nak handing back the one we suggested makes us choose anew; a Reject drops the option', () => {
  const m = machine('a1a2a3a4a5a6a7a8');
  m.out();
  // "a new Configure-Request MUST be sent with the identifier value suggested in the last Configure-Nak from the peer".
  feed(m.cp, '0301000e010a0123456789abcdef');
  assert.deepEqual(m.out(), ['8057' + '0102000e' + '010a' + '0123456789abcdef']);

  // We Nak the peer's clashing request (suggesting 5555...), then the peer Naks ours with
  // that same value: "if the received Interface-Identifier is equal to the one sent in the
  // last Configure-Nak, a new Interface-Identifier MUST be chosen" (scripted: 6666...).
  feed(m.cp, '0140000e010a0123456789abcdef');
  assert.deepEqual(m.out(), ['8057' + '0340000e' + '010a' + '5555555555555555']);
  feed(m.cp, '0302000e010a5555555555555555');
  assert.deepEqual(m.out(), ['8057' + '0103000e' + '010a' + '6666666666666666']);
  assert.equal(m.cp.counters['ipv6cp.nak-hint-refused'], 1);

  // "A new Configure-Request MUST NOT contain the Interface-Identifier option if a valid
  // Interface-Identifier Configure-Reject is received."
  feed(m.cp, '0403000e010a6666666666666666');
  assert.deepEqual(m.out(), ['8057' + '01040004']);
  assert.equal(m.cp.negotiated().localIdentifier, undefined);
});

test('RFC 5072 §4.1: a peer that leaves the option out gets one Nak appending it, and only one', () => {
  const m = machine('0000000000000001', { requirePeerIdentifier: true, peerIdentifier: fromHex('021122fffe334455') });
  m.out();
  feed(m.cp, '01200004');
  assert.deepEqual(m.out(), ['8057' + '0320000e' + '010a' + '021122fffe334455']);
  // "If the next Configure-Request does not include this option the peer MUST NOT send another Configure-Nak with this option included."
  feed(m.cp, '01210004');
  assert.deepEqual(m.out(), ['8057' + '02210004']);
  // The identifier Acked is that of the latest request: one without the option leaves none.
  feed(m.cp, '0122000e010a759397b329ab2448');
  assert.equal(hex(m.cp.negotiated().peerIdentifier!), '759397b329ab2448');
  m.out();
  feed(m.cp, '01230004');
  assert.equal(m.cp.negotiated().peerIdentifier, undefined);
  // Without requirePeerIdentifier an empty request is simply Acked.
  const n = machine('0000000000000001');
  n.out();
  feed(n.cp, '01300004');
  assert.deepEqual(n.out(), ['8057' + '02300004']);
});

test('Max-Failure: a peer insisting on our identifier gets five Naks, then a Reject (RFC 1661 §4.6)', () => {
  const m = machine('0000000000000001', { random: scripted([], 3) });
  m.out();
  for (let i = 0; i < 7; i++) feed(m.cp, `01${(0x50 + i).toString(16)}000e010a0000000000000001`);
  const kinds = m.sink.tx.map((x) => (x.packet as Ipv6cpPacket).kind);
  assert.deepEqual(kinds, ['conf-nak', 'conf-nak', 'conf-nak', 'conf-nak', 'conf-nak', 'conf-rej', 'conf-rej']);
  assert.equal(DEFAULT_FSM.maxFailure, 5);
  for (const x of m.sink.tx.slice(0, 5)) {
    const id = idOf(x.packet as Ipv6cpPacket)!;
    assert.ok(id !== '0000000000000001' && id !== '0000000000000000');
  }
});

test('the capture: our machine with pppd\'s identifier sends pppd\'s Configure-Request byte for byte, and Acks the AC\'s as pppd did', () => {
  const frames = pppPayloads(PppProtocol.IPV6CP);
  assert.deepEqual(frames.map((f) => f.frame), [19, 24, 25, 28]);
  // 19: the home's request, 24: the AC's, 25: the home's Ack of the AC's, 28: the AC's Ack of the home's.
  const [req19, req24, ack25, ack28] = frames.map((f) => hex(f.payload));
  const home = machine('759397b329ab2448');
  assert.deepEqual(home.out(), ['8057' + req19]);
  feed(home.cp, req24!);
  assert.deepEqual(home.out(), ['8057' + ack25]);
  feed(home.cp, ack28!);
  assert.equal(home.cp.stateName, 'Opened');
  // And the AC's side (pppd with identifier ::1): its request and its Ack of the home's.
  const ac = machine('0000000000000001');
  assert.deepEqual(ac.out(), ['8057' + req24]);
  feed(ac.cp, req19!);
  assert.deepEqual(ac.out(), ['8057' + ack28]);
  assert.equal(hex(encode(ipv6cpPacket, { kind: 'conf-req', identifier: 1, options: [{ kind: 'interface-id', id: fromHex('0000000000000001') }] })), req24);
});

test('configuration errors throw at construction (API misuse), never on the wire', () => {
  assert.throws(() => new Ipv6cp(ipv6cpConfig({ localIdentifier: new Uint8Array(4) }), new QueueSink()), /8 octets/);
  assert.throws(() => new Ipv6cp(ipv6cpConfig({ peerIdentifier: new Uint8Array(8) }), new QueueSink()), /not all zero/);
  // A malformed Interface-Identifier (length 6) is an unknown option to us: rejected, not thrown on.
  const m = machine('0000000000000001');
  m.out();
  feed(m.cp, '0160000a0106 01020304');
  assert.deepEqual(m.out(), ['8057' + '0460000a' + '010601020304']);
});
