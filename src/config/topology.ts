/**
 * The topology file: one YAML document describing the boxes, the links and their
 * impairments, the ISPs (domain, LNS, RADIUS, pools, DNS, LCP policy) and the users.
 * Validated with a schema; an error names the path of the bad field, and nothing starts.
 */
import { parseYamlConfig, readConfigText } from './yaml-config.js';
import { z } from 'zod';
import { ipv4FromString, ipv4ToString } from '../wire/bytes.js';
import { parseCidr, prefixMask } from '../wire/ipv4.js';
import { parseIpv6Address } from '../wire/ipv6.js';
import { parseIpv6Prefix, prefixContains, prefixesOverlap, ipv6PrefixToString, type Ipv6Prefix } from '../proto/prefix-pool6.js';

const ipv4 = z.string().regex(/^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/, 'an IPv4 address like 192.0.2.1');
const cidr = z.string().regex(/^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}\/([0-9]|[12]\d|3[0-2])$/, 'an IPv4 prefix like 198.51.100.0/24');
const ipv6 = z.string().refine((s) => parseIpv6Address(s) !== undefined, 'an IPv6 address like 2001:db8::1');
/** An IPv6 prefix with no bits set past its length, like 2001:db8:100::/40. */
const cidr6 = z.string().refine((s) => {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(s);
  const a = m && parseIpv6Address(m[1]!);
  const len = m ? Number(m[2]) : -1;
  if (!a || !(len >= 0 && len <= 128)) return false;
  for (let bit = len; bit < 128; bit++) if (a[bit >> 3]! & (0x80 >> (bit & 7))) return false;
  return true;
}, 'an IPv6 prefix like 2001:db8:100::/40, no bits set past its length');
const domain = z.string().regex(/^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)+$/, 'a domain name like isp-a.example');
const name = z.string().regex(/^[a-z][a-z0-9-]{0,30}$/, 'a box name: lower case letters, digits and -, starting with a letter');

/**
 * Real interfaces of a box run alone (`pseudonet up FILE --box NAME`): port → Linux
 * interface name. Ports: sse access/carrier; lns carrier/radius/core; router core/server;
 * home access; server server. The simulation ignores it.
 */
export const interfacesSchema = z.record(z.string().regex(/^[a-z][a-z0-9-]*$/, 'a port name like access, access-2 or carrier'), z.string().regex(/^[^\s/]{1,15}$/, 'a Linux interface name (1..15 characters)')).optional();

export const impairmentsSchema = z.strictObject({
  loss: z.number().min(0).max(1).optional(),
  delay: z.number().min(0).optional(),
  jitter: z.number().min(0).optional(),
  duplicate: z.number().min(0).max(1).optional(),
  corrupt: z.number().min(0).max(1).optional(),
  mtu: z.number().int().min(68).max(65535).optional(),
});

export const radiusRefSchema = z.union([
  z.literal('embedded'),
  z.strictObject({
    /** A real RADIUS server (e.g. FreeRADIUS) on the loopback or a lab address. */
    address: ipv4,
    authPort: z.number().int().min(1).max(65535).default(1812),
    acctPort: z.number().int().min(1).max(65535).default(1813),
    secret: z.string().min(1),
    /** Debian's FreeRADIUS 3.2.1 does not send Message-Authenticator in responses. */
    requireMessageAuthenticator: z.boolean().default(true),
  }),
]);

export const userSchema = z.strictObject({
  name: z.string().regex(/^[^@\s]+@[^@\s]+$/, 'a user name like alice@isp-a.example'),
  password: z.string().min(1),
  /** A fixed address (RADIUS Framed-IP-Address); otherwise one from the ISP's pool. */
  ip: ipv4.optional(),
  /** Seconds: the embedded RADIUS answers Session-Timeout (27); the LNS ends the session then (RFC 2865 §5.27). */
  sessionTimeout: z.number().int().min(1).max(0xffffffff).optional(),
  /** Seconds without data either way before the LNS ends the session: Idle-Timeout (28, RFC 2865 §5.28). */
  idleTimeout: z.number().int().min(1).max(0xffffffff).optional(),
  /** Seconds between the LNS's Accounting Interim-Updates: Acct-Interim-Interval (85, RFC 2869 §5.16). */
  interimInterval: z.number().int().min(1).max(0xffffffff).optional(),
  /** A fixed /64 for the user's WAN link (RADIUS Framed-IPv6-Prefix, RFC 3162 §2.3); otherwise one from `ipv6.wanPrefixPool`. */
  ipv6Prefix: cidr6.optional(),
  /** A fixed delegated prefix (RADIUS Delegated-IPv6-Prefix, RFC 4818); otherwise one from `ipv6.pdPool`. */
  delegatedPrefix: cidr6.optional(),
});

