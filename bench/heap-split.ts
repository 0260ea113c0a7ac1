/**
 * Heap per home before and after it is online (node --expose-gc --import tsx bench/heap-split.ts N):
 * what a home costs idle (its box, driver, port, configuration) and what a session adds across every box.
 */
import { Network } from '../src/sim/network.js';
import { loadTopology } from '../src/config/topology.js';
import { withHomes } from '../src/config/generate.js';
import { VirtualClock } from '../src/sim/clock.js';

const gc = (globalThis as { gc?: () => void }).gc!;
const heap = (): number => {
  gc();
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
};
const n = Number(process.argv[2] ?? 20_000);
const base = loadTopology('topologies/default.yaml');
const t = withHomes(base, n);
const h0 = heap();
const clock = new VirtualClock(Date.UTC(2026, 0, 1));
const net = new Network(t, { clock });
clock.runUntil(clock.now() + 1);
const h1 = heap();
let online = 0;
net.onEvent((e) => {
  if (e.kind === 'home' && e.event.type === 'online') online++;
});
let next = 0;
const WINDOW = 10_000;
const startNext = (): void => {
  const h = net.homes[next++];
  if (h) net.act(h.cfg.name, (now) => h.start(now));
};
net.onEvent((e) => {
  if (e.kind === 'home' && e.event.type === 'online') startNext();
});
for (let k = 0; k < WINDOW && k < n; k++) startNext();
clock.runUntilTrue(() => online === n, clock.now() + 600_000);
clock.runUntil(clock.now() + Number(process.env.SETTLE_MS ?? 1000));
const h2 = heap();
console.log(JSON.stringify({ homes: n, online, idleHomeBytes: Math.round((h1 - h0) / n), sessionBytes: Math.round((h2 - h1) / n), totalPerSession: Math.round((h2 - h0) / n), topologyBytesPerHome: 'not counted' }));
