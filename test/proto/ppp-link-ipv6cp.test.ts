// IPV6CP inside a whole PPP link (RFC 5072 on RFC 1661 §3.7): both NCPs run in the Network
// phase, each comes up on its own, and the link closes only when every configured NCP gave up.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VirtualClock } from '../../src/sim/clock.js';
import { PppLink, pppLinkConfig, type PppLinkConfig } from '../../src/proto/ppp-link.js';
import { authenticatorConfig, peerConfig, type SecretLookup } from '../../src/proto/ppp-auth.js';
import { ipcpConfig } from '../../src/proto/ipcp.js';
import { ipv6cpConfig } from '../../src/proto/ipv6cp.js';
import { PppProtocol } from '../../src/wire/ppp.js';
import { fromHex, ipv4FromString as ip, textBytes } from '../../src/wire/bytes.js';
import { ipv6ToString } from '../../src/wire/ipv6.js';
import { Pair } from '../helpers/ppp-pair.js';

const users: SecretLookup = (n) => (new TextDecoder().decode(n) === 'user@isp-a.example' ? textBytes('secret') : undefined);
const HOME_ID = fromHex('0211223344556677');
const NTE_ID = fromHex('0000000000000001');

function home(c: { ipv4?: boolean; ipv6?: boolean } = {}): PppLinkConfig {
  return pppLinkConfig({
    lcp: { echoIntervalMs: 0 },
    credentials: peerConfig({ name: 'user@isp-a.example', secret: 'secret' }),
    ...(c.ipv4 === false ? {} : { ipcp: ipcpConfig({ requestDns: true }) }),
    ...(c.ipv6 === false ? {} : { ipv6cp: ipv6cpConfig({ localIdentifier: HOME_ID }) }),
  });
}

function nte(c: { ipv4?: boolean; ipv6?: boolean } = {}): PppLinkConfig {
  return pppLinkConfig({
    lcp: { authenticate: ['chap-md5'], echoIntervalMs: 0 },
    authenticator: authenticatorConfig({ name: 'lab-lns', verify: 'local', secretFor: users }),
    ...(c.ipv4 === false ? {} : { ipcp: ipcpConfig({ localAddress: ip('10.0.0.1'), peerAddress: ip('198.51.100.10') }) }),
    ...(c.ipv6 === false ? {} : { ipv6cp: ipv6cpConfig({ localIdentifier: NTE_ID }) }),
  });
}

test('dual stack: IPCP and IPV6CP both come up; the link-local addresses are fe80:: + the identifiers (RFC 5072 §5)', () => {
  const clock = new VirtualClock();
  const p = new Pair(clock, new PppLink(nte()), new PppLink(home()));
  p.start();
  clock.runUntil(10_000);
  for (const side of ['a', 'b'] as const) assert.deepEqual(p.eventTypes(side).sort(), ['authenticated', 'ipcp-up', 'ipv6cp-up', 'lcp-up']);
  const up = p.events.find((e) => e.side === 'b' && e.e.type === 'ipv6cp-up')!.e;
  assert.ok(up.type === 'ipv6cp-up');
  assert.equal(ipv6ToString(up.negotiated.localLinkLocal!), 'fe80::211:2233:4455:6677');
  assert.equal(ipv6ToString(up.negotiated.peerLinkLocal!), 'fe80::1');
  // No IPV6CP packet before authentication finished (RFC 1661 §3.5 Network phase).
  const firstV6 = p.trace.findIndex((t) => t.m.protocol === PppProtocol.IPV6CP);
  const lastChap = p.trace.map((t) => t.m.protocol).lastIndexOf(PppProtocol.CHAP);
  assert.ok(firstV6 > lastChap, `IPV6CP at ${firstV6}, last CHAP at ${lastChap}`);
});

test('IPv6 data is handed to the caller only once IPV6CP is Opened; before that it is dropped and counted', () => {
  const clock = new VirtualClock();
  const h = new PppLink(home());
  h.start(0);
  const packet = new Uint8Array(40);
  packet[0] = 0x60;
  assert.equal(h.handleFrame(PppProtocol.IPV6, packet, 0), true, 'consumed (dropped) before IPV6CP');
  assert.equal(h.counters['ppp.ipv6-before-ipv6cp'], 1);
  const p = new Pair(clock, new PppLink(nte()), new PppLink(home()));
  p.start();
  clock.runUntil(10_000);
  assert.equal(p.b.handleFrame(PppProtocol.IPV6, packet, clock.now()), false, 'for the caller to route');
});

test('dual-stack home against an IPv4-only LNS: IPV6CP is Protocol-Rejected, IPCP stays up, LCP stays open', () => {
  const clock = new VirtualClock();
  const p = new Pair(clock, new PppLink(nte({ ipv6: false })), new PppLink(home()));
  p.start();
  clock.runUntil(60_000);
  const rejects = p.trace.filter((t) => t.from === 'a' && t.m.protocol === PppProtocol.LCP && t.m.packet.kind === 'proto-rej');
  assert.ok(rejects.length >= 1);
  const r = rejects[0]!.m.packet;
  assert.ok(r.kind === 'proto-rej' && r.protocol === PppProtocol.IPV6CP);
  assert.ok(!p.eventTypes('b').includes('ipv6cp-up'));
  assert.ok(p.eventTypes('b').includes('ipcp-up'));
  assert.ok(!p.eventTypes('b').includes('finished'), 'the link is not closed while IPCP carries traffic');
  assert.equal(p.b.lcp.opened, true);
  assert.equal(p.b.ipcp!.opened, true);
  assert.equal(p.b.ipv6cp!.state, 3, 'IPV6CP Stopped after the Protocol-Reject (RFC 1661 §4.3 RXJ-)');

});

test('IPv6-only link: when IPV6CP is rejected and there is no IPCP, LCP closes with no-network-protocols', () => {
  const clock = new VirtualClock();
  const p = new Pair(clock, new PppLink(nte({ ipv6: false })), new PppLink(home({ ipv4: false })));
  p.start();
  clock.runUntil(60_000);
  assert.ok(p.eventTypes('b').includes('finished'));
  assert.equal(p.b.lcp.reason, 'no-network-protocols');
});

test('both NCPs failing: the link closes after the second one gives up, not the first', () => {
  const clock = new VirtualClock();
  // The home's IPCP never hears an answer (IPCP lost both ways), while IPV6CP is rejected at once.
  const p = new Pair(clock, new PppLink(nte({ ipv6: false })), new PppLink(home()));
  p.drop = (m) => m.protocol === PppProtocol.IPCP;
  p.start();
  clock.runUntil(5_000);
  assert.equal(p.b.ipv6cp!.state, 3);
  assert.ok(!p.eventTypes('b').includes('finished'), 'IPCP is still trying');
  clock.runUntil(120_000);
  assert.ok(p.eventTypes('b').includes('finished'));
  assert.equal(p.b.lcp.reason, 'no-network-protocols');
});
