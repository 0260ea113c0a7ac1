/**
 * Real peer: xl2tpd 1.3.18 (Debian) in the QEMU lab (../shared/lab/vm), tunnel secret on.
 *  - xl2tpd as LAC (VM 192.0.2.2) → our LNS engine on real UDP 192.0.2.10:1701;
 *  - our LAC engine (192.0.2.11:1701) → xl2tpd as LNS (VM 192.0.2.1).
 * Our side runs in test/lab/l2tp-agent.ts inside a namespace of this test's own, with a minimal
 * PPP peer behind each session, so pppd reaches ip-up and pings cross. Everything this file
 * starts (namespace, VMs, agent, tshark) is stopped in after(), by pid or VM name.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseCapture } from '../../src/wire/pcap.js';
import { l2tp, controlMessageType, MessageType } from '../../src/wire/l2tp.js';
import { checkReemit } from '../helpers/codec.js';
import { udpPayload } from '../helpers/udp-frame.js';
import { tsharkProblems } from '../helpers/tshark.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const LAB = path.resolve(ROOT, '../shared/lab/vm');
const CACHE = process.env.LAB_VM_CACHE ?? '/var/tmp/pseudonet-lab';
const tag = (process.pid % 46656).toString(36);
const NS = `pnl2tp${tag}`;
const VM_LNS = `xl${tag}lns`; // the TAP is named after the first 12 characters: keep them unique
const VM_LAC = `xl${tag}lac`;
const SECRET = 'lab-tunnel-secret';
const work = mkdtempSync(path.join(tmpdir(), 'pseudonet-l2tp-lab-'));
const PCAP = path.join(work, 'l2tp-lab.pcapng');

const whyNot = process.getuid?.() !== 0 ? 'needs root (namespaces, QEMU TAP)' : undefined;

interface AgentLine { t: number; ev: string; side?: string; [k: string]: unknown }

let agent: ChildProcess | undefined;
let tshark: ChildProcess | undefined;
const lines: AgentLine[] = [];
const waiters: (() => void)[] = [];
let nsMade = false;
const vmsStarted: string[] = [];

function sh(cmd: string, args: string[], timeout = 120_000): string {
  return execFileSync(cmd, args, { encoding: 'utf8', timeout, stdio: ['ignore', 'pipe', 'pipe'] });
}

function vmctl(...args: string[]): string {
  return sh(path.join(LAB, 'vmctl.sh'), args, 90_000);
}

function runVm(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn(path.join(LAB, 'run.sh'), args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout!.on('data', (d) => (out += d));
    p.stderr!.on('data', (d) => (out += d));
    p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`run.sh ${args.join(' ')}: ${code}\n${out}`))));
  });
}

/** Resolves with the first agent line matching `pred` (already seen or to come). */
function waitFor(pred: (l: AgentLine) => boolean, ms: number, what: string): Promise<AgentLine> {
  return new Promise((resolve, reject) => {
    const check = (): boolean => {
      const l = lines.find(pred);
      if (l) {
        clearTimeout(timer);
        resolve(l);
        return true;
      }
      return false;
    };
    const timer = setTimeout(() => {
      const i = waiters.indexOf(w);
      if (i >= 0) waiters.splice(i, 1);
      reject(new Error(`timed out after ${ms} ms waiting for ${what}; agent said:\n${lines.map((l) => JSON.stringify(l)).join('\n')}`));
    }, ms);
    const w = (): void => {
      if (check()) waiters.splice(waiters.indexOf(w), 1);
    };
    if (!check()) waiters.push(w);
  });
}

function command(cmd: Record<string, unknown>): void {
  agent!.stdin!.write(JSON.stringify(cmd) + '\n');
}

