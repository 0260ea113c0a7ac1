// The demo's IPv6 part (issue 17 item 5) before the nte speaks IPv6: a scripted IPv6 peer is
// spliced in at each isp-a home's access edge (test/helpers/home-v6-peer.ts: IPV6CP on our
// RFC 5072 engine with the nte's identifier, an RA per RS, an RFC 8415 DHCPv6 server, the
// server answering ping6), taking the home's IPV6CP and IPv6 frames before the sse sees them.
// Everything else is the real network. The demo must print each isp-a home's delegated prefix
// and its ping6, and summary.json must carry "ipv6": {delegatedPrefix, pingOk} for those
// sessions only. (With the nte's own IPv6, merged from v6nte and v6fwd, no splice is needed.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runDemo } from '../../src/sim/demo.js';
import { loadTopology } from '../../src/config/topology.js';
import type { Network } from '../../src/sim/network.js';
import type { Home } from '../../src/roles/home.js';
import { Ipv6cp, ipv6cpConfig } from '../../src/proto/ipv6cp.js';
import { ipv6cpPacket, PppProtocol } from '../../src/wire/ppp.js';
import { setU16, u16 } from '../../src/wire/bytes.js';
import { pppoeSessionFrame } from '../../src/roles/framing.js';
import type { PppMessage } from '../../src/proto/ppp-common.js';
import { NTE_IID, V6Responder } from '../helpers/home-v6-peer.js';
import { Dhcpv6MessageType as T } from '../../src/wire/dhcpv6.js';

/** Takes a home's IPV6CP and IPv6 frames off its access link and answers them in its place. */
class EdgePeer {
  readonly cp: Ipv6cp;
  readonly v6: V6Responder;
  private ac = new Uint8Array(6);
  private session = 0;
  private started = false;
  private readonly out: Uint8Array[] = [];

  constructor(readonly net: Network, readonly home: Home, prefix: string, raPrefix: string) {
    this.v6 = new V6Responder({ dhcp: { rapidCommit: true, prefix, prefixLength: 56 }, raPrefix });
    this.cp = new Ipv6cp(ipv6cpConfig({ localIdentifier: NTE_IID }), { send: (m: PppMessage) => this.out.push(pppoeSessionFrame(home.cfg.mac, this.ac, this.session, m)), layer: () => {} }, {});
    const orig = home.pollTransmit.bind(home);
    home.pollTransmit = () => {
      for (let t = orig(); t; t = orig()) if (!this.take(t.frame)) return t;
      return undefined;
    };
  }

  private take(f: Uint8Array): boolean {
    if (u16(f, 12) !== 0x8864) return false;
    const protocol = u16(f, 20);
    if (protocol !== PppProtocol.IPV6CP && protocol !== PppProtocol.IPV6) return false;
    this.ac = f.slice(0, 6);
    this.session = u16(f, 16);
    const info = f.slice(22, 20 + u16(f, 18));
    const now = this.net.clock.now();
    if (protocol === PppProtocol.IPV6CP) {
      if (!this.started) {
        this.started = true;
        this.cp.open(now);
        this.cp.up(now);
      }
      const p = ipv6cpPacket.parse(info);
      if (p.ok) this.cp.input(p.value, now, info);
    } else for (const r of this.v6.handle(info, now)) this.out.push(this.frame(r));
    // Delivered a millisecond later, from the clock (not from inside the home's own pollTransmit).
    this.net.clock.setTimer(now + 1, () => this.net.act(this.home.cfg.name, (n) => {
      for (const x of this.out.splice(0)) this.home.handleFrame('access', x, n);
    }));
    return true;
  }

  private frame(packet: Uint8Array): Uint8Array {
    const f = new Uint8Array(22 + packet.length);
    f.set(this.home.cfg.mac, 0);
    f.set(this.ac, 6);
    setU16(f, 12, 0x8864);
    f[14] = 0x11;
    setU16(f, 16, this.session);
    setU16(f, 18, 2 + packet.length);
    setU16(f, 20, PppProtocol.IPV6);
    f.set(packet, 22);
    return f;
  }
}

test('demo: each isp-a home prints its delegated prefix and a ping6 to the server; summary.json has ipv6 per IPv6 session only', () => {
  const out = mkdtempSync(path.join(tmpdir(), 'pseudonet-v6home-demo-'));
  try {
    const lines: string[] = [];
    const peers: EdgePeer[] = [];
    const r = runDemo(loadTopology('topologies/default.yaml'), {
      out, log: (l) => lines.push(l),
      onNetwork: (net) => {
        const plan: Record<string, [string, string]> = { home1: ['2001:db8:8000:1000::', '2001:db8:100:10::'], home2: ['2001:db8:8000:1100::', '2001:db8:100:11::'] };
        for (const h of net.homes) if (h.cfg.ipv6) peers.push(new EdgePeer(net, h, ...plan[h.cfg.name]!));
      },
    });
    assert.equal(peers.length, 2, 'home1 and home2 (isp-a) are dual-stack, home3 (isp-b) is not');
    assert.deepEqual(r.problems, []);
    assert.equal(r.ok, true);
    assert.deepEqual(r.sessions.map((s) => s.ipv6), [
      { delegatedPrefix: '2001:db8:8000:1000::/56', pingOk: true },
      { delegatedPrefix: '2001:db8:8000:1100::/56', pingOk: true },
      undefined,
    ]);
    const summary = JSON.parse(readFileSync(path.join(out, 'summary.json'), 'utf8')) as { sessions: Record<string, unknown>[] };
    assert.deepEqual(summary.sessions[0]!.ipv6, { delegatedPrefix: '2001:db8:8000:1000::/56', pingOk: true });
    assert.equal('ipv6' in summary.sessions[2]!, false, 'absent where IPv6 is not on');
    assert.ok(lines.some((l) => /home1 +IPv6 up .*delegated prefix 2001:db8:8000:1000::\/56 +LAN \/64 2001:db8:8000:1000::\/64/.test(l)), lines.join('\n'));
    assert.ok(lines.some((l) => /home2 +ping6 2001:db8:ffff:1::10: 3\/3 answered/.test(l)), lines.join('\n'));
    assert.match(lines.at(-1)!, /IPv6: 2\/2 got a delegated prefix, 2\/2 answered every ping6/);
    // home2 hangs up with an LCP Terminate-Request (the demo's second direction): its prefix is Released first; home1 sent a PADT: none.
    assert.deepEqual(peers[1]!.v6.dhcp!.types(), [T.SOLICIT, T.RELEASE]);
    assert.deepEqual(peers[0]!.v6.dhcp!.types(), [T.SOLICIT]);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
