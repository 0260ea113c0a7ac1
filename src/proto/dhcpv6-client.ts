/**
 * A DHCPv6 client asking for a delegated prefix (RFC 8415 IA_PD): Solicit (with Rapid
 * Commit), Advertise selection, Request, Reply with its status codes, Renew at T1, Rebind at
 * T2, the prefix dropped when its valid lifetime ends, Release; each exchange retransmitted
 * per §15 (IRT/MRT/MRC/MRD, ±10 % from a seeded source), with Elapsed Time. Replies are
 * taken only with our transaction id and our Client Identifier; what is dropped is counted
 * by reason. One exchange at a time, the Advertise table bounded. Sans-IO: messages out
 * with `pollTransmit` (DHCPv6 octets for All_DHCP_Relay_Agents_and_Servers), in with `handle`.
 */
import { bytesEqual, keptBytes } from '../wire/bytes.js';
import { dhcpv6, Dhcpv6MessageType as T, Dhcpv6OptionCode, Dhcpv6Status, duidLength, emitDuid, findOption, parseDhcpv6, type Dhcpv6Option, type Duid } from '../wire/dhcpv6.js';
import { encodeInCell } from '../wire/packet-buffer.js';
import { ipv6ToString } from '../wire/ipv6.js';
import { count, type Counters } from './ppp-common.js';
import { earliest } from './timers.js';
import { sharedBytes } from './shared-bytes.js';

/** All_DHCP_Relay_Agents_and_Servers (§7.1). */
export const ALL_DHCP_RELAY_AGENTS_AND_SERVERS = new Uint8Array([0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 2]);

/** §7.6 transmission and retransmission parameters, ms (MRC 0 / MRD 0: no limit). */
export const DHCPV6_TIMING = {
  SOL_MAX_DELAY: 1000, SOL_TIMEOUT: 1000, SOL_MAX_RT: 3600_000,
  REQ_TIMEOUT: 1000, REQ_MAX_RT: 30_000, REQ_MAX_RC: 10,
  REN_TIMEOUT: 10_000, REN_MAX_RT: 600_000,
  REB_TIMEOUT: 10_000, REB_MAX_RT: 600_000,
  REL_TIMEOUT: 1000, REL_MAX_RC: 4,
} as const;

/** 0xffffffff: an infinite lifetime or T1/T2 (§7.7). */
export const DHCPV6_INFINITY = 0xffffffff;
/** Advertises kept while a Solicit collects them (the best ones stay). */
export const MAX_ADVERTISES = 8;
/** Prefixes taken from one IA_PD; DNS servers taken from one Reply. */
export const MAX_PREFIXES = 4;
export const MAX_DNS = 3;

export interface Dhcpv6ClientConfig {
  /** Our DUID (§11): a DUID-LL from the home's MAC. */
  readonly duid: Duid;
  /** IAID of our IA_PD. */
  readonly iaid: number;
  /** Prefix length we hint in Solicit (§18.2.1: an IA Prefix with a zero prefix), undefined: no hint. */
  readonly prefixLengthHint?: number;
  /** Offer Rapid Commit in Solicit (§18.2.1). Default true. */
  readonly rapidCommit?: boolean;
  /** Uniform [0, 1): RAND of §15, the first Solicit's delay and transaction ids (seeded in simulations). */
  readonly random: () => number;
}

export interface DelegatedPrefix {
  readonly prefix: Uint8Array;
  readonly length: number;
  /** Seconds as the server gave them (DHCPV6_INFINITY: infinite). */
  readonly preferredLifetime: number;
  readonly validLifetime: number;
}

export interface Dhcpv6Lease {
  readonly server: Duid;
  readonly prefixes: readonly DelegatedPrefix[];
  /** Seconds, after the §21.21 zero rule: what we renew at. */
  readonly t1: number;
  readonly t2: number;
  readonly dns: readonly Uint8Array[];
  readonly at: number;
}

export type Dhcpv6ClientState = 'init' | 'soliciting' | 'requesting' | 'bound' | 'renewing' | 'rebinding' | 'releasing' | 'stopped';

