/**
 * The embedded RADIUS server's configuration: clients (address/prefix + secret), users,
 * address pools, realms (domain → tagged tunnels, RFC 2868), accounting output, as a schema
 * and the checks the schema cannot express. Reading it from YAML is src/config/radius-file.ts.
 * Secrets never appear in a problem message.
 */
import { z } from 'zod';
import { ipv4FromString } from '../wire/bytes.js';
import { TunnelMediumType, TunnelType } from '../wire/radius.js';
import { parseIpv6Prefix } from '../proto/prefix-pool6.js';

const octet = '(25[0-5]|2[0-4]\\d|1?\\d?\\d)';
const IPV4 = `${octet}(\\.${octet}){3}`;
const ipv4 = z.string().regex(new RegExp(`^${IPV4}$`), 'an IPv4 address like 192.0.2.1');
const prefix = z.string().regex(new RegExp(`^${IPV4}(/([0-9]|[12]\\d|3[0-2]))?$`), 'an IPv4 address or prefix like 127.0.0.0/8');
const range = z.string().regex(new RegExp(`^(${IPV4}/([0-9]|[12]\\d|3[0-2])|${IPV4}\\s*-\\s*${IPV4})$`), 'a prefix like 198.51.100.0/24 or a range like 198.51.100.10-198.51.100.99');
const domain = z.string().regex(/^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$/, 'a domain name like isp-a.example');
const prefix6 = z.string().refine((s) => parseIpv6Prefix(s) !== undefined, 'an IPv6 prefix like 2001:db8:100:10::/64, no bits set past its length');
const seconds = z.number().int().min(1).max(0xffffffff);
/** RADIUS text attributes hold at most 253 octets; passwords at most 128 (RFC 2865 §5.2). */
const password = z.string().min(1).max(128);

const replySchema = {
  /** RFC 2548 MS-Primary/Secondary-DNS-Server (what IPCP hands out, RFC 1877). */
  dns: z.array(ipv4).max(2).optional(),
  sessionTimeout: seconds.optional(),
  idleTimeout: seconds.optional(),
  interimInterval: seconds.optional(),
  framedMtu: z.number().int().min(64).max(65535).optional(),
  replyMessage: z.string().max(1000).optional(),
};

export const clientSchema = z.strictObject({
  name: z.string().min(1).optional(),
  address: prefix,
  secret: z.string().min(1).max(128),
  /** BlastRADIUS: Access-Requests without a valid Message-Authenticator are discarded. */
  requireMessageAuthenticator: z.boolean().default(true),
});

export const userSchema = z.strictObject({
  name: z.string().min(1).max(253),
  password,
  /** Framed-IP-Address; or `pool` for one from a pool. */
  framedIp: ipv4.optional(),
  pool: z.string().min(1).optional(),
  /** RFC 3162 §2.3 Framed-IPv6-Prefix: the user's fixed /64. */
  framedIpv6Prefix: prefix6.optional(),
  /** RFC 4818 Delegated-IPv6-Prefix: the user's fixed delegated prefix. */
  delegatedIpv6Prefix: prefix6.optional(),
  ...replySchema,
});

export const tunnelSchema = z.strictObject({
  type: z.union([z.enum(['L2TP', 'PPTP', 'L2F']), z.number().int().min(1).max(0xffffff)]).default('L2TP'),
  medium: z.union([z.enum(['IPv4', 'IPv6']), z.number().int().min(1).max(0xffffff)]).default('IPv4'),
  serverEndpoint: z.string().min(1).max(200),
  clientEndpoint: z.string().min(1).max(200).optional(),
  /** Tunnel-Password (salt-encrypted on the wire, RFC 2868 §3.5): the L2TP tunnel secret. */
  password: z.string().min(1).max(200).optional(),
  assignmentId: z.string().min(1).max(200).optional(),
  /** Lower is preferred (RFC 2868 §3.8). */
  preference: z.number().int().min(0).max(0xffffff).optional(),
  clientAuthId: z.string().min(1).max(200).optional(),
  serverAuthId: z.string().min(1).max(200).optional(),
});

export const realmSchema = z.strictObject({
  /** `user@domain` and the bare `domain` both match. */
  domain,
  /**
   * When set, a request for an unlisted user of the realm must carry this password (the
   * carrier-RADIUS style "domain as user name" query). When absent the realm answers for
   * any user: the LAC only wants to know where the LNS is; the ISP checks the password.
   */
  password: password.optional(),
  /** Tagged 1..n in this order (RFC 2868 §3); at most 31. */
  tunnels: z.array(tunnelSchema).max(31).default([]),
  pool: z.string().min(1).optional(),
  ...replySchema,
});

/**
 * A pool: a prefix or range, or that with addresses it must never hand out (the ISP's
 * gateway, other ISPs' ranges...). Users' fixed addresses and every DNS address of a reply
 * are left out of every pool without being listed.
 */
export const poolSchema = z.union([
  range,
  z.strictObject({
    range,
    exclude: z.array(range.or(ipv4)).max(10_000).default([]),
  }),
]);