before(async () => {
  if (whyNot) return;
  if (!existsSync(LAB)) throw new Error(`no VM lab at ${LAB} (../shared/lab/vm beside the checkout)`);
  // build.sh is idempotent; it only downloads and extracts what is missing.
  if (!existsSync(path.join(CACHE, 'initramfs.cpio'))) sh(path.join(LAB, 'build.sh'), [], 900_000);
  sh(path.join(LAB, 'netns.sh'), ['up', NS, 'br0']);
  nsMade = true;
  sh(path.join(LAB, 'netns.sh'), ['veth', NS, 'lab0']);
  sh('ip', ['-n', NS, 'addr', 'add', '192.0.2.10/24', 'dev', 'lab0']);
  sh('ip', ['-n', NS, 'addr', 'add', '192.0.2.11/24', 'dev', 'lab0']);
  // The capture: every L2TP datagram on the segment.
  tshark = spawn('ip', ['netns', 'exec', NS, 'tshark', '-q', '-i', 'br0', '-f', 'udp port 1701', '-w', PCAP], { stdio: ['ignore', 'ignore', 'pipe'] });
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('tshark did not start')), 15_000);
    tshark!.stderr!.on('data', (d: Buffer) => { if (String(d).includes('Capturing on')) { clearTimeout(t); resolve(); } });
  });
  const cfg = {
    lns: { bind: '192.0.2.10', port: 1701, hostName: 'pn-nte', secret: SECRET, localIp: '10.0.1.1', peerIp: '10.0.1.2', knownLac: 'lab-lac' },
    lac: { bind: '192.0.2.11', port: 1701, hostName: 'pn-sse', secret: SECRET, lns: '192.0.2.1', user: 'user@isp.example', pass: 'secret' },
  };
  agent = spawn('ip', ['netns', 'exec', NS, process.execPath, '--import', 'tsx', path.join(ROOT, 'test/lab/l2tp-agent.ts')], {
    cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, PN_L2TP_AGENT: JSON.stringify(cfg) },
  });
  agent.stderr!.on('data', (d) => lines.push({ t: -1, ev: 'stderr', text: String(d) }));
  readline.createInterface({ input: agent.stdout! }).on('line', (l) => {
    try {
      lines.push(JSON.parse(l) as AgentLine);
    } catch {
      lines.push({ t: -1, ev: 'raw', text: l });
    }
    for (const w of [...waiters]) w();
  });
  await waitFor((l) => l.ev === 'listening' && l.side === 'lac', 30_000, 'the agent');
  // Both VMs boot at once (about 6-8 s each under TCG). The LAC dials as soon as it is ready.
  vmsStarted.push(VM_LNS, VM_LAC);
  await Promise.all([
    runVm(['lns', '--ns', NS, '--name', VM_LNS, '--ip', '192.0.2.1/24', '--set', `l2tp_secret=${SECRET}`, '--set', 'l2tp_debug=1', '--timeout', '90']),
    runVm(['lac', '--ns', NS, '--name', VM_LAC, '--ip', '192.0.2.2/24', '--lns', '192.0.2.10', '--user', 'user@isp.example', '--pass', 'secret', '--set', `l2tp_secret=${SECRET}`, '--timeout', '90']),
  ]);
}, { timeout: 180_000 });

after(async () => {
  if (whyNot) return;
  const errs: unknown[] = [];
  const attempt = (f: () => void): void => { try { f(); } catch (e) { errs.push(e); } };
  if (agent && agent.exitCode === null) {
    attempt(() => command({ cmd: 'exit' }));
    await new Promise((r) => setTimeout(r, 300));
    if (agent.exitCode === null && agent.pid) attempt(() => process.kill(agent!.pid!, 'SIGKILL'));
  }
  for (const vm of vmsStarted) attempt(() => vmctl('stop', vm));
  // Keep the consoles next to the capture, then drop the VMs' state directories from the shared cache.
  for (const vm of vmsStarted) {
    const dir = path.join(process.env.LAB_VM_RUN ?? path.join(CACHE, 'run'), vm);
    attempt(() => { if (existsSync(path.join(dir, 'console.log'))) copyFileSync(path.join(dir, 'console.log'), path.join(work, `${vm}.console.log`)); });
    attempt(() => rmSync(dir, { recursive: true, force: true }));
  }
  if (tshark?.pid && tshark.exitCode === null) {
    attempt(() => process.kill(tshark!.pid!, 'SIGINT'));
    await new Promise((r) => setTimeout(r, 500));
    if (tshark.exitCode === null) attempt(() => process.kill(tshark!.pid!, 'SIGKILL'));
  }
  if (nsMade) attempt(() => sh(path.join(LAB, 'netns.sh'), ['down', NS]));
  if (errs.length) console.error('cleanup:', errs);
  console.error(`l2tp lab: capture and consoles in ${work}`);
}, { timeout: 60_000 });