/**
 * IPv6 for an ISP's subscribers (absent: IPv4 only). Each session gets a /64 for its WAN
 * link, advertised in RAs (SLAAC), and a prefix of `pdLength` delegated by DHCPv6 (RFC 8415
 * IA_PD), both leased like IPv4 pool addresses: never to two live sessions.
 */
export const ispIpv6Schema = z.strictObject({
  wanPrefixPool: cidr6,
  pdPool: cidr6,
  pdLength: z.number().int().min(48).max(64).default(56),
  dns: z.array(ipv6).min(1).max(2),
});

export const ispSchema = z.strictObject({
  name,
  domain,
  /** accept-proxy: take the LAC's proxy LCP and authentication when acceptable; renegotiate: always run LCP and CHAP again. */
  lcpPolicy: z.enum(['accept-proxy', 'renegotiate']).default('accept-proxy'),
  lns: z.strictObject({
    name,
    address: ipv4,
    hostName: z.string().min(1),
    tunnelSecret: z.string().min(1),
    /** Refuse tunnels from the carrier (for testing the LAC's failure path). */
    refuseTunnels: z.boolean().default(false),
    /** Tunnel-Preference the carrier RADIUS gives this LNS (lower is preferred, RFC 2868 §3.8). */
    preference: z.number().int().min(0).default(10),
    /**
     * LCP Echo-Request interval toward each subscriber, seconds (pppd's lcp-echo-interval);
     * absent or 0 = off. A subscriber that leaves `lcpEchoFailure` requests unanswered
     * (default 3) is ended: LCP Terminate, CDN, Accounting-Stop with Lost-Carrier.
     */
    lcpEchoInterval: z.number().min(0).optional(),
    lcpEchoFailure: z.number().int().min(1).max(100).optional(),
    interfaces: interfacesSchema,
  }),
  /** Further LNS endpoints the carrier RADIUS lists for this domain (no box is built for them): failover. */
  alternateLns: z.array(z.strictObject({ address: ipv4, preference: z.number().int().min(0) })).default([]),
  radius: radiusRefSchema.default('embedded'),
  pool: cidr,
  gateway: ipv4,
  dns: z.array(ipv4).min(1).max(2),
  users: z.array(userSchema).default([]),
  ipv6: ispIpv6Schema.optional(),
});

/**
 * How a home dials again after an end it did not ask for (pppd's `persist`, `holdoff`,
 * `maxfail`): the first wait is `holdoff` seconds, doubled after every consecutive failed
 * setup up to `maxHoldoff`, with ±50 % jitter; `maxfail` consecutive failed setups stop
 * it (0 = never). pppd's own holdoff default is 30 s; home routers redial within seconds,
 * so the default here is 5 s. `false` = a home that stays down (pppd without `persist`).
 */
export const REDIAL_DEFAULTS = Object.freeze({ holdoff: 5, maxHoldoff: 120, maxfail: 0 } as const);
export const redialSchema = z
  .union([
    z.literal(false),
    z.strictObject({
      holdoff: z.number().min(0).max(3600).default(REDIAL_DEFAULTS.holdoff),
      maxHoldoff: z.number().min(0).max(86_400).default(REDIAL_DEFAULTS.maxHoldoff),
      maxfail: z.number().int().min(0).default(REDIAL_DEFAULTS.maxfail),
    }),
  ])
  .default({ ...REDIAL_DEFAULTS });
export type Redial = z.infer<typeof redialSchema>;

