/**
 * Issue 13, accounting survives kill -9 on real interfaces: the sse, an nte-a process and the
 * home emulator (30 homes that redial) run as `pseudonet up` processes in namespaces of
 * their own, on veths; nte-a's RADIUS is a server in a fourth namespace, reached over the
 * LNS's radius link (topology isps[].radius):
 *
 *   [homes ×30] k9-h0 ─veth─ k9-acc [sse] k9-car0 ─veth─ k9-car1 [nte-a] k9-rad0 ─veth─ k9-rad1 RADIUS
 *                                                                      k9-core0 ─veth─ k9-core1
 *
 * Every user has a short Session-Timeout (3–6 s), so sessions start and stop all the time.
 * The nte is killed with SIGKILL three times at random moments (seeded; each once the homes
 * are back) and started again at once on the same --state-dir; the second kill happens
 * while the RADIUS link is down with a record unacknowledged (a restart has records only
 * its spool can deliver), the third while the server is SIGSTOPped (it logs the records
 * from its socket buffer later, and the replay is a duplicate it must not log again). The sse learns that its tunnel is gone only when a control message goes
 * unanswered (a restarted LNS does not know the tunnel's id and cannot answer it), so the
 * topology sets l2tpMaxRetries: 2 (about 3 s) instead of RFC 2661's 5 (about 30 s). At the
 * end the homes hang up, the nte drains and stops, and the server's accounting is read:
 *  - no Start and no Stop is at the server twice (by Acct-Session-Id);
 *  - every session the emulator saw reach IPCP up has a Start (per user, sessions of one
 *    home are one after another: the server holds at least as many distinct Starts as the
 *    emulator saw sessions), and every session nte-a reported up has exactly one Start;
 *  - every session that ended while its nte was running has exactly one Stop (nte-a's
 *    session-ended events; per user, at least as many Stops as such ends).
 * Sessions that were up when their nte was killed end at the home (LCP echo, PADT) but no
 * process is left that could account them: the test counts them and their Stops (none: the
 * restarted nte sends neither a Stop for them nor an Accounting-On — see the report line).
 *
 * Case 1: the embedded server as its own process (`pseudonet radius --config FILE`), its
 * accounting file; it drops a replayed record it has logged. Case 2: FreeRADIUS with rlm_sql
 * on sqlite, radacct's acctuniqueid UNIQUE (the standard deployment's deduplication), plus
 * its detail file to count replays honestly (a replayed record it had logged already is in
 * the detail file twice, and once in radacct).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Lab, ROOT, delay, notRoot, requireAddon, sh, type Proc, type JsonLine } from './lab.js';
import { startFreeRadius, type FreeRadius } from '../helpers/freeradius.js';
import { controlRequest } from '../../src/io/control.js';

const skip = notRoot();
const lab = new Lab();
const work = mkdtempSync(path.join(tmpdir(), 'pseudonet-k9-'));
const HOMES = 30;
const KILLS = 3;
const SECRET = 'k9-radius';
const RADIUS_ADDR = '172.16.0.2';
const NTE_RADIUS_ADDR = '172.16.0.1'; // the RADIUS link of ISP 0 (src/config/derive.ts)
const user = (k: number): string => `user${k}@isp-a.example`;
/** 3..6 s: every home's session ends several times in a run. */
const sessionTimeout = (k: number): number => 3 + (k % 4);

let hns = '', sns = '', nns = '', rns = '';

