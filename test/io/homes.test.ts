/**
 * The home emulator (src/io/homes.ts) with the sse and nte `Box`es on in-memory links and the
 * virtual clock: the same code `pseudonet up --box homes` runs on a real interface. Every
 * home comes up with its own MAC through one attachment, dialling is paced by the window,
 * a named home pings, a flood counts round trips, slices of the homes never overlap, and the
 * option errors say what to do. The real-interface runs are in test/real/ and bench/real.bench.ts.
 */
import type { Nte } from '../../src/roles/nte.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BoxProcess } from '../../src/io/box.js';
import { memoryLab, oneIspTopology } from '../helpers/memory-lab.js';
import { HomesBox } from '../../src/io/homes.js';
import { parseTopology, type Topology } from '../../src/config/topology.js';
import { withHomes } from '../../src/config/generate.js';
import { labMac } from '../../src/roles/framing.js';
import { ipv4FromString, macToString } from '../../src/wire/bytes.js';

const BASE = oneIspTopology();

const lab = memoryLab;

function up(t: Topology, o: { window?: number; first?: number; count?: number } = {}) {
  const { clock, open, segs } = lab();
  const sse = new BoxProcess(t, 'sse', { clock, open: open(1) });
  const nte = new BoxProcess(t, 'nte-a', { clock, open: open(2) });
  const done: unknown[] = [];
  const homes = new HomesBox(t, { clock, open: open(3), access: 'acc', ...o, onEvent: (e) => e.kind === 'homes' && done.push(e.event) });
  return { clock, sse, nte, homes, done, segs };
}

test('a thousand homes on one attachment: each its own MAC, all online, at most `window` in setup at once', () => {
  const t = withHomes(parseTopology(BASE), 1000);
  const { clock, homes, nte, done } = up(t, { window: 50 });
  let maxInSetup = 0;
  for (let i = 0; i < 600 && homes.setup().online < 1000; i++) {
    clock.runUntil(clock.now() + 10);
    maxInSetup = Math.max(maxInSetup, homes.setup().inSetup);
  }
  const s = homes.setup();
  assert.equal(s.online, 1000);
  assert.equal(s.failed, 0);
  assert.ok(maxInSetup <= 50 && maxInSetup > 1, `in setup at once: ${maxInSetup}`);
  assert.equal(done.length, 1);
  assert.equal((done[0] as { online: number }).online, 1000);
  assert.ok(((done[0] as { setupsPerSecond: number }).setupsPerSecond ?? 0) > 0);
  const list = (homes.show('sessions') as { homes: { name: string; mac: string; user: string; address?: string }[] }).homes;
  assert.equal(new Set(list.map((h) => h.mac)).size, 1000);
  assert.equal(list[0]!.mac, '02:10:00:00:00:01');
  assert.equal(list[999]!.mac, macToString(labMac(0x10, 1000)));
  assert.equal(list[41]!.user, 'user42@isp-a.example');
  assert.equal(new Set(list.map((h) => h.address)).size, 1000);
  assert.equal((nte.box as Nte).sessionCount, 1000);
});

test('a named home pings the LNS; a flood counts round trips from every online home', async () => {
  const t = withHomes(parseTopology(BASE), 20);
  const { clock, homes } = up(t);
  clock.runUntil(clock.now() + 5000);
  assert.equal(homes.setup().online, 20);
  const lns = ipv4FromString('10.255.0.2'); // the nte's core address answers pings
  const p = homes.ping(lns, 1000, 56, 'h7');
  clock.runUntil(clock.now() + 50);
  assert.equal(typeof (await p), 'number');
  await assert.rejects(homes.ping(lns, 1000, 56, 'h99'), /no home named "h99"/);
  const f = homes.runFlood(lns, 1, 2);
  clock.runUntil(clock.now() + 1200);
  const r = await f;
  assert.equal(r.homes, 20);
  assert.ok(r.replies > 1000, `replies ${r.replies}`);
  assert.equal(r.lost, 0);
  assert.ok(r.sent - r.replies <= 40, 'at most the window per home still in flight');
});

test('two emulators share a link with disjoint slices (--from/--count); option errors say what to do', () => {
  const t = withHomes(parseTopology(BASE), 5);
  const { clock, open, segs } = lab();
  new BoxProcess(t, 'sse', { clock, open: open(1) });
  new BoxProcess(t, 'nte-a', { clock, open: open(2) });
  const a = new HomesBox(t, { clock, open: open(3), access: 'acc', count: 3 });
  const b = new HomesBox(t, { clock, open: open(4), access: 'acc', first: 4 });
  clock.runUntil(clock.now() + 5000);
  assert.equal(a.setup().online, 3);
  assert.equal(b.setup().online, 2);
  assert.deepEqual((b.show('sessions') as { homes: { name: string; mac: string }[] }).homes.map((h) => [h.name, h.mac]), [['h4', '02:10:00:00:00:04'], ['h5', '02:10:00:00:00:05']]);
  assert.equal(a.rx.noSuchHome, 0, 'frames for the other slice never reach this one (learning segment)');
  void segs;
  assert.throws(() => new HomesBox(t, { clock, open: open(5) }), /give --access IFNAME/);
  assert.throws(() => new HomesBox(parseTopology(BASE), { clock, open: open(5), access: 'acc' }), /no homes to run: the topology has 0 homes \(give --homes N/);
  assert.throws(() => new HomesBox(t, { clock, open: open(5), access: 'acc', first: 4, count: 5 }), /has only 5 homes/);
});

test('redial in the emulator: after the LNS ends every session, every home dials again by itself; `online` counts homes, not transitions', () => {
  const t = withHomes(parseTopology(BASE), 50);
  const { clock, homes, nte } = up(t);
  assert.ok(clock.runUntilTrue(() => homes.setup().online === 50, clock.now() + 60_000));
  const box = nte.box as Nte;
  nte.act((n) => box.stopAll(n));
  clock.runUntil(clock.now() + 2000);
  assert.ok(homes.setup().online < 50, 'the sessions ended');
  assert.ok(clock.runUntilTrue(() => homes.setup().online === 50, clock.now() + 60_000), JSON.stringify(homes.setup()));
  const s = homes.setup();
  assert.equal(s.online, 50);
  assert.equal(s.ended, 50);
  assert.equal(s.redials, 50);
  assert.equal(s.inSetup, 0);
  assert.equal(box.sessionCount, 50);
  // Shutdown: nobody redials afterwards.
  void homes.shutdown(5000);
  clock.runUntil(clock.now() + 120_000);
  assert.equal(homes.setup().online, 0);
  assert.equal(homes.setup().redials, 50);
});
