/**
 * The churn network of issue 13: `n` homes over two ISPs, pool users with Session-Timeout
 * 10 minutes and Interim 5 minutes, a fixed-address user inside isp-a's pool and one
 * outside it, two homes sharing one user, redial on, 2 % loss and 0.5 % corruption on the
 * access and carrier links. Used by test/e2e/churn.test.ts and bench/churn-memory.ts.
 */
import { topologySchema, type Topology } from '../../src/config/topology.js';

export interface ChurnOptions {
  /** Session-Timeout and Acct-Interim-Interval the users get (seconds); undefined = none. */
  readonly sessionTimeout?: number;
  readonly interimInterval?: number;
  readonly seed?: number;
  /**
   * isp-a dual stack, with pools of 32 /64s and 32 /56s: fewer prefixes than sessions over a
   * run, so every prefix is leased again and again.
   */
  readonly ipv6?: boolean;
}

export function churnTopology(n: number, o: ChurnOptions = { sessionTimeout: 600, interimInterval: 300 }): Topology {
  const limits = {
    ...(o.sessionTimeout === undefined ? {} : { sessionTimeout: o.sessionTimeout }),
    ...(o.interimInterval === undefined ? {} : { interimInterval: o.interimInterval }),
  };
  const users: Record<string, { name: string; password: string; ip?: string }[]> = { a: [], b: [] };
  const homes: { name: string; user: string; password: string }[] = [];
  // Fixed addresses: one inside isp-a's pool, one outside every pool (its own route toward nte-a).
  users.a!.push({ name: 'fixed-in@isp-a.example', password: 'p-in', ip: '198.51.100.10', ...limits });
  users.a!.push({ name: 'fixed-out@isp-a.example', password: 'p-out', ip: '192.168.77.7', ...limits });
  homes.push({ name: 'fixed-in', user: 'fixed-in@isp-a.example', password: 'p-in' });
  homes.push({ name: 'fixed-out', user: 'fixed-out@isp-a.example', password: 'p-out' });
  // One user, two homes (two logins, each its own address).
  users.a!.push({ name: 'shared@isp-a.example', password: 'p-shared', ...limits });
  homes.push({ name: 'shared-1', user: 'shared@isp-a.example', password: 'p-shared' });
  homes.push({ name: 'shared-2', user: 'shared@isp-a.example', password: 'p-shared' });
  for (let k = homes.length; k < n; k++) {
    const isp = k % 2 === 0 ? 'a' : 'b';
    const user = `u${k}@isp-${isp}.example`;
    users[isp]!.push({ name: user, password: `p${k}`, ...limits });
    homes.push({ name: `h${k}`, user, password: `p${k}` });
  }
  const impaired = { loss: 0.02, corrupt: 0.005 };
  return topologySchema.parse({
    name: 'churn',
    seed: o.seed ?? 13,
    sse: { name: 'sse', address: '192.0.2.254', lnsLookup: 'static' },
    isps: [
      { name: 'isp-a', domain: 'isp-a.example', lns: { name: 'nte-a', address: '192.0.2.1', hostName: 'nte-a.isp-a.example', tunnelSecret: 'sa' }, pool: '198.51.100.0/23', gateway: '198.51.100.1', dns: ['198.51.100.53'], users: users.a, ...(o.ipv6 ? { ipv6: { wanPrefixPool: '2001:db8:100::/59', pdPool: '2001:db8:8000::/51', pdLength: 56, dns: ['2001:db8:ffff:1::53'] } } : {}) },
      { name: 'isp-b', domain: 'isp-b.example', lcpPolicy: 'renegotiate', lns: { name: 'nte-b', address: '192.0.2.2', hostName: 'nte-b.isp-b.example', tunnelSecret: 'sb' }, pool: '100.64.0.0/22', gateway: '100.64.0.1', dns: ['100.64.0.53'], users: users.b },
    ],
    homes,
    server: { name: 'server', address: '203.0.113.10', gateway: '203.0.113.1', prefix: 24, ...(o.ipv6 ? { address6: '2001:db8:ffff:1::10' } : {}) },
    router: { name: 'router', ispSide: '10.255.0.1', serverSide: '203.0.113.1', ...(o.ipv6 ? { ispSide6: '2001:db8:ffff::1', serverSide6: '2001:db8:ffff:1::1' } : {}) },
    links: { access: { delay: 0.5, ...impaired }, carrier: { delay: 2, ...impaired }, core: { delay: 0.2 }, server: { delay: 0.2 } },
  });
}
