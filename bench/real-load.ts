/**
 * `pseudonet load --realtime` at scale on veths (root): the sse and nte-a as their own
 * `pseudonet up` processes in namespaces of their own, N homes from the load command's home
 * emulator on the access veth; prints the report's setup rate, setup latency percentiles
 * (wall ms on the access port) and CPU seconds per 1,000 setups per process — issue 15's
 * per-process goals. Everything created is removed at the end, also on failure.
 *
 *   npx tsx bench/real-load.ts [HOMES=10000] [WINDOW=256]
 */
import path from 'node:path';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { Lab, requireAddon, startAccessChain } from '../test/real/lab.js';

const homes = Number(process.argv[2] ?? 10_000);
const window = Number(process.argv[3] ?? 256);
if (process.getuid?.() !== 0) throw new Error('bench/real-load.ts needs root (namespaces, AF_PACKET)');
requireAddon();
const lab = new Lab();
const work = mkdtempSync(path.join(tmpdir(), 'pseudonet-real-load-'));
try {
  const hns = lab.ns('rlh');
  const sns = lab.ns('rls');
  const nns = lab.ns('rln');
  lab.veth(hns, 'h0', sns, 'acc');
  lab.veth(sns, 'car0', nns, 'car1');
  lab.veth(nns, 'core0', nns, 'core1');
  const topo = path.join(work, 'topology.yaml');
  const sock = (b: string): string => path.join(work, `${b}.sock`);
  const { sse, nte } = await startAccessChain(lab, { name: 'real-load', sns, nns, topo, sock, homes });
  const out = path.join(work, 'out');
  const load = lab.pseudonet('load', hns, ['load', topo, '--homes', String(homes), '--realtime', '--access', 'h0', '--window', String(window), '--out', out, '--pid', `sse=${sse.pid}`, '--pid', `nte-a=${nte.pid}`, '--timeout', String(60 + Math.ceil(homes / 100))]);
  await load.done;
  if (load.exited !== 0) throw new Error(`load exited ${load.exited}: ${load.stderr}`);
  const r = JSON.parse(readFileSync(path.join(out, 'report.json'), 'utf8')) as { online: number; failed: Record<string, number>; setupsPerSecond: number; setupMs: Record<string, number>; phaseMs: Record<string, Record<string, number>>; cpuSecondsPerBox: Record<string, number> };
  const perK = (b: string): string => ((r.cpuSecondsPerBox[b]! / Math.max(1, r.online)) * 1000).toFixed(3);
  console.log(`homes ${homes}, window ${window}: online ${r.online}, failed ${JSON.stringify(r.failed)}`);
  console.log(`setups/s ${r.setupsPerSecond}; setup ms p50 ${r.setupMs.p50} p90 ${r.setupMs.p90} p99 ${r.setupMs.p99} max ${r.setupMs.max}`);
  console.log(`phase ms (p50/p99): ${Object.entries(r.phaseMs).map(([k, v]) => `${k} ${v.p50}/${v.p99}`).join(', ')}`);
  console.log(`CPU s per 1,000 setups: sse ${perK('sse')}, nte-a (+ embedded RADIUS) ${perK('nte-a')}, home emulator ${perK('homes')}`);
} finally {
  const errs = await lab.cleanup();
  if (errs.length) console.error('cleanup:', errs);
  rmSync(work, { recursive: true, force: true });
}
