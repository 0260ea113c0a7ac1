/**
 * `pseudonet radius --config FILE [--auth-port N] [--acct-port N] [--bind ADDR]`: the
 * embedded RADIUS server on its own, for the lab or for real equipment. Prints one line
 * when it listens (with the actual ports, so 0 works) and one per decision; never a secret.
 */
import type { Command } from 'commander';
import { loadRadiusServerConfig, RadiusConfigError } from '../config/radius-file.js';
import { startRadiusServer } from '../io/radius-server.js';

function port(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`not a UDP port: ${v}`);
  return n;
}

export function registerRadius(program: Command): void {
  program
    .command('radius')
    .description('run the embedded RADIUS server: PAP and CHAP-MD5 users, realms with RFC 2868 tunnels, address pools, accounting as JSON lines')
    .requiredOption('--config <file>', 'server YAML (clients, users, pools, realms, accounting)')
    .option('--auth-port <n>', 'authentication port (default from the file, else 1812; 0 = any)', port)
    .option('--acct-port <n>', 'accounting port (default from the file, else 1813; 0 = any)', port)
    .option('--bind <addr>', 'local IPv4 address (default from the file, else 0.0.0.0)')
    .option('--quiet', 'no line per Access-Request')
    .action(async (opts: { config: string; authPort?: number; acctPort?: number; bind?: string; quiet?: boolean }) => {
      let config;
      try {
        config = loadRadiusServerConfig(opts.config);
      } catch (e) {
        if (e instanceof RadiusConfigError) {
          console.error(e.message);
          process.exitCode = 2;
          return;
        }
        throw e;
      }
      let server;
      try {
        server = await startRadiusServer(config, {
          ...(opts.bind === undefined ? {} : { bind: opts.bind }),
          ...(opts.authPort === undefined ? {} : { authPort: opts.authPort }),
          ...(opts.acctPort === undefined ? {} : { acctPort: opts.acctPort }),
          logAuth: !opts.quiet,
          onEvent: (e) => {
            if (e.type === 'auth') console.log(`auth ${e.accepted ? 'accept' : 'reject'} ${JSON.stringify(e.userName)} from ${e.client} (${e.reason})`);
            else if (!opts.quiet) console.log(`acct ${e.line.statusType} session ${JSON.stringify(e.line.sessionId ?? '')} user ${JSON.stringify(e.line.userName ?? '')} from ${e.line.client}`);
          },
        });
      } catch (e) {
        console.error(`pseudonet radius: ${(e as Error).message}`);
        process.exitCode = 2;
        return;
      }
      console.log(
        `pseudonet radius: listening on ${server.address} auth ${server.authPort} acct ${server.acctPort}` +
          ` (${config.clients.length} clients, ${config.users.length} users, ${config.realms.length} realms${config.accounting.file ? `, accounting to ${config.accounting.file}` : ''})`,
      );
      const stop = () => {
        console.log(`pseudonet radius: stopping; counters ${JSON.stringify(server.core.counters)}`);
        void server.close().then(() => process.exit(0));
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
}
