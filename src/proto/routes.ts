/**
 * The routing table: routes (prefix, next hop, interface, kind) kept in typed arrays by
 * route id, and a DIR-24-8 `Lpm` from destination to route id. Lookups are one LPM read
 * plus typed-array reads; adds and removes are incremental and may run between packets.
 * A prefix holds one route: adding it again replaces the old one, except that connected
 * and local routes are only replaced or removed by their interface going away. An
 * unreachable route belongs to no interface: a lookup that ends on it is not forwarded.
 */
import { IdGroups } from './id-groups.js';
import { Lpm } from './lpm.js';
import { ipv4ToString } from '../wire/bytes.js';

/**
 * connected: a subnet on an interface; local: one of our own addresses (delivered to us,
 * like Linux's local table); static: configuration; runtime: added and removed while
 * running (the LNS's per-subscriber /32s); unreachable: a prefix we answer for but do not
 * forward (Linux's `ip route add unreachable`; the LNS's pools, so an address no session
 * holds gets Destination Unreachable instead of following the default route back out).
 */
export type RouteKind = 'connected' | 'local' | 'static' | 'runtime' | 'unreachable';
export const ROUTE_KINDS: readonly RouteKind[] = ['connected', 'local', 'static', 'runtime', 'unreachable'];
const KINDS = ROUTE_KINDS;
/** `kindCode` values, for the forwarding path. */
export const RouteKindCode = { CONNECTED: 0, LOCAL: 1, STATIC: 2, RUNTIME: 3, UNREACHABLE: 4 } as const;
/** The `ifIndex` of an unreachable route: no interface (so the forwarding path finds none). */
export const NO_INTERFACE = -1;

export interface RouteSpec {
  readonly prefix: number;
  readonly prefixLength: number;
  /** The gateway; 0 (or absent) means the destination itself is on the link. */
  readonly nextHop?: number;
  /** Ignored for an unreachable route (stored as `NO_INTERFACE`). */
  readonly ifIndex: number;
  readonly kind: RouteKind;
}

/** One line of `show routes`. */
export interface RouteView {
  readonly prefix: string;
  readonly nextHop: string | undefined;
  readonly ifIndex: number;
  readonly kind: RouteKind;
}

export class RouteTable {
  readonly lpm = new Lpm();
  /** Route attributes by route id (the LPM's value). */
  nextHop: Uint32Array;
  ifIndex: Int32Array;
  /** RouteKindCode by route id. */
  kindCode: Uint8Array;
  prefix: Uint32Array;
  len: Uint8Array;
  private freeIds: number[] = [];
  private used = 0;
  /** Route ids per interface, so an interface that goes away (a subscriber leaving) costs its own routes only. */
  private readonly perIf = new IdGroups();
  /** Unreachable routes (len * 2^32 + prefix) that another route of the same prefix replaced for a while. */
  private readonly shadowed = new Set<number>();

  constructor(capacity = 1024) {
    this.nextHop = new Uint32Array(capacity);
    this.ifIndex = new Int32Array(capacity);
    this.prefix = new Uint32Array(capacity);
    this.len = new Uint8Array(capacity);
    this.kindCode = new Uint8Array(capacity);
  }

  get size(): number {
    return this.lpm.size;
  }

  /** Route id for `dst`, or -1. */
  lookup(dst: number): number {
    return this.lpm.lookup(dst);
  }