export type Dhcpv6ClientEvent =
  | { readonly type: 'bound'; readonly lease: Dhcpv6Lease; readonly rapidCommit: boolean }
  | { readonly type: 'renewed'; readonly lease: Dhcpv6Lease; readonly by: 'renew' | 'rebind' }
  /** The prefixes' valid lifetimes ended (or a server took them away): soliciting again. */
  | { readonly type: 'lost'; readonly reason: string }
  /** A server said there is no prefix for us (NoPrefixAvail, §18.2.10.1): soliciting again. */
  | { readonly type: 'no-prefix'; readonly status: number; readonly message: string }
  | { readonly type: 'released' };

interface Exchange {
  readonly msgType: number;
  readonly xid: number;
  readonly start: number;
  readonly irt: number;
  readonly mrt: number;
  readonly mrc: number;
  /** Absolute end (MRD), undefined: none. */
  readonly mrdEnd: number | undefined;
  rt: number;
  rc: number;
  next: number;
  /** Solicit: when the first RT ends (Advertises are collected until then, §18.2.1). */
  firstRtEnd: number;
}

interface Advertised {
  readonly server: Duid;
  readonly preference: number;
  readonly prefixes: DelegatedPrefix[];
  readonly order: number;
}

/** No Advertise collected: one empty list for every client (a bound one holds none). */
const NO_ADVERTISES: Advertised[] = Object.freeze([]) as unknown as Advertised[];

/**
 * The server's DUID as a copy of its own: the parsed one is a view into the received packet,
 * and a lease kept for hours would keep that whole buffer (a slab of received frames, on a
 * real interface) alive with it. Every client of one server holds that server's DUID: the
 * last one kept is handed out again when equal, its bytes shared (sharedBytes).
 */
let lastServerDuid: Duid | undefined;
function keptDuid(d: Duid): Duid {
  if (lastServerDuid !== undefined && duidEqual(lastServerDuid, d)) return lastServerDuid;
  let k: Duid;
  switch (d.kind) {
    case 'llt': k = { kind: 'llt', hardwareType: d.hardwareType, time: d.time, linkLayer: sharedBytes(d.linkLayer) }; break;
    case 'en': k = { kind: 'en', enterprise: d.enterprise, identifier: sharedBytes(d.identifier) }; break;
    case 'll': k = { kind: 'll', hardwareType: d.hardwareType, linkLayer: sharedBytes(d.linkLayer) }; break;
    case 'uuid': k = { kind: 'uuid', uuid: sharedBytes(d.uuid) }; break;
    default: k = { kind: 'raw', type: d.type, data: sharedBytes(d.data) };
  }
  return (lastServerDuid = k);
}

function duidEqual(a: Duid, b: Duid): boolean {
  if (a.kind !== b.kind) return false;
  switch (a.kind) {
    case 'llt': { const x = b as typeof a; return a.hardwareType === x.hardwareType && a.time === x.time && bytesEqual(a.linkLayer, x.linkLayer); }
    case 'en': { const x = b as typeof a; return a.enterprise === x.enterprise && bytesEqual(a.identifier, x.identifier); }
    case 'll': { const x = b as typeof a; return a.hardwareType === x.hardwareType && bytesEqual(a.linkLayer, x.linkLayer); }
    case 'uuid': return bytesEqual(a.uuid, (b as typeof a).uuid);
    default: { const x = b as typeof a; return a.type === x.type && bytesEqual(a.data, x.data); }
  }
}

export class Dhcpv6Client {
  state: Dhcpv6ClientState = 'init';
  lease: Dhcpv6Lease | undefined;
  private x: Exchange | undefined;
  /** The first Solicit waits SOL_MAX_DELAY at most (§18.2.1). */
  private startAt: number | undefined;
  private t1At: number | undefined;
  private t2At: number | undefined;
  private validUntil: number | undefined;
  private advertises: Advertised[] = NO_ADVERTISES;
  /** NoPrefixAvail answers in a row (the wait before the next Solicit doubles with them). */
  private refusals = 0;
  private adOrder = 0;
  /** SOL_MAX_RT, updated by the server's option 82 (§21.24). */
  private solMaxRt: number = DHCPV6_TIMING.SOL_MAX_RT;
  private tx: Uint8Array[] | undefined;
  private events: Dhcpv6ClientEvent[] | undefined;
  constructor(readonly cfg: Dhcpv6ClientConfig, readonly counters: Counters = {}) {
    // Encoded once here so that a DUID that cannot be encoded stops the start; a reply's
    // Client Identifier is compared with it encoded again (a few replies per lease), not kept.
    encodedDuid(cfg.duid);
  }

