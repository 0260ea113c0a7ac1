/**
 * `pseudonet up FILE --box NAME`: one box of a topology in this process, on real interfaces
 * (the topology's `interfaces: {port: ifname}`), on the wall clock, with a JSON control
 * endpoint on a Unix socket. One JSON line per event on stdout. SIGINT / SIGTERM tear the
 * sessions down (PADT, CDN, StopCCN, Accounting-Stop) before exit.
 * `pseudonet up FILE --box homes --access IF [--homes N]` is the home emulator: every home of
 * the topology (or N generated ones) in this process on one interface (src/io/homes.ts).
 * `pseudonet show WHAT --box NAME` and `pseudonet ping ADDR --box NAME` ask a running box.
 */
import { InvalidArgumentError, type Command } from 'commander';
import { mkdirSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import { loadTopology } from '../config/topology.js';
import { BoxProcess, type RunningBox } from '../io/box.js';
import { HomesBox, HOMES_BOX } from '../io/homes.js';
import { withHomes } from '../config/generate.js';
import { startControl, controlRequest, defaultControlPath, toJson } from '../io/control.js';
import { BoxApi } from '../io/box-api.js';
import { apiHandler, listenHttp, parseListen } from '../io/api.js';
import { frameLogFields } from '../config/observe.js';
import { pino } from 'pino';
import type { AddressInfo } from 'node:net';
import type http from 'node:http';

function int(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`not a whole number: ${v}`);
  return n;
}

