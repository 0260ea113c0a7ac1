/** The pseudonet command line. */
import { Command } from 'commander';
import { registerValidate, topologyOrExit } from './validate.js';
import { loadTopology } from '../config/topology.js';
import { runDemo } from '../sim/demo.js';
import { fileURLToPath } from 'node:url';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { createLogger } from '../sim/log.js';
import { networkRegistry } from '../sim/metrics.js';
import { parseDuration, runTopology } from './run.js';

const DEFAULT_TOPOLOGY = fileURLToPath(new URL('../../topologies/default.yaml', import.meta.url));
import { registerRadius } from './radius.js';
import { registerReal } from './real.js';

const program = new Command('pseudonet')
  .description('a carrier PPPoE access network (PPPoE, L2TPv2 LAC/LNS, RADIUS) and the IPv4 router behind it, in userspace')
  .version('0.1.0');

program
  .command('demo')
  .description('bring the network up on the virtual clock, ping the server from every home, tear everything down in every direction, and write pcapng per link, sequence diagram, accounting and summary')
  .option('--out <dir>', 'output directory', 'out')
  .option('--topology <file>', 'topology YAML instead of the built-in default (topologies/default.yaml)')
  .option('-v, --verbose', 'log every frame on every link (pino JSON lines on stderr)')
  .action(async (o: { out: string; topology?: string; verbose?: boolean }) => {
    const topology = topologyOrExit(o.topology ?? DEFAULT_TOPOLOGY);
    if (!topology) return;
    const r = runDemo(topology, { out: o.out, logger: createLogger(o.verbose ?? false) });
    writeFileSync(path.join(o.out, 'metrics.prom'), await networkRegistry(r.net).metrics());
    process.exitCode = r.ok ? 0 : 1;
  });

program
  .command('run')
  .description('run a topology for a while (every home pings the server every 10 s), then tear it down and write captures, accounting, metrics and a summary')
  .argument('<file>', 'topology YAML')
  .option('--duration <t>', 'how long to run: 90s, 5m, 1h, 250ms', '60s')
  .option('--realtime', 'run on the wall clock instead of the virtual clock')
  .option('--out <dir>', 'output directory', 'out')
  .option('--spool-dir <dir>', 'where each LNS keeps its write-ahead accounting spool (default: the output directory); a run started again on the same spool sends what the last one left')
  .option('-v, --verbose', 'log every frame on every link (pino JSON lines on stderr)')
  .action(async (file: string, o: { duration: string; realtime?: boolean; out: string; spoolDir?: string; verbose?: boolean }) => {
    let topology;
    let durationMs;
    try {
      durationMs = parseDuration(o.duration);
      topology = loadTopology(file);
    } catch (e) {
      console.error((e as Error).message);
      process.exitCode = 2;
      return;
    }
    const r = await runTopology(topology, { durationMs, realtime: o.realtime ?? false, out: o.out, ...(o.spoolDir ? { spoolDir: o.spoolDir } : {}), logger: createLogger(o.verbose ?? false) });
    process.exitCode = r.ok ? 0 : 1;
  });

registerValidate(program);
registerRadius(program);
registerReal(program);

await program.parseAsync(process.argv);
