/**
 * A DHCPv6 server for point-to-point subscriber links (RFC 8415 §16, §18.3), sans-IO: each
 * link (one PPP session) has at most one delegated prefix, given by its owner, and at most one
 * binding (one client DUID and IA_PD IAID) holding it, and likewise at most one address of
 * the link's /64 for an IA_NA; a message is answered only on the link it came from, so no
 * session ever sees, renews or releases another's prefix. Peer input never throws: a message
 * the RFC says to discard is counted by reason (`dhcpv6.drop.<reason>`).
 */
import { hex, textBytes } from '../wire/bytes.js';
import {
  Dhcpv6MessageType as T, Dhcpv6OptionCode as OC, Dhcpv6Status, duidLength, emitDuid, findOption, parseDhcpv6,
  type Dhcpv6ClientServer, type Dhcpv6Option, type Duid,
} from '../wire/dhcpv6.js';
import { Outbox } from './outbox.js';
import type { Counters } from './ppp-common.js';
import { prefixContains, type Ipv6Prefix } from './prefix-pool6.js';

export interface Dhcpv6ServerConfig {
  /** Our Server Identifier (§11); a DUID-LL of a MAC of ours is stable across restarts. */
  readonly serverDuid: Duid;
  /** IA Prefix lifetimes, s. */
  readonly preferredLifetime: number;
  readonly validLifetime: number;
  /** T1/T2 of an IA_PD, s (§21.21: 0.5 and 0.8 of the preferred lifetime by default, §14.2). */
  readonly t1: number;
  readonly t2: number;
  /** Answer a Solicit carrying Rapid Commit with a committed Reply (§18.3.1). */
  readonly rapidCommit: boolean;
  /** Preference option in Advertise (§21.8); 255 makes the client take us at once. */
  readonly preference: number;
  /** DNS recursive name servers (RFC 3646) when the client asks for them in its ORO. */
  readonly dns: readonly Uint8Array[];
  /** Messages waiting to be sent at most (a bound; refusals counted). */
  readonly outboxLimit: number;
  /**
   * Messages taken from one link per second at most; the rest are dropped and counted. A
   * client retransmits at most about once a second (RFC 8415 §15: IRT of 1 s for Solicit,
   * Request, Renew...), so this only stops a subscriber that floods.
   */
  readonly maxPerLinkPerSecond: number;
}

export function dhcpv6ServerConfig(c: Partial<Dhcpv6ServerConfig> & { serverDuid: Duid }): Dhcpv6ServerConfig {
  const preferredLifetime = c.preferredLifetime ?? 3600;
  return {
    preferredLifetime,
    validLifetime: 7200,
    t1: Math.floor(preferredLifetime * 0.5),
    t2: Math.floor(preferredLifetime * 0.8),
    rapidCommit: true,
    preference: 255,
    dns: [],
    outboxLimit: 65_536,
    maxPerLinkPerSecond: 20,
    ...c,
  };
}

/** What the owner says about one link. */
export interface Dhcpv6LinkInfo {
  /** The one prefix this link may delegate (undefined: none, every IA_PD gets NoPrefixAvail). */
  readonly delegated?: Ipv6Prefix;
  /** The link's on-link prefix, for Confirm (§18.3.3). */
  readonly onLink?: Ipv6Prefix;
  /** The one address an IA_NA may have on this link (undefined: NoAddrsAvail, SLAAC only). */
  readonly address?: Uint8Array;
}

export interface Dhcpv6Transmit<L> {
  readonly link: L;
  /** The client's source address (a link-local), port 546 (§7.2). */
  readonly dst: Uint8Array;
  readonly message: Dhcpv6ClientServer;
}

export type Dhcpv6ServerEvent<L> =
  | { readonly type: 'bound'; readonly link: L; readonly prefix: Ipv6Prefix; readonly clientDuid: string; readonly iaid: number }
  | { readonly type: 'released'; readonly link: L; readonly prefix: Ipv6Prefix; readonly clientDuid: string }
  | { readonly type: 'address-bound'; readonly link: L; readonly address: Uint8Array; readonly clientDuid: string; readonly iaid: number }
  | { readonly type: 'address-released'; readonly link: L; readonly address: Uint8Array; readonly declined: boolean };

interface Binding {
  readonly duid: string;
  readonly iaid: number;
  /** ms: when the valid lifetime ends without a Renew/Rebind (then the binding is gone). */
  validUntil: number;
}