export const radiusServerConfigSchema = z.strictObject({
  clients: z.array(clientSchema).min(1),
  users: z.array(userSchema).default([]),
  pools: z.record(z.string().regex(/^[A-Za-z0-9_.-]+$/, 'a pool name of letters, digits, _ . -'), poolSchema).default({}),
  realms: z.array(realmSchema).default([]),
  accounting: z.strictObject({
    /** JSON lines, one per Accounting-Request (relative to the config file). */
    file: z.string().min(1).optional(),
  }).default({}),
  listen: z.strictObject({
    bind: ipv4.default('0.0.0.0'),
    authPort: z.number().int().min(0).max(65535).default(1812),
    acctPort: z.number().int().min(0).max(65535).default(1813),
  }).default({ bind: '0.0.0.0', authPort: 1812, acctPort: 1813 }),
  /** How long an answered request is remembered to answer its retransmissions (RFC 5080 §2.2.2). */
  duplicateWindowMs: z.number().int().min(0).max(600_000).default(5000),
  /** At most this many answers are cached for retransmissions; the oldest is evicted (and counted). */
  duplicateCacheSize: z.number().int().min(1).max(1_000_000).default(16_384),
  /** At most this many of them from one source address, so one flooding NAS cannot push out the others'. */
  duplicateCachePerSource: z.number().int().min(1).max(1_000_000).default(4096),
  /** Accounting records are also de-duplicated across retransmissions with a new Acct-Delay-Time. */
  accountingDedupWindowMs: z.number().int().min(0).max(86_400_000).default(600_000),
  /** Records remembered for that de-duplication; the oldest is forgotten first (and counted). */
  accountingDedupSize: z.number().int().min(1).max(1_000_000).default(65_536),
  /**
   * A pool address given in an Access-Accept is held this long for the session's
   * Accounting-Start; without one it goes back to the pool (a session that never came up).
   */
  leaseOfferSeconds: z.number().int().min(1).max(86_400).default(300),
});

export type RadiusServerConfig = z.infer<typeof radiusServerConfigSchema>;
export type RadiusServerPool = z.infer<typeof poolSchema>;
export type RadiusServerUser = z.infer<typeof userSchema>;
export type RadiusServerRealm = z.infer<typeof realmSchema>;
export type RadiusServerTunnel = z.infer<typeof tunnelSchema>;

/** First and last address (inclusive) of a pool given as a prefix or a range. */
export function poolBounds(spec: string): [number, number] {
  const [first, last, bits] = bounds(spec);
  // A prefix of /30 or wider leaves out its network and broadcast addresses.
  return bits !== undefined && bits <= 30 ? [first + 1, last - 1] : [first, last];
}

/** A pool's range and its exclusions as inclusive [first, last] pairs. */
export function poolRanges(spec: RadiusServerPool): { range: [number, number]; exclude: [number, number][] } {
  if (typeof spec === 'string') return { range: poolBounds(spec), exclude: [] };
  return { range: poolBounds(spec.range), exclude: spec.exclude.map((x) => (x.includes('/') || x.includes('-') ? exactBounds(x) : [ipv4FromString(x), ipv4FromString(x)])) };
}

/** Bounds of a prefix or range with nothing left out (an exclusion covers the whole prefix). */
function exactBounds(spec: string): [number, number] {
  const [first, last] = bounds(spec);
  return [first, last];
}

/** First and last address of a range `A - B`, or of a prefix `A/len` (with its length). */
function bounds(spec: string): [number, number, number | undefined] {
  const m = /^(.+?)\s*-\s*(.+)$/.exec(spec);
  if (m) return [ipv4FromString(m[1]!), ipv4FromString(m[2]!), undefined];
  const [a, len] = spec.split('/');
  const bits = Number(len ?? 32);
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  const net = (ipv4FromString(a!) & mask) >>> 0;
  return [net, (net | (~mask >>> 0)) >>> 0, bits];
}

export function tunnelTypeNumber(t: RadiusServerTunnel['type']): number {
  return typeof t === 'number' ? t : TunnelType[t];
}

export function tunnelMediumNumber(m: RadiusServerTunnel['medium']): number {
  return typeof m === 'number' ? m : m === 'IPv4' ? TunnelMediumType.IPV4 : TunnelMediumType.IPV6;
}

/** What the schema cannot say: names used twice, references to pools that do not exist, empty ranges. */
export function semanticProblems(c: RadiusServerConfig): string[] {
  const out: string[] = [];
  const users = new Map<string, number>();
  c.users.forEach((u, i) => {
    const prev = users.get(u.name);
    if (prev !== undefined) out.push(`users[${i}].name: "${u.name}" is already users[${prev}]`);
    users.set(u.name, i);
    if (u.framedIp !== undefined && u.pool !== undefined) out.push(`users[${i}]: framedIp and pool are exclusive`);
    if (u.pool !== undefined && !(u.pool in c.pools)) out.push(`users[${i}].pool: no pool "${u.pool}" (pools: ${Object.keys(c.pools).join(', ') || 'none'})`);
  });
  const domains = new Map<string, number>();
  c.realms.forEach((r, i) => {
    const key = r.domain.toLowerCase();
    const prev = domains.get(key);
    if (prev !== undefined) out.push(`realms[${i}].domain: "${r.domain}" is already realms[${prev}]`);
    domains.set(key, i);
    if (r.pool !== undefined && !(r.pool in c.pools)) out.push(`realms[${i}].pool: no pool "${r.pool}"`);
    const tags = r.tunnels.length;
    if (tags === 0 && r.pool === undefined && r.password === undefined) out.push(`realms[${i}]: a realm needs tunnels, a pool or a password to mean something`);
  });
  for (const [name, spec] of Object.entries(c.pools)) {
    const { range: [lo, hi], exclude } = poolRanges(spec);
    const text = typeof spec === 'string' ? spec : spec.range;
    if (hi < lo) out.push(`pools.${name}${typeof spec === 'string' ? '' : '.range'}: the range "${text}" is empty`);
    exclude.forEach(([a, b], i) => {
      if (b < a) out.push(`pools.${name}.exclude[${i}]: the range is empty`);
    });
  }
  return out;
}
