/**
 * Load topologies: the default network with N homes spread over the ISPs, each ISP with a
 * pool large enough (a /14 per ISP out of 10.0.0.0/8, or more for a million homes) and one
 * RADIUS user per home; the homes spread over as many sse access ports as they need
 * (HOMES_PER_ACCESS_PORT each, under RFC 2516's 65,534 PPPoE sessions).
 */
import { REDIAL_DEFAULTS, type Topology } from './topology.js';

/** Generated homes per sse access port: room below 65,534 for redials while old sessions linger. */
export const HOMES_PER_ACCESS_PORT = 60_000;

/** The access port names for `n` homes: access, access-2, access-3... */
export function accessPortsFor(n: number): string[] {
  const ports = Math.max(1, Math.ceil(n / HOMES_PER_ACCESS_PORT));
  return Array.from({ length: ports }, (_, i) => (i === 0 ? 'access' : `access-${i + 1}`));
}

export function withHomes(base: Topology, n: number, password = 'load-secret'): Topology {
  const perIsp = Math.ceil(n / base.isps.length);
  // The smallest pool (at most a /14) with room for every home of the ISP plus a tenth for redials.
  const len = Math.min(14, 32 - Math.ceil(Math.log2(perIsp * 1.1 + 4)));
  const step = 2 ** (16 - len); // in the second octet
  const isps = base.isps.map((isp, i) => ({
    ...isp,
    pool: `10.${i * step}.0.0/${len}`,
    gateway: `10.${i * step}.0.1`,
    users: [] as Topology['isps'][number]['users'],
  }));
  const generated = accessPortsFor(n);
  const accessPorts = generated.length > base.sse.accessPorts.length ? generated : base.sse.accessPorts;
  const homes: Topology['homes'] = [];
  for (let k = 0; k < n; k++) {
    const isp = isps[k % isps.length]!;
    // Joined, not concatenated: one flat string instead of a tree of cons nodes (32 octets
    // each; V8 makes them for strings past 12 characters) that every box copying the user name
    // keeps alive. Every home shares one (frozen) redial setting: the topology is read, never written.
    const user = ['user', k + 1, '@', isp.domain].join('');
    isp.users.push({ name: user, password });
    const port = generated[Math.floor(k / HOMES_PER_ACCESS_PORT)]!;
    const home = { name: `h${k + 1}`, user, password, auth: 'chap' as const, redial: REDIAL_DEFAULTS, ipv6: true };
    homes.push(port === 'access' ? home : { ...home, access: port });
  }
  return { ...base, sse: { ...base.sse, accessPorts }, isps, homes };
}