interface LinkState {
  info: Dhcpv6LinkInfo;
  /** IA_PD's hold on `info.delegated`. */
  binding: Binding | undefined;
  /** IA_NA's hold on `info.address`. */
  naBinding: Binding | undefined;
  /** The client declined the address (§18.3.8: it is not given again on this link). */
  declined: boolean;
  /** The rate limit's one-second window: its start and the messages taken in it. */
  windowStart: number;
  windowCount: number;
}

function duidKey(d: Duid): string {
  const b = new Uint8Array(duidLength(d));
  emitDuid(d, b, 0);
  return hex(b);
}

function status(code: number, text: string): Dhcpv6Option {
  return { kind: 'status', status: code, message: textBytes(text) };
}

export class Dhcpv6Server<L> {
  private readonly links = new Map<L, LinkState>();
  private readonly out: Outbox<Dhcpv6Transmit<L>>;
  private readonly events: Outbox<Dhcpv6ServerEvent<L>>;
  readonly serverKey: string;

  constructor(
    readonly cfg: Dhcpv6ServerConfig,
    /** `dhcpv6.rx.<type>`, `dhcpv6.tx.<type>`, `dhcpv6.drop.<reason>`, `dhcpv6.no-prefix`... */
    readonly counters: Counters = {},
  ) {
    this.out = new Outbox(cfg.outboxLimit);
    this.events = new Outbox(cfg.outboxLimit);
    this.serverKey = duidKey(cfg.serverDuid);
  }

  /** A link starts (IPV6CP up): its prefix, or a new one for it. */
  openLink(link: L, info: Dhcpv6LinkInfo): void {
    const s = this.links.get(link);
    if (s) {
      s.info = info;
      if (s.binding && !info.delegated) s.binding = undefined;
      if (s.naBinding && !info.address) s.naBinding = undefined;
    } else this.links.set(link, { info, binding: undefined, naBinding: undefined, declined: false, windowStart: -Infinity, windowCount: 0 });
  }

  /** The link is gone: its binding with it. */
  closeLink(link: L): void {
    this.links.delete(link);
  }

  get linkCount(): number {
    return this.links.size;
  }

  /** The live binding of a link, if any. */
  binding(link: L, now: number): { prefix: Ipv6Prefix; clientDuid: string; iaid: number } | undefined {
    const s = this.links.get(link);
    const b = s && this.liveBinding(s, now);
    return b && s.info.delegated ? { prefix: s.info.delegated, clientDuid: b.duid, iaid: b.iaid } : undefined;
  }

  /** The live IA_NA binding of a link, if any. */
  addressBinding(link: L, now: number): { address: Uint8Array; clientDuid: string; iaid: number } | undefined {
    const s = this.links.get(link);
    const b = s && this.liveNa(s, now);
    return b && s.info.address ? { address: s.info.address, clientDuid: b.duid, iaid: b.iaid } : undefined;
  }

  pollTransmit(): Dhcpv6Transmit<L> | undefined {
    return this.out.shift();
  }

  pollEvent(): Dhcpv6ServerEvent<L> | undefined {
    return this.events.shift();
  }

  /** Outputs refused because a queue was full. */
  get refused(): number {
    return this.out.refused + this.events.refused;
  }

