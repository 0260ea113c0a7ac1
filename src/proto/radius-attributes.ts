/**
 * What a NAS reads from an Access-Accept and what a server writes into one: the address,
 * timers, DNS (RFC 2548 Microsoft VSAs) and RFC 2868 tunnels grouped by tag with the
 * Tunnel-Password decrypted. Pure functions over packet values; the secret is passed in.
 */
import { bytesText, keptBytes, parseIpv4, setU32, textBytes, u32 } from '../wire/bytes.js';
import {
  A, MsAttr, TunnelMediumType, TunnelType, VENDOR_MICROSOFT, getAttr, getAttrs, getInt, getVendorAttrs, intAttr, ipv4Attr, isVendorSpecific,
  splitTag, taggedIntAttr, taggedTextAttr, textAttr, vendorAttr, type RadiusAttribute, type RadiusPacket, parseIpv6PrefixValue, ipv6PrefixValue,
} from '../wire/radius.js';
import { decryptTunnelPassword, tunnelPasswordAttr, type Secret } from '../wire/radius-crypto.js';

/** One tunnel of RFC 2868: the attributes that share a tag. */
export interface TunnelSpec {
  /** 0 = untagged; 1..31 groups the attributes of one tunnel (RFC 2868 §3). */
  readonly tag: number;
  readonly type?: number;
  readonly mediumType?: number;
  readonly clientEndpoint?: string;
  readonly serverEndpoint?: string;
  /** Clear text after decryption; absent when the attribute was absent or would not decrypt. */
  readonly password?: Uint8Array;
  readonly privateGroupId?: string;
  readonly assignmentId?: string;
  /** RFC 2868 §3.8: lower is preferred. */
  readonly preference?: number;
  readonly clientAuthId?: string;
  readonly serverAuthId?: string;
  /** Why the attributes of this tag cannot describe a tunnel (set only when reading a reply). */
  readonly problem?: TunnelProblem;
}

/**
 * What can be wrong with the attributes of one tag, read from a peer's reply:
 * - `bad-tag`: an attribute whose tag is mandatory (the integers, Tunnel-Password) carried
 *   a tag above 0x1F (RFC 2868 §3.1: "Valid values for this field are 0x01 through 0x1F");
 *   such attributes are grouped by their raw tag, apart from every valid tunnel.
 * - `duplicate-attribute`: a single-valued Tunnel-* attribute twice under one tag: which
 *   one is meant is unknowable.
 * - `undecryptable-password`: the Tunnel-Password would not decrypt (wrong secret, corrupt):
 *   using the tunnel without it would drop tunnel authentication.
 */
export type TunnelProblem = 'bad-tag' | 'duplicate-attribute' | 'undecryptable-password';

type MutableTunnel = { -readonly [K in keyof TunnelSpec]: TunnelSpec[K] };

const TUNNEL_TEXT: Partial<Record<number, keyof MutableTunnel>> = {
  [A.TUNNEL_CLIENT_ENDPOINT]: 'clientEndpoint',
  [A.TUNNEL_SERVER_ENDPOINT]: 'serverEndpoint',
  [A.TUNNEL_PRIVATE_GROUP_ID]: 'privateGroupId',
  [A.TUNNEL_ASSIGNMENT_ID]: 'assignmentId',
  [A.TUNNEL_CLIENT_AUTH_ID]: 'clientAuthId',
  [A.TUNNEL_SERVER_AUTH_ID]: 'serverAuthId',
};

/** The tunnel group of `tag`, marked when a type comes twice in it or the tag is out of range. */
function tunnelOfTag(byTag: Map<number, MutableTunnel>, seen: Map<number, Set<number>>, tag: number, type: number): MutableTunnel {
  let t = byTag.get(tag);
  if (!t) byTag.set(tag, (t = tag > 0x1f ? { tag, problem: 'bad-tag' } : { tag }));
  let types = seen.get(tag);
  if (!types) seen.set(tag, (types = new Set()));
  if (types.has(type)) t.problem ??= 'duplicate-attribute';
  types.add(type);
  return t;
}

