/**
 * The shape of what the HTTP API (src/io/api.ts) serves and does, shared by the two things
 * it serves: the in-process network (src/sim/network-api.ts) and a `pseudonet up` box
 * (src/io/box-api.ts). Actions throw `ApiError` with an HTTP status and the field at fault.
 */
import type { LadderView } from './observe.js';
import { impairmentsSchema } from './topology.js';

/** One subscriber session, as `GET /api/sessions` lists it. Unknown values are null. */
export interface ApiSession {
  readonly home: string;
  readonly user: string;
  /** "online" while IPCP is up; otherwise the PPPoE client's state, or "down" (held down by the API). */
  readonly state: string;
  readonly ip: string | null;
  /** The LNS box that terminates it. */
  readonly lns: string | null;
  readonly pppoeSessionId: number | null;
  /** The LNS's tunnel and session ids. */
  readonly tunnelId: number | null;
  readonly sessionId: number | null;
  /** When it came online (ISO 8601), or null. */
  readonly since: string | null;
  /** Bytes from the subscriber and to it, as the LNS counted them. */
  readonly octetsIn: number | null;
  readonly octetsOut: number | null;
  /** Where IPv6 is up on the session (dual stack): its addresses and prefixes (RFC 5952, /len); else null. */
  readonly ipv6: ApiSessionIpv6 | null;
}

export interface ApiSessionIpv6 {
  /** The home's WAN address (SLAAC from the RA's /64). */
  readonly address: string | null;
  /** The /64 advertised on the WAN link. */
  readonly wanPrefix: string | null;
  /** The prefix delegated by DHCPv6 (IA_PD). */
  readonly delegatedPrefix: string | null;
}

/** An ApiSessionIpv6 from a box's `show sessions` ipv6 object (strings or absent). */
export function apiIpv6(v: unknown): ApiSessionIpv6 | null {
  if (typeof v !== 'object' || v === null) return null;
  const o = v as Record<string, unknown>;
  const str = (x: unknown): string | null => (typeof x === 'string' ? x : null);
  return { address: str(o.address), wanPrefix: str(o.wanPrefix), delegatedPrefix: str(o.delegatedPrefix) };
}

export interface ApiBox {
  readonly name: string;
  readonly kind: string;
  /** "running", "stopped" (POST /api/boxes/BOX/stop) or, for a home, "online" / "offline" / "down". */
  readonly state: string;
  /** Port → link name. */
  readonly ports: Readonly<Record<string, string>>;
  /** Sessions this box carries now. */
  readonly sessions: number;
}

export interface ApiLink {
  readonly name: string;
  readonly impairments: Readonly<Record<string, number>>;
  /** Frames sent, delivered, lost... (in-memory links only). */
  readonly counters: Readonly<Record<string, number>> | null;
}

export interface ApiTopology {
  readonly name: string;
  /** What serves this API: the whole in-process network, or one box of `pseudonet up`. */
  readonly scope: 'network' | 'box';
  readonly boxes: ApiBox[];
  readonly links: ApiLink[];
}

export interface ApiEvent {
  readonly box: string;
  readonly at: number;
  readonly kind: string;
  readonly event: unknown;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

/** Everything the API needs from what it serves. */
export interface ApiTarget {
  sessions(): ApiSession[];
  tunnels(): unknown;
  routes(): unknown;
  arp(): unknown;
  counters(): unknown;
  boxes(): ApiTopology;
  /** The ladder of `home`'s session from message `after` on (undefined: no such home). */
  sequence(home: string, after: number): LadderView | undefined;
  /** Every event of every box; returns the unsubscribe. */
  onEvent(f: (e: ApiEvent) => void): () => void;
  homeDown(home: string): void;
  homeUp(home: string): void;
  impair(link: string, impairments: Impairments): void;
  boxStop(box: string): void;
  boxStart(box: string): void;
  disconnect(home: string): void;
  metrics(): Promise<string>;
}

export type Impairments = { loss?: number; delay?: number; jitter?: number; duplicate?: number; corrupt?: number; mtu?: number };

/** Validates an impairment body with the topology's own schema; the error names the field. */
export function parseImpairments(body: unknown): Impairments {
  const r = impairmentsSchema.safeParse(body);
  if (r.success) return r.data as Impairments;
  const issue = r.error.issues[0]!;
  const field = issue.code === 'unrecognized_keys' ? (issue as { keys: string[] }).keys.join(', ') : issue.path.join('.') || '(body)';
  throw new ApiError(400, `${field}: ${issue.code === 'unrecognized_keys' ? `no such impairment (fields: loss, delay, jitter, duplicate, corrupt, mtu)` : issue.message}`, field);
}