  /**
   * A UDP payload to port 547 from `src` on `link`. `multicast` is whether it was sent to
   * All_DHCP_Relay_Agents_and_Servers (ff02::1:2) rather than to our unicast address.
   */
  handle(link: L, src: Uint8Array, multicast: boolean, payload: Uint8Array, now: number): void {
    const s = this.links.get(link);
    if (!s) return this.drop('no-link');
    if (now - s.windowStart >= 1000) {
      s.windowStart = now;
      s.windowCount = 0;
    }
    if (++s.windowCount > this.cfg.maxPerLinkPerSecond) return this.drop('rate-limited');
    const p = parseDhcpv6(payload);
    if (!p.ok) return this.drop(`malformed.${p.error.code}`);
    const m = p.value;
    if (m.kind !== 'message') return this.drop(`type-${m.msgType}`);
    this.count(`dhcpv6.rx.${m.msgType}`);
    const client = findOption(m.options, 'client-id');
    const server = findOption(m.options, 'server-id');
    const ours = server !== undefined && duidKey(server.duid) === this.serverKey;
    switch (m.msgType) {
      case T.SOLICIT:
      case T.CONFIRM:
      case T.REBIND:
        // §16.2, §16.5, §16.7: a Client Identifier, and no Server Identifier.
        if (!client) return this.drop('no-client-id');
        if (server) return this.drop('server-id-present');
        break;
      case T.REQUEST:
      case T.RENEW:
      case T.RELEASE:
      case T.DECLINE:
        // §16.4, §16.6, §16.8, §16.9: both, and the Server Identifier ours.
        if (!client) return this.drop('no-client-id');
        if (!server) return this.drop('no-server-id');
        if (!ours) return this.drop('not-our-server-id');
        // §18.3.2 ff.: we never sent a Server Unicast option, so unicast earns UseMulticast.
        if (!multicast) {
          this.count('dhcpv6.use-multicast');
          return this.send(link, src, m, T.REPLY, [status(Dhcpv6Status.USE_MULTICAST, 'Use multicast')]);
        }
        break;
      case T.INFORMATION_REQUEST:
        // §16.12: a Server Identifier must be ours; no IA may be present.
        if (server && !ours) return this.drop('not-our-server-id');
        if (m.options.some((o) => o.kind === 'ia-na' || o.kind === 'ia-pd' || (o.kind === 'raw' && o.code === OC.IA_TA))) return this.drop('ia-in-information-request');
        break;
      default:
        // Advertise, Reply, Reconfigure... are a server's messages, not a client's (§16.1).
        return this.drop(`type-${m.msgType}`);
    }
    const duid = client ? duidKey(client.duid) : undefined;
    switch (m.msgType) {
      case T.SOLICIT: return this.solicit(link, s, src, m, duid!, now);
      case T.REQUEST: return this.assign(link, s, src, m, duid!, now, T.REPLY, []);
      case T.RENEW:
      case T.REBIND: return this.extend(link, s, src, m, duid!, now);
      case T.RELEASE: return this.release(link, s, src, m, duid!, now);
      case T.DECLINE: return this.decline(link, s, src, m, duid!, now);
      case T.CONFIRM: return this.confirm(link, s, src, m);
      case T.INFORMATION_REQUEST: return this.send(link, src, m, T.REPLY, this.otherOptions(m, true));
    }
  }

  // ---- §18.3.1 Solicit ----------------------------------------------------------------

  private solicit(link: L, s: LinkState, src: Uint8Array, m: Dhcpv6ClientServer, duid: string, now: number): void {
    const rapid = this.cfg.rapidCommit && m.options.some((o) => o.kind === 'rapid-commit');
    const any = m.options.some((o) => (o.kind === 'ia-pd' && this.canAssign(s, duid, o.iaid, now)) || (o.kind === 'ia-na' && this.canAssignNa(s, duid, o.iaid, now)));
    if (rapid && any) {
      this.count('dhcpv6.rapid-commit');
      return this.assign(link, s, src, m, duid, now, T.REPLY, [{ kind: 'rapid-commit' }]);
    }
    return this.assign(link, s, src, m, duid, now, T.ADVERTISE, [{ kind: 'preference', value: this.cfg.preference }]);
  }

  /** Whether an IA_PD of this client can have the link's prefix now: there is one, and no other live binding holds it. */
  private canAssign(s: LinkState, duid: string, iaid: number, now: number): boolean {
    if (!s.info.delegated) return false;
    const b = this.liveBinding(s, now);
    return !b || (b.duid === duid && b.iaid === iaid);
  }

  /** The same for an IA_NA and the link's address (not after a Decline of it). */
  private canAssignNa(s: LinkState, duid: string, iaid: number, now: number): boolean {
    if (!s.info.address || s.declined) return false;
    const b = this.liveNa(s, now);
    return !b || (b.duid === duid && b.iaid === iaid);
  }

