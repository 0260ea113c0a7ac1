/**
 * `pseudonet load FILE --homes N [--rate R] [--window W] [--out DIR] [--realtime]`: N generated
 * homes come up through the whole chain, paced by rate and window, are measured and are torn
 * down; DIR/report.json and DIR/report.html say how it went (docs/load.md defines every figure).
 * On the virtual clock by default (every box in this process); `--realtime` is the home
 * emulator on a real interface against sse and nte processes of their own.
 */
import { InvalidArgumentError, type Command } from 'commander';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { loadTopology, type Topology } from '../config/topology.js';
import { withHomes } from '../config/generate.js';
import { Network, type NetEvent } from '../sim/network.js';
import { VirtualClock } from '../sim/clock.js';
import { HomesBox } from '../io/homes.js';
import type { BoxEvent } from '../io/box.js';
import type { HomeEvent } from '../roles/home.js';
import { BoxTimes, SetupTracker, cryptoFloor, cryptoOps } from './load-measure.js';
import { phaseMs, quantiles, writeLoadReport, type LoadReport } from './load-report.js';

/** Virtual ms between the end of the setup phase and the heap reading. */
const SETTLE_MS = 5000;

export interface LoadOptions {
  readonly homes: number;
  /** New setups per second of the run's clock; 0 = all at once. */
  readonly rate: number;
  /** Homes in setup at once at most; 0 = no limit. */
  readonly window: number;
  readonly out: string;
  /** Draw a progress bar on stderr (the CLI: when stderr is a TTY). */
  readonly progress?: boolean;
  /** Give up on homes still in setup after this long (ms of the run's clock). */
  readonly timeoutMs?: number;
  // --realtime
  readonly access?: string;
  /** Other processes to account CPU to, name → pid (`--pid sse=123`). */
  readonly pids?: Readonly<Record<string, number>>;
}

type Gc = () => void;
const gc = (): Gc | undefined => (globalThis as { gc?: Gc }).gc;

