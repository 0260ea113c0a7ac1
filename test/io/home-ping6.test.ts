/**
 * `pseudonet ping` to an IPv6 address from a home box (`pseudonet up --box home1`), at the
 * BoxProcess level the control endpoint's /ping calls: the home on an in-memory access link
 * against the scripted LNS of test/helpers/home-v6-peer.ts (PPPoE AC, PPP with IPV6CP, an RA
 * per RS, DHCPv6, the server 2001:db8:ffff:1::10 answering Echo Requests). Each ping resolves
 * with the RTT of its own Echo Reply; a destination nobody answers gives no RTT.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { memoryLab, oneIspTopology } from '../helpers/memory-lab.js';
import { ScriptedLns, SERVER6 } from '../helpers/home-v6-peer.js';
import { BoxProcess } from '../../src/io/box.js';
import { parseTopology } from '../../src/config/topology.js';
import { ipv6FromString as ip6 } from '../../src/wire/ipv6.js';

test('ping6 from a home box: BoxProcess.ping with an IPv6 destination answers with the echo\'s RTT', async () => {
  const { clock, open } = memoryLab();
  const t = parseTopology(oneIspTopology(`homes:
  - { name: home1, user: alice@isp-a.example, password: secret, interfaces: { access: acc } }
`).replace('dns: [198.51.100.53]', 'dns: [198.51.100.53]\n    ipv6: { wanPrefixPool: 2001:db8:100::/40, pdPool: 2001:db8:8000::/34, pdLength: 56, dns: [2001:db8:ffff:1::53] }')
    .replace('router: { ispSide: 10.255.0.1, serverSide: 203.0.113.1 }', 'router: { ispSide: 10.255.0.1, serverSide: 203.0.113.1, ispSide6: 2001:db8:ffff::1, serverSide6: 2001:db8:ffff:1::1 }')
    .replace('server: { address: 203.0.113.10, gateway: 203.0.113.1 }', 'server: { address: 203.0.113.10, gateway: 203.0.113.1, address6: 2001:db8:ffff:1::10 }'));
  // The scripted LNS, its home replaced by a bridge to the access segment the home box is on.
  const lns = new ScriptedLns();
  const fromBox: Uint8Array[] = [];
  let homeMac: Uint8Array | undefined;
  const port = open(9)('acc', (f) => {
    homeMac ??= f.slice(6, 12);
    fromBox.push(f.slice());
  }, () => {
    lns.now = clock.now();
    lns.act(() => undefined);
  });
  const bridge = {
    start: (): void => undefined,
    nextTimeout: (): undefined => undefined,
    handleTimeout: (): void => undefined,
    pollEvent: (): undefined => undefined,
    pollTransmit: (): { port: string; frame: Uint8Array } | undefined => {
      const frame = fromBox.shift();
      return frame ? { port: 'access', frame } : undefined;
    },
    // The script addresses its home by a fixed MAC: to the box's own.
    handleFrame: (_port: string, f: Uint8Array): void => {
      const out = f.slice();
      if (homeMac) out.set(homeMac, 0);
      port.send(out);
    },
  };
  Object.defineProperty(lns, 'home', { value: bridge });
  const home = new BoxProcess(t, 'home1', { clock, open: open(1) });
  const pump = setInterval(() => {
    clock.runUntil(clock.now() + 20);
    lns.run(clock.now());
  }, 1);
  try {
    const up = (): boolean => home.events.some((e) => (e.event as { type?: string }).type === 'home-ipv6-up');
    for (let i = 0; i < 2000 && !up(); i++) await new Promise((r) => setTimeout(r, 2));
    assert.ok(up(), `home-ipv6-up: ${JSON.stringify(home.events.map((e) => (e.event as { type?: string }).type))}`);
    const rtts = [await home.ping(SERVER6, 2000), await home.ping(SERVER6, 2000, 200)];
    assert.ok(rtts.every((r) => r !== undefined && r > 0 && r < 1000), `RTTs ${JSON.stringify(rtts)}`);
    assert.equal(lns.kinds().filter((k) => k === 'icmpv6-128').length, 2, 'two Echo Requests reached the LNS');
    // Nobody at that address: no answer within the timeout.
    assert.equal(await home.ping(ip6('2001:db8:ffff:1::99'), 200), undefined);
  } finally {
    clearInterval(pump);
    home.close();
    port.close();
  }
});
