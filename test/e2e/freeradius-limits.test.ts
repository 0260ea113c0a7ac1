/**
 * Session limits from a real RADIUS server (FreeRADIUS 3.2.x, started by the test on
 * loopback high ports, stopped by pid): the LNS ends bob's session at FreeRADIUS's
 * Session-Timeout and carol's at its Idle-Timeout, with those Acct-Terminate-Causes
 * (RFC 2866 §5.10), and sends Interim-Updates at its Acct-Interim-Interval — as FreeRADIUS's
 * own accounting detail file shows.
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

test('FreeRADIUS\'s Session-Timeout, Idle-Timeout and Acct-Interim-Interval are honoured by the LNS', async () => {
  fr = await startFreeRadius({
    users: [
      'alice@isp-a.example Cleartext-Password := "secret"',
      '\tFramed-IP-Address = 198.51.100.10',
      '',
      'bob@isp-a.example Cleartext-Password := "hunter2"',
      '\tFramed-IP-Address = 198.51.100.20,',
      '\tSession-Timeout = 3,',
      '\tAcct-Interim-Interval = 1',
      '',
      'carol@isp-b.example Cleartext-Password := "s3cret"',
      '\tFramed-IP-Address = 100.64.0.20,',
      '\tIdle-Timeout = 2',
      '',
    ].join('\n'),
    debug: true,
  });
  const base = loadTopology('topologies/default.yaml');
  const real = localRadiusRef(fr);
  // The homes stay down once their session ends (one Stop each to look at; redial is test/e2e/redial.test.ts).
  const t = topologySchema.parse({ ...base, homes: base.homes.map((h) => ({ ...h, redial: false })), isps: base.isps.map((i) => ({ ...i, radius: real })) });
  const out = mkdtempSync(path.join(tmpdir(), 'pseudonet-frl-'));
  const lines: string[] = [];
  // No pings before the end of the run (every 10 s, the run lasts 6 s): carol sends nothing.
  const r = await runTopology(t, { durationMs: 6000, realtime: true, out, log: (l) => lines.push(l), pingIntervalMs: 10_000 });
  assert.equal(r.online, 1, `only alice, who has no limit, is online at the end\n${lines.join('\n')}`);
  const of = (u: string) => detailRecordsOf(fr!, u);
  const bob = of('bob@isp-a.example');
  const bobStop = bob.filter((b) => b.includes('Acct-Status-Type = Stop'));
  assert.equal(bobStop.length, 1, bob.join('\n\n'));
  assert.match(bobStop[0]!, /Acct-Terminate-Cause = Session-Timeout/);
  // On the wall clock of a busy machine a timer may fire late: a second at most is allowed.
  assert.match(bobStop[0]!, /Acct-Session-Time = [34]\b/);
  const interims = bob.filter((b) => b.includes('Acct-Status-Type = Interim-Update'));
  assert.ok(interims.length >= 1 && interims.length <= 2, `Interim-Updates at 1 s and 2 s, then the Stop at 3 s (got ${interims.length})`);
  const carolStop = of('carol@isp-b.example').filter((b) => b.includes('Acct-Status-Type = Stop'));
  assert.equal(carolStop.length, 1);
  assert.match(carolStop[0]!, /Acct-Terminate-Cause = Idle-Timeout/);
  assert.match(carolStop[0]!, /Acct-Session-Time = [23]\b/);
  const aliceStop = of('alice@isp-a.example').filter((b) => b.includes('Acct-Status-Type = Stop'));
  assert.ok(aliceStop.every((b) => /Acct-Terminate-Cause = User-Request/.test(b)), 'alice ended only when the run ended');
});
