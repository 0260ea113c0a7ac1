/**
 * Access-Requests per second on loopback: `pseudonet radius` (one Node process, one core)
 * and FreeRADIUS 3.2 (its default thread pool) with the same 1,000 PAP users, measured by
 * the same load client (bench/radius-load.ts, its own process). Both servers require and
 * check the Message-Authenticator. FreeRADIUS is always stopped, by pid.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freeradiusAvailable, freeUdpPort, startFreeRadius } from '../test/helpers/freeradius.js';
import type { LoadOptions, LoadResult } from './radius-load.js';
import type { BenchEntry } from './bench.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SECRET = 'bench-secret';
const USERS: [string, string][] = Array.from({ length: 1000 }, (_, i) => [`user${i}@isp-a.example`, `pw-${i}-secret`]);

function runLoadProcess(o: LoadOptions): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'bench/radius-load.ts'), JSON.stringify(o)], { stdio: ['ignore', 'pipe', 'inherit'], cwd: ROOT });
    let out = '';
    p.stdout.on('data', (b: Buffer) => (out += b.toString()));
    p.on('error', reject);
    p.on('close', (code) => (code === 0 ? resolve(JSON.parse(out.trim().split('\n').at(-1)!) as LoadResult) : reject(new Error(`load client exited ${code}: ${out}`))));
  });
}

/** CPU seconds (user + system, all threads) a process has used, from /proc. */
function cpuSeconds(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Runs the load against `port` and measures the server process `pid` meanwhile. */
async function measure(port: number, pid: number, what: string, figures: Record<string, number>): Promise<void> {
  const cpu0 = cpuSeconds(pid);
  const r = await runLoadProcess(load(port));
  const cpu = cpuSeconds(pid) - cpu0;
  if (r.rejects > 0) throw new Error(`${what} rejected ${r.rejects} good requests`);
  figures[`${what} Access-Requests/s`] = r.requestsPerSecond;
  figures[`${what} Access-Requests per CPU-second`] = r.answeredTotal / cpu;
  figures[`${what} CPU cores busy`] = cpu / (r.runMs / 1000);
  figures[`${what} lost`] = r.lost;
}

async function startOurs(dir: string): Promise<{ port: number; pid: number; stop: () => Promise<void> }> {
  const yaml = ['clients:', '  - address: 127.0.0.1', `    secret: ${SECRET}`, 'users:', ...USERS.map(([u, p], i) => `  - { name: "${u}", password: "${p}", framedIp: 10.${(i >> 8) & 255}.${i & 255}.1 }`)].join('\n');
  const file = path.join(dir, 'radius.yaml');
  writeFileSync(file, yaml + '\n');
  const port = await freeUdpPort();
  const proc: ChildProcess = spawn(process.execPath, [path.join(ROOT, 'bin/pseudonet.js'), 'radius', '--config', file, '--auth-port', String(port), '--acct-port', '0', '--bind', '127.0.0.1', '--quiet'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  let out = '';
  proc.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  const deadline = Date.now() + 20_000;
  while (!/listening/.test(out)) {
    if (Date.now() > deadline || proc.exitCode !== null) throw new Error(`pseudonet radius did not start: ${out}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    port,
    pid: proc.pid!,
    stop: async () => {
      if (proc.exitCode === null) proc.kill('SIGTERM');
      await exited;
    },
  };
}

const load = (port: number): LoadOptions => ({ port, secret: SECRET, users: USERS, sockets: 4, windowPerSocket: 32, warmupMs: 1000, durationMs: 4000 });

export default [
  {
    name: 'radius server (loopback, PAP + Message-Authenticator):',
    measure: async () => {
      const dir = mkdtempSync(path.join(tmpdir(), 'pseudonet-radius-bench-'));
      const figures: Record<string, number> = {};
      try {
        const ours = await startOurs(dir);
        try {
          await measure(ours.port, ours.pid, 'pseudonet', figures);
        } finally {
          await ours.stop();
        }
        if (freeradiusAvailable()) {
          const users = USERS.map(([u, p], i) => `${u} Cleartext-Password := "${p}"\n\tFramed-IP-Address = 10.${(i >> 8) & 255}.${i & 255}.1\n`).join('\n');
          const fr = await startFreeRadius({ users, debug: false, clients: `client localhost {\n\tipaddr = 127.0.0.1\n\tsecret = ${SECRET}\n\trequire_message_authenticator = yes\n}\n` });
          try {
            await measure(fr.authPort, fr.pid, 'FreeRADIUS', figures);
          } finally {
            await fr.stop();
          }
          figures['ratio pseudonet/FreeRADIUS Access-Requests/s'] = figures['pseudonet Access-Requests/s']! / figures['FreeRADIUS Access-Requests/s']!;
          figures['ratio pseudonet/FreeRADIUS per CPU-second'] = figures['pseudonet Access-Requests per CPU-second']! / figures['FreeRADIUS Access-Requests per CPU-second']!;
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
      return figures;
    },
  },
] satisfies BenchEntry[];
