/** The IPv6-layer decoders (IPv6, extension headers, ICMPv6, NDP, DHCPv6, IPV6CP), seeded with the real packets of the pppd/dhcpcd/radvd/dibbler capture. */
import { parseIpv6, ipv6Chain, NextHeader } from '../../src/wire/ipv6.js';
import { parseIcmpv6 } from '../../src/wire/icmpv6.js';
import { parseNdp } from '../../src/wire/ndp.js';
import { parseDhcpv6 } from '../../src/wire/dhcpv6.js';
import { parseUdp } from '../../src/wire/udp.js';
import { ipv6cpPacket, PppProtocol } from '../../src/wire/ppp.js';
import { fromHex } from '../../src/wire/bytes.js';
import type { Parsed } from '../../src/wire/result.js';
import { dhcpv6Messages, icmpv6Messages, ipv6Packets, pppPayloads } from '../../test/helpers/ipv6-captures.js';
import type { FuzzTarget } from '../target.js';

/** A whole IPv6 packet, every layer, as a receiver reads it: header, extension chain, ICMPv6 / NDP or UDP / DHCPv6. */
function parseStack(b: Uint8Array): Parsed<unknown> {
  const ip = parseIpv6(b);
  if (!ip.ok) return ip;
  const chain = ipv6Chain(ip.value.nextHeader).parse(ip.value.payload);
  if (!chain.ok) return chain;
  const last = chain.value.headers.at(-1);
  const protocol = last ? last.nextHeader : ip.value.nextHeader;
  if (protocol === NextHeader.ICMPV6) {
    const m = parseIcmpv6(chain.value.upper);
    if (!m.ok || m.value.kind !== 'other' || m.value.type < 133 || m.value.type > 137) return m;
    return parseNdp(chain.value.upper);
  }
  if (protocol === NextHeader.UDP) {
    const u = parseUdp(chain.value.upper);
    return u.ok ? parseDhcpv6(u.value.payload) : u;
  }
  return chain;
}

/** Extension chains the capture lacks: destination options, routing, fragments. */
const chains = (): Uint8Array[] => [
  fromHex('3c00 0502 0000 0100' + '2b00 0104 0000 0000' + '2c00 0000 0001 0002' + '3a00 0001 deadbeef' + '80000000'),
  fromHex('3a00 0502 0000 0100' + '8000 0000 0001 0002'),
];

export default [
  { name: 'ipv6', parse: parseIpv6, seeds: () => ipv6Packets().map((p) => p.ip) },
  { name: 'ipv6-extensions', parse: (b) => ipv6Chain(NextHeader.HOP_BY_HOP).parse(b), seeds: () => [...chains(), ...ipv6Packets().map((p) => p.ip.subarray(40))] },
  { name: 'ipv6-extensions-from-destination', parse: (b) => ipv6Chain(NextHeader.DESTINATION).parse(b), seeds: chains },
  { name: 'icmpv6', parse: parseIcmpv6, seeds: () => icmpv6Messages().map((m) => m.upper) },
  { name: 'ndp', parse: parseNdp, seeds: () => icmpv6Messages().map((m) => m.upper).filter((m) => m[0]! >= 133 && m[0]! <= 137) },
  { name: 'dhcpv6', parse: parseDhcpv6, seeds: () => dhcpv6Messages().map((m) => m.message) },
  { name: 'ppp-ipv6cp-options', parse: ipv6cpPacket.parse, seeds: () => pppPayloads(PppProtocol.IPV6CP).map((f) => f.payload) },
  { name: 'ipv6-stack', parse: parseStack, seeds: () => ipv6Packets().map((p) => p.ip) },
] satisfies FuzzTarget[];