export const homeSchema = z.strictObject({
  name,
  user: z.string().regex(/^[^@\s]+@[^@\s]+$/, 'a user name like alice@isp-a.example'),
  password: z.string().min(1),
  auth: z.enum(['chap', 'pap']).default('chap'),
  redial: redialSchema,
  /** Which of the sse's access ports the home is on (default the first). */
  access: z.string().optional(),
  /** Run IPV6CP, SLAAC and DHCPv6-PD as well (dual stack); only where the user's ISP has `ipv6`. Default true. */
  ipv6: z.boolean().default(true),
  interfaces: interfacesSchema,
});

export const topologySchema = z.strictObject({
  name: z.string().default('pseudonet'),
  seed: z.number().int().default(1),
  sse: z.strictObject({
    name: name.default('sse'),
    acName: z.string().min(1).default('flets-sse'),
    address: ipv4,
    hostName: z.string().min(1).default('sse.carrier.example'),
    mru: z.number().int().min(576).max(1500).default(1454),
    /** static: the isps table below; radius: ask the carrier RADIUS for Tunnel-* attributes. */
    lnsLookup: z.enum(['static', 'radius']).default('static'),
    carrierRadius: radiusRefSchema.default('embedded'),
    /** The carrier RADIUS's address on the carrier link (with lnsLookup: radius). */
    carrierRadiusAddress: ipv4.default('192.0.2.253'),
    /** Hide the AVPs RFC 2661 lets us hide (proxy authentication, numbers) with the tunnel secret (§4.3). Wireshark cannot show hidden AVPs. */
    hideAvps: z.boolean().default(false),
    /** Proxy LCP (26–28) and proxy authentication (29–33) AVPs in the ICCN; false acts like a LAC that sends none (xl2tpd). */
    proxyAvps: z.boolean().default(true),
    /**
     * L2TP Receive Window Size both ends advertise (RFC 2661 §5.8). xl2tpd and Linux use 4–16;
     * a carrier LAC with thousands of calls per tunnel needs a wider one.
     */
    l2tpWindow: z.number().int().min(1).max(65535).default(256),
    /**
     * Transmissions of a control message before the sse gives a tunnel up (RFC 2661 §5.8
     * recommends 5, about 30 s with backoff). Fewer fail over to the next LNS sooner.
     */
    l2tpMaxRetries: z.number().int().min(1).max(20).default(5),
    /**
     * Sessions one L2TP tunnel carries at most (Session IDs are 16 bits, RFC 2661 §3.1). More
     * calls to the same LNS go in another tunnel to it, as a carrier LAC does; the default leaves
     * room under 65,535 for calls still ending.
     */
    l2tpMaxSessionsPerTunnel: z.number().int().min(1).max(65535).default(60_000),
    /**
     * Seconds a call waits for a tunnel that has not come up before the sse tries the next
     * LNS by Tunnel-Preference (only when there is one). Separate from l2tpMaxRetries, which
     * is the budget of an established tunnel; well inside a home's 30 s of patience.
     */
    lnsConnectTimeout: z.number().min(0.5).max(60).default(4),
    /** Authentication the sse asks homes for, in order; a home's Nak towards a later one is taken. */
    auth: z.array(z.enum(['chap-md5', 'pap'])).min(1).default(['chap-md5', 'pap']),
    /**
     * The access ports (links, or S-VLANs on a real box), each its own PPPoE AC with its own
     * session-id space: 65,534 sessions each (RFC 2516). Default one, `access`.
     */
    accessPorts: z.array(z.string().regex(/^access(-[0-9]{1,5})?$/, 'an access port name: access or access-N')).min(1).max(1024).default(['access']),
    interfaces: interfacesSchema,
  }),
  isps: z.array(ispSchema).min(1),
  homes: z.array(homeSchema).default([]),
  server: z.strictObject({
    name: name.default('server'),
    address: ipv4,
    gateway: ipv4,
    prefix: z.number().int().min(8).max(30).default(24),
    /** The server's IPv6 address on its /64 (the router is `router.serverSide6`); absent: IPv4 only. */
    address6: ipv6.optional(),
    interfaces: interfacesSchema,
  }),
  router: z.strictObject({
    name: name.default('router'),
    ispSide: ipv4,
    serverSide: ipv4,
    /** The router's IPv6 address on the core /64 toward the LNSs (their addresses are derived on the same /64). */
    ispSide6: ipv6.optional(),
    /** The router's IPv6 address on the server's /64. */
    serverSide6: ipv6.optional(),
    interfaces: interfacesSchema,
  }),
  /** Impairments per link name: access, carrier, core, server, radius-<isp>. */
  links: z.record(z.string(), impairmentsSchema).default({}),
});

