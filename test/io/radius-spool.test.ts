/**
 * The write-ahead accounting spool (src/io/radius-spool.ts) on its own: a record stays in
 * the file from `record` until `acknowledge`, whatever happens in between; a reopened file
 * gives back exactly the unacknowledged records, in order, unchanged; a torn last line is
 * cut off; the file is emptied when everything is acknowledged and compacted when large;
 * spilled records come back from their place in the file; and the RADIUS client replays
 * what a killed process left before anything new, under the same Acct-Session-Id.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FileSpool } from '../../src/io/radius-spool.js';
import { RadiusClient, type AccountingRecord } from '../../src/proto/radius-client.js';

const dir = mkdtempSync(path.join(tmpdir(), 'pseudonet-spool-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const file = (): string => path.join(dir, `s${++n}.spool`);

function rec(seq: number, sessionId = `s-${seq}`): AccountingRecord {
  // Interim-Updates: the journal's mechanics, apart from the open-session Stops tested below.
  return { seq, createdAt: 1000 + seq, statusType: 3, sessionId, userName: 'alice@isp-a.example', framedIpAddress: 0xc6336410, class: [Uint8Array.of(1, 2, 3)] };
}

test('a record is in the file from record() until acknowledge(), and a reopen finds exactly the unacknowledged ones, unchanged, in order', () => {
  const f = file();
  const s = new FileSpool(f, { fsync: false, commitPerTurn: false });
  for (let i = 0; i < 5; i++) s.record(rec(i));
  s.commit();
  s.acknowledge(rec(1));
  s.acknowledge(rec(3));
  s.commit();
  // kill -9 here: nothing is closed.
  const again = new FileSpool(f, { fsync: false, commitPerTurn: false });
  assert.deepEqual(again.pending().map((r) => r.seq), [0, 2, 4]);
  assert.equal(again.counters.recovered, 3);
  assert.equal(again.maxSeq, 4);
  const s2 = new FileSpool(f);
  assert.deepEqual(s2.pending()[1], rec(2), 'the record comes back byte for byte (class octets too)');
  s.close();
  again.close();
  s2.close();
});

test('what is not committed yet is not on disk; commit() writes it (one write per turn, not per record)', () => {
  const f = file();
  const s = new FileSpool(f, { commitPerTurn: false });
  s.record(rec(0));
  s.record(rec(1));
  assert.equal(statSync(f).size, 0);
  s.commit();
  assert.ok(statSync(f).size > 0);
  assert.equal(s.counters.commits, 1);
  assert.equal(s.counters.fsyncs, 1);
  s.close();
});

test('the end of the event-loop turn commits by itself', async () => {
  const f = file();
  const s = new FileSpool(f);
  s.record(rec(0));
  await new Promise((r) => setImmediate(r));
  await new Promise((r) => setImmediate(r));
  assert.equal(new FileSpool(f).pending().length, 1);
  s.close();
});

test('a torn last line (killed mid-append) is cut off; the records before it survive', () => {
  const f = file();
  const s = new FileSpool(f, { commitPerTurn: false });
  s.record(rec(0));
  s.record(rec(1));
  s.close();
  appendFileSync(f, 'R{"seq":2,"sessionId":"s-2","stat');
  const again = new FileSpool(f, { commitPerTurn: false });
  assert.deepEqual(again.pending().map((r) => r.seq), [0, 1]);
  assert.equal(again.counters.tornTail, 1);
  again.record(rec(2));
  again.close();
  assert.deepEqual(new FileSpool(f).pending().map((r) => r.seq), [0, 1, 2], 'the next append did not join the torn line');
});

test('the file is emptied once everything is acknowledged, and compacted when large with little left', () => {
  const f = file();
  const s = new FileSpool(f, { fsync: false, commitPerTurn: false });
  for (let i = 0; i < 100; i++) s.record(rec(i));
  s.commit();
  for (let i = 0; i < 100; i++) s.acknowledge(rec(i));
  s.commit();
  assert.equal(statSync(f).size, 0);
  assert.equal(s.counters.truncations, 1);
  // Large file, few unacknowledged: rewritten with just those.
  const big = 'x'.repeat(2000);
  for (let i = 100; i < 3100; i++) s.record({ ...rec(i), userName: big });
  s.commit();
  for (let i = 100; i < 3100; i++) if (i % 500 !== 0) s.acknowledge(rec(i));
  s.commit();
  assert.ok(s.counters.compactions >= 1, JSON.stringify(s.counters));
  assert.ok(statSync(f).size < 100_000, `compacted to ${statSync(f).size} bytes`);
  s.close();
  assert.deepEqual(new FileSpool(f).pending().map((r) => r.seq), [500, 1000, 1500, 2000, 2500, 3000]);
});

test('as the client\'s overflow: spilled records come back from their place in the file, oldest first', () => {
  const f = file();
  const s = new FileSpool(f, { fsync: false, commitPerTurn: false });
  s.append([rec(0), rec(1), rec(2)]);
  assert.equal(s.length, 3);
  assert.deepEqual(s.take(2).map((r) => r.seq), [0, 1]);
  assert.equal(s.length, 1);
  assert.deepEqual(s.take(5), [rec(2)]);
  assert.equal(s.unacknowledged, 3, 'taken is not acknowledged: still in the file');
  s.close();
});

test('the RADIUS client replays what a killed process left first, same Acct-Session-Id, numbering on from there; acknowledged records leave the file', () => {
  const f = file();
  const cfg = { servers: [{ address: '127.0.0.1', secret: 's' }], nasIdentifier: 'nte-a', random: (k: number) => new Uint8Array(k).fill(7) };
  const s1 = new FileSpool(f, { fsync: false, commitPerTurn: false });
  const c1 = new RadiusClient({ ...cfg, spool: s1, journal: s1 });
  c1.account({ statusType: 1, sessionId: 'nte-a-1', userName: 'alice@isp-a.example' }, 10);
  c1.account({ statusType: 2, sessionId: 'nte-a-1', userName: 'alice@isp-a.example' }, 20);
  s1.commit();
  // Killed before any answer.
  const s2 = new FileSpool(f, { fsync: false, commitPerTurn: false });
  const c2 = new RadiusClient({ ...cfg, spool: s2, journal: s2 });
  assert.equal(c2.counters.acctReplayed, 2);
  assert.equal(c2.nextTimeout(), 0, 'replay starts at the first timeout, at once');
  c2.handleTimeout(1000);
  const sent = c2.pollTransmit();
  assert.ok(sent);
  const r = c2.account({ statusType: 1, sessionId: 'nte-a-2' }, 1000);
  assert.equal(r.seq, 2, 'numbers go on after the replayed ones');
  // The Start of nte-a-1 went out first (one record per session in flight).
  assert.ok(Buffer.from(sent.bytes).includes(Buffer.from('nte-a-1')));
  assert.equal(c2.accountingBacklog, 3);
  s2.commit();
  // A third process: nte-a-2 was left open (its Start journalled, no Stop), so it gets a Stop of its own, NAS-Reboot.
  const third = new FileSpool(f).pending();
  assert.deepEqual(third.map((x) => [x.seq, x.sessionId, x.statusType]), [[0, 'nte-a-1', 1], [1, 'nte-a-1', 2], [2, 'nte-a-2', 1], [3, 'nte-a-2', 2]]);
  assert.equal(third[3]!.terminateCause, 11, 'Acct-Terminate-Cause NAS-Reboot (RFC 2866 §5.10)');
  s1.close();
  s2.close();
});

test('the file reads as lines: R + JSON for a record, A + seq for its acknowledgement', () => {
  const f = file();
  const s = new FileSpool(f, { commitPerTurn: false });
  s.record(rec(7));
  s.record(rec(8));
  s.acknowledge(rec(7));
  s.close();
  const lines = readFileSync(f, 'utf8').trim().split('\n');
  assert.equal(lines.length, 3);
  assert.ok(lines[0]!.startsWith('R{') && JSON.parse(lines[0]!.slice(1)).seq === 7);
  assert.equal(lines[2], 'A7');
});

test('sessions up when the process died get a Stop at the restart: NAS-Reboot, once, journalled, after compaction too', () => {
  const f = file();
  const start = (seq: number, sessionId: string): AccountingRecord => ({ seq, createdAt: Date.now() - 60_000, statusType: 1, sessionId, userName: `${sessionId}@isp-a.example`, framedIpAddress: 0xc6336400 + seq });
  const s1 = new FileSpool(f, { fsync: false, commitPerTurn: false });
  for (let i = 0; i < 4; i++) s1.record(start(i, `x-${i}`));
  // x-1 ended normally; every record was answered.
  s1.record({ ...start(4, 'x-1'), statusType: 2, terminateCause: 1 });
  for (let i = 0; i < 5; i++) s1.acknowledge({ ...start(i, '') });
  s1.commit();
  assert.ok(statSync(f).size > 0, 'the file is not emptied while sessions are open');
  // kill -9. The next process sends a Stop for x-0, x-2 and x-3, and only for them.
  const s2 = new FileSpool(f, { fsync: false, commitPerTurn: false });
  const left = s2.pending();
  assert.deepEqual(left.map((r) => [r.sessionId, r.statusType, r.terminateCause]), [['x-0', 2, 11], ['x-2', 2, 11], ['x-3', 2, 11]]);
  assert.equal(s2.counters.stoppedAtRestart, 3);
  assert.deepEqual(left.map((r) => r.seq), [5, 6, 7], 'numbered after everything in the file');
  assert.equal(left[0]!.userName, 'x-0@isp-a.example');
  assert.equal(left[0]!.framedIpAddress, 0xc6336400);
  assert.ok(left[0]!.sessionTime! >= 59 && left[0]!.sessionTime! <= 3600, `session time to the file's last write (${left[0]!.sessionTime} s)`);
  s2.commit();
  // Killed again before those Stops were answered: they are pending again, not made twice.
  const s3 = new FileSpool(f, { fsync: false, commitPerTurn: false });
  assert.deepEqual(s3.pending().map((r) => [r.seq, r.sessionId]), [[5, 'x-0'], [6, 'x-2'], [7, 'x-3']]);
  assert.equal(s3.counters.stoppedAtRestart, 0);
  for (const r of [5, 6, 7]) s3.acknowledge({ ...start(r, '') });
  s3.commit();
  assert.equal(statSync(f).size, 0, 'all sessions closed and answered: the file is empty again');
  s1.close();
  s2.close();
  s3.close();
});

test('with fsyncInBackground the commit writes at once (a kill -9 loses nothing) and whenDurable waits for the fsync, in commit order', async () => {
  const f = file();
  const s = new FileSpool(f, { commitPerTurn: false, fsyncInBackground: true });
  const order: string[] = [];
  s.whenDurable(() => order.push('nothing pending'));
  assert.deepEqual(order, ['nothing pending'], 'nothing committed since the last fsync: at once');
  s.record(rec(0));
  s.commit();
  assert.match(readFileSync(f, 'utf8'), /^R\{.*"seq":0/, 'the line is in the file when commit() returns, before any fsync');
  assert.equal(s.counters.fsyncs, 0, 'the fsync did not run inside commit()');
  s.whenDurable(() => order.push('first'));
  s.record(rec(1));
  s.commit();
  s.whenDurable(() => order.push('second'));
  assert.deepEqual(order, ['nothing pending'], 'nobody is told before an fsync returned');
  // A kill -9 now: a reopen finds both records.
  assert.deepEqual(new FileSpool(f, { fsync: false, commitPerTurn: false }).pending().map((r) => r.seq), [0, 1]);
  for (let i = 0; i < 200 && order.length < 3; i++) await new Promise((r) => setTimeout(r, 5));
  assert.deepEqual(order, ['nothing pending', 'first', 'second']);
  assert.ok(s.counters.fsyncs >= 1 && s.counters.fsyncs <= 2, `one fsync in flight at a time covers both commits (${s.counters.fsyncs})`);
  s.close();
});

test('fsyncIntervalMs: the commits made within the interval share the one fsync after it, and their waiters are told then', async () => {
  const f = file();
  const s = new FileSpool(f, { commitPerTurn: false, fsyncInBackground: true, fsyncIntervalMs: 200 });
  const until = async (ok: () => boolean): Promise<void> => {
    for (let i = 0; i < 400 && !ok(); i++) await new Promise((r) => setTimeout(r, 5));
  };
  s.record(rec(0));
  // Read before the commit, so that a pause of this process after it cannot shorten the interval seen.
  const firstAt = performance.now();
  s.commit();
  await until(() => s.counters.fsyncs === 1);
  assert.equal(s.counters.fsyncs, 1, 'the first fsync starts at once');
  let toldAt: number | undefined;
  for (let i = 1; i <= 5; i++) {
    s.record(rec(i));
    s.commit();
    await new Promise((r) => setImmediate(r));
  }
  s.whenDurable(() => (toldAt = performance.now()));
  assert.equal(s.counters.fsyncs, 1, 'no fsync within the interval');
  assert.deepEqual(new FileSpool(f, { fsync: false, commitPerTurn: false }).pending().map((r) => r.seq), [0, 1, 2, 3, 4, 5], 'written at each commit all the same');
  await until(() => toldAt !== undefined);
  assert.equal(s.counters.fsyncs, 2, 'one fsync for the five commits');
  assert.ok(toldAt! - firstAt >= 195, `told after the interval (${(toldAt! - firstAt).toFixed(0)} ms)`);
  // A commit waiting for its interval when the spool closes: durable at close, its waiter told.
  s.record(rec(6));
  s.commit();
  let told = false;
  s.whenDurable(() => (told = true));
  s.close();
  assert.equal(told, true);
  assert.deepEqual(new FileSpool(f, { fsync: false, commitPerTurn: false }).pending().map((r) => r.seq), [0, 1, 2, 3, 4, 5, 6]);
});

test('close() with a background fsync in flight makes everything durable and tells every waiter', () => {
  const f = file();
  const s = new FileSpool(f, { commitPerTurn: false, fsyncInBackground: true });
  s.record(rec(0));
  s.commit();
  let told = false;
  s.whenDurable(() => (told = true));
  s.record(rec(1));
  s.close();
  assert.equal(told, true);
  assert.deepEqual(new FileSpool(f, { fsync: false, commitPerTurn: false }).pending().map((r) => r.seq), [0, 1]);
});