/** A namespace named k9-<suffix>, removed at cleanup (its veths go with it). */
function ns(suffix: string): string {
  const name = `k9-${suffix}`;
  if (sh('ip', ['netns', 'list']).split('\n').some((l) => l.split(' ')[0] === name)) sh('ip', ['netns', 'del', name]);
  sh('ip', ['netns', 'add', name]);
  lab.atCleanup(() => void sh('ip', ['netns', 'del', name]));
  sh('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
  sh('ip', ['netns', 'exec', name, 'sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1']);
  return name;
}

before(() => {
  if (skip) return;
  requireAddon();
  hns = ns('h');
  sns = ns('s');
  nns = ns('n');
  rns = ns('r');
  lab.veth(hns, 'k9-h0', sns, 'k9-acc');
  lab.veth(sns, 'k9-car0', nns, 'k9-car1');
  lab.veth(nns, 'k9-core0', nns, 'k9-core1');
  lab.veth(nns, 'k9-rad0', rns, 'k9-rad1');
  lab.exec(rns, 'ip', ['addr', 'add', `${RADIUS_ADDR}/24`, 'dev', 'k9-rad1']);
});

after(async () => {
  if (skip) return;
  const errs = await lab.cleanup();
  // Every process's lines, for a post-mortem (kept with PSEUDONET_KEEP_TMP=1).
  for (const p of lab.procs) writeFileSync(path.join(work, `${p.name}.${p.pid}.jsonl`), p.lines.map((l) => JSON.stringify(l)).join('\n') + '\n' + p.stderr);
  if (!process.env.PSEUDONET_KEEP_TMP) rmSync(work, { recursive: true, force: true });
  else console.error(`kill9: files in ${work}`);
  assert.deepEqual(errs, []);
}, { timeout: 60_000 });

function topology(dir: string, radius: { authPort: number; acctPort: number }): string {
  const file = path.join(dir, 'topology.yaml');
  const homes = Array.from({ length: HOMES }, (_, i) => `  - { name: h${i + 1}, user: ${user(i + 1)}, password: p${i + 1}, redial: { holdoff: 0.5, maxHoldoff: 2 } }`).join('\n');
  writeFileSync(file, `name: kill9
sse: { name: sse, address: 192.0.2.254, l2tpMaxRetries: 2, interfaces: { access: k9-acc, carrier: k9-car0 } }
isps:
  - name: isp-a
    domain: isp-a.example
    lns: { name: nte-a, address: 192.0.2.1, hostName: nte-a.isp-a.example, tunnelSecret: s, lcpEchoInterval: 1, lcpEchoFailure: 3, interfaces: { carrier: k9-car1, radius: k9-rad0, core: k9-core0 } }
    radius: { address: ${RADIUS_ADDR}, authPort: ${radius.authPort}, acctPort: ${radius.acctPort}, secret: ${SECRET}, requireMessageAuthenticator: false }
    pool: 198.51.100.0/24
    gateway: 198.51.100.1
    dns: [198.51.100.53]
homes:
${homes}
server: { address: 203.0.113.10, gateway: 203.0.113.1 }
router: { ispSide: 10.255.0.1, serverSide: 203.0.113.1 }
`);
  return file;
}

interface HomeSession { user: string; up: number; ended?: number; killed: boolean }
interface Record1 { statusType: 'Start' | 'Stop' | string; sessionId: string; userName: string }

/** Records a killed nte left in its spool unacknowledged (`R{json}` lines without an `A<seq>`). */
function unackedIn(file: string): number {
  if (!existsSync(file)) return 0;
  const recs = new Set<number>();
  for (const l of readFileSync(file, 'utf8').split('\n')) {
    if (l.startsWith('R')) {
      try {
        recs.add((JSON.parse(l.slice(1)) as { seq: number }).seq);
      } catch { /* a torn last line: the spool cuts it off at open */ }
    } else if (l.startsWith('A')) recs.delete(Number(l.slice(1)));
  }
  return recs.size;
}

/** Seeded, so a failing run can be repeated as it was. */
function rng(seed: number): (lo: number, hi: number) => number {
  let x = seed >>> 0;
  return (lo, hi) => lo + ((x = (Math.imul(x, 1103515245) + 12345) >>> 0) % (hi - lo));
}

const ready = (p: Proc): Promise<JsonLine> => p.waitFor((l) => l.ev === 'ready', 20_000, `${p.name} ready`);
const evType = (l: JsonLine): string | undefined => (l.event as { type?: string } | undefined)?.type;

/**
 * Runs the churn with kills against a RADIUS server already listening, and returns what the
 * emulator and the nte processes reported. `records()` reads the server's accounting then.
 */
async function churnWithKills(dir: string, radius: { authPort: number; acctPort: number; stop: (stopped: boolean) => void }, seed: number): Promise<{ sessions: HomeSession[]; nteUp: Map<string, string>; nteEnded: Set<string>; kills: number; unacked: number }> {
  const topo = topology(dir, radius);
  const sock = (b: string): string => path.join(dir, `${b}.sock`);
  const stateDir = path.join(dir, 'nte-state');
  const rand = rng(seed);
  const ntes: Proc[] = [];
  const startNte = (): Proc => {
    const p = lab.pseudonet(`nte-a#${ntes.length}`, nns, ['up', topo, '--box', 'nte-a', '--control', sock('nte-a'), '--state-dir', stateDir]);
    ntes.push(p);
    return p;
  };
  let nte = startNte();
  const sse = lab.pseudonet('sse', sns, ['up', topo, '--box', 'sse', '--control', sock('sse')]);
  await Promise.all([ready(nte), ready(sse)]);
  const homes = lab.pseudonet('homes', hns, ['up', topo, '--box', 'homes', '--access', 'k9-h0', '--echo-interval', '1', '--control', sock('homes')]);
  await ready(homes);

  // The emulator's view, as its lines arrive: a session per IPCP up, ended by `offline`.
  const open = new Map<string, HomeSession>();
  const sessions: HomeSession[] = [];
  let seen = 0;
  const scan = (): void => {
    for (; seen < homes.lines.length; seen++) {
      const l = homes.lines[seen]!;
      if (l.ev !== 'event' || l.kind !== 'home') continue;
      const h = l.box as string;
      const t = evType(l);
      if (t === 'online') {
        const s: HomeSession = { user: user(Number(h.slice(1))), up: Date.now(), killed: false };
        open.set(h, s);
        sessions.push(s);
      } else if (t === 'offline' && open.has(h)) {
        open.get(h)!.ended = Date.now();
        open.delete(h);
      }
    }
  };
  const scanTimer = setInterval(scan, 5);
  /** Homes online now, not counting sessions of a killed nte whose end the home has not seen yet. */
  const live = (): number => [...open.values()].filter((x) => !x.killed).length;
  try {
    await homes.waitFor((l) => l.ev === 'setup-done', 30_000, 'homes setup-done');
    let kills = 0;
    let unacked = 0;
    for (; kills < KILLS; kills++) {
      // A random moment once the homes are back (half of them online), so that sessions
      // are starting and ending at Session-Timeout around it.
      for (let t = Date.now() + 20_000; Date.now() < t; await delay(50)) {
        scan();
        if (live() >= HOMES / 2) break;
      }
      await delay(rand(500, 3000));
      // The second kill while the RADIUS link is down (the server's end of the veth): what
      // the nte accounts now never reaches the server before the kill, only the restarted
      // nte's replay from the spool can deliver it. The third while the server is stopped
      // (SIGSTOP): the records are in its socket buffer, it logs them after the kill, and
      // the replay of each is a duplicate it must not log again.
      const pause = kills === 0 ? undefined : kills === 1 ? 'link' : 'server';
      if (pause) {
        if (pause === 'link') lab.exec(rns, 'ip', ['link', 'set', 'k9-rad1', 'down']);
        else radius.stop(true);
        // At least the drawn time, and on until the spool holds a record the server has not
        // answered (a session's Stop at its Session-Timeout), at most 6 s.
        const until = Date.now() + rand(300, 1500);
        for (let t = Date.now() + 6000; Date.now() < t; await delay(50)) if (Date.now() >= until && unackedIn(path.join(stateDir, 'accounting.spool')) > 0) break;
      }
      scan();
      nte.signal('SIGKILL');
      // What is up at the home now dies with the nte (its end is seen later: echo, PADT).
      for (const s of open.values()) s.killed = true;
      await nte.done;
      unacked += unackedIn(path.join(stateDir, 'accounting.spool'));
      nte = startNte();
      await ready(nte);
      if (pause === 'link') lab.exec(rns, 'ip', ['link', 'set', 'k9-rad1', 'up']);
      else if (pause === 'server') radius.stop(false);
    }
    // The homes come back to the last nte and churn on a while (sessions end at their
    // Session-Timeout and redial), then every home hangs up.
    for (let t = Date.now() + 20_000; Date.now() < t; await delay(50)) {
      scan();
      if (live() >= HOMES * 0.8) break;
    }
    await delay(3000);
    homes.signal('SIGTERM');
    await homes.done;
    scan();
    // The nte ends what the homes' PADTs did not reach (none expected) and drains its spool.
    for (let i = 0; i < 100; i++) {
      const s = (await controlRequest(sock('nte-a'), '/show/sessions')) as unknown[];
      if (s.length === 0) break;
      await delay(100);
    }
    nte.signal('SIGTERM');
    const stopped = await nte.waitFor((l) => l.ev === 'stopped', 15_000, 'nte stopped');
    await nte.done;
    sse.signal('SIGTERM');
    await sse.done;
    const spool = path.join(stateDir, 'accounting.spool');
    // A clean stop leaves nothing unacknowledged (the file is emptied when all is acknowledged).
    assert.ok(!existsSync(spool) || !/^R/m.test(readFileSync(spool, 'utf8')), `spool left with unacknowledged records:\n${existsSync(spool) ? readFileSync(spool, 'utf8').slice(0, 2000) : ''}`);
    const nteUp = new Map<string, string>();
    const byCall = new Map<string, string>();
    const nteEnded = new Set<string>();
    for (const p of ntes) {
      for (const l of p.lines) {
        const e = l.event as { type?: string; acctSessionId?: string; user?: string; tunnelId?: number; sessionId?: number } | undefined;
        if (l.ev === 'event' && l.kind === 'nte' && e?.type === 'online') {
          nteUp.set(e.acctSessionId!, e.user!);
          byCall.set(`${p.name}/${e.tunnelId}/${e.sessionId}`, e.acctSessionId!);
        } else if (l.ev === 'event' && l.kind === 'nte' && e?.type === 'session-ended') {
          const id = byCall.get(`${p.name}/${e.tunnelId}/${e.sessionId}`);
          if (id) nteEnded.add(id);
        }
      }
    }
    assert.equal(stopped.clean, true, 'the last nte stopped cleanly');
    return { sessions, nteUp, nteEnded, kills, unacked };
  } finally {
    clearInterval(scanTimer);
  }
}

/** The assertions both cases share; returns the summary line. */
function judge(name: string, run: Awaited<ReturnType<typeof churnWithKills>>, records: Record1[]): string {
  const { sessions, nteUp, nteEnded } = run;
  const count = (type: string): Map<string, number> => {
    const m = new Map<string, number>();
    for (const r of records) if (r.statusType === type) m.set(r.sessionId, (m.get(r.sessionId) ?? 0) + 1);
    return m;
  };
  const starts = count('Start');
  const stops = count('Stop');
  const userOf = new Map<string, string>();
  for (const r of records) userOf.set(r.sessionId, r.userName);
  // None twice.
  for (const [id, n] of starts) assert.equal(n, 1, `${name}: Start of ${id} at the server ${n} times`);
  for (const [id, n] of stops) assert.equal(n, 1, `${name}: Stop of ${id} at the server ${n} times`);
  for (const id of stops.keys()) assert.ok(starts.has(id), `${name}: Stop of ${id} without its Start`);
  // What nte-a reported is at the server: its Starts, and the Stops of what ended while it ran.
  for (const id of nteUp.keys()) assert.equal(starts.get(id), 1, `${name}: Start of ${id} (nte-a reported it up) at the server ${starts.get(id) ?? 0} times`);
  for (const id of nteEnded) assert.equal(stops.get(id), 1, `${name}: Stop of ${id} (nte-a reported it ended) at the server ${stops.get(id) ?? 0} times`);
  // Per user, from the emulator's side: its sessions are one after another.
  const perUser = (f: (s: HomeSession) => boolean): Map<string, number> => {
    const m = new Map<string, number>();
    for (const s of sessions) if (f(s)) m.set(s.user, (m.get(s.user) ?? 0) + 1);
    return m;
  };
  const serverPerUser = (m: Map<string, number>): Map<string, number> => {
    const out = new Map<string, number>();
    for (const id of m.keys()) out.set(userOf.get(id)!, (out.get(userOf.get(id)!) ?? 0) + 1);
    return out;
  };
  const sUp = serverPerUser(starts);
  const sDown = serverPerUser(stops);
  for (const [u, n] of perUser(() => true)) assert.ok((sUp.get(u) ?? 0) >= n, `${name}: ${u} reached IPCP up ${n} times at the home, ${sUp.get(u) ?? 0} Starts at the server`);
  for (const [u, n] of perUser((s) => s.ended !== undefined && !s.killed)) assert.ok((sDown.get(u) ?? 0) >= n, `${name}: ${u} ended ${n} sessions while its nte ran, ${sDown.get(u) ?? 0} Stops at the server`);
  // Every session ended: the homes hung up at the end.
  assert.deepEqual(sessions.filter((s) => s.ended === undefined), [], `${name}: sessions still up at the end`);
  const killed = sessions.filter((s) => s.killed).length;
  assert.ok(sessions.length >= 60, `${name}: only ${sessions.length} sessions reached IPCP up`);
  assert.ok(killed > 0, `${name}: no session was up at a kill`);
  assert.ok(run.unacked >= 2, `${name}: ${run.unacked} records left unacknowledged by the two kills while the server was stopped`);
  // Sessions that died with a killed nte get their Stop from its successor (NAS-Reboot): every Start has one.
  const startsNoStop = [...starts.keys()].filter((id) => !stops.has(id));
  assert.deepEqual(startsNoStop, [], `${name}: Starts without a Stop at the server`);
  for (const id of stops.keys()) assert.ok(starts.has(id), `${name}: a Stop of ${id} without its Start`);
  return `${name}: ${sessions.length} sessions reached IPCP up at the homes over ${run.kills} kills; ${starts.size} Starts and ${stops.size} Stops at the server, none twice; ${run.unacked} records left unacknowledged by killed ntes (sent by their successors); ${killed} sessions died with a killed nte and got their Stop from its successor; ${startsNoStop.length} Starts without a Stop`;
}

test('kill -9 of nte-a during churn on veths, embedded RADIUS process: every IPCP up has one Start, every end while the nte ran one Stop, none twice', { skip, timeout: 120_000 }, async () => {
  const dir = mkdtempSync(path.join(work, 'embedded-'));
  const acct = path.join(dir, 'server-acct.jsonl');
  const cfg = path.join(dir, 'radius.json');
  writeFileSync(cfg, JSON.stringify({
    clients: [{ name: 'nte-a', address: NTE_RADIUS_ADDR, secret: SECRET, requireMessageAuthenticator: false }],
    users: Array.from({ length: HOMES }, (_, i) => ({ name: user(i + 1), password: `p${i + 1}`, pool: 'a', sessionTimeout: sessionTimeout(i + 1) })),
    pools: { a: '198.51.100.20-198.51.100.250' },
    accounting: { file: acct },
    listen: { bind: RADIUS_ADDR, authPort: 1812, acctPort: 1813 },
  }));
  const radius = lab.spawn('radius', rns, process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/cli/main.ts'), 'radius', '--config', cfg]);
  await radius.waitFor((l) => typeof l.raw === 'string' && /auth \d+ acct \d+/.test(l.raw), 20_000, 'radius listening');
  const run = await churnWithKills(dir, { authPort: 1812, acctPort: 1813, stop: (on) => radius.signal(on ? 'SIGSTOP' : 'SIGCONT') }, 20261201).catch((e: Error) => {
    throw new Error(`${e.message}\nradius:\n${radius.tail()}\nnte:\n${lab.procs.filter((p) => p.name.startsWith('nte')).map((p) => p.tail()).join('\n')}`);
  });
  await radius.stop();
  const records = readFileSync(acct, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record1);
  console.log(judge('embedded', run, records));
});

/** Records of a FreeRADIUS detail file: [Acct-Status-Type, Acct-Session-Id] per record. */
function detailRecords(text: string): [string, string][] {
  const out: [string, string][] = [];
  for (const rec of text.split(/\n\s*\n/)) {
    const type = /Acct-Status-Type = (\S+)/.exec(rec)?.[1];
    const id = /Acct-Session-Id = "([^"]*)"/.exec(rec)?.[1];
    if (type && id) out.push([type, id]);
  }
  return out;
}

