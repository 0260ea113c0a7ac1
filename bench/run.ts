/**
 * npm run bench [-- --json FILE] [--only NAME] [--time MS]
 * Runs every bench/*.bench.ts, prints a table of operations per second on one core, and
 * with --json writes {"name": opsPerSecond, ...}. A benchmark, never a test.
 */
import { readdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import path from 'node:path';
import { Command } from 'commander';
import type { BenchEntry } from './bench.js';

const program = new Command('bench')
  .description('run the benchmarks and print operations per second')
  .option('--json <file>', 'also write {"name": opsPerSecond} to FILE')
  .option('--only <name>', 'run only benchmarks whose name contains this')
  .option('--time <ms>', 'measuring time per case', (v) => Number(v), 700)
  .option('--real', 'run the real-interface benchmarks (root)')
  .parse();
const opts = program.opts<{ json?: string; only?: string; time: number; real?: boolean }>();

const dir = path.dirname(fileURLToPath(import.meta.url));
const results: Record<string, number> = {};

function fmt(n: number): string {
  return n >= 1e6 ? `${(n / 1e6).toFixed(2)} M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)} k` : n >= 10 ? n.toFixed(1) : n.toFixed(3);
}

for (const f of readdirSync(dir).filter((f) => f.endsWith('.bench.ts')).sort()) {
  const mod = (await import(pathToFileURL(path.join(dir, f)).href)) as { default: BenchEntry[] };
  for (const b of mod.default) {
    if (opts.only && !b.name.includes(opts.only)) continue;
    if ('measure' in b) {
      const figures = await b.measure();
      for (const [k, v] of Object.entries(figures)) {
        const name = `${b.name} ${k}`;
        results[name] = v;
        console.log(`${name.padEnd(60)} ${fmt(v).padStart(12)}`);
      }
      continue;
    }
    const ops = b.ops ?? 1;
    // Warm up, then pick an iteration count that runs for about opts.time.
    let n = 1;
    for (;;) {
      const t0 = performance.now();
      for (let i = 0; i < n; i++) b.fn();
      const dt = performance.now() - t0;
      if (dt > 50) {
        n = Math.max(1, Math.round((n * opts.time) / dt));
        break;
      }
      n *= 4;
    }
    const t0 = performance.now();
    for (let i = 0; i < n; i++) b.fn();
    const dt = (performance.now() - t0) / 1000;
    const rate = (n * ops) / dt;
    results[b.name] = rate;
    console.log(`${b.name.padEnd(60)} ${fmt(rate).padStart(12)} ${b.unit ?? 'ops/s'}`);
  }
}
if (opts.json) writeFileSync(opts.json, JSON.stringify(results, null, 2) + '\n');
