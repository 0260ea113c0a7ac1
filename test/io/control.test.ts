/**
 * The control endpoint (src/io/control.ts) with a stand-in box, no root needed (issue 14
 * item 6): where the default socket lives (/run/pseudonet as root, $XDG_RUNTIME_DIR/pseudonet
 * otherwise), the socket 0600 in a 0700 directory whatever the umask, a directory that is not
 * ours or not private refused or narrowed, requests past 64 KiB refused without being read,
 * and every /ping and /flood parameter checked with an error that names it.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { spawnSync } from 'node:child_process';
import { chmodSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CONTROL_LIMITS, controlRequest, defaultControlPath, ensurePrivateDir, parseFloodQuery, parsePingQuery, startControl, type ControlServer } from '../../src/io/control.js';
import type { RunningBox } from '../../src/io/box.js';

const work = mkdtempSync(path.join(tmpdir(), 'pseudonet-control-'));
after(() => rmSync(work, { recursive: true, force: true }));

interface PingCall { dst: number | Uint8Array; timeoutMs?: number; size?: number; from?: string }

/** A box that answers every ping in 1.25 ms and records what it was asked. */
function fakeBox(name = 'fake'): RunningBox & { pings: PingCall[] } {
  const pings: PingCall[] = [];
  return {
    name,
    kind: 'server',
    pings,
    show: (what: string) => ({ what }),
    ping: (dst, timeoutMs, size, from) => {
      pings.push({ dst, ...(timeoutMs !== undefined ? { timeoutMs } : {}), ...(size !== undefined ? { size } : {}), ...(from !== undefined ? { from } : {}) });
      return Promise.resolve(1.25);
    },
    shutdown: () => Promise.resolve({ clean: true }),
    close: () => {},
  };
}

let n = 0;
/** A fresh private directory (as $XDG_RUNTIME_DIR would be) and a server in it. */
async function serve(box = fakeBox()): Promise<{ server: ControlServer; sock: string; box: typeof box }> {
  const dir = path.join(work, `run${++n}`, 'pseudonet');
  const sock = path.join(dir, `${box.name}.sock`);
  const server = await startControl(box, sock, { privateDir: true });
  servers.add(server);
  return { server, sock, box };
}
const servers = new Set<ControlServer>();
const close = (s: ControlServer): Promise<void> => {
  servers.delete(s);
  return new Promise((r) => s.close(() => r()));
};
// A failed assertion must not leave a server keeping the test process alive.
after(async () => {
  for (const s of [...servers]) {
    s.closeAllConnections();
    await close(s);
  }
});

/** Sends raw bytes (in pieces, each after the previous was written); the status line and body of the answer. */
function raw(sock: string, pieces: (string | Buffer)[], waitMs = 3000): Promise<{ status: number; body: string; sentAll: boolean }> {
  return new Promise((resolve, reject) => {
    const c = net.connect(sock);
    let got = '';
    let sent = 0;
    const timer = setTimeout(() => {
      c.destroy();
      reject(new Error(`no answer in ${waitMs} ms; got: ${got.slice(0, 200)}`));
    }, waitMs);
    c.on('data', (d) => (got += d.toString('latin1')));
    c.on('error', () => {}); // the server may close while we still write
    c.on('close', () => {
      clearTimeout(timer);
      const m = /^HTTP\/1\.1 (\d{3})/.exec(got);
      resolve({ status: m ? Number(m[1]) : 0, body: got.slice(got.indexOf('\r\n\r\n') + 4), sentAll: sent === pieces.length });
    });
    const next = (): void => {
      if (sent === pieces.length || c.destroyed) return;
      c.write(pieces[sent]!, () => {
        sent++;
        setTimeout(next, 5);
      });
    };
    c.on('connect', next);
  });
}

test('the default socket: /run/pseudonet as root, $XDG_RUNTIME_DIR/pseudonet otherwise, never a shared /tmp name; box names cannot leave the directory', () => {
  assert.equal(defaultControlPath('sse', { XDG_RUNTIME_DIR: '/run/user/1000' }, 0), '/run/pseudonet/sse.sock');
  assert.equal(defaultControlPath('sse', { XDG_RUNTIME_DIR: '/run/user/1000' }, 1000), '/run/user/1000/pseudonet/sse.sock');
  assert.equal(defaultControlPath('nte-a', {}, 1000), path.join(tmpdir(), 'pseudonet-1000', 'nte-a.sock'));
  for (const bad of ['../../etc/x', '..', 'a/b', '.hidden']) {
    const p = defaultControlPath(bad, {}, 0);
    assert.equal(path.dirname(p), '/run/pseudonet', `${bad} → ${p}`);
    assert.ok(!path.basename(p).startsWith('.'), p);
  }
});

