/**
 * One set of HTTP handlers (JSON) for whatever serves the API — the in-process network or
 * one `pseudonet up` box (src/config/api-types.ts `ApiTarget`) — given to two listeners: a
 * TCP listener (`--http ADDR:PORT`, `listenHttp`) and the box's Unix control socket
 * (src/io/control.ts). Also the web view (src/io/web/, GET /) and /metrics.
 *
 * Bounded: request bodies at most 16 KiB, URLs at most 2 KiB, names by a strict pattern,
 * `after` a whole number, at most 32 event streams at once, and a stream whose reader falls
 * more than 1 MiB behind loses events (counted) rather than growing the process. A bad
 * request gets a 4xx whose `error` names the field (`field`). docs/api.md describes it all.
 */
import http from 'node:http';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ApiError, parseImpairments, type ApiTarget } from '../config/api-types.js';

export const LIMITS = { bodyBytes: 16 * 1024, urlBytes: 2048, streams: 32, streamBacklogBytes: 1 << 20, connections: 256 } as const;

/** JSON with bytes as hex and big numbers as decimal strings. */
export function apiJson(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) => (x instanceof Uint8Array ? Buffer.from(x.buffer, x.byteOffset, x.length).toString('hex') : typeof x === 'bigint' ? x.toString() : x));
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9@._-]{0,63}$/;

const WEB = fileURLToPath(new URL('./web/', import.meta.url));

/** The page's files, and the graph-layout library vendored from node_modules (never a CDN). */
function staticFiles(): Map<string, { type: string; path: string }> {
  const require = createRequire(import.meta.url);
  const dagre = path.join(path.dirname(require.resolve('@dagrejs/dagre/package.json')), 'dist', 'dagre.min.js');
  return new Map([
    ['/', { type: 'text/html; charset=utf-8', path: path.join(WEB, 'index.html') }],
    ['/app.js', { type: 'text/javascript; charset=utf-8', path: path.join(WEB, 'app.js') }],
    ['/style.css', { type: 'text/css; charset=utf-8', path: path.join(WEB, 'style.css') }],
    ['/vendor/dagre.min.js', { type: 'text/javascript; charset=utf-8', path: dagre }],
  ]);
}

export interface ApiCounters {
  requests: number;
  errors: Record<string, number>;
  streams: number;
  streamEventsDropped: number;
  streamsRefused: number;
}

export interface ApiHandler {
  /** Answers `req` when it is for the API, /metrics or the page; false when it is not (the caller answers). */
  (req: http.IncomingMessage, res: http.ServerResponse): boolean;
  readonly counters: ApiCounters;
  /** Ends every open event stream (before the server closes). */
  closeStreams(): void;
}

function param(field: string, v: string): string {
  let s: string;
  try {
    s = decodeURIComponent(v);
  } catch {
    throw new ApiError(400, `${field}: not valid percent-encoding`, field);
  }
  if (!NAME.test(s)) throw new ApiError(400, `${field}: "${s.slice(0, 80)}" is not a name (letters, digits, @ . _ -; at most 64)`, field);
  return s;
}

function readBody(req: http.IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > LIMITS.bodyBytes) return reject(new ApiError(413, `body: at most ${LIMITS.bodyBytes} bytes`, 'body'));
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > LIMITS.bodyBytes) {
        req.pause();
        reject(new ApiError(413, `body: at most ${LIMITS.bodyBytes} bytes`, 'body'));
        return;
      }
      chunks.push(c);
    });
    req.on('error', reject);
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8').trim();
      if (!text) return resolve({});
      try {
        resolve(JSON.parse(text));
      } catch {
        reject(new ApiError(400, 'body: not JSON', 'body'));
      }
    });
  });
}

