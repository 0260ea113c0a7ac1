/**
 * npm run fuzz -- [--count N] [--only NAME] [--seed S]
 *   Runs every decoder on N random and mutated inputs (default 1,000,000) and reports
 *   inputs/s and the error codes seen. Exits 1 when a decoder throws.
 * npm run fuzz -- --boxes [--count N] [--only NAME] [--seed S] [--lookup radius|static|both] [--responses FILE]
 *   Feeds every box of the in-process network N hostile frames on each of its ports while a
 *   live session pings (fuzz/boxes.ts); one line per box. Exits 1 when a box threw or the
 *   live session lost a ping.
 */
import { writeFileSync } from 'node:fs';
import { Command } from 'commander';
import { allTargets } from './targets/index.js';
import { fuzzDecoder } from '../test/helpers/codec.js';
import { fuzzBoxes, type Lookup } from './boxes.js';
import { PcapngWriter } from '../src/wire/pcap.js';

const program = new Command('fuzz')
  .description('fuzz every wire decoder (or, with --boxes, every box of the in-process network) with random and mutated inputs; a throw is a failure')
  .option('--count <n>', 'inputs per decoder, or hostile frames per box port with --boxes', (v) => Number(v))
  .option('--only <name>', 'run only targets (boxes) whose name contains this')
  .option('--seed <n>', 'PRNG seed (decoders: default 1; boxes: default random, printed)', (v) => Number(v))
  .option('--boxes', 'fuzz the boxes of the in-process network instead of the decoders')
  .option('--lookup <which>', 'with --boxes: carrier-RADIUS LNS lookup radius, static or both', 'both')
  .option('--rate <n>', 'with --boxes: hostile frames per virtual second', (v) => Number(v), 1000)
  .option('--responses <file>', 'with --boxes: write what the fuzzed boxes sent into this pcapng')
  .option('--response-limit <n>', 'with --boxes: frames recorded per box into --responses', (v) => Number(v), 20_000)
  .parse();
const opts = program.opts<{ count?: number; only?: string; seed?: number; boxes?: boolean; lookup: string; rate: number; responses?: string; responseLimit: number }>();

if (opts.boxes) {
  const seed = opts.seed ?? (Date.now() ^ (process.pid << 16)) >>> 0;
  const lookups: Lookup[] = opts.lookup === 'both' ? ['radius', 'static'] : opts.lookup === 'radius' || opts.lookup === 'static' ? [opts.lookup] : [];
  if (!lookups.length) {
    console.error(`--lookup: radius, static or both, not ${opts.lookup}`);
    process.exit(2);
  }
  const count = opts.count ?? 10_000;
  console.log(`fuzz: boxes, seed ${seed}, ${count} hostile frames per port, lookup ${lookups.join(' and ')} (reproduce with --boxes --seed ${seed} --count ${count}${opts.only ? ` --only ${opts.only}` : ''})`);
  const w = opts.responses ? new PcapngWriter() : undefined;
  const t0 = performance.now();
  const r = fuzzBoxes({ count, seed, lookups, rate: opts.rate, ...(opts.only ? { only: opts.only } : {}), ...(w ? { responses: w, responseLimit: opts.responseLimit } : {}) });
  if (w && opts.responses) writeFileSync(opts.responses, w.bytes());
  const frames = r.results.reduce((s, x) => s + x.frames, 0);
  console.log(`fuzz: ${r.results.length} boxes, ${frames} frames in ${((performance.now() - t0) / 1000).toFixed(1)} s: ${r.ok ? 'OK' : 'FAILED'}`);
  process.exit(r.ok ? 0 : 1);
}

let failed = false;
const count = opts.count ?? 1_000_000;
const seed = opts.seed ?? 1;
for (const t of await allTargets()) {
  if (opts.only && !t.name.includes(opts.only)) continue;
  const t0 = performance.now();
  try {
    const r = fuzzDecoder(t.parse, t.seeds(), count, seed);
    const s = (performance.now() - t0) / 1000;
    const top = [...r.errors.entries()].sort((a, b) => b[1] - a[1]).slice(0, 4).map(([k, v]) => `${k}:${v}`).join(' ');
    console.log(`${t.name.padEnd(22)} ${count.toLocaleString('en').padStart(12)} inputs  ${(count / s).toFixed(0).padStart(9)}/s  ok ${r.ok}  ${top}`);
  } catch (e) {
    failed = true;
    console.log(`${t.name}: FAILED ${(e as Error).message}`);
  }
}
process.exit(failed ? 1 : 0);