/**
 * The tunnels of a reply, sorted by Tunnel-Preference then tag. `undecryptable` counts
 * Tunnel-Passwords that would not decrypt (wrong secret or corrupt).
 */
export function readTunnels(p: RadiusPacket, secret: Secret, requestAuthenticator: Uint8Array): { tunnels: TunnelSpec[]; undecryptable: number } {
  // Keyed by the raw tag octet (0..255): at most 256 groups, whatever the packet holds.
  const byTag = new Map<number, MutableTunnel>();
  const seen = new Map<number, Set<number>>();
  let undecryptable = 0;
  for (const a of p.attributes) {
    if (isVendorSpecific(a)) continue;
    if (a.type === A.TUNNEL_TYPE || a.type === A.TUNNEL_MEDIUM_TYPE || a.type === A.TUNNEL_PREFERENCE) {
      if (a.data.length !== 4) continue;
      const t = tunnelOfTag(byTag, seen, a.data[0]!, a.type);
      const v = u32(a.data, 0) & 0xffffff;
      if (a.type === A.TUNNEL_TYPE) t.type = v;
      else if (a.type === A.TUNNEL_MEDIUM_TYPE) t.mediumType = v;
      else t.preference = v;
    } else if (a.type === A.TUNNEL_PASSWORD) {
      const { tag, value } = splitTag(a.type, a.data);
      const t = tunnelOfTag(byTag, seen, tag, a.type);
      const clear = decryptTunnelPassword(value, secret, requestAuthenticator);
      if (clear.ok) t.password = new Uint8Array(clear.value);
      else {
        undecryptable++;
        t.problem ??= 'undecryptable-password';
      }
    } else {
      const field = TUNNEL_TEXT[a.type];
      if (!field) continue;
      // A text attribute's first octet above 0x1F is text, not a tag (RFC 2868 §3.3): splitTag gives 0..0x1F.
      const { tag, value } = splitTag(a.type, a.data);
      (tunnelOfTag(byTag, seen, tag, a.type) as Record<string, unknown>)[field] = bytesText(value);
    }
  }
  const tunnels = [...byTag.values()].sort((x, y) => (x.preference ?? 0) - (y.preference ?? 0) || x.tag - y.tag);
  return { tunnels, undecryptable };
}

/** Why a tunnel of a reply is not an L2TP-over-IPv4 endpoint a LAC can use. */
export type TunnelRefusal =
  | TunnelProblem
  | 'no-tunnel-type'
  | 'not-l2tp'
  | 'medium-not-ipv4'
  | 'no-endpoint'
  | 'endpoint-not-ipv4'
  | 'endpoint-not-unicast';

/** An LNS a reply names, checked. */
export interface L2tpCandidate {
  readonly tag: number;
  readonly address: number;
  readonly secret?: Uint8Array;
  /** Tunnel-Assignment-Id (RFC 2868 §3.7), else the endpoint text: for logs and events. */
  readonly name: string;
}

/**
 * The usable L2TP/IPv4 tunnels of a reply, best preference first, at most `max` of them;
 * every other tunnel is counted by the reason it was refused (`overCap` counts usable ones
 * beyond `max`). Never throws on any reply.
 */
export function l2tpCandidates(tunnels: readonly TunnelSpec[], max: number): { candidates: L2tpCandidate[]; refused: Partial<Record<TunnelRefusal, number>>; overCap: number } {
  const candidates: L2tpCandidate[] = [];
  const refused: Partial<Record<TunnelRefusal, number>> = {};
  let overCap = 0;
  for (const t of tunnels) {
    const why = tunnelRefusal(t);
    if (why !== undefined) {
      refused[why] = (refused[why] ?? 0) + 1;
      continue;
    }
    if (candidates.length >= max) {
      overCap++;
      continue;
    }
    const address = parseIpv4(t.serverEndpoint!)!;
    candidates.push({ tag: t.tag, address, name: t.assignmentId ?? t.serverEndpoint!, ...(t.password ? { secret: t.password } : {}) });
  }
  return { candidates, refused, overCap };
}

