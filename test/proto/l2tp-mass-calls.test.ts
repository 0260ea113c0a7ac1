/**
 * Issue 13 item 6: a mass redial on one tunnel. 40,000 and 60,000 calls opened at once by one
 * LAC towards one LNS, through a lossy path, all come up: the control queue is bounded and
 * indexed by count (Ns wraps past 65,535 without a stall), calls wait for room instead of
 * being dropped or getting stuck.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VirtualClock } from '../../src/sim/clock.js';
import { Segment } from '../../src/sim/link.js';
import { L2tpNode } from '../../src/proto/l2tp.js';
import { DEFAULT_RELIABLE, ReliableControl } from '../../src/proto/l2tp-reliable.js';
import { avp, MessageType, type ControlMessage } from '../../src/wire/l2tp.js';
import { textBytes } from '../../src/wire/bytes.js';
import { L2tpDriver } from '../helpers/l2tp-driver.js';

const SECRET = textBytes('isp-a-tunnel-secret');
const T0 = 1_700_000_000_000;

function massRedial(calls: number, seed: number) {
  const clock = new VirtualClock(T0);
  const seg = new Segment('carrier', clock, { loss: 0.01, delay: 2, jitter: 2, seed });
  let lacPort: { send(f: Uint8Array): void } | undefined;
  let lnsPort: { send(f: Uint8Array): void } | undefined;
  const lac = new L2tpDriver(clock, new L2tpNode<string>({ role: 'lac', hostName: 'sse-1' }), (_to, b) => lacPort!.send(b));
  const lns = new L2tpDriver(clock, new L2tpNode<string>({ role: 'lns', hostName: 'nte-a', authorize: (h) => (h === 'sse-1' ? { secret: SECRET } : undefined) }), (_to, b) => lnsPort!.send(b));
  lacPort = seg.attach('lac', (f) => lac.input('lns', f));
  lnsPort = seg.attach('lns', (f) => lns.input('lac', f));
  // Count what the drivers keep instead of keeping 60,000 events each.
  let lacUp = 0;
  let lnsUp = 0;
  let downs = 0;
  lac.onEvent = (e) => { if (e.type === 'session-up') lacUp++; else if (e.type === 'session-down' || e.type === 'tunnel-down') downs++; };
  lns.onEvent = (e) => { if (e.type === 'session-up') lnsUp++; else if (e.type === 'session-down' || e.type === 'tunnel-down') downs++; };
  const started = process.hrtime.bigint();
  const keys = new Set<number>();
  for (let i = 0; i < calls; i++) keys.add(lac.node.openSession({ lns: 'lns', secret: SECRET, call: { callingNumber: `home-${i}` } }, clock.now()));
  lac.pump();
  // While the calls go out: the queue never holds more than its bound, and calls wait.
  let maxOutstanding = 0;
  let maxWaiting = 0;
  const watch = (): void => {
    for (const t of lac.node.tunnelInfo()) {
      maxOutstanding = Math.max(maxOutstanding, t.outstanding);
      maxWaiting = Math.max(maxWaiting, t.callsWaiting);
    }
    if (lacUp < calls) clock.setTimer(clock.now() + 1000, watch);
  };
  watch();
  const ok = clock.runUntilTrue(() => lacUp === calls && lnsUp === calls, T0 + 4 * 3_600_000);
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  lac.events.length = 0;
  lns.events.length = 0;
  const [lt] = lac.node.tunnelInfo();
  const [nt] = lns.node.tunnelInfo();
  return { ok, wallMs, virtualS: (clock.now() - T0) / 1000, lacUp, lnsUp, downs, keys, maxOutstanding, maxWaiting, lt: lt!, nt: nt!, seg, lac, lns, clock };
}

for (const [calls, seed] of [[40_000, 11], [60_000, 12]] as const) {
  test(`${calls.toLocaleString('en')} calls opened at once on one tunnel through 1 % loss all come up`, (tc) => {
    const r = massRedial(calls, seed);
    assert.ok(r.ok, `up: LAC ${r.lacUp}/${calls}, LNS ${r.lnsUp}/${calls}`);
    assert.equal(r.keys.size, calls, 'every call got a session key of its own (none refused)');
    assert.equal(r.downs, 0, 'no call and no tunnel went down');
    assert.equal(r.lac.node.tunnelInfo().length, 1, 'one tunnel');
    assert.equal(r.lt.sessions, calls);
    assert.equal(r.nt.sessions, calls);
    assert.equal(r.lac.node.counters.sessions.established, calls);
    // The LAC sent ICRQ + ICCN per call, beyond the 16-bit sequence space: Ns wrapped, nothing stalled.
    assert.ok(r.lt.control.sent > 2 * calls && r.lt.control.sent > 0x10000, `LAC sent ${r.lt.control.sent}`);
    assert.ok(r.seg.counters.lost > 100, `loss happened: ${r.seg.counters.lost}`);
    assert.ok(r.lt.control.retransmitted > 0 && r.nt.control.retransmitted > 0, 'and was repaired');
    assert.ok(r.maxOutstanding <= DEFAULT_RELIABLE.maxQueue, `queue bounded: ${r.maxOutstanding}`);
    assert.ok(r.maxWaiting > calls / 2, `calls waited for room rather than flooding the queue: ${r.maxWaiting}`);
    assert.equal(r.lt.control.queueFull, 0, 'the LAC never tried to queue past the bound');
    assert.equal(r.nt.control.queueFull, 0, 'nor the LNS');
    // Everything settles: nothing outstanding, nothing waiting.
    assert.ok(r.clock.runUntilTrue(() => [r.lac, r.lns].every((d) => d.node.tunnelInfo().every((t) => t.outstanding === 0 && t.backlog === 0 && t.callsWaiting === 0)), r.clock.now() + 120_000));
    tc.diagnostic(`${calls} calls up in ${(r.wallMs / 1000).toFixed(1)} s wall, ${r.virtualS.toFixed(0)} s virtual; lost ${r.seg.counters.lost}; LAC sent ${r.lt.control.sent} retransmitted ${r.lt.control.retransmitted}; LNS sent ${r.nt.control.sent} retransmitted ${r.nt.control.retransmitted}; max outstanding ${r.maxOutstanding}, max calls waiting ${r.maxWaiting}`);
  });
}

test('the reliable queue: bounded with back-pressure, Ns given on entering the window, and wrapping past 2^16 with 40,000 queued', () => {
  const cfg = { ...DEFAULT_RELIABLE, maxQueue: 50_000 };
  const tx = new ReliableControl(cfg);
  const rx = new ReliableControl(cfg);
  tx.setPeerWindow(16);
  const hello = [avp('messageType', { messageType: MessageType.HELLO })];
  // Start near the top of the sequence space, as a long-lived tunnel is.
  for (let i = 0; i < 65_530; i++) {
    assert.ok(tx.send(0, hello));
    const m = tx.poll(i)!;
    assert.equal(m.ns, i);
    assert.equal(rx.receive(m, i).length, 1);
    tx.receive({ ...rx.poll(i + 1000)!, avps: [] }, i);
  }
  assert.equal(tx.outstanding, 0);
  for (let i = 0; i < 40_000; i++) assert.ok(tx.send(0, hello), `message ${i} queued`);
  assert.equal(tx.space, 10_000);
  assert.ok(tx.canQueue(10_000) && !tx.canQueue(10_001));
  // Delivery: 16 at a time, in order, across the wrap from 65,535 to 0.
  let delivered = 0;
  let lastNs = 65_529;
  for (let now = 100_000; delivered < 40_000; now++) {
    const batch: ControlMessage[] = [];
    for (let m = tx.poll(now); m && m.avps.length; m = tx.poll(now)) batch.push(m);
    assert.ok(batch.length > 0 && batch.length <= 16, `window respected: ${batch.length}`);
    for (const m of batch) {
      const got = rx.receive(m, now);
      for (const g of got) {
        assert.equal(g.ns, (lastNs + 1) & 0xffff);
        lastNs = g.ns;
        delivered++;
      }
    }
    rx.handleTimeout(now + 1000);
    tx.receive(rx.poll(now + 1000)!, now);
  }
  assert.equal(tx.outstanding, 0);
  assert.equal(lastNs, (65_530 + 40_000 - 1) & 0xffff, 'Ns wrapped');
  // Full: refused and counted, never thrown.
  const small = new ReliableControl({ ...DEFAULT_RELIABLE, maxQueue: 3 });
  assert.ok(small.send(0, hello) && small.send(0, hello) && small.send(0, hello));
  assert.equal(small.send(0, hello), false);
  assert.equal(small.counters.queueFull, 1);
  assert.equal(small.canQueue(), false);
  // Messages not yet in the window carry no Ns and can be dropped (StopCCN goes next).
  small.poll(0);
  assert.equal(small.discardUnsent(), 2);
  assert.equal(small.outstanding, 1);
  assert.equal(small.nextNs, 1);
});

test('fast retransmit: three ZLBs naming our oldest message (the peer got later ones) resend it before the RTO, once', () => {
  const tx = new ReliableControl(DEFAULT_RELIABLE);
  const rx = new ReliableControl(DEFAULT_RELIABLE);
  tx.setPeerWindow(8);
  // Open the congestion window to 8 first.
  const hello = [avp('messageType', { messageType: MessageType.HELLO })];
  let now = T0;
  for (let round = 0; round < 30 && !(tx.congestionWindow === 8 && tx.outstanding === 0); round++) {
    if (tx.outstanding === 0) for (let i = 0; i < 8; i++) tx.send(0, hello);
    for (let m = tx.poll(now); m && m.avps.length; m = tx.poll(now)) rx.receive(m, now);
    rx.handleTimeout(now + 200);
    tx.receive(rx.poll(now + 200)!, now + 200);
    now += 1000;
  }
  assert.equal(tx.congestionWindow, 8);
  for (let i = 0; i < 5; i++) tx.send(0, hello);
  const flight: ControlMessage[] = [];
  for (let m = tx.poll(now); m && m.avps.length; m = tx.poll(now)) flight.push(m);
  assert.equal(flight.length, 5);
  // The first is lost; the peer acknowledges each later one at once with a ZLB naming it.
  const zlbs: ControlMessage[] = [];
  for (const m of flight.slice(1)) {
    assert.deepEqual(rx.receive(m, now + 5), []);
    zlbs.push(rx.poll(now + 5)!);
  }
  assert.ok(zlbs.every((z) => z.avps.length === 0 && z.nr === flight[0]!.ns));
  tx.receive(zlbs[0]!, now + 10);
  tx.receive(zlbs[1]!, now + 10);
  assert.equal(tx.poll(now + 10), undefined, 'two duplicate acknowledgements: not yet');
  tx.receive(zlbs[2]!, now + 10);
  const again = tx.poll(now + 10)!;
  assert.deepEqual([again.ns, again.avps.length], [flight[0]!.ns, 1], 'the third: the oldest goes again, 990 ms before its RTO');
  assert.equal(tx.poll(now + 10), undefined, 'only that one');
  tx.receive(zlbs[3]!, now + 10);
  assert.equal(tx.poll(now + 10), undefined, 'a fourth does not resend it again');
  assert.equal(tx.counters.fastRetransmits, 1);
  // The peer now delivers all five and acknowledges them together.
  assert.equal(rx.receive(again, now + 15).length, 5);
  rx.handleTimeout(now + 200);
  tx.receive(rx.poll(now + 200)!, now + 200);
  assert.equal(tx.outstanding, 0);
  assert.equal(tx.counters.timeouts, 0);
});
