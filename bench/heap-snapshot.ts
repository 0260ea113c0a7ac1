/**
 * Brings N homes online on the virtual clock and writes a V8 heap snapshot (for finding
 * what each session keeps): node --expose-gc --import tsx bench/heap-snapshot.ts N FILE [idle]
 * (idle: the homes are built but never dial)
 */
import { writeHeapSnapshot } from 'node:v8';
import { dialAll, homesNetwork } from './bring-up.js';

const n = Number(process.argv[2] ?? 2000);
const file = process.argv[3] ?? 'heap.heapsnapshot';
const { net, clock } = homesNetwork(n);
const online = process.argv[4] === 'idle' ? n : dialAll(net, clock);
// What the last homes still had in flight (IPv6, Accounting-Start, the duplicate windows) is over first, as in `pseudonet load`.
clock.runUntil(clock.now() + 15_000);
(globalThis as { gc?: () => void }).gc?.();
console.log(`${online}/${n} online`, writeHeapSnapshot(file));