  /** The interface is up: Solicit after a random delay in [0, SOL_MAX_DELAY]. Again later: nothing (already running). */
  start(now: number): void {
    if (this.state !== 'init' && this.state !== 'stopped') return;
    this.state = 'soliciting';
    this.startAt = now + Math.floor(this.cfg.random() * DHCPV6_TIMING.SOL_MAX_DELAY);
  }

  /** The link is gone: forget everything without a word (nothing can be sent any more). */
  stop(): void {
    this.state = 'stopped';
    this.x = undefined;
    this.startAt = this.t1At = this.t2At = this.validUntil = undefined;
    this.lease = undefined;
    this.advertises = NO_ADVERTISES;
  }

  /**
   * Gives the prefixes back (§18.2.7) before a hang-up. Returns whether a Release was sent.
   * The owner hangs up right after, so later retransmissions have no link to go out on;
   * they stop with `stop()`.
   */
  release(now: number): boolean {
    const l = this.lease;
    if (!l || (this.state !== 'bound' && this.state !== 'renewing' && this.state !== 'rebinding')) return false;
    this.t1At = this.t2At = this.validUntil = undefined;
    this.state = 'releasing';
    this.begin(T.RELEASE, DHCPV6_TIMING.REL_TIMEOUT, 0, DHCPV6_TIMING.REL_MAX_RC, undefined, now);
    return true;
  }

  /** Bound, renewing or rebinding: the prefixes are ours. */
  get bound(): boolean {
    return this.lease !== undefined && (this.state === 'bound' || this.state === 'renewing' || this.state === 'rebinding');
  }

  // ---- retransmission (§15)

  /** RAND, uniform in [-0.1, 0.1]; for the first RT of a Solicit strictly above 0 (§15). */
  private rand(firstSolicit: boolean): number {
    const r = this.cfg.random();
    return firstSolicit ? (1 - r) * 0.1 : r * 0.2 - 0.1;
  }

  private begin(msgType: number, irt: number, mrt: number, mrc: number, mrdEnd: number | undefined, now: number): void {
    const rt = irt + this.rand(msgType === T.SOLICIT) * irt;
    // Transaction ids: 24 bits from the seeded source (§16.1 "a new transaction ID for each exchange").
    const xid = Math.floor(this.cfg.random() * 0x1000000) & 0xffffff;
    this.x = { msgType, xid, start: now, irt, mrt, mrc, mrdEnd, rt, rc: 0, next: now + rt, firstRtEnd: now + rt };
    this.transmit(now);
  }

  private transmit(now: number): void {
    const x = this.x!;
    x.rc++;
    if (x.rc > 1) count(this.counters, 'dhcpv6-client.retransmit');
    count(this.counters, `dhcpv6-client.sent-${x.msgType}`);
    (this.tx ??= []).push(encodeInCell(dhcpv6, { kind: 'message', msgType: x.msgType, transactionId: x.xid, options: this.options(x, now) }));
  }

  /** The next RT (§15): RT = 2·RTprev + RAND·RTprev, capped to MRT + RAND·MRT. */
  private backoff(now: number): void {
    const x = this.x!;
    let rt = 2 * x.rt + this.rand(false) * x.rt;
    if (x.mrt > 0 && rt > x.mrt) rt = x.mrt + this.rand(false) * x.mrt;
    // §15: "MRD ... the time at which the message exchange ends"; the last wait stops at it.
    if (x.mrdEnd !== undefined && now + rt > x.mrdEnd) rt = Math.max(0, x.mrdEnd - now);
    x.rt = rt;
    x.next = now + rt;
  }

