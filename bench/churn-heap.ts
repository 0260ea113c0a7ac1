/**
 * Heap over a churn run's virtual time (issue 13): `node --expose-gc --import tsx bench/churn-heap.ts HOMES HOURS [--no-limits]`.
 * The run of `pseudonet run` (every home pings every 10 s, files streaming to a temporary
 * directory), with a full GC and a memory sample every 30 virtual minutes: what is live
 * must stay flat while the run goes on. A measurement, never a test.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Network } from '../src/sim/network.js';
import { VirtualClock } from '../src/sim/clock.js';
import { openRunFiles } from '../src/sim/stream.js';
import { FileSpool } from '../src/io/radius-spool.js';
import { ipv4FromString } from '../src/wire/bytes.js';
import { churnTopology } from '../test/helpers/churn.js';

const homes = Number(process.argv[2] ?? 300);
const hours = Number(process.argv[3] ?? 6);
const limits = !process.argv.includes('--no-limits');
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');
const out = mkdtempSync(path.join(tmpdir(), 'pseudonet-churn-heap-'));
const t = churnTopology(homes, limits ? { sessionTimeout: 600, interimInterval: 300 } : {});
const clock = new VirtualClock(Date.UTC(2026, 0, 1));
const files = openRunFiles(out);
const spools: FileSpool[] = [];
const net = new Network(t, { clock, sinks: files.sinks, accountingSpool: (n) => { const s = new FileSpool(path.join(out, `${n}.acct-spool`), { fsync: false, commitPerTurn: false }); spools.push(s); return s; } });
for (const h of net.homes) net.act(h.cfg.name, (now) => h.start(now));
const server = ipv4FromString(t.server.address);
const start = clock.now();
let seq = 0;
const mb = (x: number) => Math.round(x / 2 ** 20);
for (let half = 1; half <= hours * 2; half++) {
  while (clock.now() - start < half * 1_800_000) {
    clock.runUntil(clock.now() + 10_000);
    seq++;
    for (const h of net.homes) if (h.isOnline) net.act(h.cfg.name, (now) => h.ping(server, seq & 0x7fff, now));
  }
  gc();
  const m = process.memoryUsage();
  console.log(JSON.stringify({ virtualHours: half / 2, online: net.homes.filter((h) => h.isOnline).length, heapUsedMb: mb(m.heapUsed), arrayBuffersMb: mb(m.arrayBuffers), rssMb: mb(m.rss), peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024) }));
}
net.close();
files.close();
for (const s of spools) s.close();
rmSync(out, { recursive: true, force: true });