test('xl2tpd as LAC → our LNS: tunnel authentication, a session, LCP and IPCP up, pings answered', { skip: whyNot, timeout: 90_000 }, async () => {
  const auth = await waitFor((l) => l.ev === 'authorize' && l.side === 'lns', 40_000, 'an SCCRQ from xl2tpd');
  assert.equal(auth.host, 'lab-lac');
  assert.equal(auth.from, '192.0.2.2:1701');
  const up = await waitFor((l) => l.ev === 'tunnel-up' && l.side === 'lns', 20_000, 'tunnel-up on our LNS');
  assert.equal(up.peerHostName, 'lab-lac');
  const s = await waitFor((l) => l.ev === 'session-up' && l.side === 'lns', 20_000, 'session-up on our LNS');
  assert.equal((s.info as { framingType: number }).framingType, 1, 'xl2tpd sends Framing Type sync');
  await waitFor((l) => l.ev === 'ipcp-opened' && String(l.tag).startsWith('lns:'), 30_000, 'IPCP opened with the LAC\'s pppd');
  vmctl('wait', VM_LAC, 'LAB: ip-up ppp0 local=10.0.1.2 remote=10.0.1.1', '30');
  const ping = vmctl('exec', VM_LAC, '-t', '20', 'ping -c 3 -W 3 10.0.1.1 && echo PING-OK');
  assert.match(ping, /PING-OK/, ping);
  // (vmctl ran synchronously: let the agent's lines in before counting.)
  await waitFor((l) => l.ev === 'icmp-echo-answered' && String(l.tag).startsWith('lns:') && l.seq === 2, 5000, 'the third echo request answered by our side');
});

test('our LAC → xl2tpd as LNS: tunnel authentication, hidden AVPs revealed by xl2tpd, CHAP, IPCP, pings answered', { skip: whyNot, timeout: 90_000 }, async () => {
  command({ cmd: 'open' });
  const up = await waitFor((l) => l.ev === 'tunnel-up' && l.side === 'lac', 30_000, 'tunnel-up on our LAC');
  assert.equal(up.peer, '192.0.2.1:1701');
  await waitFor((l) => l.ev === 'session-up' && l.side === 'lac', 20_000, 'session-up on our LAC');
  await waitFor((l) => l.ev === 'chap-success', 30_000, 'CHAP Success from the LNS\'s pppd');
  await waitFor((l) => l.ev === 'ipcp-opened' && String(l.tag).startsWith('lac:'), 30_000, 'IPCP opened with the LNS\'s pppd');
  vmctl('wait', VM_LNS, 'LAB: ip-up ppp0 local=10.0.1.1 remote=10.0.1.2', '30');
  const ping = vmctl('exec', VM_LNS, '-t', '20', 'ping -c 3 -W 3 10.0.1.2 && echo PING-OK');
  assert.match(ping, /PING-OK/, ping);
  await waitFor((l) => l.ev === 'icmp-echo-answered' && String(l.tag).startsWith('lac:') && l.seq === 2, 5000, 'the third echo request answered by our side');
  // xl2tpd decrypted the Calling/Called Number we sent hidden, and found our Challenge Response good.
  const log = vmctl('log', VM_LNS);
  assert.match(log, /dialing_number_avp: peer reports dialing number '02:00:00:00:00:01'/);
  assert.match(log, /dialed_number_avp: peer reports dialed number 'isp\.example'/);
  assert.match(log, /chalresp_avp: Challenge reply found/);
  assert.match(log, /Connection established to 192\.0\.2\.11, 1701/);
});

