/**
 * Peak RSS of a churn run (issue 13): `npx tsx bench/churn-memory.ts HOMES DURATION [--no-limits]`.
 * One run per process, so the figure is that run's alone: the churn topology of
 * test/helpers/churn.ts through `pseudonet run` on the virtual clock, files streaming to a
 * temporary directory. Prints homes, virtual duration, wall time, peak RSS and file sizes.
 * A measurement, never a test.
 */
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runTopology, parseDuration } from '../src/cli/run.js';
import { churnTopology } from '../test/helpers/churn.js';

const [homesArg, durArg] = process.argv.slice(2);
const homes = Number(homesArg ?? 300);
const durationMs = parseDuration(durArg ?? '30m');
const limits = !process.argv.includes('--no-limits');
const out = mkdtempSync(path.join(tmpdir(), 'pseudonet-churn-mem-'));
const t0 = performance.now();
const r = await runTopology(churnTopology(homes, limits ? { sessionTimeout: 600, interimInterval: 300 } : {}), { durationMs, realtime: false, out, log: () => {} });
const wall = (performance.now() - t0) / 1000;
const files = Object.fromEntries(readdirSync(out).map((f) => [f, Math.round(statSync(path.join(out, f)).size / 1024 / 1024)]));
const maxRssMb = process.resourceUsage().maxRSS / 1024;
console.log(JSON.stringify({ homes, virtual: durArg ?? '30m', limits, online: r.online, wallSeconds: Math.round(wall), peakRssMb: Math.round(maxRssMb), filesMb: files }));
rmSync(out, { recursive: true, force: true });
