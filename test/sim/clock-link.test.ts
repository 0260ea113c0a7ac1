import fc from 'fast-check';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VirtualClock, type TimerId } from '../../src/sim/clock.js';
import { Segment } from '../../src/sim/link.js';
import { PcapngWriter, parseCapture } from '../../src/wire/pcap.js';

test('virtual clock runs timers in time order, FIFO at equal times, and skips cancelled ones', () => {
  const c = new VirtualClock();
  const seen: string[] = [];
  c.setTimer(30, () => seen.push('c'));
  c.setTimer(10, () => seen.push('a'));
  const x = c.setTimer(20, () => seen.push('x'));
  c.setTimer(10, () => seen.push('b'));
  c.cancel(x);
  c.run();
  assert.deepEqual(seen, ['a', 'b', 'c']);
  assert.equal(c.now(), 30);
  assert.equal(c.pending, 0);
});

test('virtual clock: armed targets (one live time each, re-arm replaces, disarm drops) and plain timers fire as a model says, in (time, order set) order, through heap rebuilds', () => {
  const op = fc.oneof(
    fc.record({ k: fc.constant('set' as const), at: fc.integer({ min: 0, max: 50 }) }),
    fc.record({ k: fc.constant('cancel' as const), i: fc.nat(200) }),
    fc.record({ k: fc.constant('arm' as const), j: fc.nat(7), at: fc.integer({ min: 0, max: 50 }) }),
    fc.record({ k: fc.constant('disarm' as const), j: fc.nat(7) }),
    fc.record({ k: fc.constant('run' as const), dt: fc.integer({ min: 0, max: 20 }) }),
  );
  fc.assert(
    fc.property(fc.array(op, { maxLength: 3000 }), (ops) => {
      const c = new VirtualClock();
      const fired: string[] = [];
      const expected: string[] = [];
      // The model: live timers as (at, order, name); a target has at most one.
      let model: { at: number; order: number; name: string }[] = [];
      const ids: TimerId[] = [];
      const targets = Array.from({ length: 8 }, (_, j) => ({ armedSeq: 0, onTimer: () => fired.push(`t${j}`) }));
      const runModel = (until: number): void => {
        model.sort((x, y) => x.at - y.at || x.order - y.order);
        while (model.length && model[0]!.at <= until) expected.push(model.shift()!.name);
      };
      ops.forEach((o, n) => {
        const now = c.now();
        if (o.k === 'set') {
          const name = `s${ids.length}`;
          ids.push(c.setTimer(now + o.at, () => fired.push(name)));
          model.push({ at: now + o.at, order: n, name });
        } else if (o.k === 'cancel') {
          if (o.i >= ids.length) return;
          c.cancel(ids[o.i]!);
          model = model.filter((m) => m.name !== `s${o.i}`);
        } else if (o.k === 'arm') {
          c.arm(targets[o.j]!, now + o.at);
          model = model.filter((m) => m.name !== `t${o.j}`);
          model.push({ at: now + o.at, order: n, name: `t${o.j}` });
        } else if (o.k === 'disarm') {
          c.disarm(targets[o.j]!);
          model = model.filter((m) => m.name !== `t${o.j}`);
        } else {
          c.runUntil(now + o.dt);
          runModel(now + o.dt);
        }
        assert.equal(c.pending, model.length);
      });
      c.run();
      runModel(Infinity);
      assert.deepEqual(fired, expected);
      assert.ok(targets.every((t) => t.armedSeq === 0));
    }),
    { numRuns: 60 },
  );
  // Many re-arms of few targets: stale slots are dropped (the heap is rebuilt), the live ones still fire once each.
  const c = new VirtualClock();
  const fired: number[] = [];
  const targets = Array.from({ length: 3 }, (_, j) => ({ armedSeq: 0, onTimer: () => fired.push(j) }));
  for (let r = 0; r < 5000; r++) for (const [j, t] of targets.entries()) c.arm(t, 10_000 - r + j);
  assert.equal(c.pending, 3);
  c.run();
  assert.deepEqual(fired, [0, 1, 2]);
  assert.equal(c.now(), 5003);
});

test('virtual clock runs ten hours of 1 s timers quickly and lands exactly', () => {
  const c = new VirtualClock();
  let ticks = 0;
  const tick = (): void => {
    ticks++;
    c.setTimer(c.now() + 1000, tick);
  };
  c.setTimer(1000, tick);
  c.runUntil(10 * 3600 * 1000);
  assert.equal(ticks, 36000);
  assert.equal(c.now(), 36_000_000);
});

test('runUntilTrue stops as soon as the predicate holds', () => {
  const c = new VirtualClock();
  let n = 0;
  for (let i = 1; i <= 10; i++) c.setTimer(i * 100, () => n++);
  assert.equal(c.runUntilTrue(() => n === 3, 5000), true);
  assert.equal(c.now(), 300);
  assert.equal(c.runUntilTrue(() => n === 99, 5000), false);
  assert.equal(c.now(), 5000);
});

