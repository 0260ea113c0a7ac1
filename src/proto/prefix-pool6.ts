/**
 * IPv6 prefix pools: a pool prefix cut into prefixes of one length (the /64 WAN prefixes
 * of `wanPrefixPool`, the delegated /56s of `pdPool`), leased one at a time and never to two
 * holders: a lease is only handed out again after `release`, and a reserved prefix (a user's
 * fixed Framed-IPv6-Prefix / Delegated-IPv6-Prefix) never. Memory grows with the leases and
 * reservations, not with the pool: a pool of 2^23 prefixes costs nothing until it is used.
 *
 * Who leases: the nte (a BNG's local pool, as accel-ppp's ipv6-pool), not the RADIUS server.
 * RADIUS gives only a user's fixed prefixes (RFC 3162 Framed-IPv6-Prefix, RFC 4818
 * Delegated-IPv6-Prefix); every other session takes one here. So the nte works the same with
 * the embedded server and with FreeRADIUS, and the never-twice rule is kept where the
 * sessions are, without a round trip: the nte also refuses a RADIUS prefix another live
 * session holds (src/roles/nte.ts).
 */
import { ipv6ToString, parseIpv6Address } from '../wire/ipv6.js';
import { keptBytes } from '../wire/bytes.js';

/** Where a prefix is built before its kept copy (the low 64 bits stay zero). */
const scratch16 = new Uint8Array(16);

export interface Ipv6Prefix {
  readonly prefix: Uint8Array;
  readonly length: number;
}

/** "2001:db8::/32" → value; undefined for anything else, or a bit set past the length. */
export function parseIpv6Prefix(s: string): Ipv6Prefix | undefined {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(s);
  const prefix = m ? parseIpv6Address(m[1]!) : undefined;
  const length = m ? Number(m[2]) : -1;
  if (!prefix || !(length >= 0 && length <= 128)) return undefined;
  for (let bit = length; bit < 128; bit++) if (prefix[bit >> 3]! & (0x80 >> (bit & 7))) return undefined;
  return { prefix, length };
}

/** For configuration: throws on a bad prefix. */
export function ipv6PrefixFromString(s: string): Ipv6Prefix {
  const p = parseIpv6Prefix(s);
  if (!p) throw new Error(`not an IPv6 prefix: ${s}`);
  return p;
}

/** RFC 5952 text + "/len". */
export function ipv6PrefixToString(p: Ipv6Prefix): string {
  return `${ipv6ToString(p.prefix)}/${p.length}`;
}

/** The upper 64 bits of an address (every pool prefix is at most a /64). */
function high64(a: Uint8Array): bigint {
  let v = 0n;
  for (let i = 0; i < 8; i++) v = (v << 8n) | BigInt(a[i]!);
  return v;
}

/** True when `inner` lies within `outer` (same or longer length, same leading bits). */
export function prefixContains(outer: Ipv6Prefix, inner: Ipv6Prefix): boolean {
  if (inner.length < outer.length) return false;
  for (let bit = 0; bit < outer.length; bit++) {
    const m = 0x80 >> (bit & 7);
    if ((outer.prefix[bit >> 3]! & m) !== (inner.prefix[bit >> 3]! & m)) return false;
  }
  return true;
}

/** True when the two prefixes share an address. */
export function prefixesOverlap(a: Ipv6Prefix, b: Ipv6Prefix): boolean {
  return prefixContains(a, b) || prefixContains(b, a);
}

/**
 * A stable key for maps: the prefix's 16 octets and the length, as nine UTF-16 code units.
 * One flat string of about 48 bytes that a session holds while it owns the prefix (the text
 * form built by concatenation was a tree of four strings, about 170).
 */
export function prefixKey(p: Ipv6Prefix): string {
  const b = p.prefix;
  return String.fromCharCode((b[0]! << 8) | b[1]!, (b[2]! << 8) | b[3]!, (b[4]! << 8) | b[5]!, (b[6]! << 8) | b[7]!, (b[8]! << 8) | b[9]!, (b[10]! << 8) | b[11]!, (b[12]! << 8) | b[13]!, (b[14]! << 8) | b[15]!, p.length);
}

/** The most prefixes one pool may hold (an index must stay an exact double). */
export const MAX_POOL_PREFIXES = 2 ** 32;

export interface PrefixPoolCounters {
  leased: number;
  released: number;
  exhausted: number;
  /** A release of a prefix that was not leased (a bug of the owner, counted not thrown). */
  releaseUnknown: number;
}

export class PrefixPool6 {
  /** How many prefixes of `length` the pool holds. */
  readonly size: number;
  readonly counters: PrefixPoolCounters = { leased: 0, released: 0, exhausted: 0, releaseUnknown: 0 };
  private readonly base: bigint;
  private readonly shift: bigint;
  /** Indexes leased now. */
  private readonly used = new Set<number>();
  /** Indexes never to hand out (fixed prefixes of users). */
  private readonly reserved = new Set<number>();
  /** The next index never handed out. */
  private fresh = 0;
  /** Indexes given back, oldest first: reused only when no fresh one is left, so a stale holder's prefix waits longest. */
  private readonly returned: number[] = [];
  private returnedHead = 0;

