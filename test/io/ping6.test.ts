/**
 * `pseudonet ping` to an IPv6 address, at the BoxProcess level (what the control endpoint's
 * /ping calls), with the nte, router and server each a `pseudonet up` box on in-memory
 * links: the server pings the router and nte-a, the router pings the server, nte-a pings
 * the server through the router; an IPv6 ping from a box without IPv6 answers nothing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { memoryLab, oneIspTopology } from '../helpers/memory-lab.js';
import { BoxProcess } from '../../src/io/box.js';
import { parseTopology } from '../../src/config/topology.js';
import { ipv6FromString as ip6 } from '../../src/wire/ipv6.js';

// The helper's one-ISP network with IPv6 on the core and server links.
const TOPOLOGY = oneIspTopology()
  .replace('server: { address: 203.0.113.10, gateway: 203.0.113.1 }', "server: { address: 203.0.113.10, gateway: 203.0.113.1, address6: '2001:db8:ffff:1::10', interfaces: { server: srv } }")
  .replace('router: { ispSide: 10.255.0.1, serverSide: 203.0.113.1 }', "router: { ispSide: 10.255.0.1, serverSide: 203.0.113.1, ispSide6: '2001:db8:ffff::1', serverSide6: '2001:db8:ffff:1::1', interfaces: { core: core0, server: srv } }");

test('ping6 from the server, router and nte boxes (BoxProcess.ping with an IPv6 destination)', async () => {
  const { clock, open } = memoryLab();
  const t = parseTopology(TOPOLOGY);
  const server = new BoxProcess(t, 'server', { clock, open: open(1) });
  const router = new BoxProcess(t, 'router', { clock, open: open(2) });
  const nte = new BoxProcess(t, 'nte-a', { clock, open: open(3) });
  const sse = new BoxProcess(t, 'sse', { clock, open: open(4) });
  const pump = setInterval(() => clock.runUntil(clock.now() + 20), 1);
  try {
    const rtt = async (p: Promise<number | undefined>): Promise<number | undefined> => p;
    const fromServerToRouter = await rtt(server.ping(ip6('2001:db8:ffff:1::1'), 2000));
    const fromServerToNte = await rtt(server.ping(ip6('2001:db8:ffff::2'), 2000));
    const fromRouter = await rtt(router.ping(ip6('2001:db8:ffff:1::10'), 2000));
    const fromNte = await rtt(nte.ping(ip6('2001:db8:ffff:1::10'), 2000, 100));
    for (const [what, r] of [['server → router', fromServerToRouter], ['server → nte-a', fromServerToNte], ['router → server', fromRouter], ['nte-a → server', fromNte]] as const) {
      assert.ok(r !== undefined && r > 0 && r < 1000, `${what}: ${r}`);
    }
    // The sse has no IPv6 (and no ping): no answer, no throw.
    assert.equal(await sse.ping(ip6('2001:db8:ffff:1::10'), 50), undefined);
    // Nobody at that address: no answer within the timeout.
    assert.equal(await server.ping(ip6('2001:db8:ffff:1::99'), 200), undefined);
  } finally {
    clearInterval(pump);
    for (const b of [server, router, nte, sse]) b.close();
  }
});
