/** The pseudonet command line. */
import { Command } from 'commander';
import { registerValidate } from './validate.js';
import { loadTopology, TopologyError } from '../sim/topology.js';
import { runDemo } from '../sim/demo.js';
import { fileURLToPath } from 'node:url';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { createLogger } from '../sim/log.js';
import { networkRegistry } from '../sim/metrics.js';

const DEFAULT_TOPOLOGY = fileURLToPath(new URL('../../topologies/default.yaml', import.meta.url));
import { registerRadius } from './radius.js';

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
    let topology;
    try {
      topology = loadTopology(o.topology ?? DEFAULT_TOPOLOGY);
    } catch (e) {
      if (e instanceof TopologyError) {
        console.error(e.message);
        process.exitCode = 2;
        return;
      }
      throw e;
    }
    const r = runDemo(topology, { out: o.out, logger: createLogger(o.verbose ?? false) });
    writeFileSync(path.join(o.out, 'metrics.prom'), await networkRegistry(r.net).metrics());
    process.exitCode = r.ok ? 0 : 1;
  });

registerValidate(program);
registerRadius(program);

await program.parseAsync(process.argv);
