/**
 * Real-interface benchmarks (root; only with `npm run bench -- --real`): frames per second
 * through one AF_PACKET attachment, out and in, on a veth pair in a namespace of their own
 * (sender and receiver are separate processes, so each side's cost is its own core's);
 * and IPv4 forwarding through the router box (`pseudonet up --box router`) between two
 * namespaces. Everything created is removed at the end, also on failure.
 */
import path from 'node:path';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import type { BenchEntry } from './bench.js';
import { Lab, ROOT, requireAddon } from '../test/real/lab.js';
import { controlRequest } from '../src/io/control.js';

const AGENT = path.join(ROOT, 'test/real/afpacket-agent.ts');
const real = process.argv.includes('--real');
const MS = 3000;

async function withLab<T>(f: (lab: Lab) => Promise<T>): Promise<T> {
  if (process.getuid?.() !== 0) throw new Error('bench --real needs root (namespaces, AF_PACKET)');
  requireAddon();
  const lab = new Lab();
  try {
    return await f(lab);
  } finally {
    const errs = await lab.cleanup();
    if (errs.length) console.error('cleanup:', errs);
  }
}

async function attachment(size: number): Promise<Record<string, number>> {
  return withLab(async (lab) => {
    const ns = lab.ns('bafp');
    lab.veth(ns, 'va', ns, 'vb');
    const sink = lab.script('sink', ns, AGENT, ['sink', 'vb', String(MS)]);
    await sink.waitFor((l) => l.ev === 'listening', 15_000, 'sink');
    const blast = lab.script('blast', ns, AGENT, ['blast', 'va', String(MS + 500), String(size)]);
    const b = (await blast.waitFor((l) => l.ev === 'blast', MS + 20_000, 'blast')) as { txPerSecond: number };
    const s = (await sink.waitFor((l) => l.ev === 'sink', MS + 20_000, 'sink')) as { rxPerSecond: number; framesPerBatch: number; kernelDrops: number };
    return { [`out frames/s (${size} B)`]: b.txPerSecond, [`in frames/s (${size} B)`]: s.rxPerSecond, [`in frames per recvmmsg (${size} B)`]: s.framesPerBatch, [`in kernel drops (${size} B)`]: s.kernelDrops };
  });
}

async function router(): Promise<Record<string, number>> {
  return withLab(async (lab) => {
    const work = mkdtempSync(path.join(tmpdir(), 'pseudonet-bench-router-'));
    try {
      const r = lab.ns('brr');
      const c = lab.ns('brc');
      const s = lab.ns('brs');
      lab.veth(c, 'eth0', r, 'rcore');
      lab.veth(s, 'eth0', r, 'rsrv');
      lab.exec(s, 'ip', ['addr', 'add', '203.0.113.10/24', 'dev', 'eth0']);
      const topo = path.join(work, 't.yaml');
      writeFileSync(topo, `sse: { address: 192.0.2.254 }
isps:
  - { name: isp-a, domain: isp-a.example, lns: { name: nte-a, address: 192.0.2.1, hostName: n, tunnelSecret: s }, pool: 198.51.100.0/24, gateway: 198.51.100.1, dns: [198.51.100.53] }
server: { address: 203.0.113.10, gateway: 203.0.113.1 }
router: { ispSide: 10.255.0.1, serverSide: 203.0.113.1, interfaces: { core: rcore, server: rsrv } }
`);
      const control = path.join(work, 'r.sock');
      const box = lab.pseudonet('router', r, ['up', topo, '--box', 'router', '--control', control, '--quiet']);
      const ready = (await box.waitFor((l) => l.ev === 'ready', 20_000, 'router')) as { ports: { core: { mac: string } } };
      // The server's kernel answers ARP; the sink counts what the router forwards.
      lab.exec(s, 'ping', ['-c', '1', '-W', '2', '203.0.113.10']);
      const sink = lab.script('sink', s, AGENT, ['sink', 'eth0', String(MS)]);
      await sink.waitFor((l) => l.ev === 'listening', 15_000, 'sink');
      const blast = lab.script('blast', c, AGENT, ['blastip', 'eth0', ready.ports.core.mac, '10.255.0.2', '203.0.113.10', String(MS + 500)]);
      const b = (await blast.waitFor((l) => l.ev === 'blast', MS + 20_000, 'blast')) as { txPerSecond: number };
      const k = (await sink.waitFor((l) => l.ev === 'sink', MS + 20_000, 'sink')) as { rxPerSecond: number };
      const cnt = (await controlRequest(control, '/show/counters')) as { ports: { core: { kernel: { drops: number } } } };
      return { 'offered frames/s (64 B UDP)': b.txPerSecond, 'forwarded frames/s (64 B UDP)': k.rxPerSecond, 'kernel drops at the router input': cnt.ports.core.kernel.drops };
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
}

const entries: BenchEntry[] = real
  ? [
      { name: 'afpacket attachment', measure: () => attachment(64) },
      { name: 'afpacket attachment', measure: () => attachment(1514) },
      { name: 'router box over veth', measure: router },
    ]
  : [];
export default entries;
