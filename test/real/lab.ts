/**
 * Helpers for the real-interface tests (test/real/): network namespaces and veth pairs of
 * the test's own (named with the test's pid so parallel files never collide), processes
 * started in them and ended by pid, JSON-line output read as events. Everything a helper
 * creates is recorded and removed by `cleanup()`, which the tests call in after().
 */
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afpacketUnavailable } from '../../src/io/afpacket.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const LAB = path.resolve(ROOT, '../shared/lab/vm');
export const CACHE = process.env.LAB_VM_CACHE ?? '/var/tmp/pseudonet-lab';

/**
 * Why this machine cannot run the real tests: they need root and the AF_PACKET addon.
 * A missing addon is a failure (the tests say why), not a skip; only a non-root run skips.
 */
export function notRoot(): string | undefined {
  return process.getuid?.() !== 0 ? 'needs root (network namespaces, AF_PACKET)' : undefined;
}

/** Throws the addon's own explanation when it is missing. */
export function requireAddon(): void {
  const why = afpacketUnavailable();
  if (why) throw new Error(why);
}

export function sh(cmd: string, args: string[], timeout = 60_000): string {
  return execFileSync(cmd, args, { encoding: 'utf8', timeout, stdio: ['ignore', 'pipe', 'pipe'] });
}

export interface JsonLine { [k: string]: unknown }

/** A process of the test's own, its stdout read as JSON lines. */
export class Proc {
  readonly lines: JsonLine[] = [];
  stderr = '';
  private waiters: (() => void)[] = [];
  exited: number | null | undefined;
  readonly done: Promise<void>;

  constructor(readonly name: string, readonly child: ChildProcess) {
    child.stderr?.on('data', (d: Buffer) => (this.stderr += String(d)));
    if (child.stdout) {
      readline.createInterface({ input: child.stdout }).on('line', (l) => {
        let v: JsonLine;
        try {
          v = JSON.parse(l) as JsonLine;
        } catch {
          v = { raw: l };
        }
        this.lines.push(v);
        for (const w of [...this.waiters]) w();
      });
    }
    // Done when its output is read to the end, not at 'exit': Node may report the exit
    // before the last lines in the pipe are read, and a test that reads the lines after
    // `await done` would miss them (the kill -9 test once missed a home's last `offline`).
    // 'close' comes when stdout and stderr have ended; a grandchild that kept them open
    // would hold it back, so 2 s after the exit the process counts as done anyway.
    this.done = new Promise((r) => {
      let status: number | null | undefined;
      let grace: NodeJS.Timeout | undefined;
      const finish = (): void => {
        if (this.exited !== undefined) return;
        clearTimeout(grace);
        this.exited = status;
        for (const w of [...this.waiters]) w();
        r();
      };
      child.on('exit', (code, sig) => {
        status = code ?? (sig ? -1 : null);
        grace = setTimeout(finish, 2000);
      });
      child.on('close', (code, sig) => {
        status ??= code ?? (sig ? -1 : null);
        finish();
      });
    });
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** The first line matching `pred`, already seen or to come. */
  waitFor(pred: (l: JsonLine) => boolean, ms: number, what: string): Promise<JsonLine> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        let l: JsonLine | undefined;
        try {
          l = this.lines.find(pred);
        } catch (e) {
          // A predicate that throws must fail the wait, not the line reader (and with it after()).
          clearTimeout(timer);
          this.waiters.splice(this.waiters.indexOf(w), 1);
          reject(e as Error);
          return true;
        }
        if (l) {
          clearTimeout(timer);
          this.waiters.splice(this.waiters.indexOf(w), 1);
          resolve(l);
          return true;
        }
        if (this.exited !== undefined) {
          clearTimeout(timer);
          this.waiters.splice(this.waiters.indexOf(w), 1);
          reject(new Error(`${this.name} exited (${this.exited}) before ${what}\n${this.tail()}`));
          return true;
        }
        return false;
      };
      const w = (): void => void check();
      this.waiters.push(w);
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        reject(new Error(`${this.name}: timed out after ${ms} ms waiting for ${what}\n${this.tail()}`));
      }, ms);
      check();
    });
  }

  tail(): string {
    return `stdout:\n${this.lines.slice(-40).map((l) => JSON.stringify(l)).join('\n')}\nstderr:\n${this.stderr.slice(-4000)}`;
  }

  /** Signal by pid (only this process, which the test started). */
  signal(sig: NodeJS.Signals): void {
    if (this.exited === undefined && this.child.pid) process.kill(this.child.pid, sig);
  }

  async stop(sig: NodeJS.Signals = 'SIGTERM', graceMs = 5000): Promise<void> {
    if (this.exited !== undefined) return;
    this.signal(sig);
    const t = setTimeout(() => this.signal('SIGKILL'), graceMs);
    await this.done;
    clearTimeout(t);
  }
}

