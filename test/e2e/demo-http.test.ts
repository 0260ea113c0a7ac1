/**
 * `pseudonet demo --http` keeps serving after the demo, with the network going on in real
 * time (an action plays out), until Ctrl-C ends it with the demo's exit code; metrics.prom
 * is the exporter's text. `run --http` without `--realtime` is refused before anything starts.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const out = mkdtempSync(path.join(tmpdir(), 'http-demo-'));
let child: ChildProcess | undefined;

after(() => {
  if (child?.pid !== undefined && child.exitCode === null) child.kill('SIGKILL');
  rmSync(out, { recursive: true, force: true });
});

test('demo --http: serves after the demo, the network lives on (home1 dials again), Ctrl-C ends it', { timeout: 50_000 }, async () => {
  child = spawn(process.execPath, [path.join(ROOT, 'bin/pseudonet.js'), 'demo', '--out', out, '--http', '127.0.0.1:0'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((r) => child!.on('exit', (code) => r(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no "http: serving on" line in 30 s')), 30_000);
    readline.createInterface({ input: child!.stdout! }).on('line', (l) => {
      const m = /^http: serving on (http:\/\/127\.0\.0\.1:\d+\/) \(Ctrl-C to stop\)$/.exec(l);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
  });
  const sessions = async (): Promise<{ home: string; state: string; ip: string | null }[]> => (await fetch(`${url}api/sessions`)).json() as Promise<{ home: string; state: string; ip: string | null }[]>;
  // The demo tore every session down.
  assert.ok((await sessions()).every((s) => s.state !== 'online'));
  const lint = spawnSync('promtool', ['check', 'metrics'], { input: readFileSync(path.join(out, 'metrics.prom'), 'utf8'), encoding: 'utf8' });
  assert.ok(!lint.error, 'promtool is missing: run scripts/deps.sh (Debian package prometheus)');
  assert.equal(lint.status, 0, `${lint.stdout}${lint.stderr}`);
  assert.equal((await fetch(`${url}api/homes/home1/up`, { method: 'POST' })).status, 200);
  let home1 = (await sessions()).find((s) => s.home === 'home1')!;
  for (let i = 0; i < 50 && home1.state !== 'online'; i++) {
    await new Promise((r) => setTimeout(r, 100));
    home1 = (await sessions()).find((s) => s.home === 'home1')!;
  }
  assert.deepEqual([home1.state, home1.ip], ['online', '198.51.100.10']);
  child.kill('SIGINT');
  assert.equal(await exited, 0, 'the demo was OK, and Ctrl-C ends the serving');
});

test('run --http without --realtime is refused (exit 2) and says why', () => {
  const r = spawnSync(process.execPath, [path.join(ROOT, 'bin/pseudonet.js'), 'run', path.join(ROOT, 'topologies/default.yaml'), '--http', '127.0.0.1:0', '--out', out], { cwd: ROOT, encoding: 'utf8', timeout: 30_000 });
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /--http needs --realtime/);
  const bad = spawnSync(process.execPath, [path.join(ROOT, 'bin/pseudonet.js'), 'run', path.join(ROOT, 'topologies/default.yaml'), '--realtime', '--http', 'localhost', '--out', out], { cwd: ROOT, encoding: 'utf8', timeout: 30_000 });
  assert.equal(bad.status, 2, bad.stderr);
  assert.match(bad.stderr, /--http: "localhost" is not ADDR:PORT/);
});
