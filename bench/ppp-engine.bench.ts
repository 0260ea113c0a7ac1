/**
 * The PPP engines under load (bench/run.ts; names start with "ppp-engine"): our PPPoE clients
 * and our AC running discovery + LCP + CHAP-MD5 + IPCP through the real codecs, on the virtual
 * clock, 100,000 sessions over two AC ports (a port's session ids are 1..0xFFFE). Figures:
 * sessions established per second of one core, and heap bytes per established session
 * (both roles, after a full GC, with their keepalive timers armed).
 */
import v8 from 'node:v8';
import vm from 'node:vm';
import { VirtualClock } from '../src/sim/clock.js';
import { pppoeAcConfig } from '../src/proto/pppoe-ac.js';
import { pppoeClientConfig } from '../src/proto/pppoe-client.js';
import { pppLinkConfig } from '../src/proto/ppp-link.js';
import { authenticatorConfig, peerConfig } from '../src/proto/ppp-auth.js';
import { ipcpConfig } from '../src/proto/ipcp.js';
import { ipv4FromString as ip, textBytes } from '../src/wire/bytes.js';
import { AcHost, ClientHost, StarFabric, clientMac } from '../test/helpers/pppoe-net.js';
import type { BenchEntry } from './bench.js';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

function heap(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

export function runSessions(n: number, ports = Math.ceil(n / 50_000)): { seconds: number; cpuSeconds: number; perSession: number; established: number; virtualSeconds: number } {
  const secret = textBytes('secret');
  const acLink = pppLinkConfig({
    lcp: { authenticate: ['chap-md5'] },
    authenticator: authenticatorConfig({ name: 'sse', secretFor: () => secret }),
    ipcp: ipcpConfig({ localAddress: ip('10.0.0.1'), dns: [ip('10.0.0.53'), ip('10.0.0.54')] }),
  });
  const homeLink = pppLinkConfig({ credentials: peerConfig({ name: 'user@isp-a.example', secret: 'secret' }), ipcp: ipcpConfig({ requestDns: true }) });
  const cc = pppoeClientConfig();
  const h0 = heap();
  const clock = new VirtualClock();
  const acs: AcHost[] = [];
  const homes: ClientHost[] = [];
  for (let p = 0; p < ports; p++) {
    const fabric = new StarFabric(clock, { delay: 1 });
    acs.push(new AcHost(clock, fabric, new Uint8Array([0x02, 0xac, 0, 0, 0, p]), pppoeAcConfig({ maxSessionsPerMac: 1 }), acLink, ip('100.64.0.0') + p * 65536 + 1));
    const count = Math.floor(n / ports) + (p < n % ports ? 1 : 0);
    for (let i = 0; i < count; i++) {
      const mac = clientMac(p * 0x100000 + i + 1);
      homes.push(new ClientHost(clock, fabric, mac, cc, homeLink));
    }
  }
  // Homes start 10 µs of virtual time apart (100,000 a virtual second).
  homes.forEach((h, i) => clock.setTimer(i / 100, () => h.start()));
  const established = (): number => acs.reduce((s, a) => s + a.established, 0);
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const allUp = (): boolean => established() === n && homes.every((h) => h.upAt !== undefined);
  // Check between 1 ms slices of virtual time, not after every event.
  while (!allUp() && clock.now() < 3_600_000) clock.runUntil(clock.now() + 1);
  const seconds = (performance.now() - t0) / 1000;
  const cu = process.cpuUsage(c0);
  const cpuSeconds = (cu.user + cu.system) / 1e6;
  const virtualSeconds = clock.now() / 1000;
  const up = homes.filter((h) => h.upAt !== undefined).length;
  const h1 = heap();
  const perSession = (h1 - h0) / n;
  if (up !== n || established() !== n) throw new Error(`only ${up} homes / ${established()} AC sessions up`);
  // Keep everything alive until measured.
  if (homes.length !== n || acs.length !== ports) throw new Error('unreachable');
  return { seconds, cpuSeconds, perSession, established: up, virtualSeconds };
}

export default [
  {
    name: 'ppp-engine discovery+LCP+CHAP+IPCP, 100,000 sessions (client + AC)',
    measure: () => {
      const r = runSessions(100_000);
      // Wall time on a shared machine is noisy; CPU time of this process is what one core spent.
      return { 'sessions/s (wall)': 100_000 / r.seconds, 'sessions/s (per CPU second)': 100_000 / r.cpuSeconds, 'heap bytes/session': r.perSession, 'virtual s': r.virtualSeconds };
    },
  },
] satisfies BenchEntry[];