export function registerReal(program: Command): void {
  program
    .command('up')
    .description('run one box of a topology on real interfaces (needs CAP_NET_RAW), until SIGINT / SIGTERM')
    .argument('<file>', 'topology YAML (the box\'s `interfaces: {port: ifname}` name its links)')
    .requiredOption('--box <name>', `which box: the sse, an LNS (nte), the router, the server, a home, or "${HOMES_BOX}" (the home emulator: every home in this process)`)
    .option('--control <path>', 'control socket (default: <box>.sock in /run/pseudonet as root, else in $XDG_RUNTIME_DIR/pseudonet; a private 0700 directory)')
    .option('--no-start', 'a home waits instead of dialling at once')
    .option('--state-dir <dir>', 'an LNS keeps its write-ahead accounting spool here, accounting.spool (default: beside the control socket, <control>.state); a restart sends what a killed process left')
    .option('--quiet', 'no event lines on stdout (the emulator still prints its setup-done line)')
    .option('--homes <n>', 'replace the topology\'s homes and users with N generated ones (user<k>@<domain>, as the in-process load does); give the same N to the emulator and the LNS boxes', int)
    .option('--access <ifname>', `${HOMES_BOX}: the interface every home is on (default: the homes' common interfaces.access)`)
    .option('--from <k>', `${HOMES_BOX}: first home to run (1-based; its MAC is 02:10 + k)`, int)
    .option('--count <n>', `${HOMES_BOX}: how many homes from --from (default: all the rest)`, int)
    .option('--window <n>', `${HOMES_BOX}: homes in setup at once (0 = no limit)`, int, 256)
    .option('--rate <n>', `${HOMES_BOX}: new setups per second (0 = no limit)`, int, 0)
    .option('--echo-interval <s>', `${HOMES_BOX}: each home's LCP echo interval in seconds (0 = off)`, Number, 30)
    .option('--http <addr:port>', 'also serve the HTTP API, /metrics and the web view on this TCP address (the control socket serves the same handlers)')
    .option('-v, --verbose', 'log every frame in and out of every port (pino JSON lines on stderr, as run -v does)')
    .action(async (file: string, o: { box: string; control?: string; stateDir?: string; start: boolean; quiet?: boolean; homes?: number; access?: string; from?: number; count?: number; window: number; rate: number; echoInterval: number; http?: string; verbose?: boolean }) => {
      // Event lines leave once per event-loop turn (one write for the turn's lines, not one
      // per event: a mass dial is thousands a second), and at exit whatever is left.
      let pending: string[] = [];
      const flushOut = (): void => {
        if (!pending.length) return;
        const text = pending.join('');
        pending = [];
        process.stdout.write(text); // synchronous on Linux for pipes and files: nothing waits in memory
      };
      const out = (v: unknown): void => {
        if (pending.push(toJson(v) + '\n') === 1) setImmediate(flushOut);
      };
      process.on('exit', flushOut);
      let box: RunningBox;
      let api: BoxApi;
      let listen: { host: string; port: number } | undefined;
      // Events as pino JSON lines on stderr (info), every frame too with -v (debug); frames by name, never by content.
      // Buffered up to 4 KiB (written at once beyond, and every 100 ms and at exit): not a write per line.
      const logDest = pino.destination({ dest: 2, sync: true, minLength: 4096, periodicFlush: 100 });
      process.on('exit', () => logDest.flushSync());
      const log = pino({ level: o.verbose ? 'debug' : o.quiet ? 'warn' : 'info', base: { box: o.box }, timestamp: pino.stdTimeFunctions.isoTime }, logDest);
      const logInfo = log.isLevelEnabled('info');
      try {
        listen = o.http === undefined ? undefined : parseListen(o.http);
        let topology = loadTopology(file);
        if (o.homes !== undefined) topology = withHomes(topology, o.homes);
        api = new BoxApi(topology, o.box);
        const boxApi = api;
        // Frames are looked at (ladders, setup and RADIUS histograms, -v) only when asked for: the data path pays nothing otherwise.
        const tap = listen || o.verbose ? (port: string, f: Uint8Array, dir: 'in' | 'out', at: number): void => {
          boxApi.tap(port, f, dir, at);
          if (o.verbose) {
            const d = frameLogFields(f);
            log.debug({ port, dir, at: Math.round(at * 1000) / 1000, protocol: d.protocol }, d.label);
          }
        } : undefined;
        const shown = (e: { at: number; box: string; kind: string; event: unknown }): void => {
          boxApi.event(e);
          const ev = e.event as { type?: string; kind?: string };
          if (logInfo) log.info({ at: Math.round(e.at), ...(e.box !== o.box ? { home: e.box } : {}), kind: e.kind, event: ev.type ?? ev.kind });
        };
        const onEvent = (e: { at: number; box: string; kind: string; event: unknown }): void => {
          shown(e);
          if (!o.quiet) out({ ev: 'event', at: Math.round(e.at), ...(o.box === HOMES_BOX ? { box: e.box } : {}), kind: e.kind, event: e.event });
        };
        if (o.box === HOMES_BOX) {
          box = new HomesBox(topology, {
            autoStart: o.start,
            window: o.window,
            rate: o.rate,
            echoIntervalMs: o.echoInterval * 1000,
            ...(o.access ? { access: o.access } : {}),
            ...(o.from !== undefined ? { first: o.from } : {}),
            ...(o.count !== undefined ? { count: o.count } : {}),
            ...(tap ? { onFrame: tap } : {}),
            // The setup summary is printed even when quiet: it is what a load run waits for.
            onEvent: (e) => {
              if (e.kind === 'homes') {
                const { type, ...rest } = e.event as { type: string };
                out({ ev: type, ...rest });
              }
              else onEvent(e);
            },
          });
        } else {
          // Beside the control socket by default: one box, one socket, one spool (two processes never share it).
          const stateDir = o.stateDir ?? `${o.control ?? defaultControlPath(o.box)}.state`;
          const spool = (): string => {
            mkdirSync(stateDir, { recursive: true });
            return path.join(stateDir, 'accounting.spool');
          };
          box = new BoxProcess(topology, o.box, { autoStart: o.start, accountingSpool: spool, onEvent, ...(tap ? { onFrame: tap } : {}) });
        }
        api.attach(box);
      } catch (e) {
        console.error(`pseudonet up: ${(e as Error).message}`);
        process.exitCode = 2;
        return;
      }
      const control = o.control ?? defaultControlPath(o.box);
      const handler = apiHandler(api);
      let server: http.Server;
      let web: http.Server | undefined;
      try {
        // The default directory is made (or checked) private; an explicit path's directory is the caller's.
        server = await startControl(box, control, { privateDir: o.control === undefined, api: handler });
        if (listen) web = await listenHttp(handler, listen.host, listen.port);
      } catch (e) {
        box.close();
        console.error(`pseudonet up: ${(e as Error).message}`);
        process.exitCode = 2;
        return;
      }
      const a = web?.address() as AddressInfo | undefined;
      out({ ev: 'ready', box: box.name, kind: box.kind, control, ...(a ? { http: `http://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}/` } : {}), ...(box.show('box') as object) });
      let stopping = false;
      const stop = async (sig: string): Promise<void> => {
        if (stopping) return;
        stopping = true;
        out({ ev: 'stopping', signal: sig });
        const r = await box.shutdown();
        server.close();
        web?.close();
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
    .option('--box <name>', 'the box (its default control socket, as `up` chose it)')
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
    .description('ICMP echo from a running home or server box (pseudonet up); to an IPv6 address, ICMPv6 echo from a server, router or nte with one')
    .argument('<address>')
    .option('--box <name>', 'the box (its default control socket, as `up` chose it)')
    .option('--control <path>', 'control socket')
    .option('-c, --count <n>', 'echo requests', '3')
    .option('--from <home>', `${HOMES_BOX}: which home pings (default: the first online one)`)
    .option('--flood <seconds>', `${HOMES_BOX}: every online home pings for this long, each keeping --window requests in flight; prints the totals`)
    .option('--window <n>', 'with --flood: echo requests in flight per home', '1')
    .action(async (address: string, o: { box?: string; control?: string; count: string; from?: string; flood?: string; window: string }) => {
      try {
        if (o.flood !== undefined) {
          const secs = Number(o.flood);
          console.log(JSON.stringify(await controlRequest(where(o), `/flood?dst=${encodeURIComponent(address)}&seconds=${secs}&window=${Number(o.window)}`, secs * 1000 + 30_000), null, 2));
          return;
        }
        const r = (await controlRequest(where(o), `/ping?dst=${encodeURIComponent(address)}&count=${Number(o.count)}${o.from ? `&from=${encodeURIComponent(o.from)}` : ''}`)) as { seq: number; rtt: number | null }[];
        for (const x of r) console.log(x.rtt === null ? `seq ${x.seq}: no answer` : `seq ${x.seq}: ${x.rtt.toFixed(2)} ms`);
        process.exitCode = r.some((x) => x.rtt !== null) ? 0 : 1;
      } catch (e) {
        console.error(`pseudonet ping: ${(e as Error).message}`);
        process.exitCode = 1;
      }
    });
}
