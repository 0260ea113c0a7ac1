/**
 * The control endpoint of a box run alone: HTTP with JSON answers on a Unix socket (local
 * only, and reachable from any network namespace, since the path is in the file system).
 *   GET /show/<what>             sessions | tunnels | routes | arp | counters | interfaces | events | box
 *   GET /ping?dst=A&count=N[&size=B&timeout=MS&from=HOME]   ICMP echo from a home or server box (`from`: which home of the emulator), or ICMPv6 echo
 *                                to an IPv6 `dst` from a box with an IPv6 address (server, router, nte): [{seq, rtt|null}]
 *   GET /flood?dst=A&seconds=S[&window=W&size=B]   the home emulator only: closed-loop pings from every online home
 * Guarantees: the socket is 0600 from the moment it exists, by default inside a 0700
 * directory of our own ($XDG_RUNTIME_DIR/pseudonet, /run/pseudonet as root); a request is
 * refused, not buffered, past CONTROL_LIMITS.maxRequestBytes; every parameter is checked
 * against CONTROL_LIMITS and a bad one is answered 400 with its name.
 * `controlRequest` is the client side (`pseudonet show`).
 */
import http from 'node:http';
import net from 'node:net';
import { chmodSync, existsSync, lstatSync, mkdirSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { RunningBox } from './box.js';
import { HomesBox } from './homes.js';
import { ipv4FromString } from '../wire/bytes.js';
import { parseIpv6Address } from '../wire/ipv6.js';
import type { ApiHandler } from './api.js';

/** An IPv4 datagram is at most 65,535 bytes (RFC 791), its header at least 20, an echo header 8 (RFC 792). */
const ICMP_ECHO_MAX_DATA = 65_535 - 20 - 8;

interface Range { readonly min: number; readonly max: number }

/**
 * Every limit of the control endpoint, in one place: any other listener that answers the
 * same requests (an HTTP port) takes the same numbers.
 */
export const CONTROL_LIMITS = {
  /** Request line + headers, and separately a body: past this the request is refused (431 / 413). */
  maxRequestBytes: 64 * 1024,
  /** The request (line, headers, body) must arrive within this; answers may take longer (/flood). */
  requestTimeoutMs: 10_000,
  /** Connections at once; more are closed at accept (`counters.refused.connections`). */
  maxConnections: 32,
  ping: {
    count: { min: 1, max: 100 },
    /** ICMP echo data bytes: what one IPv4 datagram can carry (65,507). */
    size: { min: 0, max: ICMP_ECHO_MAX_DATA },
    /** Per echo request, milliseconds. */
    timeout: { min: 1, max: 60_000 },
    /** count × timeout: how long one request may hold its connection. */
    maxTotalMs: 600_000,
  },
  flood: {
    seconds: { min: 1, max: 600 },
    window: { min: 1, max: 64 },
    size: { min: 0, max: ICMP_ECHO_MAX_DATA },
  },
} as const;

/** Defaults of the optional parameters. */
const DEFAULTS = { count: 3, size: 56, timeout: 1000, seconds: 3, window: 1 } as const;

/** A request the endpoint refuses with 400: the message names the parameter and its range. */
export class ControlParamError extends Error {
  readonly status = 400;
  override readonly name = 'ControlParamError';
}

function whole(q: URLSearchParams, name: string, r: Range, dflt: number): number {
  const raw = q.get(name);
  if (raw === null) return dflt;
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isInteger(n) || n < r.min || n > r.max)
    throw new ControlParamError(`${name} must be a whole number from ${r.min} to ${r.max} (got "${raw.length > 32 ? raw.slice(0, 32) + '...' : raw}")`);
  return n;
}

function address(q: URLSearchParams, name: string): number {
  const raw = q.get(name);
  if (raw === null) throw new ControlParamError(`${name} is missing (an IPv4 address, e.g. ${name}=192.0.2.1)`);
  try {
    return ipv4FromString(raw);
  } catch {
    throw new ControlParamError(`${name} must be an IPv4 address (got "${raw.length > 32 ? raw.slice(0, 32) + '...' : raw}")`);
  }
}

/** Where a ping goes: an IPv4 address as a number, or an IPv6 address (16 bytes). */
export type PingDestination = number | Uint8Array;

/** /ping's `dst`: IPv4 dotted quad or IPv6 text (RFC 4291 §2.2). */
function pingAddress(q: URLSearchParams): PingDestination {
  const raw = q.get('dst');
  if (raw !== null && raw.includes(':')) {
    const a = parseIpv6Address(raw);
    if (a) return a;
    throw new ControlParamError(`dst must be an IPv4 or IPv6 address (got "${raw.length > 45 ? raw.slice(0, 45) + '...' : raw}")`);
  }
  try {
    return address(q, 'dst');
  } catch (e) {
    if (raw === null) throw e;
    throw new ControlParamError(`dst must be an IPv4 or IPv6 address (got "${raw.length > 32 ? raw.slice(0, 32) + '...' : raw}")`);
  }
}

