/**
 * `pseudonet demo`: brings the network up on the virtual clock, shows each home coming
 * online, pings the server from every home, tears everything down in every direction
 * (PADT from a home, LCP Terminate from a home, Disconnect-Request from the ISP's RADIUS,
 * StopCCN from an LNS), and writes what happened: one pcapng per link, a sequence diagram
 * of the first session, the accounting records and a summary. `ok` only when every home
 * got an address and every ping was answered.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { Network, type NetEvent } from './network.js';
import type { Topology } from '../config/topology.js';
import { VirtualClock } from './clock.js';
import { describeFrame } from '../wire/describe.js';
import { toHtml, toMermaid, type SequenceMessage } from './sequence.js';
import { ipv4ToString, ipv4FromString, macToString } from '../wire/bytes.js';
import { ipv6FromString } from '../wire/ipv6.js';
import type { AccountingLine } from '../roles/radius-server.js';
import type { Logger } from 'pino';
import { logNetwork } from './log.js';
import { openRunFiles } from './stream.js';

export interface DemoSession {
  user: string;
  ip: string | null;
  dns: string[];
  lns: string | null;
  tunnelId: number | null;
  sessionId: number | null;
  pingOk: boolean;
  /** Where IPv6 is on (the home is dual-stack and the LNS opened IPV6CP); absent where not. */
  ipv6?: { delegatedPrefix: string | null; pingOk: boolean };
}

export interface DemoResult {
  ok: boolean;
  sessions: DemoSession[];
  accounting: AccountingLine[];
  problems: string[];
  files: string[];
  /** The network after the run, for counters (metrics.prom). */
  net: Network;
}

export interface DemoOptions {
  readonly out: string;
  /** Print protocol detail. */
  readonly verbose?: boolean;
  readonly log?: (line: string) => void;
  readonly pings?: number;
  /** pino logger: with debug enabled, every frame on every link. */
  readonly logger?: Logger;
  /** Called with the network before any frame moves (to observe it: the HTTP API, metrics). */
  readonly onNetwork?: (net: Network) => void;
}

const EPOCH = Date.UTC(2026, 0, 1);

