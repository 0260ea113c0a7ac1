/**
 * The whole chain in one process (issues 8 and 15): full setups per second (PADI to IPCP up,
 * RADIUS included), CPU per box per 1,000 setups, heap bytes per established session across
 * every box with the baseline taken before the homes exist (read 5 virtual s after the last
 * home came online, once what its set-up left in flight is done), and packets relayed by the sse
 * per second (its relay.up + relay.down counters) while every home pings the server.
 * The network's event log (an array on this version) is emptied on every event: none is kept.
 * BENCH_RELAY_MS sets how long the relay measurement runs (default 1500; longer for profiles:
 * `BENCH_RELAY_MS=6000 node --cpu-prof --import tsx bench/one.ts 'network relay'`).
 */
import type { BenchEntry } from './bench.js';
import { Network } from '../src/sim/network.js';
import { loadTopology, type Topology } from '../src/config/topology.js';
import { withHomes } from '../src/config/generate.js';
import { VirtualClock } from '../src/sim/clock.js';
import { ipv4FromString } from '../src/wire/bytes.js';
import { BoxTimes } from '../src/cli/load-measure.js';
import { dialAll } from './bring-up.js';

const gc = (globalThis as { gc?: () => void }).gc;
/** Virtual ms between the last home online and the heap reading (see bringUp). */
const SETTLE_MS = 5000;

function heap(): number {
  gc?.();
  gc?.();
  return process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
}

/** The boxes' cost with no home (route tables, pools), in a frame of its own so nothing of it stays reachable. */
function fixedHeap(base: Topology): number {
  const before = heap();
  const net = new Network(withHomes(base, 0), { clock: new VirtualClock(Date.UTC(2026, 0, 1)) });
  const after = heap();
  net.close();
  return after - before;
}

interface Up {
  net: Network;
  clock: VirtualClock;
  setupsPerSecond: number;
  bytesPerSession: number;
  fixedBytes: number;
  /** CPU seconds per 1,000 setups by box (homes summed), and "other" (clock, switch, drivers). */
  cpuPer1000: Record<string, number>;
}

function bringUp(n: number, measureBoxes = false): Up {
  const base = loadTopology('topologies/default.yaml');
  const fixedBytes = fixedHeap(base);
  const before = heap(); // before the homes (and the network holding them) exist
  const t = withHomes(base, n);
  const clock = new VirtualClock(Date.UTC(2026, 0, 1));
  const net = new Network(t, { clock });
  // Timing (two clock reads around every driver call, src/cli/load-measure.ts) is not free:
  // only the CPU-per-box entry pays it.
  const times = measureBoxes ? new BoxTimes([...net.drivers.values()].map((d) => d.box)) : undefined;
  clock.runUntil(clock.now() + 1); // first kicks, gratuitous ARPs
  const cpu0 = process.cpuUsage();
  const box0 = times?.seconds() ?? {};
  const t0 = performance.now();
  const online = dialAll(net, clock);
  const dt = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  if (online !== n) throw new Error(`${online}/${n} online`);
  // Thread time inside each box, scaled by CPU/wall so that the figures add up to the process CPU.
  const scale = Math.min(1, (cpu.user + cpu.system) / 1e6 / dt);
  const spent = times?.seconds() ?? {};
  times?.restore();
  const cpuPer1000: Record<string, number> = {};
  let inBoxes = 0;
  for (const [k, v] of Object.entries(spent)) {
    const s = v - (box0[k] ?? 0);
    inBoxes += s;
    cpuPer1000[k] = (s * scale * 1000) / n;
  }
  if (times) cpuPer1000.other = (Math.max(0, dt - inBoxes) * scale * 1000) / n;
  // Established: the last homes' IPv6 set-up, Accounting-Starts and RADIUS duplicate windows
  // (5 s) still in flight when the last IPCP opens are over before the heap is read.
  clock.runUntil(clock.now() + SETTLE_MS);
  const after = heap();
  return { net, clock, setupsPerSecond: n / dt, bytesPerSession: (after - before) / n, fixedBytes, cpuPer1000 };
}

function figures(r: Up): Record<string, number> {
  const out: Record<string, number> = {
    'setups/s (PADI to IPCP up, RADIUS included)': r.setupsPerSecond,
    'heap bytes per session (all boxes, baseline before the homes)': r.bytesPerSession,
    'heap MiB of the boxes with no home (in the figure above)': r.fixedBytes / 2 ** 20,
  };
  return out;
}

export default [
  {
    name: 'network relay',
    measure: () => {
      const { net, clock } = bringUp(100);
      const server = ipv4FromString(net.topology.server.address);
      let replies = 0;
      net.onEvent((e) => {
        if (e.kind === 'home' && e.event.type === 'ip' && e.event.event.kind === 'echo-reply') replies++;
      });
      const relayed = (): number => (net.sse.counters['relay.up'] ?? 0) + (net.sse.counters['relay.down'] ?? 0);
      const relayed0 = relayed();
      const t0 = performance.now();
      let seq = 0;
      const ms = Number(process.env.BENCH_RELAY_MS ?? 1500); // longer for profiling
      while (performance.now() - t0 < ms) {
        seq++;
        for (const h of net.homes) net.act(h.cfg.name, (now) => h.ping(server, seq & 0xffff, now, 56));
        clock.runUntil(clock.now() + 50);
      }
      const dt = (performance.now() - t0) / 1000;
      return { 'pings/s home → server → home': replies / dt, 'packets/s relayed by the sse (relay.up + relay.down)': (relayed() - relayed0) / dt };
    },
  },
  {
    name: 'network 10k homes',
    measure: () => figures(bringUp(10_000)),
  },
  {
    // More than one sse access port holds 65,534 PPPoE sessions (RFC 2516 session ids): the
    // generated homes spread over two ports here.
    name: 'network 100k homes',
    measure: () => figures(bringUp(100_000)),
  },
  {
    name: 'network 10k homes, CPU by box',
    measure: () => {
      const r = bringUp(10_000, true);
      return Object.fromEntries(Object.entries(r.cpuPer1000).map(([k, v]) => [`CPU s per 1,000 setups: ${k}`, v]));
    },
  },
] satisfies BenchEntry[];