  constructor(
    readonly pool: Ipv6Prefix,
    /** The length of each leased prefix (at most 64: SLAAC and PD prefixes end at the interface identifier). */
    readonly length: number,
    /** Given-back prefixes that may wait for reuse before they are reused first. */
    readonly returnedLimit = 65_536,
  ) {
    if (length > 64 || length < pool.length) throw new Error(`prefix pool ${ipv6PrefixToString(pool)}: cannot cut /${length} prefixes from it`);
    if (length - pool.length > 32) throw new Error(`prefix pool ${ipv6PrefixToString(pool)}: 2^${length - pool.length} /${length} prefixes is more than ${MAX_POOL_PREFIXES}`);
    this.size = 2 ** (length - pool.length);
    this.shift = BigInt(64 - length);
    this.base = pool.length >= 64 ? high64(pool.prefix) : (high64(pool.prefix) >> BigInt(64 - pool.length)) << BigInt(64 - pool.length);
  }

  /** Leases in use now. */
  get inUse(): number {
    return this.used.size;
  }

  /** The pool index of `p`, or undefined when `p` is not one of this pool's prefixes. */
  indexOf(p: Ipv6Prefix): number | undefined {
    if (p.length !== this.length || !prefixContains(this.pool, p)) return undefined;
    return Number((high64(p.prefix) - this.base) >> this.shift);
  }

  prefixAt(index: number): Ipv6Prefix {
    const v = this.base + (BigInt(index) << this.shift);
    const bytes = scratch16;
    for (let i = 0; i < 8; i++) bytes[i] = Number((v >> BigInt(56 - 8 * i)) & 0xffn);
    // A lease lives as long as its session: a slab copy, not a buffer of its own each.
    return { prefix: keptBytes(bytes), length: this.length };
  }

  /**
   * Never hands out any prefix of this pool that overlaps `p` (a user's fixed prefix, which
   * may be of another length). Returns how many pool prefixes that reserved.
   */
  reserve(p: Ipv6Prefix): number {
    if (!prefixesOverlap(this.pool, p)) return 0;
    if (p.length >= this.length) {
      const i = this.indexOf({ prefix: p.prefix, length: this.length });
      if (i === undefined) return 0;
      this.reserved.add(i);
      return 1;
    }
    // A shorter fixed prefix covers a run of pool prefixes; configurations keep these small.
    const span = 2 ** (this.length - p.length);
    const first = this.indexOf({ prefix: p.prefix.slice(), length: this.length }) ?? 0;
    for (let i = 0; i < span && first + i < this.size; i++) this.reserved.add(first + i);
    return Math.min(span, this.size - first);
  }

  /** One prefix nobody holds, or undefined when every one is leased or reserved. */
  lease(): Ipv6Prefix | undefined {
    // Fresh prefixes first, so a prefix given back waits as long as it can before it is
    // reused; but the queue of given-back ones stays under `returnedLimit`, so churn on a
    // huge pool costs memory for the leases only.
    if (this.returned.length - this.returnedHead < this.returnedLimit) {
      while (this.fresh < this.size) {
        const i = this.fresh++;
        if (this.reserved.has(i) || this.used.has(i)) continue;
        return this.take(i);
      }
    }
    while (this.returnedHead < this.returned.length) {
      const i = this.returned[this.returnedHead++]!;
      this.compact();
      if (this.used.has(i) || this.reserved.has(i)) continue;
      return this.take(i);
    }
    while (this.fresh < this.size) {
      const i = this.fresh++;
      if (this.reserved.has(i) || this.used.has(i)) continue;
      return this.take(i);
    }
    this.counters.exhausted++;
    return undefined;
  }

  /** Leases exactly `p` when it is this pool's, free and not reserved. */
  leaseExact(p: Ipv6Prefix): boolean {
    const i = this.indexOf(p);
    if (i === undefined || this.used.has(i) || this.reserved.has(i)) return false;
    this.take(i);
    return true;
  }

  /** Gives a leased prefix back; true when it was leased. */
  release(p: Ipv6Prefix): boolean {
    const i = this.indexOf(p);
    if (i === undefined || !this.used.delete(i)) {
      this.counters.releaseUnknown++;
      return false;
    }
    this.counters.released++;
    this.returned.push(i);
    return true;
  }

  isLeased(p: Ipv6Prefix): boolean {
    const i = this.indexOf(p);
    return i !== undefined && this.used.has(i);
  }

  private take(i: number): Ipv6Prefix {
    this.used.add(i);
    this.counters.leased++;
    return this.prefixAt(i);
  }

  /** The returned queue keeps at most one entry per free index ever given back; its consumed head is dropped now and then. */
  private compact(): void {
    if (this.returnedHead > 4096 && this.returnedHead * 2 > this.returned.length) {
      this.returned.splice(0, this.returnedHead);
      this.returnedHead = 0;
    }
  }
}