  private options(x: Exchange, now: number): Dhcpv6Option[] {
    const l = this.lease;
    // §21.9: hundredths of a second since the exchange began, 0xffff beyond.
    const elapsed: Dhcpv6Option = { kind: 'elapsed-time', value: Math.min(0xffff, Math.round((now - x.start) / 10)) };
    const client: Dhcpv6Option = { kind: 'client-id', duid: this.cfg.duid };
    // §18.2.1/§18.2.2: the ORO asks for SOL_MAX_RT and the DNS servers (RFC 3646).
    const oro: Dhcpv6Option = { kind: 'oro', codes: [Dhcpv6OptionCode.DNS_SERVERS, Dhcpv6OptionCode.SOL_MAX_RT] };
    const iapd = (prefixes: readonly DelegatedPrefix[], lifetimes: boolean): Dhcpv6Option => ({
      kind: 'ia-pd', iaid: this.cfg.iaid, t1: 0, t2: 0,
      options: prefixes.map((p) => ({ kind: 'ia-prefix', preferredLifetime: lifetimes ? p.preferredLifetime : 0, validLifetime: lifetimes ? p.validLifetime : 0, prefixLength: p.length, prefix: p.prefix, options: [] })),
    });
    switch (x.msgType) {
      case T.SOLICIT: {
        const hint = this.cfg.prefixLengthHint;
        const out: Dhcpv6Option[] = [client, elapsed, oro, iapd(hint === undefined ? [] : [{ prefix: new Uint8Array(16), length: hint, preferredLifetime: 0, validLifetime: 0 }], false)];
        if (this.cfg.rapidCommit ?? true) out.push({ kind: 'rapid-commit' });
        return out;
      }
      case T.REQUEST: {
        const a = this.chosen!;
        return [client, { kind: 'server-id', duid: a.server }, elapsed, oro, iapd(a.prefixes, true)];
      }
      case T.RENEW:
        return [client, { kind: 'server-id', duid: l!.server }, elapsed, oro, iapd(l!.prefixes, true)];
      case T.REBIND:
        // §18.2.5: no Server Identifier, any server may answer.
        return [client, elapsed, oro, iapd(l!.prefixes, true)];
      default: // RELEASE (§18.2.7)
        return [client, { kind: 'server-id', duid: l!.server }, elapsed, iapd(l!.prefixes, false)];
    }
  }

  private chosen: Advertised | undefined;

  private solicit(now: number): void {
    this.state = 'soliciting';
    this.advertises = NO_ADVERTISES;
    this.chosen = undefined;
    this.begin(T.SOLICIT, DHCPV6_TIMING.SOL_TIMEOUT, this.solMaxRt, 0, undefined, now);
  }

  private request(a: Advertised, now: number): void {
    this.chosen = a;
    this.advertises = NO_ADVERTISES;
    this.state = 'requesting';
    this.begin(T.REQUEST, DHCPV6_TIMING.REQ_TIMEOUT, DHCPV6_TIMING.REQ_MAX_RT, DHCPV6_TIMING.REQ_MAX_RC, undefined, now);
  }

  nextTimeout(): number | undefined {
    return earliest(this.startAt, this.x?.next, this.t1At, this.t2At, this.validUntil);
  }

  handleTimeout(now: number): void {
    if (this.startAt !== undefined && now >= this.startAt) {
      this.startAt = undefined;
      this.solicit(now);
    }
    if (this.validUntil !== undefined && now >= this.validUntil) {
      // §18.2.5: Rebind ends when the valid lifetimes end; the prefixes are no longer ours.
      this.dropLease('valid-lifetime-expired', now);
      return;
    }
    if (this.t2At !== undefined && now >= this.t2At) {
      this.t1At = this.t2At = undefined;
      this.state = 'rebinding';
      this.begin(T.REBIND, DHCPV6_TIMING.REB_TIMEOUT, DHCPV6_TIMING.REB_MAX_RT, 0, this.validUntil, now);
    } else if (this.t1At !== undefined && now >= this.t1At) {
      this.t1At = undefined;
      this.state = 'renewing';
      // §18.2.4: Renew's MRD is the time until T2.
      this.begin(T.RENEW, DHCPV6_TIMING.REN_TIMEOUT, DHCPV6_TIMING.REN_MAX_RT, 0, this.t2At, now);
    }
    const x = this.x;
    if (!x || now < x.next) return;
    if (x.msgType === T.SOLICIT && this.advertises.length > 0) {
      // §18.2.1: at the end of the first RT, the best Advertise collected.
      this.request(this.best()!, now);
      return;
    }
    if ((x.mrc > 0 && x.rc >= x.mrc) || (x.mrdEnd !== undefined && now >= x.mrdEnd)) {
      this.x = undefined;
      count(this.counters, `dhcpv6-client.exchange-failed-${x.msgType}`);
      if (x.msgType === T.REQUEST) this.solicit(now);
      else if (x.msgType === T.RELEASE) {
        // §18.2.7: no Reply after REL_MAX_RC: the Release is abandoned, the prefixes are given up all the same.
        this.state = 'stopped';
        this.lease = undefined;
      }
      // Renew ends at T2 (Rebind starts above), Rebind at the valid lifetime (handled above).
      return;
    }
    this.transmit(now);
    this.backoff(now);
  }

