/**
 * Heap per home before and after it is online (node --expose-gc --import tsx bench/heap-split.ts N):
 * what a home costs idle (its box, driver, port, configuration) and what a session adds across every box.
 */
import { dialAll, homesNetwork, homesTopology } from './bring-up.js';

const gc = (globalThis as { gc?: () => void }).gc!;
const heap = (): number => {
  gc();
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
};
const n = Number(process.argv[2] ?? 20_000);
const t = homesTopology(n);
const h0 = heap();
const { net, clock } = homesNetwork(t);
const h1 = heap();
const online = dialAll(net, clock);
clock.runUntil(clock.now() + Number(process.env.SETTLE_MS ?? 1000));
const h2 = heap();
console.log(JSON.stringify({ homes: n, online, idleHomeBytes: Math.round((h1 - h0) / n), sessionBytes: Math.round((h2 - h1) / n), totalPerSession: Math.round((h2 - h0) / n), topologyBytesPerHome: 'not counted' }));
