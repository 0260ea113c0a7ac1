/**
 * The embedded isp-radius swapped for real FreeRADIUS (Debian 3.2.x, started by the test on
 * loopback high ports from its own raddb copy, stopped by pid): the same homes come up,
 * ping, go down, and FreeRADIUS's own accounting detail file shows every Start and Stop.
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

test('the whole chain with FreeRADIUS as both ISPs\' RADIUS', async () => {
  fr = await startFreeRadius({
    users: [
      'alice@isp-a.example Cleartext-Password := "secret"',
      '\tFramed-IP-Address = 198.51.100.10',
      '',
      'bob@isp-a.example Cleartext-Password := "hunter2"',
      '',
      'carol@isp-b.example Cleartext-Password := "s3cret"',
      '',
    ].join('\n'),
    debug: true,
  });
  const base = loadTopology('topologies/default.yaml');
  const real = localRadiusRef(fr);
  const t = topologySchema.parse({ ...base, isps: base.isps.map((i) => ({ ...i, radius: real })) });
  const out = mkdtempSync(path.join(tmpdir(), 'pseudonet-fr-'));
  const lines: string[] = [];
  const r = await runTopology(t, { durationMs: 1000, realtime: true, out, log: (l) => lines.push(l), pingIntervalMs: 500 });
  assert.equal(r.online, 3, lines.join('\n'));
  assert.equal(r.ok, true, lines.join('\n'));
  assert.ok(lines.some((l) => l === 'home1: online 198.51.100.10'), 'FreeRADIUS gave alice her Framed-IP-Address');
  // FreeRADIUS wrote every record it acknowledged.
  for (const u of ['alice@isp-a.example', 'bob@isp-a.example', 'carol@isp-b.example']) {
    const recs = detailRecordsOf(fr, u);
    assert.ok(recs.some((b) => b.includes('Acct-Status-Type = Start')), `Start for ${u}`);
    assert.ok(recs.some((b) => b.includes('Acct-Status-Type = Stop')), `Stop for ${u}`);
  }
});
