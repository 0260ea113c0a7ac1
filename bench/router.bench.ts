/**
 * The router's data path: LPM lookups with 1,000,000 routes of a realistic prefix-length
 * mix (and the build time), and forwarding 64-byte frames through one router with ARP
 * resolved, on one core.
 */
import { Lpm } from '../src/proto/lpm.js';
import { Router } from '../src/roles/router.js';
import { arpEthernetIpv4, ArpOp } from '../src/wire/arp.js';
import { ipv4FromString as ip, macFromString as mac } from '../src/wire/bytes.js';
import { arpFrame, udpPacket, withEthernet } from '../src/wire/packets.js';
import { rng } from '../test/helpers/codec.js';
import type { BenchEntry } from './bench.js';

/**
 * Share of prefixes by length in the IPv4 DFZ (roughly the CIDR report / bgp.potaroo.net
 * mix of 2024: /24 ≈ 60 %, /22 ≈ 13 %, /23 ≈ 10 %, ...), plus 3 % /32 subscriber routes
 * in 100.64.0.0/10 as an LNS adds, and a few /25–/30.
 */
const MIX: [number, number][] = [
  [8, 0.0002], [9, 0.0002], [10, 0.0004], [11, 0.0008], [12, 0.0015], [13, 0.003], [14, 0.005], [15, 0.007], [16, 0.013], [17, 0.008], [18, 0.013],
  [19, 0.024], [20, 0.038], [21, 0.045], [22, 0.125], [23, 0.1], [24, 0.577], [25, 0.002], [26, 0.002], [27, 0.002], [28, 0.002], [29, 0.002], [30, 0.001], [32, 0.03],
];

function pickLen(x: number): number {
  let acc = 0;
  for (const [l, p] of MIX) {
    acc += p;
    if (x < acc) return l;
  }
  return 24;
}

/** Fills `lpm` to `n` routes; returns one address inside each route (for lookups). */
function fill(n: number, insert: (p: number, l: number, v: number) => void, size: () => number): Uint32Array {
  const r = rng(2024);
  const inside = new Uint32Array(n);
  let i = 0;
  while (size() < n) {
    const len = pickLen((r() % 1_000_000) / 1_000_000);
    const p = len === 32 ? (ip('100.64.0.0') | (r() & 0x003fffff)) >>> 0 : r() >>> 0;
    insert(p, len, i & 0xffff);
    inside[i++ % n] = (p ^ (r() & (len === 32 ? 0 : 0xff >>> Math.max(0, len - 24)))) >>> 0;
  }
  return inside;
}

const A = mac('02:00:00:00:00:0a');
const B = mac('02:00:00:00:00:0b');
const R0 = mac('02:00:00:00:01:00');
const R1 = mac('02:00:00:00:01:01');

function forwarding(routes: number): BenchEntry {
  return {
    name: `ip/router forward 64-byte frames, ARP resolved, ${routes ? '1M routes' : '3 routes'}`,
    measure: () => {
      const r = new Router();
      r.addInterface({ kind: 'ethernet', name: 'eth0', mac: R0, address: ip('10.1.0.1'), prefixLength: 24 }, 0);
      r.addInterface({ kind: 'ethernet', name: 'eth1', mac: R1, address: ip('10.2.0.1'), prefixLength: 24 }, 0);
      let dsts: Uint32Array = new Uint32Array([ip('10.2.0.20')]);
      if (routes) {
        dsts = fill(routes, (p, l) => r.addRoute({ prefix: p, prefixLength: l, nextHop: ip('10.2.0.20'), ifIndex: 1 }), () => r.routes.size);
        r.removeRoute(0, 0);
      }
      // Resolve the next hop once.
      r.handle(0, withEthernet(udpPacket({ src: ip('10.1.0.10'), dst: ip('10.2.0.20') }, 1, 9, new Uint8Array(4), 14), R0, A), 0);
      r.handle(1, arpFrame(arpEthernetIpv4(ArpOp.REPLY, B, ip('10.2.0.20'), R1, ip('10.2.0.1')), B, R1), 0);
      while (r.pollTransmit());
      // 64-byte frames on the wire = 60 bytes without FCS: 14 Ethernet + 20 IPv4 + 8 UDP + 18 data.
      const N = 4096;
      const templates = Array.from({ length: N }, (_, i) => {
        let d = dsts[i % dsts.length]!;
        if ((d >>> 24) === 10 || (d >>> 24) === 0 || (d >>> 24) === 127 || d >>> 28 >= 14) d = ip('10.2.0.20');
        return withEthernet(udpPacket({ src: ip('10.1.0.10'), dst: d }, 1000, 9, new Uint8Array(18), 14), R0, A);
      });
      if (templates[0]!.length !== 60) throw new Error('not a 64-byte frame');
      const bufs = templates.map((t) => new Uint8Array(t));
      let now = 1;
      const run = (frames: number): number => {
        let sent = 0;
        for (let i = 0; i < frames; i++) {
          const k = i & (N - 1);
          const b = bufs[k]!;
          b.set(templates[k]!); // a fresh frame arrives in the buffer (what a NIC's DMA would do)
          r.handle(0, b, now);
          if (r.pollTransmit() !== undefined) sent++;
        }
        now += 1;
        return sent;
      };
      run(200_000);
      const frames = 3_000_000;
      const t0 = performance.now();
      const sent = run(frames);
      const dt = (performance.now() - t0) / 1000;
      if (sent !== frames) throw new Error(`forwarded ${sent} of ${frames}: ${JSON.stringify(r.counters.drops)}`);
      return { 'packets/s': frames / dt };
    },
  };
}

export default [
  {
    name: 'ip/lpm 1M routes (DFZ mix + /32s)',
    measure: () => {
      const t0 = performance.now();
      const lpm = new Lpm();
      const inside = fill(1_000_000, (p, l, v) => lpm.insert(p, l, v), () => lpm.size);
      const buildMs = performance.now() - t0;
      // Random addresses inside random routes: the worst case for caches (no locality).
      const order = new Uint32Array(1 << 22);
      const r = rng(9);
      for (let i = 0; i < order.length; i++) order[i] = inside[r() % inside.length]!;
      let sink = 0;
      const pass = (): number => {
        const t = performance.now();
        let s = 0;
        for (let i = 0; i < order.length; i++) s += lpm.lookup(order[i]!);
        sink += s;
        return order.length / ((performance.now() - t) / 1000);
      };
      pass();
      const rates = [pass(), pass(), pass()].sort((a, b) => a - b);
      // Add and remove while the table is full (the LNS's /32 per session).
      const t1 = performance.now();
      for (let i = 0; i < 100_000; i++) lpm.insert((ip('100.127.0.0') + i) >>> 0, 32, 1);
      for (let i = 0; i < 100_000; i++) lpm.remove((ip('100.127.0.0') + i) >>> 0, 32);
      const churn = 200_000 / ((performance.now() - t1) / 1000);
      const s = lpm.stats();
      if (sink === 0.5) console.log(sink);
      return { 'build ms': buildMs, 'lookups/s (median of 3)': rates[1]!, 'add+remove /32 per s': churn, 'tbl8 groups': s.tbl8Groups, 'MB': s.bytes / 2 ** 20 };
    },
  },
  forwarding(0),
  forwarding(1_000_000),
] satisfies BenchEntry[];
