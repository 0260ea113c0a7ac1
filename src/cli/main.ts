/** The pseudonet command line. */
import { Command } from 'commander';
import { registerValidate, topologyOrExit } from './validate.js';
import { loadTopology } from '../config/topology.js';
import { runDemo } from '../sim/demo.js';
import { fileURLToPath } from 'node:url';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { createLogger } from '../sim/log.js';
import { parseDuration, runTopology } from './run.js';
import { NetworkApi } from '../sim/network-api.js';
import { apiHandler, listenHttp, parseListen } from '../io/api.js';
import type { VirtualClock } from '../sim/clock.js';
import type { AddressInfo } from 'node:net';

const DEFAULT_TOPOLOGY = fileURLToPath(new URL('../../topologies/default.yaml', import.meta.url));
import { registerRadius } from './radius.js';
import { registerReal } from './real.js';
import { registerLoad } from './load.js';

const program = new Command('pseudonet')
  .description('a carrier PPPoE access network (PPPoE, L2TPv2 LAC/LNS, RADIUS) and the IPv4 router behind it, in userspace')
  .version('0.1.0');

program
  .command('demo')
  .description('bring the network up on the virtual clock, ping the server from every home, tear everything down in every direction, and write pcapng per link, sequence diagram, accounting and summary')
  .option('--out <dir>', 'output directory', 'out')
  .option('--topology <file>', 'topology YAML instead of the built-in default (topologies/default.yaml)')
  .option('-v, --verbose', 'log every frame on every link (pino JSON lines on stderr)')
  .option('--http <addr:port>', 'after the demo, serve the HTTP API and web view here (the network goes on in real time) until Ctrl-C')
  .action(async (o: { out: string; topology?: string; verbose?: boolean; http?: string }) => {
    const topology = topologyOrExit(o.topology ?? DEFAULT_TOPOLOGY);
    if (!topology) return;
    let listen;
    try {
      listen = o.http === undefined ? undefined : parseListen(o.http);
    } catch (e) {
      console.error((e as Error).message);
      process.exitCode = 2;
      return;
    }
    let api: NetworkApi | undefined;
    const r = runDemo(topology, { out: o.out, logger: createLogger(o.verbose ?? false), onNetwork: (net) => (api = new NetworkApi(net)) });
    writeFileSync(path.join(o.out, 'metrics.prom'), await api!.metrics());
    process.exitCode = r.ok ? 0 : 1;
    if (!listen) return;
    // The demo ran on the virtual clock; from here it follows the wall clock, so actions play out live.
    const clock = r.net.clock as VirtualClock;
    const tick = setInterval(() => clock.runUntil(clock.now() + 50), 50);
    const server = await listenHttp(apiHandler(api!), listen.host, listen.port);
    const a = server.address() as AddressInfo;
    console.log(`http: serving on http://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}/ (Ctrl-C to stop)`);
    const stop = (): void => {
      clearInterval(tick);
      server.close(() => process.exit(process.exitCode ?? 0));
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
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
  .option('--http <addr:port>', 'with --realtime: serve the HTTP API and web view here while the network runs')
  .action(async (file: string, o: { duration: string; realtime?: boolean; out: string; spoolDir?: string; verbose?: boolean; http?: string }) => {
    let topology;
    let durationMs;
    let http;
    try {
      durationMs = parseDuration(o.duration);
      topology = loadTopology(file);
      http = o.http === undefined ? undefined : parseListen(o.http);
      if (http && !o.realtime) throw new Error('--http needs --realtime (on the virtual clock the run is over before a request could come)');
    } catch (e) {
      console.error((e as Error).message);
      process.exitCode = 2;
      return;
    }
    const r = await runTopology(topology, { durationMs, realtime: o.realtime ?? false, out: o.out, ...(o.spoolDir ? { spoolDir: o.spoolDir } : {}), logger: createLogger(o.verbose ?? false), ...(http ? { http } : {}) });
    process.exitCode = r.ok ? 0 : 1;
  });

registerValidate(program);
registerRadius(program);
registerReal(program);
registerLoad(program);

await program.parseAsync(process.argv);