/** Heap in use plus ArrayBuffers (frames, typed arrays), after two full collections when gc is exposed. */
function heapNow(): number {
  const g = gc();
  g?.();
  g?.();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

/**
 * The crypto floor, timed after a full collection when gc is exposed, the better of two
 * windows: at the end of a run the young generation is full of what the teardown left, and
 * scavenges of it (50–150 ms each at 100,000 homes, several in one 400 ms window) halved the
 * figure from one run to the next. A floor taken too low would flatter the setups/s beside it.
 */
function quietCryptoFloor(sessionsPerTunnel: number): number {
  gc()?.();
  return Math.max(cryptoFloor(sessionsPerTunnel), cryptoFloor(sessionsPerTunnel));
}

/** Home number from a generated home's name (`h<k>`, src/config/generate.ts): the low 32 bits of its MAC. */
function homeIndex(name: string): number {
  return Number(name.slice(1));
}

/** A one-line progress bar on stderr, redrawn at most ten times a second; nothing when disabled. */
class Progress {
  private last = 0;
  private drawn = false;

  constructor(private readonly enabled: boolean, private readonly total: number) {}

  draw(tr: SetupTracker, label: string, force = false): void {
    if (!this.enabled) return;
    const t = performance.now();
    if (!force && t - this.last < 100) return;
    this.last = t;
    const width = 30;
    const done = tr.online + (tr.started - tr.online - tr.inSetup);
    const fill = Math.round((width * done) / Math.max(1, this.total));
    const wall = (t - tr.firstStartWall) / 1000;
    const rate = wall > 0 ? tr.online / wall : 0;
    process.stderr.write(`\r${label} [${'#'.repeat(fill)}${'.'.repeat(width - fill)}] ${tr.online}/${this.total} online, ${tr.inSetup} in setup, ${rate.toFixed(0)}/s   `);
    this.drawn = true;
  }

  end(): void {
    if (this.drawn) process.stderr.write('\n');
    this.drawn = false;
  }
}

function failedRecord(tr: SetupTracker): Record<string, number> {
  return Object.fromEntries([...tr.failed].sort((a, b) => b[1] - a[1]));
}

/**
 * The virtual-clock run: the baseline heap is taken before the homes exist (before the
 * topology with N homes is generated), the network is built, the homes are admitted by rate
 * and window, measured on their way up, measured again with every home online, and torn down.
 */
/**
 * What the boxes cost with no home at all (route tables, pools, buffers): a network of the
 * same topology without homes, measured and dropped (in a frame of its own, so that nothing
 * of it stays reachable from the caller's).
 */
function fixedHeap(base: Topology): number {
  const before = heapNow();
  const empty = new Network(withHomes(base, 0), { clock: new VirtualClock(Date.UTC(2026, 0, 1)) });
  const after = heapNow();
  empty.close();
  return after - before;
}

export interface LoadResult {
  readonly report: LoadReport;
  /** The histograms and timelines behind the report (report.html draws them). */
  readonly tracker: SetupTracker;
}

export function runLoadVirtual(base: Topology, o: LoadOptions): LoadResult {
  const N = o.homes;
  const tr = new SetupTracker(N);
  const progress = new Progress(o.progress ?? false, N);
  const heapExact = gc() !== undefined;
  const heapFixed = fixedHeap(base);
  const heap0 = heapNow();
  const wall0 = performance.now();

  const t = withHomes(base, N);
  const clock = new VirtualClock(Date.UTC(2026, 0, 1));
  const net = new Network(t, { clock });
  if (net.homes.length !== N || net.homes[N - 1]?.cfg.name !== `h${N}`) throw new Error('generated homes are not h1..hN in order');
  const times = new BoxTimes([...net.drivers.values()].map((d) => d.box));
  const buildWallSeconds = (performance.now() - wall0) / 1000;
  const access = net.segments.get('access');
  access?.observe((f, _from, now) => tr.access(f, now));
  let seg = 0;
  for (const [name, s] of net.segments) {
    if (!name.startsWith('radius-')) continue;
    const k = seg++;
    s.observe((f, _from, now) => tr.radius(k, f, now));
  }

  let next = 0;
  /** In the teardown: another home hangs up when one has gone offline. */
  let hangUpNext: (() => void) | undefined;
  let admitPending = false;
  let rateTimer = false;
  let offline = 0;
  const admit = (): void => {
    admitPending = false;
    const now = clock.now();
    while (next < N) {
      if (o.window > 0 && tr.inSetup >= o.window) return;
      if (o.rate > 0 && tr.started > 0 && tr.started >= Math.floor(((now - tr.firstStartAt) * o.rate) / 1000 + 1e-9) + 1) {
        if (!rateTimer) {
          rateTimer = true;
          clock.setTimer(tr.firstStartAt + (tr.started * 1000) / o.rate, () => {
            rateTimer = false;
            admit();
          });
        }
        return;
      }
      const h = net.homes[next++]!;
      tr.started1(next, now);
      net.act(h.cfg.name, (n) => h.start(n));
    }
  };
  const freed = (): void => {
    if (admitPending || next >= N) return;
    admitPending = true;
    clock.setTimer(clock.now(), admit);
  };
  net.onEvent((e: NetEvent) => {
    // The network keeps no event log (its rings are empty unless `keep` is asked for): nothing to clear.
    if (e.kind === 'home') {
      const i = homeIndex(e.box);
      const ev = e.event;
      if (ev.type === 'online') {
        tr.online1(i, e.at);
        freed();
      } else if (ev.type === 'discovery-failed' || ev.type === 'auth-failed') {
        tr.failed1(i, `${ev.type}: ${ev.reason}`);
        freed();
      } else if (ev.type === 'offline') {
        offline++;
        tr.failed1(i, `offline in setup: ${ev.reason}`);
        freed();
        hangUpNext?.();
      }
    } else if (e.kind === 'sse' && e.event.type === 'relaying') tr.relaying(e.event.mac, e.at);
  });

  clock.runUntil(clock.now() + 1); // the first kicks, gratuitous ARPs
  const v0 = clock.now();
  const cpu0 = process.cpuUsage();
  const timeoutMs = o.timeoutMs ?? 120_000 + (o.rate > 0 ? (N * 1000) / o.rate : 0);
  const deadline = v0 + timeoutMs;
  const loop0 = performance.now();
  const box0 = times.total();
  admit();
  while ((next < N || tr.inSetup > 0) && clock.now() < deadline) {
    clock.runUntil(Math.min(deadline, clock.now() + 20));
    progress.draw(tr, 'setup');
  }
  progress.draw(tr, 'setup', true);
  progress.end();
  tr.settle('still in setup at the deadline');
  const cpu = process.cpuUsage(cpu0);
  const processCpuSeconds = (cpu.user + cpu.system) / 1e6;
  // Thread time, scaled by the phase's CPU/wall ratio: on a machine busy with other work the
  // thread is sometimes descheduled inside a box; the scaled figures add up to the process CPU.
  const loopSeconds = (performance.now() - loop0) / 1000;
  const cpuScale = loopSeconds > 0 ? Math.min(1, processCpuSeconds / loopSeconds) : 1;
  const thread = times.seconds();
  thread.other = Math.max(0, loopSeconds - (times.total() - box0));
  const cpuSeconds = Object.fromEntries(Object.entries(thread).map(([k, v]) => [k, v * cpuScale]));
  const setupWallSeconds = tr.online ? (tr.lastOnlineWall - tr.firstStartWall) / 1000 : 0;
  // Per established session: what the last homes' set-up still had in flight when their IPCP
  // opened (IPv6, Accounting-Start, the RADIUS servers' 5-s duplicate windows) is over first.
  clock.runUntil(clock.now() + SETTLE_MS);
  const heap1 = heapNow();

  // Teardown: every online home hangs up (LCP Terminate, PADT → CDN, Accounting-Stop), at
  // most a window of them at once as in the setup. All at one instant put every frame of the
  // teardown in flight together: a million homes' frames in packet cells, whose slabs V8
  // counts as external memory, and its pressure forced full collections of the whole heap.
  const teardown0 = performance.now();
  offline = 0;
  const online = net.homes.filter((h) => tr.isOnline(homeIndex(h.cfg.name)));
  const up = online.length;
  let hung = 0;
  let maxHangingUp = 0;
  const hangUp = (): void => {
    const h = online[hung++]!;
    net.act(h.cfg.name, (n) => h.disconnect(n));
    if (hung - offline > maxHangingUp) maxHangingUp = hung - offline;
  };
  // As `admit` in the setup: as many as the window has room for, now and after each offline.
  let hangUpPending = false;
  const hangUpMore = (): void => {
    hangUpPending = false;
    while (hung < up && (o.window <= 0 || hung - offline < o.window)) hangUp();
  };
  hangUpNext = (): void => {
    // Called from a box's event: the next homes hang up at this instant, from a timer of their own.
    if (hangUpPending || hung >= up) return;
    hangUpPending = true;
    clock.setTimer(clock.now(), hangUpMore);
  };
  hangUpMore();
  const windows = o.window > 0 && o.window < up ? Math.ceil(up / o.window) : 0;
  clock.runUntilTrue(() => offline >= up, clock.now() + 120_000 + windows * 10_000);
  clock.runUntil(clock.now() + 10_000); // CDN, StopCCN and Accounting-Stop settle
  const teardown = { homes: up, offline, wallSeconds: (performance.now() - teardown0) / 1000, maxHangingUp };
  const virtualSeconds = (clock.now() - v0) / 1000;
  const wallSeconds = (performance.now() - wall0) / 1000;
  times.restore();
  net.close();

  const perTunnel = sessionsPerTunnel(t, N);
  const floor = quietCryptoFloor(perTunnel);
  const notes = [
    'setupMs and phaseMs are virtual ms: protocol latency with the CPU free (link delays, timers, the boxes\' bounds); setupWallMs is the wall-clock wait',
    `cpuSecondsPerBox: thread time (performance.now) inside each box's handleFrame/handleTimeout/poll*/nextTimeout, from the network's first kick to the end of the setup phase, "other" the rest of that phase (clock, switch, drivers, this measurement), all scaled by the phase's CPU/wall ratio (${cpuScale.toFixed(2)}: processCpuSeconds over wall) so that they add up to the process's CPU`,
    `heap: the boxes with no home cost ${(heapFixed / 2 ** 20).toFixed(1)} MiB (heap.fixedBytes, measured aside); heapBytesPerSession includes that share, heap.perSessionBeyondFixed does not`,
    'the network\'s event log (an array on this version) was emptied on every event; the load keeps none of it',
  ];
  if (!heapExact) notes.push('gc was not exposed: heapBytesPerSession is approximate (run node with --expose-gc)');
  const report: LoadReport = {
    ...commonReport(tr, N, setupWallSeconds, (heap1 - heap0) / N, o, perTunnel),
    cryptoFloorSetupsPerSecond: floor,
    cpuSecondsPerBox: cpuSeconds,
    virtualSeconds,
    wallSeconds,
    mode: 'virtual',
    clock: 'virtual',
    buildWallSeconds,
    teardown,
    heap: { baselineBytes: heap0, onlineBytes: heap1, exact: heapExact, fixedBytes: heapFixed, perSessionBeyondFixed: (heap1 - heap0 - heapFixed) / N },
    processCpuSeconds,
    cpuScale,
    notes,
  };
  return { report, tracker: tr };
}

/** Sessions an L2TP tunnel carries in this run: each ISP's share, in tunnels of at most the sse's limit (the crypto floor's per-tunnel share). */
function sessionsPerTunnel(t: Topology, n: number): number {
  return Math.min(n / Math.max(1, t.isps.length), t.sse.l2tpMaxSessionsPerTunnel);
}

/** What both modes report alike, from the tracker. */
function commonReport(tr: SetupTracker, n: number, setupWallSeconds: number, heapPerSession: number, o: { rate: number; window: number }, perTunnel: number) {
  return {
    homes: n,
    online: tr.online,
    failed: failedRecord(tr),
    setupsPerSecond: setupWallSeconds > 0 ? tr.online / setupWallSeconds : 0,
    heapBytesPerSession: heapPerSession,
    setupMs: quantiles(tr.setup),
    phaseMs: phaseMs(tr),
    setupWallSeconds,
    setupWallMs: quantiles(tr.setupWall),
    cryptoOpsPerSession: cryptoOps(perTunnel),
    pacing: { rate: o.rate, window: o.window, maxInSetup: tr.maxInSetup, maxStartsPerSecond: tr.maxStartsPerSecond },
  };
}

/** utime + stime of a process in seconds (/proc/PID/stat fields 14 and 15, in clock ticks of 1/100 s). */
function procCpuSeconds(pid: number): number | undefined {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return undefined;
  }
}

