// The demo's IPv6 part (issue 17 item 5) on the whole network, nothing spliced in: each
// isp-a home's IPV6CP, SLAAC and DHCPv6-PD client against the nte's IPV6CP, RAs and DHCPv6
// server, ping6 through nte → router → server. The demo must print each isp-a home's
// delegated prefix and its ping6, and summary.json must carry "ipv6": {delegatedPrefix,
// pingOk} for those sessions only.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runDemo } from '../../src/sim/demo.js';
import { loadTopology } from '../../src/config/topology.js';
import type { Network } from '../../src/sim/network.js';
import { ipv6PrefixFromString, prefixContains } from '../../src/proto/prefix-pool6.js';

test('demo: each isp-a home prints its delegated prefix and a ping6 to the server; summary.json has ipv6 per IPv6 session only', () => {
  const out = mkdtempSync(path.join(tmpdir(), 'pseudonet-v6-demo-'));
  try {
    const lines: string[] = [];
    let net: Network | undefined;
    const r = runDemo(loadTopology('topologies/default.yaml'), { out, log: (l) => lines.push(l), onNetwork: (n) => (net = n) });
    assert.ok(net);
    assert.deepEqual(net.homes.map((h) => h.cfg.ipv6 !== undefined), [true, true, false], 'home1 and home2 (isp-a) are dual-stack, home3 (isp-b) is not');
    assert.deepEqual(r.problems, []);
    assert.equal(r.ok, true);
    const v6 = r.sessions.map((s) => s.ipv6);
    assert.deepEqual(v6[0], { delegatedPrefix: '2001:db8:8000:1000::/56', pingOk: true }, "alice's fixed Delegated-IPv6-Prefix");
    assert.equal(v6[1]?.pingOk, true);
    const bobText = v6[1]?.delegatedPrefix ?? '';
    const bobPd = ipv6PrefixFromString(bobText);
    assert.ok(bobPd.length === 56 && prefixContains(ipv6PrefixFromString('2001:db8:8000::/34'), bobPd) && bobText !== v6[0]!.delegatedPrefix, `bob: a pool /56 (${bobText})`);
    assert.equal(v6[2], undefined);
    const summary = JSON.parse(readFileSync(path.join(out, 'summary.json'), 'utf8')) as { sessions: Record<string, unknown>[] };
    assert.deepEqual(summary.sessions[0]!.ipv6, { delegatedPrefix: '2001:db8:8000:1000::/56', pingOk: true });
    assert.equal('ipv6' in summary.sessions[2]!, false, 'absent where IPv6 is not on');
    assert.ok(lines.some((l) => /home1 +IPv6 up .*delegated prefix 2001:db8:8000:1000::\/56 +LAN \/64 2001:db8:8000:1000::\/64/.test(l)), lines.join('\n'));
    assert.ok(lines.some((l) => /home2 +ping6 2001:db8:ffff:1::10: 3\/3 answered/.test(l)), lines.join('\n'));
    assert.match(lines.at(-1)!, /IPv6: 2\/2 got a delegated prefix, 2\/2 answered every ping6/);
    // home2 hangs up with an LCP Terminate-Request (the demo's second direction): its prefix is Released first; home1 sent a PADT: none.
    assert.equal(net.isps[0]!.nte.counters['dhcpv6.released'], 1);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