export function apiHandler(target: ApiTarget): ApiHandler {
  const files = staticFiles();
  const counters: ApiCounters = { requests: 0, errors: {}, streams: 0, streamEventsDropped: 0, streamsRefused: 0 };
  const streams = new Set<http.ServerResponse>();

  const send = (res: http.ServerResponse, status: number, body: unknown): void => {
    if (res.headersSent) return void res.end();
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
    res.end(apiJson(body) + '\n');
  };
  const fail = (res: http.ServerResponse, e: unknown): void => {
    const err = e instanceof ApiError ? e : new ApiError(500, (e as Error).message ?? String(e));
    counters.errors[err.status] = (counters.errors[err.status] ?? 0) + 1;
    send(res, err.status, { error: err.message, ...(err.field ? { field: err.field } : {}) });
  };

  const events = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    if (streams.size >= LIMITS.streams) {
      counters.streamsRefused++;
      throw new ApiError(503, `events: at most ${LIMITS.streams} event streams at once`);
    }
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive' });
    res.write(': pseudonet events\n\n');
    streams.add(res);
    counters.streams = streams.size;
    const off = target.onEvent((e) => {
      if (res.writableLength > LIMITS.streamBacklogBytes) {
        counters.streamEventsDropped++;
        return;
      }
      res.write(`event: ${e.kind}\ndata: ${apiJson(e)}\n\n`);
    });
    const beat = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
    const end = (): void => {
      clearInterval(beat);
      off();
      streams.delete(res);
      counters.streams = streams.size;
    };
    req.on('close', end);
    res.on('close', end);
  };

  const post = (req: http.IncomingMessage, res: http.ServerResponse, act: (body: unknown) => unknown): void => {
    readBody(req).then((body) => send(res, 200, act(body) ?? { ok: true }), (e) => fail(res, e)).catch((e) => fail(res, e));
  };

  const handle = (req: http.IncomingMessage, res: http.ServerResponse): boolean => {
    const raw = req.url ?? '/';
    const pathname = raw.split('?', 1)[0]!;
    const isOurs = pathname === '/' || pathname === '/metrics' || pathname === '/api' || pathname.startsWith('/api/') || files.has(pathname);
    if (!isOurs) return false;
    counters.requests++;
    try {
      if (raw.length > LIMITS.urlBytes) throw new ApiError(414, `url: at most ${LIMITS.urlBytes} bytes`, 'url');
      const url = new URL(raw, 'http://pseudonet');
      const method = req.method ?? 'GET';
      const seg = pathname.split('/').slice(1);
      const only = (m: string): void => {
        if (method !== m) {
          res.setHeader('allow', m);
          throw new ApiError(405, `method: ${method} ${pathname} is not allowed (use ${m})`, 'method');
        }
      };
      const file = files.get(pathname);
      if (file) {
        only('GET');
        res.writeHead(200, { 'content-type': file.type, 'cache-control': 'no-cache' });
        res.end(readFileSync(file.path));
        return true;
      }
      if (pathname === '/metrics') {
        only('GET');
        target.metrics().then((text) => {
          res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
          res.end(text);
        }, (e) => fail(res, e));
        return true;
      }
      if (pathname === '/api' || pathname === '/api/') {
        only('GET');
        send(res, 200, { endpoints: ENDPOINTS });
        return true;
      }
      // /api/<what>[/<name>[/<action>]]
      const [, what, rawName, action, extra] = seg;
      if (extra !== undefined) throw new ApiError(404, `path: no ${pathname} (GET /api lists the endpoints)`, 'path');
      if (rawName === undefined) {
        only('GET');
        if (what === 'events') {
          events(req, res);
          return true;
        }
        const views: Record<string, () => unknown> = {
          sessions: () => target.sessions(),
          tunnels: () => target.tunnels(),
          routes: () => target.routes(),
          arp: () => target.arp(),
          counters: () => ({ ...(target.counters() as object), api: counters }),
          boxes: () => target.boxes(),
        };
        const view = what !== undefined && Object.hasOwn(views, what) ? views[what] : undefined;
        if (!view) throw new ApiError(404, `path: no /api/${what} (GET /api lists the endpoints)`, 'path');
        send(res, 200, view());
        return true;
      }
      if (action === undefined || action === '') throw new ApiError(404, `path: no ${pathname} (GET /api lists the endpoints)`, 'path');
      if (what === 'sessions' && action === 'sequence') {
        only('GET');
        const home = param('home', rawName);
        const a = url.searchParams.get('after');
        if (a !== null && !/^\d{1,10}$/.test(a)) throw new ApiError(400, `after: "${a.slice(0, 20)}" is not a whole number`, 'after');
        const v = target.sequence(home, a === null ? 0 : Number(a));
        if (!v) throw new ApiError(404, `home: no home named "${home}"`, 'home');
        send(res, 200, v);
        return true;
      }
      only('POST');
      const actions: Record<string, Record<string, (name: string, body: unknown) => unknown>> = {
        homes: { down: (n) => target.homeDown(n), up: (n) => target.homeUp(n) },
        links: { impair: (n, body) => target.impair(n, parseImpairments(body)) },
        boxes: { stop: (n) => target.boxStop(n), start: (n) => target.boxStart(n) },
        sessions: { disconnect: (n) => target.disconnect(n) },
      };
      // Own keys only: "constructor" or "__proto__" in a path is no action.
      const group = what !== undefined && Object.hasOwn(actions, what) ? actions[what] : undefined;
      const f = group && Object.hasOwn(group, action) ? group[action] : undefined;
      if (!f) throw new ApiError(404, `path: no POST ${pathname} (GET /api lists the endpoints)`, 'path');
      const field = { homes: 'home', links: 'link', boxes: 'box', sessions: 'home' }[what as 'homes'];
      const name = param(field, rawName);
      post(req, res, (body) => f(name, body));
      return true;
    } catch (e) {
      fail(res, e);
      return true;
    }
  };
  return Object.assign(handle, {
    counters,
    closeStreams: () => {
      for (const s of streams) s.end();
      streams.clear();
    },
  });
}