  /** §18.2.9: highest preference, then the first received. */
  private best(): Advertised | undefined {
    let b: Advertised | undefined;
    for (const a of this.advertises) if (!b || a.preference > b.preference || (a.preference === b.preference && a.order < b.order)) b = a;
    return b;
  }

  /** A DHCPv6 message from UDP port 547 to our port 546. */
  handle(bytes: Uint8Array, now: number): void {
    const r = parseDhcpv6(bytes);
    if (!r.ok) return this.drop(`malformed.${r.error.code}`);
    const m = r.value;
    if (m.kind !== 'message') return this.drop('not-client-server');
    if (m.msgType !== T.ADVERTISE && m.msgType !== T.REPLY) return this.drop(`unexpected-type-${m.msgType}`);
    const x = this.x;
    if (!x) return this.drop('no-exchange');
    if (m.transactionId !== x.xid) return this.drop('transaction-id-mismatch');
    // §16.3, §16.10: discard without a Client Identifier or with one that is not ours; without a Server Identifier.
    const cid = m.options.find((o) => o.kind === 'client-id' || (o.kind === 'raw' && o.code === Dhcpv6OptionCode.CLIENTID));
    if (!cid) return this.drop('no-client-id');
    if (cid.kind !== 'client-id' || !bytesEqual(encodedDuid(cid.duid), encodedDuid(this.cfg.duid))) return this.drop('client-id-mismatch');
    const sid = findOption(m.options, 'server-id');
    if (!sid) return this.drop('no-server-id');
    this.solMaxRtOption(m.options);
    if (m.msgType === T.ADVERTISE) {
      if (x.msgType !== T.SOLICIT) return this.drop('advertise-not-soliciting');
      return this.advertise(m.options, keptDuid(sid.duid), x, now);
    }
    if (x.msgType === T.SOLICIT) {
      // §18.2.1: a Reply to Solicit counts only with Rapid Commit, which we must have offered.
      if (!(this.cfg.rapidCommit ?? true) || !findOption(m.options, 'rapid-commit')) return this.drop('reply-to-solicit-without-rapid-commit');
    }
    this.reply(m.options, keptDuid(sid.duid), x, now);
  }

  private advertise(opts: readonly Dhcpv6Option[], server: Duid, x: Exchange, now: number): void {
    const top = findOption(opts, 'status');
    if (top && top.status !== Dhcpv6Status.SUCCESS) return this.drop(`advertise-status-${top.status}`);
    const ia = this.ourIaPd(opts);
    const prefixes = ia ? this.prefixesOf(ia) : [];
    // §18.2.9: an Advertise with no delegated prefix is ignored (its SOL_MAX_RT is taken, above).
    if (prefixes.length === 0) return this.drop('advertise-no-prefix');
    const a: Advertised = { server, preference: findOption(opts, 'preference')?.value ?? 0, prefixes, order: this.adOrder++ };
    count(this.counters, 'dhcpv6-client.advertise');
    if (this.advertises.length >= MAX_ADVERTISES) {
      count(this.counters, 'dhcpv6-client.advertise-table-full');
      let worst = 0;
      for (let i = 1; i < this.advertises.length; i++) if (this.advertises[i]!.preference < this.advertises[worst]!.preference) worst = i;
      if (this.advertises[worst]!.preference >= a.preference) return;
      this.advertises.splice(worst, 1);
    }
    if (this.advertises === NO_ADVERTISES) this.advertises = [];
    this.advertises.push(a);
    // §18.2.1: preference 255 goes at once; after the first RT the first Advertise goes at once.
    if (a.preference === 255 || now >= x.firstRtEnd) this.request(this.best()!, now);
  }