  /**
   * Advertise (nothing committed) or Reply to a Request / Rapid-Commit Solicit (committed):
   * the link's prefix in the first IA_PD that may have it, NoPrefixAvail in any other
   * (§18.3.9, RFC 3633 errata 2470); likewise the link's address in the first IA_NA that may
   * have it, NoAddrsAvail in any other.
   */
  private assign(link: L, s: LinkState, src: Uint8Array, m: Dhcpv6ClientServer, duid: string, now: number, type: number, extra: Dhcpv6Option[]): void {
    const commit = type === T.REPLY;
    const ias: Dhcpv6Option[] = [];
    let given = false;
    let givenNa = false;
    for (const o of m.options) {
      if (o.kind === 'ia-na') {
        if (!givenNa && this.canAssignNa(s, duid, o.iaid, now)) {
          givenNa = true;
          ias.push(this.iaNa(o.iaid, s.info.address!, this.cfg.preferredLifetime, this.cfg.validLifetime));
          if (commit) this.bindNa(link, s, duid, o.iaid, now);
        } else {
          this.count('dhcpv6.no-address');
          ias.push({ kind: 'ia-na', iaid: o.iaid, t1: 0, t2: 0, options: [status(Dhcpv6Status.NO_ADDRS_AVAIL, 'No address available: use SLAAC')] });
        }
      }
      if (o.kind !== 'ia-pd') continue;
      if (!given && this.canAssign(s, duid, o.iaid, now)) {
        given = true;
        ias.push(this.iaPd(o.iaid, s.info.delegated!, this.cfg.preferredLifetime, this.cfg.validLifetime));
        if (commit) this.bind(link, s, duid, o.iaid, now);
      } else {
        this.count('dhcpv6.no-prefix');
        ias.push({ kind: 'ia-pd', iaid: o.iaid, t1: 0, t2: 0, options: [status(Dhcpv6Status.NO_PREFIX_AVAIL, 'No prefix available')] });
      }
    }
    this.send(link, src, m, type, [...extra, ...ias, ...this.otherOptions(m, false)]);
  }

  private bind(link: L, s: LinkState, duid: string, iaid: number, now: number): void {
    const fresh = !s.binding || s.binding.duid !== duid || s.binding.iaid !== iaid;
    s.binding = { duid, iaid, validUntil: now + this.cfg.validLifetime * 1000 };
    if (fresh) this.events.push({ type: 'bound', link, prefix: s.info.delegated!, clientDuid: duid, iaid });
  }

  private bindNa(link: L, s: LinkState, duid: string, iaid: number, now: number): void {
    const fresh = !s.naBinding || s.naBinding.duid !== duid || s.naBinding.iaid !== iaid;
    s.naBinding = { duid, iaid, validUntil: now + this.cfg.validLifetime * 1000 };
    if (fresh) this.events.push({ type: 'address-bound', link, address: s.info.address!, clientDuid: duid, iaid });
  }

  private iaNa(iaid: number, a: Uint8Array, preferred: number, valid: number): Dhcpv6Option {
    return { kind: 'ia-na', iaid, t1: this.cfg.t1, t2: this.cfg.t2, options: [{ kind: 'ia-address', address: a, preferredLifetime: preferred, validLifetime: valid, options: [] }] };
  }

  private liveNa(s: LinkState, now: number): Binding | undefined {
    if (s.naBinding && s.naBinding.validUntil <= now) {
      this.count('dhcpv6.address-binding-expired');
      s.naBinding = undefined;
    }
    return s.naBinding;
  }

  private iaPd(iaid: number, p: Ipv6Prefix, preferred: number, valid: number): Dhcpv6Option {
    const t = preferred === 0 ? { t1: 0, t2: 0 } : { t1: this.cfg.t1, t2: this.cfg.t2 };
    return { kind: 'ia-pd', iaid, ...t, options: [{ kind: 'ia-prefix', preferredLifetime: preferred, validLifetime: valid, prefixLength: p.length, prefix: p.prefix, options: [] }] };
  }

  private liveBinding(s: LinkState, now: number): Binding | undefined {
    if (s.binding && s.binding.validUntil <= now) {
      this.count('dhcpv6.binding-expired');
      s.binding = undefined;
    }
    return s.binding;
  }

  // ---- §18.3.4 Renew, §18.3.5 Rebind -----------------------------------------------------

