/**
 * The IPv6 data path with the IPv4 figures beside it: LPM lookups/s with 1,000,000 IPv6
 * prefixes (an IPv6-DFZ-like length mix in 2000::/4 plus LNS /56 and /64 subscriber routes)
 * next to the IPv4 DIR-24-8 with 1,000,000 routes, and forwarding 64-byte-class frames
 * through one router with the next hop resolved (NDP / ARP), on one core.
 */
import { Lpm } from '../src/proto/lpm.js';
import { Lpm6 } from '../src/proto/lpm6.js';
import { Router } from '../src/roles/router.js';
import { arpEthernetIpv4, ArpOp } from '../src/wire/arp.js';
import { ipv4FromString as ip, macFromString as mac } from '../src/wire/bytes.js';
import { ipv6FromString as ip6 } from '../src/wire/ipv6.js';
import { lla, NaFlag } from '../src/wire/ndp.js';
import { ndpPacket, udp6Packet } from '../src/wire/ipv6-packets.js';
import { arpFrame, udpPacket, withEthernet } from '../src/wire/packets.js';
import { EtherType } from '../src/wire/ethernet.js';
import { rng } from '../test/helpers/codec.js';
import type { BenchEntry } from './bench.js';

/** Share of prefixes by length: the IPv6 DFZ of 2024 (bgp.potaroo.net: /48 about half, /32, /44, /40, /36, /29 ...) and LNS routes. */
const MIX6: [number, number][] = [
  [19, 0.001], [20, 0.002], [22, 0.002], [24, 0.003], [28, 0.01], [29, 0.04], [30, 0.01], [31, 0.005], [32, 0.12], [33, 0.01], [34, 0.01], [35, 0.005],
  [36, 0.035], [37, 0.005], [38, 0.01], [39, 0.005], [40, 0.055], [41, 0.005], [42, 0.01], [43, 0.005], [44, 0.06], [45, 0.01], [46, 0.025], [47, 0.025],
  [48, 0.43], [56, 0.05], [64, 0.05],
];

function pick(mix: [number, number][], x: number, dflt: number): number {
  let acc = 0;
  for (const [l, p] of mix) {
    acc += p;
    if (x < acc) return l;
  }
  return dflt;
}

/** `n` random prefixes of the mix; returns one address inside each. */
function fill6(n: number, insert: (p: Uint8Array, l: number, i: number) => void, size: () => number): Uint8Array[] {
  const r = rng(2026);
  const inside: Uint8Array[] = [];
  let i = 0;
  while (size() < n) {
    const len = pick(MIX6, (r() % 1_000_000) / 1_000_000, 48);
    const p = new Uint8Array(16);
    const w = [r(), r()];
    for (let k = 0; k < 8; k++) p[k] = (w[k >> 2]! >>> (24 - 8 * (k & 3))) & 0xff;
    p[0] = 0x20 | (p[0]! & 0x0f); // 2000::/4
    insert(p, len, i++);
    const a = new Uint8Array(p);
    a[15] = r() & 0xff;
    a[9] = r() & 0xff;
    inside.push(a);
  }
  return inside;
}

function fill4(n: number, lpm: Lpm): Uint32Array {
  const r = rng(2024);
  const inside = new Uint32Array(n);
  let i = 0;
  while (lpm.size < n) {
    const x = (r() % 1000) / 1000;
    const len = x < 0.6 ? 24 : x < 0.73 ? 22 : x < 0.83 ? 23 : x < 0.9 ? 20 : x < 0.97 ? 21 : 32;
    const p = r() >>> 0;
    lpm.insert(p, len, i & 0xffff);
    inside[i++ % n] = (p ^ (r() & 0xff)) >>> 0;
  }
  return inside;
}

function rate(n: number, f: () => number): number {
  f();
  const rs: number[] = [];
  for (let k = 0; k < 3; k++) {
    const t = performance.now();
    f();
    rs.push(n / ((performance.now() - t) / 1000));
  }
  return rs.sort((a, b) => a - b)[1]!;
}

const A = mac('02:00:00:00:00:0a');
const B = mac('02:00:00:00:00:0b');
const R0 = mac('02:00:00:00:01:00');
const R1 = mac('02:00:00:00:01:01');