export interface PingQuery { dst: PingDestination; count: number; size: number; timeoutMs: number; from?: string }
export interface FloodQuery { dst: number; seconds: number; window: number; size: number }

/** /ping's parameters, checked against CONTROL_LIMITS.ping; throws ControlParamError. */
export function parsePingQuery(q: URLSearchParams): PingQuery {
  const L = CONTROL_LIMITS.ping;
  const dst = pingAddress(q);
  const count = whole(q, 'count', L.count, DEFAULTS.count);
  const size = whole(q, 'size', L.size, DEFAULTS.size);
  const timeoutMs = whole(q, 'timeout', L.timeout, DEFAULTS.timeout);
  if (count * timeoutMs > L.maxTotalMs) throw new ControlParamError(`count × timeout must be at most ${L.maxTotalMs} ms (got ${count} × ${timeoutMs})`);
  const from = q.get('from') ?? undefined;
  return { dst, count, size, timeoutMs, ...(from !== undefined ? { from } : {}) };
}

/** /flood's parameters, checked against CONTROL_LIMITS.flood; throws ControlParamError. */
export function parseFloodQuery(q: URLSearchParams): FloodQuery {
  const L = CONTROL_LIMITS.flood;
  return { dst: address(q, 'dst'), seconds: whole(q, 'seconds', L.seconds, DEFAULTS.seconds), window: whole(q, 'window', L.window, DEFAULTS.window), size: whole(q, 'size', L.size, DEFAULTS.size) };
}

/**
 * Where control sockets live by default: a directory only we can enter. Root: /run/pseudonet;
 * otherwise $XDG_RUNTIME_DIR/pseudonet (per user, 0700 by the XDG spec), or, with no
 * XDG_RUNTIME_DIR, $TMPDIR/pseudonet-<uid> (checked to be ours and private before use).
 */
export function controlDir(env: NodeJS.ProcessEnv = process.env, uid: number = process.getuid?.() ?? -1): string {
  if (uid === 0) return '/run/pseudonet';
  if (env.XDG_RUNTIME_DIR) return path.join(env.XDG_RUNTIME_DIR, 'pseudonet');
  return path.join(tmpdir(), `pseudonet-${uid}`);
}

/** The default control socket of box `box` (its name made safe for a file name). */
export function defaultControlPath(box: string, env?: NodeJS.ProcessEnv, uid?: number): string {
  return path.join(controlDir(env, uid), `${box.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_')}.sock`);
}

/**
 * Makes `dir` (mode 0700) or checks an existing one: a real directory (not a symbolic link)
 * owned by us; a wider mode is narrowed to 0700. Throws with what is wrong otherwise.
 */
export function ensurePrivateDir(dir: string, uid: number = process.getuid?.() ?? -1): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const st = lstatSync(dir);
  if (st.isSymbolicLink() || !st.isDirectory()) throw new Error(`control directory ${dir} is not a directory (a symbolic link or a file): refusing to use it`);
  if (uid >= 0 && st.uid !== uid) throw new Error(`control directory ${dir} belongs to uid ${st.uid}, not to us (uid ${uid}): refusing to use it`);
  if ((st.mode & 0o777) !== 0o700) chmodSync(dir, 0o700);
}

/** sun_path holds 108 bytes with the terminating NUL (unix(7)). */
const UNIX_PATH_MAX = 107;

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

/** What the endpoint refused, by reason. */
export interface ControlCounters {
  requests: number;
  refused: { headersTooLarge: number; bodyTooLarge: number; badRequest: number; method: number; badParameter: number; connections: number };
}

export interface ControlServer extends http.Server {
  readonly counters: ControlCounters;
}

export interface ControlOptions {
  /** Create the socket's directory as a private (0700) one, or check it is (the default path). */
  readonly privateDir?: boolean;
  /** Also answer the HTTP API's paths (/api/..., /metrics, /) with the same handlers as `--http`. */
  readonly api?: ApiHandler;
}