  private reply(opts: readonly Dhcpv6Option[], server: Duid, x: Exchange, now: number): void {
    const top = findOption(opts, 'status');
    if (x.msgType === T.RELEASE) {
      // §18.2.10.2: whatever the status, the Release is done.
      this.x = undefined;
      this.lease = undefined;
      this.state = 'stopped';
      (this.events ??= []).push({ type: 'released' });
      return;
    }
    if (top && top.status !== Dhcpv6Status.SUCCESS) {
      // §18.2.10: UnspecFail / UseMulticast: the message may be sent again (we send to the multicast address already), so the retransmission goes on.
      return this.drop(`reply-status-${top.status}`);
    }
    const ia = this.ourIaPd(opts);
    const iaStatus = ia ? findOption(ia.options, 'status') : undefined;
    if (x.msgType === T.RENEW || x.msgType === T.REBIND) {
      if (iaStatus?.status === Dhcpv6Status.NO_BINDING) {
        // §18.2.10.1: the server has no binding for this IA: Request it (with the prefixes we hold).
        count(this.counters, 'dhcpv6-client.no-binding');
        const l = this.lease!;
        this.t1At = this.t2At = undefined;
        this.request({ server, preference: 0, prefixes: [...l.prefixes], order: 0 }, now);
        return;
      }
    }
    const prefixes = ia && (!iaStatus || iaStatus.status === Dhcpv6Status.SUCCESS) ? this.prefixesOf(ia) : [];
    if (prefixes.length === 0) {
      if (x.msgType === T.RENEW || x.msgType === T.REBIND) {
        // Nothing renewed: keep what we hold and keep asking until T2 / the valid lifetime.
        return this.drop('reply-ia-not-renewed');
      }
      // §18.2.10.1 NoPrefixAvail (or no IA_PD at all) to Request / Rapid Commit: this server has nothing; look again.
      const st = iaStatus ?? { status: Dhcpv6Status.NO_PREFIX_AVAIL, message: new Uint8Array(0) };
      count(this.counters, 'dhcpv6-client.no-prefix');
      (this.events ??= []).push({ type: 'no-prefix', status: st.status, message: new TextDecoder().decode(st.message) });
      // Solicit again, but not at once: a server that always says NoPrefixAvail (and Advertises 255) would
      // otherwise have us Solicit and Request in a loop as fast as it answers. The wait doubles per refusal, up to SOL_MAX_RT.
      this.x = undefined;
      this.state = 'soliciting';
      const wait = Math.min(this.solMaxRt, DHCPV6_TIMING.SOL_TIMEOUT * 2 ** Math.min(this.refusals++, 20));
      this.startAt = now + Math.round(wait * (1 + this.rand(false)));
      return;
    }
    // §21.21: T1 > T2 (both non-zero) discards the IA_PD.
    if (ia!.t1 > ia!.t2 && ia!.t2 > 0) return this.drop('reply-t1-above-t2');
    const shortest = Math.min(...prefixes.map((p) => p.preferredLifetime));
    const validMax = Math.max(...prefixes.map((p) => p.validLifetime));
    // §21.21: a zero T1/T2 leaves them to us: 0.5 and 0.8 of the shortest preferred lifetime (§14.2's recommendation).
    const t1 = ia!.t1 !== 0 ? ia!.t1 : shortest === DHCPV6_INFINITY ? DHCPV6_INFINITY : Math.floor(shortest * 0.5);
    const t2 = ia!.t2 !== 0 ? ia!.t2 : shortest === DHCPV6_INFINITY ? DHCPV6_INFINITY : Math.floor(shortest * 0.8);
    const dns = (findOption(opts, 'dns-servers')?.servers ?? []).slice(0, MAX_DNS).map((s) => sharedBytes(s));
    // The lease lives for the session: its bytes are slab copies, none a view of the received packet.
    const lease: Dhcpv6Lease = { server, prefixes, t1, t2, dns, at: now };
    const was = x.msgType;
    this.x = undefined;
    // The Advertise we requested from is done with (it holds views of its packet).
    this.chosen = undefined;
    this.refusals = 0;
    this.lease = lease;
    this.state = 'bound';
    this.t1At = t1 === DHCPV6_INFINITY ? undefined : now + t1 * 1000;
    this.t2At = t2 === DHCPV6_INFINITY ? undefined : now + t2 * 1000;
    this.validUntil = validMax === DHCPV6_INFINITY ? undefined : now + validMax * 1000;
    if (was === T.RENEW || was === T.REBIND) (this.events ??= []).push({ type: 'renewed', lease, by: was === T.RENEW ? 'renew' : 'rebind' });
    else (this.events ??= []).push({ type: 'bound', lease, rapidCommit: was === T.SOLICIT });
  }