function tunnelRefusal(t: TunnelSpec): TunnelRefusal | undefined {
  if (t.problem) return t.problem;
  // RFC 2868 §3.1: Tunnel-Type says what the tunnel is; a tag without one describes none.
  if (t.type === undefined) return 'no-tunnel-type';
  if (t.type !== TunnelType.L2TP) return 'not-l2tp';
  // RFC 2868 §3.2: the medium of Tunnel-Server-Endpoint; absent, the dotted quad below decides.
  if ((t.mediumType ?? TunnelMediumType.IPV4) !== TunnelMediumType.IPV4) return 'medium-not-ipv4';
  if (t.serverEndpoint === undefined || t.serverEndpoint === '') return 'no-endpoint';
  // RFC 2868 §3.3 allows a FQDN too; a LAC without a resolver can use dotted-decimal only.
  const a = parseIpv4(t.serverEndpoint);
  if (a === undefined) return 'endpoint-not-ipv4';
  if (!isUnicastIpv4(a)) return 'endpoint-not-unicast';
  return undefined;
}

/** Not 0/8 ("this network"), 127/8 (loopback), 224/4 (multicast) or 240/4 (reserved, broadcast). */
export function isUnicastIpv4(a: number): boolean {
  const first = a >>> 24;
  return first !== 0 && first !== 127 && first < 224;
}

/** The attributes of `tunnels` (tags 1..n when a tunnel has tag 0 and there are several). */
export function tunnelAttributes(tunnels: readonly TunnelSpec[], secret: Secret, requestAuthenticator: Uint8Array, salt: () => number): RadiusAttribute[] {
  const out: RadiusAttribute[] = [];
  tunnels.forEach((t, i) => {
    const tag = t.tag || (tunnels.length > 1 ? i + 1 : 0);
    out.push(taggedIntAttr(A.TUNNEL_TYPE, tag, t.type ?? TunnelType.L2TP));
    out.push(taggedIntAttr(A.TUNNEL_MEDIUM_TYPE, tag, t.mediumType ?? TunnelMediumType.IPV4));
    if (t.clientEndpoint !== undefined) out.push(taggedTextAttr(A.TUNNEL_CLIENT_ENDPOINT, tag, t.clientEndpoint));
    if (t.serverEndpoint !== undefined) out.push(taggedTextAttr(A.TUNNEL_SERVER_ENDPOINT, tag, t.serverEndpoint));
    if (t.password !== undefined) out.push(tunnelPasswordAttr(tag, t.password, secret, requestAuthenticator, salt()));
    if (t.privateGroupId !== undefined) out.push(taggedTextAttr(A.TUNNEL_PRIVATE_GROUP_ID, tag, t.privateGroupId));
    if (t.assignmentId !== undefined) out.push(taggedTextAttr(A.TUNNEL_ASSIGNMENT_ID, tag, t.assignmentId));
    if (t.preference !== undefined) out.push(taggedIntAttr(A.TUNNEL_PREFERENCE, tag, t.preference));
    if (t.clientAuthId !== undefined) out.push(taggedTextAttr(A.TUNNEL_CLIENT_AUTH_ID, tag, t.clientAuthId));
    if (t.serverAuthId !== undefined) out.push(taggedTextAttr(A.TUNNEL_SERVER_AUTH_ID, tag, t.serverAuthId));
  });
  return out;
}