export type Topology = z.infer<typeof topologySchema>;
export type Isp = z.infer<typeof ispSchema>;
export type Home = z.infer<typeof homeSchema>;

export class TopologyError extends Error {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`${file}: invalid topology\n${problems.map((p) => `  ${p}`).join('\n')}`);
  }
}

/** [first, last] of a prefix like 198.51.100.0/24. */
function prefixRange(cidr: string): [number, number] {
  const [a, len] = parseCidr(cidr);
  const m = prefixMask(len);
  const net = (a & m) >>> 0;
  return [net, (net | (~m >>> 0)) >>> 0];
}

const inRange = (a: number, [lo, hi]: readonly [number, number]): boolean => a >= lo && a <= hi;

/**
 * Cross-field checks a schema cannot express: what would make the network not work (two
 * sessions one address, a route that cannot exist, a box unreachable). Each names the path
 * of the field to change; the later of two clashing fields is the one named.
 */
function semanticProblems(t: Topology): string[] {
  const out: string[] = [];
  const domains = new Map<string, number>();
  const pools = t.isps.map((x) => prefixRange(x.pool));
  const userNames = new Map<string, string>();
  const fixed = new Map<number, string>();
  const lnsAddresses = new Map<string, string>();
  const gateways = new Map<number, string>();
  const dnsOf = new Map<number, string>();
  t.isps.forEach((isp, i) => {
    gateways.set(ipv4FromString(isp.gateway), `isps[${i}].gateway`);
    isp.dns.forEach((d, k) => dnsOf.set(ipv4FromString(d), `isps[${i}].dns[${k}]`));
  });
  const boxAddresses: [string, string][] = [
    ['sse.address', t.sse.address],
    ['server.address', t.server.address],
    ['router.ispSide', t.router.ispSide],
    ['router.serverSide', t.router.serverSide],
    ...(t.sse.lnsLookup === 'radius' ? [['sse.carrierRadiusAddress', t.sse.carrierRadiusAddress] as [string, string]] : []),
    ...t.isps.map((x, i): [string, string] => [`isps[${i}].lns.address`, x.lns.address]),
  ];
  // The links the derivation builds: carrier and core /24 around the sse and the router, the
  // server's subnet, one RADIUS /24 per ISP (172.16.i.0/24). A subscriber address on one of
  // them would be routed to the link instead of to its LNS.
  const links: [string, [number, number]][] = [
    ['the carrier link (sse.address/24)', prefixRange(`${t.sse.address}/24`)],
    ['the core link (router.ispSide/24)', prefixRange(`${t.router.ispSide}/24`)],
    [`the server's subnet (server.address/${t.server.prefix})`, prefixRange(`${t.server.address}/${t.server.prefix}`)],
    ...t.isps.map((x, i): [string, [number, number]] => [`the RADIUS link of ${x.name} (172.16.${i}.0/24)`, prefixRange(`172.16.${i}.0/24`)]),
  ];
  t.isps.forEach((isp, i) => {
    const at = `isps[${i}]`;
    for (const [what, r] of links) if (pools[i]![0] <= r[1] && r[0] <= pools[i]![1]) out.push(`${at}.pool: ${isp.pool} overlaps ${what}`);
    const prev = domains.get(isp.domain);
    if (prev !== undefined) out.push(`${at}.domain: "${isp.domain}" is already the domain of isps[${prev}]`);
    domains.set(isp.domain, i);
    const [, len] = parseCidr(isp.pool);
    if (len > 30) out.push(`${at}.pool: a /${len} leaves no address for subscribers (at most /30)`);
    pools.forEach((q, j) => {
      if (j < i && pools[i]![0] <= q[1] && q[0] <= pools[i]![1]) out.push(`${at}.pool: ${isp.pool} overlaps isps[${j}].pool ${t.isps[j]!.pool} (a subscriber address would be routed to two LNS)`);
    });
    const gw = ipv4FromString(isp.gateway);
    pools.forEach((q, j) => {
      if (j !== i && inRange(gw, q)) out.push(`${at}.gateway: ${isp.gateway} is inside isps[${j}].pool ${t.isps[j]!.pool}`);
    });
    for (const [p, a] of boxAddresses) if (inRange(ipv4FromString(a), pools[i]!)) out.push(`${at}.pool: ${isp.pool} holds ${p} ${a} (the box would be unreachable behind the LNS)`);
    const lnsPrev = lnsAddresses.get(isp.lns.address);
    if (lnsPrev !== undefined) out.push(`${at}.lns.address: ${isp.lns.address} is already ${lnsPrev}`);
    lnsAddresses.set(isp.lns.address, `${at}.lns.address`);
    for (const [p, a] of boxAddresses.slice(0, t.sse.lnsLookup === 'radius' ? 5 : 4)) if (a === isp.lns.address) out.push(`${at}.lns.address: ${a} is already ${p}`);
    isp.users.forEach((u, j) => {
      const up = `${at}.users[${j}]`;
      if (!u.name.endsWith(`@${isp.domain}`)) out.push(`${up}.name: "${u.name}" is not in the domain ${isp.domain}`);
      const seen = userNames.get(u.name.toLowerCase());
      if (seen !== undefined) out.push(`${up}.name: "${u.name}" is already ${seen}`);
      else userNames.set(u.name.toLowerCase(), `${up}.name`);
      if (u.ip === undefined) return;
      const a = ipv4FromString(u.ip);
      const f = fixed.get(a);
      if (f !== undefined) out.push(`${up}.ip: ${u.ip} is already the fixed address of ${f}`);
      else fixed.set(a, `${up}`);
      const g = gateways.get(a);
      if (g !== undefined) out.push(`${up}.ip: ${u.ip} is the gateway ${g}`);
      const d = dnsOf.get(a);
      if (d !== undefined) out.push(`${up}.ip: ${u.ip} is the DNS address ${d}`);
      pools.forEach((q, k) => {
        if (k !== i && inRange(a, q)) out.push(`${up}.ip: ${u.ip} is inside isps[${k}].pool ${t.isps[k]!.pool}`);
      });
      const own = pools[i]!;
      if (len <= 30 && (a === own[0] || a === own[1])) out.push(`${up}.ip: ${u.ip} is the ${a === own[0] ? 'network' : 'broadcast'} address of ${isp.pool}`);
      for (const [p, b] of boxAddresses) if (b === u.ip) out.push(`${up}.ip: ${u.ip} is already ${p}`);
      for (const [what, r] of links) if (inRange(a, r)) out.push(`${up}.ip: ${u.ip} is on ${what}`);
    });
  });
  out.push(...ipv6Problems(t));
  // The server's subnet: its gateway must be on it, and be the router.
  const [snet, slast] = prefixRange(`${t.server.address}/${t.server.prefix}`);
  const onServerNet = (a: string) => inRange(ipv4FromString(a), [snet, slast]);
  if (!onServerNet(t.server.gateway)) out.push(`server.gateway: ${t.server.gateway} is not on the server's subnet ${ipv4ToString(snet)}/${t.server.prefix}`);
  else if (t.server.gateway !== t.router.serverSide) out.push(`server.gateway: ${t.server.gateway} is not the router (router.serverSide ${t.router.serverSide})`);
  if (!onServerNet(t.router.serverSide)) out.push(`router.serverSide: ${t.router.serverSide} is not on the server's subnet ${ipv4ToString(snet)}/${t.server.prefix}`);
  if (t.server.address === t.server.gateway) out.push(`server.address: ${t.server.address} is also server.gateway`);
  const names = new Set<string>();
  const boxNames: [string, string][] = [
    ['sse.name', t.sse.name],
    ['server.name', t.server.name],
    ['router.name', t.router.name],
    ...t.isps.map((x, i): [string, string] => [`isps[${i}].lns.name`, x.lns.name]),
    ...t.homes.map((x, i): [string, string] => [`homes[${i}].name`, x.name]),
  ];
  for (const [p, n] of boxNames) {
    if (names.has(n)) out.push(`${p}: the box name "${n}" is used twice`);
    names.add(n);
  }
  const ports = new Set<string>();
  t.sse.accessPorts.forEach((p, i) => {
    if (ports.has(p)) out.push(`sse.accessPorts[${i}]: "${p}" is listed twice`);
    ports.add(p);
  });
  t.homes.forEach((h, i) => {
    if (h.access !== undefined && !ports.has(h.access)) out.push(`homes[${i}].access: the sse has no access port "${h.access}" (sse.accessPorts: ${[...ports].join(', ')})`);
  });
  const validLinks = new Set([...t.sse.accessPorts, 'carrier', 'core', 'server', ...t.isps.map((x) => `radius-${x.name}`)]);
  for (const k of Object.keys(t.links)) if (!validLinks.has(k)) out.push(`links.${k}: no such link (links are ${[...validLinks].join(', ')})`);
  return out;
}

