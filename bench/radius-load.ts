/**
 * RADIUS load client (run as its own process by radius-server.bench.ts): PAP
 * Access-Requests with Message-Authenticator, precomputed so that sending costs little, from
 * several sockets with a fixed window of outstanding requests per socket. A (socket, id,
 * authenticator) never repeats within `uniqueSeconds`, so no server answers from its
 * duplicate cache. Prints one JSON line: requests/s answered, accepts, rejects, losses.
 *
 *   node --import tsx bench/radius-load.ts '{"port":1812,"secret":"s","users":[["u","p"]],...}'
 */
import dgram from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { A, octetsAttr, radiusPacket, textAttr, intAttr } from '../src/wire/radius.js';
import { hideUserPassword, messageAuthenticatorAttr, signPacket } from '../src/wire/radius-crypto.js';
import { ipv4FromString, textBytes } from '../src/wire/bytes.js';

export interface LoadOptions {
  readonly port: number;
  readonly secret: string;
  readonly users: readonly (readonly [string, string])[];
  readonly sockets?: number;
  readonly windowPerSocket?: number;
  readonly warmupMs?: number;
  readonly durationMs?: number;
  /** Expected ceiling of requests/s, to size the precomputed set. */
  readonly maxRate?: number;
  readonly uniqueSeconds?: number;
}

export interface LoadResult {
  readonly requestsPerSecond: number;
  readonly answered: number;
  /** Answers including the warm-up, for per-CPU-second figures over the whole run. */
  readonly answeredTotal: number;
  readonly accepts: number;
  readonly rejects: number;
  readonly lost: number;
  readonly precomputed: number;
  /** Wall time of warm-up + measurement (the precomputation before it is not included). */
  readonly runMs: number;
}

export async function runLoad(o: LoadOptions): Promise<LoadResult> {
  const S = o.sockets ?? 4;
  const W = Math.min(256, o.windowPerSocket ?? 64);
  const warmup = o.warmupMs ?? 1000;
  const duration = o.durationMs ?? 3000;
  // Variants per id: one (socket, id) is reused every V sends; keep that above uniqueSeconds.
  const V = Math.max(8, Math.ceil(((o.maxRate ?? 120_000) * (o.uniqueSeconds ?? 6)) / (S * 256)));
  const nas = ipv4FromString('127.0.0.1');
  // packets[id][v]: shared by every socket (the source port makes them distinct requests).
  const packets: Uint8Array[][] = [];
  let u = 0;
  for (let id = 0; id < 256; id++) {
    const row: Uint8Array[] = [];
    for (let v = 0; v < V; v++) {
      const [name, pw] = o.users[u++ % o.users.length]!;
      const ra = randomBytes(16);
      const b = new Uint8Array(radiusPacket.encodedLength({ code: 1, identifier: id, authenticator: ra, attributes: [] }) + 128);
      const p = { code: 1, identifier: id, authenticator: ra, attributes: [messageAuthenticatorAttr(), textAttr(A.USER_NAME, name), octetsAttr(A.USER_PASSWORD, hideUserPassword(textBytes(pw), o.secret, ra)), intAttr(A.NAS_IP_ADDRESS, nas), intAttr(A.NAS_PORT_TYPE, 5)] };
      const n = radiusPacket.emit(p, b, 0);
      const bytes = b.subarray(0, n);
      signPacket(bytes, o.secret);
      row.push(bytes);
    }
    packets.push(row);
  }
  const runStart = performance.now();
  let answered = 0;
  let answeredTotal = 0;
  let accepts = 0;
  let rejects = 0;
  let lost = 0;
  let counting = false;
  let stopped = false;
  const socks: dgram.Socket[] = [];
  const sentAt: Float64Array[] = [];
  const next: Uint32Array[] = [];
  const send = (s: number, id: number) => {
    const v = next[s]![id]!++ % V;
    sentAt[s]![id] = performance.now();
    socks[s]!.send(packets[id]![v]!, o.port, '127.0.0.1');
  };
  for (let s = 0; s < S; s++) {
    const sock = dgram.createSocket({ type: 'udp4', recvBufferSize: 1 << 21, sendBufferSize: 1 << 21 });
    socks.push(sock);
    sentAt.push(new Float64Array(256));
    next.push(new Uint32Array(256));
    sock.on('message', (m) => {
      const id = m[1]!;
      if (sentAt[s]![id] === 0) return;
      sentAt[s]![id] = 0;
      answeredTotal++;
      if (counting) {
        answered++;
        if (m[0] === 2) accepts++;
        else rejects++;
      }
      if (!stopped) send(s, id);
    });
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  }
  // Each socket uses W of its ids, spread over 0..255.
  for (let s = 0; s < S; s++) for (let k = 0; k < W; k++) send(s, Math.floor((k * 256) / W));
  // Requests without an answer for 1 s are counted lost and replaced.
  const sweep = setInterval(() => {
    const now = performance.now();
    for (let s = 0; s < S; s++) {
      for (let id = 0; id < 256; id++) {
        const t = sentAt[s]![id]!;
        if (t !== 0 && now - t > 1000) {
          if (counting) lost++;
          if (!stopped) send(s, id);
        }
      }
    }
  }, 250);
  await new Promise((r) => setTimeout(r, warmup));
  counting = true;
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, duration));
  counting = false;
  const secs = (performance.now() - t0) / 1000;
  stopped = true;
  clearInterval(sweep);
  for (const s of socks) s.close();
  return { requestsPerSecond: answered / secs, answered, answeredTotal, accepts, rejects, lost, precomputed: 256 * V, runMs: performance.now() - runStart };
}

if (process.argv[1] && /radius-load\.ts$/.test(process.argv[1])) {
  const o = JSON.parse(process.argv[2] ?? '{}') as LoadOptions;
  const r = await runLoad(o);
  console.log(JSON.stringify(r));
}
