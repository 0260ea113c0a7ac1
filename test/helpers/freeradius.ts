/**
 * Runs a real FreeRADIUS (Debian freeradius 3.2.x) for a test or a benchmark: its own copy of
 * /etc/freeradius/3.0 in a temporary directory, only the modules it needs, one virtual
 * server on 127.0.0.1 high ports, our users and clients. `stop()` ends it by pid; call it
 * in `after()` so it never outlives the test.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import dgram from 'node:dgram';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface FreeRadiusOptions {
  /** The `users` file (mods-config/files/authorize). */
  readonly users: string;
  /** clients.conf; default: 127.0.0.1 with secret testing123. */
  readonly clients?: string;
  /** -X (debug, one thread, every packet logged) for tests; threads and no debug for benchmarks. */
  readonly debug?: boolean;
  /** FreeRADIUS delays Access-Reject by 1 s by default; 0 keeps tests fast. */
  readonly rejectDelay?: number;
  /** Listen on this address (default 127.0.0.1), inside network namespace `netns` if given. */
  readonly address?: string;
  readonly netns?: string;
  /**
   * Accounting also to SQL (rlm_sql with rlm_sql_sqlite) in this database file, created from
   * Debian's schema: radacct's acctuniqueid is UNIQUE, so a replayed Start or Stop updates
   * the session's one row (the standard deployment's deduplication) instead of adding one.
   */
  readonly sqlite?: string;
}

export interface FreeRadius {
  readonly pid: number;
  readonly authPort: number;
  readonly acctPort: number;
  readonly dir: string;
  readonly logFile: string;
  /** The detail files of accounting (one per client address and day), concatenated. */
  detail(): string;
  stop(): Promise<void>;
}

export const FREERADIUS_CONF = '/etc/freeradius/3.0';

/**
 * A topology's `radius` value for a server started with the default clients.conf (127.0.0.1,
 * secret testing123). Debian's FreeRADIUS 3.2.1 sends no Message-Authenticator in responses.
 */
export function localRadiusRef(fr: FreeRadius): { address: string; authPort: number; acctPort: number; secret: string; requireMessageAuthenticator: boolean } {
  return { address: '127.0.0.1', authPort: fr.authPort, acctPort: fr.acctPort, secret: 'testing123', requireMessageAuthenticator: false };
}

/** The accounting detail records (blank-line separated) that name `user`. */
export function detailRecordsOf(fr: FreeRadius, user: string): string[] {
  return fr.detail().split(/\n\n+/).filter((b) => b.includes(`User-Name = "${user}"`));
}

export function freeradiusAvailable(): boolean {
  try {
    execFileSync('freeradius', ['-v'], { stdio: 'ignore' });
    return existsSync(FREERADIUS_CONF);
  } catch {
    return false;
  }
}

/** A UDP port that was free a moment ago (the kernel's choice). */
export async function freeUdpPort(): Promise<number> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  const port = s.address().port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

const MODULES = ['always', 'chap', 'pap', 'files', 'detail', 'expr', 'preprocess'];

function site(authPort: number, acctPort: number, address = '127.0.0.1', sql = false): string {
  return `server pseudonet {
	listen {
		type = auth
		ipaddr = ${address}
		port = ${authPort}
	}
	listen {
		type = acct
		ipaddr = ${address}
		port = ${acctPort}
	}
	authorize {
		chap
		files
		pap
	}
	authenticate {
		Auth-Type PAP {
			pap
		}
		Auth-Type CHAP {
			chap
		}
	}
	preacct {
		acct_unique
	}
	accounting {
		detail${sql ? '\n\t\tsql' : ''}
		ok
	}
	post-auth {
		ok
	}
}
`;
}