/**
 * The IPv6 fields (issue 17): each ISP's two pools apart from each other and from every other
 * ISP's, lengths the LNS can cut (/64s from wanPrefixPool, pdLength prefixes from pdPool, at
 * most 2^32 of either), users' fixed prefixes of the right length, on an ISP with ipv6, one
 * user each and not inside another ISP's pools (that ISP's LNS would hand them out too).
 */
function ipv6Problems(t: Topology): string[] {
  const out: string[] = [];
  const pools: [string, Ipv6Prefix][] = [];
  t.isps.forEach((isp, i) => {
    const v6 = isp.ipv6;
    if (!v6) return;
    const at = `isps[${i}].ipv6`;
    const wan = parseIpv6Prefix(v6.wanPrefixPool)!;
    const pd = parseIpv6Prefix(v6.pdPool)!;
    if (wan.length > 64) out.push(`${at}.wanPrefixPool: a /${wan.length} holds no /64 (the subscriber links' prefixes; at most /64)`);
    else if (64 - wan.length > 32) out.push(`${at}.wanPrefixPool: a /${wan.length} is 2^${64 - wan.length} /64s, more than the 2^32 a pool may hold (at least /32)`);
    if (v6.pdLength < pd.length) out.push(`${at}.pdLength: /${v6.pdLength} is shorter than pdPool ${v6.pdPool} (a delegated prefix must lie inside the pool)`);
    else if (v6.pdLength - pd.length > 32) out.push(`${at}.pdPool: ${v6.pdPool} is 2^${v6.pdLength - pd.length} /${v6.pdLength}s, more than the 2^32 a pool may hold`);
    if (prefixesOverlap(wan, pd)) out.push(`${at}.pdPool: ${v6.pdPool} overlaps ${at}.wanPrefixPool ${v6.wanPrefixPool} (one prefix would go to two sessions)`);
    for (const [where, q] of pools) {
      if (prefixesOverlap(q, wan)) out.push(`${at}.wanPrefixPool: ${v6.wanPrefixPool} overlaps ${where} ${ipv6PrefixToString(q)}`);
      if (prefixesOverlap(q, pd)) out.push(`${at}.pdPool: ${v6.pdPool} overlaps ${where} ${ipv6PrefixToString(q)}`);
    }
    pools.push([`${at}.wanPrefixPool`, wan], [`${at}.pdPool`, pd]);
  });
  const fixed: [string, Ipv6Prefix][] = [];
  t.isps.forEach((isp, i) => {
    isp.users.forEach((u, j) => {
      const up = `isps[${i}].users[${j}]`;
      const fields: ['ipv6Prefix' | 'delegatedPrefix', string | undefined][] = [['ipv6Prefix', u.ipv6Prefix], ['delegatedPrefix', u.delegatedPrefix]];
      for (const [field, text] of fields) {
        if (text === undefined) continue;
        const v6 = isp.ipv6;
        if (!v6) {
          out.push(`${up}.${field}: ${isp.name} has no ipv6 (isps[${i}].ipv6), so nothing would use ${text}`);
          continue;
        }
        const p = parseIpv6Prefix(text)!;
        if (field === 'ipv6Prefix' && p.length !== 64) out.push(`${up}.ipv6Prefix: ${text} is not a /64 (the WAN link's prefix, for SLAAC)`);
        if (field === 'delegatedPrefix' && p.length !== v6.pdLength) out.push(`${up}.delegatedPrefix: ${text} is not a /${v6.pdLength} (isps[${i}].ipv6.pdLength)`);
        for (const [where, q] of fixed) if (prefixesOverlap(q, p)) out.push(`${up}.${field}: ${text} overlaps ${where} ${ipv6PrefixToString(q)} (two users one prefix)`);
        for (const [where, q] of pools) if (!where.startsWith(`isps[${i}].`) && prefixesOverlap(q, p)) out.push(`${up}.${field}: ${text} is inside ${where} ${ipv6PrefixToString(q)}`);
        fixed.push([`${up}.${field}`, p]);
      }
    });
  });
  out.push(...ipv6LinkProblems(t, pools));
  return out;
}