/**
 * The real-interface run: the home emulator (src/io/homes.ts, its own rate and window) on
 * `access`, against the sse and nte running as `pseudonet up` processes. Only what the
 * emulator sees is measured: the access-link phases (discovery, lcp, auth, ipcp) in wall ms,
 * the emulator's own CPU and heap, and the CPU of the processes named with --pid.
 */
export async function runLoadRealtime(base: Topology, o: LoadOptions): Promise<LoadResult> {
  const N = o.homes;
  const tr = new SetupTracker(N);
  const progress = new Progress(o.progress ?? false, N);
  const heapExact = gc() !== undefined;
  const heap0 = heapNow();
  const wall0 = performance.now();
  const t = withHomes(base, N);
  const pids = o.pids ?? {};
  const proc0 = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, procCpuSeconds(pid)]));
  const cpu0 = process.cpuUsage();
  let settled: () => void = () => {};
  const done = new Promise<void>((r) => (settled = r));
  let box: HomesBox | undefined;
  const onEvent = (e: BoxEvent): void => {
    if (e.kind === 'homes' && (e.event as { type?: string }).type === 'setup-done') return settled();
    if (e.kind !== 'home') return;
    const i = homeIndex(e.box);
    const ev = e.event as HomeEvent;
    if (ev.type === 'online') tr.online1(i, e.at);
    else if (ev.type === 'discovery-failed' || ev.type === 'auth-failed') tr.failed1(i, `${ev.type}: ${ev.reason}`);
    else if (ev.type === 'offline') tr.failed1(i, `offline in setup: ${ev.reason}`);
    if (box && tr.inSetup === 0 && tr.started === N) settled();
  };
  box = new HomesBox(t, {
    window: o.window,
    rate: o.rate,
    ...(o.access ? { access: o.access } : {}),
    onEvent,
    onFrame: (_port, f, dir, at) => {
      // A home's first PADI of the run is its start (the emulator paces the dialling itself).
      if (dir === 'out' && f[12] === 0x88 && f[13] === 0x63 && f[15] === 0x09 && f[6] === 0x02 && f[7] === 0x10) {
        const i = ((f[8]! << 24) | (f[9]! << 16) | (f[10]! << 8) | f[11]!) >>> 0;
        if (!tr.isOnline(i) && i >= 1 && i <= N && !tr.seen(i)) tr.started1(i, at);
      }
      tr.access(f, at);
    },
  });
  const tick = setInterval(() => progress.draw(tr, 'setup'), 100);
  const timeout = new Promise<void>((r) => setTimeout(r, o.timeoutMs ?? 120_000 + (o.rate > 0 ? (N * 1000) / o.rate : 0)).unref());
  await Promise.race([done, timeout]);
  clearInterval(tick);
  progress.draw(tr, 'setup', true);
  progress.end();
  tr.settle('still in setup at the deadline');
  const cpu = process.cpuUsage(cpu0);
  const cpuSeconds: Record<string, number> = { homes: (cpu.user + cpu.system) / 1e6 };
  for (const [k, pid] of Object.entries(pids)) {
    const a = proc0[k];
    const b = procCpuSeconds(pid);
    if (a !== undefined && b !== undefined) cpuSeconds[k] = b - a;
  }
  const setupWallSeconds = tr.online ? (tr.lastOnlineWall - tr.firstStartWall) / 1000 : 0;
  const heap1 = heapNow();
  await box.shutdown(10_000);
  const wallSeconds = (performance.now() - wall0) / 1000;
  const perTunnel = sessionsPerTunnel(t, N);
  const notes = [
    'realtime: setupMs and phaseMs are wall ms seen on the emulator\'s access port; lookup+tunnel+call, radius and accounting-start happen beyond it and are not measured here',
    `cpuSecondsPerBox: "homes" is this emulator process's CPU during the setup phase${Object.keys(pids).length ? '; the others are /proc/PID/stat utime+stime deltas of the processes given with --pid' : '; give --pid sse=PID --pid nte-a=PID to add the boxes\' processes'}`,
    'heapBytesPerSession is the emulator\'s heap per home (the sse and nte are other processes); virtualSeconds equals the wall time (no virtual clock)',
  ];
  if (!heapExact) notes.push('gc was not exposed: heapBytesPerSession is approximate');
  const report: LoadReport = {
    ...commonReport(tr, N, setupWallSeconds, (heap1 - heap0) / N, o, perTunnel),
    cryptoFloorSetupsPerSecond: quietCryptoFloor(perTunnel),
    cpuSecondsPerBox: cpuSeconds,
    virtualSeconds: wallSeconds,
    wallSeconds,
    mode: 'realtime',
    clock: 'wall',
    heap: { baselineBytes: heap0, onlineBytes: heap1, exact: heapExact },
    processCpuSeconds: (cpu.user + cpu.system) / 1e6,
    cpuScale: 1,
    notes,
  };
  return { report, tracker: tr };
}

