/**
 * `pseudonet run FILE`: brings a topology up, keeps it running for a while with every home
 * pinging the server every 10 s, then takes it down. Events, accounting and one capture per
 * link stream into the output directory as they happen (nothing grows in memory with the
 * run's length); metrics and a summary are written at the end. On the virtual clock by
 * default; `--realtime` runs the same network on the wall clock (still in one process, on
 * in-memory links).
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import { Network } from '../sim/network.js';
import { openRunFiles } from '../sim/stream.js';
import { FileSpool } from '../io/radius-spool.js';
import { mkdirSync } from 'node:fs';
import { VirtualClock } from '../sim/clock.js';
import { WallClock } from '../io/wall-clock.js';
import { relayOverUdp } from '../io/radius-relay-udp.js';
import type { Topology } from '../config/topology.js';
import { logNetwork } from '../sim/log.js';
import { NetworkApi } from '../sim/network-api.js';
import { apiHandler, listenHttp } from '../io/api.js';
import type { AddressInfo } from 'node:net';
import { ipv4FromString, ipv4ToString } from '../wire/bytes.js';

export interface RunOptions {
  readonly durationMs: number;
  readonly realtime: boolean;
  readonly out: string;
  readonly logger?: Logger;
  readonly log?: (line: string) => void;
  readonly pingIntervalMs?: number;
  /** Write a pcapng per link (default true). */
  readonly capture?: boolean;
  /** Where each LNS keeps its write-ahead accounting spool, `NAME.acct-spool` (default: `out`). */
  readonly spoolDir?: string;
  /** Serve the HTTP API and web view here while the network runs (needs `realtime`). */
  readonly http?: { readonly host: string; readonly port: number };
}

/** "90", "90s", "5m", "1h", "250ms" → milliseconds. */
export function parseDuration(s: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(s.trim());
  if (!m) throw new Error(`bad duration "${s}" (examples: 90s, 5m, 1h, 250ms)`);
  const n = Number(m[1]);
  return n * ({ ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? 's') as 'ms' | 's' | 'm' | 'h']);
}

export async function runTopology(topology: Topology, o: RunOptions): Promise<{ ok: boolean; online: number; pingsSent: number; pingsAnswered: number }> {
  const log = o.log ?? ((l: string) => console.log(l));
  const virtual = o.realtime ? undefined : new VirtualClock(Date.UTC(2026, 0, 1));
  const clock = virtual ?? new WallClock();
  const files = openRunFiles(o.out, { capture: o.capture ?? true });
  // Every LNS writes its accounting ahead to a file; on the virtual clock durability is moot (no fsync, commits by size and per event).
  const spoolDir = o.spoolDir ?? o.out;
  mkdirSync(spoolDir, { recursive: true });
  const spools: FileSpool[] = [];
  const accountingSpool = (nte: string): FileSpool => {
    const s = new FileSpool(path.join(spoolDir, `${nte}.acct-spool`), virtual ? { fsync: false, commitPerTurn: false } : {});
    spools.push(s);
    return s;
  };
  const net = new Network(topology, { clock, sinks: files.sinks, accountingSpool, ...(virtual ? {} : { relay: relayOverUdp }) });
  if (o.logger) logNetwork(net, o.logger);
  // Ladders (the last 2,000 messages of every home) are for the HTTP API; without it only the metrics are kept.
  const api = new NetworkApi(net, o.http ? {} : { ladderCap: 0 });
  if (o.http && virtual) throw new Error('--http needs --realtime (on the virtual clock the run is over before a request could come)');
  const httpServer = o.http ? await listenHttp(apiHandler(api), o.http.host, o.http.port) : undefined;
  if (httpServer) {
    const a = httpServer.address() as AddressInfo;
    log(`http: serving on http://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}/`);
  }
  const wait = async (ms: number): Promise<void> => {
    if (virtual) virtual.runUntil(virtual.now() + ms);
    else await new Promise((r) => setTimeout(r, ms));
  };
  let answered = 0;
  net.onEvent((e) => {
    if (e.kind === 'home' && e.event.type === 'ip' && e.event.event.kind === 'echo-reply') answered++;
    if (e.kind === 'home' && e.event.type === 'online') log(`${e.box}: online ${ipv4ToString(e.event.address)}`);
    if (e.kind === 'home' && e.event.type === 'offline') log(`${e.box}: offline (${e.event.reason})`);
  });
  const start = clock.now();
  for (const h of net.homes) net.act(h.cfg.name, (now) => h.start(now));
  const server = ipv4FromString(topology.server.address);
  const every = o.pingIntervalMs ?? 10_000;
  let sent = 0;
  for (let seq = 1; clock.now() - start < o.durationMs; seq++) {
    await wait(Math.min(every, o.durationMs - (clock.now() - start)));
    for (const h of net.homes) {
      if (!h.isOnline) continue;
      net.act(h.cfg.name, (now) => h.ping(server, seq, now));
      sent++;
    }
  }
  await wait(2000);
  const online = net.homes.filter((h) => h.isOnline).length;
  log(`${online}/${net.homes.length} homes online after ${((clock.now() - start) / 1000).toFixed(1)} s; ${answered}/${sent} pings answered`);
  for (const h of net.homes) net.act(h.cfg.name, (now) => h.disconnect(now));
  await wait(5000);
  for (const b of net.isps) net.act(b.isp.lns.name, (now) => b.nte.stopAll(now));
  await wait(3000);
  net.close();
  if (clock instanceof WallClock) clock.cancelAll();
  files.close();
  for (const s of spools) s.close();
  writeFileSync(path.join(o.out, 'metrics.prom'), await api.metrics());
  await new Promise<void>((r) => (httpServer ? httpServer.close(() => r()) : r()));
  const ok = online === net.homes.length && answered === sent;
  writeFileSync(path.join(o.out, 'summary.json'), JSON.stringify({ online, homes: net.homes.length, pingsSent: sent, pingsAnswered: answered, ok }, null, 2) + '\n');
  log(`${ok ? 'OK' : 'FAILED'}; files in ${o.out}/`);
  return { ok, online, pingsSent: sent, pingsAnswered: answered };
}