/** The control socket; with `o.api`, the HTTP API on it too (one set of handlers, two listeners). */
export async function startControl(box: RunningBox, socketPath: string, o: ControlOptions = {}): Promise<ControlServer> {
  if (Buffer.byteLength(socketPath) > UNIX_PATH_MAX) throw new Error(`control socket path ${socketPath} is ${Buffer.byteLength(socketPath)} bytes; a Unix socket path holds at most ${UNIX_PATH_MAX}: give a shorter one with --control PATH`);
  if (o.privateDir) ensurePrivateDir(path.dirname(socketPath));
  if (existsSync(socketPath)) {
    if (!lstatSync(socketPath).isSocket()) throw new Error(`${socketPath} exists and is not a socket: refusing to replace it (remove it, or give another --control PATH)`);
    if (await inUse(socketPath)) throw new Error(`control socket ${socketPath} is in use: is box ${box.name} already running? (pseudonet show box --control ${socketPath})`);
    unlinkSync(socketPath); // left by a process that died
  }
  const L = CONTROL_LIMITS;
  const counters: ControlCounters = { requests: 0, refused: { headersTooLarge: 0, bodyTooLarge: 0, badRequest: 0, method: 0, badParameter: 0, connections: 0 } };
  const server = http.createServer({ maxHeaderSize: L.maxRequestBytes, requestTimeout: L.requestTimeoutMs, headersTimeout: L.requestTimeoutMs }, (req, res) => {
    counters.requests++;
    if (o.api?.(req, res)) return;
    const reply = (status: number, body: unknown): void => {
      if (res.headersSent || res.destroyed) return;
      const text = toJson(body) + '\n';
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    };
    let refused = false;
    const refuseBody = (): void => {
      if (refused) return;
      refused = true;
      counters.refused.bodyTooLarge++;
      if (!res.headersSent) {
        res.setHeader('connection', 'close');
        reply(413, { error: `request body longer than ${L.maxRequestBytes} bytes: refused` });
        // Stop reading once the answer is out: the rest of the body is never read.
        res.once('finish', () => req.socket.destroy());
      } else req.socket.destroy(); // answered already (e.g. 405): only the reading stops
      req.pause();
    };
    // A body is never needed here: it is counted and discarded up to the limit, never kept.
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > L.maxRequestBytes) return refuseBody();
    let bodyBytes = 0;
    req.on('data', (d: Buffer) => {
      bodyBytes += d.length;
      if (bodyBytes > L.maxRequestBytes) refuseBody();
    });
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      counters.refused.method++;
      res.setHeader('allow', 'GET');
      return reply(405, { error: `${req.method} not allowed: the control endpoint answers GET` });
    }
    const bad = (e: Error): void => {
      if (e instanceof ControlParamError) counters.refused.badParameter++;
      reply(400, { error: e.message });
    };
    try {
      const url = new URL(req.url ?? '/', 'http://box');
      const m = /^\/show\/([a-z]+)$/.exec(url.pathname);
      if (m) return reply(200, box.show(m[1]!));
      if (url.pathname === '/ping') {
        const q = parsePingQuery(url.searchParams);
        void (async () => {
          const out: { seq: number; rtt: number | null }[] = [];
          for (let i = 0; i < q.count && !res.destroyed; i++) out.push({ seq: i + 1, rtt: (await box.ping(q.dst, q.timeoutMs, q.size, q.from)) ?? null });
          reply(200, out);
        })().catch(bad);
        return;
      }
      if (url.pathname === '/flood') {
        if (!(box instanceof HomesBox)) return reply(400, { error: `flood: box ${box.name} is not the home emulator` });
        const q = parseFloodQuery(url.searchParams);
        box.runFlood(q.dst, q.seconds, q.window, q.size).then((r) => reply(200, r), bad);
        return;
      }
      reply(404, { error: `no ${url.pathname}: GET /show/<sessions|tunnels|routes|arp|counters|interfaces|events|box>, /ping?dst=A&count=N or /flood?dst=A&seconds=S` });
    } catch (e) {
      bad(e as Error);
    }
  }) as ControlServer;
  Object.defineProperty(server, 'counters', { value: counters, enumerable: true });
  server.maxConnections = L.maxConnections;
  server.on('drop', () => void counters.refused.connections++);
  // Requests Node's parser refuses (headers past maxHeaderSize, garbage): a JSON error, then close.
  server.on('clientError', (err: NodeJS.ErrnoException, socket: net.Socket) => {
    const tooLarge = err.code === 'HPE_HEADER_OVERFLOW';
    if (tooLarge) counters.refused.headersTooLarge++;
    else counters.refused.badRequest++;
    if (!socket.writable) return void socket.destroy();
    const body = toJson({ error: tooLarge ? `request line and headers longer than ${L.maxRequestBytes} bytes: refused` : `bad request (${err.code ?? err.message})` }) + '\n';
    socket.end(`HTTP/1.1 ${tooLarge ? '431 Request Header Fields Too Large' : '400 Bad Request'}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
  });
  // The socket file gets its mode from the umask when bind() makes it; 0177 makes it 0600 from
  // the first moment (listen binds synchronously), the chmod after is for the record.
  const listening = new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.once('listening', () => resolve());
  });
  const umask = process.umask(0o177);
  try {
    server.listen(socketPath);
  } finally {
    process.umask(umask);
  }
  await listening;
  chmodSync(socketPath, 0o600);
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