function count(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`not a whole number: ${v}`);
  return n;
}

function rate(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`not a rate (setups per second, 0 = all at once): ${v}`);
  return n;
}

function pid(v: string, acc: Record<string, number> = {}): Record<string, number> {
  const m = /^([A-Za-z0-9_.-]+)=(\d+)$/.exec(v);
  if (!m) throw new InvalidArgumentError(`--pid NAME=PID (got ${v})`);
  return { ...acc, [m[1]!]: Number(m[2]) };
}

/**
 * Without an exposed gc the heap figure would be approximate: run again as a child with
 * --expose-gc, the same arguments and the same terminal. The child also gets room for a
 * million homes and a young generation sixteen times Node's default (256 MiB semi-spaces):
 * a setup's frames, timers and control buffers die young, and a scavenge costs about the
 * same whatever the size (the survivors and the old-to-young pointers), so fewer of them
 * cost less (64 MiB against the default at 100,000 homes: about 10 % more setups per second,
 * 18 % less teardown time, 350 MB more RSS; 256 against 64 at 30,000 homes: 6 % less wall
 * time, three runs each in turn, 270 MB more peak RSS). Either is left alone when given.
 */
async function reexecWithGc(): Promise<boolean> {
  if (gc() || process.env.PSEUDONET_LOAD_CHILD) return false;
  const heapMb = Math.floor((os.totalmem() / 2 ** 20) * 0.75);
  const given = (flag: string): boolean => process.execArgv.some((a) => a.startsWith(flag));
  const argv = [
    ...process.execArgv,
    '--expose-gc',
    ...(given('--max-old-space-size') ? [] : [`--max-old-space-size=${heapMb}`]),
    ...(given('--max-semi-space-size') ? [] : ['--max-semi-space-size=256']),
    ...process.argv.slice(1),
  ];
  const child = spawn(process.execPath, argv, { stdio: 'inherit', env: { ...process.env, PSEUDONET_LOAD_CHILD: '1' } });
  const fwd = (s: NodeJS.Signals): void => void child.kill(s);
  process.on('SIGINT', fwd);
  process.on('SIGTERM', fwd);
  const code = await new Promise<number>((r) => child.on('exit', (c, sig) => r(c ?? (sig ? 128 : 1))));
  process.exitCode = code;
  return true;
}

