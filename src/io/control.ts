/**
 * The control endpoint of a box run alone: HTTP with JSON answers on a Unix socket (local
 * only, and reachable from any network namespace, since the path is in the file system).
 *   GET /show/<what>             sessions | tunnels | routes | arp | counters | interfaces | events | box
 *   GET /ping?dst=A&count=N[&from=HOME]   ICMP echo from a home or server box (`from`: which home of the emulator): [{seq, rtt|null}]
 *   GET /flood?dst=A&seconds=S[&window=W&size=B]   the home emulator only: closed-loop pings from every online home
 * `controlRequest` is the client side (`pseudonet show`).
 */
import http from 'node:http';
import net from 'node:net';
import { existsSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { RunningBox } from './box.js';
import { HomesBox } from './homes.js';
import { ipv4FromString } from '../wire/bytes.js';
import type { ApiHandler } from './api.js';

export function defaultControlPath(box: string): string {
  return path.join(tmpdir(), `pseudonet-${box}.sock`);
}

/** JSON with bytes as hex and big numbers as they are. */
export function toJson(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) => (x instanceof Uint8Array ? Buffer.from(x.buffer, x.byteOffset, x.length).toString('hex') : typeof x === 'bigint' ? x.toString() : x));
}

async function inUse(p: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(p);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** The control socket; with `api`, it also answers the HTTP API's paths (/api/..., /metrics, /) with the same handlers as `--http`. */
export async function startControl(box: RunningBox, socketPath: string, api?: ApiHandler): Promise<http.Server> {
  if (existsSync(socketPath)) {
    if (await inUse(socketPath)) throw new Error(`control socket ${socketPath} is in use: is box ${box.name} already running? (pseudonet show box --control ${socketPath})`);
    unlinkSync(socketPath); // left by a process that died
  }
  const server = http.createServer((req, res) => {
    if (api?.(req, res)) return;
    const url = new URL(req.url ?? '/', 'http://box');
    const reply = (status: number, body: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(toJson(body) + '\n');
    };
    try {
      const m = /^\/show\/([a-z]+)$/.exec(url.pathname);
      if (m) return reply(200, box.show(m[1]!));
      if (url.pathname === '/ping') {
        const dst = ipv4FromString(url.searchParams.get('dst') ?? '');
        const count = Math.min(Number(url.searchParams.get('count') ?? 3), 100);
        const size = Number(url.searchParams.get('size') ?? 56);
        const from = url.searchParams.get('from') ?? undefined;
        void (async () => {
          const out: { seq: number; rtt: number | null }[] = [];
          for (let i = 0; i < count; i++) out.push({ seq: i + 1, rtt: (await box.ping(dst, 1000, size, from)) ?? null });
          reply(200, out);
        })().catch((e: Error) => reply(400, { error: e.message }));
        return;
      }
      if (url.pathname === '/flood') {
        if (!(box instanceof HomesBox)) return reply(400, { error: `flood: box ${box.name} is not the home emulator` });
        const dst = ipv4FromString(url.searchParams.get('dst') ?? '');
        const seconds = Math.min(Number(url.searchParams.get('seconds') ?? 3), 600);
        const window = Math.min(Math.max(1, Number(url.searchParams.get('window') ?? 1)), 64);
        const size = Number(url.searchParams.get('size') ?? 56);
        box.runFlood(dst, seconds, window, size).then((r) => reply(200, r), (e: Error) => reply(400, { error: e.message }));
        return;
      }
      reply(404, { error: `no ${url.pathname}: GET /show/<sessions|tunnels|routes|arp|counters|interfaces|events|box>, /ping?dst=A&count=N or /flood?dst=A&seconds=S` });
    } catch (e) {
      reply(400, { error: (e as Error).message });
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => resolve());
  });
  return server;
}

/** GET `p` from a box's control socket; the parsed JSON answer. */
export function controlRequest(socketPath: string, p: string, timeoutMs = 30_000): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const req = http.get({ socketPath, path: p, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => {
        try {
          const v = JSON.parse(body) as { error?: string };
          if ((res.statusCode ?? 500) >= 400) reject(new Error(v.error ?? `HTTP ${res.statusCode}`));
          else resolve(v);
        } catch (e) {
          reject(e as Error);
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error(`no answer from ${socketPath} in ${timeoutMs} ms`)));
    req.on('error', (e: NodeJS.ErrnoException) => reject(e.code === 'ENOENT' || e.code === 'ECONNREFUSED' ? new Error(`no box answers on ${socketPath} (${e.code}): is it running?`) : e));
  });
}