test('kill -9 of nte-a during churn on veths, FreeRADIUS with SQL accounting (acctuniqueid unique): every IPCP up one row with its Start, every end while the nte ran its Stop, no session twice', { skip, timeout: 120_000 }, async () => {
  const dir = mkdtempSync(path.join(work, 'freeradius-'));
  const db = path.join(dir, 'radacct.sqlite');
  let fr: FreeRadius | undefined;
  try {
    fr = await startFreeRadius({
      netns: rns,
      address: RADIUS_ADDR,
      sqlite: db,
      users: Array.from({ length: HOMES }, (_, i) => `"${user(i + 1)}" Cleartext-Password := "p${i + 1}"\n\tFramed-IP-Address = 198.51.100.${20 + i},\n\tSession-Timeout = ${sessionTimeout(i + 1)},\n\tService-Type = Framed-User,\n\tFramed-Protocol = PPP\n`).join('\n'),
      clients: `client nte-a {\n\tipaddr = ${NTE_RADIUS_ADDR}\n\tsecret = ${SECRET}\n}\n`,
    });
    const pid = fr.pid;
    const run = await churnWithKills(dir, { authPort: fr.authPort, acctPort: fr.acctPort, stop: (on) => process.kill(pid, on ? 'SIGSTOP' : 'SIGCONT') }, 20261202).catch((e: Error) => {
      throw new Error(`${e.message}\nfreeradius log:\n${readFileSync(fr!.logFile, 'utf8').split('\n').slice(-60).join('\n')}`);
    });
    // Let FreeRADIUS finish what it has (it answered every record the nte stopped on).
    const rows = JSON.parse(sh('sqlite3', ['-json', db, 'SELECT acctsessionid, acctuniqueid, username, acctstarttime, acctstoptime FROM radacct']) || '[]') as { acctsessionid: string; acctuniqueid: string; username: string; acctstarttime: string | null; acctstoptime: string | null }[];
    // One row per session is what "none twice" means here: a second Start or Stop of one
    // session (the same Acct-Unique-Session-Id) updates its row. Two rows of one
    // Acct-Session-Id would be a Start counted twice.
    const records: Record1[] = [];
    for (const r of rows) {
      if (r.acctstarttime !== null) records.push({ statusType: 'Start', sessionId: r.acctsessionid, userName: r.username });
      if (r.acctstoptime !== null) records.push({ statusType: 'Stop', sessionId: r.acctsessionid, userName: r.username });
    }
    const line = judge('freeradius-sql', run, records);
    // The detail file logs every record it was sent: a replay of one it had logged before the
    // kill (its answer lost with the nte) is there twice. Counted, not asserted: it is the
    // reason the SQL table, not the detail file, is the deduplicated account.
    const detail = detailRecords(fr.detail());
    const seen = new Map<string, number>();
    for (const [t, id] of detail) seen.set(`${t} ${id}`, (seen.get(`${t} ${id}`) ?? 0) + 1);
    const twice = [...seen.values()].filter((n) => n > 1).length;
    console.log(`${line}; ${rows.length} radacct rows; detail file: ${detail.length} records, ${twice} logged more than once (replays of records FreeRADIUS had logged before the kill)`);
  } finally {
    if (fr) {
      try { process.kill(fr.pid, 'SIGCONT'); } catch { /* gone */ }
      if (process.env.PSEUDONET_KEEP_TMP) try { sh('cp', ['-r', path.join(fr.dir, 'radacct'), fr.logFile, dir]); } catch { /* none */ }
      await fr.stop();
    }
  }
});