export function runDemo(topo: Topology, opts: DemoOptions): DemoResult {
  // The demo shows each teardown direction once and checks nothing is left: its homes stay down (no redial).
  const topology: Topology = { ...topo, homes: topo.homes.map((h) => ({ ...h, redial: false })) };
  const log = opts.log ?? ((l: string) => console.log(l));
  const clock = new VirtualClock(EPOCH);
  // The demo is short and bounded: its accounting is listed at the end; every file streams as it is written.
  const accounting: AccountingLine[] = [];
  const out = openRunFiles(opts.out);
  const net = new Network(topology, { clock, sinks: { ...out.sinks, accounting: (line) => { accounting.push(line); out.sinks.accounting?.(line); } } });
  if (opts.logger) logNetwork(net, opts.logger);
  opts.onNetwork?.(net);
  const t = (at: number): string => `${((at - EPOCH) / 1000).toFixed(3).padStart(8)}s`;
  const problems: string[] = [];
  const byHome = new Map<string, DemoSession>();
  const userHome = new Map(topology.homes.map((h) => [h.user, h.name]));
  for (const h of topology.homes) byHome.set(h.name, { user: h.user, ip: null, dns: [], lns: null, tunnelId: null, sessionId: null, pingOk: false });
  const relays = new Map<string, { pppoe: number; lacTunnel: number; lacSession: number }>();

  net.onEvent((e: NetEvent) => {
    if (e.kind === 'sse' && e.event.type === 'relaying') relays.set(e.event.user, { pppoe: e.event.pppoeSessionId, lacTunnel: e.event.tunnelId, lacSession: e.event.sessionId });
    if (e.kind === 'nte' && e.event.type === 'online') {
      const home = userHome.get(e.event.user);
      const s = home && byHome.get(home);
      if (s) {
        s.lns = e.box;
        s.tunnelId = e.event.tunnelId;
        s.sessionId = e.event.sessionId;
      }
    }
    if (e.kind === 'home' && e.event.type === 'online') {
      const s = byHome.get(e.box)!;
      s.ip = ipv4ToString(e.event.address);
      s.dns = e.event.dns.map(ipv4ToString);
      const r = relays.get(s.user);
      log(`${t(e.at)}  ${e.box.padEnd(8)} online  user ${s.user}  PPPoE session ${e.event.sessionId}  L2TP tunnel ${r?.lacTunnel}/${s.tunnelId} session ${r?.lacSession}/${s.sessionId} (LAC/LNS ids) via ${s.lns}  address ${s.ip}  DNS ${s.dns.join(', ')}`);
    }
    if (e.kind === 'home' && e.event.type === 'home-ipv6-up') {
      const s = byHome.get(e.box)!;
      s.ipv6 = { delegatedPrefix: e.event.delegatedPrefix, pingOk: s.ipv6?.pingOk ?? false };
      log(`${t(e.at)}  ${e.box.padEnd(8)} IPv6 up  address ${e.event.address}  delegated prefix ${e.event.delegatedPrefix}  LAN /64 ${e.event.lanPrefix} (recorded: the home has no LAN port)`);
    }
    if (e.kind === 'home' && e.event.type === 'offline') log(`${t(e.at)}  ${e.box.padEnd(8)} offline (${e.event.reason})`);
    if (e.kind === 'home' && e.event.type === 'auth-failed') log(`${t(e.at)}  ${e.box.padEnd(8)} authentication failed: ${e.event.reason}`);
    if (e.kind === 'sse' && e.event.type === 'no-lns') log(`${t(e.at)}  sse      no LNS for ${e.event.user} (domain ${e.event.domain}): CHAP Failure, PADT`);
    if (e.kind === 'nte' && e.event.type === 'session-ended') log(`${t(e.at)}  ${e.box.padEnd(8)} session ${e.event.tunnelId}/${e.event.sessionId} of ${e.event.user ?? '?'} ended: ${e.event.reason}`);
    if (e.kind === 'nte' && e.event.type === 'auth-rejected') log(`${t(e.at)}  ${e.box.padEnd(8)} Access-Reject for ${e.event.user}`);
    if (e.kind === 'radius' && e.event.type === 'dae-reply') log(`${t(e.at)}  ${e.box.padEnd(8)} got ${e.event.code === 41 ? 'Disconnect-ACK' : e.event.code === 42 ? 'Disconnect-NAK' : `code ${e.event.code}`}`);
  });

  // The sequence diagram of the first session: every message to, from or about home1 while it comes up, pings and goes down.
  const first = topology.homes[0]?.name;
  const seq: SequenceMessage[] = [];
  let recording = false;
  const participants = new Set<string>();
  for (const [name, s] of net.segments) {
    if (name === 'core' || name === 'server') continue;
    s.observe((frame, from, at) => {
      if (!recording) return;
      const d = describeFrame(frame);
      if (d.protocol === 'ARP') return;
      const toMac = macToString(frame.subarray(0, 6));
      const accessLink = topology.sse.accessPorts.includes(name);
      let to = net.macOwner.get(toMac) ?? (accessLink ? topology.sse.name : 'broadcast');
      if (accessLink && from !== first && to !== first) return;
      seq.push({ at: at - EPOCH, from, to, label: d.label, protocol: d.protocol });
      participants.add(from).add(to);
    });
  }

  const pings = opts.pings ?? 3;
  const server = ipv4FromString(topology.server.address);
  const up = (names: string[], within: number): void => {
    for (const n of names) {
      const i = net.homes.findIndex((h) => h.cfg.name === n);
      net.act(n, (now) => net.homes[i]!.start(now));
    }
    clock.runUntilTrue(() => names.every((n) => net.homes.find((h) => h.cfg.name === n)!.isOnline), clock.now() + within);
    for (const n of names) if (!net.homes.find((h) => h.cfg.name === n)!.isOnline) problems.push(`${n} did not come online`);
  };
  const ping = (names: string[]): void => {
    const answered = new Map<string, number>();
    const off = (e: NetEvent): void => {
      if (e.kind === 'home' && e.event.type === 'ip' && e.event.event.kind === 'echo-reply') answered.set(e.box, (answered.get(e.box) ?? 0) + 1);
    };
    net.onEvent(off);
    for (let k = 0; k < pings; k++) {
      for (const n of names) {
        const h = net.homes.find((x) => x.cfg.name === n)!;
        net.act(n, (now) => h.ping(server, k + 1, now));
      }
      clock.runUntil(clock.now() + 1000);
    }
    for (const n of names) {
      const got = answered.get(n) ?? 0;
      byHome.get(n)!.pingOk = got === pings;
      log(`${t(clock.now())}  ${n.padEnd(8)} ping ${topology.server.address}: ${got}/${pings} answered`);
      if (got !== pings) problems.push(`${n}: ${got}/${pings} pings answered`);
    }
    answered.clear();
  };
  // IPv6: the homes whose LNS opened IPV6CP (an IPv4-only LNS Protocol-Rejects it: those stay IPv4, not a failure) get their prefix, then ping6 the server.
  const server6 = topology.server.address6 ? ipv6FromString(topology.server.address6) : undefined;
  const home = (n: string) => net.homes.find((x) => x.cfg.name === n)!;
  const ping6 = (names: string[], within: number): void => {
    const dual = names.filter((n) => home(n).ipv6 !== undefined);
    clock.runUntilTrue(() => dual.every((n) => home(n).ipv6?.isUp === true), clock.now() + within);
    for (const n of dual) {
      const s = byHome.get(n)!;
      s.ipv6 ??= { delegatedPrefix: null, pingOk: false };
      if (!home(n).ipv6?.isUp) problems.push(`${n}: IPV6CP up but no delegated prefix`);
    }
    const up6 = dual.filter((n) => home(n).ipv6?.isUp);
    for (const n of names) if (home(n).cfg.ipv6 && !dual.includes(n)) log(`${t(clock.now())}  ${n.padEnd(8)} IPv4 only: the LNS did not open IPV6CP`);
    if (!server6 || up6.length === 0) return;
    const answered = new Map<string, number>();
    net.onEvent((e: NetEvent) => {
      if (e.kind === 'home' && e.event.type === 'ip6' && e.event.event.kind === 'echo-reply') answered.set(e.box, (answered.get(e.box) ?? 0) + 1);
    });
    for (let k = 0; k < pings; k++) {
      for (const n of up6) net.act(n, (now) => home(n).ping6(server6, k + 1, now));
      clock.runUntil(clock.now() + 1000);
    }
    for (const n of up6) {
      const got = answered.get(n) ?? 0;
      byHome.get(n)!.ipv6!.pingOk = got === pings;
      log(`${t(clock.now())}  ${n.padEnd(8)} ping6 ${topology.server.address6}: ${got}/${pings} answered`);
      if (got !== pings) problems.push(`${n}: ${got}/${pings} ping6 answered`);
    }
    answered.clear();
  };

  log(`pseudonet demo: ${topology.homes.length} homes, ${topology.isps.length} ISPs (${topology.isps.map((i) => `${i.name}: ${i.domain} → ${i.lns.name}, ${i.lcpPolicy}`).join('; ')})`);
  if (first) {
    recording = true;
    up([first], 30_000);
    ping([first]);
    ping6([first], 15_000);
    recording = false;
  }
  const rest = topology.homes.slice(1).map((h) => h.name);
  up(rest, 60_000);
  ping(rest);
  ping6(rest, 15_000);

  // ---- teardown, every direction
  const homes = topology.homes.map((h) => h.name);
  const dir = [
    (n: string) => {
      log(`${t(clock.now())}  ${n.padEnd(8)} sends PADT`);
      recording = n === first;
      net.act(n, (now) => net.homes.find((h) => h.cfg.name === n)!.padt(now));
    },
    (n: string) => {
      log(`${t(clock.now())}  ${n.padEnd(8)} sends LCP Terminate-Request`);
      net.act(n, (now) => net.homes.find((h) => h.cfg.name === n)!.disconnect(now));
    },
    (n: string) => {
      const h = topology.homes.find((x) => x.name === n)!;
      const isp = topology.isps.find((x) => h.user.endsWith(`@${x.domain}`));
      if (!isp || isp.radius !== 'embedded') return dir[0]!(n);
      log(`${t(clock.now())}  ${`${isp.name}-radius`.padEnd(8)} sends Disconnect-Request for ${h.user}`);
      net.disconnectRequest(isp.name, h.user);
    },
  ];
  homes.forEach((n, i) => {
    dir[i % 3]!(n);
    clock.runUntil(clock.now() + 3000);
    recording = false;
  });
  // LNS StopCCN on whatever tunnels are left, then let the idle-tunnel timers and acks settle.
  for (const b of net.isps) net.act(b.isp.lns.name, (now) => b.nte.stopAll(now));
  clock.runUntil(clock.now() + 30_000);

  for (const b of net.isps) if (b.nte.sessionCount) problems.push(`${b.isp.lns.name}: ${b.nte.sessionCount} sessions left`);
  const leftRoutes = net.isps.flatMap((b) => b.nte.router.showRoutes().filter((r) => r.prefix.endsWith('/32') && r.kind !== 'local'));
  if (leftRoutes.length) problems.push(`${leftRoutes.length} subscriber routes left behind`);
  const ac = net.sse.sessionsByState();
  if (Object.values(ac).some((v) => v !== 0)) problems.push(`sse sessions left: ${JSON.stringify(ac)}`);
  const starts = accounting.filter((a) => a.statusType === 'Start').length;
  const stops = accounting.filter((a) => a.statusType === 'Stop').length;
  if (starts !== stops) problems.push(`accounting: ${starts} Start but ${stops} Stop records`);

  log('');
  log('accounting records (as the ISP RADIUS servers logged them):');
  for (const a of accounting) {
    const pd = a.attributes?.['Delegated-IPv6-Prefix'];
    log(`  ${String(a.statusType).padEnd(6)} ${a.userName ?? '?'}  session ${a.sessionId}  ip ${a.framedIpAddress ?? '-'}${typeof pd === 'string' ? `  prefix ${pd}` : ''}${a.statusType === 'Stop' ? `  time ${a.sessionTime}s  in ${a.inputOctets} B/${a.inputPackets} pkts  out ${a.outputOctets} B/${a.outputPackets} pkts  cause ${a.terminateCause}` : ''}`);
  }

  // ---- files
  // The files end with the demo; the network itself stays up (demo --http goes on serving it live).
  const files = out.close();
  const write = (name: string, data: string | Uint8Array): void => {
    const p = path.join(opts.out, name);
    writeFileSync(p, data);
    files.push(p);
  };
  const order = [first ?? 'home', topology.sse.name, 'carrier-radius', ...topology.isps.flatMap((i) => [i.lns.name, `${i.name}-radius`])].filter((p) => participants.has(p));
  const title = `pseudonet: the first session (${topology.homes[0]?.user ?? ''})`;
  write('sequence.mmd', toMermaid(order, seq, title));
  write('sequence.html', toHtml(order, seq, title));
  const sessions = topology.homes.map((h) => byHome.get(h.name)!);
  const ok = problems.length === 0 && sessions.every((s) => s.ip !== null && s.pingOk && (s.ipv6 === undefined || (s.ipv6.delegatedPrefix !== null && s.ipv6.pingOk)));
  write('summary.json', JSON.stringify({ sessions, ok }, null, 2) + '\n');
  log('');
  for (const p of problems) log(`problem: ${p}`);
  const v6 = sessions.filter((s) => s.ipv6);
  log(`${ok ? 'OK' : 'FAILED'}: ${sessions.filter((s) => s.ip).length}/${sessions.length} homes got an address, ${sessions.filter((s) => s.pingOk).length}/${sessions.length} answered every ping${v6.length ? `; IPv6: ${v6.filter((s) => s.ipv6!.delegatedPrefix).length}/${v6.length} got a delegated prefix, ${v6.filter((s) => s.ipv6!.pingOk).length}/${v6.length} answered every ping6` : ''}; files in ${opts.out}/`);
  return { ok, sessions, accounting, problems, files, net };
}
