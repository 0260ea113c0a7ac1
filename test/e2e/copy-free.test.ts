/**
 * The data path copies no payload (issue 15): a ping from a home to the server and its reply
 * cross home → sse → nte → router → server and back in the one packet buffer the home built:
 * the server turns the Echo Request round in place, and every box writes its headers in front
 * of the packet in place.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { Network } from '../../src/sim/network.js';
import { loadTopology } from '../../src/config/topology.js';
import { withHomes } from '../../src/config/generate.js';
import { VirtualClock } from '../../src/sim/clock.js';
import { ipv4FromString } from '../../src/wire/bytes.js';
import { packetBufferCounters } from '../../src/wire/packet-buffer.js';
import { Nte } from '../../src/roles/nte.js';
import { RouterBox } from '../../src/roles/router-box.js';

test('copy-free: a relayed ping and its reply travel in the one buffer the home built (the server turns the request round in place)', () => {
  const clock = new VirtualClock(Date.UTC(2026, 0, 1));
  const net = new Network(withHomes(loadTopology('topologies/default.yaml'), 20), { clock });
  for (const h of net.homes) net.act(h.cfg.name, (now) => h.start(now));
  clock.runUntil(clock.now() + 30_000);
  const server = ipv4FromString(net.topology.server.address);
  // One ping each first, so that ARP on every Ethernet hop has resolved.
  for (const h of net.homes) net.act(h.cfg.name, (now) => h.ping(server, 1, now, 56));
  clock.runUntil(clock.now() + 1000);
  let replies = 0;
  net.onEvent((e) => {
    if (e.kind === 'home' && e.event.type === 'ip' && e.event.event.kind === 'echo-reply') replies++;
  });
  const built = (): number => packetBufferCounters.cells + packetBufferCounters.own;
  const before = built();
  const relayed = (net.sse.counters['relay.up'] ?? 0) + (net.sse.counters['relay.down'] ?? 0);
  const ROUNDS = 5;
  for (let s = 2; s < 2 + ROUNDS; s++) {
    for (const h of net.homes) net.act(h.cfg.name, (now) => h.ping(server, s, now, 56));
    clock.runUntil(clock.now() + 100);
  }
  const pings = ROUNDS * net.homes.length;
  assert.equal(replies, pings, 'every ping answered');
  assert.equal((net.sse.counters['relay.up'] ?? 0) + (net.sse.counters['relay.down'] ?? 0) - relayed, 2 * pings, 'each ping and reply relayed by the sse');
  assert.equal(built() - before, pings, 'one buffer for each ping, its reply in the same one, none on the way');
  assert.equal(net.sse.counters['relay.up.copied'], undefined, 'sse: no copy toward the LNS, of the pings nor of the PPP control frames relayed before them');
  const boxes = [...net.drivers.values()].map((d) => d.box);
  for (const b of boxes) {
    if (b instanceof Nte) {
      assert.equal(b.counters['data.copied-for-headroom'], undefined, `${b.name}: no copy toward the subscriber`);
      assert.equal(b.router.counters.headroomCopies, 0, `${b.name}: no copy toward the core`);
    }
    if (b instanceof RouterBox) assert.equal(b.router.counters.headroomCopies, 0, 'router: no copy');
  }
  net.close();
});