/** DNS servers as RFC 2548 MS-Primary/Secondary-DNS-Server (what pppd's radius plugin and accel-ppp read). */
export function dnsAttributes(dns: readonly number[]): RadiusAttribute[] {
  const subs = dns.slice(0, 2).map((a, i) => {
    const data = new Uint8Array(4);
    setU32(data, 0, a);
    return { vendorType: i === 0 ? MsAttr.PRIMARY_DNS_SERVER : MsAttr.SECONDARY_DNS_SERVER, data };
  });
  return subs.length ? [vendorAttr(VENDOR_MICROSOFT, subs)] : [];
}

export function readDns(p: RadiusPacket): number[] {
  const out: number[] = [];
  for (const t of [MsAttr.PRIMARY_DNS_SERVER, MsAttr.SECONDARY_DNS_SERVER]) {
    const s = getVendorAttrs(p, VENDOR_MICROSOFT, t)[0];
    if (s && s.data.length === 4) out.push(u32(s.data, 0));
  }
  return out;
}

/** What a NAS takes from an Access-Accept (RFC 2865 §5, RFC 2869 §5.16, RFC 2868). */
export interface AccessReply {
  readonly framedIpAddress?: number;
  readonly framedIpNetmask?: number;
  readonly framedPool?: string;
  readonly framedMtu?: number;
  readonly sessionTimeout?: number;
  readonly idleTimeout?: number;
  readonly acctInterimInterval?: number;
  readonly dns: number[];
  readonly tunnels: TunnelSpec[];
  /** RFC 2865 §5.25: sent back unchanged in accounting. */
  readonly class: Uint8Array[];
  readonly replyMessage?: string;
  readonly state?: Uint8Array;
  /** RFC 3162 §2.3 Framed-IPv6-Prefix: the subscriber link's prefix (SLAAC wants a /64). */
  readonly framedIpv6Prefix?: Ipv6PrefixValue;
  /** RFC 4818 §3 Delegated-IPv6-Prefix: the prefix DHCPv6-PD hands to the home. */
  readonly delegatedIpv6Prefix?: Ipv6PrefixValue;
  /** RFC 6911 §3.2 DNS-Server-IPv6-Address, in order. */
  readonly dns6?: Uint8Array[];
  /** IPv6 prefix attributes present but malformed (ignored, counted by the NAS). */
  readonly badIpv6Prefixes?: number;
}

export interface Ipv6PrefixValue {
  readonly prefix: Uint8Array;
  readonly length: number;
}

/**
 * What an Access-Accept says, in values the NAS may keep for the session's life: Class and
 * State are copied out of the datagram (kept bytes), so that a session does not hold the
 * received packet's buffer, which may be a slab shared with other packets.
 */
export function readAccessReply(p: RadiusPacket, secret: Secret, requestAuthenticator: Uint8Array): AccessReply & { undecryptableTunnelPasswords: number } {
  const { tunnels, undecryptable } = readTunnels(p, secret, requestAuthenticator);
  const reply: Record<string, unknown> = { dns: readDns(p), tunnels, class: getAttrs(p, A.CLASS).map((a) => keptBytes(a.data)), undecryptableTunnelPasswords: undecryptable };
  // Module functions, not closures: one reply per Access-Accept, and the tsx loader names each closure made.
  setDefined(reply, 'framedIpAddress', getInt(p, A.FRAMED_IP_ADDRESS));
  setDefined(reply, 'framedIpNetmask', getInt(p, A.FRAMED_IP_NETMASK));
  setDefined(reply, 'framedMtu', getInt(p, A.FRAMED_MTU));
  setDefined(reply, 'sessionTimeout', getInt(p, A.SESSION_TIMEOUT));
  setDefined(reply, 'idleTimeout', getInt(p, A.IDLE_TIMEOUT));
  setDefined(reply, 'acctInterimInterval', getInt(p, A.ACCT_INTERIM_INTERVAL));
  const pool = getAttr(p, A.FRAMED_POOL);
  setDefined(reply, 'framedPool', pool && bytesText(pool.data));
  const msgs = getAttrs(p, A.REPLY_MESSAGE);
  setDefined(reply, 'replyMessage', msgs.length ? msgs.map((m) => bytesText(m.data)).join('') : undefined);
  const state = getAttr(p, A.STATE);
  setDefined(reply, 'state', state && keptBytes(state.data));
  const framed6 = prefixAttr(p, A.FRAMED_IPV6_PREFIX);
  const delegated6 = prefixAttr(p, A.DELEGATED_IPV6_PREFIX);
  setDefined(reply, 'framedIpv6Prefix', framed6 ?? undefined);
  setDefined(reply, 'delegatedIpv6Prefix', delegated6 ?? undefined);
  const bad = (framed6 === null ? 1 : 0) + (delegated6 === null ? 1 : 0);
  if (bad) reply['badIpv6Prefixes'] = bad;
  const dns6 = getAttrs(p, A.DNS_SERVER_IPV6_ADDRESS).filter((a) => a.data.length === 16).map((a) => new Uint8Array(a.data));
  if (dns6.length) reply['dns6'] = dns6;
  return reply as unknown as AccessReply & { undecryptableTunnelPasswords: number };
}