const ENDPOINTS = [
  'GET /api/sessions',
  'GET /api/tunnels',
  'GET /api/routes',
  'GET /api/arp',
  'GET /api/counters',
  'GET /api/boxes',
  'GET /api/events (text/event-stream)',
  'GET /api/sessions/HOME/sequence[?after=N]',
  'POST /api/homes/HOME/down',
  'POST /api/homes/HOME/up',
  'POST /api/links/LINK/impair {loss, delay, jitter, duplicate, corrupt, mtu}',
  'POST /api/boxes/BOX/stop',
  'POST /api/boxes/BOX/start',
  'POST /api/sessions/HOME/disconnect',
  'GET /metrics',
  'GET / (the web view)',
];

/** "127.0.0.1:8080" → {host, port}; an error naming what is wrong. */
export function parseListen(s: string): { host: string; port: number } {
  const m = /^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(s.trim());
  if (!m) throw new Error(`--http: "${s}" is not ADDR:PORT (e.g. 127.0.0.1:8080)`);
  const port = Number(m[2]);
  if (port > 65535) throw new Error(`--http: port ${port} is above 65535`);
  return { host: m[1]!.replace(/^\[|\]$/g, ''), port };
}

/** A TCP listener for the handler set, bound only to `host`. Resolves once listening (port 0: see `address()`). */
export async function listenHttp(handler: ApiHandler, host: string, port: number): Promise<http.Server> {
  const server = http.createServer({ maxHeaderSize: 8192, requestTimeout: 30_000, headersTimeout: 10_000 }, (req, res) => {
    if (!handler(req, res)) {
      res.writeHead(404, { 'content-type': 'application/json; charset=utf-8' });
      res.end(apiJson({ error: `path: no ${(req.url ?? '').slice(0, 200)} (GET /api lists the endpoints)`, field: 'path' }) + '\n');
    }
  });
  server.maxConnections = LIMITS.connections;
  const close = server.close.bind(server);
  server.close = (cb?: (err?: Error) => void) => {
    handler.closeStreams();
    server.closeAllConnections?.();
    return close(cb);
  };
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return server;
}
