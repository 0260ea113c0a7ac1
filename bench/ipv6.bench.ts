/**
 * IPv6-layer codecs: IPv6 parse/emit and the extension walk, ICMPv6 checksum over the
 * pseudo-header, NDP and DHCPv6 parse, with the IPv4 counterparts of the same sizes beside
 * them (the `ip/` entries of bench/ip.bench.ts: `npm run bench -- --only ip`).
 */
import { ipv6, parseIpv6, walkIpv6, ipv6FromString } from '../src/wire/ipv6.js';
import { icmpv6, parseIcmpv6, icmpv6Checksum, icmpv6ChecksumOk, Icmpv6Type } from '../src/wire/icmpv6.js';
import { ndp, parseNdp, PrefixFlag } from '../src/wire/ndp.js';
import { dhcpv6, parseDhcpv6 } from '../src/wire/dhcpv6.js';
import { icmpv6Packet, ndpPacket, udp6Packet } from '../src/wire/ipv6-packets.js';
import { ipv4, parseIpv4 } from '../src/wire/ipv4.js';
import { icmp, parseIcmp, IcmpType } from '../src/wire/icmp.js';
import { internetChecksum } from '../src/wire/checksum.js';
import { icmpPacket } from '../src/wire/packets.js';
import { fromHex } from '../src/wire/bytes.js';
import type { Codec, Parsed } from '../src/wire/result.js';
import type { BenchEntry } from './bench.js';

const src = ipv6FromString('2001:db8:ffff::1000');
const dst = ipv6FromString('2001:db8::80');
const data = new Uint8Array(56);
const echo6 = icmpv6Packet({ src, dst }, { kind: 'echo', type: Icmpv6Type.ECHO_REQUEST, code: 0, checksum: 0, identifier: 1, sequence: 1, data });
const echo4 = icmpPacket({ src: 0xc000020a, dst: 0xc6336414 }, { kind: 'echo', type: IcmpType.ECHO_REQUEST, code: 0, identifier: 1, sequence: 1, data });
const hbh = udp6Packet({ src, dst, extensions: [{ kind: 'hop-by-hop', nextHeader: 0, options: [{ type: 5, data: new Uint8Array(2) }, { type: 1, data: new Uint8Array(0) }] }, { kind: 'fragment', nextHeader: 0, reserved: 0, fragmentOffset: 0, res: 0, more: false, identification: 1 }] }, 1, 2, new Uint8Array(16));
const ra = ndpPacket({ src: ipv6FromString('fe80::1'), dst: ipv6FromString('ff02::1') }, {
  kind: 'ra', code: 0, checksum: 0, curHopLimit: 64, flags: 0xc0, routerLifetime: 1800, reachableTime: 0, retransTimer: 0,
  options: [{ kind: 'prefix', prefixLength: 64, flags: PrefixFlag.ON_LINK | PrefixFlag.AUTONOMOUS, validLifetime: 86400, preferredLifetime: 14400, reserved: 0, prefix: ipv6FromString('2001:db8:ffff::') }, { kind: 'mtu', reserved: 0, mtu: 1492 }, { kind: 'rdnss', reserved: 0, lifetime: 3600, servers: [ipv6FromString('2001:db8::53')] }],
}).subarray(40);
// dibbler's Reply of the capture (frame 51), as a DHCPv6 server's answer is shaped.
const reply = fromHex(
  '07 12e117 0003 0042 00000001 00000708 00000b40 0005 0018 20010db8ffff00000000000000001000 00000e10 00001c20 000d 0016 0000 41737369676e656420616e20616464726573732e' +
  '0019 0045 00000002 00000708 00000b40 001a 0019 00000e10 00001c20 38 20010db8010000000000000000000000 000d 0018 0000 41737369676e656420312070726566697828657329 2e' +
  '0002 000e 0001 0001 32a19153 525400b9fad6 0001 000a 0003 0001 5254005f7880 0007 0001 ff',
);

function pair<T>(name: string, codec: Codec<T>, parse: (b: Uint8Array) => Parsed<T>, bytes: Uint8Array): BenchEntry[] {
  const r = parse(bytes);
  if (!r.ok) throw new Error(`${name}: ${r.error.code}`);
  const v = r.value;
  const out = new Uint8Array(codec.encodedLength(v) + 8);
  let sink = 0;
  return [
    { name: `ipv6/${name} parse`, fn: () => { const x = parse(bytes); if (x.ok) sink++; } },
    { name: `ipv6/${name} emit`, fn: () => { sink += codec.emit(v, out, 0); } },
  ];
}

const icmp6Bytes = echo6.subarray(40);
const icmp4Bytes = echo4.subarray(20);

export default [
  ...pair('ipv6', ipv6, parseIpv6, echo6),
  ...pair('ipv4 (beside it)', ipv4, parseIpv4, echo4),
  ...pair('icmpv6 echo', icmpv6, parseIcmpv6, icmp6Bytes),
  ...pair('icmp echo (beside it)', icmp, parseIcmp, icmp4Bytes),
  ...pair('ndp ra (prefix, mtu, rdnss)', ndp, parseNdp, ra),
  ...pair('dhcpv6 reply (ia_na, ia_pd)', dhcpv6, parseDhcpv6, reply),
  { name: 'ipv6/extension walk (hop-by-hop + fragment)', ops: 1000, fn: () => { for (let i = 0; i < 1000; i++) walkIpv6(0, hbh.subarray(40)); } },
  { name: 'ipv6/icmpv6 checksum, 64 B echo (pseudo-header)', ops: 1000, fn: () => { for (let i = 0; i < 1000; i++) icmpv6Checksum(src, dst, icmp6Bytes, 0, icmp6Bytes.length); } },
  { name: 'ipv6/icmpv6 checksum verify, 64 B echo', ops: 1000, fn: () => { for (let i = 0; i < 1000; i++) icmpv6ChecksumOk(src, dst, icmp6Bytes); } },
  { name: 'ipv6/icmp checksum, 64 B echo (IPv4, beside it)', ops: 1000, fn: () => { for (let i = 0; i < 1000; i++) internetChecksum(icmp4Bytes); } },
] satisfies BenchEntry[];
