import { homesNetwork, dialAll } from './bring-up.js';
const N = 2000;
const { net, clock } = homesNetwork(N);
const by = new Map<string, number>();
const add = (k: string) => by.set(k, (by.get(k) ?? 0) + 1);
const u16 = (b: Uint8Array, o: number) => (b[o]! << 8) | b[o + 1]!;
for (const [name, s] of net.segments) s.observe((f) => {
  const et = u16(f, 12);
  if (et === 0x8863) return add(`${name} pppoe-disc code=${f[15]}`);
  if (et === 0x8864) { const p = u16(f, 20); return add(`${name} pppoe-sess ppp=${p.toString(16)} code=${p === 0x21 || p === 0x57 ? '-' : f[22]}`); }
  if (et === 0x0806) return add(`${name} arp`);
  if (et === 0x86dd) return add(`${name} ipv6`);
  if (et === 0x0800) {
    const proto = f[23]; const hl = (f[14]! & 15) * 4; const u = 14 + hl;
    if (proto === 17) { const dp = u16(f, u + 2), sp = u16(f, u); if (dp === 1701 || sp === 1701) { const t = (f[u + 8]! & 0x80) !== 0; if (!t) { const off = (f[u+8]! & 0x40 ? 2 : 0) + (f[u+8]! & 0x08 ? 4 : 0) + (f[u+8]! & 0x02 ? 2 : 0) + 6 + u + 8; const p = u16(f, off + 2); return add(`${name} l2tp-data ppp=${p.toString(16)}`); } const len = u16(f, u + 10); return add(`${name} l2tp-ctl ${len === 12 ? 'ZLB' : 'msg=' + u16(f, u + 8 + 12 + 6 > f.length ? 0 : u + 8 + 12 + 4)}`); }
      return add(`${name} udp ${Math.min(sp, dp)} code=${f[u + 8]}`); }
    return add(`${name} ipv4 proto=${proto}`);
  }
  add(`${name} et=${et.toString(16)}`);
});
const t0 = clock.now();
const online = dialAll(net, clock);
console.log('online', online, 'virtual ms', clock.now() - t0);
let total = 0;
for (const [k, v] of [...by].sort()) { total += v; console.log((v / N).toFixed(2).padStart(7), k); }
console.log('frames per setup', (total / N).toFixed(1));
