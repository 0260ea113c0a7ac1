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
  const listen = (s: dgram.Socket, port: number) =>
    new Promise<number>((resolve, reject) => {
      s.once('error', reject);
      s.bind(port, bind, () => {
        s.off('error', reject);
        s.on('error', () => undefined);
        resolve(s.address().port);
      });
    });
  const authPort = await listen(sockets.auth, options.authPort ?? config.listen.authPort);
  const acctPort = await listen(sockets.acct, options.acctPort ?? config.listen.acctPort);
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
