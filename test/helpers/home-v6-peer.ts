/**
 * A scripted access network for one Home: our PPPoE AC with PPP terminated on the spot
 * (LCP + CHAP + IPCP, IPV6CP when asked: an IPv4-only LNS Protocol-Rejects it) and a
 * scripted IPv6 peer behind it, written from the RFCs, not from the home: an RA answering
 * each RS (RFC 4861 §6.2.6), a DHCPv6 server (test/helpers/dhcpv6-script.ts), and the server
 * answering ping6. Everything the home sends is kept (frames for pcap, IPv6 packets).
 */
import { PppoeAc, pppoeAcConfig, type AcSession } from '../../src/proto/pppoe-ac.js';
import { PppLink, pppLinkConfig } from '../../src/proto/ppp-link.js';
import { authenticatorConfig, type SecretLookup } from '../../src/proto/ppp-auth.js';
import { ipcpConfig } from '../../src/proto/ipcp.js';
import { ipv6cpConfig } from '../../src/proto/ipv6cp.js';
import { pppoeClientConfig } from '../../src/proto/pppoe-client.js';
import { pppoeDiscoveryFrame, pppoeSessionFrame } from '../../src/roles/framing.js';
import { Home, type HomeEvent } from '../../src/roles/home.js';
import { mulberry32 } from '../../src/proto/seeded.js';
import { bytesEqual as bytesEqual6, fromHex, ipv4FromString, setU16, textBytes, u16 } from '../../src/wire/bytes.js';
import { ipv6FromString as ip6, ipv6UpperLayer, NextHeader, parseIpv6 } from '../../src/wire/ipv6.js';
import { ndpPacket, icmpv6Packet, udp6Packet } from '../../src/wire/ipv6-packets.js';
import { parseIcmpv6, Icmpv6Type } from '../../src/wire/icmpv6.js';
import { PrefixFlag, RaFlag, type NdpOption } from '../../src/wire/ndp.js';
import { parseUdp } from '../../src/wire/udp.js';
import { PppProtocol } from '../../src/wire/ppp.js';
import { ScriptedDhcpv6Server, type ScriptOptions } from './dhcpv6-script.js';

export const HOME_MAC = fromHex('021000000001');
export const AC_MAC = fromHex('023000000001');
export const NTE_IID = fromHex('0000000000000001');
export const NTE_LL = ip6('fe80::1');
export const SERVER6 = ip6('2001:db8:ffff:1::10');

export interface PeerOptions {
  /** false: an IPv4-only LNS (IPV6CP Protocol-Rejected). */
  ipv6cp?: boolean;
  /** false: RS are not answered. */
  ra?: boolean;
  raPrefix?: string;
  raFlags?: number;
  raOptions?: NdpOption[];
  dhcp?: ScriptOptions | false;
  /** Drop this IPv6 packet from the home (n: 1-based count of packets of its kind so far). */
  loseUp?: (kind: string, n: number) => boolean;
  seed?: number;
}

const users: SecretLookup = (n) => (new TextDecoder().decode(n) === 'alice@isp-a.example' ? textBytes('secret') : undefined);

export class ScriptedLns {
  now = 0;
  readonly home: Home;
  readonly ac = new PppoeAc(pppoeAcConfig({}));
  link: PppLink | undefined;
  session: AcSession | undefined;
  readonly peer: V6Responder;
  /** Every frame the home sent, with its time. */
  readonly homeFrames: { at: number; frame: Uint8Array }[] = [];
  readonly events: { at: number; e: HomeEvent }[] = [];
  private readonly toHome: Uint8Array[] = [];

  constructor(readonly o: PeerOptions = {}) {
    this.home = new Home({ name: 'home1', user: 'alice@isp-a.example', password: 'secret', auth: 'chap', echoIntervalMs: 0, ipv6: { random: mulberry32(o.seed ?? 1), prefixLengthHint: 56 } }, HOME_MAC, pppoeClientConfig({}), {});
    this.peer = new V6Responder(o);
  }

  get dhcp(): ScriptedDhcpv6Server | undefined {
    return this.peer.dhcp;
  }