/** Namespaces and processes of one test file, all removed by `cleanup()`. */
export class Lab {
  readonly tag = (process.pid % 46656).toString(36);
  private readonly namespaces: string[] = [];
  readonly procs: Proc[] = [];
  private readonly onCleanup: (() => void | Promise<void>)[] = [];

  /**
   * `owner`: what every namespace name starts with (a test's own prefix; default `pn`).
   * `cleanup()` is the way out; should the process end without it (an exception thrown in an
   * event handler ends it before any `finally` runs), its 'exit' kills what is still running
   * and deletes the namespaces, synchronously, as 'exit' allows.
   */
  constructor(readonly owner = 'pn') {
    process.on('exit', this.atExit);
  }

  private readonly atExit = (): void => {
    for (const p of this.procs) if (p.exited === undefined) p.child.kill('SIGKILL');
    for (const ns of this.namespaces) {
      try {
        sh('ip', ['netns', 'del', ns]);
      } catch {
        // already gone; nothing else can be done while exiting
      }
    }
  };

  /** A namespace of ours, named `<owner><prefix><tag>`, loopback up, IPv6 off (no stray RS/DAD frames). */
  ns(prefix: string): string {
    const name = `${this.owner}${prefix}${this.tag}`;
    if (sh('ip', ['netns', 'list']).split('\n').some((l) => l.split(' ')[0] === name)) sh('ip', ['netns', 'del', name]);
    sh('ip', ['netns', 'add', name]);
    this.namespaces.push(name);
    sh('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
    sh('ip', ['netns', 'exec', name, 'sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1']);
    return name;
  }

  /** A veth pair: `a` in namespace `nsA`, `b` in `nsB`, both up. */
  veth(nsA: string, a: string, nsB: string, b: string, mac?: { a?: string; b?: string }): void {
    sh('ip', ['-n', nsA, 'link', 'add', a, ...(mac?.a ? ['address', mac.a] : []), 'type', 'veth', 'peer', 'name', b, ...(mac?.b ? ['address', mac.b] : []), 'netns', nsB]);
    sh('ip', ['-n', nsA, 'link', 'set', a, 'up']);
    sh('ip', ['-n', nsB, 'link', 'set', b, 'up']);
  }

  /** `ip netns exec NS cmd ...` */
  exec(ns: string, cmd: string, args: string[], timeout = 60_000): string {
    return sh('ip', ['netns', 'exec', ns, cmd, ...args], timeout);
  }

  /** Starts `cmd` in `ns` (its stdout read as JSON lines). */
  spawn(name: string, ns: string, cmd: string, args: string[], env: Record<string, string> = {}): Proc {
    const child = spawn('ip', ['netns', 'exec', ns, cmd, ...args], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    const p = new Proc(name, child);
    this.procs.push(p);
    return p;
  }

  /** Starts a pseudonet command (through tsx) in `ns`. */
  pseudonet(name: string, ns: string, args: string[]): Proc {
    const prof = process.env.PSEUDONET_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.PSEUDONET_CPU_PROF}/${name}`] : [];
    const flags = process.env.PSEUDONET_BOX_NODE_FLAGS?.split(' ').filter((f) => f !== '') ?? [];
    return this.spawn(name, ns, process.execPath, [...prof, ...flags, '--import', 'tsx', path.join(ROOT, 'src/cli/main.ts'), ...args]);
  }

  /** Runs a TypeScript file of ours (through tsx) in `ns`. */
  script(name: string, ns: string, file: string, args: string[] = [], env: Record<string, string> = {}): Proc {
    return this.spawn(name, ns, process.execPath, ['--import', 'tsx', file, ...args], env);
  }

  atCleanup(f: () => void | Promise<void>): void {
    this.onCleanup.unshift(f);
  }

  /** Ends our processes (by pid), runs the registered undo steps, deletes our namespaces. Never throws. */
  async cleanup(): Promise<string[]> {
    const errs: string[] = [];
    await Promise.all(this.procs.map((p) => p.stop('SIGTERM', process.env.PSEUDONET_CPU_PROF ? 60_000 : 5000).catch((e: Error) => errs.push(`${p.name}: ${e.message}`))));
    for (const f of this.onCleanup) {
      try {
        await f();
      } catch (e) {
        errs.push((e as Error).message);
      }
    }
    for (const ns of this.namespaces.reverse()) {
      try {
        sh('ip', ['netns', 'del', ns]);
      } catch (e) {
        errs.push(`ip netns del ${ns}: ${(e as Error).message}`);
      }
    }
    this.namespaces.length = 0;
    process.off('exit', this.atExit);
    return errs;
  }
}

/**
 * Throws when the QEMU lab is missing or not built: the test command builds it, so a test
 * that needs it fails without it (never skips).
 */
export function requireLab(): void {
  const missing = labReady();
  if (missing) throw new Error(`${missing} (npm test builds it)`);
}

export function labReady(): string | undefined {
  if (!existsSync(path.join(LAB, 'run.sh'))) return `no VM lab at ${LAB}`;
  if (!existsSync(path.join(CACHE, 'initramfs.cpio'))) return `the VM lab is not built (${LAB}/build.sh has not run: no ${CACHE}/initramfs.cpio)`;
  return undefined;
}

export const delay = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Where run.sh keeps a VM's state (console.log, ctl.sock, qemu.pid). */
export const vmRunDir = (vm: string): string => path.join(process.env.LAB_VM_RUN ?? path.join(CACHE, 'run'), vm);

/** A console log cut down for an error message: every `LAB:` event and the last 25 lines, control bytes removed. */
export function consoleDigest(text: string): string {
  const lines = text.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').replace(/[\x00-\x08\x0b-\x1f\x7f]/g, '').split('\n');
  const events = lines.filter((l) => l.includes('LAB: ')).map((l) => l.slice(l.indexOf('LAB: ')));
  return `console LAB events:\n  ${events.join('\n  ')}\nconsole tail:\n  ${lines.slice(-25).join('\n  ')}`;
}

/** The QEMU lab (../shared/lab/vm): its namespaces and VMs, stopped and removed by `cleanup()`. */
export class VmLab {
  private readonly vms: string[] = [];
  private readonly namespaces: string[] = [];

  /** A lab namespace with bridge br0 (netns.sh up). */
  up(ns: string): string {
    sh(path.join(LAB, 'netns.sh'), ['up', ns, 'br0']);
    this.namespaces.push(ns);
    return ns;
  }

  /** A veth whose `ifname` end goes into `intoNs` and whose other end joins br0 of `labNs`. */
  veth(labNs: string, ifname: string, intoNs: string): void {
    sh(path.join(LAB, 'netns.sh'), ['veth', labNs, ifname, 'br0', intoNs]);
  }

  /** Starts a VM (run.sh); resolves when its console says `LAB: role-ready`. */
  run(role: string, ns: string, name: string, args: string[] = []): Promise<void> {
    this.vms.push(name);
    return new Promise((resolve, reject) => {
      const p = spawn(path.join(LAB, 'run.sh'), [role, '--ns', ns, '--name', name, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      p.stdout!.on('data', (d) => (out += d));
      p.stderr!.on('data', (d) => (out += d));
      p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`run.sh ${role} ${name}: exit ${code}\n${out}`))));
    });
  }

  vmctl(args: string[], timeout = 90_000): string {
    return sh(path.join(LAB, 'vmctl.sh'), args, timeout);
  }

  /** The VM's console so far (escape bytes and all; empty before it exists). */
  consoleLog(vm: string): string {
    const f = path.join(vmRunDir(vm), 'console.log');
    return existsSync(f) ? readFileSync(f, 'latin1') : '';
  }

  /**
   * The first console match of `re` (no `g` flag), polled without blocking the event loop,
   * for at most `ms`; otherwise an error that says `what` was missing, with the VM's `LAB:`
   * events and the console's last lines (pppd's debug says which protocol it gave up on).
   * A match of `failOn` before one of `re` fails at once (the peer has already said no).
   */
  async waitConsole(vm: string, re: RegExp, ms: number, what: string, failOn?: RegExp): Promise<RegExpExecArray> {
    const end = Date.now() + ms;
    for (;;) {
      const text = this.consoleLog(vm);
      const m = re.exec(text);
      if (m) return m;
      const no = failOn?.exec(text);
      if (no) throw new Error(`${vm}: ${what}: the console says "${no[0]}" (no /${re.source}/)\n${consoleDigest(text)}`);
      if (Date.now() >= end) throw new Error(`${vm}: ${what}: no console line /${re.source}/ within ${ms} ms\n${consoleDigest(text)}`);
      await delay(200);
    }
  }

  /** A shell command in the guest (vmctl.sh exec over ttyS1), without blocking the event loop: its output and whether it exited 0. */
  guest(vm: string, cmd: string, secs = 30): Promise<{ ok: boolean; out: string }> {
    return new Promise((resolve) => {
      execFile(path.join(LAB, 'vmctl.sh'), ['exec', vm, '-t', String(secs), cmd], { encoding: 'utf8', timeout: (secs + 20) * 1000 }, (err, stdout, stderr) =>
        resolve({ ok: !err, out: `${stdout}${stderr ? `\n[stderr] ${stderr}` : ''}${err && !stdout ? `\n[${err.message}]` : ''}` }));
    });
  }

  /** Stops every VM (graceful poweroff, then qemu killed by vmctl), removes their state, deletes the namespaces. */
  async cleanup(keepLogsIn?: string): Promise<string[]> {
    const errs: string[] = [];
    for (const vm of this.vms) {
      try {
        this.vmctl(['stop', vm]);
      } catch (e) {
        errs.push(`vmctl stop ${vm}: ${(e as Error).message}`);
      }
      const dir = vmRunDir(vm);
      try {
        if (keepLogsIn && existsSync(path.join(dir, 'console.log'))) sh('cp', [path.join(dir, 'console.log'), path.join(keepLogsIn, `${vm}.console.log`)]);
        sh('rm', ['-rf', dir]);
      } catch (e) {
        errs.push((e as Error).message);
      }
    }
    for (const ns of this.namespaces) {
      try {
        sh(path.join(LAB, 'netns.sh'), ['down', ns]);
      } catch (e) {
        errs.push(`netns.sh down ${ns}: ${(e as Error).message}`);
      }
    }
    return errs;
  }
}

/**
 * An sse and an LNS (with its embedded RADIUS and LCP echo every second, 3 failures) as two
 * processes: the sse's access on `acc` and carrier on `car0` in `sns`; the LNS's carrier on
 * `car1` and core on `core0` in `nns`. Writes the topology to `topo` and waits until both are ready.
 */
/**
 * The topology of one home of ours (`pseudonet up FILE --box home1`, user user@isp.example)
 * on `accessIf` against a lab VM's pppoe-server, which is its LNS. With `ipv6` the ISP (and
 * so the home) is dual stack; its pools are the LNS's business (the VM's), so they are the
 * default topology's.
 */
export function labHomeTopology(name: string, accessIf: string, o: { ipv6?: boolean } = {}): string {
  return `name: ${name}
sse: { address: 192.0.2.254 }
isps:
  - name: isp
    domain: isp.example
    lns: { name: nte-a, address: 192.0.2.1, hostName: nte.example, tunnelSecret: s }
    pool: 10.0.0.0/24
    gateway: 10.0.0.1
    dns: [10.0.0.53]
${o.ipv6 ? '    ipv6: { wanPrefixPool: 2001:db8:100::/40, pdPool: 2001:db8:8000::/34, pdLength: 56, dns: [2001:db8:ffff:1::53] }\n' : ''}homes:
  - { name: home1, user: user@isp.example, password: secret, interfaces: { access: ${accessIf} } }
${o.ipv6
    ? 'server: { address: 203.0.113.10, gateway: 203.0.113.1, address6: 2001:db8:ffff:1::10 }\nrouter: { ispSide: 10.255.0.1, serverSide: 203.0.113.1, ispSide6: 2001:db8:ffff::1, serverSide6: 2001:db8:ffff:1::1 }'
    : 'server: { address: 203.0.113.10, gateway: 203.0.113.1 }\nrouter: { ispSide: 10.255.0.1, serverSide: 203.0.113.1 }'}
`;
}

export interface AccessChainOptions {
  readonly name: string;
  readonly sns: string;
  readonly nns: string;
  readonly topo: string;
  readonly sock: (box: string) => string;
  readonly homes: number;
  /** The LNS's LCP echo interval (s; default 1, so a vanished home is noticed in ~3 s; 0 = off) and failures (default 3). */
  readonly lcpEchoInterval?: number;
  readonly lcpEchoFailure?: number;
  /** No event lines from the boxes (`pseudonet up --quiet`): what a benchmark wants. */
  readonly quiet?: boolean;
  /**
   * The ISP's RADIUS as a process of its own (test/real/radius-agent.ts: the server of
   * `pseudonet radius`, kernel UDP, the embedded one's configuration) in namespace `ns`, reached over veth rad0 (the LNS's radius port, in `nns`) ─
   * rad1 (172.16.0.2/24, in `ns`), instead of embedded in the LNS's process: its CPU is then
   * its own and the LNS's is the LNS's alone.
   */
  readonly radius?: { readonly ns: string };
}

/** The ISP RADIUS's address and secret when it runs on its own (`AccessChainOptions.radius`). */
export const CHAIN_RADIUS = { address: '172.16.0.2', nas: '172.16.0.1', secret: 'chain-radius-secret' } as const;

export async function startAccessChain(lab: Lab, o: AccessChainOptions): Promise<{ nte: Proc; sse: Proc; radius?: Proc }> {
  const echo = o.lcpEchoInterval ?? 1;
  const lnsExtra = `${echo ? `, lcpEchoInterval: ${echo}, lcpEchoFailure: ${o.lcpEchoFailure ?? 3}` : ''}`;
  writeFileSync(o.topo, `name: ${o.name}
sse: { name: sse, address: 192.0.2.254, interfaces: { access: acc, carrier: car0 } }
isps:
  - name: isp-a
    domain: isp-a.example
    lns: { name: nte-a, address: 192.0.2.1, hostName: nte-a.isp-a.example, tunnelSecret: s${lnsExtra}, interfaces: { carrier: car1, core: core0${o.radius ? ', radius: rad0' : ''} } }
${o.radius ? `    radius: { address: ${CHAIN_RADIUS.address}, secret: ${CHAIN_RADIUS.secret} }
` : ''}    pool: 198.51.100.0/24
    gateway: 198.51.100.1
    dns: [198.51.100.53]
server: { address: 203.0.113.10, gateway: 203.0.113.1 }
router: { ispSide: 10.255.0.1, serverSide: 203.0.113.1 }
`);
  const quiet = o.quiet ? ['--quiet'] : [];
  let radius: Proc | undefined;
  if (o.radius) {
    lab.veth(o.nns, 'rad0', o.radius.ns, 'rad1');
    lab.exec(o.radius.ns, 'ip', ['addr', 'add', `${CHAIN_RADIUS.address}/24`, 'dev', 'rad1']);
    // The users the LNS's --homes N stands for, as the embedded server would have them (no config file: 10,000s of users).
    radius = lab.script('radius', o.radius.ns, path.join(ROOT, 'test/real/radius-agent.ts'), [o.topo, String(o.homes), CHAIN_RADIUS.address]);
    await radius.waitFor((l) => l.ev === 'listening', 30_000, 'radius listening');
  }
  const nte = lab.pseudonet('nte-a', o.nns, ['up', o.topo, '--box', 'nte-a', '--homes', String(o.homes), '--control', o.sock('nte-a'), ...quiet]);
  const sse = lab.pseudonet('sse', o.sns, ['up', o.topo, '--box', 'sse', '--control', o.sock('sse'), ...quiet]);
  await Promise.all([nte, sse].map((p) => p.waitFor((l) => l.ev === 'ready', 20_000, `${p.name} ready`)));
  return radius ? { nte, sse, radius } : { nte, sse };
}
