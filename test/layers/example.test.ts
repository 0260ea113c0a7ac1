/** The README's example of driving one box by hand, as written there: it must keep working. */
import test from 'node:test';
import assert from 'node:assert/strict';
import { assemble } from '../../src/config/assemble.js';
import { loadTopology } from '../../src/config/topology.js';
import { Driver } from '../../src/roles/box.js';
import { VirtualClock } from '../../src/sim/clock.js';
import { parseEthernet, EtherType } from '../../src/wire/ethernet.js';

test('one home driven by hand: PADI on its access port, retransmitted while no AC answers', () => {
  const t = loadTopology('topologies/default.yaml');
  const clock = new VirtualClock(0);
  const home = assemble(t, 'home1', { now: clock.now() });
  const sent: { at: number; frame: Uint8Array }[] = [];
  const d = new Driver(clock, home);
  d.attach('access', { send: (frame) => sent.push({ at: clock.now(), frame }) });
  assert.equal(home.kind, 'home');
  if (home.kind === 'home') d.act((now) => home.start(now));
  clock.runUntil(10_000);
  assert.ok(sent.length >= 2, `PADI sent ${sent.length} times`);
  for (const s of sent) {
    const e = parseEthernet(s.frame);
    assert.ok(e.ok);
    assert.equal(e.value.ethertype, EtherType.PPPOE_DISCOVERY);
    assert.equal(s.frame[15], 0x09, 'PADI code'); // RFC 2516 §5.1
  }
  assert.ok(sent[1]!.at > sent[0]!.at, 'a retransmission comes later');
});