function setDefined(reply: Record<string, unknown>, k: string, v: unknown): void {
  if (v !== undefined) reply[k] = v;
}

/** An IPv6 prefix attribute's value: undefined when absent, null when it does not parse. */
function prefixAttr(p: RadiusPacket, type: number): ReturnType<typeof parseIpv6PrefixValue> | null | undefined {
  const a = getAttr(p, type);
  if (!a) return undefined;
  return parseIpv6PrefixValue(a.data) ?? null;
}

/** Reply attributes of an Access-Accept for a PPP user. */
export function accessReplyAttributes(r: Omit<AccessReply, 'tunnels' | 'class'> & { class?: Uint8Array[] }): RadiusAttribute[] {
  const out: RadiusAttribute[] = [];
  if (r.framedIpAddress !== undefined) {
    out.push(ipv4Attr(A.FRAMED_IP_ADDRESS, r.framedIpAddress));
    out.push(ipv4Attr(A.FRAMED_IP_NETMASK, r.framedIpNetmask ?? 0xffffffff));
  }
  if (r.framedPool !== undefined) out.push(textAttr(A.FRAMED_POOL, r.framedPool));
  if (r.framedMtu !== undefined) out.push(intAttr(A.FRAMED_MTU, r.framedMtu));
  if (r.sessionTimeout !== undefined) out.push(intAttr(A.SESSION_TIMEOUT, r.sessionTimeout));
  if (r.idleTimeout !== undefined) out.push(intAttr(A.IDLE_TIMEOUT, r.idleTimeout));
  if (r.acctInterimInterval !== undefined) out.push(intAttr(A.ACCT_INTERIM_INTERVAL, r.acctInterimInterval));
  out.push(...dnsAttributes(r.dns));
  if (r.framedIpv6Prefix) out.push({ type: A.FRAMED_IPV6_PREFIX, data: ipv6PrefixValue(r.framedIpv6Prefix.prefix, r.framedIpv6Prefix.length) });
  if (r.delegatedIpv6Prefix) out.push({ type: A.DELEGATED_IPV6_PREFIX, data: ipv6PrefixValue(r.delegatedIpv6Prefix.prefix, r.delegatedIpv6Prefix.length) });
  for (const d of r.dns6 ?? []) out.push({ type: A.DNS_SERVER_IPV6_ADDRESS, data: d });
  for (const c of r.class ?? []) out.push({ type: A.CLASS, data: c });
  if (r.replyMessage !== undefined) {
    const b = textBytes(r.replyMessage);
    for (let i = 0; i < b.length; i += 253) out.push({ type: A.REPLY_MESSAGE, data: b.subarray(i, i + 253) });
  }
  return out;
}