  private ourIaPd(opts: readonly Dhcpv6Option[]): Extract<Dhcpv6Option, { kind: 'ia-pd' }> | undefined {
    for (const o of opts) if (o.kind === 'ia-pd' && o.iaid === this.cfg.iaid) return o;
    return undefined;
  }

  /** The usable IA Prefixes of an IA_PD (§21.22: preferred above valid is discarded; a zero valid lifetime is a prefix given back), bounded. */
  private prefixesOf(ia: Extract<Dhcpv6Option, { kind: 'ia-pd' }>): DelegatedPrefix[] {
    const out: DelegatedPrefix[] = [];
    for (const o of ia.options) {
      if (o.kind !== 'ia-prefix') continue;
      if (o.preferredLifetime > o.validLifetime) { count(this.counters, 'dhcpv6-client.drop.prefix-preferred-above-valid'); continue; }
      if (o.validLifetime === 0) continue;
      if (o.prefixLength > 128) { count(this.counters, 'dhcpv6-client.drop.prefix-length'); continue; }
      if (out.length >= MAX_PREFIXES) { count(this.counters, 'dhcpv6-client.drop.prefix-table-full'); break; }
      const status = findOption(o.options, 'status');
      if (status && status.status !== Dhcpv6Status.SUCCESS) continue;
      out.push({ prefix: keptBytes(o.prefix), length: o.prefixLength, preferredLifetime: o.preferredLifetime, validLifetime: o.validLifetime });
    }
    // Kept with the lease: an array of exact length (a pushed-to one holds 17 slots).
    return out.slice();
  }

  /** §21.24: SOL_MAX_RT from a server, taken within 60..86400 s. */
  private solMaxRtOption(opts: readonly Dhcpv6Option[]): void {
    for (const o of opts) {
      if (o.kind !== 'raw' || o.code !== Dhcpv6OptionCode.SOL_MAX_RT || o.data.length !== 4) continue;
      const s = ((o.data[0]! << 24) | (o.data[1]! << 16) | (o.data[2]! << 8) | o.data[3]!) >>> 0;
      if (s >= 60 && s <= 86400) this.solMaxRt = s * 1000;
    }
  }

  private dropLease(reason: string, now: number): void {
    count(this.counters, `dhcpv6-client.lost.${reason}`);
    this.lease = undefined;
    this.t1At = this.t2At = this.validUntil = undefined;
    this.x = undefined;
    (this.events ??= []).push({ type: 'lost', reason });
    this.solicit(now);
  }

  private drop(reason: string): void {
    count(this.counters, `dhcpv6-client.drop.${reason}`);
  }

  pollTransmit(): Uint8Array | undefined {
    // A drained queue is let go: an idle machine holds no array.
    const q = this.tx;
    if (q === undefined) return undefined;
    const x = q.shift();
    if (q.length === 0) this.tx = undefined;
    return x;
  }

  pollEvent(): Dhcpv6ClientEvent | undefined {
    // A drained queue is let go: an idle machine holds no array.
    const q = this.events;
    if (q === undefined) return undefined;
    const x = q.shift();
    if (q.length === 0) this.events = undefined;
    return x;
  }

  show(now: number): unknown {
    const l = this.lease;
    return {
      state: this.state,
      ...(l ? {
        prefixes: l.prefixes.map((p) => `${ipv6ToString(p.prefix)}/${p.length}`),
        t1: l.t1, t2: l.t2,
        renewInMs: this.t1At === undefined ? undefined : Math.max(0, this.t1At - now),
        rebindInMs: this.t2At === undefined ? undefined : Math.max(0, this.t2At - now),
        dns: l.dns.map((d) => ipv6ToString(d)),
      } : {}),
      ...(this.x ? { exchange: this.x.msgType, transmissions: this.x.rc } : {}),
    };
  }
}

function encodedDuid(d: Duid): Uint8Array {
  const b = new Uint8Array(duidLength(d));
  emitDuid(d, b, 0);
  return b;
}
