/**
 * Accounting survives an outage on real sockets: 1,000 sessions (Start, Interim-Update, Stop)
 * while the server is down spill to a spool file, the client even restarts, then the server
 * comes up and its JSON-lines log shows every record exactly once, in order per session.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { UdpRadiusClient, type UdpRadiusClientOptions } from '../../src/io/radius-client.js';
import { startRadiusServer, type RunningRadiusServer } from '../../src/io/radius-server.js';
import { parseRadiusServerConfig } from '../../src/config/radius-file.js';
import { freeUdpPort } from '../helpers/freeradius.js';
import { ipv4FromString } from '../../src/wire/bytes.js';
import { AcctStatusType } from '../../src/wire/radius.js';

const dir = mkdtempSync(path.join(tmpdir(), 'pseudonet-outage-'));
const closers: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of closers.reverse()) await c();
  rmSync(dir, { recursive: true, force: true });
});

async function until(what: string, cond: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('1,000 sessions of accounting through an outage and a client restart: every record logged exactly once, in order per session', async (t) => {
  const authPort = await freeUdpPort();
  const acctPort = await freeUdpPort();
  const spoolFile = path.join(dir, 'spool.jsonl');
  const logFile = path.join(dir, 'accounting.jsonl');
  const options: UdpRadiusClientOptions = {
    servers: [{ name: 'isp-radius', address: '127.0.0.1', authPort, acctPort, secret: 'testing123' }],
    nasIpAddress: ipv4FromString('192.0.2.1'),
    bind: '127.0.0.1',
    initialRtoMs: 100,
    maxRtoMs: 400,
    triesPerServer: 2,
    deadAfterFailures: 1,
    deadTimeMs: 500,
    acctMemoryLimit: 200,
    acctWindow: 64,
    acctProbeIntervalMs: 200,
    spoolFile,
  };
  let client = await UdpRadiusClient.start(options);
  let clientOpen = true;
  closers.push(async () => {
    if (clientOpen) await client.close();
  });
  const sessions = 1000;
  const ip = (s: number) => ipv4FromString('198.51.100.0') + (s % 250) + 1;
  for (let s = 0; s < sessions; s++) client.account({ statusType: AcctStatusType.START, sessionId: `s-${s}`, userName: `user${s}@isp-a.example`, framedIpAddress: ip(s) });
  for (let s = 0; s < sessions; s++) client.account({ statusType: AcctStatusType.INTERIM_UPDATE, sessionId: `s-${s}`, sessionTime: 300, inputOctets: 5 * 2 ** 32 + s, outputOctets: s * 10 });
  for (let s = 0; s < sessions; s++) client.account({ statusType: AcctStatusType.STOP, sessionId: `s-${s}`, sessionTime: 600, inputOctets: 6 * 2 ** 32 + s, outputOctets: s * 20, terminateCause: 1 });
  // The server is down: the first window fails, the server is declared dead, then one record probes.
  await until('the server declared dead', () => client.machine.counters.serverDown === 1, 5000);
  await new Promise((r) => setTimeout(r, 600));
  assert.equal(client.machine.accountingBacklog, 3 * sessions, 'nothing acknowledged, nothing lost');
  // Memory holds at most its bound (200) plus the window (64) that came back from the dead server.
  assert.ok(client.machine.counters.acctSpilled >= 3 * sessions - 200 - 64, `spilled to the file: ${client.machine.counters.acctSpilled}`);
  assert.ok(client.machine.counters.acctProbes >= 1);

  // The client restarts: what was in memory goes in front of the spool; the new one finds all of it.
  await client.close();
  clientOpen = false;
  const spooled = readFileSync(spoolFile, 'utf8').trim().split('\n');
  assert.equal(spooled.length, 3 * sessions, 'all 3,000 records are on disk');
  client = await UdpRadiusClient.start(options);
  clientOpen = true;
  assert.equal(client.machine.accountingBacklog, 3 * sessions);

  // The server comes up on its ports.
  let server: RunningRadiusServer | undefined;
  const config = parseRadiusServerConfig(`clients: [{ address: 127.0.0.1, secret: testing123 }]\naccounting: { file: ${JSON.stringify(logFile)} }\n`);
  server = await startRadiusServer(config, { bind: '127.0.0.1', authPort, acctPort });
  closers.push(async () => server?.close());
  const t0 = Date.now();
  await until('the backlog to drain', () => client.machine.accountingBacklog === 0, 45_000);
  t.diagnostic(`replayed ${3 * sessions} records in ${Date.now() - t0} ms; duplicates the server suppressed: ${server.core.counters.accountingDuplicates}; probes while down: ${client.machine.counters.acctProbes}`);
  assert.ok(existsSync(spoolFile) && readFileSync(spoolFile, 'utf8') === '', 'spool emptied');

  const lines = readFileSync(logFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { sessionId: string; statusType: string; inputOctets?: number; delayTime?: number });
  assert.equal(lines.length, 3 * sessions, `exactly ${3 * sessions} records logged (duplicates suppressed: ${server.core.counters.accountingDuplicates})`);
  const per = new Map<string, typeof lines>();
  for (const l of lines) per.set(l.sessionId, [...(per.get(l.sessionId) ?? []), l]);
  assert.equal(per.size, sessions);
  for (const [s, recs] of per) {
    assert.deepEqual(recs.map((r) => r.statusType), ['Start', 'Interim-Update', 'Stop'], s);
    const n = Number(s.slice(2));
    assert.equal(recs[1]!.inputOctets, 5 * 2 ** 32 + n, 'Gigawords carried through the spool');
    assert.equal(recs[2]!.inputOctets, 6 * 2 ** 32 + n);
  }
  assert.ok(lines.some((l) => (l.delayTime ?? 0) >= 1), 'Acct-Delay-Time tells how long records waited');
});
