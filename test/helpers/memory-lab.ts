/**
 * `pseudonet up` boxes (BoxProcess, HomesBox) on in-memory links instead of AF_PACKET: a
 * PortOpener whose interfaces are segments of one virtual clock — acc (access), car0/car1
 * (carrier), core0 (core) — and the one-ISP topology those interface names belong to.
 */
import { VirtualClock } from '../../src/sim/clock.js';
import { Segment } from '../../src/sim/link.js';
import type { PortOpener } from '../../src/io/box.js';
import { labMac } from '../../src/roles/framing.js';

/** One ISP (nte-a) whose boxes name the interfaces `memoryLab` opens; `extra` is appended (users, homes, links...). */
export function oneIspTopology(extra = ''): string {
  return `
sse: { name: sse, address: 192.0.2.254, interfaces: { access: acc, carrier: car0 } }
isps:
  - name: isp-a
    domain: isp-a.example
    lns: { name: nte-a, address: 192.0.2.1, hostName: nte-a.isp-a.example, tunnelSecret: s, interfaces: { carrier: car1, core: core0 } }
    pool: 198.51.100.0/24
    gateway: 198.51.100.1
    dns: [198.51.100.53]
server: { address: 203.0.113.10, gateway: 203.0.113.1 }
router: { ispSide: 10.255.0.1, serverSide: 203.0.113.1 }
${extra}`;
}

/** `open(owner)` opens interfaces for one process-box; each owner gets its own MACs. */
export function memoryLab(): { clock: VirtualClock; open: (owner: number) => PortOpener; segs: Map<string, Segment> } {
  const clock = new VirtualClock(Date.UTC(2026, 0, 1));
  const segs = new Map<string, Segment>();
  const segOf: Record<string, string> = { acc: 'access', car0: 'carrier', car1: 'carrier', core0: 'core' };
  const open = (owner: number): PortOpener => (ifname, onFrame, onBatch) => {
    const name = segOf[ifname] ?? ifname;
    let seg = segs.get(name);
    if (!seg) segs.set(name, (seg = new Segment(name, clock, { delay: 1 })));
    const p = seg.attach(`${owner}-${ifname}`, (f) => {
      onFrame(f);
      onBatch();
    });
    return { mac: labMac(0x70 + owner, Object.keys(segOf).indexOf(ifname) + 1), send: (f) => p.send(f), close: () => p.detach() };
  };
  return { clock, open, segs };
}
