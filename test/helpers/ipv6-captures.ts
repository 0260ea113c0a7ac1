/**
 * The IPv6 side of the pppd + dhcpcd / pppoe-server + radvd + dibbler capture: every PPP
 * frame carried in PPPoE, and from it the IPV6CP packets, the IPv6 packets, and their
 * ICMPv6 and DHCPv6 (UDP 546/547) payloads with the addresses their checksums need.
 */
import { pppoeFrames } from './ppp-captures.js';
import { pppFrame, PppProtocol } from '../../src/wire/ppp.js';
import { parseIpv6, ipv6UpperLayer, NextHeader } from '../../src/wire/ipv6.js';
import { parseUdp } from '../../src/wire/udp.js';

export const IPV6_CAPTURE = 'pppd-dhcpcd-dibbler-ipv6cp-ra-dhcpv6pd.pcap';

export interface Ipv6Captured {
  /** 1-based frame number, as tshark numbers it. */
  readonly frame: number;
  /** The IPv6 packet (PPP information field). */
  readonly ip: Uint8Array;
  readonly src: Uint8Array;
  readonly dst: Uint8Array;
  /** Upper-layer protocol found by walking the extension headers, and its bytes. */
  readonly protocol: number;
  readonly upper: Uint8Array;
}

/** PPP information fields of `protocol` in the capture, with their frame numbers. */
export function pppPayloads(protocol: number): { frame: number; payload: Uint8Array }[] {
  const out: { frame: number; payload: Uint8Array }[] = [];
  for (const f of pppoeFrames(IPV6_CAPTURE)) {
    if (f.ethertype !== 0x8864) continue;
    const p = pppFrame.parse(f.pppoe.subarray(6));
    if (p.ok && p.value.protocol === protocol) out.push({ frame: f.frame, payload: p.value.payload });
  }
  return out;
}

export function ipv6Packets(): Ipv6Captured[] {
  return pppPayloads(PppProtocol.IPV6).map(({ frame, payload }) => {
    const ip = parseIpv6(payload);
    if (!ip.ok) throw new Error(`frame ${frame}: ${ip.error.code}`);
    const u = ipv6UpperLayer(ip.value);
    if (!u.ok) throw new Error(`frame ${frame}: ${u.error.code}`);
    return { frame, ip: payload, src: ip.value.src, dst: ip.value.dst, protocol: u.value.protocol, upper: u.value.data };
  });
}

export function icmpv6Messages(): Ipv6Captured[] {
  return ipv6Packets().filter((p) => p.protocol === NextHeader.ICMPV6);
}

/** DHCPv6 messages (UDP payloads on 546/547). */
export function dhcpv6Messages(): { frame: number; message: Uint8Array }[] {
  const out: { frame: number; message: Uint8Array }[] = [];
  for (const p of ipv6Packets()) {
    if (p.protocol !== NextHeader.UDP) continue;
    const u = parseUdp(p.upper);
    if (u.ok && (u.value.dstPort === 547 || u.value.dstPort === 546)) out.push({ frame: p.frame, message: u.value.payload });
  }
  return out;
}