export async function startFreeRadius(o: FreeRadiusOptions): Promise<FreeRadius> {
  const dir = mkdtempSync(path.join(tmpdir(), 'pseudonet-freeradius-'));
  const raddb = path.join(dir, 'raddb');
  execFileSync('cp', ['-a', FREERADIUS_CONF, raddb]);
  for (const d of ['log', 'run', 'radacct']) mkdirSync(path.join(dir, d));
  let conf = readFileSync(path.join(raddb, 'radiusd.conf'), 'utf8');
  conf = conf
    .replace(/^raddbdir = .*$/m, `raddbdir = ${raddb}`)
    .replace(/^logdir = .*$/m, `logdir = ${path.join(dir, 'log')}`)
    .replace(/^radacctdir = .*$/m, `radacctdir = ${path.join(dir, 'radacct')}`)
    .replace(/^run_dir = .*$/m, `run_dir = ${path.join(dir, 'run')}`)
    .replace(/^\s*(user|group) = freerad\s*$/gm, '')
    .replace(/^\s*reject_delay = .*$/m, `\treject_delay = ${o.rejectDelay ?? 0}`);
  writeFileSync(path.join(raddb, 'radiusd.conf'), conf);
  // Only the modules this site uses: no EAP certificates, no inner-tunnel listener on 18120.
  const modsEnabled = path.join(raddb, 'mods-enabled');
  for (const f of readdirSync(modsEnabled)) unlinkSync(path.join(modsEnabled, f));
  for (const m of MODULES) symlinkSync(`../mods-available/${m}`, path.join(modsEnabled, m));
  if (o.sqlite) {
    const sql = readFileSync(path.join(raddb, 'mods-available', 'sql'), 'utf8')
      .replace(/^(\s*)driver = .*$/m, '$1driver = "rlm_sql_sqlite"')
      .replace(/^(\s*)dialect = .*$/m, '$1dialect = "sqlite"')
      .replace(/^(\s*)filename = .*$/m, `$1filename = "${o.sqlite}"`);
    writeFileSync(path.join(modsEnabled, 'sql'), sql);
  }
  const sitesEnabled = path.join(raddb, 'sites-enabled');
  for (const f of readdirSync(sitesEnabled)) unlinkSync(path.join(sitesEnabled, f));
  const authPort = await freeUdpPort();
  let acctPort = await freeUdpPort();
  while (acctPort === authPort) acctPort = await freeUdpPort();
  writeFileSync(path.join(sitesEnabled, 'pseudonet'), site(authPort, acctPort, o.address, o.sqlite !== undefined));
  writeFileSync(path.join(raddb, 'clients.conf'), o.clients ?? 'client localhost {\n\tipaddr = 127.0.0.1\n\tsecret = testing123\n\trequire_message_authenticator = yes\n}\n');
  const users = path.join(raddb, 'mods-config', 'files', 'authorize');
  rmSync(users, { force: true });
  writeFileSync(users, o.users);
  const logFile = path.join(dir, 'radius.log');
  const args = o.debug === false ? ['-f', '-d', raddb, '-l', logFile] : ['-X', '-d', raddb, '-l', logFile];
  // `ip netns exec` execs freeradius itself: the pid is FreeRADIUS's.
  const child: ChildProcess = o.netns ? spawn('ip', ['netns', 'exec', o.netns, 'freeradius', ...args], { stdio: ['ignore', 'pipe', 'pipe'] }) : spawn('freeradius', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (out += b.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  let dead = false;
  void exited.then(() => (dead = true));
  const pid = child.pid!;
  const stop = async () => {
    if (!dead) {
      try {
        process.kill(pid, 'SIGTERM');
        const t = setTimeout(() => {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            // already gone
          }
        }, 3000);
        await exited;
        clearTimeout(t);
      } catch {
        // already gone
      }
    }
    // Keep the directory (logs, detail files) for a post-mortem only when asked.
    if (!process.env.PSEUDONET_KEEP_TMP) rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 20_000;
  for (;;) {
    const log = (existsSync(logFile) ? readFileSync(logFile, 'utf8') : '') + out;
    if (/Ready to process requests/.test(log)) break;
    if (dead || Date.now() > deadline) {
      await stop();
      throw new Error(`FreeRADIUS did not start (${dead ? 'exited' : 'timeout'}):\n${log.split('\n').slice(-30).join('\n')}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    pid,
    authPort,
    acctPort,
    dir,
    logFile,
    detail: () => {
      const base = path.join(dir, 'radacct');
      let text = '';
      for (const client of existsSync(base) ? readdirSync(base) : []) for (const f of readdirSync(path.join(base, client)).sort()) text += readFileSync(path.join(base, client, f), 'utf8');
      return text;
    },
    stop,
  };
}