test('teardown both ways: our CDN and StopCCN end xl2tpd\'s call and tunnel; xl2tpd\'s CDN and StopCCN end ours', { skip: whyNot, timeout: 90_000 }, async () => {
  command({ cmd: 'close-session' });
  vmctl('wait', VM_LNS, 'LAB: ip-down', '20');
  command({ cmd: 'close-tunnel' });
  await waitFor((l) => l.ev === 'tunnel-down' && l.side === 'lac', 10_000, 'tunnel-down on our LAC');
  // The StopCCN is acknowledged (no retransmission-timeout teardown) and xl2tpd closed the tunnel.
  const deadline = Date.now() + 10_000;
  let log = '';
  while (Date.now() < deadline && !/Connection closed to 192\.0\.2\.11, port 1701/.test(log)) {
    await new Promise((r) => setTimeout(r, 300));
    log = vmctl('log', VM_LNS);
  }
  assert.match(log, /message type 14 \(Call-Disconnect-Notify\)/);
  assert.match(log, /Connection closed to 192\.0\.2\.11, port 1701/);
  // Now xl2tpd's LAC goes away (graceful poweroff: LCP Terminate, CDN, StopCCN).
  vmctl('stop', VM_LAC);
  const cdn = await waitFor((l) => l.ev === 'session-down' && l.side === 'lns', 30_000, 'CDN from xl2tpd');
  assert.equal(cdn.reason, 'peer-cdn');
  const stop = await waitFor((l) => l.ev === 'tunnel-down' && l.side === 'lns', 30_000, 'StopCCN from xl2tpd');
  assert.equal(stop.reason, 'peer-stopccn');
  command({ cmd: 'stats' });
  const stats = await waitFor((l) => l.ev === 'stats' && l.side === 'lac', 5000, 'stats');
  const counters = stats.counters as { teardowns: Record<string, number> };
  assert.equal(counters.teardowns['retransmit-timeout'], undefined);
});

test('every L2TP datagram xl2tpd and our engines exchanged parses and re-emits byte for byte', { skip: whyNot, timeout: 30_000 }, async () => {
  // Let tshark flush what it has by stopping it (after() would otherwise).
  if (tshark?.pid && tshark.exitCode === null) {
    process.kill(tshark.pid, 'SIGINT');
    await new Promise<void>((r) => tshark!.on('exit', () => r()));
  }
  const cap = parseCapture(new Uint8Array(readFileSync(PCAP)));
  assert.ok(cap.ok);
  const seen = new Set<string>();
  const copies = new Map<string, number[]>();
  let n = 0;
  for (const p of cap.value.packets) {
    const u = udpPayload(p.data);
    if (!u) continue;
    const m = checkReemit(l2tp, u.payload, `datagram ${++n}`);
    if (m.kind !== 'control') continue;
    const us = u.src === 0xc000020b || u.src === 0xc000020a; // 192.0.2.11 / .10
    seen.add(`${us ? 'us' : 'xl2tpd'}:${controlMessageType(m) ?? 'ZLB'}`);
    if (us && m.avps.length) {
      const k = `${u.src}/${m.tunnelId}/${m.ns}`;
      copies.set(k, [...(copies.get(k) ?? []), p.timestampMs]);
    }
  }
  // Our retransmissions (if xl2tpd was slow) respect the retransmission timeout: never two copies within 1 s.
  for (const [k, ts] of copies) for (let i = 1; i < ts.length; i++) assert.ok(ts[i]! - ts[i - 1]! >= 990, `${k}: copies ${ts[i]! - ts[i - 1]!} ms apart`);
  for (const t of [MessageType.SCCRQ, MessageType.SCCRP, MessageType.SCCCN, MessageType.ICRQ, MessageType.ICRP, MessageType.ICCN, MessageType.CDN, MessageType.StopCCN]) {
    assert.ok(seen.has(`us:${t}`) && seen.has(`xl2tpd:${t}`), `both sides sent message type ${t}: ${[...seen].join(' ')}`);
  }
  assert.ok(n > 50, `${n} datagrams`);
  assert.deepEqual(tsharkProblems(PCAP), [], 'Wireshark finds nothing wrong on either side');
});
