/**
 * An ISP's RADIUS as a process of its own for the lab: the server `pseudonet radius` runs
 * (src/io/radius-server.ts, kernel UDP) with exactly the configuration the LNS's embedded
 * one would have (src/config/derive.ts `ispRadiusConfig`: the LNS as client, the topology's
 * users — `--homes N` generated ones — and pool), however many users that is.
 * node --import tsx test/real/radius-agent.ts TOPOLOGY HOMES BIND
 * Prints {"ev":"listening",...} when it answers; SIGTERM stops it.
 */
import { loadTopology } from '../../src/config/topology.js';
import { withHomes } from '../../src/config/generate.js';
import { ispRadiusConfig } from '../../src/config/derive.js';
import { startRadiusServer } from '../../src/io/radius-server.js';

const [topo, homes, bind] = process.argv.slice(2);
const t = withHomes(loadTopology(topo!), Number(homes));
const server = await startRadiusServer(ispRadiusConfig(t, 0), { bind: bind!, logAuth: false });
console.log(JSON.stringify({ ev: 'listening', address: server.address, authPort: server.authPort, acctPort: server.acctPort, users: t.isps[0]!.users.length }));
const stop = (): void => {
  console.log(JSON.stringify({ ev: 'stopped', counters: server.core.counters }));
  void server.close().then(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
