/**
 * `pseudonet up FILE --box NAME`: one box of a topology in this process, on real interfaces
 * (the topology's `interfaces: {port: ifname}`), on the wall clock, with a JSON control
 * endpoint on a Unix socket. One JSON line per event on stdout. SIGINT / SIGTERM tear the
 * sessions down (PADT, CDN, StopCCN, Accounting-Stop) before exit.
 * `pseudonet show WHAT --box NAME` and `pseudonet ping ADDR --box NAME` ask a running box.
 */
import type { Command } from 'commander';
import { unlinkSync } from 'node:fs';
import { loadTopology } from '../sim/topology.js';
import { Box } from '../io/box.js';
import { startControl, controlRequest, defaultControlPath, toJson } from '../io/control.js';

export function registerReal(program: Command): void {
  program
    .command('up')
    .description('run one box of a topology on real interfaces (needs CAP_NET_RAW), until SIGINT / SIGTERM')
    .argument('<file>', 'topology YAML (the box\'s `interfaces: {port: ifname}` name its links)')
    .requiredOption('--box <name>', 'which box: the sse, an LNS (nte), the router, the server or a home')
    .option('--control <path>', 'control socket (default: $TMPDIR/pseudonet-<box>.sock)')
    .option('--no-start', 'a home waits instead of dialling at once')
    .option('--quiet', 'no event lines on stdout')
    .action(async (file: string, o: { box: string; control?: string; start: boolean; quiet?: boolean }) => {
      const out = (v: unknown): void => void process.stdout.write(toJson(v) + '\n');
      let box: Box;
      try {
        const topology = loadTopology(file);
        box = new Box(topology, o.box, { autoStart: o.start, ...(o.quiet ? {} : { onEvent: (e) => out({ ev: 'event', at: Math.round(e.at), kind: e.kind, event: e.event }) }) });
      } catch (e) {
        console.error(`pseudonet up: ${(e as Error).message}`);
        process.exitCode = 2;
        return;
      }
      const control = o.control ?? defaultControlPath(o.box);
      let server;
      try {
        server = await startControl(box, control);
      } catch (e) {
        box.close();
        console.error(`pseudonet up: ${(e as Error).message}`);
        process.exitCode = 2;
        return;
      }
      out({ ev: 'ready', box: box.name, kind: box.kind, control, ...(box.show('box') as object) });
      let stopping = false;
      const stop = async (sig: string): Promise<void> => {
        if (stopping) return;
        stopping = true;
        out({ ev: 'stopping', signal: sig });
        const r = await box.shutdown();
        server.close();
        try {
          unlinkSync(control);
        } catch { /* gone already */ }
        out({ ev: 'stopped', clean: r.clean, counters: box.show('counters') });
        process.exit(0);
      };
      process.on('SIGINT', () => void stop('SIGINT'));
      process.on('SIGTERM', () => void stop('SIGTERM'));
    });

  const where = (o: { box?: string; control?: string }): string => {
    if (o.control) return o.control;
    if (o.box) return defaultControlPath(o.box);
    throw new Error('give --box NAME or --control PATH');
  };

  program
    .command('show')
    .description('ask a running box (pseudonet up): sessions | tunnels | routes | arp | counters | interfaces | events | box')
    .argument('<what>')
    .option('--box <name>', 'the box (its default control socket)')
    .option('--control <path>', 'control socket')
    .action(async (what: string, o: { box?: string; control?: string }) => {
      try {
        console.log(JSON.stringify(await controlRequest(where(o), `/show/${encodeURIComponent(what)}`), null, 2));
      } catch (e) {
        console.error(`pseudonet show: ${(e as Error).message}`);
        process.exitCode = 1;
      }
    });

  program
    .command('ping')
    .description('ICMP echo from a running home or server box (pseudonet up)')
    .argument('<address>')
    .option('--box <name>', 'the box (its default control socket)')
    .option('--control <path>', 'control socket')
    .option('-c, --count <n>', 'echo requests', '3')
    .action(async (address: string, o: { box?: string; control?: string; count: string }) => {
      try {
        const r = (await controlRequest(where(o), `/ping?dst=${encodeURIComponent(address)}&count=${Number(o.count)}`)) as { seq: number; rtt: number | null }[];
        for (const x of r) console.log(x.rtt === null ? `seq ${x.seq}: no answer` : `seq ${x.seq}: ${x.rtt.toFixed(2)} ms`);
        process.exitCode = r.some((x) => x.rtt !== null) ? 0 : 1;
      } catch (e) {
        console.error(`pseudonet ping: ${(e as Error).message}`);
        process.exitCode = 1;
      }
    });
}