function forwarding6(routes: number): BenchEntry {
  return {
    name: `ip6/router forward IPv6 frames (14+40+8+18 bytes), NDP resolved, ${routes ? '1M routes' : '3 routes'}, IPv4 64-byte frames beside`,
    measure: () => {
      const r = new Router();
      r.addInterface({ kind: 'ethernet', name: 'eth0', mac: R0, address: ip('10.1.0.1'), prefixLength: 24 }, 0);
      r.addInterface({ kind: 'ethernet', name: 'eth1', mac: R1, address: ip('10.2.0.1'), prefixLength: 24 }, 0);
      r.setAddress6(0, ip6('2001:db8:1::1'), 64, 0);
      r.setAddress6(1, ip6('2001:db8:2::1'), 64, 0);
      const nh = ip6('2001:db8:2::20');
      let dsts: Uint8Array[] = [nh];
      if (routes) dsts = fill6(routes, (p, l) => r.addRoute6({ prefix: p, prefixLength: l, nextHop: nh }), () => r.routes6.size);
      const src = ip6('2001:db8:1::10');
      // Resolve both next hops once (an IPv4 one for the figure beside).
      r.handle(0, withEthernet(udp6Packet({ src, dst: nh }, 1, 9, new Uint8Array(4), 14), R0, A, EtherType.IPV6), 0);
      r.handle(1, withEthernet(ndpPacket({ src: nh, dst: ip6('2001:db8:2::1') }, { kind: 'na', code: 0, checksum: 0, flags: NaFlag.SOLICITED | NaFlag.OVERRIDE, target: nh, options: [lla('target-lla', B)] }, 14), R1, B, EtherType.IPV6), 0);
      r.handle(0, withEthernet(udpPacket({ src: ip('10.1.0.10'), dst: ip('10.2.0.20') }, 1, 9, new Uint8Array(4), 14), R0, A), 0);
      r.handle(1, arpFrame(arpEthernetIpv4(ArpOp.REPLY, B, ip('10.2.0.20'), R1, ip('10.2.0.1')), B, R1), 0);
      while (r.pollTransmit());
      const N = 4096;
      const t6 = Array.from({ length: N }, (_, i) => withEthernet(udp6Packet({ src, dst: dsts[i % dsts.length]! }, 1000, 9, new Uint8Array(18), 14), R0, A, EtherType.IPV6));
      const t4 = Array.from({ length: N }, () => withEthernet(udpPacket({ src: ip('10.1.0.10'), dst: ip('10.2.0.20') }, 1000, 9, new Uint8Array(18), 14), R0, A));
      const run = (templates: Uint8Array[], frames: number): number => {
        const bufs = templates.map((t) => new Uint8Array(t));
        let sent = 0;
        for (let i = 0; i < frames; i++) {
          const k = i & (N - 1);
          const b = bufs[k]!;
          b.set(templates[k]!);
          r.handle(0, b, 1);
          if (r.pollTransmit() !== undefined) sent++;
        }
        if (sent !== frames) throw new Error(`forwarded ${sent} of ${frames}: ${JSON.stringify(r.counters.drops)} ${JSON.stringify(r.counters6.drops)}`);
        return sent;
      };
      const frames = 2_000_000;
      return { 'IPv6 packets/s': rate(frames, () => run(t6, frames)), 'IPv4 packets/s (3 routes)': rate(frames, () => run(t4, frames)) };
    },
  };
}

export default [
  {
    name: 'ip6/lpm6 1M IPv6 prefixes (DFZ mix + /56 /64), IPv4 DIR-24-8 1M routes beside',
    measure: () => {
      const t0 = performance.now();
      const lpm6 = new Lpm6();
      const inside6 = fill6(1_000_000, (p, l, i) => lpm6.insert(p, l, i), () => lpm6.size);
      const build6 = performance.now() - t0;
      const r = rng(9);
      // Destinations one after another in one buffer, as they sit in packets (and as the IPv4 figure reads a Uint32Array).
      const N6 = 1 << 21;
      const order6 = new Uint8Array(N6 * 16);
      for (let i = 0; i < N6; i++) order6.set(inside6[r() % inside6.length]!, i * 16);
      let sink = 0;
      const l6 = rate(N6, () => {
        let s = 0;
        for (let o = 0; o < order6.length; o += 16) s += lpm6.lookup(order6, o);
        sink += s;
        return s;
      });
      const t1 = performance.now();
      const base = ip6('2001:db8:8000::');
      for (let i = 0; i < 100_000; i++) {
        base[6] = i >> 8;
        base[7] = i & 0xff;
        lpm6.insert(base, 56, 1);
      }
      for (let i = 0; i < 100_000; i++) {
        base[6] = i >> 8;
        base[7] = i & 0xff;
        lpm6.remove(base, 56);
      }
      const churn6 = 200_000 / ((performance.now() - t1) / 1000);
      const s6 = lpm6.stats();
      const lpm4 = new Lpm();
      const inside4 = fill4(1_000_000, lpm4);
      const order4 = new Uint32Array(1 << 22);
      for (let i = 0; i < order4.length; i++) order4[i] = inside4[r() % inside4.length]!;
      const l4 = rate(order4.length, () => {
        let s = 0;
        for (let i = 0; i < order4.length; i++) s += lpm4.lookup(order4[i]!);
        sink += s;
        return s;
      });
      if (sink === 0.5) console.log(sink);
      return { 'IPv6 build ms': build6, 'IPv6 lookups/s (median of 3)': l6, 'IPv4 lookups/s (median of 3)': l4, 'IPv6 add+remove /56 per s': churn6, 'IPv6 lengths': s6.lengths, 'IPv6 MB': s6.bytes / 2 ** 20 };
    },
  },
  forwarding6(0),
  forwarding6(1_000_000),
] satisfies BenchEntry[];