test('the socket is 0600 in a 0700 directory even under umask 000, and the umask is given back', async () => {
  const old = process.umask(0o000);
  try {
    const { server, sock } = await serve();
    assert.equal(process.umask(0o000), 0o000, 'the process umask is restored after listen');
    assert.equal(lstatSync(sock).mode & 0o777, 0o600, 'socket mode');
    assert.ok(lstatSync(sock).isSocket());
    assert.equal(lstatSync(path.dirname(sock)).mode & 0o777, 0o700, 'directory mode');
    assert.deepEqual(await controlRequest(sock, '/show/box'), { what: 'box' });
    await close(server);
  } finally {
    process.umask(old);
  }
});

test('a control directory that is wider than 0700 is narrowed; a symbolic link, a file or another user\'s directory is refused', () => {
  const uid = process.getuid!();
  const wide = path.join(work, 'wide');
  mkdirSync(wide, { mode: 0o755 });
  chmodSync(wide, 0o755);
  ensurePrivateDir(wide, uid);
  assert.equal(lstatSync(wide).mode & 0o777, 0o700);
  const link = path.join(work, 'link');
  symlinkSync(wide, link);
  assert.throws(() => ensurePrivateDir(link, uid), /is not a directory \(a symbolic link or a file\): refusing/);
  const file = path.join(work, 'file');
  writeFileSync(file, 'x');
  assert.throws(() => ensurePrivateDir(file, uid), /EEXIST|is not a directory/);
  assert.throws(() => ensurePrivateDir(wide, uid + 1), new RegExp(`belongs to uid ${uid}, not to us \\(uid ${uid + 1}\\): refusing`));
});

test('a file that is not a socket at the control path is refused and left alone; a stale socket is replaced; a live one is refused', async () => {
  const dir = path.join(work, 'paths');
  mkdirSync(dir, { mode: 0o700 });
  const notSock = path.join(dir, 'x.sock');
  writeFileSync(notSock, 'keep me');
  await assert.rejects(startControl(fakeBox(), notSock), /exists and is not a socket: refusing to replace it/);
  assert.equal(readFileSync(notSock, 'utf8'), 'keep me');
  const sock = path.join(dir, 'y.sock');
  const first = await startControl(fakeBox('y'), sock);
  servers.add(first);
  await assert.rejects(startControl(fakeBox('y'), sock), /control socket .* is in use: is box y already running/);
  await close(first);
  // A socket file whose server is gone: what a SIGKILLed box leaves behind (a clean close unlinks it).
  const z = path.join(dir, 'z.sock');
  spawnSync(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(z)}, () => process.kill(process.pid, 'SIGKILL'))`]);
  assert.ok(lstatSync(z).isSocket(), 'the stale socket file is there');
  const again = await startControl(fakeBox('z'), path.join(dir, 'z.sock'));
  servers.add(again);
  assert.deepEqual(await controlRequest(path.join(dir, 'z.sock'), '/show/box'), { what: 'box' });
  await close(again);
  const long = path.join(dir, 'l'.repeat(120) + '.sock');
  await assert.rejects(startControl(fakeBox(), long), /a Unix socket path holds at most 107: give a shorter one with --control PATH/);
});

test('requests past 64 KiB are refused with a JSON error, not read: headers or URL (431), a declared body (413 before it is sent), a chunked body (cut off)', async () => {
  const { server, sock } = await serve();
  const limit = CONTROL_LIMITS.maxRequestBytes;
  assert.equal(limit, 65_536);
  // Just under the limit is served.
  const ok = await raw(sock, [`GET /show/box HTTP/1.1\r\nHost: x\r\nX-Pad: ${'a'.repeat(limit - 1024)}\r\nConnection: close\r\n\r\n`]);
  assert.equal(ok.status, 200);
  const big = await raw(sock, [`GET /show/box HTTP/1.1\r\nHost: x\r\nX-Pad: ${'a'.repeat(limit + 10)}\r\n\r\n`]);
  assert.equal(big.status, 431);
  assert.match(JSON.parse(big.body).error, /longer than 65536 bytes: refused/);
  const url = await raw(sock, [`GET /ping?dst=192.0.2.1&from=${'h'.repeat(limit + 10)} HTTP/1.1\r\nHost: x\r\n\r\n`]);
  assert.equal(url.status, 431);
  // 10 MB declared, nothing sent: the answer comes at once, so nothing was waited for or buffered.
  const declared = await raw(sock, [`GET /show/box HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000\r\n\r\n`]);
  assert.equal(declared.status, 413);
  assert.match(JSON.parse(declared.body).error, /request body longer than 65536 bytes/);
  // A chunked body, 16 KiB chunks: refused once past the limit; the connection is closed on us.
  const chunk = Buffer.from(`4000\r\n${'b'.repeat(0x4000)}\r\n`);
  const chunked = await raw(sock, [`POST /show/box HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n`, ...Array.from({ length: 64 }, () => chunk)], 5000);
  assert.equal(chunked.status, 405, 'POST is answered at once (the endpoint answers GET)');
  assert.equal(chunked.sentAll, false, 'and the body is cut off past the limit: the server closed before 1 MiB was sent');
  const posted = await raw(sock, [`POST /show/box HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi`]);
  assert.equal(posted.status, 405);
  assert.ok(server.counters.refused.headersTooLarge >= 2);
  assert.equal(server.counters.refused.bodyTooLarge, 2);
  assert.equal(server.counters.refused.method, 2);
  await close(server);
});

test('/ping: every parameter within its range, the error naming it; defaults count 3, size 56, timeout 1000 ms', async () => {
  const { server, sock, box } = await serve();
  const err = async (q: string): Promise<string> => {
    try {
      await controlRequest(sock, `/ping?${q}`);
    } catch (e) {
      return (e as Error).message;
    }
    throw new Error(`/ping?${q} was accepted`);
  };
  const r = (await controlRequest(sock, '/ping?dst=192.0.2.1')) as { seq: number; rtt: number }[];
  assert.deepEqual(r, [1, 2, 3].map((seq) => ({ seq, rtt: 1.25 })));
  assert.deepEqual(box.pings[0], { dst: 0xc0000201, timeoutMs: 1000, size: 56 });
  // The largest ICMP echo: 65,535 (IPv4 total length) − 20 (IPv4 header) − 8 (ICMP echo header).
  await controlRequest(sock, '/ping?dst=192.0.2.1&count=1&size=65507&timeout=60000&from=h2');
  assert.deepEqual(box.pings.at(-1), { dst: 0xc0000201, timeoutMs: 60_000, size: 65_507, from: 'h2' });
  await controlRequest(sock, '/ping?dst=192.0.2.1&count=100&size=0&timeout=1');
  assert.equal(box.pings.length, 104);
  for (const [q, name] of [
    ['dst=192.0.2.1&size=65508', 'size'],
    ['dst=192.0.2.1&size=-1', 'size'],
    ['dst=192.0.2.1&size=1.5', 'size'],
    ['dst=192.0.2.1&size=', 'size'],
    ['dst=192.0.2.1&size=1e9', 'size'],
    ['dst=192.0.2.1&count=0', 'count'],
    ['dst=192.0.2.1&count=101', 'count'],
    ['dst=192.0.2.1&count=abc', 'count'],
    ['dst=192.0.2.1&timeout=0', 'timeout'],
    ['dst=192.0.2.1&timeout=60001', 'timeout'],
  ]) assert.match(await err(q!), new RegExp(`^${name} must be a whole number from \\d+ to \\d+ \\(got "`), q);
  assert.match(await err('dst=192.0.2.1&size=70000'), /^size must be a whole number from 0 to 65507 \(got "70000"\)$/);
  assert.match(await err('dst=192.0.2.1&count=100&timeout=60000'), /^count × timeout must be at most 600000 ms \(got 100 × 60000\)$/);
  assert.match(await err('count=1'), /^dst is missing/);
  assert.match(await err('dst=300.1.1.1'), /^dst must be an IPv4 or IPv6 address \(got "300.1.1.1"\)$/);
  assert.match(await err('dst=2001:db8::1::2'), /^dst must be an IPv4 or IPv6 address \(got "2001:db8::1::2"\)$/);
  assert.equal(box.pings.length, 104, 'no refused request pinged');
  assert.equal(server.counters.refused.badParameter, 15);
  // An IPv6 destination reaches the box as its 16 bytes.
  await controlRequest(sock, '/ping?dst=2001:db8:ffff:1::10&count=1');
  assert.deepEqual(box.pings.at(-1), { dst: new Uint8Array([0x20, 0x01, 0x0d, 0xb8, 0xff, 0xff, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0x10]), timeoutMs: 1000, size: 56 });
  assert.match(await err('dst=192.0.2.1').catch((e: Error) => e.message), /accepted/);
  await close(server);
});

