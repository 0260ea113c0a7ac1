/**
 * Accounting survives kill -9 (issue 13, item 5): an LNS in a child process accounts to the
 * embedded RADIUS server running as another process (`pseudonet radius`, over UDP on the
 * loopback) through its write-ahead spool, while homes hang up and redial all the time. The
 * child is killed with SIGKILL at random moments — some while the server is stopped
 * (SIGSTOP), so records are certainly in flight — and started again on the same spool.
 * At the end every Start and Stop the LNS had reported is at the server exactly once, and
 * no record is there twice.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { readFileSync as read } from 'node:fs';

const dir = mkdtempSync(path.join(tmpdir(), 'pseudonet-acct-kill-'));
const children: ChildProcess[] = [];
after(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

const HOMES = 12;
const SECRET = 'kill-nine';

function lines(c: ChildProcess, onLine: (l: string) => void): void {
  let buf = '';
  c.stdout!.on('data', (d: Buffer) => {
    buf += d.toString('utf8');
    for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
      onLine(buf.slice(0, nl));
      buf = buf.slice(nl + 1);
    }
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const exited = (c: ChildProcess) => new Promise<void>((r) => (c.exitCode !== null || c.signalCode !== null ? r() : c.once('exit', () => r())));

test('kill -9 of an accounting LNS at random moments, restart on the same spool: every reported Start and Stop at the server exactly once', { timeout: 120_000 }, async () => {
  // The RADIUS server: its own process, its own accounting file (written before each answer).
  const users = Array.from({ length: HOMES }, (_, k) => ({ name: `u${k + 1}@isp-a.example`, password: `p${k + 1}`, pool: 'a' }));
  const cfg = path.join(dir, 'radius.yaml');
  writeFileSync(cfg, JSON.stringify({ clients: [{ name: 'nte-a', address: '127.0.0.1', secret: SECRET }], users, pools: { a: '198.51.100.20-198.51.100.200' }, accounting: { file: path.join(dir, 'server-acct.jsonl') }, listen: { bind: '127.0.0.1', authPort: 0, acctPort: 0 } }));
  const radius = spawn(process.execPath, ['bin/pseudonet.js', 'radius', '--config', cfg, '--quiet'], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(radius);
  const ports = await new Promise<{ auth: number; acct: number }>((resolve, reject) => {
    lines(radius, (l) => {
      const m = /auth (\d+) acct (\d+)/.exec(l);
      if (m) resolve({ auth: Number(m[1]), acct: Number(m[2]) });
    });
    radius.once('exit', () => reject(new Error('radius server exited')));
  });

  const base = parse(read('topologies/default.yaml', 'utf8')) as Record<string, any>;
  const topology = {
    ...base,
    sse: { ...base.sse, lnsLookup: 'static' },
    isps: [{ ...base.isps[0], radius: { address: '127.0.0.1', authPort: ports.auth, acctPort: ports.acct, secret: SECRET }, users: users.map((u) => ({ name: u.name, password: u.password })) }],
    homes: users.map((u, k) => ({ name: `h${k + 1}`, user: u.name, password: u.password, redial: false })),
  };
  const spoolDir = path.join(dir, 'spool');
  const reported = { starts: new Set<string>(), stops: new Set<string>() };
  let replayedTotal = 0;
  const runChild = (mode: 'churn' | 'drain', seed: number): { c: ChildProcess; ready: Promise<void>; drained: Promise<number> } => {
    const c = spawn(process.execPath, ['--import', 'tsx', 'test/helpers/acct-child.ts', JSON.stringify({ topology, spoolDir, mode, seed })], { stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(c);
    let ready!: () => void;
    let drained!: (n: number) => void;
    let failed!: (e: Error) => void;
    const dead = new Promise<never>((_r, reject) => (failed = reject));
    const p = { c, ready: Promise.race([new Promise<void>((r) => (ready = r)), dead]), drained: Promise.race([new Promise<number>((r) => (drained = r)), dead]) };
    c.once('exit', (code, sig) => { if (sig !== 'SIGKILL') failed(new Error(`child exited ${code ?? sig}`)); });
    dead.catch(() => {});
    lines(c, (l) => {
      const [what, arg] = l.split(' ');
      if (what === 'START') reported.starts.add(arg!);
      else if (what === 'STOP') reported.stops.add(arg!);
      else if (what === 'READY') {
        replayedTotal += Number(l.split(' ')[2]);
        ready();
      } else if (what === 'DRAINED') drained(Number(arg));
    });
    return p;
  };

  // Seeded, so a failure can be run again as it was.
  let x = 20261201;
  const rand = (lo: number, hi: number): number => lo + ((x = (Math.imul(x, 1103515245) + 12345) >>> 0) % (hi - lo));
  for (let round = 0; round < 6; round++) {
    const { c, ready } = runChild('churn', round + 1);
    await ready;
    await sleep(rand(1500, 3000));
    const pause = round % 2 === 1;
    if (pause) {
      // The server stops answering: what the LNS accounts now is written ahead and unacknowledged.
      radius.kill('SIGSTOP');
      await sleep(rand(200, 600));
    }
    c.kill('SIGKILL');
    await exited(c);
    if (pause) radius.kill('SIGCONT');
  }
  const { c, drained } = runChild('drain', 99);
  const replayedLast = await drained;
  c.kill('SIGKILL');
  await exited(c);

  assert.ok(reported.starts.size > 30, `${reported.starts.size} sessions came up`);
  assert.ok(reported.stops.size > 20, `${reported.stops.size} sessions ended`);
  assert.ok(replayedTotal > 0, 'some restart found records the killed process had not had acknowledged');
  const server = existsSync(path.join(dir, 'server-acct.jsonl')) ? readFileSync(path.join(dir, 'server-acct.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { statusType: string; sessionId: string }) : [];
  const count = (type: string) => {
    const m = new Map<string, number>();
    for (const a of server) if (a.statusType === type) m.set(a.sessionId, (m.get(a.sessionId) ?? 0) + 1);
    return m;
  };
  const starts = count('Start');
  const stops = count('Stop');
  for (const id of reported.starts) assert.equal(starts.get(id), 1, `Start of ${id} at the server ${starts.get(id) ?? 0} times`);
  for (const id of reported.stops) assert.equal(stops.get(id), 1, `Stop of ${id} at the server ${stops.get(id) ?? 0} times`);
  for (const [id, n] of [...starts, ...stops]) assert.equal(n, 1, `${id} logged ${n} times`);
  // A Stop is never at the server without its Start.
  for (const id of stops.keys()) assert.ok(starts.has(id), `Stop of ${id} without a Start`);
  console.log(`kill -9: ${reported.starts.size} Starts and ${reported.stops.size} Stops reported over 6 kills; ${replayedTotal} records replayed after restarts (${replayedLast} in the last); server log ${server.length} lines, no duplicate`);
  radius.kill('SIGTERM');
  await exited(radius);
});