  private extend(link: L, s: LinkState, src: Uint8Array, m: Dhcpv6ClientServer, duid: string, now: number): void {
    const rebind = m.msgType === T.REBIND;
    const ias: Dhcpv6Option[] = [];
    const b = this.liveBinding(s, now);
    for (const o of m.options) {
      if (o.kind === 'ia-na') {
        const nb = this.liveNa(s, now);
        const a = s.info.address;
        const hasOurs = a !== undefined && o.options.some((x) => x.kind === 'ia-address' && sameAddress(x.address, a));
        const mineNa = nb && nb.duid === duid && nb.iaid === o.iaid;
        if (a && !s.declined && (mineNa || (rebind && !nb && hasOurs))) {
          this.bindNa(link, s, duid, o.iaid, now);
          const gone = o.options.filter((x) => x.kind === 'ia-address' && !sameAddress(x.address, a));
          const ia = this.iaNa(o.iaid, a, this.cfg.preferredLifetime, this.cfg.validLifetime);
          ias.push(ia.kind === 'ia-na' ? { ...ia, options: [...ia.options, ...this.zeroed(gone)] } : ia);
        } else if (rebind) {
          const z = this.zeroed(o.options);
          if (z.length) ias.push({ kind: 'ia-na', iaid: o.iaid, t1: 0, t2: 0, options: z });
        } else ias.push({ kind: 'ia-na', iaid: o.iaid, t1: 0, t2: 0, options: [status(Dhcpv6Status.NO_BINDING, 'No binding')] });
        continue;
      }
      if (o.kind !== 'ia-pd') continue;
      const mine = b && b.duid === duid && b.iaid === o.iaid;
      const d = s.info.delegated;
      // Rebind of the link's own prefix with no binding (the server lost it): bind again (§18.3.5 allows it).
      const rebound = !mine && rebind && d !== undefined && !b && o.options.some((x) => x.kind === 'ia-prefix' && isPrefix(x, d));
      if ((mine || rebound) && d) {
        this.bind(link, s, duid, o.iaid, now);
        // Prefixes the client has that are not the link's go back with lifetimes 0 (§18.3.4).
        const gone = o.options.filter((x) => x.kind === 'ia-prefix' && !(isPrefix(x, d)));
        const ia = this.iaPd(o.iaid, d, this.cfg.preferredLifetime, this.cfg.validLifetime);
        ias.push(ia.kind === 'ia-pd' ? { ...ia, options: [...ia.options, ...this.zeroed(gone)] } : ia);
      } else if (rebind) {
        // §18.3.5: prefixes we know are not for this client get lifetimes 0; nothing else said.
        const z = this.zeroed(o.options);
        if (z.length) ias.push({ kind: 'ia-pd', iaid: o.iaid, t1: 0, t2: 0, options: z });
      } else {
        this.count('dhcpv6.no-binding');
        ias.push({ kind: 'ia-pd', iaid: o.iaid, t1: 0, t2: 0, options: [status(Dhcpv6Status.NO_BINDING, 'No binding')] });
      }
    }
    // §18.3.5: with nothing to say about any IA, a Rebind gets no Reply.
    if (rebind && !ias.some((o) => (o.kind === 'ia-pd' || o.kind === 'ia-na') && o.options.length)) return this.drop('rebind-nothing-known');
    this.send(link, src, m, T.REPLY, [...ias, ...this.otherOptions(m, false)]);
  }

  private zeroed(opts: readonly Dhcpv6Option[]): Dhcpv6Option[] {
    const out: Dhcpv6Option[] = [];
    for (const x of opts) {
      if (x.kind === 'ia-prefix') out.push({ ...x, preferredLifetime: 0, validLifetime: 0, options: [] });
      else if (x.kind === 'ia-address') out.push({ ...x, preferredLifetime: 0, validLifetime: 0, options: [] });
    }
    return out;
  }

  // ---- §18.3.7 Release, §18.3.8 Decline, §18.3.3 Confirm -----------------------------------

  private release(link: L, s: LinkState, src: Uint8Array, m: Dhcpv6ClientServer, duid: string, now: number): void {
    const ias: Dhcpv6Option[] = [];
    const b = this.liveBinding(s, now);
    for (const o of m.options) {
      if (o.kind === 'ia-pd' && b && b.duid === duid && b.iaid === o.iaid && s.info.delegated) {
        s.binding = undefined;
        this.count('dhcpv6.released');
        this.events.push({ type: 'released', link, prefix: s.info.delegated, clientDuid: duid });
      } else if (o.kind === 'ia-na' && s.naBinding && this.liveNa(s, now) && s.naBinding.duid === duid && s.naBinding.iaid === o.iaid && s.info.address) {
        s.naBinding = undefined;
        this.count('dhcpv6.address-released');
        this.events.push({ type: 'address-released', link, address: s.info.address, declined: false });
      } else if (o.kind === 'ia-pd' || o.kind === 'ia-na') {
        ias.push({ kind: o.kind, iaid: o.iaid, t1: 0, t2: 0, options: [status(Dhcpv6Status.NO_BINDING, 'No binding')] });
      }
    }
    this.send(link, src, m, T.REPLY, [status(Dhcpv6Status.SUCCESS, 'Released'), ...ias]);
  }

