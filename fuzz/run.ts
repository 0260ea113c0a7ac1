/**
 * npm run fuzz -- [--count N] [--only NAME] [--seed S]
 * Runs every decoder on N random and mutated inputs (default 1,000,000) and reports
 * inputs/s and the error codes seen. Exits 1 when a decoder throws.
 */
import { Command } from 'commander';
import { allTargets } from './targets/index.js';
import { fuzzDecoder } from '../test/helpers/codec.js';

const program = new Command('fuzz')
  .description('fuzz every wire decoder with random and mutated inputs; a throw is a failure')
  .option('--count <n>', 'inputs per decoder', (v) => Number(v), 1_000_000)
  .option('--only <name>', 'run only targets whose name contains this')
  .option('--seed <n>', 'PRNG seed', (v) => Number(v), 1)
  .parse();
const opts = program.opts<{ count: number; only?: string; seed: number }>();

let failed = false;
for (const t of await allTargets()) {
  if (opts.only && !t.name.includes(opts.only)) continue;
  const t0 = performance.now();
  try {
    const r = fuzzDecoder(t.parse, t.seeds(), opts.count, opts.seed);
    const s = (performance.now() - t0) / 1000;
    const top = [...r.errors.entries()].sort((a, b) => b[1] - a[1]).slice(0, 4).map(([k, v]) => `${k}:${v}`).join(' ');
    console.log(`${t.name.padEnd(22)} ${opts.count.toLocaleString('en').padStart(12)} inputs  ${(opts.count / s).toFixed(0).padStart(9)}/s  ok ${r.ok}  ${top}`);
  } catch (e) {
    failed = true;
    console.log(`${t.name}: FAILED ${(e as Error).message}`);
  }
}
process.exit(failed ? 1 : 0);
