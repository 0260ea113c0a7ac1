/**
 * A scripted DHCPv6 server for client tests, written from RFC 8415 §18.3 (not from our
 * client): Advertise or (Rapid Commit, §18.3.1) Reply to Solicit, Reply to Request / Renew /
 * Rebind / Release, the IA_PD with one IA Prefix or NoPrefixAvail, the Client Identifier
 * echoed, our Server Identifier. Every message it got is logged with its time.
 */
import { encode } from '../../src/wire/result.js';
import { dhcpv6, Dhcpv6MessageType as T, Dhcpv6Status, findOption, parseDhcpv6, type Dhcpv6Option, type Duid } from '../../src/wire/dhcpv6.js';
import { ipv6FromString, ipv6ToString } from '../../src/wire/ipv6.js';
import { fromHex, textBytes } from '../../src/wire/bytes.js';

export interface ScriptOptions {
  prefix?: string;
  prefixLength?: number;
  t1?: number;
  t2?: number;
  preferred?: number;
  valid?: number;
  /** Commit at once when the client offers Rapid Commit (§18.3.1). */
  rapidCommit?: boolean;
  preference?: number;
  /** IA_PD with Status Code NoPrefixAvail instead of a prefix. */
  noPrefix?: boolean;
  /** Renew / Rebind answered with NoBinding in the IA_PD (§18.3.4: the server lost the binding). */
  noBinding?: boolean;
  dns?: string[];
  serverDuid?: Duid;
}

export const SCRIPT_SERVER_DUID: Duid = { kind: 'llt', hardwareType: 1, time: 0x32a19153, linkLayer: fromHex('02300000000a') };

export interface Received {
  at: number;
  msgType: number;
  transactionId: number;
  options: readonly Dhcpv6Option[];
  elapsed: number | undefined;
}

export class ScriptedDhcpv6Server {
  readonly got: Received[] = [];
  constructor(public o: ScriptOptions = {}) {}

  get duid(): Duid {
    return this.o.serverDuid ?? SCRIPT_SERVER_DUID;
  }

  types(): number[] {
    return this.got.map((g) => g.msgType);
  }

  /** The answer to one client message, or undefined (§16: a server discards what it must not answer). */
  handle(bytes: Uint8Array, at: number): Uint8Array | undefined {
    const r = parseDhcpv6(bytes);
    if (!r.ok || r.value.kind !== 'message') return undefined;
    const m = r.value;
    this.got.push({ at, msgType: m.msgType, transactionId: m.transactionId, options: m.options, elapsed: findOption(m.options, 'elapsed-time')?.value });
    const client = findOption(m.options, 'client-id');
    if (!client) return undefined; // §16.2 ff.: every client message carries one
    const sid = findOption(m.options, 'server-id');
    const srv: Dhcpv6Option = { kind: 'server-id', duid: this.duid };
    const ia = findOption(m.options, 'ia-pd');
    const iaid = ia?.iaid ?? 0;
    const o = this.o;
    const iapd = (status?: number): Dhcpv6Option => status !== undefined
      ? { kind: 'ia-pd', iaid, t1: 0, t2: 0, options: [{ kind: 'status', status, message: textBytes(status === Dhcpv6Status.NO_BINDING ? 'no binding' : 'no prefixes') }] }
      : { kind: 'ia-pd', iaid, t1: o.t1 ?? 1800, t2: o.t2 ?? 2880, options: [{ kind: 'ia-prefix', preferredLifetime: o.preferred ?? 3600, validLifetime: o.valid ?? 7200, prefixLength: o.prefixLength ?? 56, prefix: ipv6FromString(o.prefix ?? '2001:db8:8000:1000::'), options: [] }] };
    const dns: Dhcpv6Option[] = o.dns ? [{ kind: 'dns-servers', servers: o.dns.map(ipv6FromString) }] : [];
    const out = (msgType: number, options: Dhcpv6Option[]) => encode(dhcpv6, { kind: 'message', msgType, transactionId: m.transactionId, options });
    switch (m.msgType) {
      case T.SOLICIT: {
        const pd = o.noPrefix ? iapd(Dhcpv6Status.NO_PREFIX_AVAIL) : iapd();
        if (o.rapidCommit && findOption(m.options, 'rapid-commit') && !o.noPrefix) return out(T.REPLY, [srv, client, { kind: 'rapid-commit' }, pd, ...dns]);
        return out(T.ADVERTISE, [srv, client, pd, ...dns, ...(o.preference !== undefined ? [{ kind: 'preference' as const, value: o.preference }] : [])]);
      }
      case T.REQUEST:
      case T.RENEW:
        // §16.4 / §16.6: Request and Renew name this server.
        if (!sid) return undefined;
        if (m.msgType === T.RENEW && o.noBinding) return out(T.REPLY, [srv, client, iapd(Dhcpv6Status.NO_BINDING)]);
        return out(T.REPLY, [srv, client, o.noPrefix ? iapd(Dhcpv6Status.NO_PREFIX_AVAIL) : iapd(), ...dns]);
      case T.REBIND:
        if (sid) return undefined; // §16.7: a Rebind has no Server Identifier
        if (o.noBinding) return out(T.REPLY, [srv, client, iapd(Dhcpv6Status.NO_BINDING)]);
        return out(T.REPLY, [srv, client, iapd(), ...dns]);
      case T.RELEASE:
        return out(T.REPLY, [srv, client, { kind: 'status', status: Dhcpv6Status.SUCCESS, message: textBytes('released') }]);
      default:
        return undefined;
    }
  }
}

export function prefixText(p: { prefix: Uint8Array; length: number }): string {
  return `${ipv6ToString(p.prefix)}/${p.length}`;
}
