/**
 * Load topologies: the default network with N homes spread over the ISPs, each ISP with a
 * pool large enough (a /14 per ISP out of 10.0.0.0/8) and one RADIUS user per home.
 */
import { REDIAL_DEFAULTS, type Topology } from './topology.js';

export function withHomes(base: Topology, n: number, password = 'load-secret'): Topology {
  const isps = base.isps.map((isp, i) => ({
    ...isp,
    pool: `10.${i * 4}.0.0/14`,
    gateway: `10.${i * 4}.0.1`,
    users: [] as Topology['isps'][number]['users'],
  }));
  const homes: Topology['homes'] = [];
  for (let k = 0; k < n; k++) {
    const isp = isps[k % isps.length]!;
    const user = `user${k + 1}@${isp.domain}`;
    isp.users.push({ name: user, password });
    homes.push({ name: `h${k + 1}`, user, password, auth: 'chap', redial: { ...REDIAL_DEFAULTS } });
  }
  return { ...base, isps, homes };
}