  /**
   * Adds or replaces a route. Returns false when a connected or local route holds the prefix.
   * A route replacing an unreachable one of the same prefix shadows it: when it goes, the
   * unreachable route comes back (a pool of one prefix must not lose its discard route to
   * the first session that held it).
   */
  add(r: RouteSpec): boolean {
    const old = this.lpm.get(r.prefix, r.prefixLength);
    if (old >= 0) {
      if (this.kindCode[old]! <= RouteKindCode.LOCAL && r.kind !== 'connected' && r.kind !== 'local') return false;
      const key = this.len[old]! * 0x100000000 + this.prefix[old]!;
      if (r.kind === 'unreachable') this.shadowed.delete(key);
      else if (this.kindCode[old] === RouteKindCode.UNREACHABLE) this.shadowed.add(key);
      this.release(old);
    }
    const id = this.alloc();
    const mask = r.prefixLength === 0 ? 0 : (0xffffffff << (32 - r.prefixLength)) >>> 0;
    const unreachable = r.kind === 'unreachable';
    const ifIndex = unreachable ? NO_INTERFACE : r.ifIndex;
    this.prefix[id] = (r.prefix & mask) >>> 0;
    this.len[id] = r.prefixLength;
    this.nextHop[id] = unreachable ? 0 : (r.nextHop ?? 0);
    this.ifIndex[id] = ifIndex;
    this.kindCode[id] = KINDS.indexOf(r.kind);
    if (!unreachable) {
      this.perIf.add(ifIndex, id);
    }
    this.lpm.insert(r.prefix, r.prefixLength, id);
    return true;
  }

  /** Removes the route for exactly prefix/len. Connected and local routes only with `connectedToo`. */
  remove(prefix: number, prefixLength: number, connectedToo = false): boolean {
    const id = this.lpm.get(prefix, prefixLength);
    if (id < 0) return false;
    if (!connectedToo && this.kindCode[id]! <= RouteKindCode.LOCAL) return false;
    const unreachable = this.kindCode[id] === RouteKindCode.UNREACHABLE;
    const key = this.len[id]! * 0x100000000 + this.prefix[id]!;
    this.lpm.remove(prefix, prefixLength);
    this.release(id);
    if (this.shadowed.size > 0 && !unreachable && this.shadowed.delete(key)) this.add({ prefix, prefixLength, ifIndex: NO_INTERFACE, kind: 'unreachable' });
    return true;
  }

  /** Removes every route through `ifIndex` (connected ones too). Returns how many. */
  removeInterface(ifIndex: number): number {
    const ids = this.perIf.ids(ifIndex);
    if (!ids) return 0;
    const doomed = ids.map((id): [number, number] => [this.prefix[id]!, this.len[id]!]);
    for (const [p, l] of doomed) this.remove(p, l, true);
    this.perIf.clear(ifIndex);
    return doomed.length;
  }

  kindOf(id: number): RouteKind {
    return KINDS[this.kindCode[id]!]!;
  }

  show(): RouteView[] {
    const out: RouteView[] = [];
    for (const [, , id] of this.lpm.entries()) {
      const nh = this.nextHop[id]!;
      out.push({ prefix: `${ipv4ToString(this.prefix[id]!)}/${this.len[id]}`, nextHop: nh ? ipv4ToString(nh) : undefined, ifIndex: this.ifIndex[id]!, kind: this.kindOf(id) });
    }
    // Most specific first within an address, addresses ascending: the order `ip route` uses.
    return out.sort((a, b) => {
      const [pa, la] = a.prefix.split('/');
      const [pb, lb] = b.prefix.split('/');
      return ipNum(pa!) - ipNum(pb!) || Number(lb) - Number(la);
    });
  }

  private alloc(): number {
    const f = this.freeIds.pop();
    if (f !== undefined) return f;
    if (this.used === this.nextHop.length) this.grow();
    return this.used++;
  }

  private release(id: number): void {
    this.perIf.delete(this.ifIndex[id]!, id);
    this.freeIds.push(id);
  }

  private grow(): void {
    const n = this.nextHop.length * 2;
    const g = <T extends Uint32Array | Int32Array | Uint8Array>(a: T, make: (n: number) => T): T => {
      const b = make(n);
      b.set(a);
      return b;
    };
    this.nextHop = g(this.nextHop, (k) => new Uint32Array(k));
    this.ifIndex = g(this.ifIndex, (k) => new Int32Array(k));
    this.prefix = g(this.prefix, (k) => new Uint32Array(k));
    this.len = g(this.len, (k) => new Uint8Array(k));
    this.kindCode = g(this.kindCode, (k) => new Uint8Array(k));
  }
}

function ipNum(s: string): number {
  const p = s.split('.').map(Number);
  return ((p[0]! * 0x1000000) + ((p[1]! << 16) | (p[2]! << 8) | p[3]!)) >>> 0;
}