  /**
   * Decline is for addresses (§18.3.8): the client found ours in use (DAD); the binding goes and
   * the address is not given again on this link. IAs with no binding get NoBinding.
   */
  private decline(link: L, s: LinkState, src: Uint8Array, m: Dhcpv6ClientServer, duid: string, now: number): void {
    const ias: Dhcpv6Option[] = [];
    const nb = this.liveNa(s, now);
    const a = s.info.address;
    for (const o of m.options) {
      if (o.kind !== 'ia-na') continue;
      if (nb && a && nb.duid === duid && nb.iaid === o.iaid && o.options.some((x) => x.kind === 'ia-address' && sameAddress(x.address, a))) {
        s.naBinding = undefined;
        s.declined = true;
        this.count('dhcpv6.address-declined');
        this.events.push({ type: 'address-released', link, address: a, declined: true });
      } else ias.push({ kind: 'ia-na', iaid: o.iaid, t1: 0, t2: 0, options: [status(Dhcpv6Status.NO_BINDING, 'No binding')] });
    }
    this.send(link, src, m, T.REPLY, [status(Dhcpv6Status.SUCCESS, 'Declined'), ...ias]);
  }

  /** Are the client's addresses on this link (§18.3.3)? With no address to judge, no Reply. */
  private confirm(link: L, s: LinkState, src: Uint8Array, m: Dhcpv6ClientServer): void {
    const addrs: Uint8Array[] = [];
    for (const o of m.options) if (o.kind === 'ia-na') for (const x of o.options) if (x.kind === 'ia-address') addrs.push(x.address);
    if (!addrs.length || !s.info.onLink) return this.drop('confirm-nothing-to-check');
    const onLink = s.info.onLink;
    const all = addrs.every((a) => prefixContains(onLink, { prefix: a, length: 128 }));
    this.send(link, src, m, T.REPLY, [all ? status(Dhcpv6Status.SUCCESS, 'On link') : status(Dhcpv6Status.NOT_ON_LINK, 'Not on link')]);
  }

  // ---- output ----------------------------------------------------------------------------

  /** DNS servers when the ORO asks (RFC 3646 §3, RFC 8415 §21.7); `always` for Information-request answers too. */
  private otherOptions(m: Dhcpv6ClientServer, always: boolean): Dhcpv6Option[] {
    const oro = findOption(m.options, 'oro');
    const wants = (oro?.codes.includes(OC.DNS_SERVERS) ?? false) || always;
    return wants && this.cfg.dns.length ? [{ kind: 'dns-servers', servers: this.cfg.dns }] : [];
  }

  /** Server Identifier, the client's Client Identifier, then `options` (§18.3.x), same transaction-id. */
  private send(link: L, dst: Uint8Array, m: Dhcpv6ClientServer, msgType: number, options: Dhcpv6Option[]): void {
    const client = findOption(m.options, 'client-id');
    const message: Dhcpv6ClientServer = {
      kind: 'message', msgType, transactionId: m.transactionId,
      options: [{ kind: 'server-id', duid: this.cfg.serverDuid }, ...(client ? [client] : []), ...options],
    };
    if (this.out.push({ link, dst, message })) this.count(`dhcpv6.tx.${msgType}`);
    else this.count('dhcpv6.drop.outbox-full');
  }

  private drop(reason: string): void {
    this.count(`dhcpv6.drop.${reason}`);
  }

  private count(k: string): void {
    this.counters[k] = (this.counters[k] ?? 0) + 1;
  }
}

function sameAddress(a: Uint8Array, b: Uint8Array): boolean {
  for (let i = 0; i < 16; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The client's IA Prefix names exactly `p` (its bits past the length are not looked at). */
function isPrefix(x: { readonly prefixLength: number; readonly prefix: Uint8Array }, p: Ipv6Prefix): boolean {
  return x.prefixLength === p.length && prefixContains(p, { prefix: x.prefix, length: p.length });
}