test('segment delivers to every other port after the delay, and taps once per frame', () => {
  const c = new VirtualClock();
  const s = new Segment('lan', c, { delay: 5 });
  const w = new PcapngWriter();
  s.tap(w, w.addInterface(1, 'lan'));
  const got: string[] = [];
  const a = s.attach('a', (f, from) => got.push(`a<-${from}:${f.length}`));
  s.attach('b', (f, from) => got.push(`b<-${from}:${f.length}`));
  s.attach('c', (f, from) => got.push(`c<-${from}:${f.length}`));
  a.send(new Uint8Array(60));
  assert.deepEqual(got, [], 'nothing before the clock runs');
  c.run();
  assert.deepEqual(got, ['b<-a:60', 'c<-a:60']);
  assert.equal(c.now(), 5);
  const cap = parseCapture(w.bytes());
  assert.ok(cap.ok && cap.value.packets.length === 1 && cap.value.packets[0]!.timestampMs === 0);
});

test('impairments are seeded: same seed, same fate; rates near the configured ones', () => {
  const fate = (seed: number): string => {
    const c = new VirtualClock();
    const s = new Segment('x', c, { loss: 0.3, duplicate: 0.1, jitter: 20, corrupt: 0.05, seed });
    const a = s.attach('a', () => {});
    const order: number[] = [];
    s.attach('b', (f) => order.push(f[0]! | (f[1]! << 8)));
    for (let i = 0; i < 2000; i++) a.send(new Uint8Array([i & 0xff, i >> 8, 0, 0]));
    c.run();
    return JSON.stringify({ order, k: s.counters });
  };
  assert.equal(fate(42), fate(42));
  assert.notEqual(fate(42), fate(43));
  const k = JSON.parse(fate(42)).k;
  assert.ok(k.lost > 500 && k.lost < 700, `lost ${k.lost}`);
  assert.ok(k.duplicated > 100 && k.duplicated < 200, `dup ${k.duplicated}`);
  const order: number[] = JSON.parse(fate(42)).order;
  assert.ok(order.some((v, i) => i > 0 && v < order[i - 1]!), 'jitter reorders');
});

test('frames over the MTU are dropped and counted', () => {
  const c = new VirtualClock();
  const s = new Segment('x', c, { mtu: 1500 });
  const a = s.attach('a', () => {});
  let n = 0;
  s.attach('b', () => n++);
  a.send(new Uint8Array(1500));
  a.send(new Uint8Array(1501));
  c.run();
  assert.equal(n, 1);
  assert.equal(s.counters.mtu, 1);
});

test('the segment learns MACs: unicast goes to one port, broadcast floods; isolated ports never see each other', () => {
  const c = new VirtualClock();
  const s = new Segment('access', c);
  const got: string[] = [];
  const frame = (dst: number, src: number): Uint8Array => new Uint8Array([2, 0, 0, 0, 0, dst, 2, 0, 0, 0, 0, src, 0x88, 0x63]);
  const bcast = (src: number): Uint8Array => new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, src, 0x88, 0x63]);
  const ac = s.attach('ac', (f) => got.push(`ac<-${f[11]}`));
  const h1 = s.attach('h1', (f) => got.push(`h1<-${f[11]}`), { isolated: true });
  s.attach('h2', (f) => got.push(`h2<-${f[11]}`), { isolated: true });
  h1.send(bcast(1)); // PADI: only the AC hears it, not h2
  c.run();
  assert.deepEqual(got, ['ac<-1']);
  got.length = 0;
  ac.send(frame(1, 9)); // learned: only h1
  c.run();
  assert.deepEqual(got, ['h1<-9']);
  got.length = 0;
  ac.send(bcast(9)); // floods to both homes
  c.run();
  assert.deepEqual(got.sort(), ['h1<-9', 'h2<-9']);
  got.length = 0;
  h1.send(frame(3, 1)); // unknown unicast from an isolated port: only open ports
  c.run();
  assert.deepEqual(got, ['ac<-1']);
});

test('after thousands of cancellations (the heap is compacted) the live timers still fire once, in order', () => {
  const c = new VirtualClock();
  const fired: number[] = [];
  const ids: TimerId[] = [];
  for (let i = 0; i < 5000; i++) ids.push(c.setTimer(10_000 - i, () => fired.push(10_000 - i)));
  for (let i = 0; i < 5000; i++) if (i % 1000 !== 7) c.cancel(ids[i]!);
  assert.equal(c.pending, 5);
  c.run();
  assert.deepEqual(fired, [5993, 6993, 7993, 8993, 9993]);
});

test('duplicate hands the receiver a copy: a receiver that rewrites the first delivery in place does not change the second', () => {
  const c = new VirtualClock(0);
  const s = new Segment('dup', c, { duplicate: 1, seed: 7 });
  const seen: number[][] = [];
  const a = s.attach('a', () => {});
  s.attach('b', (f) => {
    seen.push([...f]);
    f.fill(0xee); // a router rewrites TTL and checksum in place; the worst case rewrites everything
  });
  const frame = new Uint8Array([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00, 1, 2, 3]);
  a.send(frame);
  c.run();
  assert.equal(s.counters.duplicated, 1);
  assert.equal(seen.length, 2);
  assert.deepEqual(seen[1], seen[0]);
  assert.deepEqual(seen[0], [2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00, 1, 2, 3]);
});

