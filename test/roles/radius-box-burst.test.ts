/**
 * The embedded RADIUS box answers a mass dial's first burst in full (issue 15, "no warm-up
 * tail"): a NAS whose MAC the server has not learnt yet sends 300 Access-Requests in one go;
 * the server must ARP for the NAS before it can answer (RFC 826: it learns no neighbour from
 * the request), and every Accept has to wait for that resolution, none dropped. A dropped
 * Accept costs the subscriber the NAS's retransmission timeout (RFC 5080 §2.2.1: ~2 s).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadTopology } from '../../src/config/topology.js';
import { withHomes } from '../../src/config/generate.js';
import { build, locate } from '../../src/config/assemble.js';
import { ispPlan } from '../../src/config/derive.js';
import type { RadiusBox } from '../../src/roles/radius-box.js';
import { Host, INFRA_ARP } from '../../src/roles/host.js';
import { RadiusClient } from '../../src/proto/radius-client.js';
import { textBytes } from '../../src/wire/bytes.js';

const BURST = 300;
const SOURCE_PORT = 50000;

test('a burst of Access-Requests from a NAS the server has not resolved yet is answered in full', () => {
  const t = withHomes(loadTopology('topologies/default.yaml'), BURST * 4);
  const isp = t.isps[0]!;
  const plan = ispPlan(t, 0);
  const now = 1_000;
  const box = build(t, locate(t, `${isp.name}-radius`), { now }) as RadiusBox;
  const nas = new Host({ name: 'nas', mac: new Uint8Array([0x02, 0, 0, 0, 0, 1]), address: plan.radiusNte, prefixLength: 24, arp: INFRA_ARP }, now);
  for (let s = 0; s < 4; s++) nas.listenUdp(SOURCE_PORT + s);
  const client = new RadiusClient({ servers: [{ address: '172.16.0.2', secret: textBytes(plan.radiusSecret) }], nasIpAddress: plan.radiusNte });
  assert.equal(plan.radiusServer, 0xac100002, 'the ISP RADIUS server is 172.16.0.2 in this topology');
  const users = isp.users.slice(-BURST);
  assert.equal(users.length, BURST, 'the topology gives the ISP enough generated users');
  for (const u of users) client.accessRequest({ userName: u.name, auth: { type: 'pap', password: u.password } }, now);

  let accepted = 0;
  let rejected = 0;
  // Frames move both ways on the one clock instant: no timer runs, so nothing is retransmitted.
  for (let moved = true; moved; ) {
    moved = false;
    for (let x = client.pollTransmit(); x; x = client.pollTransmit()) {
      nas.sendUdp(x.address, SOURCE_PORT + x.socket, x.port, x.bytes, now);
      moved = true;
    }
    for (let f = nas.pollTransmit(); f; f = nas.pollTransmit()) {
      box.handleFrame(box.port, f.frame, now);
      moved = true;
    }
    for (let f = box.pollTransmit(); f; f = box.pollTransmit()) {
      nas.handle(0, f.frame, now);
      moved = true;
    }
    for (let e = nas.pollEvent(); e; e = nas.pollEvent()) {
      if (e.kind === 'udp') client.handle({ socket: e.dstPort - SOURCE_PORT, address: e.from, port: e.srcPort, bytes: e.payload }, now);
      moved = true;
    }
    for (let e = client.pollEvent(); e; e = client.pollEvent()) {
      if (e.type === 'access-response') e.accepted ? accepted++ : rejected++;
      moved = true;
    }
    while (box.pollEvent() !== undefined) moved = true;
  }
  assert.equal(rejected, 0);
  assert.equal(accepted, BURST, `every Access-Request of the burst answered at once (${BURST - accepted} Accepts lost)`);
  const host = (box.show('counters', now) as { host: { drops: { arpQueueFull: number } } }).host;
  assert.equal(host.drops.arpQueueFull, 0);
  assert.equal(client.counters.retransmits, 0);
});