test('/flood: seconds, window and size within their ranges (the same checks an HTTP listener gets from parseFloodQuery); only the emulator floods', async () => {
  const q = (s: string): URLSearchParams => new URLSearchParams(s);
  assert.deepEqual(parseFloodQuery(q('dst=192.0.2.1')), { dst: 0xc0000201, seconds: 3, window: 1, size: 56 });
  assert.deepEqual(parseFloodQuery(q('dst=192.0.2.1&seconds=600&window=64&size=65507')), { dst: 0xc0000201, seconds: 600, window: 64, size: 65_507 });
  assert.throws(() => parseFloodQuery(q('dst=192.0.2.1&seconds=0')), /ControlParamError: seconds must be a whole number from 1 to 600/);
  assert.throws(() => parseFloodQuery(q('dst=192.0.2.1&seconds=601')), /seconds must be/);
  assert.throws(() => parseFloodQuery(q('dst=192.0.2.1&window=65')), /window must be a whole number from 1 to 64/);
  assert.throws(() => parseFloodQuery(q('dst=192.0.2.1&size=65508')), /size must be a whole number from 0 to 65507/);
  assert.throws(() => parsePingQuery(q('dst=192.0.2.1&count=101')), /count must be a whole number from 1 to 100/);
  const { server, sock } = await serve();
  await assert.rejects(controlRequest(sock, '/flood?dst=192.0.2.1&seconds=1'), /flood: box fake is not the home emulator/);
  await close(server);
});
