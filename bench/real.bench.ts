/**
 * Real-interface benchmarks (root; only with `npm run bench -- --real`): frames per second
 * through one AF_PACKET attachment, out and in, on a veth pair in a namespace of their own
 * (sender and receiver are separate processes, so each side's cost is its own core's);
 * IPv4 forwarding through the router box (`pseudonet up --box router`) between two
 * namespaces; and the access chain as processes on veth pairs, each in its own namespace:
 *
 *   [home emulator: N homes] ─veth─ [sse] ─veth─ [nte-a] ─veth─ (nothing)
 *                                                    └─veth─ [RADIUS: pseudonet radius, kernel UDP]
 *
 * (the ISP's RADIUS is the embedded server's code in a process of its own, so the nte's CPU
 * is the nte's alone; the boxes run --quiet, their event log left out)
 * session setups per second (first PADI to last IPCP up, measured by the emulator) and L2TP
 * data packets per second between the sse and nte processes (closed-loop pings from every
 * home to the nte's core address, counted from both boxes' L2TP counters), with the CPU
 * seconds each process used; and `pseudonet load --realtime` on the same chain for the setup
 * latency percentiles. Everything created is removed at the end, also on failure.
 */
import path from 'node:path';
import { mkdtempSync, writeFileSync, rmSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import type { BenchEntry } from './bench.js';
import { Lab, ROOT, requireAddon, startAccessChain, type Proc } from '../test/real/lab.js';
import { controlRequest } from '../src/io/control.js';

const AGENT = path.join(ROOT, 'test/real/afpacket-agent.ts');
const real = process.argv.includes('--real');
const MS = 3000;

async function withLab<T>(f: (lab: Lab) => Promise<T>): Promise<T> {
  if (process.getuid?.() !== 0) throw new Error('bench --real needs root (namespaces, AF_PACKET)');
  requireAddon();
  const lab = new Lab();
  try {
    return await f(lab);
  } finally {
    const errs = await lab.cleanup();
    if (errs.length) console.error('cleanup:', errs);
  }
}

async function attachment(size: number): Promise<Record<string, number>> {
  return withLab(async (lab) => {
    const ns = lab.ns('bafp');
    lab.veth(ns, 'va', ns, 'vb');
    const sink = lab.script('sink', ns, AGENT, ['sink', 'vb', String(MS)]);
    await sink.waitFor((l) => l.ev === 'listening', 15_000, 'sink');
    const blast = lab.script('blast', ns, AGENT, ['blast', 'va', String(MS + 500), String(size)]);
    const b = (await blast.waitFor((l) => l.ev === 'blast', MS + 20_000, 'blast')) as { txPerSecond: number };
    const s = (await sink.waitFor((l) => l.ev === 'sink', MS + 20_000, 'sink')) as { rxPerSecond: number; framesPerBatch: number; kernelDrops: number };
    return { [`out frames/s (${size} B)`]: b.txPerSecond, [`in frames/s (${size} B)`]: s.rxPerSecond, [`in frames per recvmmsg (${size} B)`]: s.framesPerBatch, [`in kernel drops (${size} B)`]: s.kernelDrops };
  });
}

async function router(): Promise<Record<string, number>> {
  return withLab(async (lab) => {
    const work = mkdtempSync(path.join(tmpdir(), 'pseudonet-bench-router-'));
    try {
      const r = lab.ns('brr');
      const c = lab.ns('brc');
      const s = lab.ns('brs');
      lab.veth(c, 'eth0', r, 'rcore');
      lab.veth(s, 'eth0', r, 'rsrv');
      lab.exec(s, 'ip', ['addr', 'add', '203.0.113.10/24', 'dev', 'eth0']);
      const topo = path.join(work, 't.yaml');
      writeFileSync(topo, `sse: { address: 192.0.2.254 }
isps:
  - { name: isp-a, domain: isp-a.example, lns: { name: nte-a, address: 192.0.2.1, hostName: n, tunnelSecret: s }, pool: 198.51.100.0/24, gateway: 198.51.100.1, dns: [198.51.100.53] }
server: { address: 203.0.113.10, gateway: 203.0.113.1 }
router: { ispSide: 10.255.0.1, serverSide: 203.0.113.1, interfaces: { core: rcore, server: rsrv } }
`);
      const control = path.join(work, 'r.sock');
      const box = lab.pseudonet('router', r, ['up', topo, '--box', 'router', '--control', control, '--quiet']);
      const ready = (await box.waitFor((l) => l.ev === 'ready', 20_000, 'router')) as { ports: { core: { mac: string } } };
      // The server's kernel answers ARP; the sink counts what the router forwards.
      lab.exec(s, 'ping', ['-c', '1', '-W', '2', '203.0.113.10']);
      const sink = lab.script('sink', s, AGENT, ['sink', 'eth0', String(MS)]);
      await sink.waitFor((l) => l.ev === 'listening', 15_000, 'sink');
      const blast = lab.script('blast', c, AGENT, ['blastip', 'eth0', ready.ports.core.mac, '10.255.0.2', '203.0.113.10', String(MS + 500)]);
      const b = (await blast.waitFor((l) => l.ev === 'blast', MS + 20_000, 'blast')) as { txPerSecond: number };
      const k = (await sink.waitFor((l) => l.ev === 'sink', MS + 20_000, 'sink')) as { rxPerSecond: number };
      const cnt = (await controlRequest(control, '/show/counters')) as { ports: { core: { kernel: { drops: number } } } };
      return { 'offered frames/s (64 B UDP)': b.txPerSecond, 'forwarded frames/s (64 B UDP)': k.rxPerSecond, 'kernel drops at the router input': cnt.ports.core.kernel.drops };
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
}

/** utime and stime (fields 14, 15 of a proc stat file, USER_HZ) in seconds. */
function statTimes(file: string): { user: number; system: number } {
  const f = readFileSync(file, 'utf8');
  const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return { user: Number(rest[11]) / 100, system: Number(rest[12]) / 100 };
}

/** user + system CPU seconds of a process of ours (by pid). */
function cpuSeconds(pid: number): number {
  const t = statTimes(`/proc/${pid}/stat`);
  return t.user + t.system;
}

/**
 * Where a process's CPU went: its main thread in user space and in the kernel (the system
 * calls: sendmmsg, recvmmsg, and the veth delivery to the peer that runs inside them), and
 * every other thread — V8's helper threads, which compile hot functions with TurboFan and
 * mark and sweep concurrently, and libuv's pool (the spool's fsync). A fixed cost of a
 * process (its JIT warming up) shows in the helpers' share shrinking as the homes grow.
 */
interface CpuSplit { mainUser: number; mainSystem: number; helpers: number }
function cpuSplit(pid: number): CpuSplit {
  const main = statTimes(`/proc/${pid}/task/${pid}/stat`);
  let all = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const t = statTimes(`/proc/${pid}/task/${tid}/stat`);
      all += t.user + t.system;
    } catch {
      // a thread that ended between the listing and the read: its time is in the process's total, not here
    }
  }
  return { mainUser: main.user, mainSystem: main.system, helpers: all - main.user - main.system };
}

interface L2tpSessionCounters { dataIn: number; dataOut: number }
const l2tpData = async (sock: string): Promise<L2tpSessionCounters> => ((await controlRequest(sock, '/show/counters')) as { l2tp: { sessions: L2tpSessionCounters } }).l2tp.sessions;

/**
 * The access chain on veth pairs, one process per box: `n` homes dial through the sse to
 * nte-a (embedded RADIUS, `--homes n` users); then, when `floodSeconds` is given, every
 * home pings the nte's core address with `window` requests in flight.
 */
/** The chain's namespaces and veths: homes h0 ─ acc sse car0 ─ car1 nte core0 ─ core1 (rad0 ─ rad1 RADIUS: startAccessChain). */
function chainLinks(lab: Lab): { hns: string; sns: string; nns: string; rns: string } {
  const hns = lab.ns('bch');
  const sns = lab.ns('bcs');
  const nns = lab.ns('bcn');
  const rns = lab.ns('bcr');
  lab.veth(hns, 'h0', sns, 'acc');
  lab.veth(sns, 'car0', nns, 'car1');
  lab.veth(nns, 'core0', nns, 'core1');
  return { hns, sns, nns, rns };
}

interface ChainCounters {
  ports: Record<string, { kernel?: { drops: number }; counters?: { txDropped: Record<string, number>; txFrames: number; txBatches: number; rxFrames: number; rxBatches: number } }>;
  radius?: { retransmits: number; accessTimeouts: number };
}

/**
 * What was lost in the run, from the boxes' own counters: frames the kernel dropped at an
 * AF_PACKET socket or the attachment refused, and RADIUS requests the nte had to send again
 * (a lost request or answer costs the subscriber the retransmission timeout, ~2 s).
 */
async function losses(sock: (b: string) => string, online: number): Promise<Record<string, number>> {
  const [s, n] = (await Promise.all([controlRequest(sock('sse'), '/show/counters'), controlRequest(sock('nte-a'), '/show/counters')])) as ChainCounters[];
  const dropped = (c: ChainCounters): number => Object.values(c.ports).reduce((a, p) => a + (p.kernel?.drops ?? 0) + Object.values(p.counters?.txDropped ?? {}).reduce((x, y) => x + y, 0), 0);
  // Frames per system call: the kernel work per frame is the same, the cost of a call is shared by its batch.
  const perCall = (c: ChainCounters, f: 'txFrames' | 'rxFrames', b: 'txBatches' | 'rxBatches'): number => {
    const ps = Object.values(c.ports);
    return ps.reduce((a, p) => a + (p.counters?.[f] ?? 0), 0) / Math.max(1, ps.reduce((a, p) => a + (p.counters?.[b] ?? 0), 0));
  };
  // Frames through a box per session set up (sent and received, every port; the few before the homes dialled included).
  const perSetup = (c: ChainCounters): number => Object.values(c.ports).reduce((a, p) => a + (p.counters?.txFrames ?? 0) + (p.counters?.rxFrames ?? 0), 0) / Math.max(1, online);
  return {
    'frames dropped (kernel at AF_PACKET, or not sent): sse': dropped(s!),
    'frames dropped: nte': dropped(n!),
    'RADIUS retransmissions by the nte': n!.radius?.retransmits ?? 0,
    'frames per sendmmsg: sse': perCall(s!, 'txFrames', 'txBatches'),
    'frames per recvmmsg: sse': perCall(s!, 'rxFrames', 'rxBatches'),
    'frames per sendmmsg: nte': perCall(n!, 'txFrames', 'txBatches'),
    'frames per recvmmsg: nte': perCall(n!, 'rxFrames', 'rxBatches'),
    'frames sent and received per setup: sse': perSetup(s!),
    'frames sent and received per setup: nte': perSetup(n!),
  };
}

const perThousand = (cpu: number, online: number): number => (cpu / Math.max(1, online)) * 1000;

export async function accessChain(n: number, o: { window: number; floodSeconds?: number; floodWindow?: number }): Promise<Record<string, number>> {
  return withLab(async (lab) => {
    const work = mkdtempSync(path.join(tmpdir(), 'pseudonet-bench-chain-'));
    try {
      const { hns, sns, nns, rns } = chainLinks(lab);
      const topo = path.join(work, 't.yaml');
      const sock = (b: string): string => path.join(work, `${b}.sock`);
      const { sse, nte, radius } = await startAccessChain(lab, { name: 'bench-chain', sns, nns, topo, sock, homes: n, quiet: true, lcpEchoInterval: 0, radius: { ns: rns } });
      const homes = lab.pseudonet('homes', hns, ['up', topo, '--box', 'homes', '--homes', String(n), '--access', 'h0', '--window', String(o.window), '--control', sock('homes'), '--quiet']);
      await homes.waitFor((l) => l.ev === 'ready', 30_000, 'homes ready');
      const procs: Proc[] = [homes, sse, nte, radius!];
      const cpu0 = procs.map((p) => cpuSeconds(p.pid));
      const split0 = [sse, nte].map((p) => cpuSplit(p.pid));
      const done = (await homes.waitFor((l) => l.ev === 'setup-done', 60_000 + n * 10, 'every home settled')) as { online: number; failed: number; setupsPerSecond: number; setupMs: number };
      const cpu1 = procs.map((p) => cpuSeconds(p.pid));
      const split1 = [sse, nte].map((p) => cpuSplit(p.pid));
      const perK = (i: number): number => perThousand(cpu1[i]! - cpu0[i]!, done.online);
      if (done.online !== n) throw new Error(`${done.online} of ${n} homes online (${done.failed} failed)`);
      const out: Record<string, number> = o.floodSeconds
        ? {}
        : {
            [`setups/s (${n} homes, window ${o.window}, PADI to IPCP up)`]: done.setupsPerSecond,
            [`CPU s per 1,000 setups (${n} homes): home emulator`]: perK(0),
            [`CPU s per 1,000 setups (${n} homes): sse`]: perK(1),
            [`CPU s per 1,000 setups (${n} homes): nte`]: perK(2),
            [`CPU s per 1,000 setups (${n} homes): RADIUS (own process)`]: perK(3),
            ...Object.fromEntries(
              (['sse', 'nte'] as const).flatMap((box, i) => {
                const a = split0[i]!, b = split1[i]!;
                return [
                  [`  of which ${box} main thread, user`, perThousand(b.mainUser - a.mainUser, done.online)],
                  [`  of which ${box} main thread, kernel`, perThousand(b.mainSystem - a.mainSystem, done.online)],
                  [`  of which ${box} other threads (V8 JIT and GC helpers, libuv)`, perThousand(b.helpers - a.helpers, done.online)],
                ];
              }),
            ),
            ...(await losses(sock, done.online)),
          };
      if (o.floodSeconds) {
        const [s0, n0] = await Promise.all([l2tpData(sock('sse')), l2tpData(sock('nte-a'))]);
        const c0 = [homes, sse, nte].map((p) => cpuSeconds(p.pid));
        const f = (await controlRequest(sock('homes'), `/flood?dst=10.255.0.2&seconds=${o.floodSeconds}&window=${o.floodWindow ?? 1}`, o.floodSeconds * 1000 + 30_000)) as { seconds: number; replies: number; lost: number; repliesPerSecond: number; rtt: { mean: number } };
        const c1 = [homes, sse, nte].map((p) => cpuSeconds(p.pid));
        const [s1, n1] = await Promise.all([l2tpData(sock('sse')), l2tpData(sock('nte-a'))]);
        const dt = f.seconds;
        Object.assign(out, {
          [`L2TP data packets/s sse → nte (${n} homes pinging, ${o.floodWindow ?? 1} in flight each)`]: (s1.dataOut - s0.dataOut) / dt,
          'L2TP data packets/s nte → sse': (n1.dataOut - n0.dataOut) / dt,
          'L2TP data packets/s received by the nte': (n1.dataIn - n0.dataIn) / dt,
          'L2TP data packets/s received by the sse': (s1.dataIn - s0.dataIn) / dt,
          [`pings/s home → nte → home (${n} homes)`]: f.repliesPerSecond,
          'pings lost': f.lost,
          'ping RTT mean (ms)': f.rtt.mean,
          'CPU busy during the flood: home emulator (cores)': (c1[0]! - c0[0]!) / dt,
          'CPU busy during the flood: sse (cores)': (c1[1]! - c0[1]!) / dt,
          'CPU busy during the flood: nte (cores)': (c1[2]! - c0[2]!) / dt,
        });
      }
      return out;
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
}

/**
 * Issue 15's per-process setup latency: `pseudonet load --realtime` (the home emulator on h0,
 * wall ms seen on the access port) against the sse, nte and RADIUS processes of
 * `startAccessChain` (quiet, the LNS's LCP echo every 30 s as an LNS would have it): setup
 * rate, percentiles, the auth phase, CPU seconds per 1,000 setups of each process over the
 * whole run, and what was lost on the way. With `window` homes in setup at once the median
 * is about window / rate (Little's law), so the latency figure is taken at windows the boxes
 * are not saturated by as well as at 256.
 */
async function loadRealtime(n: number, window: number): Promise<Record<string, number>> {
  return withLab(async (lab) => {
    const work = mkdtempSync(path.join(tmpdir(), 'pseudonet-bench-load-'));
    try {
      const { hns, sns, nns, rns } = chainLinks(lab);
      const topo = path.join(work, 'topology.yaml');
      const sock = (b: string): string => path.join(work, `${b}.sock`);
      const { sse, nte, radius } = await startAccessChain(lab, { name: 'bench-load', sns, nns, topo, sock, homes: n, quiet: true, lcpEchoInterval: 30, radius: { ns: rns } });
      const out = path.join(work, 'out');
      const load = lab.pseudonet('load', hns, ['load', topo, '--homes', String(n), '--realtime', '--access', 'h0', '--window', String(window), '--out', out, '--pid', `sse=${sse.pid}`, '--pid', `nte-a=${nte.pid}`, '--pid', `radius=${radius!.pid}`, '--timeout', String(60 + Math.ceil(n / 100))]);
      await load.done;
      if (load.exited !== 0) throw new Error(`load exited ${load.exited}: ${load.stderr}`);
      const r = JSON.parse(readFileSync(path.join(out, 'report.json'), 'utf8')) as { online: number; setupsPerSecond: number; setupMs: Record<string, number>; phaseMs: Record<string, Record<string, number>>; cpuSecondsPerBox: Record<string, number> };
      if (r.online !== n) throw new Error(`${r.online} of ${n} homes online`);
      const perK = (b: string): number => perThousand(r.cpuSecondsPerBox[b]!, r.online);
      const label = `(${n} homes, window ${window}, load --realtime)`;
      return {
        [`setups/s ${label}`]: r.setupsPerSecond,
        'setup ms p50 (wall, access port)': r.setupMs.p50!,
        'setup ms p90': r.setupMs.p90!,
        'setup ms p99': r.setupMs.p99!,
        'setup ms max': r.setupMs.max!,
        'auth phase ms p50 (CHAP to Success: LNS lookup, tunnel, call, RADIUS)': r.phaseMs.auth!.p50!,
        'auth phase ms p99': r.phaseMs.auth!.p99!,
        'CPU s per 1,000 setups, whole run: sse': perK('sse'),
        'CPU s per 1,000 setups, whole run: nte': perK('nte-a'),
        'CPU s per 1,000 setups, whole run: RADIUS (own process)': perK('radius'),
        'CPU s per 1,000 setups, whole run: home emulator': perK('homes'),
        ...(await losses(sock, r.online)),
      };
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
}

const entries: BenchEntry[] = real
  ? [
      { name: 'afpacket attachment', measure: () => attachment(64) },
      { name: 'afpacket attachment', measure: () => attachment(1514) },
      { name: 'router box over veth', measure: router },
      { name: 'access chain over veth', measure: () => accessChain(10_000, { window: 256 }) },
      { name: 'access chain over veth', measure: () => accessChain(20_000, { window: 256 }) },
      { name: 'access chain over veth', measure: () => accessChain(1_000, { window: 256, floodSeconds: 5, floodWindow: 4 }) },
      // The goal's latency figure (setup p99 at 10,000 homes) at window 32: the median is then
      // ~32 / rate ≈ 35 ms at 0.9 k/s, so the boxes are not saturated even when the machine is
      // shared and the p99 is theirs, not a queue's; at 64 the rate still rises with the
      // window (the knee); at 256 the median is mostly waiting (Little's law) and the CPU per
      // setup is lowest (fuller batches).
      { name: 'access chain, load --realtime', measure: () => loadRealtime(10_000, 32) },
      { name: 'access chain, load --realtime', measure: () => loadRealtime(10_000, 64) },
      { name: 'access chain, load --realtime', measure: () => loadRealtime(10_000, 256) },
    ]
  : [];
export default entries;