  /** Every IPv6 packet the home sent (PPP protocol 0x0057), with its kind. */
  get up6(): { at: number; kind: string; packet: Uint8Array }[] {
    return this.peer.up6;
  }

  start(): void {
    this.home.start(this.now);
    this.pump();
  }

  /** Runs the home, the AC and the link until `until` (virtual ms). */
  run(until: number): void {
    for (;;) {
      this.pump();
      const t = [this.home.nextTimeout(), this.link?.nextTimeout()].filter((x): x is number => x !== undefined);
      const next = t.length ? Math.min(...t) : undefined;
      if (next === undefined || next > until) break;
      this.now = Math.max(this.now, next);
      this.home.handleTimeout(this.now);
      this.link?.handleTimeout(this.now);
    }
    this.now = until;
  }

  /** Runs `f` on the home now and moves the output. */
  act(f: (now: number) => void): void {
    f(this.now);
    this.pump();
  }

  private pump(): void {
    for (let busy = true; busy; ) {
      busy = false;
      for (let t = this.home.pollTransmit(); t; t = this.home.pollTransmit()) {
        busy = true;
        this.homeFrames.push({ at: this.now, frame: t.frame });
        this.fromHome(t.frame);
      }
      for (let e = this.home.pollEvent(); e; e = this.home.pollEvent()) this.events.push({ at: this.now, e });
      for (let t = this.ac.pollTransmit(); t; t = this.ac.pollTransmit()) {
        busy = true;
        this.toHome.push(pppoeDiscoveryFrame(t.dst, AC_MAC, t.packet));
      }
      for (let e = this.ac.pollEvent(); e; e = this.ac.pollEvent()) {
        busy = true;
        if (e.type === 'session-up') this.sessionUp(e.session);
        else this.link?.lowerDown(this.now, 'padt');
      }
      const l = this.link;
      if (l && this.session) {
        for (let m = l.pollTransmit(); m; m = l.pollTransmit()) {
          busy = true;
          this.toHome.push(pppoeSessionFrame(HOME_MAC, AC_MAC, this.session.id, m));
        }
        for (let e = l.pollEvent(); e; e = l.pollEvent()) {
          busy = true;
          if (e.type === 'finished' && this.ac.session(this.session.id) === this.session) this.ac.terminate(this.session);
        }
      }
      for (let f = this.toHome.shift(); f; f = this.toHome.shift()) {
        busy = true;
        this.home.handleFrame('access', f, this.now);
      }
    }
  }

  private sessionUp(s: AcSession): void {
    this.session = s;
    this.link = new PppLink(pppLinkConfig({
      lcp: { authenticate: ['chap-md5'], echoIntervalMs: 0 },
      authenticator: authenticatorConfig({ name: 'lab-lns', verify: 'local', secretFor: users }),
      ipcp: ipcpConfig({ localAddress: ipv4FromString('10.0.0.1'), peerAddress: ipv4FromString('198.51.100.10'), dns: [ipv4FromString('192.0.2.53')] }),
      ...(this.o.ipv6cp === false ? {} : { ipv6cp: ipv6cpConfig({ localIdentifier: NTE_IID }) }),
    }));
    this.link.start(this.now);
  }

  private fromHome(f: Uint8Array): void {
    const type = u16(f, 12);
    if (type === 0x8863) {
      this.ac.handleFrame(f.subarray(6, 12), f.subarray(14), this.now);
      return;
    }
    if (type !== 0x8864 || !this.link) return;
    const len = u16(f, 18);
    const protocol = u16(f, 20);
    const info = f.subarray(22, 20 + len);
    if (this.link.handleFrame(protocol, info, this.now)) return;
    if (protocol === PppProtocol.IPV6) this.ipv6(info.slice());
  }

  /** The scripted peer answers; its answers go to the home. */
  private ipv6(packet: Uint8Array): void {
    for (const r of this.peer.handle(packet, this.now)) this.sendToHome(r);
  }

