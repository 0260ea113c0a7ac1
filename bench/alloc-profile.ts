/**
 * Where a session's short-lived allocations come from: N homes brought online on the virtual
 * clock under V8's sampling heap profiler, keeping the samples of objects the scavenger and
 * the mark-compactor collected too (what drives the young-generation GCs):
 *   node --import tsx bench/alloc-profile.ts N FILE.heapprofile
 * Open FILE in Chrome DevTools (Memory, "Allocation sampling") or sum it by function.
 */
import { Session } from 'node:inspector/promises';
import { writeFileSync } from 'node:fs';
import { Network } from '../src/sim/network.js';
import { loadTopology } from '../src/config/topology.js';
import { withHomes } from '../src/config/generate.js';
import { VirtualClock } from '../src/sim/clock.js';

const n = Number(process.argv[2] ?? 10_000);
const file = process.argv[3] ?? 'alloc.heapprofile';
const clock = new VirtualClock(Date.UTC(2026, 0, 1));
const net = new Network(withHomes(loadTopology('topologies/default.yaml'), n), { clock });
clock.runUntil(clock.now() + 1);
let online = 0;
net.onEvent((e) => {
  if (e.kind === 'home' && e.event.type === 'online') online++;
});
const session = new Session();
session.connect();
await session.post('HeapProfiler.enable');
await session.post('HeapProfiler.startSampling', { samplingInterval: 4096, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true } as never);
const WINDOW = 10_000;
let next = 0;
const startNext = (): void => {
  const h = net.homes[next++];
  if (h) net.act(h.cfg.name, (now) => h.start(now));
};
net.onEvent((e) => {
  if (e.kind === 'home' && e.event.type === 'online') startNext();
});
for (let i = 0; i < Math.min(WINDOW, n); i++) startNext();
clock.runUntilTrue(() => online === n, clock.now() + 600_000);
const { profile } = (await session.post('HeapProfiler.stopSampling')) as { profile: unknown };
writeFileSync(file, JSON.stringify(profile));
console.log(`${online}/${n} online, ${file}`);
