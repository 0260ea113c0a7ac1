/**
 * A child process for test/io/accounting-kill.test.ts: the in-process network on the wall
 * clock whose isp-a LNS accounts to a real RADIUS server over UDP (another process) through
 * its write-ahead spool in SPOOL_DIR. Homes hang up and dial again all the time. Prints
 * `START id` / `STOP id` when the LNS reports a session up / ended (its record is committed
 * to the spool by then), and in `drain` mode only replays what the spool holds and prints
 * `DRAINED replayed` once the LNS has nothing left unacknowledged.
 * Usage: node --import tsx test/helpers/acct-child.ts '{"topology":{...},"spoolDir":"...","mode":"churn"|"drain","seed":1}'
 */
import path from 'node:path';
import { mkdirSync } from 'node:fs';
import { Network } from '../../src/sim/network.js';
import { WallClock } from '../../src/io/wall-clock.js';
import { relayOverUdp } from '../../src/io/radius-relay-udp.js';
import { FileSpool } from '../../src/io/radius-spool.js';
import { topologySchema } from '../../src/config/topology.js';

const arg = JSON.parse(process.argv[2]!) as { topology: unknown; spoolDir: string; mode: 'churn' | 'drain'; seed: number };
const t = topologySchema.parse(arg.topology);
const out = (l: string): void => void process.stdout.write(l + '\n');
mkdirSync(arg.spoolDir, { recursive: true });
const clock = new WallClock();
const net = new Network(t, { clock, relay: relayOverUdp, accountingSpool: (nte) => new FileSpool(path.join(arg.spoolDir, `${nte}.acct-spool`)) });
const nte = net.isps[0]!.nte;
const ids = new Map<string, string>();
net.onEvent((e) => {
  if (e.kind !== 'nte') return;
  if (e.event.type === 'online') {
    ids.set(`${e.event.tunnelId}/${e.event.sessionId}`, e.event.acctSessionId);
    out(`START ${e.event.acctSessionId}`);
  } else if (e.event.type === 'session-ended') {
    const id = ids.get(`${e.event.tunnelId}/${e.event.sessionId}`);
    if (id) out(`STOP ${id}`);
  }
});
out(`READY replayed ${nte.radius.counters.acctReplayed}`);
if (arg.mode === 'drain') {
  const poll = setInterval(() => {
    if (nte.radius.accountingBacklog === 0) {
      clearInterval(poll);
      out(`DRAINED ${nte.radius.counters.acctReplayed}`);
    }
  }, 20);
} else {
  for (const h of net.homes) net.act(h.cfg.name, (now) => h.start(now));
  let x = arg.seed >>> 0 || 1;
  const rand = (n: number): number => ((x = (Math.imul(x, 1103515245) + 12345) >>> 0) % n);
  setInterval(() => {
    const online = net.homes.filter((h) => h.isOnline);
    const h = online[rand(Math.max(1, online.length))];
    if (!h) return;
    net.act(h.cfg.name, (now) => h.padt(now));
    setTimeout(() => net.act(h.cfg.name, (now) => h.start(now)), 100 + rand(200));
  }, 30);
}
