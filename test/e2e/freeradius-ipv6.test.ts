/**
 * The IPv6 RADIUS attributes against real FreeRADIUS (Debian 3.2.x, started on loopback high
 * ports, stopped by pid): FreeRADIUS's Access-Accept gives bob a Framed-IPv6-Prefix (RFC 3162)
 * and a Delegated-IPv6-Prefix (RFC 4818) in its own encoding; the nte takes them (they are in
 * the session's accounting), and FreeRADIUS decodes our Accounting-Request attributes back to
 * the same prefixes in its detail file. Alice, with none, gets pool prefixes.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { detailRecordsOf, localRadiusRef, startFreeRadius, type FreeRadius } from '../helpers/freeradius.js';
import { runTopology } from '../../src/cli/run.js';
import { loadTopology, topologySchema } from '../../src/config/topology.js';

let fr: FreeRadius | undefined;
after(async () => {
  await fr?.stop();
});

test("FreeRADIUS's Framed-IPv6-Prefix and Delegated-IPv6-Prefix are taken by the nte and come back in accounting, decoded by FreeRADIUS", async () => {
  fr = await startFreeRadius({
    users: [
      'alice@isp-a.example Cleartext-Password := "secret"',
      '\tFramed-IP-Address = 198.51.100.10',
      '',
      'bob@isp-a.example Cleartext-Password := "hunter2"',
      '\tFramed-IPv6-Prefix = 2001:db8:100:77::/64,',
      '\tDelegated-IPv6-Prefix = 2001:db8:8000:7700::/56',
      '',
      'carol@isp-b.example Cleartext-Password := "s3cret"',
      '',
    ].join('\n'),
    debug: true,
  });
  const base = loadTopology('topologies/default.yaml');
  const real = localRadiusRef(fr);
  // The users' fixed prefixes are FreeRADIUS's now, not the topology's.
  const t = topologySchema.parse({ ...base, isps: base.isps.map((i) => ({ ...i, radius: real, users: i.users.map((u) => ({ name: u.name, password: u.password, ...(u.ip ? { ip: u.ip } : {}) })) })) });
  const out = mkdtempSync(path.join(tmpdir(), 'v6nte-fr6-'));
  const lines: string[] = [];
  const r = await runTopology(t, { durationMs: 3000, realtime: true, out, log: (l) => lines.push(l), pingIntervalMs: 1000 });
  assert.equal(r.online, 3, lines.join('\n'));
  const of = (user: string, status: string) => detailRecordsOf(fr!, user).filter((b) => b.includes(`Acct-Status-Type = ${status}`));
  for (const status of ['Start', 'Stop']) {
    const bob = of('bob@isp-a.example', status);
    assert.equal(bob.length, 1, `${status} for bob`);
    assert.match(bob[0]!, /Framed-IPv6-Prefix = 2001:db8:100:77::\/64/, `bob's ${status}: FreeRADIUS's /64 back`);
    assert.match(bob[0]!, /Delegated-IPv6-Prefix = 2001:db8:8000:7700::\/56/, `bob's ${status}: FreeRADIUS's /56 back`);
    const alice = of('alice@isp-a.example', status);
    assert.match(alice[0]!, /Framed-IPv6-Prefix = 2001:db8:1[0-9a-f]{2}:[0-9a-f:]*\/64/, "alice's pool /64");
    assert.match(alice[0]!, /Delegated-IPv6-Prefix = 2001:db8:[89a-f][0-9a-f:]*\/56/, "alice's pool /56");
    assert.doesNotMatch(of('carol@isp-b.example', status)[0]!, /IPv6/, 'isp-b: IPv4 only');
  }
});