/** The /64 holding `address` (text), for the links the derivation builds. */
function slash64(address: string): Ipv6Prefix {
  const a = parseIpv6Address(address)!;
  const prefix = new Uint8Array(16);
  prefix.set(a.subarray(0, 8));
  return { prefix, length: 64 };
}

/**
 * The core and server links (the /64s of router.ispSide6 and server.address6) and the ISPs'
 * IPv6 DNS addresses outside every subscriber pool: each LNS routes its pools as unreachable
 * and leases them to homes, so a link inside one is cut off or handed to a subscriber. The
 * server's /64 needs the router on it.
 */
function ipv6LinkProblems(t: Topology, pools: [string, Ipv6Prefix][]): string[] {
  const out: string[] = [];
  const links: [string, string | undefined][] = [['router.ispSide6', t.router.ispSide6], ['router.serverSide6', t.router.serverSide6], ['server.address6', t.server.address6]];
  for (const [field, text] of links) {
    if (text === undefined) continue;
    const link = slash64(text);
    for (const [where, q] of pools) if (prefixesOverlap(q, link)) out.push(`${field}: its /64 ${ipv6PrefixToString(link)} is inside ${where} ${ipv6PrefixToString(q)} (the LNS routes its pools to subscribers or discards them)`);
  }
  t.isps.forEach((isp, i) => {
    isp.ipv6?.dns.forEach((d, k) => {
      const a = { prefix: parseIpv6Address(d)!, length: 128 };
      for (const [where, q] of pools) if (prefixesOverlap(q, a)) out.push(`isps[${i}].ipv6.dns[${k}]: ${d} is inside ${where} ${ipv6PrefixToString(q)}`);
    });
  });
  if (t.server.address6 !== undefined) {
    const net = slash64(t.server.address6);
    const gw = t.router.serverSide6;
    if (gw === undefined) out.push('router.serverSide6: needed with server.address6 (the server\'s IPv6 gateway)');
    else if (!prefixContains(net, { prefix: parseIpv6Address(gw)!, length: 128 })) out.push(`router.serverSide6: ${gw} is not on the server's /64 ${ipv6PrefixToString(net)}`);
    else if (t.server.address6 === gw) out.push(`server.address6: ${t.server.address6} is also router.serverSide6`);
  }
  return out;
}

/** Parses and validates topology YAML text. Throws TopologyError listing every problem with its path. */
export function parseTopology(text: string, file = '<topology>'): Topology {
  const r = parseYamlConfig(text, topologySchema);
  if (!r.ok) throw new TopologyError(file, r.problems);
  const sem = semanticProblems(r.value);
  if (sem.length) throw new TopologyError(file, sem);
  return r.value;
}

export function loadTopology(file: string): Topology {
  const r = readConfigText(file);
  if (!r.ok) throw new TopologyError(file, [r.problem]);
  return parseTopology(r.text, file);
}
