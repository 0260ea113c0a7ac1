/**
 * Brings N homes online on the virtual clock and writes a V8 heap snapshot (for finding
 * what each session keeps): node --expose-gc --import tsx bench/heap-snapshot.ts N FILE [idle]
 * (idle: the homes are built but never dial)
 */
import { writeHeapSnapshot } from 'node:v8';
import { Network } from '../src/sim/network.js';
import { loadTopology } from '../src/config/topology.js';
import { withHomes } from '../src/config/generate.js';
import { VirtualClock } from '../src/sim/clock.js';

const n = Number(process.argv[2] ?? 2000);
const file = process.argv[3] ?? 'heap.heapsnapshot';
const clock = new VirtualClock(Date.UTC(2026, 0, 1));
const net = new Network(withHomes(loadTopology('topologies/default.yaml'), n), { clock });
clock.runUntil(clock.now() + 1);
let online = 0;
net.onEvent((e) => {
  if (e.kind === 'home' && e.event.type === 'online') online++;
});
if (process.argv[4] !== "idle") for (const h of net.homes) net.act(h.cfg.name, (now) => h.start(now));
else online = n;
clock.runUntilTrue(() => online === n, clock.now() + 600_000);
// What the last homes still had in flight (IPv6, Accounting-Start, the duplicate windows) is over first, as in `pseudonet load`.
clock.runUntil(clock.now() + 15_000);
(globalThis as { gc?: () => void }).gc?.();
console.log(`${online}/${n} online`, writeHeapSnapshot(file));
