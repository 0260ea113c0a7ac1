/**
 * Where a session's short-lived allocations come from: N homes brought online on the virtual
 * clock under V8's sampling heap profiler, keeping the samples of objects the scavenger and
 * the mark-compactor collected too (what drives the young-generation GCs):
 *   node --import tsx bench/alloc-profile.ts N FILE.heapprofile
 * Open FILE in Chrome DevTools (Memory, "Allocation sampling") or sum it by function.
 */
import { Session } from 'node:inspector/promises';
import { writeFileSync } from 'node:fs';
import { dialAll, homesNetwork } from './bring-up.js';

const n = Number(process.argv[2] ?? 10_000);
const file = process.argv[3] ?? 'alloc.heapprofile';
const { net, clock } = homesNetwork(n);
const session = new Session();
session.connect();
await session.post('HeapProfiler.enable');
await session.post('HeapProfiler.startSampling', { samplingInterval: 4096, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true } as never);
const online = dialAll(net, clock);
const { profile } = (await session.post('HeapProfiler.stopSampling')) as { profile: unknown };
writeFileSync(file, JSON.stringify(profile));
console.log(`${online}/${n} online, ${file}`);