test('the virtual clock runs any set of timers in (time, registration) order, cancelled ones never', () => {
  fc.assert(
    fc.property(fc.array(fc.record({ at: fc.integer({ min: 0, max: 50 }), cancel: fc.boolean() }), { maxLength: 300 }), (specs) => {
      const clock = new VirtualClock(0);
      const ran: number[] = [];
      const ids = specs.map((s, i) => clock.setTimer(s.at, () => ran.push(i)));
      specs.forEach((s, i) => s.cancel && clock.cancel(ids[i]!));
      clock.run();
      // Written out independently of the heap: a stable sort by time of the timers not cancelled.
      const expected = specs.map((s, i) => ({ ...s, i })).filter((s) => !s.cancel).sort((a, b) => a.at - b.at || a.i - b.i).map((s) => s.i);
      assert.deepEqual(ran, expected);
    }),
    { numRuns: 300 },
  );
});

test('cancelling a timer that has fired, or cancelling twice, changes nothing', () => {
  const c = new VirtualClock();
  const fired: string[] = [];
  const a = c.setTimer(10, () => fired.push('a'));
  const b = c.setTimer(20, () => fired.push('b'));
  c.runUntil(15);
  assert.deepEqual(fired, ['a']);
  assert.equal(c.pending, 1);
  c.cancel(a); // already fired
  assert.equal(c.pending, 1, 'b is still live');
  c.cancel(b);
  c.cancel(b);
  assert.equal(c.pending, 0);
  c.run();
  assert.deepEqual(fired, ['a'], 'b never fires');
});

test('a segment hands a tick\'s frames to each receiver and then kicks it once; what a kick sends goes at the next tick, and a jittered frame is a batch of its own', () => {
  const c = new VirtualClock();
  const seg = new Segment('lan', c);
  const log: string[] = [];
  const mac = (n: number) => [2, 0, 0, 0, 0, n];
  const frame = (dst: number, src: number, tag: number) => new Uint8Array([...mac(dst), ...mac(src), 0x88, 0xb5, tag]);
  const receiver = (name: string, onKick?: () => void) => ({
    batchSeq: 0,
    receive: (port: string, f: Uint8Array) => log.push(`${name}.${port}<${f[14]}`),
    kick: () => {
      log.push(`${name}.kick`);
      onKick?.();
    },
  });
  let echoed = true;
  const senders = [seg.attach('s1', () => {}), seg.attach('s2', () => {})];
  const bPort: { send(f: Uint8Array): void }[] = [];
  const a = receiver('a');
  const b = receiver('b', () => {
    // b answers its batch with one frame to a: it must not join the batch being kicked.
    if (!echoed) bPort[0]!.send(frame(10, 11, 99));
    echoed = true;
  });
  seg.attachReceiver('a', a, 'p');
  bPort.push(seg.attachReceiver('b', b, 'q'));
  senders[0]!.send(frame(0xff, 1, 0)); // from s1, to an address no port has: flooded
  c.run();
  assert.deepEqual(log, ['a.p<0', 'b.q<0', 'a.kick', 'b.kick']);
  log.length = 0;
  // a and b have not sent yet: frames to their addresses flood.
  senders[0]!.send(frame(10, 1, 1));
  senders[1]!.send(frame(10, 2, 2));
  senders[0]!.send(frame(11, 1, 3));
  senders[1]!.send(frame(10, 2, 4));
  c.run();
  // Unknown destinations flood: every receiver gets every frame, then each is kicked once, in the order of its first frame.
  assert.deepEqual(log, ['a.p<1', 'b.q<1', 'a.p<2', 'b.q<2', 'a.p<3', 'b.q<3', 'a.p<4', 'b.q<4', 'a.kick', 'b.kick']);
  log.length = 0;
  echoed = false;
  senders[0]!.send(frame(11, 1, 5));
  c.run();
  // b's answer (sent in its kick) arrives in the next batch: a takes it and is kicked for it alone.
  assert.deepEqual(log, ['a.p<5', 'b.q<5', 'a.kick', 'b.kick', 'a.p<99', 'a.kick']);
  log.length = 0;
  seg.impairments = { jitter: 5, seed: 3 };
  echoed = true;
  senders[0]!.send(frame(10, 1, 6));
  senders[1]!.send(frame(10, 2, 7));
  c.run();
  // With jitter each frame has a timer of its own: every delivery is kicked alone.
  assert.equal(log.filter((x) => x.endsWith('kick')).length, 4);
  assert.deepEqual(log.filter((x) => !x.endsWith('kick')).sort(), ['a.p<6', 'a.p<7', 'b.q<6', 'b.q<7']);
});
