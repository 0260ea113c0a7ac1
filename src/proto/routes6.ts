/**
 * The IPv6 routing table: routes (prefix, next hop, interface, kind) by route id in typed
 * arrays, and an `Lpm6` from destination to route id, as `RouteTable` does for IPv4. A
 * prefix holds one route; connected and local routes are replaced or removed only with
 * their interface; an unreachable route has no interface (`NO_INTERFACE`) and is not
 * forwarded. The table holds at most the LPM's `maxPrefixes` routes.
 */
import { Lpm6 } from './lpm6.js';
import { IdGroups } from './id-groups.js';
import { NO_INTERFACE, ROUTE_KINDS as KINDS, RouteKindCode, type RouteKind } from './routes.js';
import { ipv6ToString } from '../wire/ipv6.js';

export interface Route6Spec {
  readonly prefix: Uint8Array;
  readonly prefixLength: number;
  /** The gateway; absent means the destination itself is on the link. */
  readonly nextHop?: Uint8Array;
  /** Ignored for an unreachable route (stored as `NO_INTERFACE`). */
  readonly ifIndex: number;
  readonly kind: RouteKind;
}

/** One line of `show routes` for IPv6. */
export interface Route6View {
  readonly prefix: string;
  readonly nextHop: string | undefined;
  readonly ifIndex: number;
  readonly kind: RouteKind;
}

export class RouteTable6 {
  readonly lpm: Lpm6;
  /** 16 bytes per route id; `hasNextHop[id]` 0 = on-link. */
  nextHop: Uint8Array;
  hasNextHop: Uint8Array;
  ifIndex: Int32Array;
  kindCode: Uint8Array;
  prefix: Uint8Array;
  len: Uint8Array;
  private freeIds: number[] = [];
  private used = 0;
  private readonly perIf = new IdGroups();
  /** Unreachable routes (`keyOf`) that another route of the same prefix replaced for a while. */
  private readonly shadowed = new Set<string>();

  constructor(o: { maxRoutes?: number; capacity?: number } = {}) {
    this.lpm = new Lpm6({ ...(o.maxRoutes === undefined ? {} : { maxPrefixes: o.maxRoutes }) });
    const cap = o.capacity ?? 64;
    this.nextHop = new Uint8Array(cap * 16);
    this.hasNextHop = new Uint8Array(cap);
    this.ifIndex = new Int32Array(cap);
    this.kindCode = new Uint8Array(cap);
    this.prefix = new Uint8Array(cap * 16);
    this.len = new Uint8Array(cap);
  }

  get size(): number {
    return this.lpm.size;
  }

  /** Route id for the destination at a[o, o+16), or -1. */
  lookup(a: Uint8Array, o = 0): number {
    return this.lpm.lookup(a, o);
  }

  /** The route's next hop (a subarray of the table), or undefined when on-link. */
  gateway(id: number): Uint8Array | undefined {
    return this.hasNextHop[id] ? this.nextHop.subarray(id * 16, id * 16 + 16) : undefined;
  }

  /**
   * Adds or replaces a route. False when a connected or local route holds the prefix, or the
   * table is full. A route replacing an unreachable one of the same prefix shadows it: the
   * unreachable route comes back when that route goes (as `RouteTable`).
   */
  add(r: Route6Spec): boolean {
    const old = this.lpm.get(r.prefix, r.prefixLength);
    if (old >= 0 && this.kindCode[old]! <= RouteKindCode.LOCAL && r.kind !== 'connected' && r.kind !== 'local') return false;
    if (old >= 0) {
      // (A key string only when it matters: replacing a session's route stays cheap.)
      if (r.kind === 'unreachable') {
        if (this.shadowed.size > 0) this.shadowed.delete(this.keyOf(old));
      } else if (this.kindCode[old] === RouteKindCode.UNREACHABLE) this.shadowed.add(this.keyOf(old));
    }
    const id = old >= 0 ? old : this.alloc();
    if (old >= 0) this.unlink(old);
    const p = this.prefix.subarray(id * 16, id * 16 + 16);
    for (let i = 0; i < 16; i++) {
      const bits = Math.max(0, Math.min(8, r.prefixLength - 8 * i));
      p[i] = r.prefix[i]! & ((0xff00 >> bits) & 0xff);
    }
    const unreachable = r.kind === 'unreachable';
    const nextHop = unreachable ? undefined : r.nextHop;
    const ifIndex = unreachable ? NO_INTERFACE : r.ifIndex;
    this.len[id] = r.prefixLength;
    this.hasNextHop[id] = nextHop ? 1 : 0;
    if (nextHop) this.nextHop.set(nextHop.subarray(0, 16), id * 16);
    this.ifIndex[id] = ifIndex;
    this.kindCode[id] = KINDS.indexOf(r.kind);
    if (!this.lpm.insert(r.prefix, r.prefixLength, id)) {
      this.freeIds.push(id);
      return false;
    }
    if (unreachable) return true;
    this.perIf.add(ifIndex, id);
    return true;
  }

