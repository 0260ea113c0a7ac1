/** Runs FreeRADIUS's radclient without blocking the event loop (the server under test may be in this process). */
import { spawn } from 'node:child_process';

export interface RadclientResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * `radclient -x [-t timeout] [-r retries] server:port type secret` with `attributes` (one
 * request, radclient's "A = v, B = w" syntax) on stdin.
 */
export function radclient(port: number, type: 'auth' | 'acct' | 'disconnect' | 'coa' | 'status', secret: string, attributes: string, opts: { timeout?: number; retries?: number } = {}): Promise<RadclientResult> {
  return new Promise((resolve, reject) => {
    const args = ['-x', '-t', String(opts.timeout ?? 2), '-r', String(opts.retries ?? 2), `127.0.0.1:${port}`, type, secret];
    const p = spawn('radclient', args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    p.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    p.on('error', reject);
    p.on('close', (status) => resolve({ status, stdout, stderr }));
    p.stdin.end(attributes + '\n');
  });
}

/** The attribute lines radclient printed under "Received ...", as `name = value` strings. */
export function received(out: string): { code: string; attributes: string[] } | undefined {
  const m = /^Received (\S+) Id \d+ .*\n((?:\t.*\n?)*)/m.exec(out);
  if (!m) return undefined;
  return { code: m[1]!, attributes: m[2]!.split('\n').map((l) => l.trim()).filter(Boolean) };
}
