/** `pseudonet validate FILE`: checks a topology and prints what it describes, or every problem with its path. */
import type { Command } from 'commander';
import { loadTopology, TopologyError, type Topology } from '../config/topology.js';

/** Loads a topology for a command; on a bad one prints every problem and sets exit status 2. */
export function topologyOrExit(file: string): Topology | undefined {
  try {
    return loadTopology(file);
  } catch (e) {
    if (!(e instanceof TopologyError)) throw e;
    console.error(e.message);
    process.exitCode = 2;
    return undefined;
  }
}

export function registerValidate(program: Command): void {
  program
    .command('validate')
    .description('check a topology file: schema, cross-references; prints each problem with the path of the bad field')
    .argument('<file>', 'topology YAML')
    .action((file: string) => {
      const t = topologyOrExit(file);
      if (t) {
        console.log(`${file}: valid topology "${t.name}"`);
        console.log(`  sse ${t.sse.name} (${t.sse.address}), LNS lookup ${t.sse.lnsLookup}`);
        for (const isp of t.isps) {
          console.log(`  ${isp.name}: ${isp.domain} -> ${isp.lns.name} ${isp.lns.address}, ${isp.lcpPolicy}, pool ${isp.pool}, ${isp.users.length} users, RADIUS ${typeof isp.radius === 'string' ? isp.radius : isp.radius.address}`);
        }
        console.log(`  ${t.homes.length} homes, server ${t.server.address}`);
      }
    });
}