export function registerLoad(program: Command): void {
  program
    .command('load')
    .description('bring N generated homes up through the whole chain, paced, measure every phase, tear them down, and write report.json and report.html')
    .argument('<file>', 'topology YAML (its homes are replaced by N generated ones)')
    .requiredOption('--homes <n>', 'how many homes', count)
    .option('--rate <r>', 'new setups per second (0 = all at once)', rate, 0)
    .option('--window <w>', 'homes in setup at once at most, and on the virtual clock hanging up at once at most in the teardown (0 = no limit; default 10000 on the virtual clock, 256 with --realtime as pseudonet up --box homes)', count)
    .option('--out <dir>', 'output directory', 'out')
    .option('--realtime', 'the home emulator on a real interface (--access) against sse and nte processes of their own (pseudonet up)')
    .option('--access <ifname>', 'with --realtime: the interface the homes are on')
    .option('--pid <name=pid>', 'with --realtime: also account the CPU of this process (repeatable: --pid sse=123 --pid nte-a=456)', pid)
    .option('--timeout <s>', 'give up on homes still in setup after this many seconds (default 120 + homes/rate)', Number)
    .action(async (file: string, o: { homes: number; rate: number; window?: number; out: string; realtime?: boolean; access?: string; pid?: Record<string, number>; timeout?: number }) => {
      if (o.homes < 1) {
        console.error('--homes must be at least 1');
        process.exitCode = 2;
        return;
      }
      if (await reexecWithGc()) return;
      let base: Topology;
      try {
        base = loadTopology(file);
      } catch (e) {
        console.error((e as Error).message);
        process.exitCode = 2;
        return;
      }
      const window = o.window ?? (o.realtime ? 256 : 10_000);
      const opts: LoadOptions = { homes: o.homes, rate: o.rate, window, out: o.out, progress: process.stderr.isTTY === true, ...(o.timeout !== undefined ? { timeoutMs: o.timeout * 1000 } : {}), ...(o.access ? { access: o.access } : {}), ...(o.pid ? { pids: o.pid } : {}) };
      const { report, tracker } = o.realtime ? await runLoadRealtime(base, opts) : runLoadVirtual(base, opts);
      const files = writeLoadReport(o.out, report, tracker);
      console.log(`${report.online}/${report.homes} online, ${report.setupsPerSecond.toFixed(0)} setups/s (crypto floor ${report.cryptoFloorSetupsPerSecond.toFixed(0)}/s), setup p99 ${report.setupMs.p99} ms; ${files.map((f) => (path.relative(process.cwd(), f).startsWith('..') ? f : path.relative(process.cwd(), f))).join(', ')}`);
      process.exitCode = report.online === report.homes ? 0 : 1;
    });
}