  /** Removes the route for exactly prefix/len; connected and local ones only with `connectedToo`. */
  remove(prefix: Uint8Array, prefixLength: number, connectedToo = false): boolean {
    const id = this.lpm.get(prefix, prefixLength);
    if (id < 0) return false;
    if (!connectedToo && this.kindCode[id]! <= RouteKindCode.LOCAL) return false;
    const restore = this.shadowed.size > 0 && this.kindCode[id] !== RouteKindCode.UNREACHABLE && this.shadowed.delete(this.keyOf(id));
    const key = restore ? this.prefix.slice(id * 16, id * 16 + 16) : undefined;
    this.lpm.remove(prefix, prefixLength);
    this.unlink(id);
    this.freeIds.push(id);
    if (key) this.add({ prefix: key, prefixLength, ifIndex: NO_INTERFACE, kind: 'unreachable' });
    return true;
  }

  private keyOf(id: number): string {
    return `${ipv6ToString(this.prefix.subarray(id * 16, id * 16 + 16))}/${this.len[id]}`;
  }

  /** Removes every route through `ifIndex`. Returns how many. */
  removeInterface(ifIndex: number): number {
    const ids = this.perIf.ids(ifIndex);
    if (!ids) return 0;
    const doomed = ids.map((id): [Uint8Array, number] => [this.prefix.slice(id * 16, id * 16 + 16), this.len[id]!]);
    for (const [p, l] of doomed) this.remove(p, l, true);
    this.perIf.clear(ifIndex);
    return doomed.length;
  }

  show(): Route6View[] {
    const out: (Route6View & { key: Uint8Array; l: number })[] = [];
    for (const [, , id] of this.lpm.entries()) {
      const key = this.prefix.subarray(id * 16, id * 16 + 16);
      const nh = this.gateway(id);
      out.push({ prefix: `${ipv6ToString(key)}/${this.len[id]}`, nextHop: nh && ipv6ToString(nh), ifIndex: this.ifIndex[id]!, kind: KINDS[this.kindCode[id]!]!, key, l: this.len[id]! });
    }
    out.sort((a, b) => {
      for (let i = 0; i < 16; i++) if (a.key[i] !== b.key[i]) return a.key[i]! - b.key[i]!;
      return b.l - a.l;
    });
    return out.map(({ prefix, nextHop, ifIndex, kind }) => ({ prefix, nextHop, ifIndex, kind }));
  }

  private unlink(id: number): void {
    this.perIf.delete(this.ifIndex[id]!, id);
  }

  private alloc(): number {
    const f = this.freeIds.pop();
    if (f !== undefined) return f;
    if (this.used === this.len.length) this.grow();
    return this.used++;
  }

  private grow(): void {
    const g = <T extends Uint8Array | Int32Array>(a: T, make: (k: number) => T): T => {
      const b = make(a.length * 2);
      b.set(a);
      return b;
    };
    this.nextHop = g(this.nextHop, (k) => new Uint8Array(k));
    this.hasNextHop = g(this.hasNextHop, (k) => new Uint8Array(k));
    this.ifIndex = g(this.ifIndex, (k) => new Int32Array(k));
    this.kindCode = g(this.kindCode, (k) => new Uint8Array(k));
    this.prefix = g(this.prefix, (k) => new Uint8Array(k));
    this.len = g(this.len, (k) => new Uint8Array(k));
  }
}