  /** An IPv6 packet from the LNS side to the home (PPP protocol 0x0057 in PPPoE). */
  sendToHome(packet: Uint8Array): void {
    if (!this.session) return;
    const f = new Uint8Array(22 + packet.length);
    f.set(HOME_MAC, 0);
    f.set(AC_MAC, 6);
    setU16(f, 12, 0x8864);
    f[14] = 0x11;
    setU16(f, 16, this.session.id);
    setU16(f, 18, 2 + packet.length);
    setU16(f, 20, PppProtocol.IPV6);
    f.set(packet, 22);
    this.toHome.push(f);
  }

  kinds(): string[] {
    return this.up6.map((x) => x.kind);
  }

  homeEvents(type: string): HomeEvent[] {
    return this.events.filter((x) => x.e.type === type).map((x) => x.e);
  }
}

/** The LNS side of IPv6 as a script: an RA per RS, the DHCPv6 script server, the server answering ping6. Logs what it got. */
export class V6Responder {
  readonly dhcp: ScriptedDhcpv6Server | undefined;
  readonly up6: { at: number; kind: string; packet: Uint8Array }[] = [];
  private readonly counts = new Map<string, number>();

  constructor(readonly o: PeerOptions = {}) {
    this.dhcp = o.dhcp === false ? undefined : new ScriptedDhcpv6Server(o.dhcp ?? { rapidCommit: true, dns: ['2001:db8:ffff:1::53'] });
  }

  private count(kind: string): number {
    const n = (this.counts.get(kind) ?? 0) + 1;
    this.counts.set(kind, n);
    return n;
  }

  /** One IPv6 packet from the home; the packets that answer it. */
  handle(packet: Uint8Array, now: number): Uint8Array[] {
    const p = parseIpv6(packet);
    if (!p.ok) return void this.up6.push({ at: now, kind: 'malformed', packet }), [];
    const u = ipv6UpperLayer(p.value);
    if (!u.ok) return void this.up6.push({ at: now, kind: 'malformed', packet }), [];
    let kind = `next-header-${u.value.protocol}`;
    if (u.value.protocol === NextHeader.ICMPV6) kind = `icmpv6-${u.value.data[0]}`;
    else if (u.value.protocol === NextHeader.UDP) {
      const d = parseUdp(u.value.data);
      kind = d.ok && d.value.dstPort === 547 ? `dhcpv6-${d.value.payload[0]}` : 'udp';
    }
    this.up6.push({ at: now, kind, packet });
    if (this.o.loseUp?.(kind, this.count(kind))) return [];
    const src = p.value.src.slice();
    if (kind === 'icmpv6-133' && this.o.ra !== false) {
      const prefix: NdpOption = { kind: 'prefix', prefixLength: 64, flags: PrefixFlag.ON_LINK | PrefixFlag.AUTONOMOUS, validLifetime: 7200, preferredLifetime: 3600, reserved: 0, prefix: ip6(this.o.raPrefix ?? '2001:db8:100:10::') };
      const options = this.o.raOptions ?? [prefix, { kind: 'mtu', reserved: 0, mtu: 1454 }, { kind: 'rdnss', reserved: 0, lifetime: 1800, servers: [ip6('2001:db8:ffff:1::53')] }];
      // RFC 4861 §6.2.6: a solicited RA may go unicast to the soliciting host.
      return [ndpPacket({ src: NTE_LL, dst: src }, { kind: 'ra', code: 0, checksum: 0, curHopLimit: 64, flags: this.o.raFlags ?? (RaFlag.MANAGED | RaFlag.OTHER), routerLifetime: 1800, reachableTime: 0, retransTimer: 0, options })];
    }
    if (kind.startsWith('dhcpv6-') && this.dhcp) {
      const d = parseUdp(u.value.data);
      if (!d.ok) return [];
      const reply = this.dhcp.handle(d.value.payload, now);
      return reply ? [udp6Packet({ src: NTE_LL, dst: src }, 547, 546, reply)] : [];
    }
    if (kind === 'icmpv6-128' && bytesEqual6(p.value.dst, SERVER6)) {
      const m = parseIcmpv6(u.value.data);
      if (m.ok && m.value.kind === 'echo') return [icmpv6Packet({ src: SERVER6, dst: src, hopLimit: 62 }, { ...m.value, type: Icmpv6Type.ECHO_REPLY, checksum: 0 })];
    }
    return [];
  }
}
