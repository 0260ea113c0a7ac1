/**
 * What the ARP cache (IPv4, RFC 826 / RFC 1122 §2.3.2) and the NDP neighbour cache (IPv6,
 * RFC 4861 §7.3) share: the table of entries, the set of those with a timer running, the
 * count of packets waiting for resolution (bounded by each cache), and the two transitions
 * that hand those packets on — resolved (to be sent) or failed (to be answered with an
 * ICMP error or dropped). The protocol parts, the timers and the states stay in each cache.
 */

export type NeighbourEvent<A> =
  | { readonly kind: 'resolved'; readonly ifIndex: number; readonly ip: A; readonly mac: Uint8Array; readonly packets: Uint8Array[] }
  | { readonly kind: 'failed'; readonly ifIndex: number; readonly ip: A; readonly packets: Uint8Array[] };

export interface NeighbourEntry<A, S> {
  readonly ifIndex: number;
  readonly ip: A;
  state: S;
  mac: Uint8Array | undefined;
  /** When the entry was last confirmed reachable. */
  confirmedAt: number;
  usedAt: number;
  /** Requests or solicitations sent in the current resolution or probe run; 0 = none. */
  probes: number;
  /** Packets waiting for the link-layer address. */
  queue: Uint8Array[];
}

export abstract class NeighbourTable<K, A, S, E extends NeighbourEntry<A, S>, T> {
  protected readonly entries = new Map<K, E>();
  /**
   * The entry the last lookup found: a host or a router sends most packets to one next hop, and
   * a lookup by a key of two numbers (past V8's small integers) hashes a heap number each time.
   * Forgotten when its entry is dropped.
   */
  protected last: E | undefined = undefined;
  /** Entries with a resolution or probe run (a timer) in progress. */
  protected readonly active = new Set<E>();
  /** Packets waiting in every entry's queue. */
  protected queuedTotal = 0;
  protected readonly events: NeighbourEvent<A>[] = [];
  private eventHead = 0;
  /** What the cache sends (requests, replies, solicitations, advertisements), in order. */
  protected readonly tx: T[] = [];
  private txHead = 0;
  abstract readonly counters: { resolved: number };

  pollTransmit(): T | undefined {
    if (this.txHead >= this.tx.length) return undefined;
    const t = this.tx[this.txHead]!;
    this.tx[this.txHead++] = undefined as unknown as T;
    if (this.txHead === this.tx.length) this.tx.length = this.txHead = 0;
    return t;
  }

  pollEvent(): NeighbourEvent<A> | undefined {
    if (this.eventHead >= this.events.length) return undefined;
    const e = this.events[this.eventHead]!;
    this.events[this.eventHead++] = undefined as unknown as NeighbourEvent<A>;
    if (this.eventHead === this.events.length) this.events.length = this.eventHead = 0;
    return e;
  }

  /** Packets waiting for resolution, all next hops together. */
  get queuedPackets(): number {
    return this.queuedTotal;
  }

  protected abstract keyOf(ifIndex: number, ip: A): K;

  /** The address is known (reply, advertisement): the waiting packets go out in a `resolved` event. */
  protected resolve(e: E, mac: Uint8Array, state: S, now: number): void {
    e.mac = new Uint8Array(mac);
    e.state = state;
    e.confirmedAt = now;
    e.usedAt = now;
    e.probes = 0;
    this.active.delete(e);
    this.counters.resolved++;
    const packets = e.queue;
    e.queue = [];
    this.queuedTotal -= packets.length;
    this.events.push({ kind: 'resolved', ifIndex: e.ifIndex, ip: e.ip, mac: e.mac, packets });
  }

  /** Removes an entry; its waiting packets are handed back in a `failed` event when `report`. */
  protected drop(e: E, report: boolean): void {
    this.entries.delete(this.keyOf(e.ifIndex, e.ip));
    if (this.last === e) this.last = undefined;
    this.active.delete(e);
    this.queuedTotal -= e.queue.length;
    if (report) this.events.push({ kind: 'failed', ifIndex: e.ifIndex, ip: e.ip, packets: e.queue });
    e.queue = [];
  }
}
