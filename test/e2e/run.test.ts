import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { runTopology, parseDuration } from '../../src/cli/run.js';
import { loadTopology } from '../../src/config/topology.js';

test('durations parse, and a bad one is a clear error', () => {
  assert.equal(parseDuration('90'), 90_000);
  assert.equal(parseDuration('5m'), 300_000);
  assert.equal(parseDuration('250ms'), 250);
  assert.equal(parseDuration('1h'), 3_600_000);
  assert.throws(() => parseDuration('five minutes'), /bad duration "five minutes"/);
});

test('run on the virtual clock: ten minutes of pings in well under a second of work per minute', async () => {
  const out = mkdtempSync(path.join(tmpdir(), 'pseudonet-run-'));
  const t0 = performance.now();
  const r = await runTopology(loadTopology('topologies/default.yaml'), { durationMs: 600_000, realtime: false, out, log: () => {} });
  assert.equal(r.ok, true);
  assert.equal(r.online, 3);
  assert.equal(r.pingsSent, 180);
  assert.equal(r.pingsAnswered, 180);
  assert.ok(performance.now() - t0 < 30_000);
  const files = readdirSync(out);
  for (const f of ['access.pcapng', 'accounting.jsonl', 'metrics.prom', 'summary.json']) assert.ok(files.includes(f), f);
  // LCP echo kept the sessions alive for ten minutes: one Start and one Stop each.
  const acct = readFileSync(path.join(out, 'accounting.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(acct.filter((a) => a.statusType === 'Start').length, 3);
  assert.equal(acct.filter((a) => a.statusType === 'Stop').length, 3);
  assert.ok(acct.filter((a) => a.statusType === 'Stop').every((a) => a.sessionTime >= 600));
  // Each LNS wrote its accounting ahead to a spool in the output directory; all acknowledged, so empty.
  for (const f of ['nte-a.acct-spool', 'nte-b.acct-spool']) {
    assert.ok(files.includes(f), f);
    assert.equal(readFileSync(path.join(out, f), 'utf8'), '', `${f} holds nothing unacknowledged`);
  }
  // Events streamed too: one JSON line each.
  const events = readFileSync(path.join(out, 'events.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(events.filter((e) => e.kind === 'home' && e.event.type === 'online').length, 3);
});

test('`pseudonet run --realtime` runs the same network on the wall clock', () => {
  const out = mkdtempSync(path.join(tmpdir(), 'pseudonet-rt-'));
  const p = spawnSync(process.execPath, ['bin/pseudonet.js', 'run', 'topologies/default.yaml', '--duration', '1s', '--realtime', '--out', out], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(p.status, 0, p.stdout + p.stderr);
  assert.equal(JSON.parse(readFileSync(path.join(out, 'summary.json'), 'utf8')).online, 3);
});
