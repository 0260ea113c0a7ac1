/**
 * The embedded RADIUS server on real UDP sockets: the sans-IO `RadiusServer` core with
 * node:dgram on the auth and accounting ports. An accounting record is written to the
 * JSON-lines file before its Accounting-Response is sent, so an acknowledged record is
 * never lost.
 */
import dgram from 'node:dgram';
import { closeSync, openSync, writeSync } from 'node:fs';
import { RadiusServer, type RadiusServerEvent, type RadiusServerOptions, type RadiusService } from '../roles/radius-server.js';
import type { RadiusServerConfig } from '../roles/radius-server-config.js';

export interface RunningRadiusServer {
  readonly core: RadiusServer;
  readonly authPort: number;
  readonly acctPort: number;
  readonly address: string;
  close(): Promise<void>;
}

export interface StartRadiusServerOptions extends RadiusServerOptions {
  readonly bind?: string;
  readonly authPort?: number;
  readonly acctPort?: number;
  /** Called for every event (auth decisions, accounting records) after it is written. */
  readonly onEvent?: (e: RadiusServerEvent) => void;
}

export async function startRadiusServer(config: RadiusServerConfig, options: StartRadiusServerOptions = {}): Promise<RunningRadiusServer> {
  const core = new RadiusServer(config, options);
  const bind = options.bind ?? config.listen.bind;
  const acctFd = config.accounting.file ? openSync(config.accounting.file, 'a') : undefined;
  // A burst of requests (a NAS rebooting, a load test) needs more than the default receive buffer.
  const socket = () => dgram.createSocket({ type: 'udp4', recvBufferSize: 1 << 20 });
  const sockets: Record<RadiusService, dgram.Socket> = { auth: socket(), acct: socket() };

  const pump = () => {
    for (let e = core.pollEvent(); e; e = core.pollEvent()) {
      if (e.type === 'accounting' && acctFd !== undefined) writeSync(acctFd, JSON.stringify({ ...e.line, time: new Date().toISOString() }) + '\n');
      options.onEvent?.(e);
    }
    for (let t = core.pollTransmit(); t; t = core.pollTransmit()) sockets[t.service].send(t.bytes, t.port, t.address);
  };
  for (const service of ['auth', 'acct'] as const) {
    sockets[service].on('message', (msg, rinfo) => {
      core.handle({ service, address: rinfo.address, port: rinfo.port, bytes: msg }, Date.now());
      pump();
    });
  }
  const listen = (s: dgram.Socket, service: RadiusService, port: number) =>
    new Promise<number>((resolve, reject) => {
      const failed = (e: NodeJS.ErrnoException): void => {
        const what = `UDP port ${port} on ${bind} (${service === 'auth' ? 'authentication' : 'accounting'})`;
        const hint = service === 'auth' ? '--auth-port or listen.authPort' : '--acct-port or listen.acctPort';
        reject(
          new Error(
            e.code === 'EADDRINUSE'
              ? `${what} is in use: is another RADIUS server running? Stop it or choose another port (${hint})`
              : e.code === 'EACCES'
                ? `${what}: permission denied (ports below 1024 need root or CAP_NET_BIND_SERVICE; or choose another port with ${hint})`
                : e.code === 'EADDRNOTAVAIL'
                  ? `${what}: ${bind} is not an address of this machine (--bind or listen.bind)`
                  : `${what}: ${e.message}`,
          ),
        );
      };
      s.once('error', failed);
      s.bind(port, bind, () => {
        s.off('error', failed);
        s.on('error', () => undefined);
        resolve(s.address().port);
      });
    });
  let authPort: number;
  let acctPort: number;
  try {
    authPort = await listen(sockets.auth, 'auth', options.authPort ?? config.listen.authPort);
    acctPort = await listen(sockets.acct, 'acct', options.acctPort ?? config.listen.acctPort);
  } catch (e) {
    // Nothing stays open after a failed start.
    for (const s of Object.values(sockets)) {
      try {
        s.close();
      } catch { /* never bound */ }
    }
    if (acctFd !== undefined) closeSync(acctFd);
    throw e;
  }
  return {
    core,
    authPort,
    acctPort,
    address: bind,
    close: async () => {
      await Promise.all(Object.values(sockets).map((s) => new Promise<void>((r) => s.close(() => r()))));
      if (acctFd !== undefined) closeSync(acctFd);
    },
  };
}
