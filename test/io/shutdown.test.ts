/**
 * SIGTERM in every order (issue 13): the sse and the nte processes (`BoxProcess`, the code
 * `pseudonet up` runs, here on in-memory links and the virtual clock) shut down with a few
 * hundred homes online. Whichever goes first, or both at once, both end clean: every call
 * gets its CDN or goes with its tunnel's StopCCN, each StopCCN is acknowledged (an LNS
 * that is itself shutting down still acknowledges the LAC's), every accounted session has
 * its Stop at the RADIUS server, and homes that redial after the PADT open nothing new.
 */
import { memoryLab } from '../helpers/memory-lab.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Nte } from '../../src/roles/nte.js';
import type { Sse } from '../../src/roles/sse.js';
import { BoxProcess, type BoxEvent } from '../../src/io/box.js';
import { HomesBox } from '../../src/io/homes.js';
import { parseTopology } from '../../src/config/topology.js';
import { withHomes } from '../../src/config/generate.js';

const BASE = `
sse: { name: sse, address: 192.0.2.254, interfaces: { access: acc, carrier: car0 } }
isps:
  - name: isp-a
    domain: isp-a.example
    lns: { name: nte-a, address: 192.0.2.1, hostName: nte-a.isp-a.example, tunnelSecret: s, interfaces: { carrier: car1, core: core0 } }
    pool: 10.0.0.0/16
    gateway: 10.0.0.1
    dns: [10.0.0.53]
server: { address: 203.0.113.10, gateway: 203.0.113.1 }
router: { ispSide: 10.255.0.1, serverSide: 203.0.113.1 }
links: { carrier: { delay: 2 } }
`;
const HOMES = 300;

function lab() {
  const { clock, open } = memoryLab();
  const t = withHomes(parseTopology(BASE), HOMES);
  const acct: { statusType: unknown; sessionId?: string }[] = [];
  const onEvent = (e: BoxEvent) => {
    const ev = e.event as { type?: string; line?: { statusType: unknown; sessionId?: string } };
    if (e.kind === 'radius' && ev.type === 'accounting') acct.push(ev.line!);
  };
  const sse = new BoxProcess(t, 'sse', { clock, open: open(1) });
  const nte = new BoxProcess(t, 'nte-a', { clock, open: open(2), onEvent });
  const homes = new HomesBox(t, { clock, open: open(3), access: 'acc', window: 0 });
  assert.ok(clock.runUntilTrue(() => homes.setup().online === HOMES, clock.now() + 120_000), JSON.stringify(homes.setup()));
  // While a shutdown waits (real timers), the virtual clock moves on.
  const pump = setInterval(() => clock.runUntil(clock.now() + 25), 1);
  return { clock, sse, nte, homes, acct, stop: () => clearInterval(pump), sseBox: sse.box as Sse, nteBox: nte.box as Nte };
}

function settled(r: ReturnType<typeof lab>, what: string): void {
  assert.equal(r.nteBox.sessionCount, 0, `${what}: nte sessions left`);
  for (const [name, box] of [['sse', r.sseBox], ['nte', r.nteBox]] as const) {
    for (const t of box.l2tp.tunnelInfo()) assert.ok(t.state === 'closing' && t.outstanding === 0, `${what}: ${name} tunnel ${t.tunnelId} ${t.state}, ${t.outstanding} outstanding`);
  }
  const starts = r.acct.filter((a) => a.statusType === 'Start').map((a) => a.sessionId).sort();
  const stops = r.acct.filter((a) => a.statusType === 'Stop').map((a) => a.sessionId).sort();
  assert.equal(starts.length, HOMES, `${what}: one Start per home, no session opened during the shutdown`);
  assert.deepEqual(stops, starts, `${what}: a Stop for every Start`);
}

test('SIGTERM to the sse, then to the nte: both clean, the tunnel stopped, every Stop accounted', async () => {
  const r = lab();
  try {
    assert.deepEqual(await r.sse.shutdown(), { clean: true });
    assert.deepEqual(await r.nte.shutdown(), { clean: true });
    settled(r, 'sse first');
    assert.ok((r.sseBox.counters['access.drop.draining'] ?? 0) >= 0);
  } finally {
    r.stop();
    r.homes.close();
  }
});

test('SIGTERM to both at once: the StopCCNs cross, each side acknowledges the other\'s while shutting down, both clean', async () => {
  const r = lab();
  try {
    const [a, b] = await Promise.all([r.sse.shutdown(), r.nte.shutdown()]);
    assert.deepEqual([a, b], [{ clean: true }, { clean: true }]);
    settled(r, 'both');
  } finally {
    r.stop();
    r.homes.close();
  }
});

test('SIGTERM to the nte, then to the sse: the LNS stops the tunnel (NAS-Reboot), the sse has nothing left, both clean', async () => {
  const r = lab();
  try {
    assert.deepEqual(await r.nte.shutdown(), { clean: true });
    assert.deepEqual(await r.sse.shutdown(), { clean: true });
    settled(r, 'nte first');
    assert.equal(r.sseBox.relaying().length, 0);
  } finally {
    r.stop();
    r.homes.close();
  }
});
